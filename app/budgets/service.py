"""Time budgets: a reference cost C, an input side and a tolerance, shared by all teams."""

from __future__ import annotations

import math
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.arch.analysis import analyse
from app.arch.presets import presets
from app.architectures.service import visible_architecture
from app.budgets.models import Budget
from app.budgets.schemas import BudgetCreate, BudgetOut
from app.errors import ApiError
from app.teams.models import Team


def to_out(budget: Budget) -> BudgetOut:
    return BudgetOut(
        id=budget.id,
        name=budget.name,
        reference_conv_macs=budget.reference_conv_macs,
        reference_preset=budget.reference_preset,
        reference_architecture_id=budget.reference_architecture_id,
        input_side=budget.input_side,
        tolerance=budget.tolerance,
        team_id=budget.team_id,
        builtin=budget.team_id is None,
    )


def get_budget(session: Session, budget_id: int, field: str = "budget_id") -> Budget:
    budget = session.get(Budget, budget_id)
    if budget is None:
        raise ApiError(404, f"no budget {budget_id}", field)
    return budget


def macs_range(budget: Budget) -> tuple[int, int]:
    """The conv MACs C with |C / reference - 1| <= tolerance, as inclusive integer bounds.

    Exact rational arithmetic, so a model exactly at the edge is in (105 / 100 - 1 is not <= 0.05
    in floating point, yet 105 is within 5% of 100)."""
    reference, tolerance = Fraction(budget.reference_conv_macs), Fraction(budget.tolerance)
    return math.ceil(reference * (1 - tolerance)), math.floor(reference * (1 + tolerance))


def list_budgets(session: Session) -> list[BudgetOut]:
    return [to_out(b) for b in session.scalars(select(Budget).order_by(Budget.id))]


def _square_side(height: int, width: int, field: str) -> int:
    if height != width:
        raise ApiError(
            422, f"the reference's input is {height}x{width}; a budget needs a square input", field
        )
    return height


def create(session: Session, team: Team, body: BudgetCreate) -> BudgetOut:
    if body.reference_conv_macs is not None and body.input_side is None:
        raise ApiError(422, "input_side is required with reference_conv_macs", "input_side")
    if body.reference_conv_macs is None and body.input_side is not None:
        raise ApiError(
            422, "input_side comes from the reference; give it only with reference_conv_macs", "input_side"
        )
    if session.scalar(select(Budget.id).where(Budget.name == body.name)) is not None:
        raise ApiError(409, f"a budget named {body.name!r} exists already", "name")
    if body.reference_preset is not None:
        preset = presets().get(body.reference_preset)
        if preset is None:
            raise ApiError(
                422, f"no preset {body.reference_preset!r}; see GET /api/v1/presets", "reference_preset"
            )
        conv_macs = analyse(preset.spec).conv_macs
        side = _square_side(preset.spec.input.height, preset.spec.input.width, "reference_preset")
    elif body.reference_architecture_id is not None:
        field = "reference_architecture_id"
        architecture = visible_architecture(session, team, body.reference_architecture_id, field, status=422)
        conv_macs = architecture.conv_macs
        side = _square_side(architecture.spec["input"]["height"], architecture.spec["input"]["width"], field)
    else:
        conv_macs, side = body.reference_conv_macs, body.input_side
    budget = Budget(
        team_id=team.id,
        name=body.name,
        reference_conv_macs=conv_macs,
        reference_preset=body.reference_preset,
        reference_architecture_id=body.reference_architecture_id,
        input_side=side,
        tolerance=body.tolerance,
    )
    session.add(budget)
    try:
        session.commit()
    except IntegrityError:  # the name was taken concurrently
        session.rollback()
        raise ApiError(409, f"a budget named {body.name!r} exists already", "name") from None
    return to_out(budget)


def delete(session: Session, team: Team, budget_id: int) -> None:
    budget = get_budget(session, budget_id)
    if budget.team_id is None:
        raise ApiError(403, f"budget {budget_id} is built in and cannot be deleted", "budget_id")
    if budget.team_id != team.id:
        raise ApiError(403, f"budget {budget_id} was created by another team", "budget_id")
    session.delete(budget)
    session.commit()
