"""The inbound webhook server: a plain ASGI app (no framework), run with uvicorn (``complaint serve``).

``POST /webhooks/{source}`` takes a CRM's Standard Webhooks request:

1. unknown source → 404; body over ``max_body`` → 413; not ``application/json`` → 415;
2. signature checked with the source's secret(s) and a 5-minute tolerance → 401 when bad or expired;
3. deduplicated on ``(source, webhook-id)``: a replay gets the stored first answer (one indexed read, no write);
4. mapped with the source's mapping (field errors → 400); a new complaint is created through ``App.cases.receive``
   → 202 ``{"number", "id", "external_id"}``; a CRM update runs the case command it implies on the case created
   from the same external id → 202 ``{"applied": true, …}`` (unknown external id → 404); a rule violation → 422.

One write transaction per request: the dedupe record (with the answer) and the external-id link are written by a
``CaseService.with_hook`` hook inside the case's own transaction, so a crash leaves both or neither, and a
concurrent duplicate that loses the race on the unique key rolls its case back and answers the first answer.

No input yields a 500: unexpected errors while handling a request are logged and answered 400 (a storage
failure, which is not the sender's fault, is answered 503 so the CRM retries). ``GET /healthz`` → 200.
Database work runs on one worker thread: the unit of work is not shared between threads.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import tomllib
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

import attrs

from adapters.text_formats import loads_toml
from adapters.webhooks.mapping import (
    EventKind,
    FieldError,
    Ignored,
    InboundMapping,
    MappedIntake,
    MappedUpdate,
    PayloadRejected,
    Rejected,
    load_bundled_mapping,
    load_mapping,
    parse_body,
)
from adapters.webhooks.signing import ID_HEADER, SIGNATURE_HEADER, Signer, WebhookVerificationError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from adapters.sql.uow import SqlUnitOfWork
    from complaint_core.case import Case
    from complaint_core.errors import CalendarNotCovered
    from complaint_core.policy import Policy
    from complaint_core.ports import Clock, UnitOfWork
    from entrypoints.app import App

log = logging.getLogger(__name__)

MAX_BODY = 256 * 1024
TOLERANCE = 300
PREFIX = "/webhooks/"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class SourcesFileError(ValueError):
    """A sources file that cannot be used; the message never contains a secret."""


@attrs.frozen
class Source:
    """One sender: its name (the URL segment), its secrets (all valid ones, for rotation) and its mapping."""

    name: str
    secrets: tuple[str, ...] = attrs.field(repr=False)
    mapping: InboundMapping
    signer: Signer = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "signer", Signer.from_secrets(list(self.secrets)))

    @classmethod
    def of(cls, name: str, spec: Source | tuple[str | Sequence[str], InboundMapping]) -> Source:
        if isinstance(spec, Source):
            return spec
        secrets, mapping = spec
        return cls(name, (secrets,) if isinstance(secrets, str) else tuple(secrets), mapping)


_SOURCE_NAME = re.compile(
    r"[^/?#%\s\x00-\x1f\x7f]{1,64}"
)  # one URL path segment as written; inbound_requests.source holds 64


def load_sources(path: str | Path) -> dict[str, Source]:
    """Read a sources TOML file::

    [sources.hubspot]
    secret = "whsec_…"                # or secrets = ["whsec_new", "whsec_old"], or secret_env = "VAR"
    mapping = "hubspot-tickets"       # a bundled mapping, or a path to a mapping file (relative to this file)
    """
    file = Path(path)
    try:
        data = loads_toml(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise SourcesFileError(f"{file}: cannot read the sources file: {error}") from None
    table = data.get("sources")
    if not isinstance(table, dict) or not table:
        raise SourcesFileError(f"{file}: no [sources.<name>] tables")
    found: dict[str, Source] = {}
    for name, spec in table.items():
        where = f"{file}: sources.{name}"
        if not _SOURCE_NAME.fullmatch(name):
            raise SourcesFileError(
                f"{where}: a source name is 1-64 characters without '/', '?', '#', '%', spaces or control characters "
                "(it is the last part of the URL path /webhooks/NAME)"
            )
        if not isinstance(spec, dict):
            raise SourcesFileError(f"{where}: must be a table")
        unknown = set(spec) - {"secret", "secrets", "secret_env", "mapping"}
        if unknown:
            raise SourcesFileError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        for key, shape in (("secret", str), ("secrets", list), ("secret_env", str)):
            value = spec.get(key)
            if value is not None and (
                not isinstance(value, shape) or (key == "secrets" and not all(isinstance(v, str) for v in value))
            ):
                what = "a list of texts" if key == "secrets" else "a text"
                raise SourcesFileError(f"{where}.{key}: must be {what}")
        secrets: list[str] = []
        if isinstance(spec.get("secret"), str):
            secrets.append(spec["secret"])
        if isinstance(spec.get("secrets"), list):
            secrets.extend(spec["secrets"])
        if isinstance(spec.get("secret_env"), str):
            value = os.environ.get(spec["secret_env"])
            if not value:
                raise SourcesFileError(f"{where}: environment variable {spec['secret_env']} is not set")
            secrets.append(value)
        if not secrets:
            raise SourcesFileError(f"{where}: needs secret, secrets or secret_env")
        mapping_ref = spec.get("mapping")
        if not isinstance(mapping_ref, str) or not mapping_ref:
            raise SourcesFileError(f"{where}: mapping must name a bundled mapping or a file")
        try:
            candidate = file.parent / mapping_ref
            mapping = load_mapping(candidate) if candidate.suffix == ".toml" else load_bundled_mapping(mapping_ref)
            found[name] = Source(name, tuple(secrets), mapping)
        except ValueError as error:  # MappingFileError, InvalidSecret (whose message never repeats the secret)
            raise SourcesFileError(f"{where}: {error}") from None
        except (OSError, LookupError) as error:
            raise SourcesFileError(f"{where}: cannot load mapping {mapping_ref!r}: {error}") from None
    return found


@attrs.frozen
class Answer:
    status: int
    doc: Any
    headers: tuple[tuple[bytes, bytes], ...] = ()


def _json(doc: Any) -> bytes:
    # an answer may echo the payload's text, and JSON lets a payload carry a lone surrogate ("\ud800"):
    # backslashreplace writes it as that same escape instead of failing to encode (a 500)
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8", "backslashreplace")


class WebhookApp:
    """The ASGI callable; build it with ``make_app``."""

    def __init__(
        self,
        db_url: str,
        sources: Mapping[str, Source | tuple[str | Sequence[str], InboundMapping]],
        clock: Clock | None = None,
        *,
        max_body: int = MAX_BODY,
        tolerance: int = TOLERANCE,
    ) -> None:
        from adapters.clock import SystemClock

        self.db_url = db_url
        self.sources = {name: Source.of(name, spec) for name, spec in sources.items()}
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.max_body = max_body
        self.tolerance = tolerance
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="webhook-db")
        self._app: App | None = None
        self._store: _Store | None = None

    # --- ASGI ------------------------------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        try:
            answer = await self._handle(scope, receive)
        except Exception:  # never a 500: log and refuse
            log.exception("unexpected error handling %s %s", scope.get("method"), scope.get("path"))
            answer = Answer(400, {"error": "the request could not be processed"})
        body = _json(answer.doc)
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            *answer.headers,
        ]
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self._run(self.app)
                except Exception as error:
                    await send({"type": "lifespan.startup.failed", "message": str(error)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self._run(self.close)
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _run(self, fn: Callable[[], Any]) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    def app(self) -> App:
        if self._app is None:
            from entrypoints.app import open_app

            self._app = open_app(self.db_url, clock=self.clock)
        return self._app

    def _now_covered(self, app: App, uncovered: CalendarNotCovered) -> bool:
        """Do the calendars stored now cover the day ``app`` could not count? (`calendar import` ran meanwhile.)
        Then the app is closed, and the next ``app()`` reads them again; the server's one database thread runs
        this, so nothing else uses it."""
        from adapters.sql import documents
        from adapters.stored_documents import stored_calendars
        from complaint_core.policy import CalendarSettings

        registry = stored_calendars(documents.latest(app.database.engine, "calendar"))
        try:
            calendar = registry.get(CalendarSettings(name=uncovered.calendar))
        except LookupError:
            return False
        if not calendar.first <= uncovered.day <= calendar.last:
            return False
        self.close()
        return True

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
        if self._app is not None:
            self._app.close()
            self._app = None

    async def _read_body(self, receive: Receive) -> bytes | None:
        """The body, or None once it exceeds ``max_body``."""
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    async def _handle(self, scope: Scope, receive: Receive) -> Answer:
        path, method = scope.get("path", ""), scope.get("method", "")
        if path == "/healthz":
            return Answer(200, {"status": "ok"}) if method in ("GET", "HEAD") else _not_allowed("GET")
        if not path.startswith(PREFIX) or "/" in path[len(PREFIX) :]:
            return Answer(404, {"error": "not found"})
        source = self.sources.get(path[len(PREFIX) :])
        if source is None:
            return Answer(404, {"error": "unknown source"})
        if method != "POST":
            return _not_allowed("POST")
        headers = _header_fields(scope.get("headers", ()))
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body:
            return Answer(413, {"error": f"body larger than {self.max_body} bytes"})
        media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media != "application/json":
            return Answer(415, {"error": "content-type must be application/json"})
        body = await self._read_body(receive)
        if body is None:
            return Answer(413, {"error": f"body larger than {self.max_body} bytes"})
        now = self.clock.now()
        try:
            source.signer.verify(headers, body, now=int(now.timestamp()), tolerance=self.tolerance)
        except WebhookVerificationError as refused:
            log.info("webhook from %s refused: %s", source.name, refused)
            return Answer(401, {"error": f"signature verification failed: {refused}"})
        answer: Answer = await self._run(lambda: self._process(source, headers[ID_HEADER], body, now))
        return answer

    # --- the database part, on the worker thread ------------------------------------------------------------
    def _process(self, source: Source, webhook_id: str, body: bytes, now: datetime) -> Answer:
        from sqlalchemy import exc

        from adapters.sql.errors import StorageError
        from complaint_core.errors import ConcurrencyConflict

        try:
            app = self.app()
            store = self._store_of(app)
            first = store.answer(source.name, webhook_id)
            if first is not None:
                return first
            return self._new_request(app, store, source, webhook_id, body, now)
        except (StorageError, ConcurrencyConflict, exc.OperationalError, exc.InterfaceError) as error:
            log.error("webhook from %s: storage unavailable: %s: %s", source.name, type(error).__name__, error)
            return Answer(503, {"error": "storage unavailable, retry later"}, ((b"retry-after", b"30"),))

    def _store_of(self, app: App) -> _Store:
        if self._store is None or self._store.engine is not app.database.engine:
            self._store = _Store(app.database.engine)
        return self._store

    def _policy(self, app: App) -> Policy | None:
        from complaint_core.errors import DomainError

        cases = app.cases
        if cases.default_policy is None:
            return None
        try:
            return cases.policies.get(cases.default_policy)
        except DomainError:
            return None

    def _new_request(
        self, app: App, store: _Store, source: Source, webhook_id: str, body: bytes, now: datetime
    ) -> Answer:
        try:
            payload = parse_body(body)
        except PayloadRejected as rejected:
            return _field_errors(rejected.errors)
        outcome = source.mapping.apply(payload, policy=self._policy(app))
        if isinstance(outcome, Rejected):
            return _field_errors(outcome.errors)
        if isinstance(outcome, Ignored):
            return Answer(200, {"ignored": True, "event_type": outcome.event_type, "reason": outcome.reason})
        request = _Request(source.name, webhook_id, now)
        if isinstance(outcome, MappedUpdate):
            return self._update(app, store, request, outcome)
        assert isinstance(outcome, MappedIntake)
        return self._intake(app, store, request, outcome)

    def _intake(self, app: App, store: _Store, request: _Request, outcome: MappedIntake) -> Answer:
        """A new complaint: the case, its dedupe record and its link commit together, or nothing does.

        An external id that already has a case is found by the link's unique key (the transaction rolls back and
        the existing case is answered): no read is spent on it in the common path.
        """
        from complaint_core.errors import CalendarNotCovered, ConcurrencyConflict, DomainError

        at = outcome.received_at if outcome.received_at is not None and outcome.received_at <= request.now else None
        external_id = outcome.external_id

        def answer(case: Case) -> Answer:
            return Answer(202, {"number": case.number, "id": str(case.case_id), "external_id": external_id})

        try:
            hooked = app.cases.with_hook(store.hook(request, answer, link=external_id))
            case = hooked.receive(
                outcome.to_intake(), actor=f"webhook:{request.source}", at=at, severity=outcome.severity
            )
        except _Duplicate:
            return self._after_duplicate(store, request, external_id)
        except ConcurrencyConflict:
            raise
        except CalendarNotCovered as uncovered:
            if uncovered.day > uncovered.last and self._now_covered(app, uncovered):  # next year's, imported since
                app = self.app()
                return self._intake(app, self._store_of(app), request, outcome)
            return self._uncovered(request, uncovered)
        except DomainError as refused:
            return store.record(request, Answer(422, {"error": refused.message, "rule": refused.rule}))
        return answer(case)

    def _uncovered(self, request: _Request, uncovered: CalendarNotCovered) -> Answer:
        """A complaint dated outside the working calendar: before its first day, the ticket's date is wrong (400,
        like any field error); after its last day, this server lacks next year's calendar, which is not the
        sender's fault: 503, so the CRM retries until someone runs `calendar import`. Neither answer is kept."""
        if uncovered.day < uncovered.first:
            return _field_errors([FieldError("received_at", uncovered.message)])
        log.error("webhook from %s refused until a calendar covers %s: %s", request.source, uncovered.day, uncovered)
        return Answer(
            503,
            {"error": uncovered.message, "rule": uncovered.rule, "field": "received_at"},
            ((b"retry-after", b"3600"),),
        )

    def _update(self, app: App, store: _Store, request: _Request, update: MappedUpdate) -> Answer:
        """A CRM update: the case command its event implies, on the case linked to its external id."""
        from complaint_core.case import CaseStatus
        from complaint_core.errors import ConcurrencyConflict, DomainError

        base = {"event": update.event.value, "external_id": update.external_id}
        linked = store.linked_case(request.source, update.external_id)
        if linked is None:
            return Answer(
                404,
                {**base, "error": f"no case was created from external id {update.external_id!r} of this source"},
            )
        if update.event is EventKind.CUSTOMER_REPLY and not update.message.strip():
            return _field_errors([FieldError("message", "a customer reply needs the customer's message")])
        command = _STATUS_COMMANDS.get(update.status or "") if update.event is EventKind.STATUS_UPDATE else "reply"
        if command is None:
            known = ", ".join(sorted(_STATUS_COMMANDS))
            return Answer(
                202,
                {
                    **base,
                    "status": update.status,
                    "applied": False,
                    "reason": f"status {update.status!r} names no case command (applied: {known})",
                },
            )
        case_id = UUID(linked[0])
        actor = f"webhook:{request.source}"

        def answer(case: Case) -> Answer:
            return Answer(
                202,
                {**base, "applied": True, "command": command, "number": case.number, "id": str(case.case_id)}
                | {"status": case.status.value},
            )

        try:
            case = app.cases.get(case_id)
            at = max(_not_after(update.received_at, request.now), case.last_at)
            hooked = app.cases.with_hook(store.hook(request, answer))
            if command == "reply" and case.status is CaseStatus.REPLIED:  # the reply is on record: its reaction
                case = hooked.record_reaction(case_id, actor=actor, reaction=update.message.strip(), at=at)
            elif command == "reply":
                told = f"{_decision(case)} (through {request.source}, ticket {update.external_id})"
                case = hooked.reply(case_id, actor=actor, message=told, reaction=update.message.strip(), at=at)
            else:
                run = {"register": hooked.register, "start_investigation": hooked.start_investigation}.get(
                    command, hooked.close
                )
                case = run(case_id, actor=actor, at=at)
        except _Duplicate:
            return self._after_duplicate(store, request, None)
        except ConcurrencyConflict:
            raise
        except DomainError as refused:
            return store.record(request, Answer(422, {**base, "error": refused.message, "rule": refused.rule}))
        return answer(case)

    def _after_duplicate(self, store: _Store, request: _Request, external_id: str | None) -> Answer:
        """Our transaction lost a race (it rolled back): the winner's answer."""
        first = store.answer(request.source, request.webhook_id)
        if first is not None:
            return first
        if external_id is not None:
            existing = store.linked_case(request.source, external_id)
            if existing is not None:
                return _existing(existing, external_id)
        return Answer(409, {"error": "a concurrent request conflicted; retry"}, ((b"retry-after", b"1"),))


class _Duplicate(Exception):
    """Raised by the commit hook on a unique-constraint violation: a concurrent request got there first."""


@attrs.frozen
class _Request:
    source: str
    webhook_id: str
    now: datetime


class _Store:
    """The inbound tables, through the driver: a replay costs one indexed SELECT on a connection kept for reads
    (autocommit: no transaction, no lock), and the rows of a new request are two INSERTs inside the case's own
    transaction (``CaseService.with_hook``). Not for two threads at once: it lives on the app's worker thread.
    """

    def __init__(self, engine: Engine) -> None:
        from adapters.sql import tables as t

        self.engine = engine
        dialect = engine.dialect
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        self._answer_sql = (
            f"SELECT status_code, result FROM inbound_requests WHERE source = {mark} AND webhook_id = {mark}"
        )
        self._link_sql = (
            "SELECT l.case_id, c.number FROM inbound_links l JOIN cases c ON c.id = l.case_id "
            f"WHERE l.source = {mark} AND l.external_id = {mark}"
        )
        self._insert_request_sql = (
            "INSERT INTO inbound_requests (source, webhook_id, received_at, status_code, result) "
            f"VALUES ({mark}, {mark}, {mark}, {mark}, {mark})"
        )
        self._insert_link_sql = f"INSERT INTO inbound_links (source, external_id, case_id, created_at) VALUES ({mark}, {mark}, {mark}, {mark})"
        process = t.inbound_requests.c.received_at.type.bind_processor(dialect)
        self._when: Callable[[datetime], Any] = process if process is not None else (lambda value: value)
        self.unique_violation: type[Exception] = dialect.loaded_dbapi.IntegrityError
        self._reader: Any = None

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def _one(self, sql: str, params: tuple[str, str]) -> Any:
        if self._reader is None:
            reader = self.engine.raw_connection()
            if self.engine.dialect.name != "sqlite":  # SQLite's connections are in autocommit already (engine.py)
                reader.driver_connection.autocommit = True  # type: ignore[union-attr]
            self._reader = reader
        cursor = self._reader.cursor()
        try:
            cursor.execute(sql, params)
            return cursor.fetchone()
        finally:
            cursor.close()

    def answer(self, source: str, webhook_id: str) -> Answer | None:
        """The stored answer to this webhook-id, marked as a replay; None for a new one."""
        row = self._one(self._answer_sql, (source, webhook_id))
        if row is None:
            return None
        return Answer(int(row[0]), json.loads(row[1]), ((b"webhook-replayed", b"true"),))

    def linked_case(self, source: str, external_id: str) -> tuple[str, str | None] | None:
        """(case id, number) of the case created from this external id."""
        row = self._one(self._link_sql, (source, external_id))
        return None if row is None else (str(row[0]), row[1])

    def _write(self, cursor: Any, request: _Request, answer: Answer) -> None:
        cursor.execute(
            self._insert_request_sql,
            (request.source, request.webhook_id, self._when(request.now), answer.status, _json(answer.doc).decode()),
        )

    def hook(
        self, request: _Request, answer: Callable[[Case], Answer], *, link: str | None = None
    ) -> Callable[[UnitOfWork, Case], None]:
        """``before_commit`` for ``CaseService.with_hook``: the dedupe record (and the link) join the case's commit."""

        def before_commit(uow: UnitOfWork, case: Case) -> None:
            cursor = cast("SqlUnitOfWork", uow).connection.connection.cursor()
            try:
                self._write(cursor, request, answer(case))
                if link is not None:
                    now = self._when(request.now)
                    cursor.execute(self._insert_link_sql, (request.source, link, str(case.case_id), now))
            except self.unique_violation as error:
                raise _Duplicate from error
            finally:
                cursor.close()

        return before_commit

    def record(self, request: _Request, answer: Answer) -> Answer:
        """Store a refusal that depends on a case's state, so that a retry cannot apply it to a later state."""
        try:
            with self.engine.begin() as conn:
                cursor = conn.connection.cursor()
                try:
                    self._write(cursor, request, answer)
                finally:
                    cursor.close()
        except self.unique_violation:
            first = self.answer(request.source, request.webhook_id)
            if first is not None:
                return first
        return answer


# A CRM status (after the mapping's [values.status]) that names one of our lifecycle states reachable by a command
# that needs nothing more; other statuses are CRM workflow states and are acknowledged without a change.
_STATUS_COMMANDS = {"registered": "register", "investigating": "start_investigation", "closed": "close"}


def _not_after(moment: datetime | None, now: datetime) -> datetime:
    return moment if moment is not None and moment <= now else now


def _decision(case: Case) -> str:
    """What the customer was told: why the complaint was not established, or the remedy (a petition may have left
    an earlier proposal on a case then found not established)."""
    if case.not_established_reason:
        return f"the complaint was found not established: {case.not_established_reason}"
    if case.remedy is not None:
        return f"the approved remedy: {case.remedy.kind.value} {case.remedy.amount}"
    return "the decision"


def _existing(linked: tuple[str, str | None], external_id: str) -> Answer:
    case_id, number = linked
    return Answer(200, {"number": number, "id": case_id, "external_id": external_id, "created": False})


def _field_errors(errors: Sequence[Any]) -> Answer:
    return Answer(400, {"errors": [{"field": e.field, "message": e.message} for e in errors]})


def _header_fields(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """Header fields by lower-case name. Repeated signature lines are one list (a proxy may append a line: the
    last one alone hid the valid signature, 401); any other repeated field keeps its last line."""
    headers: dict[str, str] = {}
    for raw_name, raw_value in raw:
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        if name == SIGNATURE_HEADER and name in headers:
            value = f"{headers[name]} {value}"
        headers[name] = value
    return headers


def _not_allowed(allow: str) -> Answer:
    return Answer(405, {"error": "method not allowed"}, ((b"allow", allow.encode()),))


def make_app(
    db_url: str,
    sources: Mapping[str, Source | tuple[str | Sequence[str], InboundMapping]],
    clock: Clock | None = None,
    *,
    max_body: int = MAX_BODY,
    tolerance: int = TOLERANCE,
) -> WebhookApp:
    """The ASGI app: ``sources`` maps a source name to ``(secret or secrets, mapping)`` (or a ``Source``)."""
    return WebhookApp(db_url, sources, clock, max_body=max_body, tolerance=tolerance)
