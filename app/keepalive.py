"""Keep-alive connections are closed now and then, so a client's requests move between the API's
processes (docs/design.md, "Serving").

uvicorn's worker processes share one listening socket: a connection stays with the process that
accepted it. Clients that keep their connections open (scripts, proxies, load generators) can
pile up on one process while another idles. `Rebalance` adds `Connection: close` to a response
with probability 1 / `ISOCOST_KEEPALIVE_REQUESTS` (its mean number of requests per connection,
like nginx's `keepalive_requests`), so each client reconnects now and then, to whichever process
accepts first: a stateless rule, with no count per connection to keep. HTTP/1.1 clients reconnect
on their own; 0 turns it off.
"""

from __future__ import annotations

import random

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class Rebalance:
    def __init__(self, app: ASGIApp, requests_per_connection: int) -> None:
        self.app, self.chance = app, 1 / requests_per_connection if requests_per_connection else 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or random.random() >= self.chance:
            await self.app(scope, receive, send)
            return

        async def closing(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"connection" for name, _ in headers):  # a 408 has its own
                    message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        await self.app(scope, receive, closing)
