"""Helpers for the workflow browser tests (fixtures in tests/conftest.py, browser helpers in
tests/browser_support.py): an authenticated API client, screenshots at 1280 and 400 px under
/tmp/shots, and overlapping boxes."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import httpx

from tests.browser_support import NARROW, WIDE, Server

# Screenshots for a person to look at: outside the repository (WORKFLOW_SHOTS to move them).
SHOTS = Path(os.environ.get("WORKFLOW_SHOTS", "/tmp/shots"))


class Client:
    """The server's API as one team: JSON in and out, failing loudly on an unexpected status."""

    def __init__(self, server: Server, token: str | None = None) -> None:
        self.url = f"{server.url}/api/v1"
        self.headers = {"Authorization": f"Bearer {token or server.token}"}

    def call(self, method: str, path: str, body: dict | None = None, expect: int = 200, **params):
        response = httpx.request(
            method, self.url + path, json=body, headers=self.headers, params=params, timeout=15
        )
        assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    def get(self, path: str, **params):
        return self.call("GET", path, **params)

    def post(self, path: str, body: dict, expect: int = 201):
        return self.call("POST", path, body, expect=expect)

    def save(self, preset: str = "A-s36", **body) -> dict:
        return self.post(
            "/architectures", {"name": f"{preset}-{uuid.uuid4().hex[:6]}", "preset": preset, **body}
        )


def shoot(page, name: str) -> None:
    """A full-page screenshot named after the viewport's width; nothing may be wider than it."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"]
    page.wait_for_timeout(300)  # let Plotly finish drawing
    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name} at {width} px is {overflow} px wider than the window"


def both_widths(browser_page, name: str, hash_: str, ready: str, server: Server) -> None:
    """Screenshots of one page at 1280 and at 400 px, signed in, with no console error."""
    for viewport in (WIDE, NARROW):
        page, console = browser_page(viewport, signed_in=True)
        page.goto(f"{server.url}/{hash_}")
        page.locator(ready).first.wait_for()
        shoot(page, name)
        assert console.errors() == []


def overlapping(boxes: list[dict]) -> list[tuple[int, int]]:
    """Pairs of bounding boxes ({x, y, width, height}) that overlap by more than a pixel."""
    pairs = []
    for i, a in enumerate(boxes):
        for j, b in enumerate(boxes[i + 1 :], start=i + 1):
            dx = min(a["x"] + a["width"], b["x"] + b["width"]) - max(a["x"], b["x"])
            dy = min(a["y"] + a["height"], b["y"] + b["height"]) - max(a["y"], b["y"])
            if dx > 1 and dy > 1:
                pairs.append((i, j))
    return pairs
