"""The dashboard's pages in a real browser (Debian's chromium driven by Playwright against a real
uvicorn server; fixtures in tests/conftest.py): the relations view draws Fig. 1, the token in the
fragment signs in, a job is saved, submitted and cancelled, and every page is screenshot at
1280x800 and at a narrow 400x800 into artifacts/screenshots/. Skipped locally without chromium or
Playwright; required on CI. Every test ends by asserting that the page logged no console errors.
"""

from __future__ import annotations

import re
import uuid

import pytest

from app.arch.analysis import analyse
from app.arch.presets import presets
from tests.browser_support import NARROW, SCREENSHOTS, WIDE, save_design, wait_total

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FIG1 = {("A", "B"), ("A", "C"), ("B", "D"), ("C", "D"), ("D", "E")}


def test_the_relations_view_draws_fig1_and_opens_a_node(server, browser_page) -> None:
    page, console = browser_page()
    page.goto(f"{server.url}/#/relations?scale=s36&view=1")
    page.locator("#relations-edges tbody tr[data-source]").first.wait_for()
    rows = page.locator("#relations-edges tbody tr[data-source]")
    drawn = {
        (rows.nth(i).get_attribute("data-source"), rows.nth(i).get_attribute("data-target"))
        for i in range(rows.count())
    }
    assert {(s.removesuffix("-s36"), t.removesuffix("-s36")) for s, t in drawn} == FIG1
    # the plot itself: one arrow per edge in the SVG, the edges in the figure's meta
    page.wait_for_function("() => document.querySelectorAll('#relations-plot .annotation').length === 5")
    meta = page.evaluate("document.getElementById('relations-plot').layout.meta.edges")
    assert {(s, t) for s, t, _ in meta} == drawn
    # a click on node B-s36 opens it in the editor
    point = page.evaluate(
        """() => {
            const el = document.getElementById('relations-plot');
            const trace = el.data.find(t => t.name === "paper's model (preset)");
            const i = trace.customdata.findIndex(c => c[1] === 'B-s36');
            const {xaxis, yaxis} = el._fullLayout;
            const box = el.getBoundingClientRect();
            return [box.left + xaxis._offset + xaxis.l2p(trace.x[i]), box.top + yaxis._offset + yaxis.l2p(trace.y[i])];
        }"""
    )
    page.mouse.click(*point)
    page.wait_for_url(re.compile(r"#/editor$"))
    wait_total(page, analyse(presets()["B-s36"].spec).conv_macs)
    assert "preset B-s36" in page.locator("#origin").inner_text()
    assert console.errors() == []


def test_the_token_in_the_fragment_signs_in_and_leaves_the_address(server, browser_page) -> None:
    page, console = browser_page(signed_in=True)
    assert "token" not in page.url and page.url.endswith("#/editor")
    assert page.evaluate("localStorage.getItem('isocost.token')") == server.token
    page.locator("#who", has_text=f"Team {server.team}").wait_for()
    assert console.errors() == []


def test_save_submit_and_cancel_a_job(server, browser_page) -> None:
    page, console = browser_page(signed_in=True)
    wait_total(page, server.post("/complexity", {"preset": "A-s36"})["conv_macs"])
    save_design(page, f"mine-{uuid.uuid4().hex[:6]}")
    page.fill("#job-epochs", "1")
    page.fill("#job-seeds", "0, 1")
    page.click("#job-submit")
    link = page.locator("text=/Follow them on the Jobs page/")
    link.wait_for()
    link.click()
    rows = page.locator("#jobs-table tbody tr")
    rows.first.wait_for()
    assert rows.count() == 2  # one job per seed; no worker here, so both stay queued
    assert rows.first.locator(".badge").inner_text() == "queued"
    assert rows.first.locator("progress").get_attribute("value") == "0"
    rows.first.locator("a").first.click()
    page.locator("#job-cancel").click()
    page.locator("#job-summary .badge.cancelled").wait_for()
    assert console.errors() == []


def test_screenshots_of_every_page(server, browser_page, seeded) -> None:
    """Every page, signed in, at 1280x800 and 400x800; no console errors anywhere."""
    training, bench = seeded
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pages = {
        "editor": ("#/editor", "#layer-chart .main-svg"),
        "replace": ("#/replace", "#range-first"),
        "relations": ("#/relations?scale=s36&view=all", "#relations-plot .main-svg"),
        "relations-fig2": ("#/relations?scale=paper&view=2", "#relations-plot .main-svg"),
        "jobs": ("#/jobs", "#jobs-table"),
        "job": (f"#/jobs/{training}", "#metrics-table"),
        "benchmark": (f"#/jobs/{bench}", "#benchmark-table"),
        "leaderboard": ("#/leaderboard", "#leaderboard-table"),
        "signin": ("#/signin", "#signin-form"),
    }
    for label, viewport in (("wide", WIDE), ("narrow", NARROW)):
        page, console = browser_page(viewport, signed_in=True)
        for name, (hash_, ready) in pages.items():
            page.goto(f"{server.url}/{hash_}")
            page.locator(ready).first.wait_for()
            page.wait_for_timeout(300)  # let Plotly finish its transitions
            page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)
            # nothing wider than the screen but the scrollable tables
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{name} at {label} is {overflow} px wider than the window"
        assert console.errors() == []
    # the leaderboard ranks the seeded models with their spread and cost ratio
    page.goto(f"{server.url}/#/leaderboard")
    first = page.locator("#leaderboard-table tbody tr").first
    first.wait_for()
    assert "F-s36-run" in first.inner_text() and "3.35 % ± 0.21 %" in first.inner_text()
