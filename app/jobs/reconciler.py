"""The API's background sweep: re-queue jobs of dead workers, send jobs the broker missed."""

from __future__ import annotations

import logging
import threading

from app.db import session_scope
from app.jobs import lifecycle
from app.jobs.broker import send
from app.settings import Settings

log = logging.getLogger("isocost.reconciler")


def sweep(settings: Settings) -> None:
    with session_scope(settings.database_url) as session:
        for job_id, status in lifecycle.reconcile(
            session, settings.heartbeat_timeout_s, settings.max_attempts
        ):
            log.warning("job %s: worker silent, now %s", job_id, status)
        pending = [(job.id, job.queue) for job in lifecycle.unsent(session)]
    for job_id, queue in pending:
        try:
            send(settings, job_id, queue)
        except Exception as error:  # broker still down: try again next sweep
            log.info("broker unreachable, %d job(s) wait: %s", len(pending), error)
            return
        with session_scope(settings.database_url) as session:
            lifecycle.mark_sent(session, job_id)


class Reconciler(threading.Thread):
    def __init__(self, settings: Settings) -> None:
        super().__init__(name="isocost-reconciler", daemon=True)
        self.settings = settings
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(self.settings.reconcile_interval_s):
            try:
                sweep(self.settings)
            except Exception:  # a database hiccup must not kill the loop
                log.exception("reconciler sweep failed")

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=5)
