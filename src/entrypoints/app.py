"""The application over a database: every service wired to one SQL store.

``open_app(db)`` is what the CLI and the webhook server use; embedders may too.
Policies, calendars and the organisation come from the database (the presets
are always there), and the clock is injectable for tests and back-dated entry.

Opening is cheap, for a CLI that starts a process per command: the services
other than ``cases`` are built on first use, and a policy is parsed when it is
first asked for (a case command needs one, not every preset).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from adapters.sql import Database
    from adapters.sql.uow import SqlUnitOfWork
    from complaint_core.duty_service import DutyService
    from complaint_core.followup_service import FollowUpService
    from complaint_core.ledger import Ledger
    from complaint_core.organisation import Organisation
    from complaint_core.penalty_service import PenaltyService
    from complaint_core.policy import Policy
    from complaint_core.ports import Clock, OrganisationSource
    from complaint_core.returns_service import ReturnService
    from complaint_core.services import CaseService, Progress


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

    def import_organisation(self, org: Organisation, *, text: str | None = None, source: str = "organisation") -> int:
        """Store ``org`` as the current organisation, a new version (what ``complaint org import`` does): the one
        ``penalties`` assesses with and whose bonuses the ledger closes on. ``text`` is the TOML kept as its source
        (default: ``org`` written out); ``source`` names it in errors. Returns the version.

        Refused (``OrganisationInvalid``, nothing stored): no departments; and bonuses that would not stay
        consistent: a person dropped while bonuses imported by ``bonus import`` (which take precedence over the
        organisation's) name them, a bonus differing from an imported one, a closed month's bonus changed or
        dropped, a bonus forfeited by a posted major demerit changed (P1-PEN-06)."""
        from adapters.organisation_files import dumps_organisation, loads_organisation
        from adapters.sql import documents as docs
        from complaint_core.organisation import OrganisationInvalid

        if not org.departments:
            raise OrganisationInvalid(source, "no departments")
        if text is not None and loads_organisation(text, source) != org:
            raise OrganisationInvalid(source, "the text given as its source is not this organisation")
        stored = text if text is not None else dumps_organisation(org)
        at = self.cases.clock.now()
        with self.uow as uow:
            # the ledger first: a month close or an approval waits for this import, and this one reads theirs
            self._check_bonuses_kept(org, source, uow.ledger.load())
            version = docs.store(uow.connection, kind="organisation", name="organisation", source=stored, fmt="toml",
                                 at=at)  # fmt: skip
            uow.commit()
        return version

    def import_bonuses(self, rows: Sequence[tuple[str, tuple[str, str, Decimal]]]) -> int:
        """Store the bonuses of (person, month) (what ``complaint bonus import`` does); they take precedence over the
        organisation's. Each row is (where, (person, month, amount)), ``where`` naming it in errors (``file line
        3``). Returns how many were stored.

        Refused (``OrganisationInvalid``, nothing stored): a person not in the stored organisation (``NotFound``
        when none is stored), a month the ledger has closed (its close used the bonuses of the day), a bonus
        forfeited by a posted major demerit changed (P1-PEN-06). Checked and stored in one transaction that a
        month close or an approval waits for, or waits for."""
        from adapters.sql.documents import store_bonuses
        from complaint_core.errors import NotFound
        from complaint_core.organisation import OrganisationInvalid
        from complaint_core.penalty_service import check_forfeited

        with self.uow as uow:
            ledger = uow.ledger.load()  # first, as in a month close
            try:
                current = self.organisation.get()
            except NotFound:  # unchecked, a mistyped person would be kept for good and refuse every organisation
                raise NotFound(
                    "no organisation loaded: bonuses are checked against its people; "
                    "run `complaint org import FILE` first"
                ) from None
            known = {p.id for p in current.people}
            closed = set(ledger.closed_months)
            for where, (person, month, amount) in rows:
                if person not in known:
                    raise OrganisationInvalid(where, f"unknown person {person!r}")
                if month in closed:  # the close used that month's bonuses; a new one would only disagree with it
                    raise OrganisationInvalid(where, f"{month} is closed in the ledger: its bonuses are final")
                check_forfeited(ledger, person, month, current.bonus(person, month), amount, where)
            count = store_bonuses(uow.connection, [row for _, row in rows])
            uow.commit()
        return count

    def _check_bonuses_kept(self, org: Organisation, source: str, ledger: Ledger) -> None:
        """An organisation replaces the stored one only if the bonuses stay consistent: the imported ones
        (``bonus import``, which take precedence over a file's) must name its people, or every command reading the
        organisation would fail; and the file may not change a bonus already imported or a closed month's."""
        from decimal import Decimal

        from adapters.sql.documents import SqlOrganisation
        from complaint_core.errors import NotFound
        from complaint_core.organisation import OrganisationInvalid
        from complaint_core.penalty_service import check_forfeited

        try:
            current = self.organisation.get()
        except NotFound:
            current = None
        imported = SqlOrganisation(self.database.engine).imported_bonuses()
        closed = set(ledger.closed_months)
        people = {p.id for p in org.people}
        for person, month in sorted(imported):
            if person not in people:
                raise OrganisationInvalid(
                    source,
                    f"bonus import stored a bonus of {person} for {month}, and {person} is not in this organisation: "
                    "a person stays listed while bonuses of theirs are kept",
                )
        for (person, month), amount in sorted(org.bonuses.items()):
            before = imported.get((person, month))
            if before is not None and before != amount:
                raise OrganisationInvalid(
                    f"{source} bonuses ({person}, {month})",
                    f"{amount:.2f}, but bonus import stored {before:.2f}, which takes precedence: change it with "
                    "bonus import",
                )
        # the bonuses as they will read, against those stored: the file's, and those it leaves out
        after = {**org.bonuses, **imported}
        stored = current.bonuses if current is not None else {}
        for person, month in sorted({*after, *stored}):
            before, now = stored.get((person, month)), after.get((person, month))
            where = f"{source} bonuses ({person}, {month})"
            if month in closed and before != now:
                raise OrganisationInvalid(where, f"{month} is closed in the ledger: its bonuses are final")
            zero = Decimal("0.00")
            check_forfeited(ledger, person, month, before or zero, now or zero, where)

    def import_calendar(
        self,
        *,
        name: str,
        source: str,
        fmt: str,
        since: datetime | None = None,
        progress: Progress | None = None,
    ) -> tuple[int, int, tuple[str, ...]]:
        """Store a calendar file (its text ``source`` in ``fmt``, checked by the caller) as the next version of the
        calendar ``name`` (what ``complaint calendar import`` does), and compute again with it the due times the
        sweep and the overdue lists read, in one transaction: interrupted, nothing is stored, never a new calendar
        beside due times of the old one that the sweep would go on reading.

        Refreshed: cases with a running clock or a pending inquiry, and those with a clock started at or after
        ``since`` (the CLI passes the year before the file's first: a year just loaded, or corrected, gives the
        cases waiting for it their real due times, and a closed one found late its inquiry). Returns the version,
        how many cases were refreshed and the ids of stored cases that do not load; ``progress(done, total)`` is told
        after each case. Later commands of this ``App`` keep the calendars it opened with: open another to use the
        new one."""
        from adapters.sql import documents as docs
        from adapters.sql.indexing import clock_indexer
        from adapters.stored_documents import stored_calendars

        at = self.cases.clock.now()
        with self.uow as uow:
            version = docs.store(uow.connection, kind="calendar", name=name, source=source, fmt=fmt, at=at)
            calendars = stored_calendars(docs.latest(uow.connection, "calendar"))  # this version among them
            indexer = clock_indexer(self.cases.policies, calendars)
            refreshed, unreadable = uow.cases.refresh_index(since, indexer=indexer, progress=progress)
            uow.commit()
        return version, refreshed, unreadable

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
    calendar_files: Sequence[Path] = (),
    max_ahead: timedelta | None = None,
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
        max_ahead=max_ahead,
    )
    return App(database=database, uow=uow, cases=cases, organisation=docs.SqlOrganisation(database.engine))


def current_policy(database: Database) -> str | None:
    """The policy ``complaint init`` chose for this database (the newest ``default_policy`` setting)."""
    from adapters.sql import documents as docs

    found = [src for name, _, _, src in docs.latest(database.engine, "setting") if name == "default_policy"]
    return found[0].strip() if found else None
