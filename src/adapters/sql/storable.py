"""What a row may hold, alike on SQLite and PostgreSQL.

PostgreSQL refuses text longer than its ``VARCHAR(n)`` column and a NUL character in
any text; SQLite keeps both. So the same input gave a case on one database and an
unexpected error on the other. Every INSERT and UPDATE is checked before it is sent:
by the engine's ``before_cursor_execute`` hook for Core statements, by
``driver._Values`` for the statements sent to the driver directly. Only values
written are checked, never the parameters of a query, so a search for a long name
finds nothing rather than failing; and a row stored before keeps loading.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from sqlalchemy import String, Table

from .errors import NotStorable

_MULTI_VALUE = re.compile(r"_m\d+$")  # a multi-row INSERT's bind names: person_id_m0, person_id_m1, …


@cache
def limits(table: Table) -> dict[str, int | None]:
    """Each text column of ``table`` by name, with its ``VARCHAR(n)`` length (None: unbounded text)."""
    return {c.name: c.type.length for c in table.columns if isinstance(c.type, String)}


def check_value(name: str, value: object, limit: int | None) -> None:
    if not isinstance(value, str):
        return
    if "\x00" in value:
        raise NotStorable(f"{name} holds a NUL character, which the database cannot keep")
    if limit is not None and len(value) > limit:
        raise NotStorable(f"{name} is {len(value)} characters long; the database keeps at most {limit}")


def check_rows(table: Table, rows: Iterable[Mapping[str, Any]]) -> None:
    texts = limits(table)
    for row in rows:
        for key, value in row.items():
            if isinstance(value, str):
                name = _MULTI_VALUE.sub("", key)
                if name in texts:
                    check_value(name, value, texts[name])


def before_cursor_execute(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> None:
    """The engine hook: an INSERT's or UPDATE's values (not its WHERE parameters, whose names are no columns)."""
    if context is None or not (context.isinsert or context.isupdate) or context.compiled is None:
        return
    table = getattr(context.compiled.statement, "table", None)
    if isinstance(table, Table):
        check_rows(table, context.compiled_parameters)
