"""Every error leaves the API as JSON naming what is at fault:

{"detail": "spec.layers[3].size: the 2x2 input map is smaller ...",
 "field": "spec.layers[3].size",
 "errors": [{"field": ..., "message": ..., "type": ...}, ...],
 "position": 17}            # only for notation errors: 0-based character offset
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.arch.errors import NotationError, SpecError

log = logging.getLogger("isocost")
_LAYER_TAGS = {"conv", "maxpool", "avgpool", "spp", "gap", "fc"}


class ApiError(Exception):
    """An error with an HTTP status, raised by services and routers."""

    def __init__(
        self, status: int, message: str, field: str | None = None, headers: dict | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.field, self.headers = status, message, field, headers


def field_name(loc: tuple | list) -> str:
    """("body", "spec", "layers", 3, "conv", "size") -> "spec.layers[3].size"."""
    out = ""
    previous: object = None
    for part in loc:
        if part == "body" and not out:
            continue
        if isinstance(part, int):
            out += f"[{part}]"
        elif not (isinstance(previous, int) and part in _LAYER_TAGS):  # drop union tags
            out += f".{part}" if out else str(part)
        previous = part
    return out


def _body(message: str, field: str | None, errors: list[dict] | None = None, **extra) -> dict:
    detail = f"{field}: {message}" if field and not message.startswith(field) else message
    return {
        "detail": detail,
        "field": field,
        "errors": errors or [{"field": field, "message": message}],
        **extra,
    }


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
    extra = {"position": exc.position} if isinstance(exc, NotationError) else {}
    return JSONResponse(_body(exc.message, field, **extra), status_code=422)


def _api_error(request: Request, exc: ApiError) -> JSONResponse:
    return JSONResponse(_body(exc.message, exc.field), status_code=exc.status, headers=exc.headers)


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
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(SpecError, _spec_error)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


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
