"""Serving under load and against slow clients (docs/design.md, "Serving"), on `isocost api`, the
server production runs, started by the test: more simultaneous requests than database
connections are all answered; a pool that stays exhausted is a 503, not a 500; a client that
trickles its headers or body, or says nothing, is answered 408 and disconnected."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi.testclient import TestClient

from app.db import POOL_RESERVE, session_factory
from app.main import create_app
from app.settings import Settings
from tests.conftest import make_team
from tests.jobs_support import add_architecture
from tests.stack import Stack

pytestmark = pytest.mark.slow
SLOW = {"header_timeout_s": 1.0, "body_timeout_s": 1.0, "keep_alive_timeout_s": 1, "max_header_bytes": 4096}
# what the slow clients send: the start of a request head; a POST's head, and its body sent apart
GET = b"GET /api/v1/vocabulary HTTP/1.1\r\nHost: test\r\n"
BODY = json.dumps({"preset": "A"}).encode()
POST = (
    b"POST /api/v1/complexity HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
    b"Content-Length: %d\r\n\r\n" % len(BODY)
)


def _settings(settings: Settings, **changes: object) -> Settings:
    return Settings(**{**settings.model_dump(), "broker_url": "memory://", **changes})


@pytest.fixture(scope="module")
def server(settings: Settings, tmp_path_factory) -> Iterator[Stack]:
    """Two API processes sharing three connections each (one + POOL_RESERVE for the health check
    and the reconciler), with short timeouts for slow clients."""
    # keepalive_requests=0: a connection is closed only for the reasons under test (app.keepalive)
    changed = _settings(settings, db_pool_size=1, db_pool_timeout_s=2.0, keepalive_requests=0, **SLOW)
    stack = Stack(changed, tmp_path_factory.mktemp("logs"))
    try:
        stack.start_api(timeout_s=120, workers=2)  # two processes importing at once on a busy machine
        yield stack
    finally:
        stack.stop()


def test_more_clients_than_connections_are_all_answered(server: Stack, settings: Settings) -> None:
    """64 clients at once, each with a few database requests, against processes that each let one
    request use the database at a time: the others wait their turn instead of failing."""
    team = make_team(settings)
    add_architecture(settings.database_url, team.id, published=True)
    paths = [
        "/api/v1/jobs",
        "/api/v1/architectures?scope=public",
        "/api/v1/leaderboard?budget_id=1",
        "/api/v1/tokens",
    ]
    barrier = threading.Barrier(64)

    def client(i: int) -> list[int]:
        # A connection per request: with the fixture's 1 s keep-alive, a thread starved for a second on
        # a busy host would reuse a connection the server was closing (a reset, not what is tested).
        headers = {**team.headers, "Connection": "close"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=120) as http:
            barrier.wait()
            return [http.get(paths[(i + k) % len(paths)]).status_code for k in range(4)]

    with ThreadPoolExecutor(64) as pool:
        statuses = Counter(status for row in pool.map(client, range(64)) for status in row)
    assert statuses == {200: 256}


def test_a_pool_that_stays_exhausted_is_a_503(settings: Settings) -> None:
    changed = _settings(settings, db_pool_size=1, db_pool_timeout_s=0.2)
    team = make_team(settings)
    engine = session_factory(changed.database_url, 1, 0.2).kw["bind"]
    held = [engine.connect() for _ in range(1 + POOL_RESERVE)]  # what a leak would do
    try:
        with TestClient(create_app(changed), raise_server_exceptions=False) as client:
            response = client.get("/api/v1/jobs", headers=team.headers)
    finally:
        for connection in held:
            connection.close()
    assert response.status_code == 503, response.text
    assert response.json()["field"] is None and "database" in response.json()["detail"]


def _connect(stack: Stack) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", stack.port))
    sock.settimeout(30)  # far above the server's 1 s bounds: reaching it means no timeout at all
    return sock


def _answer(sock: socket.socket) -> tuple[int, dict, bytes]:
    """Status, headers and body of the one response the server sends before closing."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode().split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines)
    return int(status_line.split()[1]), headers, body


def _trickle(sock: socket.socket, data: bytes, pause_s: float = 0.2) -> None:
    """One byte at a time; stops quietly once the server has closed the connection."""
    for byte in data:
        try:
            sock.send(bytes([byte]))
        except OSError:
            return
        time.sleep(pause_s)


def _envelope(body: bytes, words: str) -> None:
    out = json.loads(body)
    assert out["field"] is None and words in out["detail"] and out["errors"], out


def _sent(stack: Stack, send: Callable[[socket.socket], object]) -> tuple[int, dict, bytes]:
    """The server's answer on a fresh connection on which `send` wrote its part."""
    with _connect(stack) as sock:
        send(sock)
        return _answer(sock)


def test_a_client_that_sends_nothing_is_disconnected(server: Stack) -> None:
    status, headers, body = _sent(server, lambda sock: None)
    assert status == 408 and headers["connection"] == "close"
    _envelope(body, "request headers not received within 1 s")


def test_headers_trickled_are_timed_out(server: Stack) -> None:
    status, _, body = _sent(server, lambda sock: _trickle(sock, GET + b"X-Slow: " + b"a" * 100))
    assert status == 408
    _envelope(body, "request headers not received")


def test_a_body_trickled_is_timed_out(server: Stack) -> None:
    status, headers, answer = _sent(server, lambda sock: (sock.sendall(POST), _trickle(sock, BODY)))
    assert status == 408 and headers["connection"] == "close"
    _envelope(answer, "request body not received within 1 s")


def test_headers_over_the_limit_are_refused(server: Stack) -> None:
    status, _, body = _sent(server, lambda sock: sock.sendall(GET + b"X-Big: " + b"a" * 5000))
    assert status == 431
    _envelope(body, "over the limit of 4,096 bytes")


def test_prompt_clients_are_served_and_idle_ones_closed(server: Stack) -> None:
    def send(sock: socket.socket) -> None:
        # a body in two parts, both well within the bound, then the connection left idle
        sock.sendall(POST + BODY[:5])
        time.sleep(0.3)
        sock.sendall(BODY[5:])

    status, headers, answer = _sent(server, send)  # returns once the server closes the idle connection
    assert status == 200 and json.loads(answer)["conv_macs"] > 0
    assert headers.get("connection") != "close"  # it was kept alive, then closed for idling


def test_keep_alive_connections_are_closed_now_and_then(settings: Settings, tmp_path) -> None:
    """With one request per connection, the server says `Connection: close` and closes; a client
    reconnects on its own (app.keepalive)."""
    stack = Stack(_settings(settings, keepalive_requests=1), tmp_path)
    try:
        stack.start_api(timeout_s=120)
        status, headers, body = _sent(stack, lambda sock: sock.sendall(GET + b"\r\n"))  # read to the close
        assert status == 200 and headers["connection"] == "close" and json.loads(body)["unit"] == "MAC"
        with httpx.Client(base_url=stack.url) as http:
            assert [http.get("/api/v1/vocabulary").status_code for _ in range(5)] == [200] * 5
    finally:
        stack.stop()
