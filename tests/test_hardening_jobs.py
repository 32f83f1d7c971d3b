"""Jobs that never get stuck (issue "Hardening", items 16 and 17): a broker that lost its messages,
a database outage, a worker cut off from the database. Real processes: uvicorn, Celery workers,
a private redis-server, PostgreSQL behind a proxy that the test cuts."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import httpx
import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.db import session_scope, utcnow
from app.jobs import lifecycle
from app.jobs.models import Job, Metric, Result
from app.main import create_app
from app.settings import Settings
from tests.conftest import make_team, require
from tests.jobs_support import add_architecture, add_job
from tests.outage import PG_PORT, TcpProxy, pg_schema, pg_url
from tests.stack import Api, e2e_settings, free_port, wait_for

# Small and quick on a loaded CPU: 32 training images, 90 validation images.
QUICK = {"dataset": {"kind": "digits"}, "max_train_images": 32, "batch_size": 16, "val_fraction": 0.05}


def job_row(settings: Settings, job_id: int) -> tuple[Job, list[int], int]:
    with session_scope(settings.database_url) as session:
        job = session.get_one(Job, job_id)
        epochs = list(
            session.scalars(select(Metric.epoch).where(Metric.job_id == job_id).order_by(Metric.epoch))
        )
        results = session.scalar(select(func.count()).select_from(Result).where(Result.job_id == job_id)) or 0
        session.expunge_all()
    return job, epochs, results


def _succeeded_once(api: Api, settings: Settings, job_id: int, epochs: int, **wait) -> None:
    """The job succeeded on its first attempt, every epoch's metrics and one result stored."""
    done = api.wait(job_id, **wait)
    assert done["status"] == "succeeded", done["error"]
    row, stored, results = job_row(settings, job_id)
    assert (row.attempts, stored, results) == (1, list(range(1, epochs + 1)), 1)


# ---------------------------------------------------------------------------------------------
# 16. A lost broker message


def test_sent_but_unclaimed_jobs_are_due_again(settings, team) -> None:
    """lifecycle.unsent with a resend delay: never sent, or sent that long ago and still queued."""
    url = settings.database_url
    arch = add_architecture(url, team.id)
    long_ago = utcnow() - timedelta(seconds=600)
    unsent = add_job(url, team.id, arch)
    lost = add_job(url, team.id, arch, enqueued_at=long_ago)
    recent = add_job(url, team.id, arch, enqueued_at=utcnow())
    running = add_job(url, team.id, arch, status="running", enqueued_at=long_ago)
    with session_scope(url) as session:
        due = {job.id for job in lifecycle.unsent(session, resend_after_s=300, limit=10_000)}
        assert {unsent, lost} <= due and not {recent, running} & due
        assert lost not in {job.id for job in lifecycle.unsent(session, limit=10_000)}  # no delay: never


@pytest.mark.slow
def test_flushed_redis_loses_no_job(stacks, tmp_path) -> None:
    """Redis forgets a queued job's message (FLUSHDB): the reconciler sends it again after
    ISOCOST_RESEND_AFTER_S, the worker runs it once, and the duplicates are refused."""
    require(shutil.which("redis-server") is not None, "redis-server")
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        wait_for(lambda: _pings(port), 10, what="redis-server")
        settings = e2e_settings(tmp_path, f"redis://127.0.0.1:{port}/7", resend_after_s=2)
        stack = stacks(settings)
        stack.start_api()
        api = Api(stack, make_team(settings).headers)
        (job,) = api.submit(api.architecture("A-s36"), "train", {**QUICK, "epochs": 1})
        assert job["enqueued_at"] is not None
        broker = redis.Redis(port=port, db=7)
        assert broker.llen("cpu") >= 1  # (two if a sweep sent it too before submit stamped it)
        broker.flushdb()  # the message is gone; the job row still says queued and sent
        assert broker.llen("cpu") == 0
        first_sent = job_row(settings, job["id"])[0].enqueued_at
        wait_for(lambda: broker.llen("cpu") >= 2, 60, what="the job sent again, twice")
        assert job_row(settings, job["id"])[0].enqueued_at > first_sent
        stack.start_worker()
        _succeeded_once(api, settings, job["id"], epochs=1)
        wait_for(lambda: broker.llen("cpu") == 0, 60, what="the duplicates consumed")
        assert job_row(settings, job["id"])[0].attempts == 1  # refused by the conditional claim
    finally:
        server.terminate()
        server.wait(10)


def _pings(port: int) -> bool:
    try:
        return bool(redis.Redis(port=port).ping())
    except redis.ConnectionError:
        return False


# ---------------------------------------------------------------------------------------------
# 17. Database outage


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/jobs", {"architecture_id": 1, "kind": "train", "params": {**QUICK, "epochs": 1}}),
        ("/api/v1/architectures", {"name": "a", "preset": "A"}),
    ],
)
def test_database_down_is_503_with_retry_after(tmp_path, path, body) -> None:
    """Nothing listens where the database should be: 503 naming the database, with Retry-After."""
    refused = Settings(
        database_url=f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test",
        broker_url=f"sqla+sqlite:///{tmp_path / 'broker.db'}",
    )
    client = TestClient(create_app(refused), raise_server_exceptions=False)  # no lifespan: no reconciler
    response = client.post(path, headers={"Authorization": "Bearer iso_x"}, json=body)
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == "5"
    body = response.json()
    assert "database cannot be reached" in body["detail"] and body["errors"][0]["message"]


@contextmanager
def _outage(tmp_path) -> Iterator[tuple[TcpProxy, Settings, Settings]]:
    """A database of the test's own behind a proxy the test can cut: (the proxy, settings through
    it, settings direct), the same database reached through the proxy or not."""
    with pg_schema() as schema:
        proxy = TcpProxy(PG_PORT)
        proxy.up()
        direct = e2e_settings(tmp_path, "embedded").model_copy(
            update={"database_url": pg_url(PG_PORT, schema)}
        )
        try:
            yield proxy, direct.model_copy(update={"database_url": pg_url(proxy.port, schema)}), direct
        finally:
            proxy.down()  # its connections closed before the schema is dropped


def _training(api: Api, architecture: int, direct: Settings) -> dict:
    """A four-epoch training job, once its first epoch is stored."""
    (job,) = api.submit(architecture, "train", {**QUICK, "epochs": 4})
    wait_for(lambda: job_row(direct, job["id"])[1], 300, what="a first epoch")
    return job


@pytest.mark.slow
def test_database_outage_costs_no_attempt(stacks, tmp_path) -> None:
    """PostgreSQL goes away for longer than the heartbeat timeout while a job trains: the API
    answers 503 + Retry-After, the worker waits for the database instead of failing, the
    reconciler does not take it for dead, and the job finishes on its first attempt."""
    with _outage(tmp_path) as (proxy, proxied, direct):
        stack = stacks(proxied)
        stack.start_api()
        stack.start_worker()
        api = Api(stack, make_team(direct).headers)
        architecture = api.architecture("A-s36")
        job = _training(api, architecture, direct)
        proxy.down()
        try:
            response = httpx.post(
                f"{stack.url}/api/v1/jobs",
                headers=api.headers,
                json={"architecture_id": architecture, "kind": "train", "params": {**QUICK, "epochs": 1}},
                timeout=30,
            )
            assert response.status_code == 503 and response.headers["Retry-After"] == "5", response.text
            assert response.json()["detail"].startswith("the database cannot be reached")
            time.sleep(proxied.heartbeat_timeout_s + 4)  # every heartbeat of the outage is missed
        finally:
            proxy.up()
        _succeeded_once(api, direct, job["id"], epochs=4, timeout_s=600)


@pytest.mark.slow
def test_worker_cut_off_from_the_database_gets_its_attempt_back(stacks, tmp_path) -> None:
    """Only the worker loses the database (a partition): the reconciler, which still reaches it,
    re-queues the silent worker's job. Back online, the worker finds the job gone, gives the
    attempt back, and the job resumes: one attempt counted in all."""
    with _outage(tmp_path) as (proxy, proxied, direct):
        api_stack = stacks(direct)
        api_stack.start_api()
        stacks(proxied).start_worker()
        api = Api(api_stack, make_team(direct).headers)
        job = _training(api, api.architecture("A-s36"), direct)
        proxy.down()
        try:
            requeued = wait_for(
                lambda: (row := job_row(direct, job["id"])[0]).status == "queued" and row,
                60,
                what="the reconciler to re-queue the silent worker's job",
            )
            assert requeued.attempts == 1 and "re-queued" in requeued.error
        finally:
            proxy.up()
        _succeeded_once(api, direct, job["id"], epochs=4, timeout_s=600)
