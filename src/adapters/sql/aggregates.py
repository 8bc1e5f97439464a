"""Returns, follow-ups, penalty assessments and the ledger journal in SQL.

Like cases: one row per aggregate with its JSON document and the columns
queries need, saved with ``UPDATE … WHERE version = :seen``. The ledger is kept
as its journal of operations (``complaint_core.ledger_journal``) plus the
entries each produced; appending at a sequence number another writer took
first is a ``ConcurrencyConflict``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar
from uuid import UUID

from sqlalchemy import Connection, Table, delete, exc, insert, select, update

from adapters import serialization
from complaint_core.assessment import Assessment
from complaint_core.duties import DutyRecord
from complaint_core.errors import ConcurrencyConflict, NotFound
from complaint_core.followup import FollowUp
from complaint_core.ledger import Ledger, LedgerEntry
from complaint_core.ledger_journal import LedgerClose, LedgerOp, LedgerPost, LedgerReverse, apply_op, replay
from complaint_core.money import to_fen
from complaint_core.returns import Return

from . import tables as t
from .engine import serialise_writers

if TYPE_CHECKING:
    from .uow import SqlUnitOfWork


class _Versioned(Protocol):
    @property
    def version(self) -> int: ...

    @property
    def case_id(self) -> UUID: ...


A = TypeVar("A", bound=_Versioned)


class SqlAggregates(Generic[A]):
    def __init__(
        self,
        uow: SqlUnitOfWork,
        table: Table,
        cls: type[A],
        key: Callable[[A], UUID],
        columns: Callable[[A], dict[str, Any]],
        children: Callable[[Connection, A], None] | None = None,
    ) -> None:
        self._uow = uow
        self._table = table
        self._cls = cls
        self._key = key
        self._columns = columns
        self._children = children
        self.seen: dict[UUID, int] = {}

    def _load(self, row: Any) -> A:
        item = serialization.stored(
            self._cls.__name__.lower(), row.body, lambda text: serialization.loads(text, self._cls)
        )
        self.seen.setdefault(self._key(item), row.version)
        return item

    def get(self, aggregate_id: UUID) -> A:
        c = self._table.c
        row = self._uow.connection.execute(select(c.version, c.body).where(c.id == str(aggregate_id))).first()
        if row is None:
            raise NotFound(f"no {self._cls.__name__.lower()} {aggregate_id}")
        return self._load(row)

    def _row(self, item: A) -> dict[str, Any]:
        return {"version": item.version, "body": serialization.dumps(item), **self._columns(item)}

    def add(self, item: A) -> None:
        conn = self._uow.connection
        try:
            conn.execute(insert(self._table), {"id": str(self._key(item)), **self._row(item)})
        except exc.IntegrityError as error:
            raise ConcurrencyConflict(f"{self._cls.__name__} {self._key(item)} exists already") from error
        if self._children is not None:
            self._children(conn, item)
        self.seen[self._key(item)] = item.version

    def save(self, item: A) -> None:
        key = self._key(item)
        seen = self.seen.get(key)
        if seen is None:
            raise NotFound(f"{self._cls.__name__} {key} was not loaded in this unit of work")
        if seen == item.version:
            return
        conn = self._uow.connection
        c = self._table.c
        try:
            result = conn.execute(
                update(self._table).where(c.id == str(key), c.version == seen).values(**self._row(item))
            )
        except exc.IntegrityError as error:  # a rule the database holds, e.g. one decided assessment per case
            raise ConcurrencyConflict(f"{self._cls.__name__} {key} conflicts with a concurrent change") from error
        if result.rowcount != 1:
            raise ConcurrencyConflict(f"{self._cls.__name__} {key} changed since it was loaded (version {seen})")
        if self._children is not None:
            self._children(conn, item)
        self.seen[key] = item.version

    def for_case(self, case_id: UUID) -> tuple[A, ...]:
        """Oldest first, as the port says: in the order their first events were written (ids are random, so
        ordering by id listed a case's penalty proposals in any order, and unlike the memory store)."""
        c, h = self._table.c, t.history.c
        first = self._table.outerjoin(t.history, (h.aggregate_id == c.id) & (h.version == 1))
        rows = self._uow.connection.execute(
            select(c.version, c.body)
            .select_from(first)
            .where(c.case_id == str(case_id))
            .order_by(h.seq.is_(None), h.seq, c.id)
        ).all()
        return tuple(self._load(row) for row in rows)

    def all(self) -> tuple[A, ...]:
        c = self._table.c
        rows = self._uow.connection.execute(select(c.version, c.body).order_by(c.case_id, c.id)).all()
        return tuple(self._load(row) for row in rows)

    def clear(self) -> None:
        self.seen.clear()


class SqlFollowUps(SqlAggregates[FollowUp]):
    def open_due_before(self, instant: datetime) -> tuple[FollowUp, ...]:
        """Through the index on ``next_due``, the earliest open visit of each follow-up."""
        c = self._table.c
        rows = self._uow.connection.execute(
            select(c.version, c.body).where(c.next_due < instant).order_by(c.next_due, c.id)
        ).all()
        return tuple(self._load(row) for row in rows)


def return_columns(item: Return) -> dict[str, Any]:
    return {"case_id": str(item.case_id), "status": item.status.value}


def followup_columns(item: FollowUp) -> dict[str, Any]:
    return {"case_id": str(item.case_id), "next_due": item.next_due}


def assessment_columns(item: Assessment) -> dict[str, Any]:
    return {"case_id": str(item.case_id), "status": item.status.value}


def penalty_line_rows(conn: Connection, item: Assessment) -> None:
    aid = str(item.assessment_id)
    conn.execute(delete(t.penalty_lines).where(t.penalty_lines.c.assessment_id == aid))
    rows = [
        {
            "assessment_id": aid,
            "line": i,
            "person_id": line.party.id,
            "rule_id": line.rule_id,
            "amount_fen": to_fen(line.amount),
            "points": line.points,
        }
        for i, line in enumerate(item.lines)
    ]
    if rows:
        conn.execute(insert(t.penalty_lines), rows)


_OP_KINDS: dict[str, type[LedgerPost] | type[LedgerReverse] | type[LedgerClose]] = {
    "post": LedgerPost,
    "reverse": LedgerReverse,
    "close": LedgerClose,
}


def _op_kind(op: LedgerOp) -> str:
    return next(name for name, cls in _OP_KINDS.items() if isinstance(op, cls))


class SqlLedger:
    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow
        self.seen: int | None = None
        self.current: Ledger | None = None

    def load(self) -> Ledger:
        """The ledger; a writing unit of work first waits for the other writers of the ledger (a post, a close, a
        bonus or organisation import), so what it reads stays what it writes on."""
        if self.current is None:
            if not self._uow.is_read_only:
                serialise_writers(self._uow.connection, "ledger")
            rows = self._uow.connection.execute(
                select(t.ledger_ops.c.kind, t.ledger_ops.c.body).order_by(t.ledger_ops.c.seq)
            ).all()
            ledger = replay(serialization.loads(row.body, _OP_KINDS[row.kind]) for row in rows)
            self.current, self.seen = ledger, len(rows)
        return self.current

    def append(self, op: LedgerOp, entries: Sequence[LedgerEntry]) -> None:
        ledger = self.load()
        assert self.seen is not None
        seq = self.seen + 1
        conn = self._uow.connection
        try:
            conn.execute(
                insert(t.ledger_ops),
                {"seq": seq, "kind": _op_kind(op), "month": op.month, "body": serialization.dumps(op)},
            )
        except exc.IntegrityError as error:
            raise ConcurrencyConflict("the ledger changed since it was loaded") from error
        if entries:
            conn.execute(
                insert(t.ledger_entries),
                [
                    {
                        "seq": e.seq,
                        "op_seq": seq,
                        "kind": e.kind.value,
                        "person_id": e.person_id,
                        "month": e.month,
                        "case_id": str(e.case_id),
                        "rule_id": e.rule_id,
                        "amount_fen": to_fen(e.amount),
                        "capped": e.capped,
                    }
                    for e in entries
                ],
            )
        self.current, _, _ = apply_op(ledger, op)
        self.seen = seq

    def clear(self) -> None:
        self.seen = None
        self.current = None


class SqlDutyLog:
    """The periodic duties done (``duty_records``): one row per (policy, duty, period)."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def done(self, policy_id: str) -> frozenset[tuple[str, str]]:
        d = t.duty_records.c
        rows = self._uow.connection.execute(select(d.duty, d.period).where(d.policy_id == policy_id)).all()
        return frozenset((r.duty, r.period) for r in rows)

    def record(self, record: DutyRecord) -> None:
        values = {
            "policy_id": record.policy_id,
            "duty": record.name,
            "period": record.period,
            "done_at": record.done_at,
            "actor": record.actor,
            "note": record.note,
        }
        try:
            self._uow.connection.execute(insert(t.duty_records), values)
        except exc.IntegrityError as error:  # another writer recorded it since ``done``: the service re-reads
            raise ConcurrencyConflict(f"duty {record.name} for {record.period} is recorded already") from error
