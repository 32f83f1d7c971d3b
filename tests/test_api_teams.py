"""Teams (admin-created) and tokens: shown once, listed by prefix, revocable at once."""

from __future__ import annotations

import uuid

import pytest

ADMIN = {"Authorization": "Bearer admin-secret-for-tests"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_admin_creates_a_team_whose_token_works(client) -> None:
    name = f"lab-{uuid.uuid4().hex[:8]}"
    response = client.post("/api/v1/teams", json={"name": name}, headers=ADMIN)
    assert response.status_code == 201
    created = response.json()
    assert created["name"] == name and created["token"].startswith("iso_")
    me = client.get("/api/v1/teams/me", headers=bearer(created["token"]))
    assert me.status_code == 200 and me.json() == {"id": created["id"], "name": name}
    again = client.post("/api/v1/teams", json={"name": name}, headers=ADMIN)
    assert again.status_code == 409 and again.json()["field"] == "name"


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"Authorization": "Bearer not-the-admin"}, 403), ({"Authorization": "Basic abc"}, 401)],
)
def test_only_the_admin_creates_teams(client, team, headers, status) -> None:
    response = client.post("/api/v1/teams", json={"name": f"x-{uuid.uuid4().hex[:6]}"}, headers=headers)
    assert response.status_code == status and response.json()["field"] == "authorization"
    # a team token is not the admin token either
    response = client.post("/api/v1/teams", json={"name": f"x-{uuid.uuid4().hex[:6]}"}, headers=team.headers)
    assert response.status_code == 403


@pytest.mark.parametrize("name", ["", "has space", "x" * 65, "semi;colon", "ümlaut", None, 5])
def test_team_names_are_checked(client, name) -> None:
    response = client.post("/api/v1/teams", json={"name": name}, headers=ADMIN)
    assert response.status_code == 422 and response.json()["field"] == "name"


def test_me_needs_a_valid_token(client) -> None:
    assert client.get("/api/v1/teams/me").status_code == 401
    response = client.get("/api/v1/teams/me", headers=bearer("iso_" + "x" * 43))
    assert response.status_code == 401 and response.json()["detail"].startswith("authorization:")
    assert response.headers["www-authenticate"] == "Bearer"


def test_tokens_are_shown_once_and_listed_by_prefix(client, team) -> None:
    response = client.post("/api/v1/tokens", json={"label": "  laptop  "}, headers=team.headers)
    assert response.status_code == 201
    created = response.json()
    assert created["label"] == "laptop" and created["revoked_at"] is None
    assert created["token"].startswith(created["prefix"]) and len(created["prefix"]) == 12
    assert client.get("/api/v1/teams/me", headers=bearer(created["token"])).json()["id"] == team.id

    listed = client.get("/api/v1/tokens", headers=team.headers).json()
    assert [t["label"] for t in listed] == ["initial", "laptop"]
    assert all("token" not in t and "token_hash" not in t for t in listed)
    assert listed[0]["prefix"] == team.token[:12]


def test_revoked_token_stops_working_at_once(client, team) -> None:
    second = client.post("/api/v1/tokens", json={"label": "ci"}, headers=team.headers).json()
    assert client.delete(f"/api/v1/tokens/{second['id']}", headers=team.headers).status_code == 204
    response = client.get("/api/v1/teams/me", headers=bearer(second["token"]))
    assert response.status_code == 401 and "revoked" in response.json()["detail"]
    listed = {t["id"]: t for t in client.get("/api/v1/tokens", headers=team.headers).json()}
    assert listed[second["id"]]["revoked_at"] is not None
    # revoking again is harmless
    assert client.delete(f"/api/v1/tokens/{second['id']}", headers=team.headers).status_code == 204


def test_a_team_can_revoke_the_token_it_is_using(client, team) -> None:
    spare = client.post("/api/v1/tokens", json={"label": "spare"}, headers=team.headers).json()
    first_id = client.get("/api/v1/tokens", headers=team.headers).json()[0]["id"]
    assert client.delete(f"/api/v1/tokens/{first_id}", headers=team.headers).status_code == 204
    assert client.get("/api/v1/teams/me", headers=team.headers).status_code == 401
    assert client.get("/api/v1/teams/me", headers=bearer(spare["token"])).status_code == 200


def test_the_last_working_token_cannot_be_revoked(client, team) -> None:
    first_id = client.get("/api/v1/tokens", headers=team.headers).json()[0]["id"]
    response = client.delete(f"/api/v1/tokens/{first_id}", headers=team.headers)
    assert response.status_code == 409 and response.json()["field"] == "token_id"
    assert client.get("/api/v1/teams/me", headers=team.headers).status_code == 200


def test_tokens_of_other_teams_look_absent(client, team, other_team) -> None:
    theirs = client.get("/api/v1/tokens", headers=other_team.headers).json()[0]["id"]
    response = client.delete(f"/api/v1/tokens/{theirs}", headers=team.headers)
    assert response.status_code == 404 and response.json()["field"] == "token_id"
    assert client.get("/api/v1/teams/me", headers=other_team.headers).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "label"),
        ({"label": ""}, "label"),
        ({"label": "x" * 65}, "label"),
        ({"label": "a\x00b"}, "label"),
        ({"label": "ok", "extra": 1}, "extra"),
    ],
)
def test_token_labels_are_checked(client, team, body, field) -> None:
    response = client.post("/api/v1/tokens", json=body, headers=team.headers)
    assert response.status_code == 422 and response.json()["field"] == field


@pytest.mark.parametrize("token_id", ["0", "-1", "abc", str(2**31), str(10**30)])
def test_token_ids_out_of_range_are_422(client, team, token_id) -> None:
    response = client.delete(f"/api/v1/tokens/{token_id}", headers=team.headers)
    assert response.status_code == 422 and response.json()["field"] == "path.token_id"
