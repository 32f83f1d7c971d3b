"""app.keepalive.Rebalance: `Connection: close` on a response with probability 1 / N, so clients
reconnect now and then and spread over the API's processes (docs/design.md, "Serving")."""

from __future__ import annotations

import asyncio
import random

from app.keepalive import Rebalance


async def _app(scope, receive, send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})


def _closed(requests_per_connection: int, requests: int) -> int:
    """How many of `requests` responses said `Connection: close`."""
    middleware = Rebalance(_app, requests_per_connection)
    closed = 0

    async def send(message) -> None:
        nonlocal closed
        if message["type"] == "http.response.start":
            closed += (b"connection", b"close") in message["headers"]

    async def many() -> None:
        for _ in range(requests):
            await middleware({"type": "http"}, None, send)

    asyncio.run(many())
    return closed


def test_one_in_n_responses_closes_its_connection() -> None:
    random.seed(0)
    assert 800 <= _closed(20, 20_000) <= 1_200  # 1,000 expected; 3 standard deviations are 92


def test_every_or_no_response() -> None:
    assert _closed(1, 50) == 50
    assert _closed(0, 50) == 0
