"""`isocost serve`: the whole service on one machine with no server to install.

Migrates the database, makes sure a local team exists (its token kept in a 0600 file so the
printed sign-in URL works on every start), starts one Celery worker subprocess, and runs the API
(`ISOCOST_API_WORKERS` processes) until Ctrl-C, then stops the worker. `run_api` alone is
`isocost api`, what production runs (docs/design.md, "Serving").
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from sqlalchemy import select

from app.db import session_scope
from app.migrate import upgrade
from app.settings import Settings
from app.teams.auth import create_team, issue_token
from app.teams.models import Team

LOCAL_TEAM = "local"


def local_token(settings: Settings) -> str:
    path = settings.local_token_file
    if path.exists():
        return path.read_text().strip()
    with session_scope(settings.database_url) as session:
        team = session.scalar(select(Team).where(Team.name == LOCAL_TEAM))
        token = (
            issue_token(session, team, "isocost serve")[1] if team else create_team(session, LOCAL_TEAM)[1]
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(token + "\n")
    return token


def start_worker(queues: str = "cpu,gpu") -> subprocess.Popen[bytes]:
    # Its own session, so Ctrl-C in the terminal reaches us and we stop it in order.
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker", "--queues", queues], start_new_session=True
    )


def stop(process: subprocess.Popen[bytes], grace_s: float = 5.0) -> None:
    """SIGTERM to the worker (Celery's warm shutdown stops its pool), then SIGKILL to the whole
    group: an interrupted job resumes from its checkpoint once the reconciler re-queues it."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(grace_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def run_api(settings: Settings) -> None:
    """The API under uvicorn, in `settings.api_workers` processes, each with its own pool and
    reconciler. Each process builds its app from the environment (`create_app()`), as a worker
    process must. Slow clients are timed out (app.slow_clients): headers by the protocol, bodies
    by the app's middleware, idle keep-alive connections by uvicorn."""
    import uvicorn

    from app.slow_clients import PROTOCOL

    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.api_workers,
        http=PROTOCOL,
        timeout_keep_alive=settings.keep_alive_timeout_s,
        h11_max_incomplete_event_size=settings.max_header_bytes,
        log_level="warning",
    )


def serve(settings: Settings) -> int:
    upgrade(settings.database_url)
    token = local_token(settings)
    worker = start_worker()
    url = f"http://{settings.host}:{settings.port}"
    print(
        f"isocost: database {_safe(settings.database_url)}, broker {_safe(settings.broker_url)}", flush=True
    )
    print(f"isocost: one local worker (pid {worker.pid}) on queues cpu and gpu", flush=True)
    print(f"isocost: API in {settings.api_workers} process(es)", flush=True)
    print(f"isocost: dashboard  {url}/#token={token}", flush=True)
    print(
        f"isocost: API docs   {url}/docs   (team 'local', token in {settings.local_token_file})", flush=True
    )
    # uvicorn re-raises the signal that stopped it; SIGTERM's default action would end us before
    # the worker is stopped, so turn it into SystemExit (SIGINT already raises KeyboardInterrupt).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        run_api(settings)
    finally:
        stop(worker)
        print("isocost: stopped", flush=True)
    return 0


def _safe(url: str) -> str:
    """A URL without its password."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        credentials, _, host = rest.rpartition("@")
        rest = f"{credentials.split(':')[0]}:***@{host}" if ":" in credentials else rest
    return scheme + sep + rest
