"""The relation graph plots measured results (docs/design.md, "Relations"): with the team's results
y is the measured top-1 error (mean over seeds, 95% interval as bars) and the models without one
sit apart, labelled "no result yet"; without any, y stays a layout that says so. Only the calling
team's runs that learned, on a real dataset, count. One chromium test drives the page."""

from __future__ import annotations

import statistics
from typing import Any

import pytest
from scipy import stats as scipy_stats

from app.db import session_scope
from app.figures.graph import layered_layout
from app.figures.relation_graph import relation_graph
from app.figures.relation_measured import nice_ticks
from app.figures.schemas import RelationsFigure
from app.figures.service import relation_view
from app.jobs.models import Result
from app.settings import Settings
from tests.browser_support import SCREENSHOTS, Server, team_id
from tests.conftest import TeamLogin, make_team
from tests.jobs_support import add_architecture, add_job

PROTOCOL = "digits, 2 epochs, batch 64"
A_ERRORS, B_ERRORS = [10.0, 11.0, 12.0], [8.0, 9.0]
FIG1_S36 = ["A-s36", "B-s36", "C-s36", "D-s36", "E-s36"]


def add_result(url: str, team_id: int, architecture: int, error: float, seed: int = 0, **values: Any) -> None:
    """A finished training run as a worker writes it (its job succeeded, one result row)."""
    job = add_job(url, team_id, architecture, status="succeeded")
    row = {"protocol": PROTOCOL, "dataset": "digits", "learned": True, **values}
    with session_scope(url) as session:
        session.add(Result(job_id=job, architecture_id=architecture, team_id=team_id, kind="train", seed=seed,
                           conv_macs=1, top1_error=error, provenance={}, **row))  # fmt: skip


def seed_fig1(url: str, team_id: int) -> None:
    """A-s36 and B-s36 saved by the team with results; C, D, E without."""
    for preset, errors in (("A-s36", A_ERRORS), ("B-s36", B_ERRORS)):
        architecture = add_architecture(url, team_id, preset, name=f"my-{preset[0]}")
        for seed, error in enumerate(errors):
            add_result(url, team_id, architecture, error, seed)


def get_fig1(client, team: TeamLogin) -> dict[str, Any]:
    response = client.get(
        "/api/v1/figures/relations",
        headers=team.headers,
        params={"scale": "s36", "view": "1", "team": "true"},
    )
    assert response.status_code == 200, response.text
    return response.json()


def traces(figure: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in figure["data"] if t.get("mode") == "markers+text"}


def t_interval(values: list[float]) -> tuple[float, float]:
    mean, sem = statistics.fmean(values), statistics.stdev(values) / len(values) ** 0.5
    half = float(scipy_stats.t.ppf(0.975, len(values) - 1)) * sem
    return mean - half, mean + half


# -- (a) y is the measured error ------------------------------------------------------------------


def test_y_is_the_measured_error_with_intervals_and_the_rest_apart(client, settings: Settings) -> None:
    team = make_team(settings)
    seed_fig1(settings.database_url, team.id)
    out = get_fig1(client, team)
    RelationsFigure.model_validate(out)  # as documented in the OpenAPI schema
    nodes = {n["name"]: n for n in out["nodes"]}
    a = nodes["A-s36"]
    assert a["top1_error_mean"] == pytest.approx(11.0) and a["top1_error_std"] == pytest.approx(1.0)
    assert a["top1_error_ci95"] == pytest.approx(t_interval(A_ERRORS))
    assert (a["runs"], a["dataset"], a["protocol"], a["measured_as"]) == (3, "digits", PROTOCOL, "my-A")
    assert a["measured"] == "top-1 11.0 % (s.d. 1.0, digits, 3 seeds) as my-A"  # the one formatter
    assert all(
        nodes[n]["top1_error_mean"] is None and nodes[n]["runs"] == 0 for n in ("C-s36", "D-s36", "E-s36")
    )

    figure = out["figure"]
    layout = figure["layout"]
    assert layout["meta"]["y"] == "measured top-1 error"
    assert "top-1 error (%)" in layout["yaxis"]["title"]["text"]
    assert "95% interval over seeds" in layout["yaxis"]["title"]["text"]
    drawn = traces(figure)
    presets = drawn["paper's model (preset)"]
    y = dict(zip([c[1] for c in presets["customdata"]], presets["y"], strict=True))
    assert y == pytest.approx({"A-s36": 11.0, "B-s36": 8.5})
    i = [c[1] for c in presets["customdata"]].index("A-s36")
    low, high = a["top1_error_ci95"]
    bars = presets["error_y"]
    assert (bars["array"][i], bars["arrayminus"][i]) == pytest.approx((high - 11.0, 11.0 - max(0.0, low)))
    # the models without a result: one trace of their own, below every tick of the error axis
    apart = drawn["no result yet"]
    assert sorted(c[1] for c in apart["customdata"]) == ["C-s36", "D-s36", "E-s36"]
    assert (
        max(apart["y"]) < min(layout["yaxis"]["tickvals"]) and min(apart["y"]) > layout["yaxis"]["range"][0]
    )
    assert all("no result yet" in text for text in apart["text"] + apart["hovertext"])
    assert "error_y" not in apart or not apart["error_y"].get("array")
    assert any("no result yet" in note["text"] for note in layout["annotations"])
    # the edges still run between the points, wherever they are drawn
    at = {
        c[1]: (x, y) for t in drawn.values() for c, x, y in zip(t["customdata"], t["x"], t["y"], strict=True)
    }
    (lines,) = [t for t in figure["data"] if t.get("mode") == "lines"]  # Fig. 1: one trade-off
    xs, ys = lines["x"], lines["y"]
    ends = [i for i, v in enumerate(ys) if v is None]
    starts = [0] + [i + 1 for i in ends[:-1]]
    for (source, target, _), start, end in zip(layout["meta"]["edges"], starts, ends, strict=True):
        assert (xs[start], ys[start]) == pytest.approx(at[source])
        assert (xs[end - 1], ys[end - 1]) == pytest.approx(at[target])
    assert len(layout["annotations"]) == 5 + 1  # an arrowhead per edge, and the band's label


def test_one_seed_is_drawn_without_a_bar_and_says_so(client, settings: Settings) -> None:
    team = make_team(settings)
    architecture = add_architecture(settings.database_url, team.id, "A-s36", name="once")
    add_result(settings.database_url, team.id, architecture, 20.0)
    out = get_fig1(client, team)
    a = next(n for n in out["nodes"] if n["name"] == "A-s36")
    assert (a["runs"], a["top1_error_std"], a["top1_error_ci95"]) == (1, None, None)
    assert a["measured"] == "top-1 20.0 % (digits, 1 seed) as once"
    presets = traces(out["figure"])["paper's model (preset)"]
    assert presets["error_y"]["array"] == [0.0] and presets["error_y"]["arrayminus"] == [0.0]
    assert "one seed: no interval yet" in presets["hovertext"][0]
    notes = [note["text"] for note in out["figure"]["layout"]["annotations"]]
    assert not any("protocols" in note for note in notes)
    # a second model measured under another protocol: the figure says the two are not alike
    other = add_architecture(settings.database_url, team.id, "B-s36", name="longer")
    add_result(settings.database_url, team.id, other, 15.0, protocol="digits, 4 epochs, batch 64")
    notes = [note["text"] for note in get_fig1(client, team)["figure"]["layout"]["annotations"]]
    assert "results under 2 protocols: compare with care" in notes


def test_error_axis_ticks_are_round() -> None:
    assert nice_ticks(8.5, 14.0) == [10.0, 12.0, 14.0]
    assert nice_ticks(0.0, 1.0) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]


# -- (b) without any result the graph is a layout, and says so -------------------------------------


def test_without_results_y_is_a_layout_that_says_so(client, settings: Settings) -> None:
    data = relation_view(None, None, "s36", "all")
    figure = relation_graph(data["nodes"], data["edges"], data["reference"], data["title"])
    layout = figure["layout"]
    assert layout["meta"]["y"] == "layout" and "layout only" in layout["yaxis"]["title"]["text"]
    assert layout["yaxis"]["showticklabels"] is False
    assert "no result yet" not in traces(figure)  # the nodes keep their kinds' traces
    expected = layered_layout(
        {n.name: n.depth for n in data["nodes"]}, [(e.source, e.target) for e in data["edges"]]
    )
    for trace in traces(figure).values():
        assert trace.get("error_y") is None
        for (_, name, _), x, y in zip(trace["customdata"], trace["x"], trace["y"], strict=True):
            assert (x, y) == pytest.approx(expected[name])
    # a team whose runs all failed to measure anything: still a layout
    team = make_team(settings)
    architecture = add_architecture(settings.database_url, team.id, "A-s36", name="unlearned")
    add_result(settings.database_url, team.id, architecture, 90.0, learned=False)
    assert get_fig1(client, team)["figure"]["layout"]["meta"]["y"] == "layout"


def test_the_token_is_read_only_with_team(client) -> None:
    bad = {"Authorization": "Bearer not-a-token"}
    assert client.get("/api/v1/figures/relations", headers=bad).status_code == 200
    response = client.get("/api/v1/figures/relations", headers=bad, params={"team": "true"})
    assert response.status_code == 401 and response.json()["field"] == "authorization"


# -- (c) another team's results never appear ------------------------------------------------------


def test_another_teams_results_never_appear(client, settings: Settings) -> None:
    team, rival = make_team(settings), make_team(settings, "rival")
    mine = add_architecture(settings.database_url, team.id, "A-s36", name="mine")
    theirs = add_architecture(settings.database_url, rival.id, "B-s36", name="theirs")
    for seed in range(2):
        add_result(settings.database_url, rival.id, theirs, 5.0 + seed, seed)
        # a rival's run of our (published) architecture is the rival's result, not ours
        add_result(settings.database_url, rival.id, mine, 1.0 + seed, seed)
    out = get_fig1(client, team)
    assert all(n["top1_error_mean"] is None for n in out["nodes"])
    assert out["figure"]["layout"]["meta"]["y"] == "layout"
    assert all(n["measured_as"] is None and n["kind"] == "preset" for n in out["nodes"])
    rival_view = {n["name"]: n for n in get_fig1(client, rival)["nodes"]}
    assert rival_view["B-s36"]["top1_error_mean"] == pytest.approx(5.5)
    assert rival_view["A-s36"]["top1_error_mean"] is None  # the rival saved no A-s36 of its own


# -- (d) runs that did not learn and synthetic data measure nothing -------------------------------


def test_unlearned_and_synthetic_runs_are_left_out(client, settings: Settings) -> None:
    team = make_team(settings)
    url = settings.database_url
    a = add_architecture(url, team.id, "A-s36", name="a")
    for seed, error in enumerate([10.0, 12.0]):
        add_result(url, team.id, a, error, seed)
    add_result(url, team.id, a, 90.0, 2, learned=False)
    add_result(url, team.id, a, 1.0, 3, dataset="synthetic", protocol="synthetic, 2 epochs, batch 64")
    # more runs under another protocol, but none of them measures anything
    for seed in range(4):
        add_result(url, team.id, a, 1.0, seed, dataset="synthetic", protocol="synthetic, 1 epochs")
    b = add_architecture(url, team.id, "B-s36", name="b")
    add_result(url, team.id, b, 90.0, learned=False)
    add_result(url, team.id, b, 2.0, 1, dataset="synthetic")
    nodes = {n["name"]: n for n in get_fig1(client, team)["nodes"]}
    assert (nodes["A-s36"]["top1_error_mean"], nodes["A-s36"]["runs"]) == (pytest.approx(11.0), 2)
    assert nodes["A-s36"]["protocol"] == PROTOCOL
    assert nodes["B-s36"]["top1_error_mean"] is None and nodes["B-s36"]["measured"] is None


# -- (e) the page ---------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.slow
def test_the_page_plots_errors_and_says_no_result_yet(server: Server, new_page) -> None:
    seed_fig1(server.settings.database_url, team_id(server))
    page, console = new_page({"width": 1280, "height": 900}, timeout_ms=20_000)
    page.goto(f"{server.url}/#token={server.token}")
    page.goto(f"{server.url}/#/relations?scale=s36&view=1")
    page.wait_for_function(
        "() => document.getElementById('relations-plot')?.layout?.meta?.y === 'measured top-1 error'"
    )
    title = page.locator("#relations-plot .ytitle").text_content() or ""
    assert "top-1 error (%)" in title and "95% interval" in title
    assert "no result yet" in (page.locator("#relations-plot").text_content() or "")

    def row(name: str) -> str:
        return (
            page.locator("#relations-nodes tbody tr")
            .filter(has=page.locator(f"th:text-is('{name}')"))
            .inner_text()
        )

    a = row("A-s36")
    assert "11.00 % ± 1.00 %" in a and "95% CI" in a and "3 seeds" in a and "as my-A" in a
    assert "no result yet" in row("C-s36") and "no result yet" not in row("B-s36")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "relations-results.png"), full_page=True)
    assert console.errors() == []
