"""The Celery task. Importing this module must stay cheap and torch-free: torch is imported inside
the task, in the forked child, so the worker's parent process never initialises CUDA."""

from __future__ import annotations

import multiprocessing

from sqlalchemy.exc import OperationalError

from app.jobs.broker import RUN_JOB, celery_app
from app.settings import get_settings

app = celery_app(get_settings())


@app.task(name=RUN_JOB, bind=True)
def run_job(self, job_id: int) -> str:
    from worker.runner import run

    # Pool children are daemonic, and daemonic processes may not start the DataLoader's worker
    # processes (celery/celery#1709). This child is discarded after the job (one task per child).
    multiprocessing.current_process().daemon = False
    try:
        return run(get_settings(), job_id, self.request.hostname)
    except OperationalError as error:  # the database is unreachable: infrastructure, so retry with back-off
        raise self.retry(exc=error, countdown=min(60, 2**self.request.retries), max_retries=5) from error
