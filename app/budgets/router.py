"""Time budgets, shared by all teams: the leaderboard ranks models within one of them."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.budgets import service
from app.budgets.deps import OwnBudget
from app.budgets.schemas import BudgetCreate, BudgetOut
from app.deps import SessionDep
from app.teams.deps import TeamDep

router = APIRouter(prefix="/budgets", tags=["budgets"])


@router.get("", response_model=list[BudgetOut])
def list_budgets(team: TeamDep, session: SessionDep) -> list[BudgetOut]:
    """Every budget, the built-ins first."""
    return service.list_budgets(session)


@router.post("", status_code=201, response_model=BudgetOut)
def create(body: BudgetCreate, team: TeamDep, session: SessionDep) -> BudgetOut:
    """A budget from a preset or an architecture copies its conv MACs and input side."""
    return service.create(session, team, body)


@router.delete("/{budget_id}", status_code=204, response_class=Response)
def delete(budget: OwnBudget, session: SessionDep) -> Response:
    """Only the team that created a budget may delete it; built-ins stay."""
    service.delete(session, budget)
    return Response(status_code=204)
