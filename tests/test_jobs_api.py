"""Submitting, listing, reading and cancelling jobs over HTTP (no worker here: see test_worker_e2e)."""

from __future__ import annotations

import pytest

from app.db import session_scope
from app.jobs import lifecycle
from app.jobs.models import Job
from app.jobs.reconciler import sweep
from tests.conftest import make_team
from tests.jobs_support import add_architecture, add_job

TRAIN = {"dataset": {"kind": "digits"}, "epochs": 2}


def test_submit_writes_queued_jobs_one_per_seed(client, settings, team) -> None:
    arch = add_architecture(settings.database_url, team.id)
    response = client.post(
        "/api/v1/jobs",
        headers=team.headers,
        json={"architecture_id": arch, "kind": "train", "params": TRAIN, "seeds": [0, 1, 2]},
    )
    assert response.status_code == 201
    jobs = response.json()["jobs"]
    assert [job["seed"] for job in jobs] == [0, 1, 2]
    assert {job["status"] for job in jobs} == {"queued"}
    assert all(job["enqueued_at"] for job in jobs)  # the embedded broker took them
    assert jobs[0]["protocol"].startswith("digits, 2 epochs, batch 64")
    detail = client.get(f"/api/v1/jobs/{jobs[0]['id']}", headers=team.headers).json()
    assert detail["metrics"] == [] and detail["result"] is None and detail["architecture_id"] == arch


def test_list_is_paginated_and_filtered(client, settings) -> None:
    team = make_team(settings)
    arch = add_architecture(settings.database_url, team.id)
    for _ in range(5):
        add_job(settings.database_url, team.id, arch)
    add_job(settings.database_url, team.id, arch, status="succeeded")
    page = client.get("/api/v1/jobs", headers=team.headers, params={"per_page": 2, "page": 2}).json()
    assert page["total"] == 6 and len(page["items"]) == 2 and page["page"] == 2
    ids = [job["id"] for job in client.get("/api/v1/jobs", headers=team.headers).json()["items"]]
    assert ids == sorted(ids, reverse=True)
    assert (
        client.get("/api/v1/jobs", headers=team.headers, params={"status": "succeeded"}).json()["total"] == 1
    )


@pytest.mark.parametrize(
    ("body", "status", "field", "fragment"),
    [
        (
            {"kind": "train", "params": {"dataset": {"kind": "digits"}}},
            422,
            "params",
            "give exactly one of epochs or time_budget_s",
        ),
        ({"kind": "train", "params": {"epochs": 100000}}, 422, "params.epochs", "over this server's limit"),
        (
            {"kind": "train", "params": {"epochs": 1, "batch_size": 10**6}},
            422,
            "params.batch_size",
            "over this server's limit",
        ),
        (
            {"kind": "train", "params": {"epochs": 1, "dataset": {"kind": "cifar10", "path": "/etc"}}},
            422,
            "params.dataset.path",
            "relative to the data root",
        ),
        (
            {"kind": "train", "params": {"epochs": 1, "dataset": {"kind": "cifar10", "path": "a/../../b"}}},
            422,
            "params.dataset.path",
            "without '..'",
        ),
        (
            {"kind": "train", "params": {"epochs": 1, "optimizer": "adam"}},
            422,
            "params.optimizer",
            "Extra inputs",
        ),
        ({"kind": "benchmark", "params": {}, "seeds": [1]}, 422, "seeds", "training jobs only"),
        ({"kind": "evaluate", "params": {}}, 422, "kind", "'train', 'benchmark' or 'calibrate'"),
        ({"kind": "train", "params": TRAIN, "seeds": []}, 422, "seeds", "at least 1"),
        ({"kind": "train", "params": TRAIN, "queue": "tpu"}, 422, "queue", "'gpu' or 'cpu'"),
    ],
)
def test_bad_submissions_name_the_field(client, settings, team, body, status, field, fragment) -> None:
    arch = add_architecture(settings.database_url, team.id)
    response = client.post("/api/v1/jobs", headers=team.headers, json={"architecture_id": arch, **body})
    assert response.status_code == status, response.json()
    assert response.json()["field"] == field
    assert fragment in response.json()["detail"]


def test_architecture_must_be_your_own(client, settings, team, other_team) -> None:
    private = add_architecture(settings.database_url, other_team.id)
    published = add_architecture(settings.database_url, other_team.id, published=True)
    for arch, status in ((private, 422), (published, 403), (10**9, 422), (2**31, 422)):
        response = client.post(
            "/api/v1/jobs",
            headers=team.headers,
            json={"architecture_id": arch, "kind": "train", "params": TRAIN},
        )
        assert response.status_code == status
        assert response.json()["field"] == "architecture_id"


def test_input_size_and_cost_caps(client, settings, team) -> None:
    arch = add_architecture(settings.database_url, team.id, preset="A")  # 224 input
    capped = settings.model_copy(update={"max_job_input_side": 100})
    from app.exceptions import Invalid
    from app.jobs.schemas import JobRequest
    from app.jobs.service import submit
    from app.teams.models import Team

    with session_scope(settings.database_url) as session, pytest.raises(Invalid) as caught:
        submit(
            session,
            capped,
            session.get(Team, team.id),
            JobRequest(architecture_id=arch, kind="benchmark"),
        )
    assert caught.value.field == "architecture input height"


def test_queued_quota(client, settings) -> None:
    team = make_team(settings)
    arch = add_architecture(settings.database_url, team.id)
    for _ in range(settings.max_queued_jobs_per_team - 1):
        add_job(settings.database_url, team.id, arch)
    response = client.post(
        "/api/v1/jobs",
        headers=team.headers,
        json={"architecture_id": arch, "kind": "train", "params": TRAIN, "seeds": [0, 1]},
    )
    assert response.status_code == 429 and "the limit is" in response.json()["detail"]


def test_cancel(client, settings, team, other_team) -> None:
    arch = add_architecture(settings.database_url, team.id)
    queued = add_job(settings.database_url, team.id, arch)
    running = add_job(settings.database_url, team.id, arch, status="running", worker="w1")
    done = add_job(settings.database_url, team.id, arch, status="succeeded")
    assert client.post(f"/api/v1/jobs/{queued}/cancel", headers=other_team.headers).status_code == 404
    assert client.get(f"/api/v1/jobs/{queued}", headers=other_team.headers).status_code == 404
    assert client.post(f"/api/v1/jobs/{queued}/cancel", headers=team.headers).json()["status"] == "cancelled"
    flagged = client.post(f"/api/v1/jobs/{running}/cancel", headers=team.headers).json()
    assert flagged["status"] == "running" and flagged["cancel_requested"] is True
    response = client.post(f"/api/v1/jobs/{done}/cancel", headers=team.headers)
    assert response.status_code == 409 and "already succeeded" in response.json()["detail"]


def test_broker_down_job_waits_then_is_sent(client, settings, team) -> None:
    """Submission with the broker unreachable keeps the job queued and unsent; a sweep with the
    broker back sends it."""
    from fastapi.testclient import TestClient

    from app.main import create_app

    down = settings.model_copy(update={"broker_url": "redis://127.0.0.1:1/0"})
    arch = add_architecture(settings.database_url, team.id)
    with TestClient(create_app(down)) as offline:
        response = offline.post(
            "/api/v1/jobs",
            headers=team.headers,
            json={"architecture_id": arch, "kind": "train", "params": TRAIN},
        )
        assert offline.get("/healthz").status_code == 503
    job = response.json()["jobs"][0]
    assert response.status_code == 201 and job["status"] == "queued" and job["enqueued_at"] is None
    sweep(settings)
    with session_scope(settings.database_url) as session:
        assert session.get(Job, job["id"]).enqueued_at is not None


def test_lifecycle_races_and_reconciliation(settings, team) -> None:
    url = settings.database_url
    arch = add_architecture(url, team.id)
    job_id = add_job(url, team.id, arch)
    with session_scope(url) as session:
        assert lifecycle.claim(session, job_id, "w1", max_attempts=2).claimed
        assert not lifecycle.claim(session, job_id, "w2", max_attempts=2).claimed  # taken
        assert lifecycle.claim(session, job_id, "w1", max_attempts=2).claimed  # same node: its child died
        assert session.get(Job, job_id).attempts == 2
        session.get(Job, job_id).heartbeat_at = session.get(Job, job_id).heartbeat_at.replace(year=2000)
        session.commit()
        assert lifecycle.reconcile(session, timeout_s=60, max_attempts=2) == [(job_id, "failed")]
        assert "gave up after 2 attempts" in session.get(Job, job_id).error

    job_id = add_job(url, team.id, arch)
    with session_scope(url) as session:
        assert lifecycle.claim(session, job_id, "w1", max_attempts=3).claimed
        session.get(Job, job_id).heartbeat_at = session.get(Job, job_id).heartbeat_at.replace(year=2000)
        session.commit()
        assert lifecycle.reconcile(session, timeout_s=60, max_attempts=3) == [(job_id, "queued")]
        assert job_id in [job.id for job in lifecycle.unsent(session)]
        assert not lifecycle.complete(
            session, job_id, "w1", {"conv_macs": 1, "provenance": {}}
        )  # no longer w1's
        assert lifecycle.claim(session, job_id, "w2", max_attempts=3).claimed
        assert not lifecycle.heartbeat(session, job_id, "w1")
        assert lifecycle.complete(session, job_id, "w2", {"conv_macs": 1, "provenance": {}})
        assert not lifecycle.complete(
            session, job_id, "w2", {"conv_macs": 1, "provenance": {}}
        )  # one result only
        assert session.get(Job, job_id).status == "succeeded"
