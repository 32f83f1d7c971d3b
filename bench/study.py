"""A study of all 14 s36 presets x 3 seeds on digits under the default protocol, through a real API
and one real worker: `python -m bench study`.

Measures the wall time end to end (the POST to the study's last job finishing) against the sum of
its jobs' run times (claimed to finished): their ratio says how well the queue keeps the worker
busy (1.0: no gap between jobs). Prints the results table (mean top-1 error with its 95% interval,
against the protocol's target of 10%) and every relation edge with its verdict and the paper's
claim, and keeps it all in var/bench/study.json. Redis is the broker when one answers on
127.0.0.1:6379, else the embedded one.

ISOCOST_BENCH_STUDY_EPOCHS and ISOCOST_BENCH_STUDY_SEEDS (comma-separated) shorten it for a try.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from app.db import session_scope
from app.jobs.models import Job
from app.migrate import upgrade
from app.settings import Settings
from bench.timing import save
from tests.conftest import make_team
from tests.stack import Stack, reachable

TARGET = 10.0  # percent: the default protocol's target for every preset (docs/design.md, "Training protocol")


def _settings(root: Path) -> Settings:
    redis = reachable("127.0.0.1", 6379)
    settings = Settings(
        database_url=f"sqlite:///{root / 'isocost.db'}",
        broker_url="redis://127.0.0.1:6379/14" if redis else f"sqla+sqlite:///{root / 'broker.db'}",
        data_root=root / "data",
        checkpoint_dir=root / "checkpoints",
    )
    upgrade(settings.database_url)
    return settings


def _body() -> dict[str, Any]:
    body: dict[str, Any] = {"name": "all s36 presets", "models": {"figure": "all", "scale": "s36"}}
    if os.environ.get("ISOCOST_BENCH_STUDY_EPOCHS"):
        body["protocol"] = {"epochs": int(os.environ["ISOCOST_BENCH_STUDY_EPOCHS"])}
    if os.environ.get("ISOCOST_BENCH_STUDY_SEEDS"):
        body["seeds"] = [int(s) for s in os.environ["ISOCOST_BENCH_STUDY_SEEDS"].split(",")]
    return body


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="isocost-bench-study-") as directory:
        root = Path(directory)
        settings = _settings(root)
        team = make_team(settings)
        stack = Stack(settings, root / "logs")
        try:
            stack.start_api()
            stack.start_worker()
            with httpx.Client(base_url=f"{stack.url}/api/v1", headers=team.headers, timeout=60) as client:
                start = time.perf_counter()
                study = client.post("/studies", json=_body()).json()
                print(
                    f"study {study['id']}: {study['progress']['total']} jobs, {study['protocol_text']}",
                    flush=True,
                )
                done = -1
                while study["status"] in ("queued", "running"):
                    time.sleep(5)
                    study = client.get(f"/studies/{study['id']}").json()
                    p = study["progress"]
                    finished = p["succeeded"] + p["failed"] + p["cancelled"]
                    if finished != done:
                        done = finished
                        print(f"  {time.perf_counter() - start:7.0f} s: {finished}/{p['total']} jobs finished",
                              flush=True)  # fmt: skip
                wall = time.perf_counter() - start
        finally:
            stack.stop()
        runs = _run_times(settings)
    _report(study, wall, runs)


def _run_times(settings: Settings) -> list[float]:
    with session_scope(settings.database_url) as session:
        rows = session.execute(
            select(Job.started_at, Job.finished_at).where(Job.finished_at.is_not(None))
        ).all()
    return [(end - begin).total_seconds() for begin, end in rows if begin is not None]


def _report(study: dict[str, Any], wall: float, runs: list[float]) -> None:
    busy = sum(runs)
    train = sum(r["train_seconds"] or 0 for m in study["models"] for r in m["runs"])
    print(f"\nwall time end to end {wall:.0f} s; the jobs' run times sum to {busy:.0f} s "
          f"(training loops {train:.0f} s): busy ratio {busy / wall:.3f}")  # fmt: skip
    print(f"\n{'model':8} {'depth':>5} {'n':>3} {'mean':>6} {'std':>5} {'95% CI':>16}  per seed")
    for m in study["models"]:
        ci = m["top1_error_ci95"]
        seeds = " ".join("-" if r["top1_error"] is None else f"{r['top1_error']:.1f}" + ("*" if r["learned"] is False else "")
                         for r in m["runs"])  # fmt: skip
        mean = m["top1_error_mean"]
        flag = "" if mean is not None and mean <= TARGET else "  OVER TARGET"
        print(f"{m['name']:8} {m['depth']:5} {m['n']:3} {mean if mean is not None else float('nan'):6.2f} "
              f"{m['top1_error_std'] or 0:5.2f} {f'[{ci[0]:.2f}, {ci[1]:.2f}]' if ci else '-':>16}  {seeds}{flag}")  # fmt: skip
    print("(* did not learn; left out of the statistics)")
    worst = max(
        (m["top1_error_mean"] for m in study["models"] if m["top1_error_mean"] is not None), default=None
    )
    if worst is not None:
        print(f"worst mean {worst:.2f}% (target {TARGET:g}%): {'met' if worst <= TARGET else 'NOT met'}")
    print(f"\n{'edge':18} {'fig':>3} {'diff':>6} {'95% CI':>16} {'p':>6}  {'verdict':13} paper")
    verdicts: dict[str, int] = {}
    for c in study["comparisons"]:
        ci = c["ci95"]
        verdicts[c["verdict"] or "none"] = verdicts.get(c["verdict"] or "none", 0) + 1
        claim = c["claim"]
        paper = claim["expects"] or "not recovered"
        supported = {True: ", supported", False: ", not supported", None: ""}[claim["supported"]]
        print(f"{c['source'] + ' -> ' + c['target']:18} {c['figure'] or '-':>3} {c['difference'] or 0:6.2f} "
              f"{f'[{ci[0]:.2f}, {ci[1]:.2f}]' if ci else '-':>16} {c['p_value'] or 0:6.3f}  "
              f"{c['verdict'] or '-':13} {paper}{supported}")  # fmt: skip
    print(f"verdicts: {verdicts}")
    save(
        "study",
        {"wall_s": wall, "jobs_run_s": busy, "train_s": train, "busy_ratio": busy / wall, "study": study},
    )
