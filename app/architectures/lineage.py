"""An architecture's family: its ancestors by `parent_id` and every descendant of the oldest one,
as far as the calling team can see (its own and published ones), for the dashboard's tree
(docs/design.md, "Architectures page")."""

from __future__ import annotations

from pydantic import BaseModel, Field
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.architectures.models import Architecture
from app.architectures.schemas import ArchitectureOut
from app.architectures.service import select_out
from app.teams.models import Team


class Lineage(BaseModel):
    root_id: int = Field(description="the oldest visible ancestor: the tree's root")
    items: list[ArchitectureOut] = Field(description="the root and its visible descendants, oldest first")
    truncated: bool = Field(description="more than ISOCOST_MAX_LINEAGE_NODES: the newest were left out")


def lineage(session: Session, team: Team, row: Architecture, limit: int) -> Lineage:
    """`row` is visible to `team` (app.architectures.deps.VisibleArchitecture). A parent the team
    cannot see ends the walk up, and its hidden descendants are left out with it."""
    visible = or_(Architecture.team_id == team.id, Architecture.published.is_(True))
    root, seen = row, {row.id}
    while root.parent_id is not None and root.parent_id not in seen and len(seen) < limit:
        parent = session.scalar(select(Architecture).where(Architecture.id == root.parent_id, visible))
        if parent is None:
            break
        root = parent
        seen.add(root.id)
    # Down from the root in one recursive query (SQLite and PostgreSQL both have WITH RECURSIVE);
    # UNION rather than UNION ALL, so even a cycle written by hand ends.
    tree = select(Architecture.id).where(Architecture.id == root.id).cte("tree", recursive=True)
    tree = tree.union(select(Architecture.id).where(Architecture.parent_id == tree.c.id, visible))
    query = select_out(team).where(Architecture.id.in_(select(tree.c.id))).order_by(Architecture.id)
    rows = session.execute(query.limit(limit + 1)).all()
    return Lineage(
        root_id=root.id,
        items=[ArchitectureOut.model_validate(r) for r in rows[:limit]],
        truncated=len(rows) > limit,
    )
