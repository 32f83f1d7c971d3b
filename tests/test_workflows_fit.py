"""Item 9 of the issue "Workflows", in a real browser: a dashboard that fits every screen. Charts
follow the window, layer-table cells fit their values, the budget meter's labels and the job
page's subplot titles do not collide, the protocol select fits a phone, the leaderboard opens on
the team's latest results and its scatter has legend entries and labels, notation errors use one
numbering and quote whole tokens, and a dark theme follows the system. Screenshots at 1280 and
400 px go to /tmp/shots."""

from __future__ import annotations

import pytest

from app.arch.analysis import analyse
from app.arch.presets import presets
from app.db import session_scope
from app.jobs.models import Job, Result
from tests.browser_support import NARROW, WIDE, team_id, wait_total
from tests.workflows_support import Client, overlapping, shoot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LONG_PROTOCOL = "digits, 30 epochs, batch 64, SGD lr 0.05 momentum 0.9 weight decay 0.0005, cosine schedule"
BOXES = "sel => [...document.querySelectorAll(sel)].map(e => e.getBoundingClientRect().toJSON())"


def add_run(server, preset: str, protocol: str, error: float) -> int:
    """A finished training run of a new published architecture of `preset`; returns its job id."""
    arch = Client(server).save(preset, published=True)
    with session_scope(server.settings.database_url) as session:
        job = Job(team_id=team_id(server), architecture_id=arch["id"], kind="train", queue="cpu", status="succeeded",
                  params={"epochs": 30, "seed": 0}, protocol=protocol, progress=1.0, device="cpu")  # fmt: skip
        session.add(job)
        session.flush()
        session.add(Result(job_id=job.id, architecture_id=arch["id"], team_id=job.team_id, kind="train",
                           protocol=protocol, dataset="digits", seed=0, conv_macs=arch["conv_macs"],
                           top1_error=error, top5_error=0.5, provenance={}))  # fmt: skip
        return job.id


def inside(page, plot: str, card: str) -> bool:
    """The figure's drawing ends within its card, left, right and bottom."""
    svg = page.evaluate(f"document.querySelector('{plot} .main-svg').getBoundingClientRect().toJSON()")
    box = page.evaluate(
        f"document.querySelector('{plot}').closest('{card}').getBoundingClientRect().toJSON()"
    )
    return (
        svg["x"] >= box["x"] - 1 and svg["right"] <= box["right"] + 1 and svg["bottom"] <= box["bottom"] + 1
    )


def test_charts_follow_the_window(server, browser_page, seeded) -> None:
    page, console = browser_page(WIDE, signed_in=True)
    page.locator("#layer-chart .main-svg").first.wait_for()
    wide = page.evaluate("document.querySelector('#layer-chart .main-svg').getBoundingClientRect().width")
    page.set_viewport_size(NARROW)
    page.wait_for_function(
        "w => document.querySelector('#layer-chart .main-svg').getBoundingClientRect().width < w", arg=wide
    )
    page.wait_for_timeout(500)
    assert inside(page, "#layer-chart", ".card")
    page.goto(f"{server.url}/#/leaderboard")
    page.locator("#leaderboard-plot .main-svg").first.wait_for()
    page.set_viewport_size(WIDE)
    page.wait_for_timeout(800)
    page.set_viewport_size(NARROW)  # narrowed after drawing: the legend wraps onto more rows
    page.wait_for_timeout(800)
    assert inside(page, "#leaderboard-plot", ".card")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    shoot(page, "leaderboard-narrowed")
    assert console.errors() == []


def test_cells_meter_labels_and_the_protocol_select_fit(server, browser_page, seeded) -> None:
    api = Client(server)
    c = analyse(presets()["A-s36"].spec).conv_macs
    budget = api.post(
        "/budgets", {"name": "a quarter cheaper", "reference_conv_macs": round(c / 1.25), "input_side": 36}
    )
    add_run(server, "A-s36", LONG_PROTOCOL, 2.5)
    for viewport in (WIDE, NARROW):
        page, console = browser_page(viewport, signed_in=True)
        page.goto(f"{server.url}/#/editor?preset=A")  # "(7,64)/2 valid" and "spp(6,3,2,1)"
        wait_total(page, analyse(presets()["A"].spec).conv_macs)
        cut = page.evaluate(
            "[...document.querySelectorAll('#layer-table input')].filter(i => i.scrollWidth > i.clientWidth).map(i => i.value)"
        )
        assert cut == [] and page.locator("[data-key='levels']").input_value() == "6,3,2,1"
        page.goto(f"{server.url}/#/editor?preset=A-s36")
        wait_total(page, c)
        page.select_option("#reference-select", f"budget:{budget['id']}")
        page.locator("#budget-status", has_text="1.250×").wait_for()
        ticks = page.evaluate(BOXES, ".meter .tick")
        assert overlapping(ticks) == [], page.locator(".meter").inner_text()
        page.locator(".meter").scroll_into_view_if_needed()
        shoot(page, "meter")
        page.goto(
            f"{server.url}/#/leaderboard?budget={next(b['id'] for b in api.get('/budgets') if b['name'] == 'A-s36')}"
        )
        page.locator("#leaderboard-table").wait_for()
        page.wait_for_function(
            "p => [...document.querySelectorAll('#lb-protocol option')].some(o => o.value === p)",
            arg=LONG_PROTOCOL,
        )
        assert (
            page.evaluate("document.getElementById('lb-protocol').getBoundingClientRect().right")
            <= viewport["width"]
        )
        shoot(page, "leaderboard-protocol")
        assert console.errors() == []


def test_subplot_titles_scatter_legend_and_the_latest_budget(server, browser_page, seeded) -> None:
    training, _ = seeded
    for viewport in (WIDE, NARROW):
        page, console = browser_page(viewport, signed_in=True)
        page.goto(f"{server.url}/#/jobs/{training}")
        page.locator("#job-chart .annotation-text").first.wait_for()
        titles = page.evaluate(BOXES, "#job-chart .annotation-text")
        svg = page.evaluate("document.querySelector('#job-chart .main-svg').getBoundingClientRect().toJSON()")
        assert len(titles) == 2 and overlapping(titles) == []
        assert all(t["x"] >= svg["x"] and t["right"] <= svg["right"] + 1 for t in titles)
        shoot(page, "job-curves")
        assert console.errors() == []
    # the scatter: legend entries for the reference line and the band, and labelled points
    page, console = browser_page(WIDE, signed_in=True)
    budget = next(b for b in Client(server).get("/budgets") if b["name"] == "A-s36")
    page.goto(f"{server.url}/#/leaderboard?budget={budget['id']}")
    page.locator("#leaderboard-plot .legend").wait_for()
    legend = " | ".join(page.locator("#leaderboard-plot .legend .legendtext").all_text_contents())
    assert "reference C" in legend and "band" in legend
    labels = page.locator("#leaderboard-plot .textpoint").all_text_contents()
    assert {"B-s36-run", "F-s36-run"} <= set(labels)
    # with no budget asked for, it opens on the budget of the team's latest result: here A (224)
    add_run(server, "C", "digits, 30 epochs", 30.0)
    page.goto(f"{server.url}/#/leaderboard")
    page.locator("#budget-tabs [aria-selected='true']", has_text="A (224)").wait_for()
    assert "C-" in page.locator("#leaderboard-table").inner_text()
    assert console.errors() == []


def test_notation_errors_use_one_numbering_and_quote_whole_tokens(server, browser_page) -> None:
    page, console = browser_page(NARROW)
    console.allow.append(r"status of 422")  # the browser logs each rejected request; expected here
    for text, position, token in (
        ("(3,16) + pool 3 | (5,32) + poool 2 | (3,64)x3 + spp(2,1) + fc 10", 27, "poool"),
        ("(3,16) + pool 3 | (5,1234567890123) + fc 10", 21, "1234567890123"),
    ):
        page.fill("#notation", text)
        box = page.locator("#notation-error-box")
        box.wait_for()
        page.wait_for_function(
            "t => document.querySelector('#notation-error mark')?.textContent === t", arg=token
        )
        message = box.inner_text()
        assert f"at position {position} ('{token}')" in message
        assert f"(position {position})" in message and "character" not in message
        shoot(page, "notation-error")
    assert console.errors() == []


def test_a_dark_theme_follows_the_system(server, new_page) -> None:
    for viewport in (WIDE, NARROW):
        page, console = new_page(viewport, timeout_ms=30_000, color_scheme="dark")
        page.goto(f"{server.url}/#/editor")
        page.locator("#layer-chart .main-svg").first.wait_for()
        background = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
        red, green, blue = (int(v) for v in background[background.index("(") + 1 : -1].split(",")[:3])
        assert max(red, green, blue) < 60, background
        font = page.evaluate("document.getElementById('layer-chart')._fullLayout.font.color")
        assert font.lower() in ("#d8dee6", "rgb(216, 222, 230)"), font
        shoot(page, "editor-dark")
        assert console.errors() == []
        page.context.close()
