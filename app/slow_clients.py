"""Clients that trickle a request are timed out (docs/design.md, "Serving").

uvicorn closes a keep-alive connection idle between requests (`timeout_keep_alive`), but waits
forever for a request that has started: a client sending one header byte a second, or none after
connecting, holds its connection (and a file descriptor) for as long as it likes. Two bounds:

- **Headers** (`HeaderDeadline`, a mixin on uvicorn's HTTP protocols, given to uvicorn by
  `app.serve.run_api`): from the connection (or the end of the previous response) to the end of
  the headers, at most `ISOCOST_HEADER_TIMEOUT_S`, and at most `ISOCOST_MAX_HEADER_BYTES` of
  request line and headers; over either, a JSON 408 or 431 and the connection closes. The ASGI
  app is not called before the headers are complete, so this must live in the protocol.
- **Body** (`BodyTimeout`, an ASGI middleware): from the end of the headers to the body's last
  byte, at most `ISOCOST_BODY_TIMEOUT_S`; over it, a JSON 408 with `Connection: close`.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.errors import envelope
from app.settings import get_settings

_REASONS = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}


def _raw_response(status: int, message: str) -> bytes:
    """A whole HTTP/1.1 error response, for the protocol level where no ASGI app answers yet."""
    body = json.dumps(envelope(message)).encode()
    head = (
        b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
        b"connection: close\r\n\r\n" % (status, _REASONS[status], len(body))
    )
    return head + body


class HeaderDeadline:
    """Mixin for a uvicorn HTTP protocol: bounds the time and size of each request's headers.

    Both of uvicorn's protocols set `self.cycle` when a request's headers are complete, and it is
    None, or its response complete, while the next request's headers are awaited."""

    transport: asyncio.Transport
    cycle: Any
    _deadline: asyncio.TimerHandle | None = None
    _header_bytes = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        limits = get_settings()  # a protocol is built by uvicorn: the settings are the environment's
        self._timeout_s, self._max_bytes = limits.header_timeout_s, limits.max_header_bytes
        self._arm()

    def data_received(self, data: bytes) -> None:
        before = self.cycle
        awaiting_headers = before is None or before.response_complete
        super().data_received(data)  # type: ignore[misc]
        if self.cycle is not before:  # the headers are complete: the app has the request now
            self._disarm()
            self._header_bytes = 0
        elif awaiting_headers and not self.transport.is_closing():
            self._header_bytes += len(data)
            if self._header_bytes > self._max_bytes:
                self._refuse(431, f"request line and headers over the limit of {self._max_bytes:,} bytes")
            elif self._deadline is None:
                self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)  # type: ignore[misc]

    def _arm(self) -> None:
        loop = asyncio.get_running_loop()
        self._deadline = loop.call_later(self._timeout_s, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        if self.cycle is None or self.cycle.response_complete:  # still waiting for headers
            self._refuse(408, f"request headers not received within {self._timeout_s:g} s")

    def _refuse(self, status: int, message: str) -> None:
        self._disarm()
        if not self.transport.is_closing():
            self.transport.write(_raw_response(status, message))
            self.transport.close()


class HttpToolsWithDeadline(HeaderDeadline, HttpToolsProtocol):
    pass


class H11WithDeadline(HeaderDeadline, H11Protocol):
    pass


# The protocol uvicorn's "auto" would pick (httptools when installed), with the deadline.
PROTOCOL = "app.slow_clients:HttpToolsWithDeadline"
try:
    import httptools  # noqa: F401
except ImportError:  # pragma: no cover
    PROTOCOL = "app.slow_clients:H11WithDeadline"


class _SlowBody(BaseException):
    """BaseException, so the framework's body parser does not turn it into a 400 (as BodyLimit)."""


class BodyTimeout:
    """Refuse a request whose body has not fully arrived `timeout_s` after its headers, with 408."""

    def __init__(self, app: ASGIApp, timeout_s: float) -> None:
        self.app, self.timeout_s = app, timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        deadline = anyio.current_time() + self.timeout_s
        received = started = False

        async def timed() -> Message:
            nonlocal received
            if received:  # the body is in: later calls wait for a disconnect, unbounded
                return await receive()
            try:
                with anyio.fail_after(max(deadline - anyio.current_time(), 0)):
                    message = await receive()
            except TimeoutError:
                raise _SlowBody from None
            received = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, timed, tracked)
        except _SlowBody:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(envelope(f"request body not received within {self.timeout_s:g} s")).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),  # the rest of the body may still come: do not read it as a request
        ]
        await send({"type": "http.response.start", "status": 408, "headers": headers})
        await send({"type": "http.response.body", "body": body})
