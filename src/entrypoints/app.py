"""The application over a database: every service wired to one SQL store.

``open_app(db)`` is what the CLI and the webhook server use; embedders may too.
Policies, calendars and the organisation come from the database (the presets
are always there), and the clock is injectable for tests and back-dated entry.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from complaint_core.followup_service import FollowUpService
from complaint_core.penalty_service import PenaltyService
from complaint_core.ports import Clock, OrganisationSource
from complaint_core.returns_service import ReturnService
from complaint_core.services import CaseService

if TYPE_CHECKING:
    from adapters.sql import Database
    from adapters.sql.uow import SqlUnitOfWork


@attrs.frozen
class App:
    database: Database
    uow: SqlUnitOfWork
    cases: CaseService
    penalties: PenaltyService
    returns: ReturnService
    followups: FollowUpService
    organisation: OrganisationSource

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

    database = open_database(db)
    policies = docs.policies(database.engine)
    calendars = docs.calendars(database.engine)
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
    organisation = docs.SqlOrganisation(database.engine)
    return App(
        database=database,
        uow=uow,
        cases=cases,
        penalties=PenaltyService(cases, organisation),
        returns=ReturnService(cases),
        followups=FollowUpService(cases),
        organisation=organisation,
    )


def current_policy(database: Database) -> str | None:
    """The policy ``complaint init`` chose for this database (the newest ``default_policy`` setting)."""
    from adapters.sql import documents as docs

    found = [src for name, _, _, src in docs.latest(database.engine, "setting") if name == "default_policy"]
    return found[0].strip() if found else None
