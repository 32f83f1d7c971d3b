"""The API over real HTTP: a uvicorn server in a subprocess, one keep-alive client on the same
machine, a bounded number of requests. POST /api/v1/complexity with a 50-layer spec against
GET /healthz in the same run (targets: complexity p99 under 10 ms, and at least half of healthz's
requests/s). healthz is timed twice, with the embedded (SQLite) broker and with Redis, because its
broker check is most of its cost."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from app.arch.analysis import analyse
from app.arch.notation import parse
from app.migrate import upgrade
from app.settings import Settings
from bench.timing import save
from tests.stack import api_server, reachable

REDIS_URL = "redis://127.0.0.1:6379/15"
REQUESTS = 2000
WARMUP = 200


def percentile(samples: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation between closest ranks."""
    ordered = sorted(samples)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(samples: list[float], elapsed_s: float) -> dict:
    """Latencies in ms and the rate of a closed loop (one request in flight at a time)."""
    return {
        "requests": len(samples),
        "p50_ms": percentile(samples, 50) * 1e3,
        "p95_ms": percentile(samples, 95) * 1e3,
        "p99_ms": percentile(samples, 99) * 1e3,
        "mean_ms": statistics.fmean(samples) * 1e3,
        "requests_per_s": len(samples) / elapsed_s,
    }


def timed_requests(send: Callable[[], httpx.Response], count: int, warmup: int = WARMUP) -> dict:
    for _ in range(warmup):
        send().raise_for_status()
    samples = []
    start = time.perf_counter()
    for _ in range(count):
        began = time.perf_counter()
        response = send()
        samples.append(time.perf_counter() - began)
        if response.status_code != 200:
            raise RuntimeError(f"{response.request.url} -> {response.status_code}: {response.text[:300]}")
    return summary(samples, time.perf_counter() - start)


def fifty_layer_spec() -> dict:
    """50 conv layers, written out one by one as an editor would send them, plus pools and a head."""
    stages = [(16, 64, 10), (32, 128, 12), (64, 256, 14), (128, 512, 14)]
    parts = []
    for i, (_, width, depth) in enumerate(stages):
        parts += [f"(3,{width})"] * depth
        if i < len(stages) - 1:
            parts.append("pool 2")
    text = " + ".join(parts) + " + gap + fc 1000"
    spec = parse(text).model_copy(update={"name": "fifty"})
    assert sum(layer.kind == "conv" for layer in analyse(spec).layers) == 50
    return spec.model_dump(mode="json")


def main() -> None:
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="isocost-bench-api-") as tmp:
        settings = Settings(
            database_url=f"sqlite:///{tmp}/api.db", broker_url=f"sqla+sqlite:///{tmp}/broker.db"
        )
        upgrade(settings.database_url)
        payload = {"spec": fifty_layer_spec()}
        print(f"{REQUESTS} requests each after {WARMUP} warm-up, one keep-alive connection, sequential")
        with (
            api_server(settings, Path(tmp) / "logs") as stack,
            httpx.Client(base_url=stack.url, timeout=30) as client,
        ):
            results["healthz_embedded_broker"] = timed_requests(lambda: client.get("/healthz"), REQUESTS)
            results["complexity_50_layers"] = timed_requests(
                lambda: client.post("/api/v1/complexity", json=payload), REQUESTS
            )
        if reachable("127.0.0.1", 6379):
            with (
                api_server(
                    settings.model_copy(update={"broker_url": REDIS_URL}), Path(tmp) / "logs"
                ) as stack,
                httpx.Client(base_url=stack.url) as client,
            ):
                results["healthz_redis_broker"] = timed_requests(lambda: client.get("/healthz"), REQUESTS)

    print(f"\n{'endpoint':30} {'p50':>9} {'p95':>9} {'p99':>9} {'req/s':>8}")
    for name, row in results.items():
        print(
            f"{name:30} {row['p50_ms']:7.2f}ms {row['p95_ms']:7.2f}ms {row['p99_ms']:7.2f}ms "
            f"{row['requests_per_s']:8.0f}"
        )
    complexity, healthz = results["complexity_50_layers"], results["healthz_embedded_broker"]
    ratio = complexity["requests_per_s"] / healthz["requests_per_s"]
    print(
        f"\ncomplexity p99 {complexity['p99_ms']:.2f} ms (target < 10 ms): "
        f"{'met' if complexity['p99_ms'] < 10 else 'MISSED'}"
    )
    print(
        f"complexity / healthz (embedded broker) requests/s: {ratio:.2f} (target >= 0.5): "
        f"{'met' if ratio >= 0.5 else 'MISSED'}"
    )
    if "healthz_redis_broker" in results:
        redis_ratio = complexity["requests_per_s"] / results["healthz_redis_broker"]["requests_per_s"]
        print(f"complexity / healthz (Redis broker) requests/s:    {redis_ratio:.2f}")
    save("api", results)
