"""Bad input gets a 4xx JSON error naming the field, never a 500: malformed JSON, bodies of the
wrong type and oversize bodies on every endpoint that takes one, and a matrix of bad fields,
query and path parameters per endpoint, each with its status and the field it names. The
property-based contract run is tests/test_api_fuzz.py."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import ADMIN

BODY_ENDPOINTS = [
    ("post", "/api/v1/teams"),
    ("post", "/api/v1/tokens"),
    ("post", "/api/v1/architectures"),
    ("patch", "/api/v1/architectures/{arch}"),
    ("post", "/api/v1/budgets"),
    ("post", "/api/v1/jobs"),
    ("post", "/api/v1/complexity"),
    ("post", "/api/v1/replacements"),
    ("post", "/api/v1/replacements/delayed-subsampling"),
    ("post", "/api/v1/relations"),
]


@pytest.fixture
def arch(client, team) -> dict:
    body = {"name": f"m-{uuid.uuid4().hex[:8]}", "preset": "A-s36"}
    return client.post("/api/v1/architectures", json=body, headers=team.headers).json()


def call(client, team, method: str, path: str, arch: dict, **kwargs):
    headers = {**(ADMIN if path == "/api/v1/teams" else team.headers), **kwargs.pop("headers", {})}
    return client.request(method, path.format(arch=arch["id"]), headers=headers, **kwargs)


@pytest.mark.parametrize(("method", "path"), BODY_ENDPOINTS)
def test_malformed_json(client, team, arch, method, path) -> None:
    response = call(
        client, team, method, path, arch, content=b'{"name": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["field"] == "body" and "invalid JSON" in response.json()["detail"]


@pytest.mark.parametrize(("method", "path"), BODY_ENDPOINTS)
@pytest.mark.parametrize("body", [[1, 2], "text", 3, None])
def test_body_of_the_wrong_type(client, team, arch, method, path, body) -> None:
    response = call(client, team, method, path, arch, json=body)
    assert response.status_code == 422
    assert "valid dictionary" in response.json()["detail"] or "Field required" in response.json()["detail"]


@pytest.mark.parametrize(("method", "path"), BODY_ENDPOINTS)
def test_oversize(client, settings, team, arch, method, path) -> None:
    content = b'{"x": "' + b"y" * settings.max_body_bytes + b'"}'
    response = call(
        client, team, method, path, arch, content=content, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413 and "over the limit" in response.json()["detail"]


# (method, path, body, status, field, fragment of the message): one case a line
# fmt: off
MATRIX = [
    # missing fields
    ("post", "/api/v1/teams", {}, 422, "name", "Field required"),
    ("post", "/api/v1/tokens", {}, 422, "label", "Field required"),
    ("post", "/api/v1/architectures", {"notation": "(3,8)"}, 422, "name", "Field required"),
    ("post", "/api/v1/budgets", {"reference_preset": "A"}, 422, "name", "Field required"),
    ("post", "/api/v1/jobs", {"kind": "train"}, 422, "architecture_id", "Field required"),
    ("post", "/api/v1/replacements", {"preset": "A", "last": 3, "size": 3}, 422, "first", "Field required"),
    # wrong types
    ("post", "/api/v1/teams", {"name": ["a"]}, 422, "name", "valid string"),
    ("post", "/api/v1/tokens", {"label": 7}, 422, "label", "valid string"),
    ("post", "/api/v1/architectures", {"name": "x", "preset": "A", "parent_id": "one"}, 422, "parent_id", "valid integer"),
    ("patch", "/api/v1/architectures/{arch}", {"published": "yes please"}, 422, "published", "valid boolean"),
    ("patch", "/api/v1/architectures/{arch}", {"name": 5}, 422, "name", "valid string"),
    ("post", "/api/v1/budgets", {"name": "x", "reference_preset": "A", "tolerance": []}, 422, "tolerance", "valid number"),
    ("post", "/api/v1/jobs", {"architecture_id": "x", "kind": "train"}, 422, "architecture_id", "valid integer"),
    ("post", "/api/v1/jobs", {"architecture_id": 1, "kind": "paint"}, 422, "kind", "'train', 'benchmark' or 'calibrate'"),
    ("post", "/api/v1/complexity", {"notation": 5}, 422, "notation", "valid string"),
    ("post", "/api/v1/relations", {"specs": {}}, 422, "specs", "valid list"),
    # unknown fields
    ("post", "/api/v1/architectures", {"name": "x", "preset": "A", "spec_hash": "f"}, 422, "spec_hash", "Extra inputs"),
    ("patch", "/api/v1/architectures/{arch}", {"notation": "(3,8)"}, 422, "notation", "Extra inputs"),
    ("post", "/api/v1/budgets", {"name": "x", "reference_preset": "A", "builtin": True}, 422, "builtin", "Extra inputs"),
    # invalid specs and notation
    ("post", "/api/v1/architectures", {"name": "x", "notation": "(3,8) + banana"}, 422, "notation", "at position 8"),
    ("post", "/api/v1/architectures", {"name": "x", "notation": "(3,8)x0"}, 422, "notation", "repeat"),
    ("post", "/api/v1/architectures", {"name": "x", "spec": {"layers": []}}, 422, "spec.layers", "at least 1 item"),
    ("post", "/api/v1/architectures", {"name": "x", "spec": {"layers": [{"type": "conv", "filters": 8}]}}, 422, "spec.layers[0].size", "Field required"),
    ("post", "/api/v1/architectures", {"name": "x", "spec": {"layers": [{"type": "warp"}]}}, 422, "spec.layers[0]", "does not match any of the expected tags"),
    ("post", "/api/v1/architectures", {"name": "x", "notation": "(9,8) valid", "input": {"height": 4, "width": 4}}, 422, "notation", "smaller than the 9x9"),
    ("post", "/api/v1/architectures", {"name": "x", "notation": "(3,8)", "input": {"height": 0}}, 422, "input.height", "greater than or equal to 1"),
    ("post", "/api/v1/complexity", {"notation": "(3,8)", "reference": {"spec": {"layers": "x"}}}, 422, "reference.spec.layers", "valid list"),
    ("post", "/api/v1/relations", {"specs": [{"name": "a", "notation": "(3,"}]}, 422, "specs[0].notation", "at position"),
    # out of range
    ("post", "/api/v1/architectures", {"name": "x", "preset": "A", "parent_id": 2**63}, 422, "parent_id", "less than"),
    ("post", "/api/v1/budgets", {"name": "x", "reference_preset": "A", "tolerance": 2}, 422, "tolerance", "less than"),
    ("post", "/api/v1/replacements", {"preset": "A", "first": 0, "last": 3, "size": 3}, 422, "first", "greater than"),
]
# fmt: on


@pytest.mark.parametrize(("method", "path", "body", "status", "field", "fragment"), MATRIX)
def test_bad_input_matrix(client, team, arch, method, path, body, status, field, fragment) -> None:
    response = call(client, team, method, path, arch, json=body)
    assert response.status_code == status, response.text
    data = response.json()
    assert data["field"] == field and fragment in data["detail"], data
    assert data["detail"].startswith(f"{field}: ") and data["errors"][0]["field"] == field


QUERY_MATRIX = [
    ("/api/v1/architectures", {"page": 0}, "query.page"),
    ("/api/v1/architectures", {"per_page": 101}, "query.per_page"),
    ("/api/v1/architectures", {"scope": "everyone"}, "query.scope"),
    ("/api/v1/architectures", {"q": "x" * 201}, "query.q"),
    ("/api/v1/architectures/0", {}, "path.architecture_id"),
    ("/api/v1/architectures/99999999999999999999999", {}, "path.architecture_id"),
    ("/api/v1/leaderboard", {"budget_id": -1}, "query.budget_id"),
    ("/api/v1/jobs", {"status": "sleeping"}, "query.status"),
    ("/api/v1/jobs", {"per_page": "many"}, "query.per_page"),
]


@pytest.mark.parametrize(("path", "params", "field"), QUERY_MATRIX)
def test_bad_query_and_path_parameters(client, team, path, params, field) -> None:
    response = client.get(path, params=params, headers=team.headers)
    assert response.status_code == 422 and response.json()["field"] == field, response.text
