"""Run a team's request at most once per `Idempotency-Key` (docs/design.md, "Idempotent
submission").

The key's row is inserted in the same transaction as the work it guards, before it: the service's
own commit makes the two durable together, and an error rolls both back (so a failed request
leaves the key free for a retry). Of two concurrent requests with one key, the unique constraint
on (team, key) lets one insert; the other waits for the first's response and replays it.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta

from pydantic import BaseModel
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db import utcnow
from app.exceptions import Conflict
from app.idempotency.models import IdempotencyKey
from app.settings import Settings
from app.teams.models import Team

FIELD = "Idempotency-Key"  # the header, named as the client sends it
WAIT_S = 10.0  # how long a repeat waits for the first request's response
POLL_S = 0.05
UNFINISHED = (
    "the first request with this key has not finished (or its server stopped before it did): retry "
    "later, or look at what it created before sending it again under a new key"
)


@dataclass(frozen=True)
class Outcome:
    status_code: int
    body: str  # JSON, exactly as first sent
    replayed: bool


def fingerprint(operation: str, body: BaseModel) -> str:
    """The request as the server understood it, so that spelling (key order, spacing, a default
    written out) does not make a repeat look different."""
    canonical = json.dumps([operation, body.model_dump(mode="json")], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def once(
    session: Session,
    settings: Settings,
    team: Team,
    key: str,
    operation: str,
    body: BaseModel,
    status_code: int,
    work: Callable[[], BaseModel],
) -> Outcome:
    """`work()` (a service call that commits its own unit of work) run once for (team, key); a
    repeat gets the first outcome back. Conflict naming the header when the key was first used
    for another request, or when the first request has not finished within WAIT_S."""
    request_hash = fingerprint(operation, body)
    team_id = team.id
    _purge_expired(session)
    deadline = time.monotonic() + WAIT_S
    while True:
        row = session.scalar(
            select(IdempotencyKey).where(IdempotencyKey.team_id == team_id, IdempotencyKey.key == key)
        )
        if row is None:
            row = _reserve(session, settings, team_id, key, request_hash)
            if row is not None:
                break
            continue  # a concurrent request inserted it first: read its row
        if row.request_hash != request_hash:
            first = f"{row.created_at:%Y-%m-%d %H:%M:%S} UTC"
            raise Conflict(
                f"this key was first used for a different request ({first}); a new request takes a new key",
                FIELD,
            )
        if row.status_code is not None and row.response is not None:
            return Outcome(row.status_code, row.response, replayed=True)
        if time.monotonic() > deadline:
            raise Conflict(UNFINISHED, FIELD)
        session.rollback()  # end this snapshot, so the next read sees the first request's commit
        time.sleep(POLL_S)
    try:
        result = work()
    except BaseException:
        with suppress(Exception):  # the database may be what failed
            session.rollback()  # the reservation goes with the work: nothing was created
        raise
    response = result.model_dump_json()
    row.status_code, row.response = status_code, response
    session.commit()
    return Outcome(status_code, response, replayed=False)


def _reserve(
    session: Session, settings: Settings, team_id: int, key: str, request_hash: str
) -> IdempotencyKey | None:
    """Insert the key's row (uncommitted: it commits with the work), or None if another request
    holds the key. PostgreSQL makes this insert wait until that request commits or rolls back."""
    now = utcnow()
    row = IdempotencyKey(team_id=team_id, key=key, request_hash=request_hash, created_at=now,
                         expires_at=now + timedelta(seconds=settings.idempotency_key_ttl_s))  # fmt: skip
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return None
    return row


def _purge_expired(session: Session) -> None:
    """Forget expired keys (indexed on expires_at), in a transaction of its own."""
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at < utcnow()))
    session.commit()
