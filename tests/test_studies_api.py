"""POST/GET/cancel/delete /api/v1/studies without a worker: what a study saves and queues, reuse
of identical architectures, bad input as 422 naming the field, and team scoping."""

from __future__ import annotations

import pytest

from app.arch.presets import presets
from app.jobs.params import DEFAULT_EPOCHS, TrainParams

FIG1 = {"figure": 1, "scale": "s36"}


def create(client, team, **body):
    return client.post(
        "/api/v1/studies", json={"name": "study", "models": FIG1, **body}, headers=team.headers
    )


def test_a_figure_becomes_models_jobs_and_comparisons(client, team) -> None:
    response = create(client, team, seeds=[0, 1])
    assert response.status_code == 201, response.text
    study = response.json()
    assert [m["name"] for m in study["models"]] == ["A-s36", "B-s36", "C-s36", "D-s36", "E-s36"]
    assert [m["paper_model"] for m in study["models"]] == ["A", "B", "C", "D", "E"]
    assert study["status"] == "queued" and study["progress"]["total"] == 10 == study["progress"]["queued"]
    default = TrainParams(epochs=DEFAULT_EPOCHS)
    assert study["protocol_text"] == default.protocol()
    a = study["models"][0]
    assert [(r["seed"], r["lr"], r["status"]) for r in a["runs"]] == [
        (0, default.lr, "queued"),
        (1, default.lr, "queued"),
    ]
    assert a["n"] == 0 and a["top1_error_mean"] is None and a["learned"] is None
    assert a["depth"] == 1 + 1 + 3 and a["conv_macs"] > 0
    edges = {(c["source"], c["target"]): c for c in study["comparisons"]}
    # the paper's Fig. 1 edges, and B -> E (stage 2 alone differs), which the relation finder sees too
    assert set(edges) == {("A-s36", "B-s36"), ("A-s36", "C-s36"), ("B-s36", "D-s36"), ("C-s36", "D-s36"),
                          ("D-s36", "E-s36"), ("B-s36", "E-s36")}  # fmt: skip
    ab = edges[("A-s36", "B-s36")]
    assert ab["figure"] == 1 and ab["verdict"] is None and ab["claim"]["expects"] == "better"
    assert ab["claim"]["basis"] == "paraphrased" and ab["claim"]["supported"] is None
    # the jobs are the team's own, queued, one per model and seed, with the study's protocol
    jobs = client.get("/api/v1/jobs", params={"per_page": 100}, headers=team.headers).json()["items"]
    assert sorted(j["id"] for j in jobs) == sorted(r["job_id"] for m in study["models"] for r in m["runs"])
    assert {j["protocol"] for j in jobs} == {default.protocol()}
    listed = client.get("/api/v1/studies", headers=team.headers).json()
    assert [(s["id"], s["models"], s["status"]) for s in listed["items"]] == [(study["id"], 5, "queued")]


def test_identical_architectures_are_reused_by_spec_identity(client, team) -> None:
    first = create(client, team, seeds=[0]).json()
    ids = {m["name"]: m["architecture_id"] for m in first["models"]}
    second = create(client, team, seeds=[1]).json()
    assert {m["name"]: m["architecture_id"] for m in second["models"]} == ids
    # another name, another way of writing it, the same network: the same architecture
    notation = presets()["A-s36"].notation
    listed = create(client, team, seeds=[2], models=[
        {"name": "mine", "notation": notation, "input": {"height": 36, "width": 36}},
        {"name": "by id", "architecture_id": ids["B-s36"]},
    ]).json()  # fmt: skip
    assert [m["architecture_id"] for m in listed["models"]] == [ids["A-s36"], ids["B-s36"]]
    architectures = client.get("/api/v1/architectures", params={"per_page": 100}, headers=team.headers).json()
    assert architectures["total"] == 5


def test_a_learning_rate_sweep_queues_every_rate(client, team) -> None:
    study = create(client, team, models=[{"name": "A", "preset": "A-s36"}], seeds=[0, 1],
                   lr_sweep=[0.01, 0.05], protocol={"epochs": 2}).json()  # fmt: skip
    assert sorted((r["lr"], r["seed"]) for r in study["models"][0]["runs"]) == [
        (0.01, 0, ), (0.01, 1), (0.05, 0), (0.05, 1)
    ] and study["lr_sweep"] == [0.01, 0.05]  # fmt: skip
    assert study["models"][0]["lr"] is None  # no rate is best before a run finished
    assert "lr swept over 0.01, 0.05" in study["protocol_text"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"models": {"figure": 4, "scale": "s36"}}, "models.figure"),
        ({"models": {"figure": 1, "scale": "s72"}}, "models.scale"),
        ({"models": {"figure": "1"}}, "models.figure"),
        ({"models": []}, "models"),
        ({"models": {"nothing": 1}}, "models.figure"),
        ({"models": "A-s36"}, "models"),
        ({"models": [{"name": f"m{i}", "preset": "A-s36"} for i in range(1000)]}, "models"),
        ({"models": [{"name": "x", "notation": "(3,16) + nonsense"}]}, "models[0].notation"),
        ({"models": [{"name": "x"}]}, "models[0]"),
        ({"models": [{"name": "x", "preset": "A-s36"}, {"name": "x", "preset": "B-s36"}]}, "models[1].name"),
        ({"models": [{"name": "x", "architecture_id": 2**31 - 1}]}, "models[0].architecture_id"),
        ({"seeds": [-1]}, "seeds[0]"),
        ({"seeds": [2**31]}, "seeds[0]"),
        ({"seeds": []}, "seeds"),
        ({"seeds": list(range(11))}, "seeds"),
        ({"protocol": {"seed": 3}}, "protocol.seed"),
        ({"protocol": {"epochs": "1"}}, "protocol.epochs"),
        ({"protocol": {"epochs": 10**6}}, "protocol.epochs"),
        ({"protocol": {"lr": 0.1}, "lr_sweep": [0.01]}, "lr_sweep"),
        ({"lr_sweep": [0]}, "lr_sweep[0]"),
        ({"models": {"figure": "all"}, "seeds": list(range(10)), "lr_sweep": [0.1, 0.2, 0.3]}, "models"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(client, team, body, field) -> None:
    response = create(client, team, **body)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field, response.json()
    assert client.get("/api/v1/studies", headers=team.headers).json()["total"] == 0


def test_cancel_then_delete(client, team) -> None:
    study = create(client, team, seeds=[0]).json()
    cancelled = client.post(f"/api/v1/studies/{study['id']}/cancel", headers=team.headers)
    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    assert body["status"] == "cancelled" and body["progress"]["cancelled"] == 5 == body["progress"]["total"]
    assert client.delete(f"/api/v1/studies/{study['id']}", headers=team.headers).status_code == 204
    assert client.get(f"/api/v1/studies/{study['id']}", headers=team.headers).status_code == 404
    job = study["models"][0]["runs"][0]["job_id"]  # its jobs stay the team's
    assert client.get(f"/api/v1/jobs/{job}", headers=team.headers).json()["status"] == "cancelled"


def test_another_team_can_neither_see_nor_touch_a_study(client, team, other_team) -> None:
    study = create(client, team, seeds=[0]).json()
    path = f"/api/v1/studies/{study['id']}"
    for method, url in (("GET", path), ("POST", f"{path}/cancel"), ("DELETE", path)):
        response = client.request(method, url, headers=other_team.headers)
        assert response.status_code == 404 and response.json()["field"] == "study_id", (method, response.text)
    assert client.get("/api/v1/studies", headers=other_team.headers).json()["total"] == 0
    assert client.get(path, headers=team.headers).json()["status"] == "queued"
    assert client.get(path).status_code == 401


def test_a_base_design_and_its_replacements_at_equal_cost(client, team) -> None:
    study = create(client, team, models={"replacements_of": {"preset": "A-s36"}}, seeds=[0]).json()
    names = [m["name"] for m in study["models"]]
    assert names[0] == "A-s36" and {"B-s36", "C-s36", "F-s36", "subsampling delayed"} <= set(names)
    a = study["models"][0]["conv_macs"]
    assert all(abs(m["conv_macs"] / a - 1) <= 0.05 for m in study["models"])  # the solver's tolerance
    edges = {(c["source"], c["target"]) for c in study["comparisons"]}
    assert {("A-s36", "B-s36"), ("A-s36", "C-s36"), ("A-s36", "F-s36")} <= edges
