"""The Celery task. Importing this module must stay cheap and torch-free: torch is imported inside
the task, in the forked child, so the worker's parent process never initialises CUDA."""

from __future__ import annotations

import multiprocessing

from celery import Task
from sqlalchemy.exc import OperationalError

from app.jobs.broker import RUN_JOB, celery_app
from app.settings import get_settings

app = celery_app(get_settings())


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
)
def run_job(self: Task, job_id: int) -> str:
    from worker.runner import run

    # Pool children are daemonic, and daemonic processes may not start the DataLoader's worker
    # processes (celery/celery#1709). This child is discarded after the job (one task per child).
    multiprocessing.current_process().daemon = False
    return run(get_settings(), job_id, self.request.hostname)
