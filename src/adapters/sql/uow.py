"""The SQL unit of work: one database transaction per ``with`` block.

It commits the aggregate rows, one append-only history row per domain event
(the audit trail) and one outbox row per event (the exact bytes a webhook will
send) together, or nothing: leaving the block without ``commit`` rolls back.
Lost updates are refused with ``UPDATE … WHERE id = :id AND version = :seen``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self
from uuid import UUID

from sqlalchemy import Connection, Engine, RowMapping, and_, bindparam, delete, exc, func, insert, or_, select, update

from adapters import serialization
from complaint_core.assessment import Assessment
from complaint_core.case import FINISHED, Case, CaseStatus
from complaint_core.errors import ConcurrencyConflict, NotFound
from complaint_core.events import DomainEvent
from complaint_core.followup import FollowUp
from complaint_core.money import to_fen
from complaint_core.returns import Return

from . import tables as t
from .aggregates import (
    SqlAggregates,
    SqlLedger,
    assessment_columns,
    followup_columns,
    penalty_line_rows,
    return_columns,
)
from .indexing import ClockIndexer, no_index

_CASE_BY_ID = select(t.cases.c.version, t.cases.c.body).where(t.cases.c.id == bindparam("id"))


def finished_at(case: Case) -> datetime | None:
    """When the case reached its terminal state (closed, settled, not established), None while open."""
    if case.status not in FINISHED:
        return None
    for step in reversed(case.steps):
        if step.status in FINISHED:
            return step.at
    return None


def case_row(case: Case) -> dict[str, Any]:
    intake = case.intake
    amount = intake.claimed_amount
    return {
        "id": str(case.case_id),
        "number": case.number,
        "policy_id": case.policy_id,
        "policy_version": case.policy_version,
        "status": case.status.value,
        "customer": intake.customer,
        "category": intake.category,
        "kind": intake.kind.value,
        "market": intake.market.value,
        "channel": intake.channel.value,
        "severity": case.severity,
        "received_at": case.received_at,
        "closed_at": finished_at(case),
        "amount_fen": None if amount is None else to_fen(amount),
        "parent_id": None if case.parent_case_id is None else str(case.parent_case_id),
        "version": case.version,
        "body": serialization.dumps(case),
    }


def _party_rows(case: Case) -> list[dict[str, Any]]:
    cid = str(case.case_id)
    rows: list[dict[str, Any]] = []
    if case.handler is not None:
        rows.append(
            {"case_id": cid, "role": "handler", "party_kind": case.handler.kind.value, "party_id": case.handler.id}
            | {"share": "1"}
        )
    for role, responsibility in (("causer", case.causer), ("delay", case.delay)):
        if responsibility is None:
            continue
        for item in responsibility.shares:
            rows.append(
                {
                    "case_id": cid,
                    "role": role,
                    "party_kind": item.party.kind.value,
                    "party_id": item.party.id,
                    "share": str(item.share),
                }
            )
    return rows


class SqlCaseRepository:
    def __init__(self, uow: SqlUnitOfWork, indexer: ClockIndexer) -> None:
        self._uow = uow
        self._indexer = indexer
        self.seen: dict[UUID, Case] = {}

    @property
    def _conn(self) -> Connection:
        return self._uow.connection

    def _load(self, row: RowMapping | Any) -> Case:
        case = serialization.loads(row.body, Case)
        if case.version != row.version:
            raise serialization.DocumentInvalid(f"case {case.case_id}: body version {case.version} != {row.version}")
        self.seen.setdefault(case.case_id, case)
        return case

    def get(self, case_id: UUID) -> Case:
        row = self._conn.execute(_CASE_BY_ID, {"id": str(case_id)}).first()
        if row is None:
            raise NotFound(f"no case {case_id}")
        return self._load(row)

    def find_by_number(self, number: str) -> Case | None:
        row = self._conn.execute(select(t.cases.c.version, t.cases.c.body).where(t.cases.c.number == number)).first()
        return None if row is None else self._load(row)

    def add(self, case: Case) -> None:
        try:
            self._conn.execute(insert(t.cases), case_row(case))
        except exc.IntegrityError as error:
            raise ConcurrencyConflict(f"case {case.case_id} or its number {case.number} exists already") from error
        self._write_children(case, None)
        self.seen[case.case_id] = case

    def save(self, case: Case) -> None:
        before = self.seen.get(case.case_id)
        if before is None:
            raise NotFound(f"case {case.case_id} was not loaded in this unit of work")
        if case is before:
            return
        row = case_row(case)
        del row["id"]
        try:
            result = self._conn.execute(
                update(t.cases)
                .where(t.cases.c.id == str(case.case_id), t.cases.c.version == before.version)
                .values(**row)
            )
        except exc.IntegrityError as error:
            raise ConcurrencyConflict(f"case number {case.number} is taken") from error
        if result.rowcount != 1:
            raise ConcurrencyConflict(f"case {case.reference} changed since it was loaded (version {before.version})")
        self._write_children(case, before)
        self.seen[case.case_id] = case

    def _write_children(self, case: Case, before: Case | None) -> None:
        cid = str(case.case_id)
        conn = self._conn
        # due times depend on the clocks, the severity and the policy; a pending inquiry also on the status
        if before is None or (before.clocks, before.severity, before.status, before.policy_version) != (
            case.clocks,
            case.severity,
            case.status,
            case.policy_version,
        ):
            index = self._indexer(case)
            if before is not None and before.clocks:
                conn.execute(delete(t.case_clocks).where(t.case_clocks.c.case_id == cid))
            rows = []
            for state in case.clocks:
                found = index.get(state.name)
                rows.append(
                    {
                        "case_id": cid,
                        "name": state.name,
                        "started_at": state.started_at,
                        "due_at": found.due_at if found else None,
                        "stopped_at": state.stopped_at,
                        "level": state.level,
                        "inquiry_pending": bool(found and found.inquiry_pending),
                    }
                )
            if rows:
                conn.execute(insert(t.case_clocks), rows)
        if before is None or (before.handler, before.causer, before.delay) != (case.handler, case.causer, case.delay):
            if before is not None:
                conn.execute(delete(t.case_parties).where(t.case_parties.c.case_id == cid))
            parties = _party_rows(case)
            if parties:
                conn.execute(insert(t.case_parties), parties)

    def all(self) -> Iterable[Case]:
        for row in self._conn.execute(select(t.cases.c.version, t.cases.c.body).order_by(t.cases.c.id)).all():
            yield self._load(row)

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
        query = select(t.cases.c.version, t.cases.c.body).where(t.cases.c.id.in_(ids)).order_by(t.cases.c.id)
        if self._uow.dialect == "postgresql":
            query = query.with_for_update(skip_locked=True, of=t.cases)
        for row in self._conn.execute(query).all():
            yield self._load(row)

    def overdue(self, as_of: datetime, *, limit: int | None = None) -> list[tuple[str, str, datetime]]:
        """(case id, clock, due) of running clocks due before ``as_of``, oldest due first (uses the partial index)."""
        clocks = t.case_clocks
        query = (
            select(clocks.c.case_id, clocks.c.name, clocks.c.due_at)
            .where(clocks.c.stopped_at.is_(None), clocks.c.due_at < as_of)
            .order_by(clocks.c.due_at)
        )
        if limit is not None:
            query = query.limit(limit)
        return [(r.case_id, r.name, r.due_at) for r in self._conn.execute(query)]

    def list(
        self,
        *,
        status: Sequence[CaseStatus] = (),
        customer: str | None = None,
        party: str | None = None,
        received_from: datetime | None = None,
        received_before: datetime | None = None,
        closed_from: datetime | None = None,
        closed_before: datetime | None = None,
        limit: int | None = None,
    ) -> list[Case]:
        c = t.cases.c
        query = select(c.version, c.body)
        if status:
            query = query.where(c.status.in_([s.value for s in status]))
        if customer is not None:
            query = query.where(c.customer == customer)
        if party is not None:
            query = query.where(c.id.in_(select(t.case_parties.c.case_id).where(t.case_parties.c.party_id == party)))
        if received_from is not None:
            query = query.where(c.received_at >= received_from)
        if received_before is not None:
            query = query.where(c.received_at < received_before)
        if closed_from is not None:
            query = query.where(c.closed_at >= closed_from)
        if closed_before is not None:
            query = query.where(c.closed_at < closed_before)
        query = query.order_by(c.received_at, c.id)
        if limit is not None:
            query = query.limit(limit)
        return [self._load(row) for row in self._conn.execute(query)]


class SqlSerials:
    """The next serial per (policy, period), in the caller's transaction: a rolled-back number is not used up."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def next_serial(self, policy_id: str, period: str) -> int:
        conn = self._uow.connection
        s = t.serials
        if self._uow.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as upsert
        else:
            from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
        statement = (
            upsert(s)
            .values(policy_id=policy_id, period=period, last=1)
            .on_conflict_do_update(index_elements=[s.c.policy_id, s.c.period], set_={"last": s.c.last + 1})
            .returning(s.c.last)
        )
        return int(conn.execute(statement).scalar_one())


def message_id(event: DomainEvent) -> str:
    """Stable per event: the same ``webhook-id`` on every delivery attempt and every replay."""
    return f"msg_{event.aggregate_id.hex}_{event.version}"


def aggregate_type(event: DomainEvent) -> str:
    return event.EVENT_TYPE.split(".", 1)[0]


def _utc_z(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def outbox_payload(event: DomainEvent, data_json: str) -> bytes:
    """``{"type": …, "timestamp": …, "data": …}``, serialised once and stored as the bytes sent."""
    head = json.dumps({"type": event.EVENT_TYPE, "timestamp": _utc_z(event.occurred_at)}, ensure_ascii=False)
    return (head[:-1] + ',"data":' + data_json + "}").encode()


class SqlOutbox:
    """Each event becomes a history row (the audit trail) and an outbox row, in the unit of work's transaction."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def add(self, events: Sequence[DomainEvent]) -> None:
        if not events:
            return
        history_rows = []
        outbox_rows = []
        for event in events:
            data = serialization.event_data(event)
            data.pop("type")
            data_json = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
            aggregate_id = str(event.aggregate_id)
            history_rows.append(
                {
                    "aggregate_id": aggregate_id,
                    "aggregate_type": aggregate_type(event),
                    "version": event.version,
                    "type": event.EVENT_TYPE,
                    "occurred_at": event.occurred_at,
                    "actor": event.actor,
                    "body": data_json,
                }
            )
            outbox_rows.append(
                {
                    "message_id": message_id(event),
                    "aggregate_id": aggregate_id,
                    "type": event.EVENT_TYPE,
                    "created_at": event.occurred_at,
                    "payload": outbox_payload(event, data_json),
                }
            )
        conn = self._uow.connection
        try:
            conn.execute(insert(t.history), history_rows)
            conn.execute(insert(t.outbox), outbox_rows)
        except exc.IntegrityError as error:
            raise ConcurrencyConflict("an event with this version was recorded already") from error


def history_of(conn: Connection, aggregate_id: UUID) -> list[DomainEvent]:
    """The audit trail of one aggregate, oldest first, as domain events."""
    h = t.history.c
    rows = conn.execute(
        select(h.type, h.body).where(h.aggregate_id == str(aggregate_id)).order_by(h.version, h.seq)
    ).all()
    return [serialization.event_from_data({**json.loads(r.body), "type": r.type}) for r in rows]


class SqlUnitOfWork:
    """Each ``with`` block opens a connection and a transaction; not for two threads at once."""

    def __init__(self, engine: Engine, *, indexer: ClockIndexer = no_index) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._indexer = indexer
        self._connection: Connection | None = None
        self.cases = SqlCaseRepository(self, indexer)
        self.serials = SqlSerials(self)
        self.outbox = SqlOutbox(self)
        self.returns = SqlAggregates(self, t.returns, Return, lambda r: r.return_id, return_columns)
        self.followups = SqlAggregates(self, t.followups, FollowUp, lambda f: f.followup_id, followup_columns)
        self.assessments = SqlAggregates(
            self, t.assessments, Assessment, lambda a: a.assessment_id, assessment_columns, penalty_line_rows
        )
        self.ledger = SqlLedger(self)

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
        self._connection = self.engine.connect()  # the transaction begins with the first statement
        return self

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
