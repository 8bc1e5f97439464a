"""Bulk import: many already-built cases (and their events) in one transaction.

``import_cases`` writes the same rows the unit of work writes for ``cases.add`` +
``outbox.add`` (case row, clock rows with their due times, party rows, one history
and one outbox row per event), but batched: each table gets one driver
``executemany`` per batch, with the column values converted once per value by the
columns' own bind processors (so SQLite datetimes are stored in exactly the format
the Core queries compare with). Everything commits together or not at all.

Use it for migrations from another system, for seeding, and for benchmarks; the
service layer (``CaseService`` on ``SqlUnitOfWork``) stays the path for live
commands. Parent cases must come before their second complaints in ``cases``
(foreign keys are checked per statement).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from sqlalchemy import Connection, Dialect, Engine, exc

from complaint_core.case import Case
from complaint_core.errors import ConcurrencyConflict
from complaint_core.events import DomainEvent

from .driver import Row, Statements
from .indexing import ClockIndexer, no_index
from .rows import case_row, clock_rows, event_rows, party_rows

DEFAULT_BATCH = 2_000

Progress = Callable[[int], None]
CaseItem = Case | tuple[Case, Sequence[DomainEvent]]


class RowBuilder:
    """Turns cases and events into the driver-ready row tuples of each table (no database access)."""

    def __init__(self, dialect: Dialect, indexer: ClockIndexer = no_index) -> None:
        self.indexer = indexer
        statements = Statements(dialect)  # the unit of work's own inserts: the same rows, written in bulk
        self.cases = statements.insert_case
        self.clocks = statements.insert_clocks
        self.parties = statements.insert_parties
        self.history = statements.insert_history
        self.outbox = statements.insert_outbox

    def case_rows(self, cases: Iterable[Case]) -> tuple[list[Row], list[Row], list[Row]]:
        case_rows: list[Row] = []
        clock_rows_: list[Row] = []
        party_rows_: list[Row] = []
        for case in cases:
            case_rows.append(self.cases.row(case_row(case)))
            if case.clocks:
                clock_rows_.extend(self.clocks.row(row) for row in clock_rows(case, self.indexer(case)))
            party_rows_.extend(self.parties.row(row) for row in party_rows(case))
        return case_rows, clock_rows_, party_rows_

    def event_rows(self, events: Iterable[DomainEvent]) -> tuple[list[Row], list[Row]]:
        history_rows: list[Row] = []
        outbox_rows: list[Row] = []
        for event in events:
            history, outbox = event_rows(event)
            history_rows.append(self.history.row(history))
            outbox_rows.append(self.outbox.row(outbox))
        return history_rows, outbox_rows


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def _connection_of(target: Any) -> tuple[Connection | None, Engine | None]:
    if isinstance(target, Connection):
        return target, None
    engine = getattr(target, "engine", target)  # a Database or an Engine
    if not isinstance(engine, Engine):
        raise TypeError(f"import_cases needs a Database, an Engine or a Connection, not {type(target).__name__}")
    return None, engine


def import_cases(
    target: Any,
    cases: Iterable[CaseItem],
    events: Iterable[DomainEvent] = (),
    *,
    indexer: ClockIndexer = no_index,
    batch_size: int = DEFAULT_BATCH,
    progress: Progress | None = None,
) -> int:
    """Insert ``cases`` (each a ``Case`` or a ``(Case, its events)`` pair) and ``events`` in one transaction.

    ``target`` is a ``Database``, an ``Engine`` (a transaction is begun and committed
    here) or a ``Connection`` (the rows join its transaction; the caller commits).
    ``indexer`` computes the clocks' due times, as for the unit of work. ``events``
    may hold events of any aggregate; they are recorded after the cases. ``progress``
    is called with the number of cases written so far after each batch. Returns the
    number of cases imported. A case id or number that exists already (or twice in
    the import) raises ``ConcurrencyConflict`` and nothing is written.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    conn, engine = _connection_of(target)
    if conn is not None:
        return _import(conn, cases, events, indexer, batch_size, progress)
    assert engine is not None
    with engine.begin() as own:
        return _import(own, cases, events, indexer, batch_size, progress)


def _import(
    conn: Connection,
    cases: Iterable[CaseItem],
    events: Iterable[DomainEvent],
    indexer: ClockIndexer,
    batch_size: int,
    progress: Progress | None,
) -> int:
    rows = RowBuilder(conn.dialect, indexer)
    done = 0
    try:
        for batch in _chunks(cases, batch_size):
            plain: list[Case] = []
            own_events: list[DomainEvent] = []
            for item in batch:
                if isinstance(item, Case):
                    plain.append(item)
                else:
                    plain.append(item[0])
                    own_events.extend(item[1])
            case_rows, clock_rows, party_rows = rows.case_rows(plain)
            _write(conn, rows.cases.sql, case_rows)
            _write(conn, rows.clocks.sql, clock_rows)
            _write(conn, rows.parties.sql, party_rows)
            _write_events(conn, rows, own_events)
            done += len(batch)
            if progress is not None:
                progress(done)
        for chunk in _chunks(events, batch_size * 2):
            _write_events(conn, rows, chunk)
    except exc.IntegrityError as error:
        raise ConcurrencyConflict(
            f"bulk import refused: a case id or number, or an event version, exists already or twice ({error.orig})"
        ) from error
    return done


def _write_events(conn: Connection, rows: RowBuilder, events: Sequence[DomainEvent]) -> None:
    if events:
        history_rows, outbox_rows = rows.event_rows(events)
        _write(conn, rows.history.sql, history_rows)
        _write(conn, rows.outbox.sql, outbox_rows)


def _write(conn: Connection, sql: str, rows: list[Row]) -> None:
    if rows:
        conn.exec_driver_sql(sql, rows)
