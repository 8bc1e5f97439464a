"""In-memory storage: a unit of work over dictionaries, with the same contract as SQL.

Used by embedders who need no database, by the demo, and as the fakes of the
service tests. A unit of work stages its writes and applies them on commit,
checking versions then, so a lost update raises ``ConcurrencyConflict`` here too.
"""

from __future__ import annotations

from collections.abc import Sequence
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
        for case in (*self.staged.values(), *self._store.cases.values()):
            if case.number == number:
                return case
        return None

    def add(self, case: Case) -> None:
        if case.case_id in self._store.cases or case.case_id in self.staged:
            raise ConcurrencyConflict(f"case {case.case_id} exists already")
        if case.number and self.find_by_number(case.number) is not None:
            raise ConcurrencyConflict(f"case number {case.number} is taken")
        self.staged[case.case_id] = case
        self.added.add(case.case_id)

    def save(self, case: Case) -> None:
        if case.case_id not in self.seen:
            raise NotFound(f"case {case.case_id} was not loaded in this unit of work")
        self.staged[case.case_id] = case


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
    """Reusable: each ``with`` block is a fresh transaction over the shared store."""

    cases: MemoryCaseRepository
    serials: MemorySerials
    outbox: MemoryOutbox

    def __init__(self, store: MemoryStore | None = None) -> None:
        self.store = store if store is not None else MemoryStore()
        self.committed = 0

    def __enter__(self) -> Self:
        self.cases = MemoryCaseRepository(self.store)
        self.serials = MemorySerials(self.store)
        self.outbox = MemoryOutbox()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.rollback()

    def commit(self) -> None:
        store = self.store
        for case_id, _case in self.cases.staged.items():
            current = store.cases.get(case_id)
            if case_id in self.cases.added:
                if current is not None:
                    raise ConcurrencyConflict(f"case {case_id} exists already")
            elif current is None or current.version != self.cases.seen[case_id]:
                raise ConcurrencyConflict(f"case {case_id} changed since it was loaded")
        store.cases.update(self.cases.staged)
        store.serials.update(self.serials.staged)
        store.outbox.extend(self.outbox.staged)
        self.committed += 1
        self.rollback()

    def rollback(self) -> None:
        self.cases.staged.clear()
        self.cases.added.clear()
        self.serials.staged.clear()
        self.outbox.staged.clear()


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
