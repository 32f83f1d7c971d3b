"""The `Idempotency-Key` header of the create endpoints (docs/api.md, "Idempotent requests")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Header
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from app.idempotency import service
from app.settings import Settings
from app.teams.models import Team

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias=service.FIELD,
        min_length=1,
        max_length=255,
        pattern=r"^[\x20-\x7e]+$",
        description="Any unique string (a UUID, say): a repeat with the same key and body returns the "
        "first response and creates nothing; the same key with another body is a 409.",
    ),
]

M = TypeVar("M", bound=BaseModel)


def idempotent(
    session: Session,
    settings: Settings,
    team: Team,
    key: str | None,
    operation: str,
    body: BaseModel,
    status_code: int,
    work: Callable[[], M],
) -> M | Response:
    """`work()` as is without a key (FastAPI serialises it); with one, at most once per key, and
    every answer, the first included, is the stored JSON, so a repeat gets the same bytes."""
    if key is None:
        return work()
    outcome = service.once(session, settings, team, key, operation, body, status_code, work)
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
    return Response(outcome.body, outcome.status_code, headers, media_type="application/json")
