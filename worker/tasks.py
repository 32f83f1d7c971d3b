"""The Celery task. Importing this module stays cheap and torch-free; the worker's main process
imports torch once it starts (`_import_torch`), before it forks a child per job, and only
children ever touch CUDA."""

from __future__ import annotations

import logging
import multiprocessing
import re
from typing import Any

from billiard.einfo import ExceptionInfo, ExceptionWithTraceback
from billiard.exceptions import WorkerLostError
from celery import Task
from celery.signals import worker_init, worker_process_init
from celery.worker.request import Request
from sqlalchemy.exc import OperationalError

from app import models  # noqa: F401  (every table, so foreign keys resolve)
from app.db import session_factory, session_scope
from app.jobs import lifecycle
from app.jobs.broker import RUN_JOB, celery_app
from app.settings import get_settings

app = celery_app(get_settings())
log = logging.getLogger("isocost.worker")


class JobRequest(Request):
    """A job's message in the worker's main process. When the pool process running the job dies
    (the kernel's OOM killer, a crash in native code, a SIGKILL), the cause is written into the
    job before the message is requeued, so the next claim, the reconciler and a final "gave up"
    name it instead of "None" (docs/design.md, "Celery for long jobs")."""

    def on_failure(
        self, exc_info: ExceptionInfo, send_failed_event: bool = True, return_ok: bool = False
    ) -> Any:
        error = exc_info.exception
        if isinstance(error, ExceptionWithTraceback):  # how billiard hands it over from the pool
            error = error.exc
        if isinstance(error, WorkerLostError) and self.args:
            _record_death(int(self.args[0]), self.hostname, str(error))
        return super().on_failure(exc_info, send_failed_event, return_ok)


def _record_death(job_id: int, worker: str, message: str) -> None:
    # "Worker exited prematurely: signal 9 (SIGKILL) Job: 0." -> "signal 9 (SIGKILL)"
    status = re.sub(r"^Worker exited prematurely: |\s*Job: \d+\.$", "", message).rstrip(".")
    cause = f"the worker process running it died: {status}"
    try:
        with session_scope(get_settings().database_url) as session:
            lifecycle.record_death(session, job_id, worker, cause)
    except Exception as error:  # the database may be down too; the reconciler still names silence
        log.warning("job %s: could not record that %s: %s", job_id, cause, error)


@worker_init.connect
def _import_torch(**_: Any) -> None:
    """Import what every job imports in the main process, which forks a fresh child per job: a
    child that imported them itself spent about 8 s of each job on it (torch 2.8 s, torch._dynamo,
    which every optimizer's constructor imports, 2.7 s, the runner 1.3 s, scikit-learn's datasets
    1.7 s, on the 2-core AMD development machine). Importing initialises no CUDA: a CUDA context exists
    only once a child asks for a device, and children are forked, never sharing one."""
    import sklearn.datasets  # noqa: F401  (the built-in digits)
    import torch._dynamo  # noqa: F401

    import worker.runner  # noqa: F401


@worker_process_init.connect
def _own_connections(**_: Any) -> None:
    """A pool process is forked from the main one, which may hold pooled database connections
    (JobRequest writes with them): never share a connection across processes (SQLAlchemy,
    "Using Connection Pools with Multiprocessing or os.fork()")."""
    session_factory(get_settings().database_url).kw["bind"].dispose(close=False)


# Only OperationalError (the database is unreachable) is retried: that is infrastructure, and it
# may come back. Whatever the job itself gets wrong fails it once, in the runner (docs/design.md,
# "Job lifecycle"). Waits of 1, 2, 4, 8, 16 s, without jitter: a few workers cannot swamp the
# database, and fixed waits read plainly in the logs.
@app.task(
    name=RUN_JOB,
    bind=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=60,
    retry_jitter=False,
    max_retries=5,
    Request=JobRequest,
)
def run_job(self: Task, job_id: int) -> str:
    from worker.runner import run

    # Pool children are daemonic, and daemonic processes may not start the DataLoader's worker
    # processes (celery/celery#1709). This child is discarded after the job (one task per child).
    multiprocessing.current_process().daemon = False
    return run(get_settings(), job_id, self.request.hostname)
