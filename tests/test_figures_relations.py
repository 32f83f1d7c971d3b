"""Server-built relation graphs (the paper's Figs. 1-3): the pure builders (relations in, figure
JSON out), the graph layout, and GET /figures/relations with a team's own architectures."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.arch.presets import Scale
from app.db import session_scope
from app.figures.graph import edge_curve, layered_layout, transitive_reduction
from app.figures.relation_graph import TRADEOFF_COLOURS, relation_graph
from app.figures.service import View, relation_view
from app.jobs.models import Result
from app.settings import Settings
from tests.conftest import make_team
from tests.jobs_support import add_architecture, add_job

FIG1 = {("A", "B"), ("A", "C"), ("B", "D"), ("C", "D"), ("D", "E")}
FIG2 = {("A", "F"), ("F", "G"), ("C", "H"), ("D", "I")}
FIG3 = {("B", "F"), ("E", "I")}
# A-s36 with stage 3 deepened to four layers at (almost) the same cost: related to A-s36 only
DEEPER = "(3,16) + pool 3 | (5,32) + pool 2 | (3,51)x3 + (3,64) + spp(2,1) + fc 512 drop 0.5 + fc 512 drop 0.5 + fc 10"


def edges_of(figure: dict[str, Any]) -> set[tuple[str, str]]:
    return {(source, target) for source, target, _ in figure["layout"]["meta"]["edges"]}


def strip(edges: set[tuple[str, str]], suffix: str) -> set[tuple[str, str]]:
    return {(s.removesuffix(suffix), t.removesuffix(suffix)) for s, t in edges}


def relation_figure(scale: Scale, view: View) -> dict[str, Any]:
    data = relation_view(None, None, scale, view)
    return relation_graph(data["nodes"], data["edges"], data["reference"], data["title"])


# -- relation graph ------------------------------------------------------------------------------


@pytest.mark.parametrize(("scale", "suffix"), [("paper", ""), ("s36", "-s36")])
def test_fig1_view_draws_exactly_the_papers_edges(scale: Scale, suffix: str) -> None:
    figure = relation_figure(scale, "1")
    assert strip(edges_of(figure), suffix) == FIG1  # B->E is implied by B->D->E and dropped
    assert len(figure["layout"]["annotations"]) == len(FIG1)  # one arrow per edge
    nodes = next(trace for trace in figure["data"] if trace["name"] == "paper's model (preset)")
    assert sorted(name for _, name, _ in nodes["customdata"]) == sorted(m + suffix for m in "ABCDE")


@pytest.mark.parametrize(("view", "expected"), [("2", FIG2), ("3", FIG3)])
def test_fig2_and_fig3_views(view: View, expected: set[tuple[str, str]]) -> None:
    assert strip(edges_of(relation_figure("s36", view)), "-s36") == expected


def test_all_view_has_every_relation_coloured_by_tradeoff() -> None:
    figure = relation_figure("s36", "all")
    edges = strip(edges_of(figure), "-s36")
    assert edges >= FIG1 | FIG2 | FIG3
    assert {("B", "B'"), ("E", "J"), ("J", "J'")} <= edges
    lines = {t["name"]: t for t in figure["data"] if t.get("mode") == "lines"}
    assert lines["depth vs filter size"]["line"]["color"] == TRADEOFF_COLOURS["depth vs filter size"]
    assert set(lines) <= set(TRADEOFF_COLOURS)


def test_nodes_carry_name_ratio_and_no_invented_errors() -> None:
    data = relation_view(None, None, "paper", "all")
    by_name = {node.name: node for node in data["nodes"]}
    assert by_name["A"].ratio == 1.0 and by_name["A"].depth == 5 and by_name["J"].depth == 11
    assert all(node.measured is None for node in data["nodes"])
    assert {node.paper for name, node in by_name.items() if name != "J'"} == {"unknown"}
    assert "top-5 11.8 %" in by_name["J'"].paper and "top-1 unknown" in by_name["J'"].paper
    figure = relation_graph(data["nodes"], data["edges"], data["reference"])
    labels = next(t for t in figure["data"] if t["name"] == "paper's model (preset)")["text"]
    assert all("no result yet" in label for label in labels)
    assert any(label.startswith("<b>B</b><br>0.988× A") for label in labels)


def test_relation_graph_of_nothing_is_an_empty_state() -> None:
    figure = relation_graph([], [], "A")
    assert "No models" in figure["layout"]["annotations"][0]["text"]


def test_transitive_reduction_keeps_the_chain() -> None:
    edges = [("A", "B"), ("B", "D"), ("D", "E"), ("B", "E"), ("A", "E")]
    assert transitive_reduction(edges) == [("A", "B"), ("B", "D"), ("D", "E")]
    assert transitive_reduction([("A", "B"), ("A", "C")]) == [("A", "B"), ("A", "C")]


def test_layered_layout_places_by_depth_and_keeps_columns_apart() -> None:
    depths = {"A": 5, "C": 6, "B": 8, "F": 8, "H": 8, "D": 9, "E": 11}
    edges = [("A", "B"), ("A", "C"), ("B", "D"), ("C", "D"), ("D", "E"), ("A", "F"), ("C", "H")]
    position = layered_layout(depths, edges)
    assert {name: x for name, (x, _) in position.items()} == {n: float(d) for n, d in depths.items()}
    column = sorted(y for name, (x, y) in position.items() if x == 8)
    assert all(b - a >= 1.0 - 1e-9 for a, b in pairwise(column))
    # Fig. 1's diamond: A's two children part, D between them
    fig1 = layered_layout({"A": 5, "C": 6, "B": 8, "D": 9, "E": 11}, sorted(FIG1))
    assert fig1["C"][1] > fig1["D"][1] > fig1["B"][1]
    assert fig1["A"][1] == fig1["D"][1] == fig1["E"][1]


def test_edge_curves_join_their_ends() -> None:
    for start, end in [((5, 0), (8, 1)), ((8, 1), (8, -2))]:
        curve = edge_curve(start, end)
        assert curve[0] == pytest.approx(start) and curve[-1] == pytest.approx(end)
    assert max(x for x, _ in edge_curve((8, 1), (8, -2))) > 8  # same column: bows to the side


# -- endpoint -------------------------------------------------------------------------------------


def test_relations_endpoint(client: TestClient) -> None:
    out = client.get("/api/v1/figures/relations", params={"scale": "paper", "view": "1"}).json()
    assert edges_of(out["figure"]) == FIG1
    assert {(r["source"], r["target"]) for r in out["relations"]} == FIG1
    assert {n["name"] for n in out["nodes"]} == set("ABCDE") and out["reference"] == "A"
    assert client.get("/api/v1/figures/relations", params={"view": "4"}).status_code == 422
    assert client.get("/api/v1/figures/relations", params={"team": "true"}).status_code == 401


def test_relations_add_the_teams_architectures_and_their_errors(
    client: TestClient, settings: Settings
) -> None:
    team, rival = make_team(settings), make_team(settings, "rival")
    mine = client.post(
        "/api/v1/architectures",
        headers=team.headers,
        json={"name": "deeper", "notation": DEEPER, "input": {"height": 36, "width": 36}},
    ).json()  # fmt: skip
    a_copy = add_architecture(settings.database_url, team.id, "A-s36", name="my-A")
    secret = add_architecture(settings.database_url, rival.id, "G-s36", name="rival-secret")
    for seed, error in enumerate([10.0, 12.0]):
        job = add_job(settings.database_url, team.id, a_copy, status="succeeded")
        with session_scope(settings.database_url) as session:
            session.add(Result(job_id=job, architecture_id=a_copy, team_id=team.id, kind="train",
                               protocol="digits, 2 epochs", dataset="digits", seed=seed, conv_macs=1,
                               top1_error=error, provenance={}))  # fmt: skip
    out = client.get(
        "/api/v1/figures/relations", headers=team.headers, params={"scale": "s36", "team": "true"}
    ).json()
    nodes = {n["name"]: n for n in out["nodes"]}
    assert nodes["deeper"]["kind"] == "architecture" and nodes["deeper"]["id"] == mine["id"]
    assert "my-A" not in nodes  # identical to A-s36: its result is shown on the preset's node
    assert nodes["A-s36"]["measured"] == "top-1 11.0 % (s.d. 1.4, digits, 2 seeds) as my-A"
    assert "rival-secret" not in nodes and secret
    assert {(r["source"], r["tradeoff"]) for r in out["relations"] if r["target"] == "deeper"} == {
        ("A-s36", "depth vs width")
    }
