"""A running job's line to the database: its heartbeat, its cancel flag, and writes that wait out
a database outage instead of failing the job (docs/design.md, "Job lifecycle").

A worker that cannot reach the database is not dead: it keeps its job and its place in training,
waits for the database, and writes when it is back. If the reconciler re-queued the job meanwhile
(it could not tell a cut-off worker from a dead one), the worker gives the attempt back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from app.db import UNREACHABLE, session_scope
from app.jobs import lifecycle
from app.settings import Settings

log = logging.getLogger("isocost.worker")
CANCEL_POLL_S = 0.1  # how often should_stop() asks the database; it is called before every batch
FIRST_WAIT_S = 0.2  # then doubling, up to the heartbeat interval

T = TypeVar("T")


class Heartbeat(threading.Thread):
    """Tells the database this worker is alive; notices when the job is no longer ours.

    `cut_off` is True while the database cannot be reached (by the beats or by the runner's own
    writes); a job lost in that state was taken from a live worker, not a dead one."""

    def __init__(self, settings: Settings, job_id: int, worker: str) -> None:
        super().__init__(name=f"heartbeat-{job_id}", daemon=True)
        self.settings, self.job_id, self.worker = settings, job_id, worker
        self.stopping = threading.Event()
        self.lost = threading.Event()
        self.cut_off = False
        self._refunded = False

    def run(self) -> None:
        while not self.stopping.wait(self.settings.heartbeat_interval_s):
            try:
                with session_scope(self.settings.database_url) as session:
                    if not lifecycle.heartbeat(session, self.job_id, self.worker):
                        self.lost.set()
                        return
                self.cut_off = False
            except UNREACHABLE as error:  # the database may be back next beat
                self.cut_off = True
                log.warning("heartbeat for job %s: database unreachable: %s", self.job_id, error)
            except Exception:
                log.exception("heartbeat for job %s failed", self.job_id)

    def stop(self) -> None:
        self.stopping.set()

    def refund_if_cut_off(self) -> None:
        """The job was taken from us: if we had been cut off from the database, give the attempt
        back (lifecycle.refund_attempt), once."""
        if self.cut_off and not self._refunded:
            self._refunded = True
            if persist(self.settings, lambda s: lifecycle.refund_attempt(s, self.job_id)):
                log.warning("job %s was re-queued while this worker could not reach the database; "
                            "its attempt is refunded", self.job_id)  # fmt: skip


def persist(settings: Settings, action: Callable[[Session], T], beat: Heartbeat | None = None) -> T:
    """Run `action` in its own transaction, retrying while the database cannot be reached. It
    waits as long as the outage lasts: the job cannot progress without the database, and the
    task's time limits still bound it."""
    wait = FIRST_WAIT_S
    while True:
        try:
            with session_scope(settings.database_url) as session:
                return action(session)
        except UNREACHABLE as error:
            if beat is not None:
                beat.cut_off = True
            log.warning("database unreachable, retrying in %.1f s: %s", wait, error)
            time.sleep(wait)
            wait = min(wait * 2, settings.heartbeat_interval_s)


class Stopper:
    """should_stop(): True once the job is cancelled or taken from us; asks the DB at most every
    CANCEL_POLL_S seconds. While the database cannot be reached it answers with what it last
    knew: training goes on, and the epoch's write waits for the database."""

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
            try:
                with session_scope(self.settings.database_url) as session:
                    self.cancelled = lifecycle.cancel_requested(session, self.job_id)
            except UNREACHABLE:
                self.beat.cut_off = True
        return self.cancelled
