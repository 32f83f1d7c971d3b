"""Every error leaves the API as JSON naming what is at fault:

{"detail": "spec.layers[3].size: the 2x2 input map is smaller ...",
 "field": "spec.layers[3].size",
 "errors": [{"field": ..., "message": ..., "type": ...}, ...],
 "position": 17}            # only for notation errors: 0-based character offset

The one place where the domain's errors (app.exceptions) become status codes (docs/design.md,
"Errors"): services raise `NotFound`, `Conflict` ...; `STATUS` below says what each one is over HTTP.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.arch.errors import NotationError, SpecError
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
_HEADERS: dict[type[DomainError], dict[str, str]] = {Unauthenticated: {"WWW-Authenticate": "Bearer"}}


def status_of(error: DomainError) -> int:
    """The status of the nearest mapped class, so a subclass of NotFound is still a 404."""
    return next((STATUS[cls] for cls in type(error).__mro__ if cls in STATUS), 500)


def _body(
    message: str, field: str | None, errors: list[dict[str, Any]] | None = None, position: int | None = None
) -> dict[str, Any]:
    detail = f"{field}: {message}" if field and not message.startswith(field) else message
    body: dict[str, Any] = {
        "detail": detail,
        "field": field,
        "errors": errors or [{"field": field, "message": message}],
    }
    if position is not None:  # notation errors only: where in the string the parser stopped
        body["position"] = position
    return body


def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
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
    position = exc.position if isinstance(exc, NotationError) else None
    return JSONResponse(_body(exc.message, field, position=position), status_code=422)


def _domain_error(request: Request, exc: DomainError) -> JSONResponse:
    headers = next((_HEADERS[cls] for cls in type(exc).__mro__ if cls in _HEADERS), None)
    return JSONResponse(_body(exc.message, exc.field), status_code=status_of(exc), headers=headers)


def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    message = exc.detail if isinstance(exc.detail, str) else "request failed"
    if exc.status_code == 404 and message == "Not Found":
        message = f"no such path: {request.url.path}"
    return JSONResponse(
        _body(message, None), status_code=exc.status_code, headers=getattr(exc, "headers", None)
    )


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(_body("internal error; it has been logged", None), status_code=500)


def install(app: FastAPI) -> None:
    # The decorator form, as Starlette types add_exception_handler for handlers of any Exception.
    app.exception_handler(RequestValidationError)(_validation)
    app.exception_handler(SpecError)(_spec_error)
    app.exception_handler(DomainError)(_domain_error)
    app.exception_handler(StarletteHTTPException)(_http_error)
    app.exception_handler(Exception)(_unexpected)


class BodyLimit:
    """Refuse request bodies over `max_bytes` with 413, by Content-Length or while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await self._refuse(send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        response = JSONResponse(_body(f"request body over the limit of {self.max_bytes:,} bytes", None), 413)
        await send({"type": "http.response.start", "status": 413, "headers": response.raw_headers})
        await send({"type": "http.response.body", "body": response.body})


class _TooLarge(BaseException):
    """BaseException, so the framework's body parser does not turn it into a 400 on the way out."""
