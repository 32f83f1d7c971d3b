"""Load: 1, 16 and 64 concurrent clients against a real API on loopback, on SQLite and on
PostgreSQL. Each client keeps one connection and sends, in turn, POST /api/v1/complexity (the
50-layer spec of bench/api.py), GET /api/v1/leaderboard (the A-s36 budget), GET /api/v1/jobs and
GET /api/v1/architectures?scope=public, as fast as answers come back.

The clients are bench.loadgen's: lean enough (about 0.03 of a core) not to starve the server on
the same machine. Reported per level: requests, requests/s, p50/p99/max latency, errors (anything
but a 200, and connection failures), and the CPU the server and the generator used, in cores. The baseline is the 1-client level of the same run: each level's
requests/s is given as a ratio to it. Target (docs/design.md, "Serving"): no errors and p99 under
1 s at 64 clients.

The server is `isocost api` (app.serve.run_api, what `isocost serve` and production run) with
ISOCOST_API_WORKERS processes. The data: a small lab's, 10 teams, 500 architectures and 10,000
results (bench.leaderboard.populate).

Environment: ISOCOST_BENCH_LOAD_SECONDS (20 per level; 60 for the figures in docs/design.md),
ISOCOST_BENCH_LOAD_WORKERS (API processes, 2), ISOCOST_BENCH_LOAD_SERVER=uvicorn to time a plain
`uvicorn app.main:create_app --factory`, one process (what `isocost serve` ran before).
"""

from __future__ import annotations

import asyncio
import os
import resource
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from app.migrate import upgrade
from app.settings import Settings
from bench import loadgen
from bench.api import fifty_layer_spec, percentile
from bench.leaderboard import PG_SERVER, populate
from bench.timing import save
from tests.stack import api_server

LEVELS = (1, 16, 64)
SECONDS = float(os.environ.get("ISOCOST_BENCH_LOAD_SECONDS", "20"))
WORKERS = int(os.environ.get("ISOCOST_BENCH_LOAD_WORKERS", "2"))
SERVER = os.environ.get("ISOCOST_BENCH_LOAD_SERVER", "isocost")
DATA = {"results_n": 10_000, "architectures_n": 500, "teams_n": 10}
TARGET_P99_S = 1.0


def requests(token: str, budget_id: int) -> list[tuple[str, str, str, dict]]:
    """(name, method, path, httpx keyword arguments) of the mix."""
    auth = {"headers": {"Authorization": f"Bearer {token}"}}
    return [
        ("complexity", "POST", "/api/v1/complexity", {"json": {"spec": fifty_layer_spec()}}),
        ("leaderboard", "GET", "/api/v1/leaderboard", {"params": {"budget_id": budget_id}, **auth}),
        ("jobs", "GET", "/api/v1/jobs", auth),
        ("architectures", "GET", "/api/v1/architectures", {"params": {"scope": "public"}, **auth}),
    ]


def _cpu_s(pids: list[int]) -> float:
    """CPU seconds used so far by these processes and their threads (Linux)."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def _tree(pid: int) -> list[int]:
    """`pid` and its descendants (the server's worker processes), from /proc (Linux)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid, *(p for child in children for p in _tree(int(child)))]


def _level(url: str, mix: list, clients: int, seconds: float, servers: list[int]) -> dict:
    """One level: `clients` closed-loop clients of bench.loadgen for `seconds`, with the CPU the
    generator and the server processes used (in cores), so that a generator that starves the
    server would show."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    server_cpu = _cpu_s(servers)
    tally, elapsed = asyncio.run(loadgen.run(url, mix, clients, seconds))
    after = resource.getrusage(resource.RUSAGE_SELF)
    latencies = tally.latencies
    return {
        "clients": clients,
        "requests": len(latencies),
        "requests_per_s": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 50) * 1e3,
        "p99_ms": percentile(latencies, 99) * 1e3,
        "max_ms": max(latencies) * 1e3,
        "errors": len(tally.errors),
        "error_kinds": sorted(set(tally.errors))[:10],
        "p99_ms_by_endpoint": {name: percentile(v, 99) * 1e3 for name, v in tally.by_endpoint.items()},
        "generator_cores": (after.ru_utime + after.ru_stime - me.ru_utime - me.ru_stime) / elapsed,
        "server_cores": (_cpu_s(servers) - server_cpu) / elapsed,
    }


def run(label: str, database_url: str, root: Path) -> list[dict]:
    print(f"\n{label}:")
    upgrade(database_url)
    token, budget_id = populate(database_url, **DATA)
    settings = Settings(database_url=database_url, broker_url="memory://")
    mix = requests(token, budget_id)
    rows: list[dict] = []
    workers = None if SERVER == "uvicorn" else WORKERS
    with api_server(settings, root / f"logs-{uuid.uuid4().hex[:6]}", workers, timeout_s=180) as stack:
        url, servers = stack.url, _tree(stack.processes[0].pid)
        _level(url, mix, 8, min(3.0, SECONDS), servers)  # warm-up: connections, caches, imports
        for clients in LEVELS:
            row = _level(url, mix, clients, SECONDS, servers)
            row["ratio_to_1_client"] = row["requests_per_s"] / rows[0]["requests_per_s"] if rows else 1.0
            rows.append(row)
            print(
                f"  {clients:3d} clients  {row['requests']:7,d} requests  {row['requests_per_s']:7.1f}/s "
                f"(x{row['ratio_to_1_client']:.2f})  p50 {row['p50_ms']:7.1f} ms  p99 {row['p99_ms']:7.1f} ms  "
                f"max {row['max_ms']:7.1f} ms  errors {row['errors']}"
                + (f" {row['error_kinds']}" if row["errors"] else "")
            )
            slowest = max(row["p99_ms_by_endpoint"].items(), key=lambda item: item[1])
            print(
                f"               slowest p99: {slowest[0]} {slowest[1]:.1f} ms; CPU: server "
                f"{row['server_cores']:.2f} cores, generator {row['generator_cores']:.2f}"
            )
    return rows


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A fresh schema in database `test`, dropped afterwards."""
    schema = f"isocost_load_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_SERVER)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{PG_SERVER}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def main() -> None:
    server = "uvicorn, 1 process" if SERVER == "uvicorn" else f"isocost api, {WORKERS} processes"
    print(f"{SECONDS:g} s per level, levels {LEVELS} clients, server: {server}, {os.cpu_count()} CPUs")
    results: dict[str, Any] = {"server": server, "seconds": SECONDS}
    with tempfile.TemporaryDirectory(prefix="isocost-bench-load-") as tmp:
        results["sqlite"] = run("SQLite", f"sqlite:///{tmp}/load.db", Path(tmp))
        with postgres_schema() as url:
            results["postgresql"] = run("PostgreSQL", url, Path(tmp))
    for database in ("sqlite", "postgresql"):
        top = results[database][-1]
        met = top["errors"] == 0 and top["p99_ms"] < TARGET_P99_S * 1e3
        print(
            f"{database}: {top['clients']} clients: {top['errors']} errors, p99 {top['p99_ms']:.0f} ms "
            f"(target: no errors, p99 < {TARGET_P99_S * 1e3:.0f} ms): {'met' if met else 'MISSED'}"
        )
    save("load", results)
