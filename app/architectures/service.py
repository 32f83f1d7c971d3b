"""Saving, finding, renaming, publishing and deleting a team's architectures.

Visibility: a team sees its own architectures and every team's published ones. Another team's
private architecture looks absent (404), so ids leak nothing; a published architecture of
another team can be read but not changed (403).
"""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.arch.spec import Spec, compact, expand
from app.architectures.models import Architecture
from app.architectures.schemas import (
    ArchitectureCreate,
    ArchitectureCreated,
    ArchitectureOut,
    ArchitectureUpdate,
    Duplicate,
    Scope,
)
from app.db import paginate
from app.errors import ApiError
from app.jobs.models import Job
from app.teams.models import Team


def spec_hash(spec: Spec) -> str:
    """SHA-256 of the canonical spec JSON, name excluded. Canonical: repeats folded the same way
    whatever the user typed, so `(3,64)x2` and `(3,64) + (3,64)` hash alike; keys sorted."""
    canonical = spec.model_copy(update={"name": None, "layers": compact(expand(spec))})
    payload = canonical.model_dump(mode="json", exclude={"name"})
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def visible_architecture(
    session: Session, team: Team, architecture_id: int, field: str = "architecture_id", status: int = 404
) -> Architecture:
    """The architecture if `team` may see it (its own, or published); else ApiError(`status`)
    naming `field`. Routers use 404 for a path id; a body field that refers to it uses 422."""
    row = session.get(Architecture, architecture_id)
    if row is None or (row.team_id != team.id and not row.published):
        raise ApiError(status, f"no architecture {architecture_id} visible to your team", field)
    return row


def own_architecture(session: Session, team: Team, architecture_id: int) -> Architecture:
    """For writes: 404 if `team` cannot see it, 403 if it sees it (published) but does not own it."""
    row = visible_architecture(session, team, architecture_id)
    if row.team_id != team.id:
        raise ApiError(403, f"architecture {architecture_id} belongs to another team", "architecture_id")
    return row


def _name_taken(session: Session, team: Team, name: str, exclude_id: int | None = None) -> bool:
    query = select(Architecture.id).where(Architecture.team_id == team.id, Architecture.name == name)
    if exclude_id is not None:
        query = query.where(Architecture.id != exclude_id)
    return session.scalar(query) is not None


def _taken(name: str) -> ApiError:
    return ApiError(409, f"your team already has an architecture named {name!r}", "name")


def _commit_or_conflict(session: Session, name: str) -> None:
    """Commit; a concurrent insert of the same (team, name) surfaces here as a 409, not a 500."""
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise _taken(name) from None


def _in_use(session: Session, ids: list[int]) -> set[int]:
    if not ids:
        return set()
    return set(session.scalars(select(Job.architecture_id).where(Job.architecture_id.in_(ids)).distinct()))


def to_out(row: Architecture, team_name: str, viewer: Team, in_use: bool) -> ArchitectureOut:
    return ArchitectureOut(
        id=row.id,
        name=row.name,
        team_id=row.team_id,
        team_name=team_name,
        notation=row.notation,
        spec=row.spec,
        conv_macs=row.conv_macs,
        spec_hash=row.spec_hash,
        parent_id=row.parent_id,
        published=row.published,
        owned=row.team_id == viewer.id,
        in_use=in_use,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def describe(session: Session, viewer: Team, row: Architecture) -> ArchitectureOut:
    team_name = viewer.name if row.team_id == viewer.id else session.get(Team, row.team_id).name
    return to_out(row, team_name, viewer, bool(_in_use(session, [row.id])))


def create(session: Session, team: Team, body: ArchitectureCreate) -> ArchitectureCreated:
    analysis = body.analysis()
    spec = analysis.spec
    if body.parent_id is not None:
        visible_architecture(session, team, body.parent_id, field="parent_id", status=422)
    if _name_taken(session, team, body.name):
        raise _taken(body.name)
    digest = spec_hash(spec)
    duplicates = session.execute(
        select(Architecture.id, Architecture.name)
        .where(Architecture.team_id == team.id, Architecture.spec_hash == digest)
        .order_by(Architecture.id)
    ).all()
    row = Architecture(
        team_id=team.id,
        name=body.name,
        spec=spec.model_dump(mode="json"),
        notation=analysis.notation,
        conv_macs=analysis.conv_macs,
        spec_hash=digest,
        parent_id=body.parent_id,
        published=body.published,
    )
    session.add(row)
    _commit_or_conflict(session, body.name)
    out = to_out(row, team.name, team, in_use=False)
    return ArchitectureCreated(
        **out.model_dump(), duplicates=[Duplicate(id=id_, name=name) for id_, name in duplicates]
    )


def page(
    session: Session, team: Team, q: str | None, scope: Scope, page_number: int, per_page: int
) -> tuple[list[ArchitectureOut], int]:
    """Newest first. `q` matches a substring of the name or the canonical notation, any case."""
    conditions = [
        Architecture.team_id == team.id
        if scope == "team"
        else or_(Architecture.team_id == team.id, Architecture.published.is_(True))
    ]
    if q:
        conditions.append(
            or_(
                Architecture.name.icontains(q, autoescape=True),
                Architecture.notation.icontains(q, autoescape=True),
            )
        )
    query = (
        select(Architecture, Team.name)
        .join(Team, Team.id == Architecture.team_id)
        .where(*conditions)
        .order_by(Architecture.id.desc())
    )
    rows, total = paginate(session, query, page_number, per_page)
    used = _in_use(session, [row.id for row, _ in rows])
    return [to_out(row, name, team, row.id in used) for row, name in rows], total


def update(session: Session, team: Team, architecture_id: int, body: ArchitectureUpdate) -> ArchitectureOut:
    row = own_architecture(session, team, architecture_id)
    if body.name is not None and body.name != row.name:
        if _name_taken(session, team, body.name, exclude_id=row.id):
            raise _taken(body.name)
        row.name = body.name
        # the stored spec carries the architecture's name too; keep the two in step
        row.spec = {**row.spec, "name": body.name}
    if body.published is not None:
        row.published = body.published
    _commit_or_conflict(session, row.name)
    return describe(session, team, row)


def delete(session: Session, team: Team, architecture_id: int) -> None:
    row = own_architecture(session, team, architecture_id)
    if session.scalar(select(exists().where(Job.architecture_id == row.id))):
        raise ApiError(
            409, f"architecture {architecture_id} is used by a job; it cannot be deleted", "architecture_id"
        )
    session.delete(row)
    try:
        session.commit()
    except IntegrityError:  # a job was submitted for it meanwhile (jobs.architecture_id is RESTRICT)
        session.rollback()
        raise ApiError(
            409, f"architecture {architecture_id} is used by a job; it cannot be deleted", "architecture_id"
        ) from None
