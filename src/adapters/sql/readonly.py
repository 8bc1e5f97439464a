"""``case show`` on a SQLite file with the standard library's ``sqlite3`` alone.

Opening the SQL store costs the import of SQLAlchemy, more than everything else a
one-case look-up needs; a CLI starts a process per command. This reader is used
only when the file is at the current schema (``HEAD``); otherwise the caller
takes the normal path, which migrates, creates or reports the problem.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from adapters.stored_documents import Doc, StoredPolicies, stored_calendars

from .head import HEAD

if TYPE_CHECKING:
    import sqlite3

    from adapters.calendars import CalendarRegistry
    from complaint_core.calendar import WorkingCalendar
    from complaint_core.case import Case
    from complaint_core.policy import Policy


class ReadOnlyCases:
    """``case show`` on a SQLite file with the stdlib ``sqlite3`` alone, read-only, without SQLAlchemy.

    ``open()`` gives None (use ``open_app``) unless ``db`` is a writable SQLite file at ``HEAD``:
    the normal path then migrates, creates or reports the error as always. Policies and calendars are
    chosen by the same code as ``open_app`` (``StoredPolicies``, ``stored_calendars``).
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self.policies = StoredPolicies(self._policy_versions)
        self._calendars: CalendarRegistry | None = None

    @classmethod
    def open(cls, db: str | None) -> ReadOnlyCases | None:
        path = sqlite_path(db)
        if path is None or not os.access(path, os.R_OK | os.W_OK):
            return None
        found = _open_read_only(path)
        if found is None:
            return None
        conn, revision = found
        if revision != HEAD:
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

    def calendar_documents(self) -> list[Doc]:
        """The latest version of every stored calendar document."""
        return self._documents("calendar", latest=True)

    @property
    def calendars(self) -> CalendarRegistry:
        if self._calendars is None:
            self._calendars = stored_calendars(self.calendar_documents())
        return self._calendars

    def _case(self, column: str, value: str) -> Case | None:
        from adapters import serialization
        from complaint_core.case import Case

        row = self._conn.execute(f"SELECT version, body FROM cases WHERE {column} = ?", (value,)).fetchone()
        if row is None:
            return None
        case = serialization.stored("case", row[1], lambda text: serialization.loads(text, Case))
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


def _open_read_only(path: str) -> tuple[sqlite3.Connection, str | None] | None:
    """A read-only connection to the SQLite file ``path`` and its schema revision (None: no complaint-core
    database, or not yet); None when it is no file or cannot be opened."""
    import sqlite3

    if not os.path.isfile(path):
        return None
    try:
        conn = sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        rows = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.Error:
        rows = []
    return conn, (str(rows[0][0]) if rows else None)


def stored_calendar_documents(db: str | None) -> list[Doc]:
    """The latest calendar documents of a SQLite ``--db``, read-only and without SQLAlchemy, at any schema this
    version knows; nothing for a file that does not exist or is no complaint-core database (never created or
    migrated here); a schema written by a newer version is refused, as by every command."""
    import sqlite3

    path = sqlite_path(db)
    found = None if path is None else _open_read_only(path)
    if found is None:
        return []
    conn, revision = found
    try:
        if revision is None:
            return []
        if revision != HEAD:
            from .migrate import refuse_newer

            refuse_newer(revision)
        try:
            return ReadOnlyCases(conn).calendar_documents()
        except sqlite3.Error:
            return []
    finally:
        conn.close()
