"""User strings reach figures as text, never as plotly markup (docs/design.md, "Browser security").

plotly.js draws `<span style>`, `<a href>`, `<b>` ... found in any string it shows, so every figure
is built here with hostile names and its JSON walked: a raw tag may sit only where plotly never
draws (a click handler's `customdata` on a trace without a hover template, `layout.meta`), and
the escaped text is what gets drawn.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from app.arch.analysis import analyse
from app.arch.presets import presets
from app.figures.benchmark import benchmark_layers
from app.figures.costs import layer_costs
from app.figures.curves import training_curves
from app.figures.relation_graph import GraphEdge, GraphNode, relation_graph
from app.figures.scatter import cost_axis, leaderboard_scatter
from app.figures.style import empty_figure

BIG = '<span style="font-size:80px">big</span>'
LINK = '<a href="https://example.invalid/phish">click</a>'
HOSTILE = (BIG, LINK)
# not a preset (a saved preset joins the preset's node): A-s36 with stage 3 deepened
DEEPER = "(3,16) + pool 3 | (5,32) + pool 2 | (3,51)x3 + (3,64) + spp(2,1) + fc 512 + fc 512 + fc 10"
ESCAPED = {
    BIG: '&lt;span style="font-size:80px"&gt;big&lt;/span&gt;',
    LINK: '&lt;a href="https://example.invalid/phish"&gt;click&lt;/a&gt;',
}


def strings(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Every string leaf of the figure JSON with its path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(item, (*path, key))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from strings(item, (*path, i))


def drawn(figure: dict[str, Any], path: tuple[Any, ...]) -> bool:
    """Whether plotly draws the string at `path`: all but layout.meta and the customdata of traces
    whose hover template does not read it."""
    if path[:2] == ("layout", "meta"):
        return False
    if path[0] == "data" and "customdata" in path:
        template = figure["data"][path[1]].get("hovertemplate") or ""
        return "customdata" in template
    return True


def assert_no_markup(figure: dict[str, Any], *texts: str) -> None:
    leaves = list(strings(figure))
    raw = [(path, s) for path, s in leaves if any(t in s for t in texts) and drawn(figure, path)]
    assert raw == [], f"user markup drawn at {raw[:3]}"
    for text in texts:
        assert any(ESCAPED[text] in s for path, s in leaves if drawn(figure, path)), f"{text} not shown"


def named(preset: str, name: str):
    spec = presets()[preset].spec
    return analyse(spec.model_copy(update={"name": name}))


@pytest.mark.parametrize("text", HOSTILE)
def test_layer_costs(text: str) -> None:
    assert_no_markup(layer_costs(named("A-s36", text), named("B-s36", text)), text)


@pytest.mark.parametrize("text", HOSTILE)
def test_training_curves_title(text: str) -> None:
    metrics = [{"epoch": 1, "train_loss": 1.0, "val_loss": 1.1, "top1_error": 50.0, "top5_error": None}]
    assert_no_markup(training_curves(metrics, f"Job 1: {text}"), text)
    assert_no_markup(training_curves([], f"Job 1: {text}"), text)


@pytest.mark.parametrize("text", HOSTILE)
def test_benchmark_layers(text: str) -> None:
    rows = [{"name": text, "theoretical": 0.5, "measured": 0.4, "measured_ms": 1.0, "flagged": False}]
    assert_no_markup(benchmark_layers(rows, device=text, title=text), text)  # type: ignore[list-item]


@pytest.mark.parametrize("text", HOSTILE)
def test_leaderboard_scatter(text: str) -> None:
    entries = [
        {
            "architecture_name": text,
            "team_name": text,
            "own": own,
            "conv_macs": 1000 + i,
            "top1_error_mean": 10.0 + i,
            "top1_error_std": 0.5,
            "seeds": 2,
            "protocol": text,
            "rank": i + 1,
        }
        for i, own in enumerate((True, False))
    ]
    budget = {"name": text, "reference_conv_macs": 1000, "tolerance": 0.05}
    assert_no_markup(leaderboard_scatter(entries, cost_axis(budget), f"{text}: error against cost"), text)


@pytest.mark.parametrize("text", HOSTILE)
def test_relation_graph(text: str) -> None:
    nodes = [
        GraphNode(text, 3, 100, 1.0, "architecture", 1, text, f"top-1 1 % ({text})", text),
        GraphNode("A-s36", 3, 100, 1.0, notation="(3,16)"),
    ]
    edges = [GraphEdge(text, "A-s36", "depth vs width", 1.0, text, 2)]
    figure = relation_graph(nodes, edges, text, text)
    assert_no_markup(figure, text)
    # the click handler still gets the name as typed, to open it in the editor
    clickable = [trace for trace in figure["data"] if trace.get("mode") == "markers+text"]
    assert any(row[1] == text for trace in clickable for row in trace["customdata"])


@pytest.mark.parametrize("text", HOSTILE)
def test_empty_figure(text: str) -> None:
    assert_no_markup(empty_figure(text, text), text)


def test_a_saved_architecture_named_as_markup_in_the_api_figure(client, team) -> None:
    name = f"{LINK} {uuid.uuid4().hex[:6]}"
    created = client.post(
        "/api/v1/architectures",
        json={"name": name, "notation": DEEPER, "input": {"channels": 3, "height": 36, "width": 36}},
        headers=team.headers,
    )
    assert created.status_code == 201, created.text
    response = client.get("/api/v1/figures/relations", params={"team": "true"}, headers=team.headers)
    assert response.status_code == 200
    out = response.json()
    assert_no_markup(out["figure"], LINK)
    assert any(node["name"] == name for node in out["nodes"])  # the API's own fields stay as typed
