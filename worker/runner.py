"""Run one job: claim it, keep its heartbeat, train or benchmark, record the outcome.

Deterministic failures (a bad spec or dataset, out of memory at this batch size, a time limit)
fail the job once with the reason; they are never retried. A worker that dies mid-job is found
by the API's reconciler through the missing heartbeat, and the job resumes from its checkpoint.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded

import app.models  # noqa: F401  (every table, so foreign keys resolve)
from app.arch.errors import SpecError
from app.arch.spec import Spec
from app.architectures.models import Architecture
from app.db import session_scope
from app.jobs import lifecycle
from app.jobs.models import Job
from app.jobs.params import BenchmarkParams, TrainParams
from app.settings import Settings
from worker.errors import Cancelled, DatasetError, Diverged, OutOfMemory
from worker.progress import EpochMetrics

log = logging.getLogger("isocost.worker")
CANCEL_POLL_S = 0.1  # how often should_stop() asks the database; it is called before every batch


class Heartbeat(threading.Thread):
    """Tells the database this worker is alive; notices when the job is no longer ours."""

    def __init__(self, settings: Settings, job_id: int, worker: str) -> None:
        super().__init__(name=f"heartbeat-{job_id}", daemon=True)
        self.settings, self.job_id, self.worker = settings, job_id, worker
        self.stopping = threading.Event()
        self.lost = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(self.settings.heartbeat_interval_s):
            try:
                with session_scope(self.settings.database_url) as session:
                    if not lifecycle.heartbeat(session, self.job_id, self.worker):
                        self.lost.set()
                        return
            except Exception:  # the database may be back next beat
                log.exception("heartbeat for job %s failed", self.job_id)

    def stop(self) -> None:
        self.stopping.set()


class Stopper:
    """should_stop(): True once the job is cancelled or taken from us; asks the DB at most every
    CANCEL_POLL_S seconds."""

    def __init__(self, settings: Settings, job_id: int, beat: Heartbeat) -> None:
        self.settings, self.job_id, self.beat = settings, job_id, beat
        self.checked = 0.0
        self.cancelled = False

    def __call__(self) -> bool:
        if self.beat.lost.is_set():
            return True
        now = time.monotonic()
        if not self.cancelled and now - self.checked >= CANCEL_POLL_S:
            self.checked = now
            with session_scope(self.settings.database_url) as session:
                self.cancelled = lifecycle.cancel_requested(session, self.job_id)
        return self.cancelled


def run(settings: Settings, job_id: int, worker: str) -> str:
    with session_scope(settings.database_url) as session:
        claim = lifecycle.claim(session, job_id, worker, settings.max_attempts)
        if not claim.claimed:
            log.info("job %s not run: %s", job_id, claim.reason)
            return claim.reason
        job = session.get_one(Job, job_id)
        architecture = session.get_one(Architecture, job.architecture_id)
        kind, params, spec_data, conv_macs = job.kind, job.params, architecture.spec, architecture.conv_macs

    beat = Heartbeat(settings, job_id, worker)
    beat.start()
    should_stop = Stopper(settings, job_id, beat)
    try:
        spec = Spec.model_validate(spec_data)
        if kind == "train":
            result = _train(settings, job_id, worker, spec, TrainParams.model_validate(params), should_stop)
        else:
            result = _benchmark(
                settings, job_id, worker, spec, BenchmarkParams.model_validate(params), should_stop
            )
        with session_scope(settings.database_url) as session:
            if not lifecycle.complete(session, job_id, worker, {"conv_macs": conv_macs, **result}):
                return "lost the job before finishing; another attempt owns it"
        _checkpoint(settings, job_id).unlink(missing_ok=True)
        return "succeeded"
    except Exception as error:
        return _end(settings, job_id, worker, error, beat)
    finally:
        beat.stop()


def _end(settings: Settings, job_id: int, worker: str, error: Exception, beat: Heartbeat) -> str:
    with session_scope(settings.database_url) as session:
        if isinstance(error, Cancelled):
            if beat.lost.is_set():
                return "lost the job (re-queued elsewhere); stopped"
            lifecycle.mark_cancelled(session, job_id, worker)
            return "cancelled"
        if isinstance(error, SoftTimeLimitExceeded):
            reason = f"exceeded the time limit of {settings.job_time_limit_s} s"
        elif isinstance(error, OutOfMemory):
            reason = f"out of memory at this batch size (not retried): {error}"
        elif isinstance(error, SpecError | DatasetError | Diverged | ValueError):
            reason = str(error)
        else:
            log.exception("job %s failed", job_id)
            reason = f"{type(error).__name__}: {error}"
        lifecycle.fail(session, job_id, worker, reason)
    return f"failed: {reason}"


def _checkpoint(settings: Settings, job_id: int) -> Path:
    return Path(settings.checkpoint_dir) / f"job-{job_id}.pt"


def _train(
    settings: Settings,
    job_id: int,
    worker: str,
    spec: Spec,
    params: TrainParams,
    should_stop: Callable[[], bool],
) -> dict[str, Any]:
    from worker.train import train

    def on_epoch(metrics: EpochMetrics) -> None:
        if params.epochs:
            progress = metrics.epoch / params.epochs
        else:
            assert params.time_budget_s is not None  # TrainParams holds exactly one budget
            progress = metrics.elapsed_s / params.time_budget_s
        with session_scope(settings.database_url) as session:
            lifecycle.record_epoch(session, job_id, worker, _fields(metrics), progress)

    checkpoint = _checkpoint(settings, job_id)
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    outcome = train(
        spec,
        params,
        Path(settings.data_root),
        checkpoint=checkpoint,
        on_epoch=on_epoch,
        should_stop=should_stop,
    )
    return {
        "dataset": params.dataset.kind,
        "seed": params.seed,
        "top1_error": outcome.top1_error,
        "top5_error": outcome.top5_error,
        "train_seconds": outcome.train_s,
        "device": outcome.provenance.get("device_name"),
        "provenance": outcome.provenance,
    }


def _benchmark(
    settings: Settings,
    job_id: int,
    worker: str,
    spec: Spec,
    params: BenchmarkParams,
    should_stop: Callable[[], bool],
) -> dict[str, Any]:
    from worker.benchmark import benchmark

    with session_scope(settings.database_url) as session:
        lifecycle.heartbeat(session, job_id, worker, progress=0.05)
    outcome = benchmark(spec, params, should_stop=should_stop)
    return {
        "latency_ms": outcome.latency.median_s * 1e3,
        "throughput": outcome.throughput.images_per_s,
        "device": outcome.provenance.get("device_name"),
        "provenance": outcome.provenance,
        # app.jobs.results.BenchmarkDetails, the schema the API and the figures read back
        "details": outcome.model_dump(mode="json", exclude={"provenance"}),
    }


def _fields(metrics: EpochMetrics) -> dict[str, float]:
    keys = ("epoch", "train_loss", "val_loss", "top1_error", "top5_error", "images_per_s", "lr", "elapsed_s")
    return {key: getattr(metrics, key) for key in keys}
