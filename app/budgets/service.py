"""Time budgets: a reference cost C, an input side and a tolerance, shared by all teams."""

from __future__ import annotations

import math
from fractions import Fraction

from sqlalchemy import ColumnElement, Select, case, func, or_, select
from sqlalchemy.orm import Session

from app.arch.analysis import analyse
from app.arch.presets import presets
from app.architectures.models import Architecture
from app.architectures.service import referenced_architecture
from app.budgets.models import Budget
from app.budgets.schemas import BudgetCreate, BudgetOut
from app.db import commit
from app.exceptions import Conflict, Forbidden, Invalid, NotFound
from app.settings import Settings
from app.teams import quota
from app.teams.models import Team


def get_budget(session: Session, budget_id: int, field: str = "budget_id") -> Budget:
    budget = session.get(Budget, budget_id)
    if budget is None:
        raise NotFound(f"no budget {budget_id}", field)
    return budget


def own_budget(session: Session, team: Team, budget_id: int) -> Budget:
    """For deletes: the budget must be one `team` created; built-ins belong to nobody."""
    budget = get_budget(session, budget_id)
    if budget.team_id is None:
        raise Forbidden(f"budget {budget_id} is built in and cannot be deleted", "budget_id")
    if budget.team_id != team.id:
        raise Forbidden(f"budget {budget_id} was created by another team", "budget_id")
    return budget


def macs_range(budget: Budget) -> tuple[int, int]:
    """The conv MACs C with |C / reference - 1| <= tolerance, as inclusive integer bounds.

    Exact rational arithmetic, so a model exactly at the edge is in (105 / 100 - 1 is not <= 0.05
    in floating point, yet 105 is within 5% of 100)."""
    reference, tolerance = Fraction(budget.reference_conv_macs), Fraction(budget.tolerance)
    return math.ceil(reference * (1 - tolerance)), math.floor(reference * (1 + tolerance))


def _shown_reference(viewer: Team) -> ColumnElement[int | None]:
    """The budget's reference architecture id if the viewer may see that architecture (its own, or
    published), else null: a budget is public, a private architecture is not. The cost band stays
    public, as it is what the budget is (docs/design.md, "Quotas")."""
    visible = or_(Architecture.team_id == viewer.id, Architecture.published.is_(True))
    return case((visible, Budget.reference_architecture_id), else_=None)


def _as_seen(viewer: Team) -> Select[Budget, int | None]:
    return select(Budget, _shown_reference(viewer)).outerjoin(
        Architecture, Architecture.id == Budget.reference_architecture_id
    )


def _out(budget: Budget, reference_architecture_id: int | None) -> BudgetOut:
    out = BudgetOut.model_validate(budget)
    return out.model_copy(update={"reference_architecture_id": reference_architecture_id})


def budget_out(session: Session, viewer: Team, budget: Budget) -> BudgetOut:
    """`budget` as `viewer` sees it."""
    budget_row, reference = session.execute(_as_seen(viewer).where(Budget.id == budget.id)).one()
    return _out(budget_row, reference)


def list_budgets(session: Session, viewer: Team) -> list[BudgetOut]:
    return [
        _out(budget, reference) for budget, reference in session.execute(_as_seen(viewer).order_by(Budget.id))
    ]


def _square_side(height: int, width: int, field: str) -> int:
    if height != width:
        raise Invalid(f"the reference's input is {height}x{width}; a budget needs a square input", field)
    return height


def _taken(name: str) -> Conflict:
    return Conflict(f"a budget named {name!r} exists already", "name")


def _reference(session: Session, team: Team, body: BudgetCreate) -> tuple[int, int]:
    """The conv MACs and input side of the one reference the body gives."""
    if body.reference_preset is not None:
        preset = presets().get(body.reference_preset)
        if preset is None:
            raise Invalid(f"no preset {body.reference_preset!r}; see GET /api/v1/presets", "reference_preset")
        side = _square_side(preset.spec.input.height, preset.spec.input.width, "reference_preset")
        return analyse(preset.spec).conv_macs, side
    if body.reference_architecture_id is not None:
        field = "reference_architecture_id"
        architecture = referenced_architecture(session, team, body.reference_architecture_id, field)
        shape = architecture.spec["input"]
        return architecture.conv_macs, _square_side(shape["height"], shape["width"], field)
    # BudgetCreate admits exactly one reference, and create() checked input_side comes with this one
    assert body.reference_conv_macs is not None and body.input_side is not None
    return body.reference_conv_macs, body.input_side


def create(session: Session, settings: Settings, team: Team, body: BudgetCreate) -> BudgetOut:
    if body.reference_conv_macs is not None and body.input_side is None:
        raise Invalid("input_side is required with reference_conv_macs", "input_side")
    if body.reference_conv_macs is None and body.input_side is not None:
        raise Invalid(
            "input_side comes from the reference; give it only with reference_conv_macs", "input_side"
        )
    if session.scalar(select(Budget.id).where(Budget.name == body.name)) is not None:
        raise _taken(body.name)
    conv_macs, side = _reference(session, team, body)
    if conv_macs <= 0:
        # Every cost in the budget is compared as a ratio to this one (docs/design.md, "Input").
        field = "reference_preset" if body.reference_preset is not None else "reference_architecture_id"
        raise Invalid(
            "the reference has no conv layers (C = 0): a budget needs a reference with C > 0", field
        )
    # Budgets are listed to every team: a quota keeps one team from flooding them (docs/design.md, "Quotas").
    counted = select(func.count()).where(Budget.team_id == team.id)
    quota.check(session, team, counted, settings.max_budgets_per_team, "budgets")
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
    commit(session, _taken(body.name))  # the name was taken concurrently
    return BudgetOut.model_validate(budget)


def delete(session: Session, budget: Budget) -> None:
    """`budget` is the team's own (app.budgets.deps.OwnBudget)."""
    session.delete(budget)
    session.commit()
