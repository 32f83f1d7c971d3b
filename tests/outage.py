"""Real outages for tests: a TCP proxy in front of PostgreSQL that can be cut (connections refused,
open ones dropped, as when the server stops) and restored on the same port, and a PostgreSQL
schema of one test's own."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from sqlalchemy import create_engine, text

from app.migrate import upgrade
from tests.stack import free_port, reachable

PG_HOST, PG_PORT = "127.0.0.1", 5432


def pg_url(port: int, schema: str) -> str:
    return f"postgresql+psycopg://postgres@{PG_HOST}:{port}/test?options=-csearch_path%3D{schema}"


@contextmanager
def pg_schema() -> Iterator[str]:
    """A migrated schema in database `test`, dropped afterwards."""
    from tests.conftest import require

    require(reachable(PG_HOST, PG_PORT), "PostgreSQL on 127.0.0.1:5432")
    schema = f"isocost_{uuid.uuid4().hex[:10]}"
    admin = create_engine(f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/test")
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        upgrade(pg_url(PG_PORT, schema))
        yield schema
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


class TcpProxy:
    """Forwards 127.0.0.1:`port` to `target_port`. `down()`: nothing listens (connections are
    refused) and open connections are dropped; `up()`: it listens again on the same port."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listening = threading.Event()
        self._listener: threading.Thread | None = None

    def up(self) -> None:
        server = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        server.settimeout(0.1)
        self._listening.set()
        self._listener = threading.Thread(target=self._accept, args=(server,), daemon=True)
        self._listener.start()

    def down(self) -> None:
        self._listening.clear()
        if self._listener is not None:
            self._listener.join()
        with self._lock:
            dropped, self._sockets = self._sockets, set()
        for sock in dropped:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, server: socket.socket) -> None:
        with server:
            while self._listening.is_set():
                try:
                    client, _ = server.accept()
                except TimeoutError:
                    continue
                client.settimeout(None)
                try:
                    upstream = socket.create_connection((PG_HOST, self.target_port))
                except OSError:
                    client.close()
                    continue
                with self._lock:
                    self._sockets |= {client, upstream}
                for source, sink in ((client, upstream), (upstream, client)):
                    threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for sock in (source, sink):
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
