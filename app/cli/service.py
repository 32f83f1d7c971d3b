"""Running and administering the service: `serve`, `api`, `worker`, `db upgrade`, `team create`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported when a command runs, so `--help` stays fast
    from app.settings import Settings


def _listening(args: argparse.Namespace) -> Settings:
    """The environment's settings with the command line's --host, --port and --workers."""
    from app.settings import get_settings

    given = {"host": args.host, "port": args.port, "api_workers": args.workers}
    return get_settings().model_copy(update={key: value for key, value in given.items() if value is not None})


def cmd_serve(args: argparse.Namespace) -> int:
    from app.serve import serve

    return serve(_listening(args))


def cmd_api(args: argparse.Namespace) -> int:
    from app.serve import run_api

    run_api(_listening(args))
    return 0


def _add_listening(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", help="address to listen on (default 127.0.0.1, ISOCOST_HOST)")
    p.add_argument("--port", type=int, help="port (default 8000, ISOCOST_PORT)")
    p.add_argument(
        "--workers", type=_positive, metavar="N", help="API processes (default 1, ISOCOST_API_WORKERS)"
    )


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def cmd_worker(args: argparse.Namespace) -> int:
    import os
    import socket

    if args.gpu is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = str(args.gpu)  # before anything imports torch
    from worker.tasks import app

    name = f"isocost-{os.getpid()}@{socket.gethostname()}"  # unique per process: see lifecycle.claim
    app.worker_main(
        [
            "worker",
            "--queues",
            args.queues,
            "--concurrency",
            "1",
            "--hostname",
            name,
            "--loglevel",
            args.loglevel,
            "--without-gossip",
            "--without-mingle",
        ]
    )
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from app.migrate import upgrade
    from app.settings import get_settings

    upgrade(get_settings().database_url, args.revision)
    print(f"database at {args.revision}")
    return 0


def cmd_team_create(args: argparse.Namespace) -> int:
    from app.db import session_scope
    from app.settings import get_settings
    from app.teams.auth import create_team

    # A taken name raises app.exceptions.Conflict, which main() prints as a usage error.
    with session_scope(get_settings().database_url) as session:
        team, token = create_team(session, args.name)
    print(f"team {team.name!r} (id {team.id}); its token, shown once:\n{token}")
    return 0


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "serve",
        help="run the dashboard, API and one local worker",
        description="Apply migrations, start one Celery worker and the API; Ctrl-C stops both. "
        "Configuration: ISOCOST_* environment variables (README).",
    )
    _add_listening(p)
    p.set_defaults(handler=cmd_serve)

    p = commands.add_parser(
        "api",
        help="run only the API (production: migrations and workers run on their own)",
        description="Run the API in --workers processes, with slow clients timed out. Unlike `serve` "
        "it neither migrates nor starts a worker. Configuration: ISOCOST_* environment variables.",
    )
    _add_listening(p)
    p.set_defaults(handler=cmd_api)

    p = commands.add_parser(
        "worker",
        help="run a Celery worker for training and benchmark jobs",
        description="One worker, one job at a time (concurrency 1), a fresh child process per job.",
    )
    p.add_argument("--queues", default="cpu,gpu", help="comma-separated queues to consume (default cpu,gpu)")
    p.add_argument("--gpu", type=int, metavar="N", help="use only GPU N (sets CUDA_VISIBLE_DEVICES)")
    p.add_argument("--loglevel", default="info", choices=["debug", "info", "warning", "error"])
    p.set_defaults(handler=cmd_worker)

    p = commands.add_parser("db", help="database administration", description="Database administration.")
    db = p.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    q = db.add_parser(
        "upgrade",
        help="apply Alembic migrations (ISOCOST_DATABASE_URL)",
        description="Apply Alembic migrations to the configured database.",
    )
    q.add_argument("revision", nargs="?", default="head", help="target revision (default head)")
    q.set_defaults(handler=cmd_db_upgrade)

    p = commands.add_parser("team", help="team administration", description="Team administration.")
    team = p.add_subparsers(dest="team_command", required=True, metavar="ACTION")
    q = team.add_parser(
        "create",
        help="create a team and print its first token",
        description="Create a team and print its first token (shown once).",
    )
    q.add_argument("name", help="team name")
    q.set_defaults(handler=cmd_team_create)
