"""The API over real HTTP: a uvicorn server in a subprocess, one keep-alive client on the same
machine, a bounded number of requests. POST /api/v1/complexity with a 50-layer spec against
GET /healthz in the same run (targets: complexity p99 under 10 ms, and at least half of healthz's
requests/s). healthz is timed twice, with the embedded (SQLite) broker and with Redis, because its
broker check is most of its cost."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from app.arch.analysis import analyse
from app.arch.notation import parse
from app.migrate import upgrade
from bench.timing import save

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = "redis://127.0.0.1:6379/15"
REQUESTS = 2000
WARMUP = 200


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def server(env: dict[str, str], startup_s: float = 30.0) -> Iterator[str]:
    """`uvicorn app.main:create_app --factory` on a free loopback port, with ISOCOST_* from `env`;
    yields its base URL once /healthz answers, and stops it afterwards."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "app.main:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_s
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"uvicorn exited with {process.returncode}")
            try:
                if httpx.get(f"{base}/healthz", timeout=5).status_code in (200, 503):
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not answer on {base} within {startup_s} s")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


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


def redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def main() -> None:
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="isocost-bench-api-") as tmp:
        database = f"sqlite:///{tmp}/api.db"
        upgrade(database)
        env = {"ISOCOST_DATABASE_URL": database, "ISOCOST_BROKER_URL": f"sqla+sqlite:///{tmp}/broker.db"}
        payload = {"spec": fifty_layer_spec()}
        print(f"{REQUESTS} requests each after {WARMUP} warm-up, one keep-alive connection, sequential")
        with server(env) as base, httpx.Client(base_url=base, timeout=30) as client:
            results["healthz_embedded_broker"] = timed_requests(lambda: client.get("/healthz"), REQUESTS)
            results["complexity_50_layers"] = timed_requests(
                lambda: client.post("/api/v1/complexity", json=payload), REQUESTS
            )
        if redis_up():
            with (
                server({**env, "ISOCOST_BROKER_URL": REDIS_URL}) as base,
                httpx.Client(base_url=base) as client,
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
