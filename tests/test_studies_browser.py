"""The study page in chromium (Playwright) against a real uvicorn server: a study created from the
list page, and a study with results: its table, comparisons coloured by verdict, the server's
figures drawn, and the HTML report downloaded. No console errors."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.browser_support import SCREENSHOTS, WIDE, Server
from tests.test_studies_reports import ERRORS, finish

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def open_page(new_page, server: Server, route: str):
    """Signed in on `route`, through tests/conftest.py's browser, server and pages."""
    page, console = new_page(WIDE, timeout_ms=20_000, accept_downloads=True)
    page.goto(f"{server.url}/#token={server.token}")
    page.goto(f"{server.url}/#/{route}")
    return page.context, page, console


def test_create_a_study_from_the_list(server, new_page) -> None:
    context, page, console = open_page(new_page, server, "studies")
    page.fill("#study-name", "figure 2")
    page.select_option("#study-figure", "2")
    page.fill("#study-seeds", "0,1")
    page.click("#study-create")
    page.wait_for_url("**/#/studies/*")
    page.wait_for_selector(".study-models tbody tr")
    assert page.locator(".study-models tbody tr").count() == 7  # A, F, G, C, H, D, I
    assert page.locator(".view-head .badge").inner_text() == "queued"
    assert "0/14 succeeded" in page.locator(".view-head").inner_text()
    page.goto(f"{server.url}/#/studies")
    page.wait_for_selector("#study-list table")
    assert "figure 2" in page.locator("#study-list").inner_text()
    context.close()
    assert console.errors() == []


def test_a_study_with_results(server, new_page) -> None:
    headers = {"Authorization": f"Bearer {server.token}"}
    study = httpx.post(f"{server.url}/api/v1/studies", headers=headers, timeout=30,
                       json={"name": "fig 1", "models": {"figure": 1}}).json()  # fmt: skip
    finish(server.settings, study)
    context, page, console = open_page(new_page, server, f"studies/{study['id']}")
    page.wait_for_selector(".study-comparisons tbody tr")
    rows = page.locator(".study-models tbody tr")
    assert rows.count() == 5
    a = rows.nth(0).inner_text()
    mean = sum(ERRORS["A-s36"]) / 3
    assert "A-s36" in a and f"{mean:.2f}" in a and "3/3" in a
    assert "1 did not learn" in rows.nth(4).inner_text()
    ab = page.locator(".study-comparisons tbody tr").filter(has_text="A-s36 → B-s36")
    assert ab.locator(".verdict.better").inner_text() == "better"
    assert page.locator(".study-comparisons .verdict.within-noise").count() >= 1
    # the server's figures, drawn: a panel of Fig. 1, and a mean line per model in the curves
    page.wait_for_function("() => (document.getElementById('study-results').data || []).length > 0")
    page.wait_for_function("() => (document.getElementById('study-curves').data || []).length >= 15")
    assert page.locator(".view-head .badge").inner_text() == "succeeded"
    with page.expect_download() as info:
        page.click("#study-download-html")
    download = info.value
    assert download.suggested_filename == f"study-{study['id']}.html"
    text = Path(download.path()).read_text(encoding="utf-8")
    assert "Plotly.newPlot" in text and "A-s36" in text
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "study-wide.png"), full_page=True)
    # a model's runs compared: the study links to the overlay of its seeds
    page.click(".study-models a:text-is('A-s36')")
    page.wait_for_url("**/#/compare?jobs=*")
    page.wait_for_selector("#compare-jobs tbody tr")
    assert page.locator("#compare-jobs tbody tr").count() == 3
    page.wait_for_function("() => (document.getElementById('compare-plot').data || []).length == 5")
    # the run that did not learn is marked in the jobs list too
    page.goto(f"{server.url}/#/jobs")
    page.wait_for_selector(".did-not-learn")
    assert page.locator(".did-not-learn").count() == 1
    context.close()
    assert console.errors() == []
