"""The dashboard in a real browser: Debian's chromium driven by Playwright against a real uvicorn
server on a free loopback port. Skipped locally without chromium or Playwright; required on CI.

Every test ends by asserting that the page logged no console errors. Screenshots of every page at
1280x800 and at a narrow 400x800 go to artifacts/screenshots/.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from app.arch.analysis import analyse
from app.arch.layers import LAYER_KINDS
from app.arch.presets import presets
from app.arch.units import UNIT_SENTENCE, format_macs
from app.db import session_scope
from app.jobs.models import Job, Metric, Result
from app.jobs.results import BenchmarkDetails, LayerTiming, Timing
from app.jobs.status import JobStatus
from app.migrate import upgrade
from app.settings import Settings
from app.teams.auth import create_team
from app.teams.models import Team
from tests.conftest import chromium_path, require
from tests.jobs_support import add_architecture
from tests.stack import ROOT, Stack, environment, free_port, launch_chromium, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = ROOT / "artifacts" / "screenshots"
WIDE = {"width": 1280, "height": 800}
NARROW = {"width": 400, "height": 800}
FIG1 = {("A", "B"), ("A", "C"), ("B", "D"), ("C", "D"), ("D", "E")}
B_LIKE = "(3,16) + pool 3 | (5,32) + pool 2 | (2,64)x6 + spp(2,1) + fc 512 + fc 10"
S36 = {"channels": 3, "height": 36, "width": 36}


@dataclass
class Server:
    url: str
    token: str
    team: str
    settings: Settings

    def post(self, path: str, body: dict) -> dict:
        response = httpx.post(f"{self.url}/api/v1{path}", json=body, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()


@dataclass
class Console:
    """Console errors and uncaught exceptions of a page; `allow` lists expected messages."""

    messages: list[str] = field(default_factory=list)
    allow: list[str] = field(default_factory=list)

    def errors(self) -> list[str]:
        return [m for m in self.messages if not any(re.search(pattern, m) for pattern in self.allow)]


def settings_in(root: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{root / 'isocost.db'}",
        broker_url=f"sqla+sqlite:///{root / 'broker.db'}",
        data_root=root / "data",
        checkpoint_dir=root / "checkpoints",
        local_token_file=root / "local-token",
    )


@pytest.fixture(scope="module")
def playwright_browser():
    require(chromium_path() is not None, "chromium (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "Playwright for Python")
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright, chromium_path())
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory, playwright_browser) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("browser")
    settings = settings_in(root)
    upgrade(settings.database_url)
    name = f"browser-{uuid.uuid4().hex[:6]}"
    with session_scope(settings.database_url) as session:
        _, token = create_team(session, name)
    stack = Stack(settings, root / "logs")
    stack.start_api()
    yield Server(stack.url, token, name, settings)
    stack.stop()


@pytest.fixture
def browser_page(playwright_browser, server):
    """A fresh browser context (empty localStorage) and page, with its console collected."""
    contexts = []

    def open_page(viewport: dict = WIDE, signed_in: bool = False):
        context = playwright_browser.new_context(viewport=viewport)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        console = Console()
        page.on("console", lambda m: console.messages.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: console.messages.append(f"uncaught: {error}"))
        page.goto(f"{server.url}/#token={server.token}" if signed_in else f"{server.url}/#/editor")
        page.wait_for_function("() => document.getElementById('total-macs')?.textContent.endsWith('MACs')")
        return page, console

    yield open_page
    for context in contexts:
        context.close()


def total_text(page) -> str:
    return page.locator("#total-macs").inner_text()


def wait_total(page, conv_macs: int) -> None:
    expected = f"{conv_macs:,} MACs"
    # `?.`: a view mounts once the vocabulary is in, so the total may not exist yet
    page.wait_for_function(
        "expected => document.getElementById('total-macs')?.textContent === expected", arg=expected
    )


def type_notation(page, text: str) -> None:
    box = page.locator("#notation")
    box.fill("")
    box.press_sequentially(text[:-1])  # keystrokes: the live analysis runs on every one
    box.type(text[-1])


def test_typing_a_notation_shows_the_apis_numbers(server, browser_page) -> None:
    page, console = browser_page()
    page.fill("#in-height", "36")
    page.fill("#in-width", "36")
    type_notation(page, B_LIKE)
    api = server.post("/complexity", {"notation": B_LIKE, "input": S36})
    wait_total(page, api["conv_macs"])
    assert total_text(page) == f"{api['conv_macs']:,} MACs"
    assert page.locator("#total-fc").inner_text() == f"{api['fc_macs']:,} MACs"
    # the unrolled per-layer table: one row per layer of the API's analysis, same MACs and shares
    rows = page.locator("#analysis-table tbody tr")
    assert rows.count() == len(api["layers"])
    for i, layer in enumerate(api["layers"]):
        row = rows.nth(i)
        assert row.get_attribute("data-name") == layer["name"]
        assert row.locator("td.macs").inner_text() == f"{layer['macs']:,}"
        share = f"{layer['share'] * 100:.1f} %" if layer["kind"] == "conv" else "—"
        assert row.locator("td.share").inner_text() == share
    # the layer table follows: one row per spec layer, (2,64)x6 as one row of 6 repeats
    assert page.locator("#layer-table tbody tr[data-index]").count() == len(api["spec"]["layers"])
    assert page.locator("tr[data-index='4'] [data-key='repeat']").input_value() == "6"
    # the chart is the server's figure for the same spec
    page.wait_for_function(
        "n => (document.getElementById('layer-chart').data || [])[0]?.y?.length === n",
        arg=sum(layer["kind"] == "conv" for layer in api["layers"]),
    )
    assert console.errors() == []


def test_changing_a_width_updates_the_total_and_the_notation(server, browser_page) -> None:
    page, console = browser_page()
    before = server.post("/complexity", {"preset": "A-s36"})
    wait_total(page, before["conv_macs"])
    filters = page.locator("tr[data-index='4'] [data-key='filters']")  # (3,64)x3
    filters.fill("")
    filters.press_sequentially("48")
    after = server.post(
        "/complexity", {"notation": before["notation"].replace("(3,64)x3", "(3,48)x3"), "input": S36}
    )
    wait_total(page, after["conv_macs"])
    assert after["conv_macs"] < before["conv_macs"]
    page.wait_for_function("n => document.getElementById('notation').value === n", arg=after["notation"])
    # the share column of the row follows too
    share = sum(layer["share"] for layer in after["layers"] if layer["spec_index"] == 4)
    assert page.locator("tr[data-index='4'] td.share").inner_text() == f"{share * 100:.1f} %"
    # keyboard: Alt+Shift+Down duplicates the focused layer, Alt+Delete removes it again
    shown = total_text(page)
    filters.press("Alt+Shift+ArrowDown")
    assert page.locator("#layer-table tbody tr[data-index]").count() == len(after["spec"]["layers"]) + 1
    page.wait_for_function("t => document.getElementById('total-macs').textContent !== t", arg=shown)
    page.locator("tr[data-index='5'] [data-key='filters']").press("Alt+Delete")
    wait_total(page, after["conv_macs"])
    assert console.errors() == []


def test_invalid_stacks_show_the_error_inline_and_keep_the_text(server, browser_page) -> None:
    page, console = browser_page()
    console.allow.append(r"status of 422")  # the browser logs each rejected request; expected here
    wait_total(page, server.post("/complexity", {"preset": "A-s36"})["conv_macs"])
    good_total = total_text(page)

    broken = "(3,16) + pool 3 | (5,32) + poool 2 | (3,64)x3 + spp(2,1) + fc 10"
    page.fill("#notation", broken)
    error = page.locator("#notation-error .error")
    error.wait_for()
    assert (
        "position 27" in error.inner_text() and "poool" in page.locator("#notation-error mark").inner_text()
    )
    assert page.locator("#notation").input_value() == broken  # nothing typed is lost
    assert page.locator("#notation").get_attribute("aria-invalid") == "true"
    assert page.locator("#layer-table").get_attribute("class").endswith("stale")
    assert total_text(page) == good_total  # the last valid numbers stay, marked stale

    page.fill("#notation", broken.replace("poool", "pool"))
    error.wait_for(state="detached")

    size = page.locator("tr[data-index='1'] [data-key='size']")  # pool 3 -> pool 50 at 36x36
    size.fill("50")
    message = page.locator("tr.err td.err-msg")
    message.wait_for()
    assert "smaller than the 50x50 window" in message.inner_text()
    assert message.inner_text().startswith("Layer 2:")
    assert size.get_attribute("aria-invalid") == "true" and size.input_value() == "50"
    assert page.locator("#notation").get_attribute("readonly") is not None
    size.fill("3")
    message.wait_for(state="detached")
    assert total_text(page) == good_total
    assert console.errors() == []


def test_a_replacement_keeps_the_cost_within_tolerance(server, browser_page) -> None:
    page, console = browser_page()
    wait_total(page, server.post("/complexity", {"preset": "A-s36"})["conv_macs"])
    page.click("nav >> text=Replacements")
    page.locator("#range-first").wait_for()
    assert (
        page.locator("#range-first").input_value() == "3" and page.locator("#range-last").input_value() == "5"
    )
    page.check("#tradeoff-deeper")
    page.fill("#rp-depth", "6")
    page.click("#find-candidates")
    first = page.locator("#candidate-table tbody tr").first
    first.wait_for()
    assert "within" in first.inner_text()
    first.get_by_role("button", name=re.compile("^Apply candidate 1")).click()
    page.wait_for_url(re.compile(r"#/editor$"))
    page.locator("#budget-status .badge.in").wait_for()
    status = page.locator("#budget-status").inner_text()
    assert "within the ±5 % band" in status
    notation = page.locator("#notation").input_value()
    assert "(3,40)x5 + (3,64)" in notation  # F-s36's stage 3: A -> F in the paper's Fig. 2
    ratio = float(re.search(r"C is ([0-9.]+)×", status).group(1))
    assert abs(ratio - 1) <= 0.05
    assert "replacement" in page.locator("#origin").inner_text()
    assert console.errors() == []


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
    name = f"mine-{uuid.uuid4().hex[:6]}"
    page.fill("#design-name", name)
    page.click("#save-button")
    page.locator("text=/Saved as #\\d+/").first.wait_for()
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


def test_a_saved_design_is_recognised_by_its_spec_hash(server, browser_page) -> None:
    """The dashboard knows a draft is saved by the analysis's spec_hash, not by its notation."""
    page, console = browser_page(signed_in=True)
    a = server.post("/complexity", {"preset": "A-s36"})
    wait_total(page, a["conv_macs"])
    page.fill("#design-name", f"same-{uuid.uuid4().hex[:6]}")
    page.click("#save-button")
    saved = page.locator("text=/Saved as architecture #\\d+\\./")
    saved.wait_for()
    arch_id = int(re.search(r"#(\d+)", saved.inner_text()).group(1))
    # the same network with its repeat typed out: another notation, the same identity
    unrolled = a["notation"].replace("(3,64)x3", "(3,64) + (3,64) + (3,64)")
    assert server.post("/complexity", {"notation": unrolled, "input": S36})["spec_hash"] == a["spec_hash"]
    page.fill("#notation", unrolled)
    rows = len(a["spec"]["layers"]) + 2
    page.wait_for_function(
        "n => document.querySelectorAll('#layer-table tbody tr[data-index]').length === n", arg=rows
    )
    assert saved.is_visible() and page.locator("#job-form").is_visible()
    page.fill("#notation", a["notation"].replace("(3,64)x3", "(3,48)x3"))  # a different network
    page.locator("text=Save this design first").wait_for()
    assert saved.count() == 0
    page.goto(f"{server.url}/#/editor?arch={arch_id}")  # opened from the team's list: saved
    page.locator("#job-form").wait_for()
    assert console.errors() == []


def test_the_forms_read_the_apis_vocabulary(server, browser_page) -> None:
    """Layer kinds, job statuses, the unit sentence and MAC prefixes come from GET /vocabulary."""
    page, console = browser_page(signed_in=True)
    c = server.post("/complexity", {"preset": "A-s36"})["conv_macs"]
    wait_total(page, c)
    assert page.locator("#totals .unit").inner_text() == f"{format_macs(c)} · {UNIT_SENTENCE}"
    options = "select => [...select.options].map(o => o.value)"
    kinds = page.locator("tr[data-index='0'] select[data-key='type']").evaluate(options)
    assert kinds == list(LAYER_KINDS)
    page.goto(f"{server.url}/#/jobs")
    assert page.locator("#jobs-status").evaluate(options) == ["", *(s.value for s in JobStatus)]
    assert console.errors() == []


def test_an_applied_replacement_records_its_parent_when_saved(server, browser_page) -> None:
    page, console = browser_page(signed_in=True)
    wait_total(page, server.post("/complexity", {"preset": "A-s36"})["conv_macs"])
    parent_name = f"parent-{uuid.uuid4().hex[:6]}"
    page.fill("#design-name", parent_name)
    page.click("#save-button")
    saved_text = page.locator("text=/Saved as #\\d+ /").first
    saved_text.wait_for()
    parent_id = int(re.search(r"Saved as #(\d+)", saved_text.inner_text()).group(1))
    page.click("nav >> text=Replacements")
    page.check("#tradeoff-smaller")  # (3,64)x3 -> 2x2 filters, width kept, depth solved
    page.fill("#rp-small-size", "2")
    page.click("#find-candidates")
    page.locator("#candidate-table tbody tr").first.get_by_role("button").click()
    page.wait_for_url(re.compile(r"#/editor$"))
    page.locator("#origin", has_text=f"parent when saved: #{parent_id} {parent_name}").wait_for()
    child_name = f"child-{uuid.uuid4().hex[:6]}"
    page.fill("#design-name", child_name)
    page.click("#save-button")
    page.locator("text=/Saved as #\\d+/").first.wait_for()
    headers = {"Authorization": f"Bearer {server.token}"}
    # search by name: the shared server holds more architectures than one page by now
    by_name = {}
    for name in (child_name, parent_name):
        found = httpx.get(f"{server.url}/api/v1/architectures", headers=headers, params={"q": name}).json()
        by_name.update({a["name"]: a for a in found["items"]})
    assert by_name[child_name]["parent_id"] == by_name[parent_name]["id"] == parent_id
    assert "(2,64)x" in by_name[child_name]["notation"]
    assert console.errors() == []


def seed_results(server: Server) -> tuple[int, int]:
    """Results as a worker would write them: two published architectures in the A-s36 budget with
    training seeds and a benchmark with its per-layer table. Returns a training and the benchmark job's ids."""
    url = server.settings.database_url
    with session_scope(url) as session:
        team_id = session.scalar(select(Team.id).where(Team.name == server.team))
    ids = {p: add_architecture(url, team_id, p, published=True, name=f"{p}-run") for p in ("B-s36", "F-s36")}
    training = None
    with session_scope(url) as session:
        for preset, errors in (("B-s36", [4.1, 4.6, 3.9]), ("F-s36", [3.2, 3.5])):
            for seed, error in enumerate(errors):
                job = Job(team_id=team_id, architecture_id=ids[preset], kind="train", queue="cpu",
                          params={"epochs": 3, "seed": seed}, protocol="digits, 3 epochs", status="succeeded",
                          progress=1.0, device="cpu")  # fmt: skip
                session.add(job)
                session.flush()
                training = training or job.id
                for epoch in (1, 2, 3):
                    session.add(Metric(job_id=job.id, epoch=epoch, train_loss=2.3 / epoch, val_loss=2.4 / epoch,
                                       top1_error=error * 4 / epoch, top5_error=error / epoch,
                                       images_per_s=900.0, lr=0.05, elapsed_s=0.3 * epoch))  # fmt: skip
                session.add(Result(job_id=job.id, architecture_id=ids[preset], team_id=team_id, kind="train",
                                   protocol="digits, 3 epochs", dataset="digits", seed=seed,
                                   conv_macs=analyse(presets()[preset].spec).conv_macs, top1_error=error,
                                   top5_error=0.4, train_seconds=1.2, device="cpu", provenance={}))  # fmt: skip
        bench = Job(team_id=team_id, architecture_id=ids["F-s36"], kind="benchmark", queue="cpu", params={},
                    protocol="benchmark, batch 1 and 32, float32", status="succeeded", progress=1.0, device="cpu")  # fmt: skip
        session.add(bench)
        session.flush()
        # the per-layer table in its one schema (app.jobs.results), as the worker writes it
        timing = Timing(batch=1, median_s=8e-4, p10_s=7e-4, p90_s=9e-4, runs=30, calls_per_run=1,
                        images_per_s=1250.0, images_per_s_p10=1111.1, images_per_s_p90=1428.6)  # fmt: skip
        layers = [
            LayerTiming(name=layer.name, kind=layer.kind, median_s=1e-4 * (1 + i), p10_s=1e-4, p90_s=2e-4 * (1 + i),
                        time_share=0.0, macs=layer.macs, theoretical_share=layer.share, conv_time_share=None,
                        share_ratio=None, macs_per_s=None, flagged=i == 0)
            for i, layer in enumerate(analyse(presets()["F-s36"].spec).layers) if layer.kind == "conv"
        ]  # fmt: skip
        details = BenchmarkDetails(latency=timing, throughput=timing, train_step=timing, layers=layers)
        session.add(Result(job_id=bench.id, architecture_id=ids["F-s36"], team_id=team_id, kind="benchmark",
                           protocol=bench.protocol, conv_macs=1, latency_ms=0.8, throughput=5200.0, device="cpu",
                           provenance={}, details=details.model_dump(mode="json")))  # fmt: skip
    return training, bench.id


def test_screenshots_of_every_page(server, browser_page) -> None:
    """Every page, signed in, at 1280x800 and 400x800; no console errors anywhere."""
    training, bench = seed_results(server)
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


def test_isocost_serve_trains_digits_and_ranks_the_model(tmp_path, playwright_browser) -> None:
    """End to end: `isocost serve` (API and a real Celery worker), its printed sign-in URL, a digits
    training job submitted from the editor, progress to 100 % on the job page, and the model on
    the leaderboard."""
    settings = settings_in(tmp_path)
    port = free_port()
    env = environment(settings, ISOCOST_PORT=str(port), ISOCOST_HEARTBEAT_INTERVAL_S="0.5")
    log = (tmp_path / "serve.log").open("w+")
    serve = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        url = wait_for(lambda: re.search(r"dashboard\s+(\S+#token=\S+)", Path(log.name).read_text()), 60,
                       what="the sign-in URL from isocost serve").group(1)  # fmt: skip
        wait_for(lambda: _healthy(url), 30, what="the API")
        context = playwright_browser.new_context(viewport=WIDE)
        page = context.new_page()
        page.set_default_timeout(20_000)
        console = Console()
        page.on("console", lambda m: console.messages.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: console.messages.append(f"uncaught: {error}"))
        page.goto(url)
        page.locator("#who", has_text="Team local").wait_for()
        wait_total(page, analyse(presets()["A-s36"].spec).conv_macs)
        name = f"digits-{uuid.uuid4().hex[:6]}"
        page.fill("#design-name", name)
        page.check("#save-published")
        page.click("#save-button")
        page.locator("text=/Saved as #\\d+/").first.wait_for()
        page.select_option("#job-dataset", "digits")
        page.fill("#job-epochs", "2")
        page.fill("#job-seeds", "0")
        page.click("#job-submit")
        page.locator("#run-h ~ div a[href^='#/jobs/']").first.click()
        page.locator("#job-summary .badge.succeeded").wait_for(timeout=180_000)
        assert page.locator("#job-summary progress").get_attribute("value") == "1"
        page.locator("#metrics-table tbody tr").nth(1).wait_for()  # the curves grew epoch by epoch
        assert page.locator("#metrics-table tbody tr").count() == 2
        assert page.evaluate("document.getElementById('job-chart').data[0].x.length") == 2
        page.goto(url.split("#")[0] + "#/leaderboard")
        page.locator("#budget-tabs [role=tab]", has_text="A-s36").click()
        row = page.locator("#leaderboard-table tbody tr", has_text=name)
        row.wait_for()
        assert "digits" in row.inner_text() and "%" in row.inner_text()
        assert console.errors() == []
        context.close()
    finally:
        # Ctrl-C, as a user stops it: `serve` then stops its worker too. (SIGTERM ends uvicorn
        # without running serve's cleanup, which would leave the worker behind.)
        serve.send_signal(signal.SIGINT)
        try:
            serve.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)  # our own session: serve and its worker
            serve.wait()
        log.close()


def _healthy(url: str) -> bool:
    try:
        return httpx.get(url.split("#")[0] + "healthz", timeout=3).status_code == 200
    except httpx.HTTPError:
        return False
