"""End to end with real processes: the API under uvicorn, Celery workers, Redis or the embedded
broker. Each test builds its own database, so they can run beside any other test."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest
from sqlalchemy import func, select

from app.db import session_scope
from app.jobs.models import Job, Metric, Result
from app.settings import Settings
from tests.conftest import make_team, require
from tests.stack import FINISHED, Api, Stack, e2e_settings, free_port, start_stack, wait_for

pytestmark = pytest.mark.slow


def job_rows(settings: Settings, job_id: int) -> tuple[Job, list[Metric], int]:
    with session_scope(settings.database_url) as session:
        job = session.get(Job, job_id)
        metrics = list(session.scalars(select(Metric).where(Metric.job_id == job_id).order_by(Metric.epoch)))
        results = session.scalar(select(func.count()).select_from(Result).where(Result.job_id == job_id))
        session.expunge_all()
    return job, metrics, results


@pytest.mark.parametrize("broker", ["embedded", "redis"])
def test_train_and_benchmark_through_the_api(stacks, tmp_path, broker) -> None:
    settings = e2e_settings(tmp_path, broker)
    api = start_stack(stacks, settings)
    architecture = api.architecture("A-s36")
    (job,) = api.submit(architecture, "train", {"dataset": {"kind": "digits"}, "epochs": 2})
    seen_running_with_metrics = False
    while job["status"] not in FINISHED:
        time.sleep(0.2)  # polling without a pause took the worker's CPU and doubled the test's time
        job = api.get(f"/jobs/{job['id']}")
        seen_running_with_metrics |= job["status"] == "running" and bool(job["metrics"])
    assert job["status"] == "succeeded", job["error"]
    assert seen_running_with_metrics  # epoch 1's metrics were served while epoch 2 trained
    assert [m["epoch"] for m in job["metrics"]] == [1, 2]
    row, metrics, results = job_rows(settings, job["id"])
    # live: each epoch's metrics were stored while the job ran, not at its end
    assert all(m.created_at <= row.finished_at for m in metrics) and metrics[0].created_at < row.finished_at
    assert results == 1 and row.attempts == 1
    result = job["result"]
    assert 0 <= result["top1_error"] <= 100 and 0 <= result["top5_error"] <= result["top1_error"]
    assert result["provenance"]["protocol"] == job["protocol"] and result["device"]
    assert result["provenance"]["torch"]

    budget = next(b for b in api.get("/budgets") if b["reference_preset"] == "A-s36")
    board = api.get("/leaderboard", budget_id=budget["id"])
    (entry,) = [e for e in board["entries"] if e["architecture_id"] == architecture]
    assert entry["top1_error_mean"] == pytest.approx(result["top1_error"]) and entry["seeds"] == 1

    (bench,) = api.submit(architecture, "benchmark", {"repeats": 10, "warmup": 2, "batch_size": 16})
    bench = api.wait(bench["id"])
    assert bench["status"] == "succeeded", bench["error"]
    result = bench["result"]
    assert result["latency_ms"] > 0 and result["throughput"] > 0 and result["device"]
    for timing in ("latency", "throughput", "train_step"):
        t = result["details"][timing]
        assert 0 < t["p10_s"] <= t["median_s"] <= t["p90_s"]
    assert [layer["name"] for layer in result["details"]["layers"]][:2] == ["conv1", "pool1"]
    assert result["provenance"]["torch"]


@pytest.mark.parametrize("broker", ["embedded", "redis"])
def test_sigkilled_worker_resumes_from_checkpoint(stacks, tmp_path, broker) -> None:
    settings = e2e_settings(tmp_path, broker)
    api = start_stack(stacks, settings)
    (job,) = api.submit(api.architecture("A-s36"), "train", {"dataset": {"kind": "digits"}, "epochs": 6})
    wait_for(lambda: len(api.get(f"/jobs/{job['id']}")["metrics"]) >= 2, 120, what="two epochs")
    checkpoint = settings.checkpoint_dir / f"job-{job['id']}.pt"
    assert checkpoint.exists()
    (worker,) = [p for p in api.stack.processes if "worker" in p.args]
    Stack.kill(worker)  # the worker and its pool child, mid-training, with no chance to clean up
    epochs_before = len(api.get(f"/jobs/{job['id']}")["metrics"])
    api.stack.start_worker()
    job = api.wait(job["id"])
    assert job["status"] == "succeeded", job["error"]
    row, metrics, results = job_rows(settings, job["id"])
    assert results == 1
    assert row.attempts == 2 and "re-queued" not in (row.error or "")
    assert [m.epoch for m in metrics] == list(range(1, 7))
    assert job["result"]["provenance"]["resumed_from_epoch"] >= epochs_before - 1 >= 1
    assert not checkpoint.exists()
    with session_scope(settings.database_url) as session:
        assert session.scalar(select(func.count()).select_from(Job).where(Job.status == "running")) == 0


def test_deterministic_failure_is_not_retried(stacks, tmp_path) -> None:
    settings = e2e_settings(tmp_path, "embedded")
    api = start_stack(stacks, settings)
    architecture = api.architecture("A-s36")
    (job,) = api.submit(
        architecture, "train", {"dataset": {"kind": "cifar10", "path": "no/such/dir"}, "epochs": 1}
    )
    job = api.wait(job["id"])
    assert job["status"] == "failed" and "no/such/dir" in job["error"] and job["attempts"] == 1
    (job2,) = api.submit(architecture, "train", {"dataset": {"kind": "digits"}, "epochs": 1, "lr": 10})
    job2 = api.wait(job2["id"])
    assert job2["status"] in ("failed", "succeeded")  # a diverging run fails once, with its reason
    assert job2["attempts"] == 1
    time.sleep(2 * settings.reconcile_interval_s)  # sweeps leave failed jobs alone
    assert api.get(f"/jobs/{job['id']}")["attempts"] == 1


def test_broker_down_at_submission_then_back(stacks, tmp_path) -> None:
    """Redis is not running when the job is submitted: the job waits, queued and unsent, and runs
    once a Redis server comes up on that port."""
    require(shutil.which("redis-server") is not None, "redis-server")
    port = free_port()
    settings = e2e_settings(tmp_path, f"redis://127.0.0.1:{port}/0")
    stack = stacks(settings)
    stack.start_api(healthy=False)
    api = Api(stack, make_team(settings).headers)
    (job,) = api.submit(api.architecture("A-s36"), "train", {"dataset": {"kind": "digits"}, "epochs": 1})
    assert job["status"] == "queued" and job["enqueued_at"] is None
    redis = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    stack.processes.append(redis)
    stack.start_worker()
    job = api.wait(job["id"])
    assert job["status"] == "succeeded" and job["enqueued_at"] is not None and job["attempts"] == 1


def test_cancel_while_running_frees_the_worker(stacks, tmp_path) -> None:
    settings = e2e_settings(tmp_path, "embedded")
    api = start_stack(stacks, settings)
    architecture = api.architecture("A-s36")
    (long,) = api.submit(architecture, "train", {"dataset": {"kind": "digits"}, "time_budget_s": 120})
    wait_for(lambda: api.get(f"/jobs/{long['id']}")["metrics"], 120, what="first epoch")
    api.post(f"/jobs/{long['id']}/cancel", {})
    cancelled = api.wait(long["id"], timeout_s=10)
    assert cancelled["status"] == "cancelled" and cancelled["result"] is None
    (short,) = api.submit(architecture, "train", {"dataset": {"kind": "digits"}, "epochs": 1})
    assert api.wait(short["id"])["status"] == "succeeded"


@pytest.mark.parametrize("broker", ["embedded", "redis"])
def test_jobs_go_only_to_workers_of_their_queue(stacks, tmp_path, broker) -> None:
    """A cpu worker never takes a gpu job; a gpu worker, once started, does."""
    settings = e2e_settings(tmp_path, broker)
    stack = stacks(settings)
    stack.start_api()
    stack.start_worker(queues="cpu")
    api = Api(stack, make_team(settings).headers)
    architecture = api.architecture("A-s36")
    short = {"repeats": 3, "warmup": 1, "per_layer": False, "batch_size": 1}
    (gpu_job,) = api.submit(architecture, "benchmark", short, queue="gpu")
    (cpu_job,) = api.submit(architecture, "benchmark", short, queue="cpu")
    assert api.wait(cpu_job["id"])["status"] == "succeeded"
    time.sleep(1)
    gpu_job = api.get(f"/jobs/{gpu_job['id']}")
    assert gpu_job["status"] == "queued" and gpu_job["attempts"] == 0
    stack.start_worker(queues="gpu")  # on this CPU-only machine it runs on the CPU, but it is the gpu queue's
    assert api.wait(gpu_job["id"])["status"] == "succeeded"
