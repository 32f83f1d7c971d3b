"""Stateless design endpoints: the CLI's JSON over HTTP, and errors that name the field."""

from __future__ import annotations

import pytest

from app.arch.analysis import analyse
from app.arch.presets import presets
from app.cli import main


def test_complexity_matches_the_cli(client, capsys) -> None:
    main(["complexity", "B", "--relative-to", "A", "--json"])
    import json

    cli = json.loads(capsys.readouterr().out)
    api = client.post("/api/v1/complexity", json={"preset": "B", "reference": {"preset": "A"}}).json()
    assert api == cli


def test_notation_and_spec_give_the_same_analysis(client) -> None:
    by_notation = client.post(
        "/api/v1/complexity",
        json={"notation": presets()["C-s36"].notation, "input": {"height": 36, "width": 36}},
    ).json()
    by_spec = client.post("/api/v1/complexity", json={"spec": presets()["C-s36"].spec.model_dump()}).json()
    assert by_notation["conv_macs"] == by_spec["conv_macs"] == analyse(presets()["C-s36"].spec).conv_macs
    assert by_notation["notation"] == presets()["C-s36"].notation


@pytest.mark.parametrize(
    ("body", "status", "field", "fragment"),
    [
        ({}, 422, None, "give exactly one of spec, notation or preset"),
        ({"notation": "(3,64", "preset": "A"}, 422, None, "got notation, preset"),
        ({"notation": "(3,64"}, 422, "notation", "at position 5"),
        (
            {"notation": "(3,8) + (9,8) valid", "input": {"height": 4, "width": 4}},
            422,
            "notation",
            "layers[1] (9,8) valid",
        ),
        (
            {"spec": {"layers": [{"type": "conv", "filters": 0, "size": 3}]}},
            422,
            "spec.layers[0].filters",
            "greater than or equal to 1",
        ),
        (
            {"spec": {"layers": [{"type": "conv", "filters": 8, "size": 3, "groups": 3}]}},
            422,
            "spec.layers[0].groups",
            "groups 3 must divide",
        ),
        ({"preset": "Z"}, 422, "preset", "no preset 'Z'"),
        ({"notation": 5}, 422, "notation", "valid string"),
        ({"notation": "(3,8)", "extra": 1}, 422, "extra", "Extra inputs"),
        ({"notation": "(3,8)", "reference": {"notation": "(3"}}, 422, "reference.notation", "at position 2"),
        ({"notation": "(3,8)" + " " * 20_000}, 422, "notation", "at most 20000 characters"),
    ],
)
def test_bad_input_names_the_field(client, body, status, field, fragment) -> None:
    response = client.post("/api/v1/complexity", json=body)
    assert response.status_code == status
    data = response.json()
    assert data["field"] == field
    assert fragment in data["detail"]


def test_malformed_json_and_oversize(client) -> None:
    response = client.post(
        "/api/v1/complexity", content=b"{bad", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422 and response.json()["field"] == "body"
    assert "invalid JSON" in response.json()["detail"]
    response = client.post(
        "/api/v1/complexity", content=b"[" * 2_000_000, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413 and "over the limit" in response.json()["detail"]


def test_presets_endpoint(client) -> None:
    listed = {p["name"]: p for p in client.get("/api/v1/presets").json()}
    assert len(listed) == 28
    assert listed["A"]["ratio_to_a"] == 1.0 and listed["F"]["conv_macs"] == listed["A"]["conv_macs"]
    assert listed["J'"]["reported"]["top5_error"] == 11.8 and listed["B"]["reported"] is None


def test_replacements_rediscover_f(client) -> None:
    candidates = client.post(
        "/api/v1/replacements", json={"preset": "A", "first": 3, "last": 5, "size": 3, "depth": 6}
    ).json()
    assert candidates[0]["width"] == 160 and candidates[0]["change"] == 0.0
    assert candidates[0]["notation"] == presets()["F"].notation
    response = client.post(
        "/api/v1/replacements", json={"preset": "A", "first": 2, "last": 5, "size": 3, "depth": 6}
    )
    assert response.status_code == 422 and response.json()["field"] == "last"


def test_delayed_subsampling(client) -> None:
    out = client.post("/api/v1/replacements/delayed-subsampling", json={"preset": "J"}).json()
    assert out["notation"] == presets()["J'"].notation and out["change"] == 0.0
    response = client.post("/api/v1/replacements/delayed-subsampling", json={"preset": "A", "pool": 7})
    assert response.status_code == 422 and "pool7 does not exist" in response.json()["detail"]


def test_relations(client) -> None:
    out = client.post(
        "/api/v1/relations", json={"presets": "paper", "specs": [{"name": "mine", "preset": "A-s36"}]}
    ).json()
    pairs = {(r["source"], r["target"]) for r in out["relations"] if r["figure"] == 1}
    assert {("A", "B"), ("A", "C"), ("B", "D"), ("C", "D"), ("D", "E")} <= pairs
    assert len(out["nodes"]) == 15 and out["nodes"][-1]["preset"] is False
    response = client.post(
        "/api/v1/relations", json={"specs": [{"name": "x", "preset": "A"}, {"name": "x", "preset": "B"}]}
    )
    assert response.status_code == 422 and response.json()["field"] == "specs[1].name"


def test_healthz_and_docs(client) -> None:
    health = client.get("/healthz").json()
    assert health["ok"] and health["database"]["ok"] and health["broker"]["ok"]
    assert client.get("/docs").status_code == 200
    assert "/api/v1/complexity" in client.get("/openapi.json").json()["paths"]
