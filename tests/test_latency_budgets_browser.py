"""Time budgets in the dashboard, in chromium (Playwright against a real uvicorn; tests/conftest.py's
fixtures): a latency budget made from a saved design in the editor's budget form, the editor's
meter against it, and the leaderboard listing an unmeasured model apart with its predicted time."""

from __future__ import annotations

import uuid

import httpx
import pytest

from app.arch.analysis import analyse
from app.arch.presets import presets
from app.db import session_scope
from app.profiles.service import store
from tests.browser_support import SCREENSHOTS, team_id, wait_total
from tests.jobs_support import add_architecture
from tests.test_api_leaderboard import results
from tests.test_latency_budgets_board import benchmark
from tests.test_timing_profiles import profile_data

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_latency_budget_from_the_editor_and_its_predicted_board(server, browser_page) -> None:
    url, preset = server.settings.database_url, "C-s36"
    device = f"Browser CPU {uuid.uuid4().hex[:6]}"
    with session_scope(url) as session:
        profile = store(session, profile_data(f"lat-{uuid.uuid4().hex[:6]}", device=device)).id
    name = f"{preset}-timed-{uuid.uuid4().hex[:4]}"
    arch = add_architecture(url, team_id(server), preset, published=True, name=name)
    conv_macs = analyse(presets()[preset].spec).conv_macs
    stored = {"id": arch, "team_id": team_id(server), "conv_macs": conv_macs}
    results(server.settings, stored, "digits/ui", [4.0, 5.0])
    page, console = browser_page(signed_in=True)
    page.goto(f"{server.url}/#/editor?arch={arch}")
    wait_total(page, conv_macs)
    page.click("#budget-panel summary")
    page.select_option("#budget-metric", "latency_ms")
    page.locator(f"#budget-profile option[value='{profile}']").wait_for(state="attached")
    page.select_option("#budget-profile", str(profile))
    page.fill("#budget-name", "timed in the UI")
    page.fill("#budget-tolerance", "10")
    page.click("#budget-create")
    page.locator("#budget-create-status .ok", has_text=f"at batch 1 on {device} (predicted)").wait_for()
    headers = {"Authorization": f"Bearer {server.token}"}
    budgets = httpx.get(f"{server.url}/api/v1/budgets", headers=headers).json()
    budget = next(b for b in budgets if b["name"] == "timed in the UI")
    assert (budget["metric"], budget["reference_architecture_id"], budget["reference_predicted"]) == (
        "latency_ms", arch, True,
    )  # fmt: skip
    assert budget["device_profile"]["id"] == profile and budget["tolerance"] == 0.1
    # the meter: a time budget, until the editor predicts on its profile; then the design against it
    page.locator("#budget-status", has_text="is a time budget").wait_for()
    page.select_option("#device-profile", str(profile))
    page.locator("#budget-status", has_text="within budget").wait_for()
    assert "Predicted" in page.locator("#budget-status").inner_text()
    # the leaderboard: trained, never benchmarked on that device: predicted, not ranked
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{server.url}/#/leaderboard?budget={budget['id']}")
    row = page.locator("#leaderboard-predicted tbody tr", has_text=name)
    row.wait_for()
    assert "predicted" in row.inner_text() and "4.50 %" in row.inner_text()
    assert "Predicted, not ranked until measured" in page.locator("#budget-panel").inner_text()
    assert page.locator("#leaderboard-table").count() == 0
    assert device in page.locator("#budget-panel").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "leaderboard-time-predicted.png"), full_page=True)
    # once benchmarked on the device, within the band: ranked, its time shown with its spread
    benchmark(server.settings, stored, device, 6.0)
    page.reload()
    ranked = page.locator("#leaderboard-table tbody tr", has_text=name)
    ranked.wait_for()
    assert "6.00 ms (5.40 ms – 7.20 ms)" in ranked.inner_text() and "1 of 1 benchmark" in ranked.inner_text()
    assert page.locator("#leaderboard-predicted").count() == 0
    page.screenshot(path=str(SCREENSHOTS / "leaderboard-time-ranked.png"), full_page=True)
    assert console.errors() == []
