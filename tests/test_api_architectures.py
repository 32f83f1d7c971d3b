"""Saved architectures: cost and canonical notation computed on save, duplicates reported,
search and pagination, visibility (private to the team until published), and deletion rules."""

from __future__ import annotations

import uuid

import pytest

from app.arch.analysis import analyse
from app.arch.notation import format_spec, parse
from app.arch.presets import presets
from tests.conftest import make_team
from tests.jobs_support import add_job

URL = "/api/v1/architectures"


def unique(prefix: str = "arch") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def save(client, login, **body) -> dict:
    body.setdefault("name", unique())
    if not any(key in body for key in ("spec", "notation", "preset")):
        body["preset"] = "A-s36"
    response = client.post(URL, json=body, headers=login.headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_create_computes_cost_notation_and_hash(client, team) -> None:
    out = save(client, team, notation="(3,16) + pool 3 | (3,32)x2", input={"height": 36, "width": 36})
    spec = parse("(3,16) + pool 3 | (3,32)x2", presets()["A-s36"].spec.input)
    assert out["conv_macs"] == analyse(spec).conv_macs
    assert out["notation"] == format_spec(spec) == "(3,16) + pool 3 | (3,32)x2"
    assert out["spec"]["name"] == out["name"] and out["spec"]["input"]["height"] == 36
    assert out["owned"] is True and out["in_use"] is False and out["published"] is False
    assert out["team_id"] == team.id and out["team_name"] == team.name
    assert len(out["spec_hash"]) == 64 and out["duplicates"] == []
    assert out["parent_id"] is None and out["created_at"] and out["updated_at"]


def test_same_spec_is_reported_as_duplicate_whatever_the_form_or_name(client, team, other_team) -> None:
    first = save(client, team, preset="C-s36")
    spelled_out = presets()["C-s36"].notation.replace("(3,32)x2", "(3,32) + (3,32)")
    assert spelled_out != presets()["C-s36"].notation
    second = save(client, team, notation=spelled_out, input={"height": 36, "width": 36})
    assert second["spec_hash"] == first["spec_hash"]
    assert second["duplicates"] == [{"id": first["id"], "name": first["name"]}]
    # another team's copy is not a duplicate of yours
    assert save(client, other_team, preset="C-s36")["duplicates"] == []
    # a different input size is a different network
    other = save(client, team, notation=spelled_out, input={"height": 40, "width": 40})
    assert other["spec_hash"] != first["spec_hash"] and other["duplicates"] == []


def test_names_are_unique_per_team(client, team, other_team) -> None:
    name = unique()
    save(client, team, name=name)
    response = client.post(URL, json={"name": name, "preset": "B-s36"}, headers=team.headers)
    assert response.status_code == 409 and response.json()["field"] == "name"
    save(client, other_team, name=name)  # fine in another team


def test_parent_must_be_visible(client, team, other_team) -> None:
    mine = save(client, team)
    theirs_private = save(client, other_team)
    theirs_public = save(client, other_team, published=True)
    assert save(client, team, parent_id=mine["id"])["parent_id"] == mine["id"]
    assert save(client, team, parent_id=theirs_public["id"])["parent_id"] == theirs_public["id"]
    for parent in (theirs_private["id"], 2**31 - 1):
        response = client.post(
            URL, json={"name": unique(), "preset": "A-s36", "parent_id": parent}, headers=team.headers
        )
        assert response.status_code == 422 and response.json()["field"] == "parent_id"
        assert f"no architecture {parent}" in response.json()["detail"]


def test_list_paginates_newest_first(client, settings) -> None:
    login = make_team(settings)
    made = [save(client, login, name=f"p{i}") for i in range(5)]
    page1 = client.get(URL, params={"per_page": 2}, headers=login.headers).json()
    page3 = client.get(URL, params={"per_page": 2, "page": 3}, headers=login.headers).json()
    assert page1["total"] == 5 and page1["page"] == 1 and page1["per_page"] == 2
    assert [a["name"] for a in page1["items"]] == ["p4", "p3"]
    assert [a["id"] for a in page3["items"]] == [made[0]["id"]]
    beyond = client.get(URL, params={"page": 9}, headers=login.headers).json()
    assert beyond["items"] == [] and beyond["total"] == 5


def test_search_by_name_or_notation(client, settings) -> None:
    login = make_team(settings)
    save(client, login, name="Deep_thin", notation="(3,8)x4", input={"height": 16, "width": 16})
    save(client, login, name="wide 100%", notation="(5,64)", input={"height": 16, "width": 16})

    def names(q: str) -> set[str]:
        items = client.get(URL, params={"q": q}, headers=login.headers).json()["items"]
        return {a["name"] for a in items}

    assert names("deep") == {"Deep_thin"}  # any case
    assert names("(5,64") == {"wide 100%"}  # notation
    assert names("100%") == {"wide 100%"}  # LIKE wildcards are literal
    assert names("ee_") == set() and names("p_t") == {"Deep_thin"}
    assert names("") == {"Deep_thin", "wide 100%"}


def test_scope_public_adds_published_of_others_only(client, team, other_team) -> None:
    tag = uuid.uuid4().hex[:8]
    mine = save(client, team, name=f"mine-{tag}")
    public = save(client, other_team, name=f"pub-{tag}", published=True)
    save(client, other_team, name=f"priv-{tag}")

    def names(scope: str) -> set[str]:
        page = client.get(URL, params={"q": tag, "scope": scope}, headers=team.headers).json()
        return {a["name"] for a in page["items"]}

    assert names("team") == {mine["name"]}
    assert names("public") == {mine["name"], public["name"]}
    listed = client.get(URL, params={"q": f"pub-{tag}", "scope": "public"}, headers=team.headers).json()
    assert listed["items"][0]["owned"] is False and listed["items"][0]["team_name"] == other_team.name


def test_get_respects_visibility(client, team, other_team) -> None:
    private = save(client, other_team)
    public = save(client, other_team, published=True)
    response = client.get(f"{URL}/{private['id']}", headers=team.headers)
    assert response.status_code == 404 and response.json()["field"] == "architecture_id"
    seen = client.get(f"{URL}/{public['id']}", headers=team.headers).json()
    assert seen["owned"] is False and seen["name"] == public["name"]
    assert client.get(f"{URL}/{private['id']}", headers=other_team.headers).json()["owned"] is True


def test_rename_and_publish(client, team) -> None:
    out = save(client, team)
    new_name = unique("renamed")
    response = client.patch(f"{URL}/{out['id']}", json={"name": new_name}, headers=team.headers)
    assert response.status_code == 200
    renamed = response.json()
    assert renamed["name"] == renamed["spec"]["name"] == new_name and renamed["published"] is False
    assert renamed["spec_hash"] == out["spec_hash"] and renamed["updated_at"] >= out["updated_at"]
    published = client.patch(f"{URL}/{out['id']}", json={"published": True}, headers=team.headers).json()
    assert published["published"] is True and published["name"] == new_name
    assert client.patch(f"{URL}/{out['id']}", json={}, headers=team.headers).json()["name"] == new_name

    taken = save(client, team)["name"]
    response = client.patch(f"{URL}/{out['id']}", json={"name": taken}, headers=team.headers)
    assert response.status_code == 409 and response.json()["field"] == "name"


def test_a_name_taken_concurrently_is_a_409(client, team, monkeypatch) -> None:
    """Another request can take the name between the service's check and its commit: the unique
    constraint then fails the commit, which must still be the 409, not a 500."""
    from app.architectures import service

    taken = save(client, team)["name"]
    other = save(client, team)
    monkeypatch.setattr(service, "_name_taken", lambda *args, **kwargs: False)  # the check misses it
    for response in (
        client.post(URL, json={"name": taken, "preset": "A-s36"}, headers=team.headers),
        client.patch(f"{URL}/{other['id']}", json={"name": taken}, headers=team.headers),
    ):
        assert response.status_code == 409, response.text
        assert response.json()["detail"] == f"name: your team already has an architecture named {taken!r}"
    assert client.get(f"{URL}/{other['id']}", headers=team.headers).json()["name"] == other["name"]


def test_others_cannot_change_or_delete(client, team, other_team) -> None:
    private = save(client, other_team)
    public = save(client, other_team, published=True)
    for method in ("patch", "delete"):
        kwargs = {"json": {"name": "x"}} if method == "patch" else {}
        assert (
            client.request(method, f"{URL}/{private['id']}", headers=team.headers, **kwargs).status_code
            == 404
        )
        response = client.request(method, f"{URL}/{public['id']}", headers=team.headers, **kwargs)
        assert response.status_code == 403 and response.json()["field"] == "architecture_id"
    assert client.get(f"{URL}/{public['id']}", headers=other_team.headers).json()["name"] == public["name"]


def test_delete_only_when_no_job_used_it(client, settings, team) -> None:
    unused = save(client, team)
    assert client.delete(f"{URL}/{unused['id']}", headers=team.headers).status_code == 204
    assert client.get(f"{URL}/{unused['id']}", headers=team.headers).status_code == 404
    assert client.delete(f"{URL}/{unused['id']}", headers=team.headers).status_code == 404

    used = save(client, team)
    add_job(settings.database_url, team.id, used["id"], status="succeeded")
    assert client.get(f"{URL}/{used['id']}", headers=team.headers).json()["in_use"] is True
    response = client.delete(f"{URL}/{used['id']}", headers=team.headers)
    assert response.status_code == 409 and "used by a job" in response.json()["detail"]


def test_deleting_a_parent_keeps_the_child(client, team) -> None:
    parent = save(client, team)
    child = save(client, team, parent_id=parent["id"])
    assert client.delete(f"{URL}/{parent['id']}", headers=team.headers).status_code == 204
    assert client.get(f"{URL}/{child['id']}", headers=team.headers).json()["parent_id"] is None


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({"preset": "A-s36"}, "name", "Field required"),
        ({"name": "  ", "preset": "A-s36"}, "name", "at least 1 character"),
        ({"name": "x" * 101, "preset": "A-s36"}, "name", "at most 100 characters"),
        ({"name": "a\nb", "preset": "A-s36"}, "name", "control characters"),
        ({"name": "x"}, None, "give exactly one of spec, notation or preset"),
        ({"name": "x", "notation": "(3,8"}, "notation", "at position 4"),
        ({"name": "x", "preset": "Z"}, "preset", "no preset 'Z'"),
        (
            {"name": "x", "spec": {"layers": [{"type": "conv", "filters": 0, "size": 3}]}},
            "spec.layers[0].filters",
            "",
        ),
        ({"name": "x", "preset": "A", "parent_id": 0}, "parent_id", "greater than or equal to 1"),
        ({"name": "x", "preset": "A", "parent_id": 2**40}, "parent_id", "less than or equal to"),
        ({"name": "x", "preset": "A", "published": "maybe"}, "published", "valid boolean"),
        ({"name": "x", "preset": "A", "owner": 1}, "owner", "Extra inputs"),
    ],
)
def test_bad_create_names_the_field(client, team, body, field, fragment) -> None:
    response = client.post(URL, json=body, headers=team.headers)
    assert response.status_code == 422
    assert response.json()["field"] == field and fragment in response.json()["detail"]
