"""Real processes for end-to-end tests: the API under uvicorn and Celery workers, on loopback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from app.jobs.status import FINISHED
from app.migrate import upgrade
from app.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


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

    def start_api(self, timeout_s: float = 30, healthy: bool = True, workers: int | None = None) -> None:
        """Start uvicorn and wait until /healthz answers 200 (or 503 if `healthy` is False: the
        API is up while its broker is down). With `workers`, start it as production does,
        `isocost api --workers N` (app.serve.run_api: slow clients timed out)."""
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
        if workers is not None:
            argv = [
                sys.executable,
                "-m",
                "app.cli",
                "api",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
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

    def stop(self, grace_s: float = 3) -> None:
        """SIGTERM, then SIGKILL whatever is still running after `grace_s`: a Celery worker's warm
        shutdown takes 4-10 s, and a test's processes have nothing left to finish once it is over."""
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        for process in self.processes:
            try:
                process.wait(max(deadline - time.monotonic(), 0.01))
            except subprocess.TimeoutExpired:
                self.kill(process)

    def log_text(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text()[-3000:]}" for path in sorted(self.logs.glob("*.log"))
        )


@contextmanager
def api_server(
    settings: Settings, logs: Path, workers: int | None = None, timeout_s: float = 30
) -> Iterator[Stack]:
    """An API server for `settings` (no worker), stopped on exit; `workers`: see Stack.start_api."""
    stack = Stack(settings, logs)
    try:
        stack.start_api(timeout_s, workers=workers)
        yield stack
    finally:
        stack.stop()


# Debian's chromium, headless, as root, on a machine with no network: docs/design.md, "Decisions" and README "Development".
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def launch_chromium(playwright, executable: str):
    return playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)


def wait_for(predicate, timeout_s: float, interval_s: float = 0.2, what: str = "condition"):
    """Poll `predicate` until it returns something truthy; fail after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


def e2e_settings(tmp_path: Path, broker: str, **overrides) -> Settings:
    """A fresh migrated SQLite database and `broker` ("embedded", "redis" or a URL), with short
    heartbeat and reconcile intervals so dead workers are noticed within seconds."""
    from tests.conftest import require

    if broker == "redis":
        require(reachable("127.0.0.1", 6379), "Redis on 127.0.0.1:6379")
        broker_url = f"redis://127.0.0.1:6379/{1 + uuid.uuid4().int % 15}"
    elif broker == "embedded":
        broker_url = f"sqla+sqlite:///{tmp_path / 'broker.db'}"
    else:
        broker_url = broker
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'isocost.db'}",
        broker_url=broker_url,
        data_root=tmp_path / "data",
        checkpoint_dir=tmp_path / "checkpoints",
        heartbeat_interval_s=0.5,
        heartbeat_timeout_s=4,
        reconcile_interval_s=0.5,
        **overrides,
    )
    upgrade(settings.database_url)
    settings.data_root.mkdir()
    return settings


class Api:
    """A small HTTP client for one team, failing loudly (with the processes' logs) on errors."""

    def __init__(self, stack: Stack, headers: dict[str, str]) -> None:
        self.stack, self.headers = stack, headers

    def post(self, path: str, body: dict) -> dict:
        response = httpx.post(f"{self.stack.url}/api/v1{path}", headers=self.headers, json=body, timeout=10)
        assert response.status_code < 300, response.text
        return response.json()

    def get(self, path: str, **params) -> dict:
        response = httpx.get(
            f"{self.stack.url}/api/v1{path}", headers=self.headers, params=params, timeout=10
        )
        assert response.status_code == 200, response.text
        return response.json()

    def architecture(self, preset: str = "A-s36") -> int:
        return self.post(
            "/architectures",
            {"name": f"{preset}-{uuid.uuid4().hex[:6]}", "preset": preset, "published": True},
        )["id"]

    def submit(self, architecture_id: int, kind: str, params: dict, **extra) -> list[dict]:
        return self.post(
            "/jobs", {"architecture_id": architecture_id, "kind": kind, "params": params, **extra}
        )["jobs"]

    def wait(self, job_id: int, timeout_s: float = 180, until=FINISHED) -> dict:
        def reached():
            job = self.get(f"/jobs/{job_id}")
            return job if job["status"] in until else None

        try:
            return wait_for(reached, timeout_s, what=f"job {job_id} to reach {until}")
        except AssertionError:
            raise AssertionError(self.stack.log_text()) from None


def start_stack(stacks, settings: Settings, workers: int = 1) -> Api:
    """An API and `workers` workers for `settings`, and a client signed in as a new team."""
    from tests.conftest import make_team

    stack = stacks(settings)
    stack.start_api()
    for _ in range(workers):
        stack.start_worker()
    return Api(stack, make_team(settings).headers)
