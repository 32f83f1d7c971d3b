"""Every error leaves the API as JSON naming what is at fault:

{"detail": "spec.layers[3].size: the 2x2 input map is smaller ...",
 "field": "spec.layers[3].size",
 "errors": [{"field": ..., "message": ..., "type": ...}, ...],
 "position": 17, "end": 22} # only for notation errors: 0-based offsets of the quoted token

The one place where the domain's errors (app.exceptions) become status codes (docs/design.md,
"Errors"): services raise `NotFound`, `Conflict` ...; `STATUS` below says what each one is over HTTP.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.arch.errors import NotationError, SpecError
from app.db import UNREACHABLE
from app.exceptions import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    QuotaExceeded,
    Unauthenticated,
    Unavailable,
    field_name,
)

log = logging.getLogger("isocost")


STATUS: dict[type[DomainError], int] = {
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Invalid: 422,
    QuotaExceeded: 429,
    Unavailable: 503,
}
# RFC 9110: a 401 names the scheme the client should use.
# RFC 9110: a 503 may say when to come back; a database restart or failover takes seconds.
RETRY_AFTER_S = 5
_HEADERS: dict[type[DomainError], dict[str, str]] = {
    Unauthenticated: {"WWW-Authenticate": "Bearer"},
    Unavailable: {"Retry-After": str(RETRY_AFTER_S)},
}


class ErrorItem(BaseModel):
    field: str | None = Field(description="where, as the client wrote it: `name`, `spec.layers[3].size`")
    message: str
    type: str | None = Field(None, description="pydantic's error type, for validation errors")


class ErrorEnvelope(BaseModel):
    """The body of every error response (docs/api.md, "Errors"), declared in the OpenAPI schema."""

    detail: str = Field(description='"<field>: <message>" of the first error')
    field: str | None
    errors: list[ErrorItem] = Field(min_length=1)
    position: int | None = Field(None, description="notation errors only: 0-based character offset")
    end: int | None = Field(None, description="notation errors only: where the quoted token ends (exclusive)")


_MEANING = {
    401: "No token, or one that is not (or no longer) valid",
    403: "Visible but not yours to change, or not the admin",
    404: "Not found, or not visible to your team",
    409: "Conflicts with what is stored (a name taken, a row in use, a job already finished)",
    413: "Request body over ISOCOST_MAX_BODY_BYTES",
    422: "Invalid input; `field` names what is at fault",
    429: "Over one of your team's quotas (queued jobs, budgets, tokens, architectures)",
    503: "A component the request needs cannot be reached",
}


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route: each error status it can answer, with the one envelope model,
    so the OpenAPI schema states what the API really sends (docs/design.md, "Errors")."""
    return {code: {"model": ErrorEnvelope, "description": _MEANING[code]} for code in codes}


def declare_unavailable(router: APIRouter, session: Callable[..., Any]) -> None:
    """Every route that takes a database `session` can answer 503 while the database is down, so
    its OpenAPI operation says so; done here for all of them rather than route by route."""
    for route in router.routes:
        if isinstance(route, APIRoute) and _depends_on(route.dependant, session):
            route.responses.setdefault(503, responses(503)[503])


def _depends_on(dependant: Dependant, call: Callable[..., Any]) -> bool:
    return any(d.call is call or _depends_on(d, call) for d in dependant.dependencies)


def status_of(error: DomainError) -> int:
    """The status of the nearest mapped class, so a subclass of NotFound is still a 404."""
    return next((STATUS[cls] for cls in type(error).__mro__ if cls in STATUS), 500)


def _body(
    message: str,
    field: str | None,
    errors: list[dict[str, Any]] | None = None,
    position: int | None = None,
    end: int | None = None,
) -> dict[str, Any]:
    detail = f"{field}: {message}" if field and not message.startswith(field) else message
    body: dict[str, Any] = {
        "detail": detail,
        "field": field,
        "errors": errors or [{"field": field, "message": message}],
    }
    if position is not None:  # notation errors only: where in the string the parser stopped
        body["position"] = position
        body["end"] = position if end is None else end
    return body


def envelope(message: str, field: str | None = None) -> dict[str, Any]:
    """The error body, for what answers outside the exception handlers (app.slow_clients)."""
    return _body(message, field)


def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    if isinstance(exc.body, bytes):
        # FastAPI parses a body as JSON only under a JSON Content-Type and hands the rest over as
        # bytes, which no body model accepts: say so, rather than "a valid dictionary".
        sent = (request.headers.get("content-type") or "no Content-Type")[:100]
        message = f"must be JSON, sent with Content-Type: application/json (got {sent})"
        items = [{"field": "body", "message": message, "type": "content_type"}]
        return JSONResponse(_body(message, "body", items), status_code=422)
    errors = []
    for error in exc.errors():
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        field = field_name(error.get("loc", ())) or None
        if error.get("type") == "json_invalid":
            position = error.get("loc", ("body", 0))[-1]
            message = f"invalid JSON at character {position}: {error.get('ctx', {}).get('error', message)}"
            field = "body"
        errors.append({"field": field, "message": message, "type": error.get("type")})
    first = errors[0]
    return JSONResponse(_body(first["message"], first["field"], errors), status_code=422)


def _spec_error(request: Request, exc: SpecError) -> JSONResponse:
    field = field_name(exc.loc) or None
    if isinstance(exc, NotationError):
        return JSONResponse(_body(exc.message, field, position=exc.position, end=exc.end), status_code=422)
    return JSONResponse(_body(exc.message, field), status_code=422)


def _domain_error(request: Request, exc: DomainError) -> JSONResponse:
    headers = next((_HEADERS[cls] for cls in type(exc).__mro__ if cls in _HEADERS), None)
    return JSONResponse(_body(exc.message, exc.field), status_code=status_of(exc), headers=headers)


def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    if exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError):
        # FastAPI's 400 for a body that is not UTF-8: malformed JSON like any other, so a 422
        # naming the body (docs/api.md, "Field names").
        message = f"invalid JSON: not UTF-8 at byte {exc.__cause__.start}"
        return JSONResponse(_body(message, "body"), status_code=422)
    if exc.status_code == 400 and isinstance(exc.__cause__, RecursionError | ValueError):
        # FastAPI's 400 for JSON that Python's parser gives up on: malformed JSON too.
        return JSONResponse(_body(_unparsable(exc.__cause__), "body"), status_code=422)
    message = exc.detail if isinstance(exc.detail, str) else "request failed"
    if exc.status_code == 404 and message == "Not Found":
        message = f"no such path: {request.url.path}"
    return JSONResponse(
        _body(message, None), status_code=exc.status_code, headers=getattr(exc, "headers", None)
    )


def _unparsable(cause: RecursionError | ValueError) -> str:
    if isinstance(cause, RecursionError):
        return "invalid JSON: nested too deeply to parse"
    if "integer string conversion" in str(cause):  # CPython's guard against quadratic int parsing
        return f"invalid JSON: a number has more than {sys.get_int_max_str_digits():,} digits"
    return f"invalid JSON: {cause}"


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(_body("internal error; it has been logged", None), status_code=500)


def _database_unreachable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("database unreachable on %s %s: %s", request.method, request.url.path, exc)
    return _domain_error(request, Unavailable("the database cannot be reached; try again shortly"))


def install(app: FastAPI) -> None:
    # The decorator form, as Starlette types add_exception_handler for handlers of any Exception.
    app.exception_handler(RequestValidationError)(_validation)
    app.exception_handler(SpecError)(_spec_error)
    app.exception_handler(DomainError)(_domain_error)
    for unreachable in UNREACHABLE:  # the one place these become `Unavailable`, not a 500
        app.exception_handler(unreachable)(_database_unreachable)
    app.exception_handler(StarletteHTTPException)(_http_error)
    app.exception_handler(Exception)(_unexpected)


class BodyLimit:
    """Refuse request bodies over `max_bytes` with 413, by Content-Length or while streaming.
    `larger` gives paths their own limit (POST /import takes files: docs/design.md, "Interchange")."""

    def __init__(self, app: ASGIApp, max_bytes: int, larger: dict[str, int] | None = None) -> None:
        self.app, self.max_bytes, self.larger = app, max_bytes, larger or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.larger.get(scope["path"], self.max_bytes)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await self._refuse(send, limit)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await self._refuse(send, limit)

    async def _refuse(self, send: Send, limit: int) -> None:
        response = JSONResponse(_body(f"request body over the limit of {limit:,} bytes", None), 413)
        await send({"type": "http.response.start", "status": 413, "headers": response.raw_headers})
        await send({"type": "http.response.body", "body": response.body})


class _TooLarge(BaseException):
    """BaseException, so the framework's body parser does not turn it into a 400 on the way out."""
