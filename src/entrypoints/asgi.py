"""The inbound webhook server: a plain ASGI app (no framework), run with uvicorn (``complaint serve``).

``POST /webhooks/{source}`` takes a CRM's Standard Webhooks request:

1. unknown source → 404; body over ``max_body`` → 413; not ``application/json`` → 415;
2. signature checked with the source's secret(s) and a 5-minute tolerance → 401 when bad or expired;
3. deduplicated on ``(source, webhook-id)``: a replay gets the first answer again and changes nothing;
4. mapped with the source's mapping (field errors → 400), and a new complaint is created through
   ``App.cases.receive`` → 202 ``{"number": …, "id": …}``; a rule violation → 422 with the rule id.

No input yields a 500: unexpected errors while handling a request are logged and answered 400 (a storage
failure, which is not the sender's fault, is answered 503 so the CRM retries). ``GET /healthz`` → 200.
Database work runs on one worker thread: the unit of work is not shared between threads.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import tomllib
from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from adapters.webhooks.mapping import (
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
from adapters.webhooks.signing import ID_HEADER, Signer, WebhookVerificationError

if TYPE_CHECKING:
    from complaint_core.ports import Clock
    from entrypoints.app import App

log = logging.getLogger(__name__)

MAX_BODY = 256 * 1024
TOLERANCE = 300
STALE_CLAIM = timedelta(seconds=60)  # a first request that never finished (crash): a replay may take it over
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


def load_sources(path: str | Path) -> dict[str, Source]:
    """Read a sources TOML file::

    [sources.hubspot]
    secret = "whsec_…"                # or secrets = ["whsec_new", "whsec_old"], or secret_env = "VAR"
    mapping = "hubspot-tickets"       # a bundled mapping, or a path to a mapping file (relative to this file)
    """
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise SourcesFileError(f"{file}: cannot read the sources file: {error}") from None
    table = data.get("sources")
    if not isinstance(table, dict) or not table:
        raise SourcesFileError(f"{file}: no [sources.<name>] tables")
    found: dict[str, Source] = {}
    for name, spec in table.items():
        where = f"{file}: sources.{name}"
        if not isinstance(spec, dict):
            raise SourcesFileError(f"{where}: must be a table")
        unknown = set(spec) - {"secret", "secrets", "secret_env", "mapping"}
        if unknown:
            raise SourcesFileError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        secrets: list[str] = []
        if isinstance(spec.get("secret"), str):
            secrets.append(spec["secret"])
        if isinstance(spec.get("secrets"), list):
            secrets.extend(s for s in spec["secrets"] if isinstance(s, str))
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
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"), default=str).encode()


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

    def close(self) -> None:
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
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope.get("headers", ()):
            headers[raw_name.decode("latin-1").lower()] = raw_value.decode("latin-1")
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

        try:
            app = self.app()
            first = self._claim(app, source.name, webhook_id, now)
            if first is not None:
                return first
            try:
                answer = self._intake(app, source, body, now)
            except Exception:
                self._release(app, source.name, webhook_id)
                raise
            self._finish(app, source.name, webhook_id, answer)
            return answer
        except (StorageError, exc.OperationalError, exc.InterfaceError) as error:
            log.error("webhook from %s: storage unavailable: %s", source.name, type(error).__name__)
            return Answer(503, {"error": "storage unavailable, retry later"}, ((b"retry-after", b"30"),))

    def _claim(self, app: App, source: str, webhook_id: str, now: datetime) -> Answer | None:
        """Record the request as in progress; a replay gets the stored answer (or 409 while the first runs)."""
        from sqlalchemy import exc, insert, select, update

        from adapters.sql import tables as t

        i = t.inbound_requests.c
        engine = app.database.engine
        try:
            with engine.begin() as conn:
                conn.execute(insert(t.inbound_requests).values(source=source, webhook_id=webhook_id, received_at=now))
            return None
        except exc.IntegrityError:
            pass
        with engine.begin() as conn:
            row = conn.execute(
                select(i.status_code, i.result, i.received_at).where(i.source == source, i.webhook_id == webhook_id)
            ).first()
            if row is None:  # released between our insert and this read: try once more
                conn.execute(insert(t.inbound_requests).values(source=source, webhook_id=webhook_id, received_at=now))
                return None
            if row.status_code is not None:
                return Answer(int(row.status_code), json.loads(row.result), ((b"webhook-replayed", b"true"),))
            if row.received_at + STALE_CLAIM > now:
                return Answer(409, {"error": "this webhook-id is being processed"}, ((b"retry-after", b"5"),))
            conn.execute(
                update(t.inbound_requests).where(i.source == source, i.webhook_id == webhook_id).values(received_at=now)
            )
            return None

    def _release(self, app: App, source: str, webhook_id: str) -> None:
        from sqlalchemy import delete

        from adapters.sql import tables as t

        i = t.inbound_requests.c
        with app.database.engine.begin() as conn:
            conn.execute(
                delete(t.inbound_requests).where(
                    i.source == source, i.webhook_id == webhook_id, i.status_code.is_(None)
                )
            )

    def _finish(self, app: App, source: str, webhook_id: str, answer: Answer) -> None:
        from sqlalchemy import update

        from adapters.sql import tables as t

        i = t.inbound_requests.c
        with app.database.engine.begin() as conn:
            conn.execute(
                update(t.inbound_requests)
                .where(i.source == source, i.webhook_id == webhook_id)
                .values(status_code=answer.status, result=_json(answer.doc).decode())
            )

    def _intake(self, app: App, source: Source, body: bytes, now: datetime) -> Answer:
        from complaint_core.errors import DomainError

        try:
            payload = parse_body(body)
        except PayloadRejected as rejected:
            return _field_errors(rejected.errors)
        policy = None
        if app.cases.default_policy is not None:
            try:
                policy = app.cases.policies.get(app.cases.default_policy)
            except DomainError:
                policy = None
        outcome = source.mapping.apply(payload, policy=policy)
        if isinstance(outcome, Rejected):
            return _field_errors(outcome.errors)
        if isinstance(outcome, Ignored):
            return Answer(200, {"ignored": True, "event_type": outcome.event_type, "reason": outcome.reason})
        if isinstance(outcome, MappedUpdate):
            return Answer(
                202,
                {
                    "event": outcome.event.value,
                    "external_id": outcome.external_id,
                    "applied": False,
                    "reason": "updates from a CRM are acknowledged; apply them in complaint-core",
                },
            )
        assert isinstance(outcome, MappedIntake)
        at = outcome.received_at if outcome.received_at is not None and outcome.received_at <= now else None
        try:
            case = app.cases.receive(outcome.to_intake(), actor=f"webhook:{source.name}", at=at)
        except DomainError as refused:
            return Answer(422, {"error": refused.message, "rule": refused.rule})
        return Answer(202, {"number": case.number, "id": str(case.case_id), "external_id": outcome.external_id})


def _field_errors(errors: Sequence[Any]) -> Answer:
    return Answer(400, {"errors": [{"field": e.field, "message": e.message} for e in errors]})


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
