"""The benchmarks' real browser: the API under uvicorn on a fresh SQLite database, one page of
Debian's chromium (Playwright) on it, a stack loaded into the editor, and the bare POST /complexity
round trips from the same page that the timings are compared with."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from app.migrate import upgrade
from app.settings import Settings
from tests.browser_support import EDITOR_READY, WIDE, chromium_path
from tests.stack import api_server, launch_chromium

if TYPE_CHECKING:
    from playwright.sync_api import Page

# `runs` bare POST /complexity round trips of `body` from the page, `pause_ms` apart (0: none),
# each timed with performance.now(); in ms.
POST_COMPLEXITY = """async ([body, runs, pause_ms]) => {
    const out = [];
    for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        const response = await fetch("/api/v1/complexity", {
            method: "POST", headers: { "Content-Type": "application/json" }, body,
        });
        await response.json();
        out.push(performance.now() - t0);
        if (pause_ms) await new Promise((resolve) => setTimeout(resolve, pause_ms));
    }
    return out;
}"""


def chromium_for(suite: str) -> str | None:
    """Debian's chromium, or None once it has said that `suite` is skipped without it."""
    chromium = chromium_path()
    if chromium is None:
        print(f"chromium is not installed (apt-get install -y chromium); skipping bench/{suite}.py")
    return chromium


def migrated(folder: str) -> Settings:
    """Settings on a fresh, migrated SQLite database (and broker) in `folder`."""
    settings = Settings(
        database_url=f"sqlite:///{folder}/isocost.db", broker_url=f"sqla+sqlite:///{folder}/broker.db"
    )
    upgrade(settings.database_url)
    return settings


@contextmanager
def page_on(settings: Settings, folder: str, chromium: str) -> Iterator[tuple[str, Page]]:
    """The API on `settings` (its logs in `folder`) and a 1280x800 chromium page: (its URL, the page)."""
    from playwright.sync_api import sync_playwright

    with api_server(settings, Path(folder) / "logs") as stack, sync_playwright() as playwright:
        browser = launch_chromium(playwright, chromium)
        try:
            yield stack.url, browser.new_page(viewport=WIDE)
        finally:
            browser.close()


def load_stack(page: Page, notation: str, layers: int) -> None:
    """Once the editor is up: a 3x36x36 input and `notation`, until the layer table has its
    `layers` rows and has settled."""
    page.wait_for_function(EDITOR_READY)
    page.fill("#in-height", "36")
    page.fill("#in-width", "36")
    page.locator("#notation").fill(notation)
    page.wait_for_function(
        "n => document.querySelectorAll('#layer-table tbody tr[data-index]').length === n", arg=layers
    )
    page.wait_for_timeout(500)


def bare_analyses(page: Page, url: str, notation: str, runs: int, pause_ms: int = 0) -> list[float]:
    """The baseline: `runs` bare POST /complexity round trips of `notation` from the page, in ms."""
    body = httpx.post(f"{url}/api/v1/complexity", json={"notation": notation}).request.content
    return page.evaluate(POST_COMPLEXITY, [body.decode(), runs, pause_ms])
