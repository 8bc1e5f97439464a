"""The application over a database: every service wired to one SQL store.

``open_app(db)`` is what the CLI and the webhook server use; embedders may too.
Policies, calendars and the organisation come from the database (the presets
are always there), and the clock is injectable for tests and back-dated entry.

Opening is cheap, for a CLI that starts a process per command: the services
other than ``cases`` are built on first use, and a policy is parsed when it is
first asked for (a case command needs one, not every preset).
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from adapters.sql import Database
    from adapters.sql.uow import SqlUnitOfWork
    from complaint_core.duty_service import DutyService
    from complaint_core.followup_service import FollowUpService
    from complaint_core.penalty_service import PenaltyService
    from complaint_core.policy import Policy
    from complaint_core.ports import Clock, OrganisationSource
    from complaint_core.returns_service import ReturnService
    from complaint_core.services import CaseService


class App:
    """The services of one database; ``close()`` disposes of its engine."""

    def __init__(
        self, database: Database, uow: SqlUnitOfWork, cases: CaseService, organisation: OrganisationSource
    ) -> None:
        self.database = database
        self.uow = uow
        self.cases = cases
        self.organisation = organisation

    @cached_property
    def penalties(self) -> PenaltyService:
        from complaint_core.penalty_service import PenaltyService

        return PenaltyService(self.cases, self.organisation)

    @cached_property
    def returns(self) -> ReturnService:
        from complaint_core.returns_service import ReturnService

        return ReturnService(self.cases)

    @cached_property
    def followups(self) -> FollowUpService:
        from complaint_core.followup_service import FollowUpService

        return FollowUpService(self.cases)

    @cached_property
    def duties(self) -> DutyService:
        from complaint_core.duty_service import DutyService

        return DutyService(self.cases)

    def refresh_clock_index(self) -> tuple[int, tuple[str, ...]]:
        """The due times the sweep and the overdue lists read, computed again from the policies and calendars as
        they are now (``calendar import`` does it: a year just loaded, or corrected, gives the cases waiting for it
        their real due times). Returns how many cases were refreshed, and the ids of stored cases that do not load."""
        with self.uow as uow:
            found = uow.cases.refresh_index()
            uow.commit()
        return found

    def default_policy(self) -> Policy:
        """The policy new cases get unless told otherwise: ``complaint init``'s choice, else manufacturing."""
        return self.cases.policies.get(self.cases.default_policy or "manufacturing")

    def close(self) -> None:
        self.database.dispose()


def open_app(
    db: str | None = None,
    *,
    clock: Clock | None = None,
    default_policy: str | None = None,
    calendar_files: tuple[Path, ...] = (),
) -> App:
    from adapters.clock import SystemClock
    from adapters.sql import documents as docs
    from adapters.sql import open_database
    from adapters.sql.indexing import clock_indexer
    from adapters.stored_documents import StoredPolicies, stored_calendars
    from complaint_core.services import CaseService

    database = open_database(db)
    engine = database.engine
    policies = StoredPolicies(lambda: docs.all_versions(engine, "policy"))
    calendars = stored_calendars(docs.latest(engine, "calendar"))
    if calendar_files:
        from adapters.calendars import CalendarRegistry

        calendars = CalendarRegistry(calendar_files)
    uow = database.unit_of_work(clock_indexer(policies, calendars))
    cases = CaseService(
        uow=uow,
        policies=policies,
        calendars=calendars,
        clock=clock if clock is not None else SystemClock(),
        default_policy=default_policy or current_policy(database) or "manufacturing",
    )
    return App(database=database, uow=uow, cases=cases, organisation=docs.SqlOrganisation(database.engine))


def current_policy(database: Database) -> str | None:
    """The policy ``complaint init`` chose for this database (the newest ``default_policy`` setting)."""
    from adapters.sql import documents as docs

    found = [src for name, _, _, src in docs.latest(database.engine, "setting") if name == "default_policy"]
    return found[0].strip() if found else None
