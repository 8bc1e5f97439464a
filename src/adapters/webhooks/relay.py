"""The outbox relay: fan each new outbox row out to the matching endpoints, then deliver what is due.

Flow of one ``run_once()``:

1. **Fan-out**: outbox rows not yet relayed (``relayed_at IS NULL``) become one ``webhook_deliveries`` row per
   enabled endpoint whose filters match the event type, in the transaction that sets ``relayed_at``.
2. **Claim**: due pending deliveries are *leased* in a short transaction (``next_attempt_at`` moves to
   ``now + lease``; on PostgreSQL the rows are locked with ``FOR UPDATE SKIP LOCKED`` so several relays share
   the work; SQLite's ``BEGIN IMMEDIATE`` serialises claims). A delivery whose endpoint already has an earlier
   pending message of the same aggregate is not due: per endpoint, a case's messages go out in order.
3. **Send** with no transaction open: each attempt is signed afresh (``webhook-timestamp`` = this attempt,
   ``webhook-id`` = the outbox message id on every attempt) and posted with keep-alive connections.
4. **Record** every attempt and its outcome via ``schedule.decide`` in one transaction per batch.

While deliveries are in flight (claimed, not yet recorded) a heartbeat thread renews their lease every third
of it, so a long batch never outlives its lease and the lease can stay short. Delivery is at-least-once: a
relay killed between 3 and 4 stops renewing, and its leased messages are sent again once the lease has
expired (a minute by default). Secrets never appear in logs or recorded errors.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import random
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

import attrs
from sqlalchemy import ColumnElement, Connection, Engine, bindparam, exists, false, insert, select, update
from sqlalchemy.orm import aliased

from adapters.sql import tables as t
from adapters.sql.engine import dialect_insert, reading
from complaint_core.timeutil import utc_z

from .endpoints import Endpoint, endpoint_from_row, redact_url, signer_for
from .schedule import BreakerState, CircuitBreaker, Decision, Fate, Outcome, classify, decide
from .signing import Signer

if TYPE_CHECKING:
    import httpx

    from complaint_core.ports import Clock

log = logging.getLogger(__name__)

USER_AGENT = "complaint-core-webhooks/1"
MAX_RESPONSE_BYTES = 64 * 1024  # we only need the status; a bigger body closes the connection
MAX_INTERIM_ANSWERS = 8  # 1xx answers skipped before the final one (103 Early Hints, 102 Processing)
MAX_ERROR_CHARS = 500
PENDING, DELIVERED, DEAD, CANCELLED = "pending", "delivered", "dead", "cancelled"


@attrs.frozen
class Response:
    """One attempt's result: ``status`` None means a timeout or a connection error (``error`` says which)."""

    status: int | None
    retry_after: str | None = None
    error: str | None = None


class Transport(Protocol):
    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Response: ...

    def close(self) -> None: ...


def _error_text(error: BaseException) -> str:
    """The error as one line of printable text: an endpoint's malformed answer (a NUL in its status line) is
    quoted in it, and a NUL cannot be stored."""
    text = f"{type(error).__name__}: {error}".strip()
    text = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" if ord(c) < 256 else "\ufffd" for c in text)
    return text[:MAX_ERROR_CHARS]


class _Deadlines:
    """Shuts down the socket of a request that runs past its deadline.

    A socket timeout bounds each read, not the request: an endpoint that sends its answer a byte a second held
    the relay (and, by renewing the lease, its slot) for as long as it liked. One thread checks the requests in
    flight a few times a second, so a post costs two dictionary operations, not a timer thread.
    """

    def __init__(self, period: float) -> None:
        self._period = period
        self._lock = threading.Lock()
        self._due: dict[int, tuple[float, socket.socket]] = {}
        self._expired: set[int] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def watch(self, token: int, sock: socket.socket, deadline: float) -> None:
        with self._lock:
            self._due[token] = (deadline, sock)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="webhook-deadlines", daemon=True)
                self._thread.start()

    def done(self, token: int) -> bool:
        """Stop watching; True if the deadline had passed (the socket was shut down)."""
        with self._lock:
            self._due.pop(token, None)
            if token in self._expired:
                self._expired.discard(token)
                return True
            return False

    def _run(self) -> None:
        while not self._stop.wait(self._period):
            now = time.monotonic()
            with self._lock:
                late = [(token, sock) for token, (deadline, sock) in self._due.items() if deadline <= now]
                for token, _ in late:
                    del self._due[token]
                    self._expired.add(token)
            for _, sock in late:
                with contextlib.suppress(OSError):  # already closed
                    sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def _final_response(sock: socket.socket) -> http.client.HTTPResponse:
    """The answer after any interim ones: ``HTTPResponse.begin`` skips ``100 Continue`` only, so a receiver's
    ``103 Early Hints`` was read as the answer, and the real one, left on the kept-alive connection, as the answer
    to the next message (one recorded delivered on another's 200, one lost). A ``101`` is final: it was not
    asked for, so it is refused and its connection closed."""
    response = http.client.HTTPResponse(sock, method="POST")
    response.begin()
    interim = 0
    while 100 <= response.status < 200 and response.status != 101:
        interim += 1
        if interim > MAX_INTERIM_ANSWERS:
            raise http.client.HTTPException(f"more than {MAX_INTERIM_ANSWERS} interim (1xx) answers")
        # what the interim answer left buffered is the next answer; detached, so closing it closes no reader
        reader, response.fp = response.fp, None  # type: ignore[assignment]
        following = http.client.HTTPResponse(sock, method="POST")
        assert following.fp is not None
        following.fp.close()
        following.fp = reader
        following.begin()
        response = following
    return response


class StdlibTransport:
    """A small HTTP/1.1 client on ``socket`` + ``http.client.HTTPResponse``: one keep-alive connection per
    (thread, scheme, host, port), the request head and body in one ``sendall``, ``TCP_NODELAY``, no redirects.

    ``connect`` bounds the TCP (and TLS) connect; ``timeout`` the rest of the request, sending it and reading the
    whole answer (give or take a quarter of a second). Why not ``httpx.Client``: on loopback it posts 2-4x slower
    (bench/bench_webhooks.py), which matters for a relay draining a backlog; ``http.client.HTTPConnection`` sends
    head and body in two writes.
    """

    def __init__(self, *, timeout: float = 15.0, connect: float = 5.0) -> None:
        self.timeout = timeout
        self.connect = connect
        self._local = threading.local()
        self._all: list[socket.socket] = []
        self._lock = threading.Lock()
        self._tls: ssl.SSLContext | None = None
        self._deadlines = _Deadlines(min(0.25, timeout / 4))

    def _connections(self) -> dict[tuple[str, str, int], socket.socket]:
        found: dict[tuple[str, str, int], socket.socket] | None = getattr(self._local, "conns", None)
        if found is None:
            found = {}
            self._local.conns = found
        return found

    def _open(self, scheme: str, host: str, port: int) -> socket.socket:
        sock = socket.create_connection((host, port), timeout=self.connect)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if scheme == "https":
                if self._tls is None:
                    self._tls = ssl.create_default_context()
                sock = self._tls.wrap_socket(sock, server_hostname=host)
            sock.settimeout(self.timeout)
        except BaseException:
            sock.close()
            raise
        with self._lock:
            self._all.append(sock)
        return sock

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Response:
        try:
            parts = urlsplit(url)
            host = parts.hostname or ""
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as error:
            return Response(None, error=_error_text(error))
        if parts.scheme not in ("http", "https") or not host:
            return Response(None, error="not an http(s) URL")
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        default_port = port == (443 if parts.scheme == "https" else 80)
        authority = (f"[{host}]" if ":" in host else host) + ("" if default_port else f":{port}")
        lines = [f"POST {path} HTTP/1.1", f"host: {authority}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        lines += [
            "content-type: application/json",
            f"user-agent: {USER_AGENT}",
            f"content-length: {len(body)}",
            "",
            "",
        ]
        try:
            request = "\r\n".join(lines).encode("latin-1") + body
        except UnicodeEncodeError as error:
            return Response(None, error=_error_text(error))
        key = (parts.scheme, host, port)
        conns = self._connections()
        for attempt in (1, 2):
            sock = conns.get(key)
            reused = sock is not None
            watched = 0
            try:
                if sock is None:
                    sock = self._open(parts.scheme, host, port)
                    conns[key] = sock
                watched = id(sock)
                self._deadlines.watch(watched, sock, time.monotonic() + self.timeout)
                sock.sendall(request)
                response = _final_response(sock)
                response.read(MAX_RESPONSE_BYTES)
                status, retry_after = response.status, response.getheader("retry-after")
                if self._deadlines.done(watched):
                    raise TimeoutError(f"timed out: no complete answer within {self.timeout:g} s")
                if response.will_close or not response.isclosed() or status < 200:
                    conns.pop(key, None)
                    sock.close()
                return Response(status, retry_after=retry_after)
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as error:
                conns.pop(key, None)
                if sock is not None:
                    sock.close()
                if watched and self._deadlines.done(watched):
                    return Response(
                        None, error=_error_text(TimeoutError(f"timed out: no answer within {self.timeout:g} s"))
                    )
                if attempt == 1 and reused:
                    continue  # a kept-alive connection the server had closed: one fresh try
                return Response(None, error=_error_text(error))
            except (OSError, http.client.HTTPException, ValueError) as error:
                conns.pop(key, None)
                if sock is not None:
                    sock.close()
                if watched and self._deadlines.done(watched) and not isinstance(error, TimeoutError):
                    error = TimeoutError(f"timed out: no complete answer within {self.timeout:g} s")
                return Response(None, error=_error_text(error))
        return Response(None, error="connection closed")  # pragma: no cover - the loop always returns

    def close(self) -> None:
        self._deadlines.close()
        with self._lock:
            for sock in self._all:
                sock.close()
            self._all.clear()


class HttpxTransport:
    """``httpx.Client`` (keep-alive, ``follow_redirects=False``); pass your own client to share its pool."""

    def __init__(self, client: httpx.Client | None = None, *, timeout: float = 15.0, connect: float = 5.0) -> None:
        import httpx

        self._owned = client is None
        self.client = client or httpx.Client(
            timeout=httpx.Timeout(timeout, connect=connect), follow_redirects=False, headers={"user-agent": USER_AGENT}
        )
        self._httpx = httpx

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Response:
        try:
            response = self.client.post(
                url, content=body, headers={**headers, "content-type": "application/json"}, follow_redirects=False
            )
        except (self._httpx.HTTPError, OSError, ValueError) as error:
            return Response(None, error=_error_text(error))
        return Response(response.status_code, retry_after=response.headers.get("retry-after"))

    def close(self) -> None:
        if self._owned:
            self.client.close()


@attrs.frozen(kw_only=True)
class Job:
    """One claimed delivery: what to send where."""

    delivery_id: int
    endpoint_id: int
    url: str
    attempts: int  # before this attempt
    message_id: str
    payload: bytes = attrs.field(repr=False)
    signer: Signer | None = attrs.field(repr=False)
    breaker: CircuitBreaker = attrs.field(repr=False)  # the endpoint's, as claimed


@attrs.frozen(kw_only=True)
class Result:
    job: Job
    at: datetime
    response: Response | None  # None: not attempted (the endpoint tripped its breaker during the batch)
    latency_ms: int


@attrs.define
class RelayCounts:
    fanned_out: int = 0  # deliveries created
    attempted: int = 0
    delivered: int = 0
    retried: int = 0
    dead: int = 0
    disabled: int = 0  # endpoints disabled by a 410
    cancelled: int = 0  # deliveries cancelled with a disabled endpoint

    def add(self, other: RelayCounts) -> None:
        for field in attrs.fields(RelayCounts):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))

    def as_dict(self) -> dict[str, int]:
        return attrs.asdict(self)


def breaker_of(endpoint: Endpoint, threshold: int, cool_down: timedelta) -> CircuitBreaker:
    """The endpoint's breaker as stored with it."""
    return CircuitBreaker(
        threshold=threshold,
        cool_down=cool_down,
        consecutive_failures=endpoint.breaker_failures,
        opened_at=endpoint.breaker_opened_at,
    )


class _BatchBreakers:
    """Within one batch, each endpoint's breaker from its stored state on, plus the endpoints that answered 410.

    Shared by the relay's worker threads, so a failing endpoint stops taking the batch's
    time with concurrency too (a few sends may race past the threshold). ``gone`` is shared
    by the run's batches: the next batch is claimed before this one is recorded, and must not
    go to an endpoint that said Gone. Breakers are not carried over: the stored state a claim
    brings is the one every relay shares (carried over, an open one here while the stored one
    had closed again made the run claim and skip the same deliveries until the cool-down ended).
    """

    def __init__(self, gone: set[int] | None = None) -> None:
        self._lock = threading.Lock()
        self._breakers: dict[int, CircuitBreaker] = {}
        self._gone: set[int] = gone if gone is not None else set()

    def allows(self, job: Job, now: datetime) -> bool:
        with self._lock:
            breaker = self._breakers.setdefault(job.endpoint_id, job.breaker)
            return job.endpoint_id not in self._gone and breaker.allows(now)

    def record(self, job: Job, outcome: Outcome, now: datetime) -> None:
        with self._lock:
            if outcome is Outcome.DISABLE_ENDPOINT:
                self._gone.add(job.endpoint_id)
            self._breakers[job.endpoint_id] = self._breakers.get(job.endpoint_id, job.breaker).record(outcome, now)


class Relay:
    """Relays the outbox to the registered endpoints; see the module docstring for the flow.

    ``client`` is an ``httpx.Client`` (used through ``HttpxTransport``), any ``Transport``, or None for the
    standard-library transport. ``clock`` gives every instant (attempt timestamps, due times); ``rng`` the
    retry jitter. ``lease`` is how long a claimed delivery stays invisible to other relays unless renewed
    (default: three request timeouts, at least a minute); the relay renews it every third of that while
    the delivery is in flight, so it is also how soon another relay takes over after a crash.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        client: httpx.Client | Transport | None = None,
        clock: Clock,
        rng: random.Random | float,
        timeout: float = 15.0,
        connect: float = 5.0,
        batch: int = 100,
        concurrency: int = 1,
        lease: timedelta | None = None,
        breaker_threshold: int = 5,
        breaker_cool_down: timedelta = timedelta(minutes=5),
    ) -> None:
        if batch < 1 or concurrency < 1:
            raise ValueError("batch and concurrency must be at least 1")
        self.engine = engine
        self.clock = clock
        self.rng = rng
        self.batch = batch
        self.concurrency = concurrency
        self.breaker_threshold = breaker_threshold
        self.breaker_cool_down = breaker_cool_down
        self.lease = lease if lease is not None else timedelta(seconds=max(60.0, 3 * (timeout + connect)))
        if self.lease <= timedelta(0):
            raise ValueError("lease must be positive")
        self._owns_transport = client is None or _is_httpx(client)
        if client is None:
            self.transport: Transport = StdlibTransport(timeout=timeout, connect=connect)
        elif _is_httpx(client):
            self.transport = HttpxTransport(client, timeout=timeout, connect=connect)  # type: ignore[arg-type]
        else:
            self.transport = client  # type: ignore[assignment]
        self._pool = ThreadPoolExecutor(concurrency) if concurrency > 1 else None
        self._insert = dialect_insert(engine.dialect.name)
        self._postgres = engine.dialect.name == "postgresql"
        self._in_flight: dict[
            int, int
        ] = {}  # delivery id -> endpoint id, claimed by this relay and not yet recorded: never claimed twice
        self._lock = threading.Lock()
        self._recording = threading.Lock()  # a renewal never lands after ``record`` has set a delivery's fate
        self._stop_heartbeat = threading.Event()
        self._heartbeat: threading.Thread | None = None

    def close(self) -> None:
        self._stop_heartbeat.set()
        if self._heartbeat is not None:
            self._heartbeat.join()
        if self._pool is not None:
            self._pool.shutdown()
        if self._owns_transport:
            self.transport.close()

    def __enter__(self) -> Relay:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- 1. fan-out ----------------------------------------------------------------------------------------------
    def fan_out(self, limit: int = 1000) -> int:
        """Turn unrelayed outbox rows into deliveries; returns how many deliveries were created."""
        created = 0
        while True:
            made, seen = self._fan_out_batch(limit)
            created += made
            if seen < limit:
                return created

    def _fan_out_batch(self, limit: int) -> tuple[int, int]:
        o, d = t.outbox.c, t.webhook_deliveries
        now = self.clock.now()
        with self.engine.begin() as conn:
            query = select(o.seq, o.type, o.aggregate_id).where(o.relayed_at.is_(None)).order_by(o.seq).limit(limit)
            if self._postgres:
                query = query.with_for_update(skip_locked=True)
            rows = conn.execute(query).all()
            if not rows:
                return 0, 0
            endpoints = [
                endpoint_from_row(r)
                for r in conn.execute(select(t.webhook_endpoints).where(t.webhook_endpoints.c.enabled.is_(True)))
            ]
            values = [
                {
                    "outbox_seq": row.seq,
                    "endpoint_id": endpoint.id,
                    "aggregate_id": row.aggregate_id,
                    "status": PENDING,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
                for row in rows
                for endpoint in endpoints
                if endpoint.accepts(row.type)
            ]
            if values:
                conn.execute(self._insert(d).on_conflict_do_nothing(), values)
            seqs = [row.seq for row in rows]
            for start in range(0, len(seqs), 500):
                conn.execute(update(t.outbox).where(o.seq.in_(seqs[start : start + 500])).values(relayed_at=now))
        return len(values), len(rows)

    # --- 2. claim ------------------------------------------------------------------------------------------------
    def claim(self) -> list[Job]:
        """Lease the due deliveries (at most ``batch``) of endpoints whose breaker allows sending."""
        now = self.clock.now()
        d, o = t.webhook_deliveries, t.outbox
        earlier = aliased(t.webhook_deliveries)
        blocked: ColumnElement[bool] = exists().where(
            earlier.c.endpoint_id == d.c.endpoint_id,
            earlier.c.aggregate_id == d.c.aggregate_id,
            earlier.c.outbox_seq < d.c.outbox_seq,
            earlier.c.status == PENDING,
        )
        if self._postgres:
            # Another relay's fan-out may hold an earlier message of the case under SKIP LOCKED, not yet a
            # delivery: this one must not overtake it (a case's messages reach each endpoint in order).
            unrelayed = aliased(t.outbox)
            blocked = blocked | exists().where(
                unrelayed.c.aggregate_id == d.c.aggregate_id,
                unrelayed.c.seq < d.c.outbox_seq,
                unrelayed.c.relayed_at.is_(None),
            )
        with self.engine.begin() as conn:
            endpoints = {
                e.id: e
                for e in (
                    endpoint_from_row(r)
                    for r in conn.execute(select(t.webhook_endpoints).where(t.webhook_endpoints.c.enabled.is_(True)))
                )
            }
            closed, trial = [], []
            for e in endpoints.values():
                state = self._breaker(e).state(now)
                if state is BreakerState.CLOSED:
                    closed.append(e.id)
                elif state is BreakerState.HALF_OPEN:
                    trial.append(e.id)
            base = (
                select(
                    d.c.id,
                    d.c.endpoint_id,
                    d.c.attempts,
                    o.c.message_id,
                    o.c.payload,
                    d.c.next_attempt_at,
                    d.c.outbox_seq,
                )
                .join(o, o.c.seq == d.c.outbox_seq)
                .where(d.c.status == PENDING, d.c.next_attempt_at <= now, ~blocked)
                .order_by(d.c.next_attempt_at, d.c.outbox_seq)
            )
            with self._lock:
                busy = sorted(self._in_flight)
                busy_endpoints = set(self._in_flight.values())
            trial = [e for e in trial if e not in busy_endpoints]  # its trial message is still in flight
            if busy:
                base = base.where(d.c.id.notin_(busy))
            if self._postgres:
                base = base.with_for_update(skip_locked=True, of=d)
            rows: list[Any] = []
            if closed:
                rows.extend(conn.execute(base.where(d.c.endpoint_id.in_(closed)).limit(self.batch)).all())
            for endpoint_id in trial:  # half-open: one trial message per endpoint
                rows.extend(conn.execute(base.where(d.c.endpoint_id == endpoint_id).limit(1)).all())
            if not rows:
                return []
            ids = [row.id for row in rows]
            conn.execute(update(d).where(d.c.id.in_(ids)).values(next_attempt_at=now + self.lease))
            signers = {eid: signer_for(conn, eid, now) for eid in {row.endpoint_id for row in rows}}
        with self._lock:
            self._in_flight.update((row.id, row.endpoint_id) for row in rows)
        self._start_heartbeat()
        return [
            Job(
                delivery_id=row.id,
                endpoint_id=row.endpoint_id,
                url=endpoints[row.endpoint_id].url,
                attempts=row.attempts,
                message_id=row.message_id,
                payload=bytes(row.payload),
                signer=signers[row.endpoint_id],
                breaker=self._breaker(endpoints[row.endpoint_id]),
            )
            for row in rows
        ]

    def _breaker(self, endpoint: Endpoint) -> CircuitBreaker:
        return breaker_of(endpoint, self.breaker_threshold, self.breaker_cool_down)

    # --- the lease -----------------------------------------------------------------------------------------------
    def renew(self) -> int:
        """Extend to ``now + lease`` the lease of every delivery this relay has in flight; how many were renewed."""
        d = t.webhook_deliveries.c
        with self._recording:
            with self._lock:
                ids = sorted(self._in_flight)
            if not ids:
                return 0
            statement = update(t.webhook_deliveries).where(d.id.in_(ids), d.status == PENDING)
            with self.engine.begin() as conn:
                return conn.execute(statement.values(next_attempt_at=self.clock.now() + self.lease)).rowcount or 0

    def _start_heartbeat(self) -> None:
        if self._heartbeat is None and not self._stop_heartbeat.is_set():
            self._heartbeat = threading.Thread(target=self._beat, name="relay-lease", daemon=True)
            self._heartbeat.start()

    def _beat(self) -> None:
        """Renew every third of the lease until ``close``; a failed renewal is logged and tried again within a
        second (a busy SQLite may already have taken 30 s of the lease)."""
        interval = self.lease.total_seconds() / 3
        wait = interval
        while not self._stop_heartbeat.wait(wait):
            try:
                self.renew()
                wait = interval
            except Exception:  # the database may be briefly unavailable: try again soon
                log.warning("could not renew the relay's delivery leases", exc_info=True)
                wait = min(interval, 1.0)

    # --- 3. send -------------------------------------------------------------------------------------------------
    def _send(self, job: Job) -> Result:
        at = self.clock.now()
        if job.signer is None:
            return Result(job=job, at=at, response=Response(None, error="endpoint has no valid secret"), latency_ms=0)
        headers = job.signer.headers(job.message_id, int(at.timestamp()), job.payload)
        started = time.perf_counter()
        response = self.transport.post(job.url, job.payload, headers)
        latency = int((time.perf_counter() - started) * 1000)
        if response.status is None:
            log.info("webhook %s to %s failed: %s", job.message_id, redact_url(job.url), response.error)
        return Result(job=job, at=at, response=response, latency_ms=latency)

    def send(self, jobs: Sequence[Job], gone: set[int] | None = None) -> list[Result]:
        """Post every job; skip the rest of an endpoint's jobs once its breaker opens or it answers 410
        (in this batch, or in an earlier batch that shared the ``gone`` set)."""
        breakers = _BatchBreakers(gone)

        def send_one(job: Job) -> Result:
            now = self.clock.now()
            if not breakers.allows(job, now):
                return Result(job=job, at=now, response=None, latency_ms=0)
            result = self._send(job)
            status = result.response.status if result.response is not None else None
            breakers.record(job, classify(status), result.at)
            return result

        if self._pool is not None:
            return list(self._pool.map(send_one, jobs))
        return [send_one(job) for job in jobs]

    # --- 4. record -----------------------------------------------------------------------------------------------
    def record(self, results: Iterable[Result]) -> RelayCounts:
        counts = RelayCounts()
        d, e = t.webhook_deliveries.c, t.webhook_endpoints.c
        updates: list[dict[str, Any]] = []
        attempts: list[dict[str, Any]] = []
        released: list[int] = []
        outcomes: dict[int, list[tuple[Outcome, datetime]]] = {}
        disabled: dict[int, str] = {}
        now = self.clock.now()
        results = list(results)
        for result in results:
            job, response = result.job, result.response
            if response is None:
                released.append(job.delivery_id)
                continue
            number = job.attempts + 1
            decision: Decision = decide(
                number, result.at, response.status, retry_after=response.retry_after, rng=self.rng
            )
            counts.attempted += 1
            attempts.append(
                {
                    "delivery_id": job.delivery_id,
                    "at": result.at,
                    "status_code": response.status,
                    "latency_ms": result.latency_ms,
                    "error": response.error,
                }
            )
            outcomes.setdefault(job.endpoint_id, []).append((classify(response.status), result.at))
            row = {
                "_id": job.delivery_id,
                "_status": PENDING,
                "_attempts": number,
                "_next": result.at,
                "_last_status": response.status,
                "_last_error": response.error,
                "_delivered_at": None,
            }
            if decision.fate is Fate.DELIVERED:
                counts.delivered += 1
                row.update(_status=DELIVERED, _delivered_at=result.at, _last_error=None)
            elif decision.fate is Fate.RETRY:
                counts.retried += 1
                assert decision.retry_at is not None
                row.update(_next=decision.retry_at)
            elif decision.fate is Fate.DEAD:
                counts.dead += 1
                row.update(_status=DEAD)
                log.warning("webhook %s to %s is dead after %d attempts", job.message_id, redact_url(job.url), number)
            else:
                row.update(_status=CANCELLED)
                disabled[job.endpoint_id] = f"410 Gone from the endpoint at {result.at.isoformat()}"
            updates.append(row)
        with self._recording:  # the fates and the end of the lease, before any renewal can touch them
            with self.engine.begin() as conn:
                fate = update(t.webhook_deliveries).values(
                    status=bindparam("_status"),
                    attempts=bindparam("_attempts"),
                    next_attempt_at=bindparam("_next"),
                    last_status=bindparam("_last_status"),
                    last_error=bindparam("_last_error"),
                    delivered_at=bindparam("_delivered_at"),
                )
                # a 410 (of this relay or another) may have cancelled a delivery meanwhile: a retry or a failure
                # does not bring it back, an answer that it arrived is recorded all the same
                arrived = [row for row in updates if row["_status"] == DELIVERED]
                others = [row for row in updates if row["_status"] != DELIVERED]
                if arrived:
                    conn.execute(fate.where(d.id == bindparam("_id")), arrived)
                if others:
                    conn.execute(fate.where(d.id == bindparam("_id"), d.status == PENDING), others)
                if attempts:
                    # an endpoint removed while its deliveries were in flight took them along (ON DELETE
                    # CASCADE): their attempts have nothing to belong to, and the rest must still be recorded
                    sent = {a["delivery_id"] for a in attempts}
                    kept = set(conn.execute(select(d.id).where(d.id.in_(sent))).scalars())
                    attempts = [a for a in attempts if a["delivery_id"] in kept]
                if attempts:
                    conn.execute(insert(t.webhook_attempts), attempts)
                if released:
                    conn.execute(update(t.webhook_deliveries).where(d.id.in_(released)).values(next_attempt_at=now))
                for endpoint_id, folded in outcomes.items():
                    self._fold_breaker(conn, endpoint_id, folded)
                for endpoint_id, reason in disabled.items():
                    newly = conn.execute(
                        update(t.webhook_endpoints)
                        .where(e.id == endpoint_id, e.enabled.is_(True))
                        .values(enabled=False, disabled_reason=reason)
                    )
                    if not newly.rowcount:
                        continue  # an earlier batch's 410 already disabled it
                    counts.disabled += 1
                    cancelled = conn.execute(
                        update(t.webhook_deliveries)
                        .where(d.endpoint_id == endpoint_id, d.status == PENDING)
                        .values(status=CANCELLED, last_error="endpoint disabled (410 Gone)")
                    )
                    counts.cancelled += cancelled.rowcount or 0
                    log.warning("webhook endpoint %d answered 410 Gone: disabled", endpoint_id)
            with self._lock:
                for result in results:
                    self._in_flight.pop(result.job.delivery_id, None)
        return counts

    def _fold_breaker(self, conn: Connection, endpoint_id: int, folded: list[tuple[Outcome, datetime]]) -> None:
        row = conn.execute(select(t.webhook_endpoints).where(t.webhook_endpoints.c.id == endpoint_id)).first()
        if row is None:
            return
        breaker = self._breaker(endpoint_from_row(row))
        for outcome, at in folded:
            breaker = breaker.record(outcome, at)
        conn.execute(
            update(t.webhook_endpoints)
            .where(t.webhook_endpoints.c.id == endpoint_id)
            .values(breaker_failures=breaker.consecutive_failures, breaker_opened_at=breaker.opened_at)
        )

    # --- the loop ------------------------------------------------------------------------------------------------
    def run_once(
        self,
        *,
        max_batches: int | None = None,
        counts: RelayCounts | None = None,
        on_batch: Callable[[RelayCounts], None] | None = None,
    ) -> RelayCounts:
        """Fan out, then claim-send-record until nothing is due (or ``max_batches`` batches); the counts, added to
        ``counts`` when given as each batch is recorded (a caller stopped by Ctrl-C keeps what was done), and shown
        to ``on_batch`` then (progress).

        Pipelined: while one batch is being sent, a database thread records the previous batch and claims the
        next one. That is safe because claimed deliveries are leased, and a later message of a case stays
        blocked while an earlier one is pending.
        """
        if max_batches is not None and max_batches < 1:
            raise ValueError("max_batches must be at least 1 (or None for no limit)")
        counts = counts if counts is not None else RelayCounts()
        counts.fanned_out += self.fan_out()

        def recorded(batch: RelayCounts) -> None:
            counts.add(batch)
            if on_batch is not None:
                on_batch(counts)

        try:
            batches = 0
            gone: set[int] = set()  # endpoints that answered 410 in this run
            with ThreadPoolExecutor(1, thread_name_prefix="relay-db") as db:
                recording: Future[RelayCounts] | None = None
                jobs = self.claim()
                while jobs and (max_batches is None or batches < max_batches):
                    batches += 1
                    more = max_batches is None or batches < max_batches
                    next_claim = db.submit(self.claim) if more else None
                    results = self.send(jobs, gone)
                    if recording is not None:
                        recorded(recording.result())
                    recording = db.submit(self.record, results)
                    jobs = next_claim.result() if next_claim is not None else []
                    if not jobs and more:  # recording this batch may unblock (or make due) more deliveries
                        recorded(recording.result())
                        recording = None
                        jobs = self.claim()
                if recording is not None:
                    recorded(recording.result())
        except BaseException:
            # whatever was claimed and not recorded is no longer renewed: its lease lapses and it is sent again
            with self._lock:
                self._in_flight.clear()
            raise
        return counts

    def run_forever(
        self, *, poll: float = 1.0, stop: threading.Event | None = None, counts: RelayCounts | None = None
    ) -> RelayCounts:
        """``run_once`` in a loop, sleeping ``poll`` seconds when idle, until ``stop`` is set; the counts, added to
        ``counts`` when given as each batch is recorded."""
        stop = stop or threading.Event()
        total = counts if counts is not None else RelayCounts()
        while not stop.is_set():
            before = (total.attempted, total.fanned_out)
            self.run_once(counts=total)
            if (total.attempted, total.fanned_out) == before:
                stop.wait(poll)
        return total


def _is_httpx(client: object) -> bool:
    return type(client).__module__.startswith("httpx") and hasattr(client, "request")


# --- operator actions (CLI: outbox replay / retry-dead) ----------------------------------------------------------
def replay(engine: Engine, message: str | int, *, now: datetime, endpoint_id: int | None = None) -> int:
    """Send an outbox message again (to ``endpoint_id`` or every matching enabled endpoint): pending, 0 attempts.

    ``message`` is the outbox ``seq`` or the ``message_id``. Returns how many deliveries were (re)queued.
    """
    o, d = t.outbox.c, t.webhook_deliveries.c
    with engine.begin() as conn:
        row = conn.execute(select(o.seq, o.type, o.aggregate_id).where(_message_where(message))).first()
        if row is None:
            raise LookupError(f"no outbox message {message!r}")
        query = select(t.webhook_endpoints)
        if endpoint_id is not None:
            query = query.where(t.webhook_endpoints.c.id == endpoint_id)
        else:
            query = query.where(t.webhook_endpoints.c.enabled.is_(True))
        targets = [endpoint_from_row(r) for r in conn.execute(query)]
        if endpoint_id is not None and not targets:
            raise LookupError(f"no webhook endpoint with id {endpoint_id}")
        if endpoint_id is None:
            targets = [e for e in targets if e.accepts(row.type)]
        for endpoint in targets:
            changed = conn.execute(
                update(t.webhook_deliveries)
                .where(d.outbox_seq == row.seq, d.endpoint_id == endpoint.id)
                .values(status=PENDING, attempts=0, next_attempt_at=now, delivered_at=None)
            )
            if not changed.rowcount:
                conn.execute(
                    insert(t.webhook_deliveries).values(
                        outbox_seq=row.seq,
                        endpoint_id=endpoint.id,
                        aggregate_id=row.aggregate_id,
                        status=PENDING,
                        attempts=0,
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
        conn.execute(update(t.outbox).where(o.seq == row.seq, o.relayed_at.is_(None)).values(relayed_at=now))
    return len(targets)


def retry_dead(engine: Engine, *, now: datetime, endpoint_id: int | None = None) -> int:
    """Put dead deliveries back on the schedule from attempt 1; returns how many."""
    d = t.webhook_deliveries.c
    query = update(t.webhook_deliveries).where(d.status == DEAD)
    if endpoint_id is not None:
        query = query.where(d.endpoint_id == endpoint_id)
    with engine.begin() as conn:
        return int(conn.execute(query.values(status=PENDING, attempts=0, next_attempt_at=now)).rowcount or 0)


def list_deliveries(
    engine: Engine, *, status: str | None = None, endpoint_id: int | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    d, o = t.webhook_deliveries, t.outbox
    query = (
        select(
            d.c.id,
            o.c.seq.label("outbox_seq"),
            o.c.message_id,
            o.c.type,
            d.c.endpoint_id,
            d.c.status,
            d.c.attempts,
            d.c.next_attempt_at,
            d.c.last_status,
            d.c.last_error,
            d.c.delivered_at,
        )
        .join(o, o.c.seq == d.c.outbox_seq)
        .order_by(d.c.id.desc())
        .limit(limit)
    )
    if status is not None:
        query = query.where(d.c.status == status)
    if endpoint_id is not None:
        query = query.where(d.c.endpoint_id == endpoint_id)
    with reading(engine) as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def _message_where(message: str | int) -> Any:
    """An outbox message by its sequence number (ASCII digits) or its message id; a number beyond any row's
    matches none (the driver cannot take it)."""
    o = t.outbox.c
    text = str(message)
    if isinstance(message, int) or (text.isascii() and text.isdigit()):
        seq = int(message)
        return o.seq == seq if seq <= _MAX_SEQ else false()
    return o.message_id == message


_MAX_SEQ = 2**63 - 1


def show_message(engine: Engine, message: str | int) -> dict[str, Any]:
    """An outbox message with its deliveries and their attempts."""
    d, a = t.webhook_deliveries.c, t.webhook_attempts.c
    with reading(engine) as conn:
        row = conn.execute(select(t.outbox).where(_message_where(message))).first()
        if row is None:
            raise LookupError(f"no outbox message {message!r}")
        doc = dict(row._mapping)
        payload = bytes(doc.pop("payload"))
        try:
            doc["payload"] = json.loads(payload)
        except ValueError:
            doc["payload"] = payload.decode("utf-8", "replace")
        deliveries = []
        for dr in conn.execute(select(t.webhook_deliveries).where(d.outbox_seq == row.seq).order_by(d.id)):
            entry = dict(dr._mapping)
            entry["attempts_made"] = [
                dict(ar._mapping)
                for ar in conn.execute(select(t.webhook_attempts).where(a.delivery_id == dr.id).order_by(a.id))
            ]
            deliveries.append(entry)
        doc["deliveries"] = deliveries
    return doc


def ping(engine: Engine, endpoint_id: int, *, clock: Clock, transport: Transport | None = None) -> Response:
    """Post a signed ``webhook.test`` message to one endpoint once (nothing is stored)."""
    now = clock.now()
    with reading(engine) as conn:
        row = conn.execute(select(t.webhook_endpoints).where(t.webhook_endpoints.c.id == endpoint_id)).first()
        if row is None:
            raise LookupError(f"no webhook endpoint with id {endpoint_id}")
        signer = signer_for(conn, endpoint_id, now)
    if signer is None:
        return Response(None, error="endpoint has no valid secret")
    stamp = utc_z(now)
    body = json.dumps({"type": "webhook.test", "timestamp": stamp, "data": {"endpoint_id": endpoint_id}}).encode()
    msg_id = f"msg_test_{int(now.timestamp() * 1000)}"
    own = transport is None
    sender = transport or StdlibTransport()
    try:
        return sender.post(row.url, body, signer.headers(msg_id, int(now.timestamp()), body))
    finally:
        if own:
            sender.close()
