"""The ports: what the core needs from the outside world, as ``typing.Protocol``s.

Adapters implement them (SQL, in-memory, system clock, calendar files); the core
and the services depend only on these shapes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self, TypeVar

if TYPE_CHECKING:  # annotations only: importing the ports loads no aggregate module
    from uuid import UUID

    from .assessment import Assessment
    from .calendar import WorkingCalendar
    from .case import Case
    from .duties import DutyRecord
    from .events import DomainEvent
    from .followup import FollowUp
    from .ledger import Ledger, LedgerEntry
    from .ledger_journal import LedgerOp
    from .organisation import Organisation
    from .policy import CalendarSettings, Policy
    from .returns import Return


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...


class SerialSource(Protocol):
    def next_serial(self, policy_id: str, period: str) -> int:
        """The next unused serial of ``period`` (1, 2, …); never the same one twice."""
        ...


class CaseRepository(Protocol):
    def get(self, case_id: UUID, *, for_update: bool = False) -> Case:
        """Raises ``NotFound``; remembers the version seen for ``save``.

        ``for_update``: the caller means to save the case. A store shared by several writers then makes two writing
        transactions of one case take turns, the second reading what the first committed, instead of both reading
        one version and all but one failing with ``ConcurrencyConflict``."""
        ...

    def find_by_number(self, number: str, *, for_update: bool = False) -> Case | None:
        """Like ``get``, by the case number: remembers the version seen for ``save``."""
        ...

    def add(self, case: Case) -> None: ...

    def save(self, case: Case) -> None:
        """Raises ``ConcurrencyConflict`` when the stored version is not the one loaded."""
        ...

    def all(self) -> Iterable[Case]:
        """Every stored case (as this unit of work sees it); remembers versions."""
        ...

    def of_customer(self, customer: str) -> Iterable[Case]:
        """The cases of one customer, compared by ``intake.customer_key``; for counting repeats."""
        ...

    def attributed_to(self, person_id: str, received_from: datetime, received_before: datetime) -> Iterable[Case]:
        """The cases whose causer names the person ``person_id``, received from ``received_from`` up to (not
        including) ``received_before``, oldest first: the complaints against a person in a month (F4-PN-01).

        A store shared by several writers makes two writing transactions that ask for the same person take turns
        (the count and the charges it reads must include a decision committed meanwhile)."""
        ...

    def sweep_candidates(self, as_of: datetime) -> Iterable[Case]:
        """The cases the escalation sweep must look at ``as_of``; remembers versions.

        At least every case with a running clock due at or before ``as_of`` and every
        case with a late step still awaiting its inquiry; a superset is allowed (the
        sweep decides). A store shared by several workers hands each case to one of
        them at a time (``FOR UPDATE SKIP LOCKED``). Stored cases that do not load are
        passed over and named at the end (``CasesUnreadable``), after every other one.
        """
        ...


A = TypeVar("A")


class AggregateRepository(Protocol[A]):
    """Returns, follow-ups and penalty assessments: stored whole, versioned like cases."""

    def get(self, aggregate_id: UUID) -> A:
        """Raises ``NotFound``; remembers the version seen for ``save``."""
        ...

    def add(self, item: A) -> None: ...

    def save(self, item: A) -> None:
        """Raises ``ConcurrencyConflict`` when the stored version is not the one loaded."""
        ...

    def for_case(self, case_id: UUID) -> tuple[A, ...]:
        """Every one belonging to the case, oldest first; remembers versions."""
        ...

    def all(self) -> tuple[A, ...]:
        """Every one, of every case, in one read (reports); remembers versions."""
        ...


class FollowUpRepository(AggregateRepository["FollowUp"], Protocol):
    def open_due_before(self, instant: datetime) -> tuple[FollowUp, ...]:
        """At least every follow-up with an open visit due before ``instant`` (a superset is allowed); remembers versions.

        Stores keep the earliest open due of each follow-up indexed, so a daily
        "what is due" never reads every case.
        """
        ...


class LedgerStore(Protocol):
    """The penalty ledger, kept as its journal of operations (``ledger_journal``)."""

    def load(self) -> Ledger:
        """The ledger as of now; remembers how many operations it has seen. A store shared by several writers
        makes the writing transactions that load it take turns, the bonuses' writers too (``close_month`` reads
        the month's bonuses after it, and an import cannot change them before its close commits)."""
        ...

    def append(self, op: LedgerOp, entries: Sequence[LedgerEntry]) -> None:
        """Records ``op``; ``ConcurrencyConflict`` when another writer appended since ``load``."""
        ...


class DutyLog(Protocol):
    """The periodic duties done (``duties.DutyRecord``), per policy."""

    def done(self, policy_id: str) -> frozenset[tuple[str, str]]:
        """(duty, period) of every duty recorded as done under ``policy_id``."""
        ...

    def record(self, record: DutyRecord) -> None:
        """Records ``record``; ``ConcurrencyConflict`` when the period is recorded already (at commit the latest)."""
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

    @property
    def returns(self) -> AggregateRepository[Return]: ...

    @property
    def followups(self) -> FollowUpRepository: ...

    @property
    def assessments(self) -> AggregateRepository[Assessment]: ...

    @property
    def ledger(self) -> LedgerStore: ...

    @property
    def duties(self) -> DutyLog: ...

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


class OrganisationSource(Protocol):
    def get(self) -> Organisation:
        """The current organisation with its monthly bonuses; raises ``NotFound`` when none is loaded."""
        ...


class CalendarSource(Protocol):
    def get(self, settings: CalendarSettings) -> WorkingCalendar:
        """The working calendar a policy names; raises ``NotFound``."""
        ...
