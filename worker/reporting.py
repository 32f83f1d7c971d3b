"""A running job's progress within an epoch, written to the job at most every
ISOCOST_PROGRESS_INTERVAL_S seconds (docs/design.md, "Job lifecycle"): training calls the
reporter after every batch, and most calls only compare two clock readings."""

from __future__ import annotations

import time
from collections.abc import Callable

from app.jobs import lifecycle
from app.settings import Settings
from worker.liveness import Heartbeat, persist


class ProgressReporter:
    """`reporter(fraction)`: store the job's progress (and the device it runs on) if the last write
    is at least `interval_s` old. The first call writes at once, so the device shows early."""

    def __init__(
        self,
        settings: Settings,
        job_id: int,
        worker: str,
        beat: Heartbeat,
        device: str | None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings, self.job_id, self.worker, self.beat = settings, job_id, worker, beat
        self.device, self.clock = device, clock
        self.last: float | None = None
        self.writes = 0

    def __call__(self, fraction: float) -> None:
        now = self.clock()
        if self.last is not None and now - self.last < self.settings.progress_interval_s:
            return
        self.last = now
        self.writes += 1
        job_id, worker, device = self.job_id, self.worker, self.device
        if not persist(
            self.settings, lambda s: lifecycle.heartbeat(s, job_id, worker, fraction, device), self.beat
        ):
            self.beat.lost.set()  # no longer ours: should_stop() ends the run before the next batch
