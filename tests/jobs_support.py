"""Helpers for job tests: architectures and jobs written straight to the database."""

from __future__ import annotations

import uuid

from app.arch.analysis import analyse
from app.arch.identity import spec_hash
from app.arch.notation import format_spec
from app.arch.presets import presets
from app.architectures.models import Architecture
from app.db import session_scope
from app.jobs.models import Job


def add_architecture(
    database_url: str, team_id: int, preset: str = "A-s36", published: bool = False, name: str | None = None
) -> int:
    spec = presets()[preset].spec
    with session_scope(database_url) as session:
        row = Architecture(
            team_id=team_id,
            name=name or f"{preset}-{uuid.uuid4().hex[:8]}",
            spec=spec.model_dump(mode="json"),
            notation=format_spec(spec),
            conv_macs=analyse(spec).conv_macs,
            spec_hash=spec_hash(spec),
            published=published,
        )
        session.add(row)
        session.flush()
        return row.id


def add_job(database_url: str, team_id: int, architecture_id: int, status: str = "queued", **values) -> int:
    with session_scope(database_url) as session:
        job = Job(team_id=team_id, architecture_id=architecture_id, kind="train", queue="cpu",
                  params={"epochs": 1, "seed": 0}, protocol="test", status=status, **values)  # fmt: skip
        session.add(job)
        session.flush()
        return job.id
