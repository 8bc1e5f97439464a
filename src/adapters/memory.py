"""In-memory storage: a unit of work over dictionaries, with the same contract as SQL.

Used by embedders who need no database, by the demo, and as the fakes of the
service tests. A unit of work stages its writes and applies them on commit,
checking versions then, so a lost update raises ``ConcurrencyConflict`` here too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Self
from uuid import UUID

import attrs

from complaint_core.case import Case
from complaint_core.errors import ConcurrencyConflict, NotFound
from complaint_core.events import DomainEvent
from complaint_core.policy import Policy


@attrs.define
class MemoryStore:
    cases: dict[UUID, Case] = attrs.Factory(dict)
    serials: dict[tuple[str, str], int] = attrs.Factory(dict)
    outbox: list[DomainEvent] = attrs.Factory(list)
    numbers: dict[str, UUID] = attrs.Factory(dict)


class MemoryCaseRepository:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self.seen: dict[UUID, int] = {}
        self.staged: dict[UUID, Case] = {}
        self.added: set[UUID] = set()

    def get(self, case_id: UUID) -> Case:
        case = self.staged.get(case_id) or self._store.cases.get(case_id)
        if case is None:
            raise NotFound(f"no case {case_id}")
        self.seen.setdefault(case_id, case.version)
        return case

    def find_by_number(self, number: str) -> Case | None:
        for case in self.staged.values():
            if case.number == number:
                return case
        case_id = self._store.numbers.get(number)
        return self._store.cases[case_id] if case_id is not None else None

    def add(self, case: Case) -> None:
        if case.case_id in self._store.cases or case.case_id in self.staged:
            raise ConcurrencyConflict(f"case {case.case_id} exists already")
        if case.number and self.find_by_number(case.number) is not None:
            raise ConcurrencyConflict(f"case number {case.number} is taken")
        self.staged[case.case_id] = case
        self.added.add(case.case_id)

    def all(self) -> Iterable[Case]:
        """Every case, staged writes first-hand; each is marked as loaded so it may be saved."""
        for case_id in [*self._store.cases, *(i for i in self.staged if i not in self._store.cases)]:
            yield self.get(case_id)

    def sweep_candidates(self, as_of: datetime) -> Iterable[Case]:
        """No index here: every case (the sweep itself skips those with nothing due)."""
        return self.all()

    def save(self, case: Case) -> None:
        if case.case_id not in self.seen:
            raise NotFound(f"case {case.case_id} was not loaded in this unit of work")
        self.staged[case.case_id] = case

    def clear(self) -> None:
        if self.staged or self.seen:
            self.seen.clear()
            self.staged.clear()
            self.added.clear()


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
        self.committed = 0

    def __enter__(self) -> Self:
        return self  # every exit rolls back what was not committed, so a transaction starts clean

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.rollback()

    def commit(self) -> None:
        store = self.store
        cases = self.cases
        stored = store.cases
        for case_id in cases.staged:
            current = stored.get(case_id)
            if case_id in cases.added:
                if current is not None:
                    raise ConcurrencyConflict(f"case {case_id} exists already")
            elif current is None or current.version != cases.seen[case_id]:
                raise ConcurrencyConflict(f"case {case_id} changed since it was loaded")
        stored.update(cases.staged)
        numbers = store.numbers
        for case_id, case in cases.staged.items():
            number = case.number
            if number is not None and number not in numbers:
                numbers[number] = case_id
        if self.serials.staged:
            store.serials.update(self.serials.staged)
        store.outbox.extend(self.outbox.staged)
        self.committed += 1
        self.rollback()

    def rollback(self) -> None:
        self.cases.clear()
        if self.serials.staged:
            self.serials.staged.clear()
        if self.outbox.staged:
            self.outbox.staged = []


class MemoryPolicies:
    """Policies by id and version, e.g. the presets or files loaded at start-up."""

    def __init__(self, policies: Sequence[Policy] = ()) -> None:
        self._by_key: dict[tuple[str, int], Policy] = {}
        for policy in policies:
            self.add(policy)

    def add(self, policy: Policy) -> None:
        key = (policy.policy_id, policy.version)
        if key in self._by_key and self._by_key[key] != policy:
            raise ConcurrencyConflict(f"policy {policy.policy_id} v{policy.version} exists with other content")
        self._by_key[key] = policy

    def get(self, policy_id: str, version: int | None = None) -> Policy:
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
