"""`GET /healthz`: is each component the API needs reachable? Anyone may ask, so the answer says
only ok or failing per component; why it failed (a driver's error text names hosts, users and
paths) goes to the server log (docs/design.md, "Errors")."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from app.db import session_factory
from app.deps import SettingsDep
from app.jobs.broker import broker_reachable

log = logging.getLogger("isocost.health")
router = APIRouter(tags=["ops"])

OK = "ok"
FAILING = "unreachable (the reason is in the server log)"


class Component(BaseModel):
    ok: bool
    detail: str = OK


class Health(BaseModel):
    ok: bool
    database: Component
    broker: Component


def _component(name: str, ok: bool, reason: str | None) -> Component:
    if ok:
        return Component(ok=True)
    log.warning("health check: %s unreachable: %s", name, reason)
    return Component(ok=False, detail=FAILING)


@router.get(
    "/healthz",
    response_model=Health,
    responses={503: {"model": Health, "description": "The database or the broker is unreachable"}},
)
def healthz(settings: SettingsDep) -> JSONResponse:
    """Database and broker reachability; 503 when either is down."""
    try:
        with session_factory(settings.database_url)() as session:
            session.execute(text("SELECT 1"))
        database = _component("database", True, None)
    except Exception as error:  # any driver error means "not reachable"
        database = _component("database", False, f"{type(error).__name__}: {error}")
    broker_ok, broker_reason = broker_reachable(settings)
    broker = _component("broker", broker_ok, broker_reason)
    health = Health(ok=database.ok and broker.ok, database=database, broker=broker)
    return JSONResponse(health.model_dump(), status_code=200 if health.ok else 503)
