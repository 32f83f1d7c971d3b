"""Workflows in a real browser, items 5-9 of the issue: the network diagram; budgets and tokens in
the dashboard; a job's progress, time left, place in the queue, device, and a cancelled job shown
as cancelled; CSV and JSON downloads; and a dashboard that fits every screen (charts that follow
the window, cells that fit their values, meter labels and subplot titles that do not collide, a
phone-sized protocol select, the leaderboard opening on the team's latest results, the scatter's
legend and labels, one numbering for notation errors, a dark theme). Screenshots at 1280 and
400 px go to /tmp/shots."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

import httpx
import pytest

from app.arch.analysis import analyse
from app.arch.presets import presets
from app.db import session_scope, utcnow
from app.jobs import lifecycle
from tests.browser_support import NARROW, WIDE, save_design, team_id, wait_total
from tests.jobs_support import add_architecture, add_job
from tests.workflows_support import Client, both_widths, shoot

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def analysis_of(preset: str):
    return analyse(presets()[preset].spec)


def test_the_network_diagram_draws_layers_widths_shares_and_stages(server, browser_page) -> None:
    a = analysis_of("A-s36")
    for viewport in (WIDE, NARROW):
        page, console = browser_page(viewport)
        wait_total(page, a.conv_macs)
        boxes = page.locator("#diagram .box")
        boxes.first.wait_for()
        assert boxes.count() == len(a.layers)
        widths = {layer.name: boxes.nth(i).bounding_box()["width"] for i, layer in enumerate(a.layers)}
        # in proportion to channels: conv1 has 16, conv2 32, conv3 64 (the widest map)
        assert widths["conv2"] / widths["conv3"] == pytest.approx(0.5, abs=0.02)
        assert widths["conv1"] / widths["conv3"] == pytest.approx(0.25, abs=0.02)
        for i, layer in enumerate(a.layers):
            text = boxes.nth(i).inner_text()
            assert layer.name in text
            if layer.kind == "conv":
                assert f"{layer.share * 100:.1f} % of C" in text
                assert f"{layer.out_channels}×{layer.out_hw[0]}×{layer.out_hw[1]}" in text
        labels = page.locator("#diagram .stage-label").all_inner_texts()
        assert labels[:3] == ["Stage 1 · 36×36 px", "Stage 2 · 12×12 px", "Stage 3 · 6×6 px"]
        page.locator("#diagram").scroll_into_view_if_needed()
        shoot(page, "diagram")
        assert console.errors() == []


def test_budgets_and_tokens_are_managed_in_the_dashboard(server, browser_page) -> None:
    api = Client(server)
    a = analysis_of("A-s36")
    page, console = browser_page(WIDE, signed_in=True)
    wait_total(page, a.conv_macs)
    page.click("#budget-panel summary")
    page.fill("#budget-name", "mine at 3 %")
    page.fill("#budget-tolerance", "3")
    page.click("#budget-create")
    page.locator("#budget-create-status .ok").wait_for()
    budget = next(b for b in api.get("/budgets") if b["name"] == "mine at 3 %")
    assert (budget["reference_conv_macs"], budget["input_side"], budget["tolerance"]) == (
        a.conv_macs,
        36,
        0.03,
    )
    page.wait_for_function(
        "v => document.getElementById('reference-select').value === v", arg=f"budget:{budget['id']}"
    )
    # a saved design is the reference by its id
    saved_id = save_design(page, "reference-design")
    page.fill("#budget-name", "of the saved one")
    page.click("#budget-create")
    page.locator("#budget-create-status .ok", has_text="of the saved one").wait_for()
    assert (
        next(b for b in api.get("/budgets") if b["name"] == "of the saved one")["reference_architecture_id"]
        == saved_id
    )
    shoot(page, "budget-create")
    # tokens: listed, created (shown once), revoked
    page.click("nav >> text=Team")
    page.locator("#tokens-table tbody tr").first.wait_for()
    assert page.locator("#tokens-table tbody tr").count() == len(api.get("/tokens"))
    assert "(this browser)" in page.locator("#tokens-table").inner_text()
    page.fill("#token-label", "ci")
    page.click("#token-create")
    new = page.locator("#new-token").input_value()
    assert new.startswith("iso_")
    assert httpx.get(f"{api.url}/teams/me", headers={"Authorization": f"Bearer {new}"}).status_code == 200
    assert budget["name"] in page.locator("#budgets-table").inner_text()
    shoot(page, "team")
    page.reload()
    page.locator("#tokens-table tbody tr").first.wait_for()
    assert page.locator("#new-token").count() == 0  # shown once
    ci = next(t for t in api.get("/tokens") if t["label"] == "ci")
    page.get_by_role("button", name="Revoke token ci").click()
    page.click("#confirm-yes")
    page.locator(f"#tokens-table tr[data-id='{ci['id']}']", has_text="revoked").wait_for()
    assert httpx.get(f"{api.url}/teams/me", headers={"Authorization": f"Bearer {new}"}).status_code == 401
    page.get_by_role("button", name="Delete budget mine at 3 %").click()
    page.click("#confirm-yes")
    page.locator("#budgets-table", has_text="mine at 3 %").wait_for(state="detached")
    assert console.errors() == []
    both_widths(browser_page, "team", "#/team", "#tokens-table", server)


def test_jobs_show_progress_time_left_queue_place_device_and_cancelled(server, browser_page) -> None:
    url, team = server.settings.database_url, team_id(server)
    arch = add_architecture(url, team, "C-s36")
    running = add_job(url, team, arch, status="running", worker="w", progress=0.4,
                      started_at=utcnow() - timedelta(seconds=120), device="Test GPU")  # fmt: skip
    queued = [add_job(url, team, arch) for _ in range(2)]
    done = add_job(url, team, arch, status="running", worker="w")
    with session_scope(url) as session:
        assert lifecycle.complete(session, done, "w", {"conv_macs": 1, "dataset": "digits", "top1_error": 3.0,
                                                       "device": "Test CPU", "provenance": {}})  # fmt: skip
    cancelled = add_job(url, team, arch, status="running", worker="w")
    with session_scope(url) as session:
        assert lifecycle.mark_cancelled(session, cancelled, "w")
    page, console = browser_page(WIDE, signed_in=True)
    page.goto(f"{server.url}/#/jobs")
    row = page.locator(f"#jobs-table tr[data-id='{running}']")
    row.wait_for()
    assert row.locator("progress").get_attribute("value") == "0.4"
    assert re.fullmatch(r"about 3 min( \d+ s)? left", row.locator(".eta").inner_text())  # 120 s for 40 %
    places = [page.locator(f"#jobs-table tr[data-id='{j}'] .eta").inner_text() for j in queued]
    numbers = [
        1 if p == "next in the queue" else int(re.match(r"(\d+)(st|nd|rd|th) in the cpu queue", p).group(1))
        for p in places
    ]
    assert numbers[1] == numbers[0] + 1
    assert page.locator(f"#jobs-table tr[data-id='{done}'] td").nth(6).inner_text() == "Test CPU"
    page.goto(f"{server.url}/#/jobs/{done}")
    page.locator("#job-device", has_text="Test CPU").wait_for()
    page.goto(f"{server.url}/#/jobs/{cancelled}")
    page.locator("#job-summary .badge.cancelled").wait_for()
    assert page.locator("#job-summary .cancelled-note").inner_text().startswith("Cancelled")
    assert page.locator("#job-summary .error").count() == 0  # not a red "Failed" box
    shoot(page, "job-cancelled")
    assert console.errors() == []
    both_widths(browser_page, "jobs-progress", "#/jobs", f"#jobs-table tr[data-id='{running}'] .eta", server)


def read_download(page, button: str) -> tuple[str, str]:
    with page.expect_download() as caught:
        page.click(button)
    download = caught.value
    return download.suggested_filename, open(download.path(), encoding="utf-8").read()


def test_tables_download_as_csv_and_json(server, browser_page, seeded) -> None:
    training, _ = seeded
    a = analysis_of("A-s36")
    page, console = browser_page(WIDE, signed_in=True)
    wait_total(page, a.conv_macs)
    name, text = read_download(page, "#layers-download-csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert name.endswith(".csv") and [r["layer"] for r in rows] == [layer.name for layer in a.layers]
    assert [int(r["macs"]) for r in rows] == [layer.macs for layer in a.layers]
    _, text = read_download(page, "#layers-download-json")
    assert [r["share_of_C"] for r in json.loads(text)] == [layer.share for layer in a.layers]
    page.goto(f"{server.url}/#/jobs/{training}")
    page.locator("#metrics-table").wait_for()
    job = Client(server).get(f"/jobs/{training}")
    _, text = read_download(page, "#metrics-download-csv")
    assert [float(r["top1_error_percent"]) for r in csv.DictReader(io.StringIO(text))] == [
        m["top1_error"] for m in job["metrics"]
    ]
    _, text = read_download(page, "#metrics-download-json")
    assert [m["epoch"] for m in json.loads(text)] == [1, 2, 3]
    budget = next(b for b in Client(server).get("/budgets") if b["name"] == "A-s36")
    page.goto(f"{server.url}/#/leaderboard?budget={budget['id']}")
    page.locator("#leaderboard-table").wait_for()
    board = Client(server).get("/leaderboard", budget_id=budget["id"])
    _, text = read_download(page, "#leaderboard-download-json")
    got = json.loads(text)
    assert [(e["architecture"], e["top1_error_mean_percent"]) for e in got] == [
        (e["architecture_name"], e["top1_error_mean"]) for e in board["entries"]
    ]
    _, text = read_download(page, "#leaderboard-download-csv")
    assert len(list(csv.DictReader(io.StringIO(text)))) == len(board["entries"])
    assert console.errors() == []
