"""A lean closed-loop HTTP/1.1 load generator for bench/load.py (docs/design.md, "Serving").

Each client holds one keep-alive connection and sends its requests, prepared once as bytes, one
at a time: it writes a request, reads the status line and headers, then exactly Content-Length
bytes of body. A response that is not a 200, or a connection that fails, counts as an error (the
client then reconnects); a response with `Connection: close` makes it reconnect too, as any
HTTP/1.1 client does (the API sends one now and then: app.keepalive). That is all the parsing it
does, so it costs the machine under test about 0.03 of a core at 200 requests/s: httpx, used
before, took 0.6 of this machine's 2 cores, and its coroutines, starved of CPU, left connections
idle past the server's keep-alive timeout (the `ReadError`s). A generator must be much lighter
than the server it loads (as wrk is).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

Request = tuple[str, str, str, dict[str, Any]]  # name, method, path, httpx-style keyword arguments


def encode(host: str, method: str, path: str, options: dict[str, Any]) -> bytes:
    """The request's bytes; `options` may hold `headers`, `params` and `json`, as for httpx."""
    body = json.dumps(options["json"]).encode() if "json" in options else b""
    if "params" in options:
        path = f"{path}?{urlencode(options['params'])}"
    headers = {"host": host, **options.get("headers", {}), "content-length": str(len(body))}
    if body:
        headers["content-type"] = "application/json"
    head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return f"{head}\r\n".encode() + body


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bool]:
    """Send one request and read its whole response; its status code, and whether the server
    closes the connection after it (`Connection: close`)."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    length, closes = None, False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection":
            closes = value.strip().lower() == b"close"
    if length is None:  # chunked: no endpoint of the mix streams
        raise ConnectionError("response without Content-Length")
    await reader.readexactly(length)
    return int(head[9:12]), closes


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    by_endpoint: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


async def _client(url: str, mix: list[tuple[str, bytes]], first: int, stop_at: float, tally: Tally) -> None:
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    i = first
    while time.perf_counter() < stop_at:
        name, request = mix[i % len(mix)]
        i += 1
        began = time.perf_counter()
        try:
            status, closes = await _exchange(reader, writer, request)
            failed = None if status == 200 else f"{name}: {status}"
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as error:
            failed, closes = f"{name}: {type(error).__name__}", True
        if closes:  # as any HTTP/1.1 client does; this request's time includes the new connection
            writer.close()
            reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        elapsed = time.perf_counter() - began
        tally.latencies.append(elapsed)
        tally.by_endpoint.setdefault(name, []).append(elapsed)
        if failed:
            tally.errors.append(failed)
    writer.close()


async def run(url: str, requests: list[Request], clients: int, seconds: float) -> tuple[Tally, float]:
    """`clients` closed-loop clients for `seconds`, each starting at another point of the mix;
    what they saw, and the seconds it took."""
    host = urlsplit(url).netloc
    mix = [(name, encode(host, method, path, options)) for name, method, path, options in requests]
    tally = Tally()
    start = time.perf_counter()
    await asyncio.gather(*(_client(url, mix, i, start + seconds, tally) for i in range(clients)))
    return tally, time.perf_counter() - start
