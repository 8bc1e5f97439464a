"""The SQL unit of work: one database transaction per ``with`` block.

It commits the aggregate rows, one append-only history row per domain event
(the audit trail) and one outbox row per event (the exact bytes a webhook will
send) together, or nothing: leaving the block without ``commit`` rolls back.
Lost updates are refused with ``UPDATE … WHERE id = :id AND version = :seen``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self
from uuid import UUID

from sqlalchemy import ColumnElement, Connection, Engine, RowMapping, and_, exc, func, or_, select

from adapters import serialization
from complaint_core.assessment import Assessment
from complaint_core.case import FINISHED, Case, CaseStatus
from complaint_core.errors import CasesUnreadable, ConcurrencyConflict, NotFound
from complaint_core.events import DomainEvent
from complaint_core.followup import FollowUp
from complaint_core.intake import customer_key
from complaint_core.returns import Return

if TYPE_CHECKING:
    from complaint_core.services import Progress

from . import tables as t
from .aggregates import (
    SqlAggregates,
    SqlDutyLog,
    SqlFollowUps,
    SqlLedger,
    assessment_columns,
    followup_columns,
    penalty_line_rows,
    return_columns,
)
from .driver import Statements
from .engine import dialect_insert, is_conflict, reading, serialise_writers
from .indexing import ClockIndexer, no_index
from .rows import (
    case_row,
    clock_rows,
    event_rows,
    party_rows,
)
from .types import sqlite_utc_text

__all__ = ["SqlCaseRepository", "SqlOutbox", "SqlSerials", "SqlUnitOfWork", "history_of"]

# the same statement the Core query compiles to, read without per-row processors
_OVERDUE_SQLITE = (
    "SELECT case_id, name, due_at FROM case_clocks WHERE stopped_at IS NULL AND due_at < ? ORDER BY due_at"
)


def _index_changed(before: Case | None, case: Case) -> bool:
    """Whether the clock rows (due times, pending inquiries) may differ from the stored ones.

    Due times depend on the clocks, the severity and the policy version; a pending
    inquiry also on whether the case is finished (``case_inquiries`` looks at closed
    cases only). Anything else (most status changes) leaves the rows as they are.
    """
    if before is None:
        return True
    if (before.clocks, before.severity, before.policy_version) != (case.clocks, case.severity, case.policy_version):
        return True
    return (before.status in FINISHED) != (case.status in FINISHED)


DECODED_CACHE = 4096


class SqlCaseRepository:
    """Cases in SQL. Keeps the last bodies it wrote or read with their decoded cases (by exact text), so
    loading a case it has just saved does not parse the JSON again: equal text is an equal case."""

    def __init__(self, uow: SqlUnitOfWork, indexer: ClockIndexer) -> None:
        self._uow = uow
        self._indexer = indexer
        self.seen: dict[UUID, Case] = {}
        self._decoded: dict[str, tuple[str, Case]] = {}  # case id -> (body text, case), oldest first
        self._sql = uow.statements

    def _remember(self, case_id: str, body: str, case: Case) -> None:
        decoded = self._decoded
        decoded.pop(case_id, None)
        if len(decoded) >= DECODED_CACHE:
            del decoded[next(iter(decoded))]
        decoded[case_id] = (body, case)

    @property
    def _conn(self) -> Connection:
        return self._uow.connection

    def _load(self, row: RowMapping | Any) -> Case:
        body: str = row.body
        case = self._cached(body)
        if case is None:
            case = serialization.stored("case", body, lambda text: serialization.loads(text, Case))
            self._remember(str(case.case_id), body, case)
        if case.version != row.version:
            raise serialization.DocumentInvalid(f"case {case.case_id}: body version {case.version} != {row.version}")
        self.seen.setdefault(case.case_id, case)
        return case

    def _cached(self, body: str) -> Case | None:
        """The case decoded from exactly this text before, if any (the id is read from the text's head)."""
        start = body.find('"case_id":"')
        if start < 0:
            return None
        start += len('"case_id":"')
        found = self._decoded.get(body[start : start + 36])
        return found[1] if found is not None and found[0] == body else None

    def get(self, case_id: UUID, *, for_update: bool = False) -> Case:
        """``for_update`` on PostgreSQL: ``SELECT … FOR NO KEY UPDATE``, so a second writer of the case waits for
        this transaction and then reads what it committed (READ COMMITTED), rather than failing on save."""
        locked = for_update and not self._uow.is_read_only
        sql = self._sql.case_by_id_for_update if locked else self._sql.case_by_id
        row = self._conn.exec_driver_sql(sql, (str(case_id),)).first()
        if row is None:
            raise NotFound(f"no case {case_id}")
        return self._load(row)

    def find_by_number(self, number: str, *, for_update: bool = False) -> Case | None:
        locked = for_update and not self._uow.is_read_only
        sql = self._sql.case_by_number_for_update if locked else self._sql.case_by_number
        row = self._conn.exec_driver_sql(sql, (number,)).first()
        return None if row is None else self._load(row)

    def add(self, case: Case) -> None:
        try:
            row = case_row(case)
            self._conn.exec_driver_sql(self._sql.insert_case.sql, self._sql.insert_case.row(row))
        except exc.IntegrityError as error:
            raise ConcurrencyConflict(f"case {case.case_id} or its number {case.number} exists already") from error
        self._remember(row["id"], row["body"], case)
        self._write_children(case, None)
        self.seen[case.case_id] = case

    def save(self, case: Case) -> None:
        before = self.seen.get(case.case_id)
        if before is None:
            raise NotFound(f"case {case.case_id} was not loaded in this unit of work")
        if case is before:
            return
        row = case_row(case)
        update_case = self._sql.update_case
        values = (*update_case.row(row)[:-1], before.version)  # the key: this id at the version loaded
        try:
            result = self._conn.exec_driver_sql(update_case.sql, values)
        except exc.IntegrityError as error:
            raise ConcurrencyConflict(f"case number {case.number} is taken") from error
        if result.rowcount != 1:
            raise ConcurrencyConflict(f"case {case.reference} changed since it was loaded (version {before.version})")
        self._remember(row["id"], row["body"], case)
        self._write_children(case, before)
        self.seen[case.case_id] = case

    def refresh_index(
        self,
        since: datetime | None = None,
        *,
        indexer: ClockIndexer | None = None,
        progress: Progress | None = None,
    ) -> tuple[int, tuple[str, ...]]:
        """Compute the clock rows (due times, pending inquiries) again, from the policies and calendars as they are
        now, of every case with a running clock, a pending inquiry, or a clock started at or after ``since``: after
        ``calendar import`` the due times of a year just loaded, or corrected, are the ones the sweep and the
        overdue lists read, and a closed case found late under the corrected days gets its inquiry (P1-ESC-02).
        Returns how many cases were refreshed, and the ids of stored cases that do not load (left as they were;
        ``DocumentInvalid`` names them when read). ``indexer``: computes the rows instead of this unit of work's own
        (``calendar import``: with the calendar version stored in this very transaction); ``progress(done, total)``
        is told after each case."""
        clocks = t.case_clocks
        wanted: list[ColumnElement[bool]] = [clocks.c.stopped_at.is_(None), clocks.c.inquiry_pending.is_(True)]
        if since is not None:
            wanted.append(clocks.c.started_at >= since)
        ids = select(clocks.c.case_id).where(or_(*wanted)).distinct()
        query = select(t.cases.c.id, t.cases.c.version, t.cases.c.body).where(t.cases.c.id.in_(ids))
        refreshed = 0
        unreadable: list[tuple[str, str]] = []
        rows = self._conn.execute(query.order_by(t.cases.c.id)).all()
        for case in self._readable(rows, unreadable):
            self._write_clocks(case, replace=True, indexer=indexer)
            refreshed += 1
            if progress is not None:
                progress(refreshed + len(unreadable), len(rows))
        if progress is not None:
            progress(len(rows), len(rows))  # also when the last rows do not load
        return refreshed, tuple(ident for ident, _ in unreadable)

    def _readable(self, rows: Iterable[Any], unreadable: list[tuple[str, str]]) -> Iterator[Case]:
        """The cases of ``rows`` (id, version, body) that load; (id, reason) of each other one goes to
        ``unreadable``: one bad row does not hold back the work on every other."""
        for row in rows:
            try:
                case = self._load(row)
            except serialization.DocumentInvalid as error:
                unreadable.append((str(row.id), error.message))
                continue
            yield case

    def _write_clocks(self, case: Case, *, replace: bool, indexer: ClockIndexer | None = None) -> None:
        if replace:
            self._conn.exec_driver_sql(self._sql.delete_clocks, (str(case.case_id),))
        if case.clocks:
            insert_clocks = self._sql.insert_clocks
            rows = [insert_clocks.row(r) for r in clock_rows(case, (indexer or self._indexer)(case))]
            self._conn.exec_driver_sql(insert_clocks.sql, rows if len(rows) > 1 else rows[0])

    def _write_children(self, case: Case, before: Case | None) -> None:
        conn = self._conn
        sql = self._sql
        key = (str(case.case_id),)
        if _index_changed(before, case):
            self._write_clocks(case, replace=before is not None and bool(before.clocks))
        if before is None or (before.handler, before.causer, before.delay) != (case.handler, case.causer, case.delay):
            if before is not None:
                conn.exec_driver_sql(sql.delete_parties, key)
            parties = [sql.insert_parties.row(r) for r in party_rows(case)]
            if parties:
                conn.exec_driver_sql(sql.insert_parties.sql, parties if len(parties) > 1 else parties[0])

    def all(self) -> Iterable[Case]:
        for row in self._conn.execute(select(t.cases.c.version, t.cases.c.body).order_by(t.cases.c.id)).all():
            yield self._load(row)

    def of_customer(self, customer: str) -> Iterable[Case]:
        """The customer's cases, oldest first (the index on customer and received_at). The column holds the name
        without surrounding blanks; a row written before it did is found once it is saved again."""
        c = t.cases.c
        query = select(c.version, c.body).where(c.customer == customer_key(customer)).order_by(c.received_at, c.id)
        return [self._load(row) for row in self._conn.execute(query).all()]

    def attributed_to(self, person_id: str, received_from: datetime, received_before: datetime) -> Iterable[Case]:
        """Through the index of the case's parties (party and role), then the month's window.

        On PostgreSQL (READ COMMITTED) a writer first takes a transaction lock on the person: two decisions
        counting the same person's complaints at once would each read the other's charge as not yet made, and
        charge the tier twice. The second waits for the first to commit, and then reads its assessment.
        SQLite serialises writers anyway."""
        if not self._uow.is_read_only:
            serialise_writers(self._conn, f"person {person_id}")
        c, p = t.cases.c, t.case_parties.c
        named = select(p.case_id).where(p.party_id == person_id, p.role == "causer", p.party_kind == "person")
        query = (
            select(c.version, c.body)
            .where(c.id.in_(named), c.received_at >= received_from, c.received_at < received_before)
            .order_by(c.received_at, c.id)
        )
        return [self._load(row) for row in self._conn.execute(query).all()]

    def sweep_candidates(self, as_of: datetime) -> Iterable[Case]:
        """Cases with a running clock due by ``as_of`` or a pending inquiry; claimed with SKIP LOCKED on PostgreSQL."""
        clocks = t.case_clocks
        ids = (
            select(clocks.c.case_id)
            .where(
                or_(
                    and_(clocks.c.stopped_at.is_(None), clocks.c.due_at <= as_of),
                    clocks.c.inquiry_pending.is_(True),
                )
            )
            .distinct()
        )
        query = select(t.cases.c.id, t.cases.c.version, t.cases.c.body).where(t.cases.c.id.in_(ids))
        query = query.order_by(t.cases.c.id)
        if self._uow.dialect == "postgresql" and not self._uow.is_read_only:  # a dry run locks nothing
            query = query.with_for_update(skip_locked=True, of=t.cases)
        unreadable: list[tuple[str, str]] = []
        yield from self._readable(self._conn.execute(query).all(), unreadable)
        if unreadable:
            raise CasesUnreadable(tuple(unreadable))

    def overdue(self, as_of: datetime, *, limit: int | None = None) -> list[tuple[str, str, datetime]]:
        """(case id, clock, due) of running clocks due before ``as_of``, oldest due first (uses the partial index).

        On SQLite the rows are read at driver level and each due time converted once
        (``datetime.fromisoformat``): this list can hold a large backlog.
        """
        if self._uow.dialect == "sqlite":
            sql = _OVERDUE_SQLITE + ("" if limit is None else f" LIMIT {int(limit)}")
            cursor = self._conn.exec_driver_sql(sql, (sqlite_utc_text(as_of),))
            parse = datetime.fromisoformat  # the stored text carries +00:00: aware UTC in one step
            found = [(case_id, name, parse(due)) for case_id, name, due in cursor.fetchall()]
            if any(due.tzinfo is None for _, _, due in found):  # text written without the offset
                found = [(case_id, name, due.replace(tzinfo=due.tzinfo or UTC)) for case_id, name, due in found]
            return found
        clocks = t.case_clocks
        query = (
            select(clocks.c.case_id, clocks.c.name, clocks.c.due_at)
            .where(clocks.c.stopped_at.is_(None), clocks.c.due_at < as_of)
            .order_by(clocks.c.due_at)
        )
        if limit is not None:
            query = query.limit(limit)
        return [(case_id, name, due) for case_id, name, due in self._conn.execute(query).all()]

    def list(
        self,
        *,
        status: Sequence[CaseStatus] = (),
        customer: str | None = None,
        party: str | None = None,
        received_from: datetime | None = None,
        received_before: datetime | None = None,
    ) -> list[Case]:
        """The cases matching every filter given, oldest received first: ``customer`` by its key (as repeats are
        found), ``party`` naming the case as handler, causer or delayer, received in [from, before)."""
        c = t.cases.c
        query = select(c.version, c.body)
        if status:
            query = query.where(c.status.in_([s.value for s in status]))
        if customer is not None:
            query = query.where(c.customer == customer_key(customer))
        if party is not None:
            query = query.where(c.id.in_(select(t.case_parties.c.case_id).where(t.case_parties.c.party_id == party)))
        if received_from is not None:
            query = query.where(c.received_at >= received_from)
        if received_before is not None:
            query = query.where(c.received_at < received_before)
        query = query.order_by(c.received_at, c.id)
        return [self._load(row) for row in self._conn.execute(query)]


class SqlSerials:
    """The next serial per (policy, period), in the caller's transaction: a rolled-back number is not used up."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def next_serial(self, policy_id: str, period: str) -> int:
        conn = self._uow.connection
        s = t.serials
        statement = (
            dialect_insert(self._uow.dialect)(s)
            .values(policy_id=policy_id, period=period, last=1)
            .on_conflict_do_update(index_elements=[s.c.policy_id, s.c.period], set_={"last": s.c.last + 1})
            .returning(s.c.last)
        )
        return int(conn.execute(statement).scalar_one())


class SqlOutbox:
    """Each event becomes a history row (the audit trail) and an outbox row, in the unit of work's transaction."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def add(self, events: Sequence[DomainEvent]) -> None:
        if not events:
            return
        sql = self._uow.statements
        rows = [event_rows(event) for event in events]
        history = [sql.insert_history.row(h) for h, _ in rows]
        outbox = [sql.insert_outbox.row(o) for _, o in rows]
        conn = self._uow.connection
        try:
            conn.exec_driver_sql(sql.insert_history.sql, history if len(history) > 1 else history[0])
            conn.exec_driver_sql(sql.insert_outbox.sql, outbox if len(outbox) > 1 else outbox[0])
        except exc.IntegrityError as error:
            raise ConcurrencyConflict("an event with this version was recorded already") from error


def history_of(conn: Connection, aggregate_id: UUID) -> list[DomainEvent]:
    """The audit trail of one aggregate, oldest first, as domain events."""
    h = t.history.c
    rows = conn.execute(
        select(h.type, h.body).where(h.aggregate_id == str(aggregate_id)).order_by(h.version, h.seq)
    ).all()
    return [
        serialization.stored(
            f"{r.type} event of", r.body, partial(serialization.load_typed_event, r.type), aggregate_id
        )
        for r in rows
    ]


class SqlUnitOfWork:
    """Each ``with`` block opens a connection and a transaction; not for two threads at once."""

    def __init__(self, engine: Engine, *, indexer: ClockIndexer = no_index, read_only: bool = False) -> None:
        self.engine = engine
        self._read_only = read_only
        self.dialect = engine.dialect.name
        self.statements = Statements(engine.dialect)
        self._indexer = indexer
        self._connection: Connection | None = None
        self.cases = SqlCaseRepository(self, indexer)
        self.serials = SqlSerials(self)
        self.outbox = SqlOutbox(self)
        self.returns = SqlAggregates(self, t.returns, Return, lambda r: r.return_id, return_columns)
        self.followups = SqlFollowUps(self, t.followups, FollowUp, lambda f: f.followup_id, followup_columns)
        self.assessments = SqlAggregates(
            self, t.assessments, Assessment, lambda a: a.assessment_id, assessment_columns, penalty_line_rows
        )
        self.ledger = SqlLedger(self)
        self.duties = SqlDutyLog(self)

    def _forget(self) -> None:
        self.cases.seen.clear()
        self.returns.clear()
        self.followups.clear()
        self.assessments.clear()
        self.ledger.clear()

    @property
    def connection(self) -> Connection:
        if self._connection is None:
            raise RuntimeError("the unit of work is not open: use it in a with block")
        return self._connection

    def __enter__(self) -> Self:
        if self._connection is not None:
            raise RuntimeError("this unit of work is open already")
        # the transaction begins with the first statement
        self._connection = reading(self.engine) if self._read_only else self.engine.connect()
        return self

    @property
    def is_read_only(self) -> bool:
        return self._read_only

    def read_only(self) -> SqlUnitOfWork:
        """A unit of work for reports and listings: on SQLite its transaction is deferred, so it reads the last
        commit (WAL) without waiting for a writer's lock, and no writer waits for it; on PostgreSQL it is READ ONLY
        and takes no row locks. It cannot write."""
        return SqlUnitOfWork(self.engine, indexer=self._indexer, read_only=True)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc_value: BaseException | None, tb: TracebackType | None
    ) -> None:
        connection = self._connection
        self._connection = None
        self._forget()
        if connection is not None:
            try:
                connection.rollback()
            finally:
                connection.close()

    def commit(self) -> None:
        conn = self.connection
        try:
            conn.commit()
        except exc.OperationalError as error:  # e.g. a serialization failure on PostgreSQL
            if not is_conflict(error):
                raise
            raise ConcurrencyConflict(f"the transaction could not commit: {error.orig}") from error
        self._forget()

    def rollback(self) -> None:
        self.connection.rollback()
        self._forget()

    def history(self, aggregate_id: UUID) -> list[DomainEvent]:
        return history_of(self.connection, aggregate_id)

    def count(self, table: str) -> int:
        return int(self.connection.execute(select(func.count()).select_from(t.metadata.tables[table])).scalar_one())


def iter_rows(conn: Connection, table: str) -> Iterator[RowMapping]:
    yield from conn.execute(select(t.metadata.tables[table])).mappings()
