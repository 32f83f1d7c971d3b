"""`isocost serve` end to end in a real browser (Debian's chromium driven by Playwright; fixtures
in tests/conftest.py): the API and a real Celery worker, the printed sign-in URL, a digits
training job submitted from the editor, and the model on the leaderboard. Skipped locally without
chromium or Playwright; required on CI.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from app.arch.analysis import analyse
from app.arch.presets import presets
from tests.browser_support import WIDE, save_design, settings_in, wait_total
from tests.stack import ROOT, environment, free_port, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_isocost_serve_trains_digits_and_ranks_the_model(tmp_path, new_page) -> None:
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
        page, console = new_page(WIDE, timeout_ms=20_000)
        page.goto(url)
        page.locator("#who", has_text="Team local").wait_for()
        wait_total(page, analyse(presets()["A-s36"].spec).conv_macs)
        name = f"digits-{uuid.uuid4().hex[:6]}"
        page.check("#save-published")
        save_design(page, name)
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
        page.context.close()  # before `serve` stops
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
