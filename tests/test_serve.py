"""`isocost serve` from nothing, and the administrative commands, as real processes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.stack import ROOT, e2e_settings, free_port, start_stack, wait_for

pytestmark = pytest.mark.slow


def isocost_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ISOCOST_")}
    return {**env, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT), **extra}


def test_serve_starts_from_nothing_and_stops_cleanly(tmp_path) -> None:
    """In an empty directory: migrations, a local team, one worker, the API; Ctrl-C stops all."""
    port = free_port()
    log = (tmp_path / "serve.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        cwd=tmp_path, env=isocost_env(tmp_path), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: _healthy(url), 60, what="isocost serve to answer /healthz")
        printed = (tmp_path / "serve.log").read_text()
        token = re.search(r"dashboard\s+http://127\.0\.0\.1:\d+/#token=(iso_\S+)", printed).group(1)
        assert (tmp_path / "var" / "isocost.db").exists() and (
            tmp_path / "var" / "local-token"
        ).read_text().strip() == token
        assert oct((tmp_path / "var" / "local-token").stat().st_mode & 0o777) == "0o600"
        me = httpx.get(f"{url}/api/v1/teams/me", headers={"Authorization": f"Bearer {token}"}).json()
        assert me["name"] == "local"
        assert httpx.get(url + "/").status_code == 200
        worker = re.search(r"one local worker \(pid (\d+)\)", printed).group(1)
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in the terminal sends
        assert process.wait(30) == 0
        assert "isocost: stopped" in (tmp_path / "serve.log").read_text()
        with pytest.raises(ProcessLookupError):
            wait_for(lambda: os.kill(int(worker), 0), 15, what="the worker to exit")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    # a second start reuses the team and its token
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        cwd=tmp_path, env=isocost_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True, text=True,
    )  # fmt: skip
    try:
        wait_for(lambda: _healthy(f"http://127.0.0.1:{port}"), 60, what="second start")
        os.kill(process.pid, signal.SIGTERM)  # as a service manager stops it: the worker goes too
        output, _ = process.communicate(timeout=30)
        assert f"#token={token}" in output and "isocost: stopped" in output
        worker = re.search(r"one local worker \(pid (\d+)\)", output).group(1)
        with pytest.raises(ProcessLookupError):
            wait_for(lambda: os.kill(int(worker), 0), 15, what="the worker to exit")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_db_upgrade_and_team_create(tmp_path) -> None:
    env = isocost_env(tmp_path, ISOCOST_DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}")

    def run(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "app.cli", *argv], env=env, capture_output=True, text=True
        )

    assert run("db", "upgrade").returncode == 0
    created = run("team", "create", "vision")
    assert created.returncode == 0 and re.search(r"^iso_[\w-]{43}$", created.stdout, re.M)
    again = run("team", "create", "vision")
    assert again.returncode == 2 and "exists already" in again.stderr


def test_submit_and_wait(stacks, tmp_path) -> None:
    """`isocost submit ... --wait` against a real API and worker prints each seed's result."""
    settings = e2e_settings(tmp_path, "embedded")
    api = start_stack(stacks, settings)
    token = api.headers["Authorization"].removeprefix("Bearer ")

    def submit(*argv: str, token: str = token) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "app.cli", "submit", "A-s36", *argv, "--url", api.stack.url, "--token", token],
            env=isocost_env(tmp_path), capture_output=True, text=True, timeout=300,
        )  # fmt: skip

    done = submit("--train", "--epochs", "1", "--seeds", "0,1", "--wait")
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(re.findall(r"job \d+: top-1 error [\d.]+%, top-5 [\d.]+% on ", done.stdout)) == 2
    done = submit("--benchmark")
    assert done.returncode == 0, done.stderr
    assert api.get("/architectures")["total"] == 1  # the same spec reuses its architecture
    bad = submit("--train", token="iso_wrong")
    assert bad.returncode == 2 and "401" in bad.stderr and bad.stderr.count("\n") == 1
