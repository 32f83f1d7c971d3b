"""Budgets, shared by all teams: a reference cost C, or a time on a device profile, at an input
side, with a tolerance (docs/design.md, "Device profiles")."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import NamedTuple

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from app.arch.analysis import analyse
from app.arch.presets import presets
from app.arch.spec import Spec
from app.architectures.models import Architecture
from app.architectures.service import referenced_architecture
from app.budgets.models import Budget
from app.budgets.schemas import (
    BudgetCreate,
    BudgetOut,
    LatencyBudgetCreate,
    MacsBudgetCreate,
    ThroughputBudgetCreate,
    TimeBudgetCreate,
)
from app.db import commit
from app.exceptions import Conflict, Forbidden, Invalid, NotFound
from app.profiles.models import DeviceProfile
from app.profiles.service import predict_on, resolve
from app.settings import Settings
from app.teams import quota
from app.teams.models import Team


def _visible_to(viewer: Team) -> ColumnElement[bool]:
    """Budgets are shared, except one made from a private architecture: a budget shows its
    reference's C, so only the teams that may see that architecture (its own, or all once it is
    published) and the budget's creator see it (docs/design.md, "Quotas")."""
    return or_(
        Budget.team_id == viewer.id,
        Budget.reference_architecture_id.is_(None),
        Architecture.team_id == viewer.id,
        Architecture.published.is_(True),
    )


def _as_seen(viewer: Team) -> Select[Budget]:
    reference = Architecture.id == Budget.reference_architecture_id
    return select(Budget).outerjoin(Architecture, reference).where(_visible_to(viewer))


def get_budget(session: Session, viewer: Team, budget_id: int, field: str = "budget_id") -> Budget:
    """The budget if `viewer` may see it; NotFound naming `field` otherwise."""
    budget = session.scalar(_as_seen(viewer).where(Budget.id == budget_id))
    if budget is None:
        raise NotFound(f"no budget {budget_id}", field)
    return budget


def own_budget(session: Session, team: Team, budget_id: int) -> Budget:
    """For deletes: the budget must be one `team` created; built-ins belong to nobody."""
    budget = get_budget(session, team, budget_id)
    if budget.team_id is None:
        raise Forbidden(f"budget {budget_id} is built in and cannot be deleted", "budget_id")
    if budget.team_id != team.id:
        raise Forbidden(f"budget {budget_id} was created by another team", "budget_id")
    return budget


def macs_range(budget: Budget) -> tuple[int, int]:
    """The conv MACs C with |C / reference - 1| <= tolerance, as inclusive integer bounds.

    Exact rational arithmetic, so a model exactly at the edge is in (105 / 100 - 1 is not <= 0.05
    in floating point, yet 105 is within 5% of 100)."""
    assert budget.reference_conv_macs is not None  # a MAC budget always has its reference C
    reference, tolerance = Fraction(budget.reference_conv_macs), Fraction(budget.tolerance)
    return math.ceil(reference * (1 - tolerance)), math.floor(reference * (1 + tolerance))


def time_within(budget: Budget, value: float) -> bool:
    """Whether a time (or rate) is within a time budget's tolerance of its reference value, exactly
    as `macs_range` judges costs: a value at the edge is in."""
    assert budget.reference_value is not None  # a time budget always has its reference value
    reference, tolerance = Fraction(budget.reference_value), Fraction(budget.tolerance)
    return reference * (1 - tolerance) <= Fraction(value) <= reference * (1 + tolerance)


def list_budgets(session: Session, viewer: Team) -> list[BudgetOut]:
    budgets = session.scalars(_as_seen(viewer).order_by(Budget.id))
    return [BudgetOut.model_validate(budget) for budget in budgets]


def _square_side(height: int, width: int, field: str) -> int:
    if height != width:
        raise Invalid(f"the reference's input is {height}x{width}; a budget needs a square input", field)
    return height


def _taken(name: str) -> Conflict:
    return Conflict(f"a budget named {name!r} exists already", "name")


class _Design(NamedTuple):
    """A budget's reference design: its spec, C, input side, and the body's field naming it."""

    spec: Spec
    conv_macs: int
    side: int
    field: str


def _design(session: Session, team: Team, body: MacsBudgetCreate | LatencyBudgetCreate) -> _Design | None:
    """The body's reference design; None when the body gives a number instead."""
    if body.reference_preset is not None:
        preset = presets().get(body.reference_preset)
        if preset is None:
            raise Invalid(f"no preset {body.reference_preset!r}; see GET /api/v1/presets", "reference_preset")
        side = _square_side(preset.spec.input.height, preset.spec.input.width, "reference_preset")
        return _Design(preset.spec, analyse(preset.spec).conv_macs, side, "reference_preset")
    if body.reference_architecture_id is not None:
        field = "reference_architecture_id"
        architecture = referenced_architecture(session, team, body.reference_architecture_id, field)
        shape = architecture.spec["input"]
        side = _square_side(shape["height"], shape["width"], field)
        return _Design(Spec.model_validate(architecture.spec), architecture.conv_macs, side, field)
    return None


def _macs_budget(session: Session, team: Team, body: MacsBudgetCreate) -> Budget:
    if body.reference_conv_macs is not None and body.input_side is None:
        raise Invalid("input_side is required with reference_conv_macs", "input_side")
    if body.reference_conv_macs is None and body.input_side is not None:
        raise Invalid(
            "input_side comes from the reference; give it only with reference_conv_macs", "input_side"
        )
    design = _design(session, team, body)
    if design is None:
        # MacsBudgetCreate admits exactly one reference, and input_side comes with this one
        assert body.reference_conv_macs is not None and body.input_side is not None
        conv_macs, side = body.reference_conv_macs, body.input_side
    else:
        conv_macs, side = design.conv_macs, design.side
        if conv_macs <= 0:
            # Every cost in the budget is compared as a ratio to this one (docs/design.md, "Input").
            raise Invalid(
                "the reference has no conv layers (C = 0): a budget needs a reference with C > 0",
                design.field,
            )
    return Budget(
        team_id=team.id,
        name=body.name,
        reference_conv_macs=conv_macs,
        reference_preset=body.reference_preset,
        reference_architecture_id=body.reference_architecture_id,
        input_side=side,
        tolerance=body.tolerance,
    )


def _profile(session: Session, body: TimeBudgetCreate) -> DeviceProfile:
    """The profile the budget is on; Invalid naming `device_profile` if there is none, or if it is
    not of the device the body names."""
    profile = resolve(session, body.device_profile, "device_profile")
    if body.device is not None and profile.device != body.device:
        raise Invalid(
            f"device profile {profile.name!r} (id {profile.id}) is of {profile.device!r}, not {body.device!r}",
            "device_profile",
        )
    return profile


def _time_budget(session: Session, settings: Settings, team: Team, body: TimeBudgetCreate) -> Budget:
    """A budget on a device profile. Refused, naming the field, when no benchmark could ever match
    it: a batch or an input over what this server lets a benchmark job run."""
    if isinstance(body, ThroughputBudgetCreate) and body.batch_size > settings.max_batch_size:
        raise Invalid(
            f"{body.batch_size:,} is over this server's benchmark batch limit of {settings.max_batch_size:,}: "
            "no benchmark could measure it",
            "batch_size",
        )
    design = _design(session, team, body) if isinstance(body, LatencyBudgetCreate) else None
    if design is None and body.input_side is None:
        raise Invalid("input_side is required with reference_value", "input_side")
    if design is not None and body.input_side is not None:
        raise Invalid("input_side comes from the reference; give it only with reference_value", "input_side")
    side, field = (design.side, design.field) if design else (body.input_side, "input_side")
    assert side is not None  # checked above
    if side > settings.max_job_input_side:
        raise Invalid(
            f"an input of {side} px is over this server's benchmark limit of {settings.max_job_input_side} px: "
            "no benchmark could measure it",
            field,
        )
    profile = _profile(session, body)
    value = body.reference_value
    if design is not None:
        value = predict_on(analyse(design.spec), profile).total_s * 1e3
        if value <= 0:  # every time is compared as a ratio to this one
            raise Invalid(
                f"device profile {profile.name!r} predicts no time for the reference", "device_profile"
            )
    assert value is not None  # one reference, checked by the schema
    return Budget(
        team_id=team.id,
        name=body.name,
        metric=body.metric,
        reference_preset=getattr(body, "reference_preset", None),
        reference_architecture_id=getattr(body, "reference_architecture_id", None),
        input_side=side,
        tolerance=body.tolerance,
        device_profile_id=profile.id,
        reference_value=value,
        reference_predicted=design is not None,
        batch_size=getattr(body, "batch_size", 1),
    )


def create(session: Session, settings: Settings, team: Team, body: BudgetCreate) -> BudgetOut:
    if session.scalar(select(Budget.id).where(Budget.name == body.name)) is not None:
        raise _taken(body.name)
    if isinstance(body, MacsBudgetCreate):
        budget = _macs_budget(session, team, body)
    else:
        budget = _time_budget(session, settings, team, body)
    # Budgets are listed to every team: a quota keeps one team from flooding them (docs/design.md, "Quotas").
    counted = select(func.count()).where(Budget.team_id == team.id)
    quota.check(session, team, counted, settings.max_budgets_per_team, "budgets")
    session.add(budget)
    commit(session, _taken(body.name))  # the name was taken concurrently
    return BudgetOut.model_validate(budget)


def delete(session: Session, budget: Budget) -> None:
    """`budget` is the team's own (app.budgets.deps.OwnBudget)."""
    session.delete(budget)
    session.commit()
