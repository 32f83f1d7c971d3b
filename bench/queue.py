"""Queue: latency from submit to start (20 jobs, one at a time, into an idle worker) and throughput
for 100 short jobs submitted at once, through a real API and one real worker, Redis against the
embedded broker (same run, same machine).

A "short job" is a benchmark of A-s36 with 3 timed runs and no per-layer table: the job itself
takes a fraction of a second, so what is measured is the queue and the worker's per-job cost (a
fresh child process per job, which imports torch: Celery's advice for GPU memory hygiene).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import select

from app.db import session_scope
from app.jobs.models import Job
from app.migrate import upgrade
from app.settings import Settings
from bench.timing import save
from tests.conftest import make_team
from tests.jobs_support import add_architecture
from tests.stack import Stack, reachable

JOBS = 100
LATENCY_SAMPLES = 20
SHORT = {"repeats": 3, "warmup": 1, "per_layer": False, "batch_size": 1}


def run(broker: str, root: Path) -> dict:
    settings = Settings(
        database_url=f"sqlite:///{root / 'isocost.db'}",
        broker_url=broker if broker.startswith("redis") else f"sqla+sqlite:///{root / 'broker.db'}",
        data_root=root / "data",
        checkpoint_dir=root / "checkpoints",
        max_queued_jobs_per_team=JOBS,
    )
    upgrade(settings.database_url)
    team = make_team(settings)
    architecture = add_architecture(settings.database_url, team.id)
    stack = Stack(settings, root / "logs")
    try:
        stack.start_api()
        stack.start_worker()
        with httpx.Client(base_url=f"{stack.url}/api/v1", headers=team.headers, timeout=30) as client:

            def submit() -> int:
                body = {"architecture_id": architecture, "kind": "benchmark", "params": SHORT}
                return client.post("/jobs", json=body).json()["jobs"][0]["id"]

            _wait(settings, [submit()], 120)  # the worker is up and warm before the clock starts
            # latency: one job at a time into an idle worker, submit (row written) to start (claimed)
            latencies = []
            for _ in range(LATENCY_SAMPLES):
                job_id = submit()
                _wait(settings, [job_id], 120)
                with session_scope(settings.database_url) as session:
                    job = session.get(Job, job_id)
                    latencies.append((job.started_at - job.created_at).total_seconds())
            # throughput: JOBS submitted at once, until the last finishes
            start = time.perf_counter()
            ids = [submit() for _ in range(JOBS)]
            submitted = time.perf_counter() - start
            _wait(settings, ids, 1800)
            wall = time.perf_counter() - start
        with session_scope(settings.database_url) as session:
            jobs = session.scalars(select(Job).where(Job.id.in_(ids))).all()
            statuses = {job.status for job in jobs}
            durations = [(job.finished_at - job.started_at).total_seconds() for job in jobs]
    finally:
        stack.stop()
    return {
        "broker": broker,
        "jobs": JOBS,
        "statuses": sorted(statuses),
        "submit_s": submitted,
        "wall_s": wall,
        "jobs_per_s": JOBS / wall,
        "start_latency_median_s": statistics.median(latencies),
        "start_latency_p90_s": statistics.quantiles(latencies, n=10)[-1],
        "job_duration_median_s": statistics.median(durations),
    }


def _wait(settings: Settings, ids: list[int], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with session_scope(settings.database_url) as session:
            pending = session.scalar(
                select(Job.id).where(Job.id.in_(ids), Job.status.in_(("queued", "running"))).limit(1)
            )
        if pending is None:
            return
        time.sleep(0.1)
    raise TimeoutError(f"jobs still pending after {timeout_s} s")


def main() -> None:
    brokers = ["embedded"]
    if reachable("127.0.0.1", 6379):
        brokers.append("redis://127.0.0.1:6379/14")
    else:
        print("Redis not reachable on 127.0.0.1:6379: embedded broker only")
    rows = []
    for broker in brokers:
        with tempfile.TemporaryDirectory() as root:
            rows.append(run(broker, Path(root)))
            print(f"{rows[-1]['broker']:28} done", flush=True)
    print(f"\n{'broker':28} {'jobs/s':>7} {'start latency p50':>18} {'p90':>8} {'job p50':>8}  statuses")
    for r in rows:
        print(f"{r['broker']:28} {r['jobs_per_s']:7.2f} {r['start_latency_median_s'] * 1e3:15.0f} ms "
              f"{r['start_latency_p90_s'] * 1e3:5.0f} ms {r['job_duration_median_s']:7.2f}s  {','.join(r['statuses'])}")  # fmt: skip
    if len(rows) == 2:
        embedded, redis = rows
        print(f"\nembedded / Redis: start latency {embedded['start_latency_median_s'] / redis['start_latency_median_s']:.1f}x, "
              f"throughput {embedded['jobs_per_s'] / redis['jobs_per_s']:.2f}x")  # fmt: skip
    save("queue", {"rows": rows})
