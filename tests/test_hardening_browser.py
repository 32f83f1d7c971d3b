"""A safe browser, in a real one (Debian's chromium through Playwright, a real uvicorn): user names
in figures are text, not live links; a #token= link to another team asks before switching; the
pages run under the Content-Security-Policy; /docs and /redoc render with no network.
Skipped locally without chromium or Playwright; required on CI.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlparse

import httpx
import pytest

from tests.browser_support import EDITOR_READY, S36, WIDE, Server, another_team

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LINK = '<a href="https://example.invalid/phish">click me</a>'
BIG = '<span style="font-size:80px">big</span>'
# not a preset (a saved preset joins the preset's node): A-s36 with stage 3 deepened
DEEPER = "(3,16) + pool 3 | (5,32) + pool 2 | (3,51)x3 + (3,64) + spp(2,1) + fc 512 + fc 512 + fc 10"


@pytest.fixture(scope="module")
def teams(server: Server) -> dict[str, str]:
    """Two teams on the module's server (tests/conftest.py), name -> token: its own, then a rival."""
    rival, token = another_team(server)
    return {server.team: server.token, rival: token}


@pytest.fixture
def page_of(new_page):
    """`page_of(offline=False)`: a fresh context (empty localStorage) and page; its console errors,
    the native dialogs it opened and, offline, the requests it tried to send elsewhere."""

    def open_page(offline: bool = False, viewport: dict = WIDE):
        page, console = new_page(viewport)
        seen: dict[str, list[str]] = {"console": console.messages, "dialogs": [], "elsewhere": []}
        if offline:  # a host without internet: only this server answers

            def route(request_route) -> None:
                host = urlparse(request_route.request.url).hostname
                if host == "127.0.0.1":
                    request_route.continue_()
                else:
                    seen["elsewhere"].append(request_route.request.url)
                    request_route.abort()

            page.context.route("**/*", route)
        page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
        return page, seen

    return open_page


def signed_in_as(page, server: Server, token: str, name: str) -> None:
    page.goto(f"{server.url}/#token={token}")
    page.wait_for_function(
        "(name) => document.getElementById('who').textContent === `Team ${name}`", arg=name
    )


# --- 11: a #token= link to another team asks first ------------------------------------------------


def test_a_link_to_another_team_asks_before_switching(server, teams, page_of) -> None:
    alpha, beta = teams
    page, seen = page_of()
    signed_in_as(page, server, teams[alpha], alpha)  # the first sign-in: nothing to ask
    page.evaluate("(token) => { location.hash = '#token=' + token; }", teams[alpha])
    page.wait_for_function("() => location.hash === '#/editor'")  # the same token again: nor here
    assert page.locator("#confirm-dialog").count() == 0

    page.evaluate("(token) => { location.hash = '#token=' + token; }", teams[beta])
    dialog = page.locator("#confirm-dialog")
    dialog.wait_for(state="visible")
    text = dialog.inner_text()
    assert f"team {alpha}" in text and f"team {beta}" in text
    assert "token" not in page.url.split("#", 1)[1]  # dropped from the address while asking
    page.click("#confirm-no")
    assert dialog.count() == 0
    assert page.evaluate("localStorage.getItem('isocost.token')") == teams[alpha]
    assert page.locator("#who").inner_text() == f"Team {alpha}"

    # opened afresh (the link pasted into the address bar): asked again; this time switch
    page.goto(f"{server.url}/#token={teams[beta]}")
    page.locator("#confirm-dialog").wait_for(state="visible")
    page.click("#confirm-yes")
    page.wait_for_function(
        "(name) => document.getElementById('who').textContent === `Team ${name}`", arg=beta
    )
    assert page.evaluate("localStorage.getItem('isocost.token')") == teams[beta]
    assert seen["dialogs"] == []  # never window.confirm
    assert seen["console"] == []


# --- 10: markup in a name is drawn as text ------------------------------------------------------


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 400, "height": 900}])
def test_a_name_written_as_markup_is_not_a_live_link_in_the_figure(server, teams, page_of, viewport) -> None:
    alpha, _ = teams
    headers = {"Authorization": f"Bearer {teams[alpha]}"}
    for name, notation in ((LINK, DEEPER), (BIG, DEEPER.replace("(3,51)x3", "(3,52)x3"))):
        body = {"name": f"{name} {uuid.uuid4().hex[:4]}", "notation": notation, "input": S36}
        response = httpx.post(f"{server.url}/api/v1/architectures", json=body, headers=headers, timeout=10)
        assert response.status_code == 201, response.text
    page, seen = page_of(viewport=viewport)
    signed_in_as(page, server, teams[alpha], alpha)
    page.goto(f"{server.url}/#/relations")
    plot = page.locator("#relations-plot")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#relations-plot text')].some(t => t.textContent.includes('<a href'))"
    )
    assert plot.locator("a").count() == 0  # plotly made no link of it
    drawn = plot.locator("svg").first.evaluate("svg => svg.closest('.js-plotly-plot').textContent")
    assert "<a href=" in drawn and "<span style=" in drawn  # shown as typed
    sizes = plot.evaluate(
        "el => [...el.querySelectorAll('text, tspan')].map(t => parseFloat(getComputedStyle(t).fontSize))"
    )
    assert max(sizes) < 30  # no 80 px text
    assert seen["console"] == []


# --- 12: the dashboard under the Content-Security-Policy ---------------------------------------------


def test_the_dashboard_runs_under_the_policy(server, teams, page_of) -> None:
    alpha, _ = teams
    page, seen = page_of()
    response = page.goto(f"{server.url}/#token={teams[alpha]}")
    assert response is not None and "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_function(EDITOR_READY)
    for view in ("replace", "relations", "jobs", "leaderboard", "signin", "editor"):
        page.goto(f"{server.url}/#/{view}")
        page.wait_for_load_state("networkidle")
    page.wait_for_selector("#total-macs")
    assert [m for m in seen["console"] if "Content Security Policy" in m] == []
    assert seen["console"] == []


# --- 13: /docs and /redoc with no network ----------------------------------------------------------


def test_swagger_ui_renders_every_operation_offline(server, page_of) -> None:
    page, seen = page_of(offline=True)
    page.goto(f"{server.url}/docs")
    operations = sum(len(item) for item in httpx.get(f"{server.url}/openapi.json").json()["paths"].values())
    page.wait_for_function("n => document.querySelectorAll('.opblock').length >= n", arg=operations)
    assert page.locator(".opblock-summary-path", has_text="/api/v1/complexity").count() >= 1
    assert seen["elsewhere"] == [] and seen["console"] == []


def test_redoc_renders_offline(server, page_of) -> None:
    page, seen = page_of(offline=True)
    page.goto(f"{server.url}/redoc")
    page.get_by_text("/api/v1/complexity").first.wait_for(state="attached")
    # Redoc's footer logo points at its CDN: the policy blocks it (it hides itself on error)
    assert [m for m in seen["console"] if "cdn.redoc.ly" not in m] == []
    assert seen["elsewhere"] == []
