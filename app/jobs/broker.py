"""The one Celery app, configured from the settings: the API sends with it, workers run with it.

The settings follow Celery's advice for long GPU jobs (docs/design.md, "Celery for long jobs"):
late acks and prefetch 1, so a job is taken by one worker at a time and redelivered if that worker
dies; reject-on-worker-lost with a retry cap kept in the database (jobs.attempts); a visibility
timeout longer than the longest job; soft and hard time limits; a fresh child per task.
"""

from __future__ import annotations

from functools import cache

from celery import Celery
from kombu.entity import Exchange, Queue

from app.settings import Settings

RUN_JOB = "isocost.run_job"
QUEUES = ("gpu", "cpu")
EMBEDDED_POLL_S = 0.05  # kombu's SQLAlchemy transport polls; its default (1 s) adds a second a job


def is_embedded(broker_url: str) -> bool:
    return broker_url.startswith("sqla+")


@cache
def _celery(broker_url: str, time_limit: int, visibility_timeout: int) -> Celery:
    if is_embedded(broker_url):
        from kombu.transport import sqlalchemy

        # A class attribute, not a transport option: passing it as an option crashes the worker.
        sqlalchemy.Transport.polling_interval = EMBEDDED_POLL_S
    app = Celery("isocost", broker=broker_url, set_as_current=False)
    app.conf.update(
        # Each queue its own exchange and routing key. Bare Queue(name) binds both to the default
        # ("cpu") exchange and key, and only Celery's direct-to-queue shortcut kept jobs apart.
        task_queues=[Queue(name, Exchange(name, type="direct"), routing_key=name) for name in QUEUES],
        task_default_queue="cpu",
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_max_tasks_per_child=1,
        task_time_limit=time_limit,
        task_soft_time_limit=max(time_limit - 30, 1),
        # Redis redelivers unacknowledged jobs after this; the SQLAlchemy transport takes no options.
        broker_transport_options={}
        if is_embedded(broker_url)
        else {"visibility_timeout": visibility_timeout},
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=3,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
    )
    return app


def celery_app(settings: Settings) -> Celery:
    return _celery(settings.broker_url, settings.job_time_limit_s, settings.broker_visibility_timeout_s)


def send(settings: Settings, job_id: int, queue: str) -> None:
    """Put a job on its queue; raises at once if the broker cannot be reached (no retries here:
    the job row stays unsent and the reconciler sends it later)."""
    app = celery_app(settings)
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=0, timeout=2)  # fail fast, not after redis-py's retries
        app.send_task(RUN_JOB, args=[job_id], queue=queue, retry=False, connection=connection)


def broker_reachable(settings: Settings) -> tuple[bool, str]:
    try:
        with celery_app(settings).connection_for_write() as connection:
            connection.ensure_connection(max_retries=0, timeout=2)
        return True, "ok"
    except Exception as error:  # any transport error means "not reachable"
        return False, f"{type(error).__name__}: {error}"
