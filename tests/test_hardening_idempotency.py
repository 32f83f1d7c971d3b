"""Idempotent submission (issue "Hardening", item 18): an `Idempotency-Key` on POST /jobs and POST
/architectures makes a retry return the first response and create nothing, on SQLite and
PostgreSQL, sequentially and concurrently."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select, update

from app.architectures.models import Architecture
from app.db import session_scope, utcnow
from app.idempotency.models import IdempotencyKey
from app.jobs.models import Job
from tests.jobs_support import add_architecture
from tests.stack import api_server

API = "/api/v1"
TRAIN = {"dataset": {"kind": "digits"}, "epochs": 1}


def count(settings, model, team_id: int) -> int:
    with session_scope(settings.database_url) as session:
        return session.scalar(select(func.count()).select_from(model).where(model.team_id == team_id)) or 0


def keyed(team, key: str) -> dict[str, str]:
    return {**team.headers, "Idempotency-Key": key}


def test_repeated_job_submission_returns_the_first_response(client, settings, team) -> None:
    arch = add_architecture(settings.database_url, team.id)
    body = {"architecture_id": arch, "kind": "train", "params": TRAIN, "seeds": [1, 2]}
    key = str(uuid.uuid4())
    first = client.post(f"{API}/jobs", headers=keyed(team, key), json=body)
    assert first.status_code == 201, first.text
    assert len(first.json()["jobs"]) == 2 and count(settings, Job, team.id) == 2
    # the same request, spelled differently (key order, a default written out)
    again = client.post(
        f"{API}/jobs", headers=keyed(team, key), json={"queue": None, **dict(reversed(body.items()))}
    )
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count(settings, Job, team.id) == 2  # nothing new
    other = client.post(f"{API}/jobs", headers=keyed(team, key), json={**body, "seeds": [3]})
    assert other.status_code == 409
    assert other.json()["field"] == "Idempotency-Key" and "different request" in other.json()["detail"]
    assert count(settings, Job, team.id) == 2
    fresh = client.post(f"{API}/jobs", headers=keyed(team, str(uuid.uuid4())), json=body)
    assert fresh.status_code == 201 and count(settings, Job, team.id) == 4  # a new key is a new request


def test_repeated_architecture_is_saved_once(client, settings, team, other_team) -> None:
    body = {"name": f"a-{uuid.uuid4().hex[:8]}", "preset": "A-s36"}
    first = client.post(f"{API}/architectures", headers=keyed(team, "k-1"), json=body)
    assert first.status_code == 201, first.text
    again = client.post(f"{API}/architectures", headers=keyed(team, "k-1"), json=body)
    assert again.status_code == 201 and again.json() == first.json()  # not "name taken"
    assert count(settings, Architecture, team.id) == 1
    # keys are per team: another team's "k-1" is its own request
    theirs = client.post(f"{API}/architectures", headers=keyed(other_team, "k-1"), json=body)
    assert theirs.status_code == 201 and theirs.json()["id"] != first.json()["id"]
    # the same key on another endpoint is another request
    job = {"architecture_id": first.json()["id"], "kind": "train", "params": TRAIN}
    assert client.post(f"{API}/jobs", headers=keyed(team, "k-1"), json=job).status_code == 409


def test_a_failed_request_leaves_its_key_free(client, settings, team) -> None:
    arch = add_architecture(settings.database_url, team.id)
    key = str(uuid.uuid4())
    over = {"architecture_id": arch, "kind": "train", "params": {**TRAIN, "epochs": 10**6}}
    refused = client.post(f"{API}/jobs", headers=keyed(team, key), json=over)
    assert refused.status_code == 422 and refused.json()["field"] == "params.epochs"
    with session_scope(settings.database_url) as session:
        assert session.scalar(select(IdempotencyKey).where(IdempotencyKey.key == key)) is None
    fixed = {"architecture_id": arch, "kind": "train", "params": TRAIN}
    assert client.post(f"{API}/jobs", headers=keyed(team, key), json=fixed).status_code == 201
    assert count(settings, Job, team.id) == 1


def test_keys_expire(client, settings, team) -> None:
    arch = add_architecture(settings.database_url, team.id)
    body = {"architecture_id": arch, "kind": "train", "params": TRAIN}
    first = client.post(f"{API}/jobs", headers=keyed(team, "daily"), json=body)
    with session_scope(settings.database_url) as session:
        row = session.scalar(select(IdempotencyKey).where(IdempotencyKey.team_id == team.id))
        assert row is not None
        ttl = row.expires_at - row.created_at
        assert ttl == timedelta(seconds=settings.idempotency_key_ttl_s)
        session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.id == row.id)
            .values(expires_at=utcnow() - timedelta(1))
        )
    later = client.post(f"{API}/jobs", headers=keyed(team, "daily"), json=body)
    assert later.status_code == 201 and later.json()["jobs"][0]["id"] != first.json()["jobs"][0]["id"]
    assert count(settings, Job, team.id) == 2


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9"])
def test_bad_keys_name_the_header(client, settings, team, key) -> None:
    arch = add_architecture(settings.database_url, team.id)
    body = {"architecture_id": arch, "kind": "train", "params": TRAIN}
    headers = {**team.headers, "Idempotency-Key": key.encode()}  # UTF-8 bytes on the wire
    response = client.post(f"{API}/jobs", headers=headers, json=body)
    assert response.status_code == 422 and response.json()["field"] == "header.Idempotency-Key"
    assert count(settings, Job, team.id) == 0


@pytest.mark.slow
def test_concurrent_repeats_create_one_job(settings, team, tmp_path) -> None:
    """Eight clients send the same keyed request at once to a real server: one job, and every
    client gets the first response."""
    arch = add_architecture(settings.database_url, team.id)
    body = {"architecture_id": arch, "kind": "train", "params": TRAIN}
    headers = keyed(team, str(uuid.uuid4()))
    with api_server(settings, tmp_path / "logs") as stack, ThreadPoolExecutor(8) as pool:

        def post(_: int) -> httpx.Response:
            return httpx.post(f"{stack.url}{API}/jobs", headers=headers, json=body, timeout=60)

        responses = list(pool.map(post, range(8)))
    assert [r.status_code for r in responses] == [201] * 8, [r.text for r in responses]
    assert len({r.text for r in responses}) == 1
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == 7
    assert count(settings, Job, team.id) == 1


def test_a_key_whose_first_request_never_finished_is_a_conflict(client, settings, team, monkeypatch) -> None:
    """The first request committed its work but its server died before storing the response:
    a repeat cannot know what it created, so it waits, then answers 409 rather than run again."""
    from app.idempotency import service
    from app.jobs.schemas import JobRequest

    monkeypatch.setattr(service, "WAIT_S", 0.3)
    arch = add_architecture(settings.database_url, team.id)
    body = {"architecture_id": arch, "kind": "train", "params": TRAIN}
    with session_scope(settings.database_url) as session:
        session.add(IdempotencyKey(team_id=team.id, key="orphan", created_at=utcnow(),
                                   request_hash=service.fingerprint("POST /jobs", JobRequest.model_validate(body)),
                                   expires_at=utcnow() + timedelta(hours=1)))  # fmt: skip
    response = client.post(f"{API}/jobs", headers=keyed(team, "orphan"), json=body)
    assert response.status_code == 409 and response.json()["field"] == "Idempotency-Key"
    assert "has not finished" in response.json()["detail"]
    assert count(settings, Job, team.id) == 0
