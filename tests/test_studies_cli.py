"""`isocost study create|show|wait` against a real API server (no worker: the study is cancelled
so that `wait` has an end), and a bad request as one line with exit status 2."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
import pytest

from tests.conftest import make_team
from tests.stack import ROOT, api_server, e2e_settings

pytestmark = pytest.mark.slow


def isocost(url: str, token: str, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "study", *argv, "--url", url, "--token", token],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_create_show_wait(tmp_path) -> None:
    settings = e2e_settings(tmp_path, "embedded")
    team = make_team(settings)
    with api_server(settings, tmp_path / "logs") as stack:
        done = isocost(stack.url, team.token, "create", "--figure", "1", "--seeds", "0,1", "--epochs", "3",
                       "--name", "fig 1", "--json")  # fmt: skip
        assert done.returncode == 0, done.stderr
        first, _, rest = done.stdout.partition("\n")
        assert first.endswith("5 models, 10 jobs queued")
        study = json.loads(rest)
        assert study["name"] == "fig 1" and study["protocol"]["epochs"] == 3 and study["seeds"] == [0, 1]

        shown = isocost(stack.url, team.token, "show", str(study["id"]))
        assert shown.returncode == 0, shown.stderr
        assert "queued, 0/10 jobs succeeded" in shown.stdout and "A-s36 -> B-s36" in shown.stdout
        assert "D-s36" in shown.stdout and "better" in shown.stdout  # the paper's expectation

        response = httpx.post(
            f"{stack.url}/api/v1/studies/{study['id']}/cancel", headers=team.headers, timeout=30
        )
        assert response.status_code == 200
        waited = isocost(stack.url, team.token, "wait", str(study["id"]))
        assert waited.returncode == 0, waited.stderr
        assert "cancelled, 0/10 jobs succeeded" in waited.stdout and "10/10" in waited.stderr  # the bar

        bad = isocost(stack.url, team.token, "create", "--figure", "1", "--seeds", "-1")
        assert bad.returncode == 2 and "seeds[0]" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
