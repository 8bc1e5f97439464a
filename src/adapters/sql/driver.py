"""Statements handed to the DB-API driver directly, for the hot paths (a command's load and save, the bulk import).

SQLAlchemy's per-statement machinery costs more than SQLite itself spends on these
few-row statements. The values still go through each column's own bind
processor (so the stored text is exactly what Core queries compare with); the
SQL is written once per dialect.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import Column, Dialect, Table

from . import tables as t
from .storable import check_value, limits

Row = tuple[Any, ...]


def _marker(dialect: Dialect) -> str:
    if dialect.paramstyle == "qmark":
        return "?"
    if dialect.paramstyle in ("format", "pyformat"):
        return "%s"
    raise NotImplementedError(f"driver-level statements do not support the {dialect.paramstyle!r} paramstyle")


class _Values:
    """Turns a mapping into the driver's tuple for ``columns``, applying each column's bind processor, and checks
    that the bounded text columns (``checked``, default all) can keep their values (``storable``)."""

    def __init__(
        self, table: Table, columns: Sequence[str], dialect: Dialect, checked: Collection[str] | None = None
    ) -> None:
        self.columns = tuple(columns)
        self.processors: list[tuple[int, Callable[[Any], Any]]] = []
        self.limits: list[tuple[int, str, int]] = []
        texts = limits(table)
        for i, name in enumerate(self.columns):
            column: Column[Any] = table.c[name]
            processor = column.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self.processors.append((i, processor))
            limit = texts.get(name)
            if limit is not None and (checked is None or name in checked):
                self.limits.append((i, name, limit))

    def row(self, values: Mapping[str, Any]) -> Row:
        row = [values[c] for c in self.columns]
        for i, name, limit in self.limits:
            check_value(name, row[i], limit)
        for i, processor in self.processors:
            value = row[i]
            if value is not None:
                row[i] = processor(value)
        return tuple(row)


class DriverInsert(_Values):
    def __init__(self, table: Table, columns: Sequence[str], dialect: Dialect) -> None:
        super().__init__(table, columns, dialect)
        quote = dialect.identifier_preparer.quote
        marker = _marker(dialect)
        self.sql = (
            f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in self.columns)}) "
            f"VALUES ({', '.join(marker for _ in self.columns)})"
        )


class DriverUpdate(_Values):
    """``UPDATE table SET … WHERE k1 = ? AND k2 = ?``: ``row`` takes the new values and the keys in one mapping;
    ``checked`` are the columns whose values a command may change (the others were checked when inserted, and a row
    an older version stored must stay writable)."""

    def __init__(
        self,
        table: Table,
        columns: Sequence[str],
        keys: Sequence[str],
        dialect: Dialect,
        checked: Collection[str] | None = None,
    ) -> None:
        super().__init__(table, [*columns, *keys], dialect, checked=checked)
        quote = dialect.identifier_preparer.quote
        marker = _marker(dialect)
        assignments = ", ".join(f"{quote(c)} = {marker}" for c in columns)
        condition = " AND ".join(f"{quote(k)} = {marker}" for k in keys)
        self.sql = f"UPDATE {quote(table.name)} SET {assignments} WHERE {condition}"


def where(table: Table, columns: Sequence[str], keys: Sequence[str], dialect: Dialect, verb: str = "SELECT") -> str:
    """``SELECT columns FROM table WHERE key = ? AND …`` (or ``DELETE FROM table WHERE …`` with no columns)."""
    quote = dialect.identifier_preparer.quote
    marker = _marker(dialect)
    condition = " AND ".join(f"{quote(k)} = {marker}" for k in keys)
    if verb == "DELETE":
        return f"DELETE FROM {quote(table.name)} WHERE {condition}"
    return f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(table.name)} WHERE {condition}"


_CASE_COLUMNS = tuple(c.name for c in t.cases.columns)
_CASE_CHANGES = ("number", "status", "severity")  # what a command may change of a case's bounded columns
_HISTORY_COLUMNS = ("aggregate_id", "aggregate_type", "version", "type", "occurred_at", "actor", "body")
_OUTBOX_COLUMNS = ("message_id", "aggregate_id", "type", "created_at", "payload")


class Statements:
    """The hot statements of a unit of work, written once per dialect and sent to the driver directly."""

    def __init__(self, dialect: Dialect) -> None:
        self.case_by_id = where(t.cases, ("version", "body"), ("id",), dialect)
        self.case_by_number = where(t.cases, ("version", "body"), ("number",), dialect)
        # a writer of one case waits for the other's commit, then reads it; SQLite's writers take turns anyway.
        # NO KEY: FOR UPDATE would also block (and deadlock with) the key-share lock a row pointing at the case
        # takes when inserted (its clock rows, an assessment, a return), which the case's own UPDATE never did
        lock = " FOR NO KEY UPDATE" if dialect.name == "postgresql" else ""
        self.case_by_id_for_update = self.case_by_id + lock
        self.case_by_number_for_update = self.case_by_number + lock
        self.insert_case = DriverInsert(t.cases, _CASE_COLUMNS, dialect)
        self.update_case = DriverUpdate(
            t.cases, [c for c in _CASE_COLUMNS if c != "id"], ("id", "version"), dialect, checked=_CASE_CHANGES
        )
        self.delete_clocks = where(t.case_clocks, (), ("case_id",), dialect, verb="DELETE")
        self.insert_clocks = DriverInsert(t.case_clocks, tuple(c.name for c in t.case_clocks.columns), dialect)
        self.delete_parties = where(t.case_parties, (), ("case_id",), dialect, verb="DELETE")
        self.insert_parties = DriverInsert(t.case_parties, tuple(c.name for c in t.case_parties.columns), dialect)
        self.insert_history = DriverInsert(t.history, _HISTORY_COLUMNS, dialect)
        self.insert_outbox = DriverInsert(t.outbox, _OUTBOX_COLUMNS, dialect)
