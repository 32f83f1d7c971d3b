"""Helpers for the tests that drive the dashboard in a real browser (Debian's chromium through
Playwright, against a real uvicorn). The fixtures themselves (`playwright_browser`, `server`,
`new_page`, `browser_page`, `seeded`) are in tests/conftest.py: module-scoped ones are set up once
per test module, so each module gets its own server and browser."""

from __future__ import annotations

import re
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import select

from app.arch.analysis import analyse
from app.arch.presets import presets
from app.db import session_scope
from app.jobs.models import Job, Metric, Result
from app.jobs.results import BenchmarkDetails, LayerTiming, Timing
from app.settings import Settings
from app.teams.auth import create_team
from app.teams.models import Team
from tests.jobs_support import add_architecture
from tests.stack import ROOT

SCREENSHOTS = ROOT / "artifacts" / "screenshots"
WIDE = {"width": 1280, "height": 800}
NARROW = {"width": 400, "height": 800}
S36 = {"channels": 3, "height": 36, "width": 36}
# the editor is up once its total is shown (`?.`: a view mounts once the vocabulary is in)
EDITOR_READY = "() => document.getElementById('total-macs')?.textContent.endsWith('MACs')"


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


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


def watch(page) -> Console:
    """Collect the page's console errors and uncaught exceptions from now on."""
    console = Console()
    page.on("console", lambda m: console.messages.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: console.messages.append(f"uncaught: {error}"))
    return console


def settings_in(root: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{root / 'isocost.db'}",
        broker_url=f"sqla+sqlite:///{root / 'broker.db'}",
        data_root=root / "data",
        checkpoint_dir=root / "checkpoints",
        local_token_file=root / "local-token",
    )


def team_id(server: Server) -> int:
    with session_scope(server.settings.database_url) as session:
        return session.scalar(select(Team.id).where(Team.name == server.team))


def another_team(server: Server) -> tuple[str, str]:
    """A second team on the same server: (name, token)."""
    name = f"rival-{uuid.uuid4().hex[:6]}"
    with session_scope(server.settings.database_url) as session:
        _, token = create_team(session, name)
    return name, token


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


def type_at_s36(page, server: Server, notation: str) -> dict:
    """Type `notation` into the editor at a 3x36x36 input and wait for the API's total; returns
    the API's analysis of it."""
    page.fill("#in-height", "36")
    page.fill("#in-width", "36")
    type_notation(page, notation)
    analysis = server.post("/complexity", {"notation": notation, "input": S36})
    wait_total(page, analysis["conv_macs"])
    return analysis


def save_design(page, name: str | None = None) -> int:
    """Save the editor's draft (under `name`, else the name it shows); returns the new id."""
    if name is not None:
        page.fill("#design-name", name)
    page.click("#save-button")
    saved = page.locator("text=/Saved as #\\d+ /").first
    saved.wait_for()
    return int(re.search(r"Saved as #(\d+)", saved.inner_text()).group(1))


def seed_results(server: Server) -> tuple[int, int]:
    """Results as a worker would write them: two published architectures in the A-s36 budget with
    training seeds and a benchmark with its per-layer table. Returns a training and the benchmark job's ids."""
    url = server.settings.database_url
    team = team_id(server)
    ids = {p: add_architecture(url, team, p, published=True, name=f"{p}-run") for p in ("B-s36", "F-s36")}
    training = None
    with session_scope(url) as session:
        for preset, errors in (("B-s36", [4.1, 4.6, 3.9]), ("F-s36", [3.2, 3.5])):
            for seed, error in enumerate(errors):
                job = Job(team_id=team, architecture_id=ids[preset], kind="train", queue="cpu",
                          params={"epochs": 3, "seed": seed}, protocol="digits, 3 epochs", status="succeeded",
                          progress=1.0, device="cpu")  # fmt: skip
                session.add(job)
                session.flush()
                training = training or job.id
                for epoch in (1, 2, 3):
                    session.add(Metric(job_id=job.id, epoch=epoch, train_loss=2.3 / epoch, val_loss=2.4 / epoch,
                                       top1_error=error * 4 / epoch, top5_error=error / epoch,
                                       images_per_s=900.0, lr=0.05, elapsed_s=0.3 * epoch))  # fmt: skip
                session.add(Result(job_id=job.id, architecture_id=ids[preset], team_id=team, kind="train",
                                   protocol="digits, 3 epochs", dataset="digits", seed=seed,
                                   conv_macs=analyse(presets()[preset].spec).conv_macs, top1_error=error,
                                   top5_error=0.4, train_seconds=1.2, device="cpu", provenance={}))  # fmt: skip
        bench = Job(team_id=team, architecture_id=ids["F-s36"], kind="benchmark", queue="cpu", params={},
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
        session.add(Result(job_id=bench.id, architecture_id=ids["F-s36"], team_id=team, kind="benchmark",
                           protocol=bench.protocol, conv_macs=1, latency_ms=0.8, throughput=5200.0, device="cpu",
                           provenance={}, details=details.model_dump(mode="json")))  # fmt: skip
    return training, bench.id
