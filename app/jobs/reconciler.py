"""The API's background sweep: re-queue jobs of dead workers, send jobs the broker missed or lost."""

from __future__ import annotations

import logging
import threading
import time

from app.db import UNREACHABLE, session_scope
from app.jobs import lifecycle
from app.jobs.broker import send
from app.settings import Settings

log = logging.getLogger("isocost.reconciler")


def sweep(settings: Settings, judge_heartbeats: bool = True) -> None:
    """One pass. `judge_heartbeats` False skips looking for dead workers (see Reconciler)."""
    with session_scope(settings.database_url) as session:
        if judge_heartbeats:
            for job_id, status in lifecycle.reconcile(
                session, settings.heartbeat_timeout_s, settings.max_attempts
            ):
                log.warning("job %s: worker silent, now %s", job_id, status)
        pending = [(job.id, job.queue) for job in lifecycle.unsent(session, settings.resend_after_s)]
    for job_id, queue in pending:
        try:
            send(settings, job_id, queue)
        except Exception as error:  # broker still down: try again next sweep
            log.info("broker unreachable, %d job(s) wait: %s", len(pending), error)
            return
        with session_scope(settings.database_url) as session:
            lifecycle.mark_sent(session, job_id)


class Reconciler(threading.Thread):
    """Sweeps every ISOCOST_RECONCILE_INTERVAL_S. Heartbeats missed while the database was
    unreachable prove nothing about the workers (they could not write them either), so dead
    workers are judged only once the database has answered for a whole heartbeat timeout
    (docs/design.md, "Job lifecycle"): an outage costs no job an attempt."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(name="isocost-reconciler", daemon=True)
        self.settings = settings
        self.stopping = threading.Event()
        self.reachable_since: float | None = None  # monotonic; None: unreachable, or not yet seen

    def run(self) -> None:
        while not self.stopping.wait(self.settings.reconcile_interval_s):
            self.sweep_once()

    def sweep_once(self) -> None:
        now = time.monotonic()
        judge = self.reachable_since is not None and (
            now - self.reachable_since >= self.settings.heartbeat_timeout_s
        )
        try:
            sweep(self.settings, judge_heartbeats=judge)
        except UNREACHABLE as error:
            self.reachable_since = None
            log.warning("database unreachable; dead workers are not judged until it is back: %s", error)
            return
        except Exception:  # a bug must not kill the loop
            log.exception("reconciler sweep failed")
        if self.reachable_since is None:
            self.reachable_since = now

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=5)
