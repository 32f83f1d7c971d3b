"""Budgets: shared by all teams, made from a preset, an architecture or a raw cost; only their
creator deletes them; built-ins stay."""

from __future__ import annotations

import uuid

import pytest

from app.arch.analysis import analyse
from app.arch.presets import presets
from app.budgets.models import Budget
from app.budgets.service import macs_range

URL = "/api/v1/budgets"


def unique() -> str:
    return f"budget-{uuid.uuid4().hex[:8]}"


def create(client, login, **body) -> dict:
    body.setdefault("name", unique())
    response = client.post(URL, json=body, headers=login.headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_builtins_are_listed(client, team) -> None:
    budgets = {b["name"]: b for b in client.get(URL, headers=team.headers).json()}
    for name, preset in (("A (224)", "A"), ("A-s36", "A-s36")):
        assert budgets[name]["builtin"] is True and budgets[name]["team_id"] is None
        assert budgets[name]["reference_preset"] == preset and budgets[name]["tolerance"] == 0.05
        assert budgets[name]["reference_conv_macs"] == analyse(presets()[preset].spec).conv_macs
    assert client.get(URL).status_code == 401


def test_from_a_preset_copies_cost_and_input_side(client, team) -> None:
    out = create(client, team, reference_preset="J'-s36", tolerance=0.02)
    assert out["reference_conv_macs"] == analyse(presets()["J'-s36"].spec).conv_macs
    assert out["input_side"] == 36 and out["tolerance"] == 0.02
    assert out["team_id"] == team.id and out["builtin"] is False and out["reference_architecture_id"] is None
    assert out["id"] in {b["id"] for b in client.get(URL, headers=team.headers).json()}


def test_from_an_architecture_yours_or_published(client, team, other_team) -> None:
    mine = client.post(
        "/api/v1/architectures",
        json={"name": unique(), "notation": "(3,24)x3", "input": {"height": 20, "width": 20}},
        headers=team.headers,
    ).json()
    out = create(client, team, reference_architecture_id=mine["id"])
    assert out["reference_conv_macs"] == mine["conv_macs"] and out["input_side"] == 20
    assert out["tolerance"] == 0.05 and out["reference_architecture_id"] == mine["id"]

    theirs = client.post(
        "/api/v1/architectures", json={"name": unique(), "preset": "B"}, headers=other_team.headers
    ).json()
    response = client.post(
        URL, json={"name": unique(), "reference_architecture_id": theirs["id"]}, headers=team.headers
    )
    assert response.status_code == 422 and response.json()["field"] == "reference_architecture_id"
    client.patch(
        f"/api/v1/architectures/{theirs['id']}", json={"published": True}, headers=other_team.headers
    )
    assert create(client, team, reference_architecture_id=theirs["id"])["input_side"] == 224


def test_non_square_reference_is_refused(client, team) -> None:
    arch = client.post(
        "/api/v1/architectures",
        json={"name": unique(), "notation": "(3,8)", "input": {"height": 20, "width": 30}},
        headers=team.headers,
    ).json()
    response = client.post(
        URL, json={"name": unique(), "reference_architecture_id": arch["id"]}, headers=team.headers
    )
    assert response.status_code == 422 and "20x30" in response.json()["detail"]


def test_from_a_raw_cost(client, team) -> None:
    out = create(client, team, reference_conv_macs=6_000_000, input_side=36, tolerance=0)
    assert out["reference_conv_macs"] == 6_000_000 and out["input_side"] == 36 and out["tolerance"] == 0
    assert out["reference_preset"] is None and out["reference_architecture_id"] is None


def test_names_are_unique_across_teams(client, team, other_team) -> None:
    name = create(client, team, reference_preset="A")["name"]
    response = client.post(URL, json={"name": name, "reference_preset": "B"}, headers=other_team.headers)
    assert response.status_code == 409 and response.json()["field"] == "name"
    response = client.post(URL, json={"name": "A-s36", "reference_preset": "B"}, headers=team.headers)
    assert response.status_code == 409


def test_only_the_creator_deletes(client, team, other_team) -> None:
    out = create(client, team, reference_preset="A")
    response = client.delete(f"{URL}/{out['id']}", headers=other_team.headers)
    assert response.status_code == 403 and response.json()["field"] == "budget_id"
    assert client.delete(f"{URL}/{out['id']}", headers=team.headers).status_code == 204
    assert client.delete(f"{URL}/{out['id']}", headers=team.headers).status_code == 404
    assert out["id"] not in {b["id"] for b in client.get(URL, headers=team.headers).json()}


def test_builtins_cannot_be_deleted(client, team) -> None:
    builtin = next(b for b in client.get(URL, headers=team.headers).json() if b["builtin"])
    response = client.delete(f"{URL}/{builtin['id']}", headers=team.headers)
    assert response.status_code == 403 and "built in" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({"reference_preset": "A"}, "name", "Field required"),
        ({"name": "x"}, None, "give exactly one of reference_preset"),
        (
            {"name": "x", "reference_preset": "A", "reference_conv_macs": 5},
            None,
            "got reference_preset, reference_conv_macs",
        ),
        ({"name": "x", "reference_preset": "Q"}, "reference_preset", "no preset 'Q'"),
        ({"name": "x", "reference_conv_macs": 5}, "input_side", "required with reference_conv_macs"),
        ({"name": "x", "reference_preset": "A", "input_side": 36}, "input_side", "comes from the reference"),
        (
            {"name": "x", "reference_conv_macs": 0, "input_side": 36},
            "reference_conv_macs",
            "greater than or equal to 1",
        ),
        (
            {"name": "x", "reference_conv_macs": 10**14, "input_side": 36},
            "reference_conv_macs",
            "less than or equal",
        ),
        (
            {"name": "x", "reference_conv_macs": 9, "input_side": 5000},
            "input_side",
            "less than or equal to 4096",
        ),
        (
            {"name": "x", "reference_preset": "A", "tolerance": -0.1},
            "tolerance",
            "greater than or equal to 0",
        ),
        ({"name": "x", "reference_preset": "A", "tolerance": "wide"}, "tolerance", "valid number"),
        (
            {"name": "x", "reference_architecture_id": 2**31 - 1},
            "reference_architecture_id",
            "no architecture",
        ),
        (
            {"name": "x", "reference_architecture_id": 2**31},
            "reference_architecture_id",
            "less than or equal",
        ),
    ],
)
def test_bad_create_names_the_field(client, team, body, field, fragment) -> None:
    response = client.post(URL, json=body, headers=team.headers)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field and fragment in response.json()["detail"]


@pytest.mark.parametrize(
    ("reference", "tolerance", "low", "high"),
    [(100, 0.05, 95, 105), (854_954_688, 0.05, 812_206_954, 897_702_422), (7, 0.0, 7, 7), (10, 1.0, 0, 20)],
)
def test_within_range_is_exact_at_the_edges(reference, tolerance, low, high) -> None:
    assert macs_range(Budget(reference_conv_macs=reference, tolerance=tolerance)) == (low, high)
