"""Saving, finding, renaming, publishing and deleting a team's architectures.

Visibility: a team sees its own architectures and every team's published ones. Another team's
private architecture looks absent (404), so ids leak nothing; a published architecture of
another team can be read but not changed (403).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, Integer, Row, Select, String, column, exists, func, or_, select, table
from sqlalchemy.orm import Session

from app.architectures.models import Architecture
from app.architectures.schemas import (
    ArchitectureCreate,
    ArchitectureCreated,
    ArchitectureOut,
    ArchitectureUpdate,
    Scope,
)
from app.db import commit
from app.exceptions import Conflict, Forbidden, Invalid, NotFound
from app.pagination import Page, PageParams, paginate
from app.settings import Settings
from app.teams import quota
from app.teams.models import Team

# Jobs depend on architectures, not the reverse (docs/design.md, "Layers and imports"): only the
# foreign key that jobs hold to us is read here, through this one column, not app.jobs.models.
_jobs = table("jobs", column("architecture_id", Integer))
# ...and budgets made from an architecture (a budget shows its reference's C: docs/design.md, "Quotas")
_budgets = table("budgets", column("reference_architecture_id", Integer), column("name", String))
# ...and, the same way, the columns of results that the list's "best error" and "runs" read
_results = table(
    "results",
    column("architecture_id", Integer),
    column("kind", String),
    column("dataset", String),
    column("top1_error", Float),
)


def _visible(session: Session, team: Team, architecture_id: int) -> Architecture | None:
    row = session.get(Architecture, architecture_id)
    return row if row is not None and (row.team_id == team.id or row.published) else None


def _hidden(architecture_id: int) -> str:
    return f"no architecture {architecture_id} visible to your team"


def visible_architecture(session: Session, team: Team, architecture_id: int) -> Architecture:
    """The architecture named in a path, if `team` may see it (its own, or published)."""
    row = _visible(session, team, architecture_id)
    if row is None:
        raise NotFound(_hidden(architecture_id), "architecture_id")
    return row


def referenced_architecture(session: Session, team: Team, architecture_id: int, field: str) -> Architecture:
    """The architecture a body field refers to: the URL was found, so one it cannot see is
    invalid input naming `field` (docs/api.md, "Ids and references"), not a 404."""
    row = _visible(session, team, architecture_id)
    if row is None:
        raise Invalid(_hidden(architecture_id), field)
    return row


def own_architecture(session: Session, team: Team, architecture_id: int) -> Architecture:
    """For writes: absent if `team` cannot see it, forbidden if it sees it (published) but does
    not own it."""
    row = visible_architecture(session, team, architecture_id)
    if row.team_id != team.id:
        raise Forbidden(f"architecture {architecture_id} belongs to another team", "architecture_id")
    return row


def _taken(name: str) -> Conflict:
    return Conflict(f"your team already has an architecture named {name!r}", "name")


def _used(architecture_id: int) -> Conflict:
    return Conflict(
        f"architecture {architecture_id} is used by a job; it cannot be deleted", "architecture_id"
    )


def _name_taken(session: Session, team: Team, name: str, exclude_id: int | None = None) -> bool:
    query = select(Architecture.id).where(Architecture.team_id == team.id, Architecture.name == name)
    if exclude_id is not None:
        query = query.where(Architecture.id != exclude_id)
    return session.scalar(query) is not None


def select_out(viewer: Team) -> Select[Any]:
    """Every column ArchitectureOut reads, in one query: the row's own, its team's name, whether
    it is the viewer's, whether a job used it, and its finished training runs and best error."""
    trained = (_results.c.architecture_id == Architecture.id) & (_results.c.kind == "train")
    ranked = trained & _results.c.dataset.is_not(None) & (_results.c.dataset != "synthetic")
    return select(
        *Architecture.__table__.columns,
        Team.name.label("team_name"),
        (Architecture.team_id == viewer.id).label("owned"),
        exists().where(_jobs.c.architecture_id == Architecture.id).label("in_use"),
        select(func.count()).where(trained).scalar_subquery().label("runs"),
        select(func.min(_results.c.top1_error)).where(ranked).scalar_subquery().label("best_error"),
    ).join(Team, Team.id == Architecture.team_id)


def _out_row(session: Session, viewer: Team, architecture_id: int) -> Row[Any]:
    return session.execute(select_out(viewer).where(Architecture.id == architecture_id)).one()


def describe(session: Session, viewer: Team, row: Architecture) -> ArchitectureOut:
    return ArchitectureOut.model_validate(_out_row(session, viewer, row.id))


def create(session: Session, settings: Settings, team: Team, body: ArchitectureCreate) -> ArchitectureCreated:
    analysis = body.analysis()
    if body.parent_id is not None:
        referenced_architecture(session, team, body.parent_id, "parent_id")
    if _name_taken(session, team, body.name):
        raise _taken(body.name)
    counted = select(func.count()).where(Architecture.team_id == team.id)
    quota.check(session, team, counted, settings.max_architectures_per_team, "architectures")
    duplicates = session.execute(
        select(Architecture.id, Architecture.name)
        .where(Architecture.team_id == team.id, Architecture.spec_hash == analysis.spec_hash)
        .order_by(Architecture.id)
    ).all()
    row = Architecture(
        team_id=team.id,
        name=body.name,
        spec=analysis.spec.model_dump(mode="json"),
        notation=analysis.notation,
        conv_macs=analysis.conv_macs,
        spec_hash=analysis.spec_hash,
        parent_id=body.parent_id,
        published=body.published,
    )
    session.add(row)
    commit(session, _taken(body.name))  # a concurrent insert of the same (team, name)
    out = _out_row(session, team, row.id)
    return ArchitectureCreated.model_validate({**out._mapping, "duplicates": duplicates})


def page(
    session: Session, team: Team, q: str | None, scope: Scope, params: PageParams
) -> Page[ArchitectureOut]:
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
    query = select_out(team).where(*conditions).order_by(Architecture.id.desc())
    rows, total = paginate(session, query, params)
    return params.envelope([ArchitectureOut.model_validate(row) for row in rows], total)


def update(session: Session, team: Team, row: Architecture, body: ArchitectureUpdate) -> ArchitectureOut:
    """`row` is the team's own (app.architectures.deps.OwnArchitecture)."""
    if body.name is not None and body.name != row.name:
        if _name_taken(session, team, body.name, exclude_id=row.id):
            raise _taken(body.name)
        row.name = body.name
        # the stored spec carries the architecture's name too; keep the two in step
        row.spec = {**row.spec, "name": body.name}
    if body.published is not None:
        row.published = body.published
    commit(session, _taken(row.name))
    return describe(session, team, row)


def delete(session: Session, row: Architecture) -> None:
    """`row` is the team's own (app.architectures.deps.OwnArchitecture); refused once a job has used
    it, or while a budget is made from it: the budget would outlive the privacy of its reference."""
    if session.scalar(select(exists().where(_jobs.c.architecture_id == row.id))):
        raise _used(row.id)
    budget = session.scalar(
        select(_budgets.c.name).where(_budgets.c.reference_architecture_id == row.id).limit(1)
    )
    if budget is not None:
        raise Conflict(
            f"architecture {row.id} is the reference of budget {budget!r}; delete the budget first",
            "architecture_id",
        )
    session.delete(row)
    commit(session, _used(row.id))  # a job was submitted for it meanwhile (jobs.architecture_id is RESTRICT)
