"""The budget named in the path, if the calling team created it (for deletes)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.budgets import service
from app.budgets.models import Budget
from app.deps import SessionDep
from app.fields import IdPath
from app.teams.deps import TeamDep


def own_budget(budget_id: IdPath, team: TeamDep, session: SessionDep) -> Budget:
    return service.own_budget(session, team, budget_id)


OwnBudget = Annotated[Budget, Depends(own_budget)]
