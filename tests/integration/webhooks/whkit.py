"""Helpers of the webhook tests: a threaded ``http.server`` receiver that records every request, a scripted raw
HTTP/1.1 endpoint, and clocks."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import attrs
from sqlalchemy import Engine, Table, select

from adapters.clock import FixedClock
from adapters.sql import tables as t
from complaint_core.intake import Intake
from complaint_core.policy import Channel, Market
from entrypoints.app import open_app

INTAKE = Intake(customer="华东电子", channel=Channel.PHONE, category="quality", market=Market.DOMESTIC)
T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


@attrs.frozen
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@attrs.frozen
class Answer:
    status: int = 204
    headers: dict[str, str] = attrs.Factory(dict)
    delay: float = 0.0


class Receiver:
    """Answers POSTs with ``behaviour(request, n)`` (n counts requests with this webhook-id, from 1)."""

    def __init__(self, behaviour: Callable[[Received, int], Answer] | None = None) -> None:
        self.behaviour = behaviour or (lambda request, n: Answer())
        self.requests: list[Received] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                request = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.time())
                with receiver.lock:
                    receiver.requests.append(request)
                    n = sum(
                        1 for r in receiver.requests if r.headers.get("webhook-id") == request.headers.get("webhook-id")
                    )
                answer = receiver.behaviour(request, n)
                if answer.delay:
                    time.sleep(answer.delay)
                try:
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("content-length", "0")
                    self.end_headers()
                except OSError:
                    pass

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def ids(self) -> list[str]:
        with self.lock:
            return [r.headers["webhook-id"] for r in self.requests]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@attrs.define
class JumpClock:
    """Each ``now()`` is ``step`` later than the previous one: every retry is due at the next pass."""

    current: datetime = T0
    step: timedelta = timedelta(hours=11)

    def now(self) -> datetime:
        self.current += self.step
        return self.current


def make_cases(db_url: str, n: int = 1, *, steps: bool = False) -> list[str]:
    """``n`` received cases (with ``steps``: also registered and under investigation); their outbox message ids."""
    app = open_app(db_url, clock=FixedClock(T0))
    try:
        for _ in range(n):
            case = app.cases.receive(INTAKE, actor="clerk")
            if steps:
                app.cases.register(case.case_id, actor="clerk")
                app.cases.start_investigation(case.case_id, actor="clerk")
        with app.database.engine.connect() as conn:
            return [r.message_id for r in conn.execute(select(t.outbox.c.message_id).order_by(t.outbox.c.seq))]
    finally:
        app.close()


def engine_of(db_url: str) -> Engine:
    from adapters.sql import open_database

    return open_database(db_url).engine


def rows(engine: Engine, table: Table) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(table).order_by(table.c.id))]


def call(
    app: Any,
    method: str,
    path: str,
    headers: dict[str, str] | list[tuple[str, str]] | None = None,
    body: bytes = b"",
    chunk: int = 0,
) -> tuple[int, dict[bytes, bytes], Any]:
    """A tiny ASGI driver: one request, the body in ``chunk``-sized pieces (0: one piece); (status, headers, doc).
    ``headers`` as a list of pairs may repeat a field."""
    pairs = list(headers.items()) if isinstance(headers, dict) else list(headers or ())
    pieces = [body[i : i + chunk] for i in range(0, len(body), chunk)] if chunk else [body]
    messages = [{"type": "http.request", "body": p, "more_body": i < len(pieces) - 1} for i, p in enumerate(pieces)]
    sent: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in pairs],
    }

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start, body_msg = sent
    return start["status"], dict(start["headers"]), json.loads(body_msg["body"])


OK = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"


class Scripted:
    """Answers the n-th request it reads, on whichever connection, with ``answers[n]`` (200 past the list's end).
    An answer of None closes the connection without answering; ``hang_up`` lists the requests after whose answer
    it closes the connection. It closes no connection otherwise, whatever its answer's headers say."""

    def __init__(self, answers: Sequence[bytes | None], hang_up: Sequence[int] = ()) -> None:
        self.answers = list(answers)
        self.hang_up = set(hang_up)
        self.requests: list[bytes] = []
        self.connections = 0
        self.closed_by_client = threading.Semaphore(0)
        self.lock = threading.Lock()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _read_request(self, conn: socket.socket, buffered: bytes) -> tuple[bytes, bytes] | None:
        data = buffered
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        length = next(
            (int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")),
            0,
        )
        while len(rest) < length:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            rest += chunk
        return head + b"\r\n\r\n" + rest[:length], rest[length:]

    def _serve(self, conn: socket.socket) -> None:
        buffered = b""
        with conn:
            while True:
                try:
                    found = self._read_request(conn, buffered)
                except OSError:
                    return
                if found is None:
                    self.closed_by_client.release()
                    return
                request, buffered = found
                with self.lock:
                    n = len(self.requests)
                    self.requests.append(request)
                answer = self.answers[n] if n < len(self.answers) else OK
                try:
                    if answer is not None:
                        conn.sendall(answer)
                except OSError:
                    return
                if answer is None or n in self.hang_up:
                    conn.shutdown(socket.SHUT_RDWR)
                    return

    def client_closed_a_connection(self) -> bool:
        return self.closed_by_client.acquire(timeout=5)

    def stop(self) -> None:
        self.server.close()
