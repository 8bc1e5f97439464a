"""The ports: what the core needs from the outside world, as ``typing.Protocol``s.

Adapters implement them (SQL, in-memory, system clock, calendar files); the core
and the services depend only on these shapes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self
from uuid import UUID

from .calendar import WorkingCalendar
from .case import Case
from .events import DomainEvent
from .policy import CalendarSettings, Policy


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...


class SerialSource(Protocol):
    def next_serial(self, policy_id: str, period: str) -> int:
        """The next unused serial of ``period`` (1, 2, …); never the same one twice."""
        ...


class CaseRepository(Protocol):
    def get(self, case_id: UUID) -> Case:
        """Raises ``NotFound``; remembers the version seen for ``save``."""
        ...

    def find_by_number(self, number: str) -> Case | None: ...

    def add(self, case: Case) -> None: ...

    def save(self, case: Case) -> None:
        """Raises ``ConcurrencyConflict`` when the stored version is not the one loaded."""
        ...

    def all(self) -> Iterable[Case]:
        """Every stored case (as this unit of work sees it); remembers versions."""
        ...

    def sweep_candidates(self, as_of: datetime) -> Iterable[Case]:
        """The cases the escalation sweep must look at ``as_of``; remembers versions.

        At least every case with a running clock due at or before ``as_of`` and every
        case with a late step still awaiting its inquiry; a superset is allowed (the
        sweep decides). A store shared by several workers hands each case to one of
        them at a time (``FOR UPDATE SKIP LOCKED``).
        """
        ...


class Outbox(Protocol):
    def add(self, events: Sequence[DomainEvent]) -> None: ...


class UnitOfWork(Protocol):
    """One transaction: ``with uow: …; uow.commit()``. Leaving without commit rolls back."""

    @property
    def cases(self) -> CaseRepository: ...

    @property
    def serials(self) -> SerialSource: ...

    @property
    def outbox(self) -> Outbox: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


class PolicySource(Protocol):
    def get(self, policy_id: str, version: int | None = None) -> Policy:
        """A policy by id and version (the latest when ``version`` is None); raises ``NotFound``."""
        ...


class CalendarSource(Protocol):
    def get(self, settings: CalendarSettings) -> WorkingCalendar:
        """The working calendar a policy names; raises ``NotFound``."""
        ...
