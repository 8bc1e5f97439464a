"""Reference documents kept in the database: policies, calendars and the organisation.

They are stored as the text the user imported (TOML, JSON or CSV), versioned,
and parsed by the same loaders as files, so a database carries everything a
process on another machine needs. The bundled presets are always available.
Choosing the policy and calendars of a case is ``adapters.stored_documents``
(``StoredPolicies``, ``stored_calendars``), shared with the read-only SQLite path
of ``case show``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs
from sqlalchemy import Connection, Engine, Select, func, select

from adapters.organisation_files import loads_organisation
from complaint_core.errors import NotFound
from complaint_core.money import from_fen, to_fen
from complaint_core.organisation import Organisation

from . import tables as t
from .engine import dialect_insert, reading, serialise_writers

Kind = str  # "policy" | "calendar" | "organisation"


def store(
    target: Engine | Connection,
    *,
    kind: Kind,
    name: str,
    source: str,
    fmt: str,
    at: datetime,
    version: int | None = None,
) -> int:
    """Store a new version of a document (the next number unless given); returns its version.

    On an engine, in a transaction of its own; on a connection, in the caller's (``init`` stores its policy,
    calendars and setting together or not at all). Writers of the same document wait for each other, so each
    takes the next number: on PostgreSQL through an advisory lock per document (SQLite's ``BEGIN IMMEDIATE``
    already serialises writers)."""
    if isinstance(target, Engine):
        with target.begin() as conn:
            return store(conn, kind=kind, name=name, source=source, fmt=fmt, at=at, version=version)
    d = t.documents.c
    serialise_writers(target, f"documents {kind} {name}")
    if version is None:
        last = target.execute(select(func.max(d.version)).where(d.kind == kind, d.name == name)).scalar()
        version = int(last or 0) + 1
    target.execute(
        t.documents.insert(),
        {"kind": kind, "name": name, "version": version, "format": fmt, "source": source, "loaded_at": at},
    )
    return version


def latest(source: Engine | Connection, kind: Kind) -> list[tuple[str, int, str, str]]:
    """(name, version, format, source) of the latest version of every document of ``kind``; on a connection, as
    the caller's transaction sees them."""
    d = t.documents.c
    newest = select(d.name, func.max(d.version).label("version")).where(d.kind == kind).group_by(d.name).subquery()
    query = (
        select(d.name, d.version, d.format, d.source)
        .join(newest, (d.name == newest.c.name) & (d.version == newest.c.version))
        .where(d.kind == kind)
        .order_by(d.name)
    )
    return _docs(source, query)


def _docs(source: Engine | Connection, query: Select[Any]) -> list[tuple[str, int, str, str]]:
    """(name, version, format, source) rows of ``query``: in the caller's transaction, or in a read of its own."""
    if isinstance(source, Connection):
        return [(r.name, r.version, r.format, r.source) for r in source.execute(query)]
    with reading(source) as conn:
        return [(r.name, r.version, r.format, r.source) for r in conn.execute(query)]


def all_versions(source: Engine | Connection, kind: Kind) -> list[tuple[str, int, str, str]]:
    """Every version of every document of ``kind``; on a connection, as the caller's transaction sees them."""
    d = t.documents.c
    query = select(d.name, d.version, d.format, d.source).where(d.kind == kind).order_by(d.name, d.version)
    return _docs(source, query)


@attrs.define
class SqlOrganisation:
    """The latest stored organisation with the bonuses imported for it (``bonus import``), as of each ``get``.

    Only the parsed document is kept, per version: an App that lives on (a worker, an embedder) must see an
    organisation or bonuses imported since, or a month would close on last month's bonuses."""

    engine: Engine
    _parsed: tuple[int, Organisation] | None = None

    def get(self) -> Organisation:
        d = t.documents.c
        with reading(self.engine) as conn:
            version = conn.execute(select(func.max(d.version)).where(d.kind == "organisation")).scalar()
            imported = _bonuses(conn)
        if version is None:
            raise NotFound("no organisation loaded: run `complaint org import FILE` first")
        if self._parsed is None or self._parsed[0] != version:
            docs = latest(self.engine, "organisation")
            _, stored, _, source = docs[0]
            self._parsed = (stored, loads_organisation(source, f"database organisation v{stored}"))
        org = self._parsed[1]
        return attrs.evolve(org, bonuses={**org.bonuses, **imported})

    def imported_bonuses(self) -> dict[tuple[str, str], Decimal]:
        """The bonuses ``bonus import`` stored by (person, month); they take precedence over the file's."""
        with reading(self.engine) as conn:
            return _bonuses(conn)


def _bonuses(conn: Connection) -> dict[tuple[str, str], Decimal]:
    return {(r.person_id, r.month): from_fen(r.amount_fen) for r in conn.execute(select(t.bonuses))}


def store_bonuses(target: Engine | Connection, rows: Sequence[tuple[str, str, Decimal]]) -> int:
    """Insert or replace (person, month) bonuses: on an engine in a transaction of their own, on a connection in
    the caller's (``App.import_bonuses`` checks them against the ledger in the same one)."""
    if not rows:
        return 0
    values = [{"person_id": p, "month": m, "amount_fen": to_fen(a)} for p, m, a in rows]
    statement = dialect_insert(target.dialect.name)(t.bonuses).values(values)
    statement = statement.on_conflict_do_update(
        index_elements=[t.bonuses.c.person_id, t.bonuses.c.month], set_={"amount_fen": statement.excluded.amount_fen}
    )
    if isinstance(target, Engine):
        with target.begin() as conn:
            conn.execute(statement)
    else:
        target.execute(statement)
    return len(rows)
