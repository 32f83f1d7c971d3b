"""The leaderboard query with 100,000 results, on SQLite and on PostgreSQL: p50/p95 through the
service function (`app.leaderboard.service.board`) and over HTTP (a uvicorn server, one keep-alive
client). Target: p95 under 100 ms.

The data: 40 teams, 2,000 architectures (about half inside the built-in `A-s36` budget, the rest
cheaper, dearer or at another input size; 70% published), 96,000 training results over 4
protocols and 12 seeds (5% of them on `synthetic`, which is never ranked) and 4,000 benchmark
results. PostgreSQL runs in a schema of its own in database `test`, dropped afterwards.
"""

from __future__ import annotations

import random
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, insert, select, text

from app.budgets.models import Budget
from app.db import session_factory, session_scope
from app.jobs.models import Job, Result
from app.leaderboard.service import board
from app.migrate import upgrade
from app.settings import Settings
from app.teams.auth import create_team
from app.teams.models import Team
from bench.api import percentile
from bench.timing import save
from tests.stack import api_server

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
RESULTS = 100_000
ARCHITECTURES = 2_000
TEAMS = 40
PROTOCOLS = ["digits/e5/sgd", "digits/e20/sgd", "cifar10/e30/sgd", "cifar10/t600s/sgd"]
RUNS = 60  # timed runs per variant (after warm-up)
A_S36 = 5_720_832  # the built-in budget's reference C


def populate(
    url: str,
    seed: int = 0,
    results_n: int = RESULTS,
    architectures_n: int = ARCHITECTURES,
    teams_n: int = TEAMS,
) -> tuple[str, int]:
    """Fill a migrated database; returns a viewer team's token and the A-s36 budget's id. The
    sizes default to this benchmark's; bench/load.py asks for a smaller deployment."""
    rng = random.Random(seed)
    with session_scope(url) as session:
        teams = [create_team(session, f"bench-{i:02d}-{uuid.uuid4().hex[:6]}") for i in range(teams_n)]
        token = teams[0][1]
        team_ids = [team.id for team, _ in teams]
        budget_id = session.scalar(select(Budget.id).where(Budget.name == "A-s36"))

    now = datetime.now(UTC).replace(tzinfo=None)
    architectures = []
    for i in range(architectures_n):
        side = 36 if rng.random() < 0.9 else 224
        ratio = (
            rng.uniform(0.96, 1.04)
            if rng.random() < 0.5
            else rng.choice([rng.uniform(0.3, 0.9), rng.uniform(1.1, 3)])
        )
        architectures.append(
            {
                "id": i + 1,
                "team_id": rng.choice(team_ids),
                "name": f"arch-{i}",
                "spec": {
                    "name": f"arch-{i}",
                    "input": {"channels": 3, "height": side, "width": side},
                    "layers": [{"type": "conv", "filters": 16, "size": 3}],
                },
                "notation": "(3,16)",
                "conv_macs": int(A_S36 * ratio),
                "spec_hash": f"{i:064x}",
                "published": rng.random() < 0.7,
                "created_at": now,
                "updated_at": now,
            }
        )
    jobs, results = [], []
    for i in range(results_n):
        arch = architectures[rng.randrange(architectures_n)]
        benchmark = i >= results_n - results_n // 25  # 4,000 of 100,000
        protocol = "bench/b1" if benchmark else rng.choice(PROTOCOLS)
        created = now - timedelta(seconds=results_n - i)
        job = {
            "id": i + 1,
            "team_id": arch["team_id"],
            "architecture_id": arch["id"],
            "kind": "benchmark" if benchmark else "train",
            "queue": "cpu",
            "params": {"seed": i % 12},
            "protocol": protocol,
            "status": "succeeded",
            "progress": 1.0,
            "attempts": 1,
            "cancel_requested": False,
            "created_at": created,
            "finished_at": created,
        }
        jobs.append(job)
        error = max(0.5, rng.gauss(30 - 10 * (arch["id"] % 7) / 7, 2))
        results.append(
            {
                "id": i + 1,
                "job_id": i + 1,
                "architecture_id": arch["id"],
                "team_id": arch["team_id"],
                "kind": job["kind"],
                "protocol": protocol,
                "dataset": "synthetic" if benchmark or rng.random() < 0.05 else protocol.split("/")[0],
                "seed": i % 12,
                "conv_macs": arch["conv_macs"],
                "top1_error": None if benchmark else error,
                "top5_error": None if benchmark else error / 3,
                "latency_ms": rng.uniform(1, 5) if benchmark else None,
                "throughput": rng.uniform(200, 900) if benchmark else None,
                "device": "cpu: bench" if benchmark else None,
                "provenance": {"bench": True},
                "created_at": created,
            }
        )

    engine = session_factory(url).kw["bind"]
    from app.architectures.models import Architecture

    start = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(insert(Architecture), architectures)
        for table, rows in ((Job, jobs), (Result, results)):
            for offset in range(0, len(rows), 10_000):
                connection.execute(insert(table), rows[offset : offset + 10_000])
    if url.startswith("postgresql"):
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))  # what autovacuum does soon after a bulk load
    else:
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    print(
        f"  inserted {architectures_n:,} architectures, {results_n:,} jobs and results in "
        f"{time.perf_counter() - start:.1f} s"
    )
    return token, budget_id


def stats(samples: list[float]) -> dict:
    return {
        "p50_ms": percentile(samples, 50) * 1e3,
        "p95_ms": percentile(samples, 95) * 1e3,
        "max_ms": max(samples) * 1e3,
        "runs": len(samples),
    }


def time_service(url: str, budget_id: int, viewer_id: int, **filters) -> tuple[dict, int]:
    samples, entries = [], 0
    for i in range(RUNS + 5):
        with session_factory(url)() as session:
            viewer = session.get(Team, viewer_id)
            start = time.perf_counter()
            out = board(session, viewer, budget_id, **filters)
            elapsed = time.perf_counter() - start
        if i >= 5:
            samples.append(elapsed)
        entries = len(out.entries)
    return stats(samples), entries


def time_http(url: str, token: str, budget_id: int, params: dict) -> dict:
    settings = Settings(database_url=url, broker_url="memory://")
    samples = []
    with (
        tempfile.TemporaryDirectory() as logs,
        api_server(settings, Path(logs)) as stack,
        httpx.Client(base_url=stack.url, headers={"Authorization": f"Bearer {token}"}) as client,
    ):
        for i in range(RUNS + 5):
            start = time.perf_counter()
            response = client.get("/api/v1/leaderboard", params={"budget_id": budget_id, **params})
            elapsed = time.perf_counter() - start
            response.raise_for_status()
            if i >= 5:
                samples.append(elapsed)
    return stats(samples)


VARIANTS = {
    "all protocols": {},
    "one protocol": {"protocol": "cifar10/e30/sgd"},
    "one team": {"team_name": None},  # filled in with the viewer's name
}


def run(label: str, url: str) -> dict:
    print(f"\n{label}:")
    upgrade(url)
    token, budget_id = populate(url)
    with session_factory(url)() as session:
        viewer = session.scalar(select(Team).where(Team.name.like("bench-00-%")))
        viewer_id, viewer_name = viewer.id, viewer.name
    out = {}
    for name, filters in VARIANTS.items():
        filters = {k: (viewer_name if k == "team_name" else v) for k, v in filters.items()}
        service, entries = time_service(url, budget_id, viewer_id, **filters)
        params = {("team" if k == "team_name" else k): v for k, v in filters.items()}
        http = time_http(url, token, budget_id, params)
        out[name] = {"entries": entries, "service": service, "http": http}
        print(
            f"  {name:14} {entries:3d} entries   service p50 {service['p50_ms']:6.1f} ms  p95 "
            f"{service['p95_ms']:6.1f} ms   HTTP p50 {http['p50_ms']:6.1f} ms  p95 {http['p95_ms']:6.1f} ms"
        )
    return out


def main() -> None:
    import tempfile

    results = {}
    print(
        f"leaderboard of the A-s36 budget, {RESULTS:,} results, {RUNS} timed runs each (target: p95 < 100 ms)"
    )
    with tempfile.TemporaryDirectory(prefix="isocost-bench-lb-") as tmp:
        results["sqlite"] = run("SQLite", f"sqlite:///{tmp}/leaderboard.db")
    schema = f"isocost_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_SERVER)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        results["postgresql"] = run("PostgreSQL", f"{PG_SERVER}?options=-csearch_path%3D{schema}")
    finally:
        session_factory(f"{PG_SERVER}?options=-csearch_path%3D{schema}").kw["bind"].dispose()
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
    worst = max(
        v[kind]["p95_ms"] for db in results.values() for v in db.values() for kind in ("service", "http")
    )
    print(f"\nworst p95: {worst:.1f} ms (target < 100 ms): {'met' if worst < 100 else 'MISSED'}")
    save("leaderboard", results)
