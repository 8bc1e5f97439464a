"""The application over a database: every service wired to one SQL store.

``open_app(db)`` is what the CLI and the webhook server use; embedders may too.
Policies, calendars and the organisation come from the database (the presets
are always there), and the clock is injectable for tests and back-dated entry.

Opening is cheap, for a CLI that starts a process per command: the services
other than ``cases`` are built on first use, and a policy is parsed when it is
first asked for (a case command needs one, not every preset).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite3

    from adapters.calendars import CalendarRegistry
    from adapters.sql import Database
    from adapters.sql.uow import SqlUnitOfWork
    from complaint_core.calendar import WorkingCalendar
    from complaint_core.case import Case
    from complaint_core.followup_service import FollowUpService
    from complaint_core.penalty_service import PenaltyService
    from complaint_core.policy import Policy
    from complaint_core.ports import Clock, OrganisationSource
    from complaint_core.returns_service import ReturnService
    from complaint_core.services import CaseService

Doc = tuple[str, int, str, str]
"""A stored document: (name, version, format, source)."""


class App:
    """The services of one database; ``close()`` disposes of its engine."""

    def __init__(
        self, database: Database, uow: SqlUnitOfWork, cases: CaseService, organisation: OrganisationSource
    ) -> None:
        self.database = database
        self.uow = uow
        self.cases = cases
        self.organisation = organisation

    @cached_property
    def penalties(self) -> PenaltyService:
        from complaint_core.penalty_service import PenaltyService

        return PenaltyService(self.cases, self.organisation)

    @cached_property
    def returns(self) -> ReturnService:
        from complaint_core.returns_service import ReturnService

        return ReturnService(self.cases)

    @cached_property
    def followups(self) -> FollowUpService:
        from complaint_core.followup_service import FollowUpService

        return FollowUpService(self.cases)

    def close(self) -> None:
        self.database.dispose()


class _PolicyTable:
    """``adapters.memory.MemoryPolicies`` (same lookups and errors) without importing every aggregate's
    module, which ``adapters.memory`` does and the read-only ``case show`` does not need."""

    def __init__(self, policies: Iterable[Policy]) -> None:
        self._by_key: dict[tuple[str, int], Policy] = {}
        for policy in policies:
            self.add(policy)

    def add(self, policy: Policy) -> None:
        from complaint_core.errors import ConcurrencyConflict

        key = (policy.policy_id, policy.version)
        if key in self._by_key and self._by_key[key] != policy:
            raise ConcurrencyConflict(f"policy {policy.policy_id} v{policy.version} exists with other content")
        self._by_key[key] = policy

    def get(self, policy_id: str, version: int | None = None) -> Policy:
        from complaint_core.errors import NotFound

        if version is None:
            versions = [v for (pid, v) in self._by_key if pid == policy_id]
            if not versions:
                known = sorted({pid for pid, _ in self._by_key})
                raise NotFound(f"no policy {policy_id!r} (known: {known})")
            version = max(versions)
        try:
            return self._by_key[(policy_id, version)]
        except KeyError:
            raise NotFound(f"no policy {policy_id!r} version {version}") from None


class StoredPolicies:
    """``documents.policies(engine)`` (the presets plus every stored policy version, a stored policy
    replacing a preset of the same id), loaded on demand: the stored versions on the first ``get``,
    a preset when its id is asked for (its file has the id's name; any other id loads them all).

    ``read_versions()`` gives every stored policy version (``documents.all_versions(engine, "policy")``,
    or the read-only SQLite reader of ``case show``)."""

    def __init__(self, read_versions: Callable[[], Iterable[Doc]]) -> None:
        self._read_versions = read_versions
        self._source: _PolicyTable | None = None
        self._stored_ids: frozenset[str] = frozenset()
        self._presets_for: set[str] = set()
        self._all_presets = False

    def _loaded(self) -> _PolicyTable:
        if self._source is None:
            from adapters.policy_files import loads_policy

            stored = [
                loads_policy(src, f"database policy {name} v{version}")
                for name, version, _, src in self._read_versions()
            ]
            self._source = _PolicyTable(stored)
            self._stored_ids = frozenset(p.policy_id for p in stored)
        return self._source

    def _add_presets(self, policy_id: str) -> None:
        from adapters.policy_files import PRESETS, load_preset

        source = self._loaded()
        if self._all_presets or policy_id in self._stored_ids or policy_id in self._presets_for:
            return
        self._presets_for.add(policy_id)
        if policy_id in PRESETS:
            preset = load_preset(policy_id)
            if preset.policy_id == policy_id:
                source.add(preset)
                return
        self._all_presets = True
        for name in PRESETS:
            preset = load_preset(name)
            if preset.policy_id not in self._stored_ids:
                source.add(preset)

    def get(self, policy_id: str, version: int | None = None) -> Policy:
        self._add_presets(policy_id)
        return self._loaded().get(policy_id, version)


def open_app(
    db: str | None = None,
    *,
    clock: Clock | None = None,
    default_policy: str | None = None,
    calendar_files: tuple[Path, ...] = (),
) -> App:
    from adapters.clock import SystemClock
    from adapters.sql import documents as docs
    from adapters.sql import open_database
    from adapters.sql.indexing import clock_indexer
    from complaint_core.services import CaseService

    database = open_database(db)
    engine = database.engine
    policies = StoredPolicies(lambda: docs.all_versions(engine, "policy"))
    calendars = stored_calendars(docs.latest(engine, "calendar"))
    if calendar_files:
        from adapters.calendars import CalendarRegistry

        calendars = CalendarRegistry(calendar_files)
    uow = database.unit_of_work(clock_indexer(policies, calendars))
    cases = CaseService(
        uow=uow,
        policies=policies,
        calendars=calendars,
        clock=clock if clock is not None else SystemClock(),
        default_policy=default_policy or current_policy(database) or "manufacturing",
    )
    return App(database=database, uow=uow, cases=cases, organisation=docs.SqlOrganisation(database.engine))


def current_policy(database: Database) -> str | None:
    """The policy ``complaint init`` chose for this database (the newest ``default_policy`` setting)."""
    from adapters.sql import documents as docs

    found = [src for name, _, _, src in docs.latest(database.engine, "setting") if name == "default_policy"]
    return found[0].strip() if found else None


def parse_document(fmt: str, source: str) -> dict[str, Any]:
    """A stored TOML or JSON document as a table."""
    if fmt == "json":
        import json

        data = json.loads(source)
    else:
        import tomllib

        data = tomllib.loads(source)
    if not isinstance(data, dict):
        raise ValueError("a document must hold a table")
    return data


def stored_calendars(latest: Iterable[Doc]) -> CalendarRegistry:
    """The calendars: the bundled ones plus the latest version of every stored calendar document."""
    from adapters.calendars import CalendarRegistry

    docs = [(f"database calendar {name} v{version}", parse_document(fmt, src)) for name, version, fmt, src in latest]
    return CalendarRegistry(documents=docs)


# ----- read-only fast path -------------------------------------------------------------------------
# The schema revision the fast path reads; must be ``adapters.sql.migrate.HEAD`` (a test checks it). Not
# imported from there: ``adapters.sql`` imports SQLAlchemy, which alone costs more than the whole fast path.
SCHEMA_HEAD = "0003"


class ReadOnlyCases:
    """``case show`` on a SQLite file with the stdlib ``sqlite3`` alone, read-only, without SQLAlchemy.

    ``open()`` gives None (use ``open_app``) unless ``db`` is a writable SQLite file at ``SCHEMA_HEAD``:
    the normal path then migrates, creates or reports the error as always. Policies and calendars are
    chosen by the same code as ``open_app`` (``StoredPolicies``, ``stored_calendars``).
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self.policies = StoredPolicies(self._policy_versions)
        self._calendars: CalendarRegistry | None = None

    @classmethod
    def open(cls, db: str | None) -> ReadOnlyCases | None:
        import sqlite3

        path = sqlite_path(db)
        if path is None or not os.path.isfile(path) or not os.access(path, os.R_OK | os.W_OK):
            return None
        try:
            conn = sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True)
        except sqlite3.Error:
            return None
        try:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        except sqlite3.Error:
            row = []
        if row != [(SCHEMA_HEAD,)]:
            conn.close()
            return None
        return cls(conn)

    def close(self) -> None:
        self._conn.close()

    def _documents(self, kind: str, *, latest: bool) -> list[Doc]:
        query = "SELECT name, version, format, source FROM documents d WHERE kind = ?"
        if latest:
            query += " AND version = (SELECT max(version) FROM documents e WHERE e.kind = d.kind AND e.name = d.name)"
        rows = self._conn.execute(query + " ORDER BY name, version", (kind,)).fetchall()
        return [(str(n), int(v), str(f), str(s)) for n, v, f, s in rows]

    def _policy_versions(self) -> list[Doc]:
        return self._documents("policy", latest=False)

    @property
    def calendars(self) -> CalendarRegistry:
        if self._calendars is None:
            self._calendars = stored_calendars(self._documents("calendar", latest=True))
        return self._calendars

    def _case(self, column: str, value: str) -> Case | None:
        from adapters import serialization
        from complaint_core.case import Case

        row = self._conn.execute(f"SELECT version, body FROM cases WHERE {column} = ?", (value,)).fetchone()
        if row is None:
            return None
        case = serialization.loads(row[1], Case)
        if case.version != row[0]:
            raise serialization.DocumentInvalid(f"case {case.case_id}: body version {case.version} != {row[0]}")
        return case

    def get(self, ref: str) -> Case:
        """By number, else by id: ``CaseService.get``, with its ``NotFound`` messages."""
        from uuid import UUID

        from complaint_core.errors import NotFound

        found = self._case("number", ref)
        if found is not None:
            return found
        try:
            case_id = UUID(ref)
        except ValueError:
            raise NotFound(f"no case with number or id {ref!r}") from None
        found = self._case("id", str(case_id))
        if found is None:
            raise NotFound(f"no case {case_id}")
        return found

    def number_of(self, case_id: object) -> str | None:
        from complaint_core.errors import NotFound

        row = self._conn.execute("SELECT number FROM cases WHERE id = ?", (str(case_id),)).fetchone()
        if row is None:
            raise NotFound(f"no case {case_id}")
        return None if row[0] is None else str(row[0])

    def policy_of(self, case: Case) -> Policy:
        return self.policies.get(case.policy_id, case.policy_version)

    def calendar_for(self, policy: Policy) -> WorkingCalendar:
        return self.calendars.get(policy.calendar)


def sqlite_path(db: str | None) -> str | None:
    """The file of a SQLite ``--db`` (a plain path or a ``sqlite:///`` URL without options); else None."""
    raw = db or os.environ.get("COMPLAINT_DB") or "./complaints.db"
    if raw.startswith("sqlite:///") and "?" not in raw:
        raw = raw[len("sqlite:///") :]
    elif "://" in raw:
        return None
    return None if raw in ("", ":memory:") else raw
