"""Budgets, shared by all teams unless made from a private architecture: the leaderboard ranks
models within one of them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Response

from app.budgets import service
from app.budgets.deps import OwnBudget
from app.budgets.schemas import BudgetCreate, BudgetOut
from app.deps import SessionDep, SettingsDep
from app.errors import responses
from app.teams.deps import TeamDep

router = APIRouter(prefix="/budgets", tags=["budgets"])


@router.get("", response_model=list[BudgetOut], responses=responses(401))
def list_budgets(team: TeamDep, session: SessionDep) -> list[BudgetOut]:
    """Every budget, the built-ins first."""
    return service.list_budgets(session, team)


@router.post("", status_code=201, response_model=BudgetOut, responses=responses(401, 409, 413, 422, 429))
def create(
    body: Annotated[BudgetCreate, Body()], team: TeamDep, session: SessionDep, settings: SettingsDep
) -> BudgetOut:
    """A cost budget (the default `metric`, "macs") from a preset or an architecture copies its conv
    MACs and input side; a time budget (`metric` "latency_ms" or "throughput") is on a device
    profile, and one made from a design takes the design's time predicted on that profile
    (`reference_predicted`). 429 when the team has `ISOCOST_MAX_BUDGETS_PER_TEAM` budgets."""
    return service.create(session, settings, team, body)


@router.delete(
    "/{budget_id}", status_code=204, response_class=Response, responses=responses(401, 403, 404, 422)
)
def delete(budget: OwnBudget, session: SessionDep) -> Response:
    """Only the team that created a budget may delete it; built-ins stay."""
    service.delete(session, budget)
    return Response(status_code=204)
