"""Run one job: claim it, keep its heartbeat, train or benchmark, record the outcome.

Deterministic failures (a bad spec or dataset, out of memory at this batch size, a time limit)
fail the job once with the reason; they are never retried. Faults of the infrastructure are not
the job's: a database outage is waited out (worker.liveness), a checkpoint that cannot be written
re-queues the job, and one that cannot be read back is discarded and the run starts afresh. A
worker that dies mid-job is found by the API's reconciler through the missing heartbeat, and the
job resumes from its checkpoint.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded

import app.models  # noqa: F401  (every table, so foreign keys resolve)
from app.arch.errors import SpecError
from app.arch.spec import Spec
from app.architectures.models import Architecture
from app.db import UNREACHABLE, session_scope
from app.jobs import lifecycle
from app.jobs.models import Job
from app.jobs.params import BenchmarkParams, CalibrateParams, TrainParams
from app.settings import Settings
from worker import checkpoint_files
from worker.errors import (
    Cancelled,
    CheckpointCorrupt,
    CheckpointWriteFailed,
    DatasetError,
    Diverged,
    OutOfMemory,
)
from worker.liveness import Heartbeat, Stopper, persist
from worker.progress import EpochMetrics

log = logging.getLogger("isocost.worker")


def run(settings: Settings, job_id: int, worker: str) -> str:
    with session_scope(settings.database_url) as session:
        claim = lifecycle.claim(session, job_id, worker, settings.max_attempts)
        if claim.claimed:
            job = session.get_one(Job, job_id)
            kind, params = job.kind, job.params
            # a calibration times the device, not an architecture (docs/design.md, "Device profiles")
            architecture = session.get_one(Architecture, job.architecture_id) if job.architecture_id else None
            spec_data = architecture.spec if architecture else None
            conv_macs = architecture.conv_macs if architecture else 0
    _sweep_checkpoints(settings)
    if not claim.claimed:
        log.info("job %s not run: %s", job_id, claim.reason)
        return claim.reason
    checkpoint_files.discard_temporaries(_checkpoint(settings, job_id))  # of an attempt that died

    beat = Heartbeat(settings, job_id, worker)
    beat.start()
    should_stop = Stopper(settings, job_id, beat)
    try:
        if kind == "calibrate":
            return _calibrate(
                settings, job_id, worker, CalibrateParams.model_validate(params), should_stop, beat
            )
        spec = Spec.model_validate(spec_data)
        if kind == "train":
            result = _train(
                settings, job_id, worker, spec, TrainParams.model_validate(params), should_stop, beat
            )
        else:
            result = _benchmark(
                settings, job_id, worker, spec, BenchmarkParams.model_validate(params), should_stop, beat
            )
        done = {"conv_macs": conv_macs, **result}
        if not persist(settings, lambda s: lifecycle.complete(s, job_id, worker, done), beat):
            beat.refund_if_cut_off()
            return "lost the job before finishing; another attempt owns it"
        checkpoint_files.discard(_checkpoint(settings, job_id))
        return "succeeded"
    except Exception as error:
        return _end(settings, job_id, worker, error, beat)
    finally:
        beat.stop()


def _end(settings: Settings, job_id: int, worker: str, error: Exception, beat: Heartbeat) -> str:
    checkpoint = _checkpoint(settings, job_id)
    if isinstance(error, Cancelled) and beat.lost.is_set():
        beat.refund_if_cut_off()
        return "lost the job (re-queued elsewhere); stopped"
    if isinstance(error, Cancelled):
        persist(settings, lambda s: lifecycle.mark_cancelled(s, job_id, worker), beat)
        checkpoint_files.discard(checkpoint)
        return "cancelled"
    if isinstance(error, (CheckpointWriteFailed, *UNREACHABLE)):
        # The storage's or the database's fault, not the job's: the attempt counts, the job goes
        # back to the queue, and resumes from its last checkpoint that was written.
        reason = (
            str(error) if isinstance(error, CheckpointWriteFailed) else f"{type(error).__name__}: {error}"
        )
        log.warning("job %s re-queued: %s", job_id, reason)
        persist(settings, lambda s: lifecycle.requeue(s, job_id, worker, reason), beat)
        return f"re-queued: {reason}"
    if isinstance(error, SoftTimeLimitExceeded):
        reason = f"exceeded the time limit of {settings.job_time_limit_s} s"
    elif isinstance(error, OutOfMemory):
        reason = f"out of memory at this batch size (not retried): {error}"
    elif isinstance(error, SpecError | DatasetError | Diverged | ValueError):
        reason = str(error)
    else:
        log.exception("job %s failed", job_id)
        reason = f"{type(error).__name__}: {error}"
    persist(settings, lambda s: lifecycle.fail(s, job_id, worker, reason), beat)
    checkpoint_files.discard(checkpoint)  # a failed job is never resumed
    return f"failed: {reason}"


def _checkpoint(settings: Settings, job_id: int) -> Path:
    return checkpoint_files.path_for(settings.checkpoint_dir, job_id)


def _sweep_checkpoints(settings: Settings) -> None:
    """Remove checkpoints no job will resume: jobs failed or cancelled elsewhere (by the
    reconciler, a claim that gave up, a cancel while queued), and interrupted temporary files."""
    try:
        removed = checkpoint_files.sweep(
            settings.checkpoint_dir, lambda ids: persist(settings, lambda s: lifecycle.active_ids(s, ids))
        )
    except OSError as error:  # an unreadable folder must not stop the job
        log.warning("checkpoint sweep of %s failed: %s", settings.checkpoint_dir, error)
        return
    if removed:
        log.info("removed %d stale checkpoint file(s): %s", len(removed), ", ".join(p.name for p in removed))


def _train(
    settings: Settings,
    job_id: int,
    worker: str,
    spec: Spec,
    params: TrainParams,
    should_stop: Callable[[], bool],
    beat: Heartbeat,
) -> dict[str, Any]:
    from worker.device import device_name, resolve_device
    from worker.reporting import ProgressReporter
    from worker.train import TrainOutcome, train

    # progress within each epoch, with the device, at most every ISOCOST_PROGRESS_INTERVAL_S
    reporter = ProgressReporter(settings, job_id, worker, beat, device_name(resolve_device("auto")))

    def on_epoch(metrics: EpochMetrics) -> None:
        if params.epochs:
            progress = metrics.epoch / params.epochs
        else:
            assert params.time_budget_s is not None  # TrainParams holds exactly one budget
            progress = metrics.elapsed_s / params.time_budget_s
        fields = _fields(metrics)
        if not persist(settings, lambda s: lifecycle.record_epoch(s, job_id, worker, fields, progress), beat):
            # No longer ours: stop before this epoch's checkpoint is written, so whoever resumes
            # the job redoes the epoch whose metrics were not recorded.
            beat.lost.set()
            raise Cancelled(f"job {job_id} was taken from this worker")

    checkpoint = _checkpoint(settings, job_id)

    def attempt() -> TrainOutcome:
        data_root = Path(settings.data_root)
        return train(
            spec,
            params,
            data_root,
            checkpoint=checkpoint,
            on_epoch=on_epoch,
            should_stop=should_stop,
            on_progress=reporter,
        )

    provenance: dict[str, Any] = {}
    try:
        outcome = attempt()
    except CheckpointCorrupt as error:
        # Resuming would fail on every attempt, and the epochs it held are lost either way: start
        # afresh and say so in the job (docs/design.md, "Checkpoints").
        discarded = f"{error}; the run started afresh from epoch 1"
        log.warning("job %s: %s", job_id, discarded)
        checkpoint_files.discard(checkpoint)
        persist(settings, lambda s: lifecycle.note(s, job_id, worker, discarded), beat)
        provenance["checkpoint_discarded"] = discarded
        outcome = attempt()
    provenance = {**outcome.provenance, **provenance}
    # before the job succeeds, so a succeeded job has its weights (docs/design.md, "Interchange")
    from worker.weights import keep_final_weights

    trained = spec.with_classes(outcome.provenance["dataset"]["num_classes"])
    keep_final_weights(checkpoint, trained, Path(settings.checkpoint_dir), job_id)
    return {
        "dataset": params.dataset.kind,
        "seed": params.seed,
        "top1_error": outcome.top1_error,
        "top5_error": outcome.top5_error,
        "train_seconds": outcome.train_s,
        "device": outcome.provenance.get("device_name"),
        "provenance": provenance,
        "learned": outcome.did_not_learn is None,  # reason in provenance["did_not_learn"]
    }


def _benchmark(
    settings: Settings,
    job_id: int,
    worker: str,
    spec: Spec,
    params: BenchmarkParams,
    should_stop: Callable[[], bool],
    beat: Heartbeat,
) -> dict[str, Any]:
    from worker.benchmark import benchmark

    persist(settings, lambda s: lifecycle.heartbeat(s, job_id, worker, progress=0.05), beat)
    outcome = benchmark(
        spec,
        params,
        should_stop=should_stop,
        max_cv=settings.benchmark_noisy_cv,
        max_load=settings.benchmark_noisy_load,
    )
    return {
        "latency_ms": outcome.latency.median_s * 1e3,
        "throughput": outcome.throughput.images_per_s,
        "device": outcome.provenance.get("device_name"),
        "provenance": outcome.provenance,
        # app.jobs.results.BenchmarkDetails, the schema the API and the figures read back
        "details": outcome.model_dump(mode="json", exclude={"provenance"}),
    }


def _calibrate(
    settings: Settings,
    job_id: int,
    worker: str,
    params: CalibrateParams,
    should_stop: Callable[[], bool],
    beat: Heartbeat,
) -> str:
    """Time the grid, fit the model, and store the profile as the job succeeds (one commit)."""
    from app.jobs.calibration import complete_calibration
    from worker.calibrate import calibrate
    from worker.reporting import ProgressReporter

    reporter = ProgressReporter(settings, job_id, worker, beat, None)
    profile = calibrate(params, should_stop, on_progress=lambda fraction: reporter(0.95 * fraction))
    if not persist(settings, lambda s: complete_calibration(s, job_id, worker, profile), beat):
        beat.refund_if_cut_off()
        return "lost the job before finishing; another attempt owns it"
    return "succeeded"


def _fields(metrics: EpochMetrics) -> dict[str, float]:
    keys = ("epoch", "train_loss", "val_loss", "top1_error", "top5_error", "images_per_s", "lr", "elapsed_s")
    return {key: getattr(metrics, key) for key in keys}
