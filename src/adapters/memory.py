"""In-memory storage: a unit of work over dictionaries, with the same contract as SQL.

Used by embedders who need no database, by the demo, and as the fakes of the
service tests. A unit of work stages its writes and applies them on commit,
checking versions then, so a lost update raises ``ConcurrencyConflict`` here too.

One difference is the SQL stores' own: their columns' limits (``NotStorable``,
STORE-LIMIT: text longer than its column, a NUL character) are not checked here,
so input a test accepts in memory may still be refused there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Generic, Self, TypeVar
from uuid import UUID

import attrs

from complaint_core.assessment import Assessment
from complaint_core.case import Case
from complaint_core.duties import DutyRecord
from complaint_core.errors import ConcurrencyConflict, NotFound
from complaint_core.events import DomainEvent
from complaint_core.followup import FollowUp
from complaint_core.intake import customer_key
from complaint_core.ledger import Ledger, LedgerEntry
from complaint_core.ledger_journal import LedgerOp, apply_op
from complaint_core.responsibility import PartyKind
from complaint_core.returns import Return

from .policy_table import MemoryPolicies

__all__ = ["MemoryAggregates", "MemoryLedger", "MemoryPolicies", "MemoryStore", "MemoryUnitOfWork"]

A = TypeVar("A")


@attrs.define
class MemoryStore:
    cases: dict[UUID, Case] = attrs.Factory(dict)
    serials: dict[tuple[str, str], int] = attrs.Factory(dict)
    outbox: list[DomainEvent] = attrs.Factory(list)
    numbers: dict[str, UUID] = attrs.Factory(dict)
    returns: dict[UUID, Return] = attrs.Factory(dict)
    followups: dict[UUID, FollowUp] = attrs.Factory(dict)
    assessments: dict[UUID, Assessment] = attrs.Factory(dict)
    ledger_ops: list[LedgerOp] = attrs.Factory(list)
    ledger: Ledger = attrs.Factory(Ledger)
    duties: dict[tuple[str, str, str], DutyRecord] = attrs.Factory(dict)  # (policy id, duty, period)


class _Tracked:
    """A repository that joins its unit of work's ``touched`` list the first time a transaction uses it.

    Commit and rollback then visit only the repositories a transaction used: most
    transactions touch one case and nothing else.
    """

    def __init__(self, touched: list[_Tracked] | None = None) -> None:
        self._touched = touched if touched is not None else []
        self._in_use = False

    def _use(self) -> None:
        if not self._in_use:
            self._in_use = True
            self._touched.append(self)

    def check(self) -> None:
        """Raise ``ConcurrencyConflict`` if a staged write would lose an update."""

    def apply(self) -> None:
        """Write the staged changes to the store."""

    def clear(self) -> None:
        self._in_use = False


class MemoryAggregates(_Tracked, Generic[A]):
    """Returns, follow-ups or assessments in a dictionary, with staged writes checked on commit."""

    def __init__(self, items: dict[UUID, A], key: Callable[[A], UUID], touched: list[_Tracked] | None = None) -> None:
        super().__init__(touched)
        self._items = items
        self._key = key
        self.seen: dict[UUID, int] = {}
        self.staged: dict[UUID, A] = {}
        self.added: set[UUID] = set()

    def get(self, aggregate_id: UUID) -> A:
        self._use()
        item = self.staged.get(aggregate_id) or self._items.get(aggregate_id)
        if item is None:
            raise NotFound(f"no {aggregate_id}")
        self.seen.setdefault(aggregate_id, _version(item))
        return item

    def add(self, item: A) -> None:
        self._use()
        key = self._key(item)
        if key in self._items or key in self.staged:
            raise ConcurrencyConflict(f"{key} exists already")
        self.staged[key] = item
        self.added.add(key)

    def save(self, item: A) -> None:
        self._use()
        key = self._key(item)
        if key not in self.seen and key not in self.added:
            raise NotFound(f"{key} was not loaded in this unit of work")
        self.staged[key] = item

    def _current(self) -> list[tuple[UUID, A]]:
        """Every item as this transaction sees it (its staged writes first-hand), without marking it loaded."""
        staged, items = self.staged, self._items
        return [(k, staged.get(k) or items[k]) for k in [*items, *(k for k in staged if k not in items)]]

    def for_case(self, case_id: UUID) -> tuple[A, ...]:
        return tuple(self.get(k) for k, item in self._current() if _case_of(item) == case_id)

    def all(self) -> tuple[A, ...]:
        return tuple(self.get(k) for k, _ in self._current())

    def check(self) -> None:
        for key in self.staged:
            current = self._items.get(key)
            if key in self.added:
                if current is not None:
                    raise ConcurrencyConflict(f"{key} exists already")
            elif current is None or _version(current) != self.seen[key]:
                raise ConcurrencyConflict(f"{key} changed since it was loaded")

    def apply(self) -> None:
        self._items.update(self.staged)

    def clear(self) -> None:
        super().clear()
        self.seen.clear()
        self.staged.clear()
        self.added.clear()


class MemoryFollowUps(MemoryAggregates[FollowUp]):
    def open_due_before(self, instant: datetime) -> tuple[FollowUp, ...]:
        """No index here: every follow-up whose earliest open visit is due before ``instant``."""
        return tuple(self.get(k) for k, item in self._current() if (due := item.next_due) is not None and due < instant)


def _version(item: object) -> int:
    return int(getattr(item, "version"))  # noqa: B009 - every aggregate has one


def _case_of(item: object) -> UUID:
    return getattr(item, "case_id")  # type: ignore[no-any-return]  # noqa: B009


class MemoryLedger(_Tracked):
    def __init__(self, store: MemoryStore, touched: list[_Tracked] | None = None) -> None:
        super().__init__(touched)
        self._store = store
        self.seen: int | None = None
        self.staged: list[LedgerOp] = []
        self.current: Ledger | None = None

    def load(self) -> Ledger:
        self._use()
        if self.current is None:
            self.current = self._store.ledger
            self.seen = len(self._store.ledger_ops)
        return self.current

    def append(self, op: LedgerOp, entries: Sequence[LedgerEntry]) -> None:
        ledger = self.load()
        self.current, _, _ = apply_op(ledger, op)
        self.staged.append(op)

    def check(self) -> None:
        if self.staged and self.seen != len(self._store.ledger_ops):
            raise ConcurrencyConflict("the ledger changed since it was loaded")

    def apply(self) -> None:
        if self.staged and self.current is not None:
            self._store.ledger_ops.extend(self.staged)
            self._store.ledger = self.current

    def clear(self) -> None:
        super().clear()
        self.seen = None
        self.staged = []
        self.current = None


class MemoryDutyLog(_Tracked):
    def __init__(self, store: MemoryStore, touched: list[_Tracked] | None = None) -> None:
        super().__init__(touched)
        self._store = store
        self.staged: dict[tuple[str, str, str], DutyRecord] = {}

    def done(self, policy_id: str) -> frozenset[tuple[str, str]]:
        records = [*self._store.duties.values(), *self.staged.values()]
        return frozenset(r.key for r in records if r.policy_id == policy_id)

    def record(self, record: DutyRecord) -> None:
        self._use()
        key = (record.policy_id, record.name, record.period)
        if key in self._store.duties or key in self.staged:
            raise ConcurrencyConflict(f"duty {record.name} for {record.period} is recorded already")
        self.staged[key] = record

    def check(self) -> None:
        taken = [k for k in self.staged if k in self._store.duties]
        if taken:
            raise ConcurrencyConflict(f"duty {taken[0][1]} for {taken[0][2]} was recorded meanwhile")

    def apply(self) -> None:
        self._store.duties.update(self.staged)

    def clear(self) -> None:
        super().clear()
        self.staged = {}


class MemoryCaseRepository:
    """The cases of one transaction: ``read`` holds each case as first read (``None`` when added here), ``staged`` the writes.

    The store replaces a case object on every committed write, so "changed since it
    was read" is an identity check on commit. The transaction's own maps are keyed by
    ``case_id.int``: a UUID hashes in Python code, an int in C.
    """

    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self.read: dict[int, Case | None] = {}
        self.staged: dict[int, Case] = {}

    def get(self, case_id: UUID, *, for_update: bool = False) -> Case:
        """``for_update`` changes nothing here: one transaction runs at a time."""
        case = self.staged.get(case_id.int) if self.staged else None
        if case is None:
            case = self._store.cases.get(case_id)
            if case is None:
                raise NotFound(f"no case {case_id}")
            self.read.setdefault(case_id.int, case)
        return case

    def find_by_number(self, number: str, *, for_update: bool = False) -> Case | None:
        for case in self.staged.values():
            if case.number == number:
                return case
        case_id = self._store.numbers.get(number)
        if case_id is None:
            return None
        case = self.get(case_id)
        return case if case.number == number else None  # renumbered in this transaction

    def add(self, case: Case) -> None:
        key = case.case_id.int
        if case.case_id in self._store.cases or key in self.staged:
            raise ConcurrencyConflict(f"case {case.case_id} exists already")
        if case.number and self.find_by_number(case.number) is not None:
            raise ConcurrencyConflict(f"case number {case.number} is taken")
        self.staged[key] = case
        self.read[key] = None

    def all(self) -> Iterable[Case]:
        """Every case, staged writes first-hand; each is marked as loaded so it may be saved."""
        stored = self._store.cases
        added = [c.case_id for c in self.staged.values() if c.case_id not in stored]
        for case_id in [*stored, *added]:
            yield self.get(case_id)

    def sweep_candidates(self, as_of: datetime) -> Iterable[Case]:
        """No index here: every case (the sweep itself skips those with nothing due)."""
        return self.all()

    def of_customer(self, customer: str) -> Iterable[Case]:
        name = customer_key(customer)
        return [case for case in self.all() if customer_key(case.intake.customer) == name]

    def attributed_to(self, person_id: str, received_from: datetime, received_before: datetime) -> Iterable[Case]:
        found = [
            case
            for case in self.all()
            if received_from <= case.received_at < received_before
            and case.causer is not None
            and case.causer.names(PartyKind.PERSON, person_id)
        ]
        return sorted(found, key=lambda case: (case.received_at, str(case.case_id)))

    def save(self, case: Case) -> None:
        key = case.case_id.int
        if key not in self.read:
            raise NotFound(f"case {case.case_id} was not loaded in this unit of work")
        self.staged[key] = case

    def check(self) -> list[tuple[str, UUID]]:
        """Refuse a commit that would lose an update or reuse a number; returns the numbers to record."""
        stored = self._store.cases
        numbers = self._store.numbers
        read = self.read
        renumbered: list[tuple[str, UUID]] = []
        for key, case in self.staged.items():
            case_id = case.case_id
            current = stored.get(case_id)
            if current is not read[key]:
                if read[key] is None:
                    raise ConcurrencyConflict(f"case {case_id} exists already")
                raise ConcurrencyConflict(f"case {case_id} changed since it was loaded")
            number = case.number
            if number is not None and (current is None or current.number != number):
                if numbers.get(number, case_id) != case_id:
                    raise ConcurrencyConflict(f"case number {number} is taken")
                renumbered.append((number, case_id))
        return renumbered

    def write(self) -> None:
        stored = self._store.cases
        for case in self.staged.values():
            stored[case.case_id] = case

    def clear(self) -> None:
        if self.read:
            self.read = {}
            self.staged = {}


class MemorySerials:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self.staged: dict[tuple[str, str], int] = {}

    def next_serial(self, policy_id: str, period: str) -> int:
        key = (policy_id, period)
        value = self.staged.get(key, self._store.serials.get(key, 0)) + 1
        self.staged[key] = value
        return value


class MemoryOutbox:
    def __init__(self) -> None:
        self.staged: list[DomainEvent] = []

    def add(self, events: Sequence[DomainEvent]) -> None:
        self.staged.extend(events)


class MemoryUnitOfWork:
    """Each ``with`` block is a fresh transaction over the shared store; not for use by two threads at once."""

    def __init__(self, store: MemoryStore | None = None) -> None:
        self.store = store if store is not None else MemoryStore()
        self.cases = MemoryCaseRepository(self.store)
        self.serials = MemorySerials(self.store)
        self.outbox = MemoryOutbox()
        self._touched: list[_Tracked] = []
        touched = self._touched
        self.returns: MemoryAggregates[Return] = MemoryAggregates(self.store.returns, lambda r: r.return_id, touched)
        self.followups = MemoryFollowUps(self.store.followups, lambda f: f.followup_id, touched)
        self.assessments: MemoryAggregates[Assessment] = MemoryAggregates(
            self.store.assessments, lambda a: a.assessment_id, touched
        )
        self.ledger = MemoryLedger(self.store, touched)
        self.duties = MemoryDutyLog(self.store, touched)

    def __enter__(self) -> Self:
        return self  # every exit rolls back what was not committed, so a transaction starts clean

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.cases.read or self._touched or self.serials.staged or self.outbox.staged:
            self.rollback()  # commit leaves nothing behind; this is a failed or read-only transaction

    def commit(self) -> None:
        store = self.store
        cases = self.cases
        renumbered = cases.check() if cases.staged else ()
        touched = self._touched
        for repository in touched:
            repository.check()
        cases.write()
        for repository in touched:
            repository.apply()
        for number, case_id in renumbered:
            store.numbers[number] = case_id
        if self.serials.staged:
            store.serials.update(self.serials.staged)
        store.outbox.extend(self.outbox.staged)
        self.rollback()  # everything staged is written; start the next transaction clean

    def rollback(self) -> None:
        self.cases.clear()
        if self._touched:
            for repository in self._touched:
                repository.clear()
            self._touched.clear()
        if self.serials.staged:
            self.serials.staged = {}
        if self.outbox.staged:
            self.outbox.staged = []
