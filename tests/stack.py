"""Real processes for end-to-end tests: the API under uvicorn and Celery workers, on loopback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from app.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(settings: Settings, **extra: str) -> dict[str, str]:
    """The settings as ISOCOST_* variables for a child process."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("ISOCOST_")}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        if hasattr(value, "get_secret_value"):
            value = value.get_secret_value()
        env[f"ISOCOST_{name.upper()}"] = str(value)
    env.update(extra, PYTHONUNBUFFERED="1")
    return env


class Stack:
    """Start and stop an API server and workers for `settings`; logs go to `logs`."""

    def __init__(self, settings: Settings, logs: Path) -> None:
        self.settings = settings
        self.logs = logs
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.processes: list[subprocess.Popen] = []
        logs.mkdir(parents=True, exist_ok=True)

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = (self.logs / f"{name}-{len(self.processes)}.log").open("w")
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=environment(self.settings),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def start_api(self, timeout_s: float = 30, healthy: bool = True) -> None:
        """Start uvicorn and wait until /healthz answers 200 (or 503 if `healthy` is False: the
        API is up while its broker is down)."""
        argv = [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:create_app",
            "--factory",
            "--port",
            str(self.port),
            "--log-level",
            "warning",
        ]
        self._spawn("api", argv)
        expected = 200 if healthy else 503
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=3).status_code == expected:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"/healthz did not answer {expected} in {timeout_s} s; see {self.logs}")

    def start_worker(self, queues: str = "cpu,gpu") -> subprocess.Popen:
        return self._spawn(
            "worker", [sys.executable, "-m", "app.cli", "worker", "--queues", queues, "--loglevel", "info"]
        )

    @staticmethod
    def kill(process: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
        """Signal the whole process group (a Celery worker and its pool child)."""
        if process.poll() is None:
            os.killpg(process.pid, sig)
            process.wait(30)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill(process)

    def log_text(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text()[-3000:]}" for path in sorted(self.logs.glob("*.log"))
        )


def wait_for(predicate, timeout_s: float, interval_s: float = 0.2, what: str = "condition"):
    """Poll `predicate` until it returns something truthy; fail after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
