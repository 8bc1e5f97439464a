"""Use cases of follow-up visits (DOMAIN §9): schedule after closure, record attempts, open second complaints."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID, uuid4

from .case import Case
from .errors import RuleViolation
from .followup import RULE_SCHEDULE, FollowUp, Triggers, open_second_complaint, second_complaint_intake
from .ports import UnitOfWork
from .services import CaseService, in_transaction
from .timeutil import require_date


class FollowUpService:
    def __init__(self, cases: CaseService, *, new_id: Callable[[], UUID] = uuid4) -> None:
        self.cases = cases
        self.new_id = new_id

    def schedule(
        self,
        ref: str | UUID,
        *,
        actor: str,
        rework_delivered_on: date | None = None,
        at: datetime | None = None,
    ) -> FollowUp:
        """Schedule the visits the policy plans for a closed case; a rework visit counts from
        ``rework_delivered_on``, else from the day the policy's rework-delivery milestone was reached."""
        moment = self.cases.moment(at)

        def work(uow: UnitOfWork) -> FollowUp:
            case = self.cases._load(uow, ref)
            existing = uow.followups.for_case(case.case_id)
            when = moment()
            if existing:
                raise RuleViolation(
                    f"case {case.reference} has its follow-up already ({existing[0].followup_id})", rule=RULE_SCHEDULE
                )
            policy = self.cases.policy_of(case)
            followup, events = FollowUp.schedule(
                policy,
                case,
                followup_id=self.new_id(),
                triggers=Triggers.from_case(case, rework_delivered_on=rework_delivered_on, policy=policy),
                at=when,
                actor=actor,
                calendar=self.cases.calendar_for(policy),
            )
            uow.followups.add(followup)
            uow.outbox.add(events)
            uow.commit()
            return followup

        return in_transaction(self.cases.uow, work, self.cases.conflict_retries)

    def record(
        self,
        ref: str | UUID,
        *,
        visit: int,
        reached: bool,
        actor: str,
        satisfaction: str | None = None,
        notes: str = "",
        at: datetime | None = None,
    ) -> FollowUp:
        """Record a visit attempt on the case's follow-up; a dissatisfied visit opens a second complaint at once."""
        moment = self.cases.moment(at)

        def work(uow: UnitOfWork) -> FollowUp:
            case = self.cases._load(uow, ref)
            policy = self.cases.policy_of(case)
            followup = self._of(uow, case)
            when = moment()
            new, events = followup.record_attempt(
                policy,
                visit=visit,
                at=when,
                actor=actor,
                reached=reached,
                satisfaction=satisfaction,
                notes=notes,
                calendar=self.cases.calendar_for(policy),
            )
            uow.followups.save(new)
            uow.outbox.add(events)
            if new.visit(visit).needs_second_complaint:
                new = self._second(uow, case, new, visit, when, actor)
            uow.commit()
            return new

        return in_transaction(self.cases.uow, work, self.cases.conflict_retries)

    def _second(
        self, uow: UnitOfWork, parent: Case, followup: FollowUp, visit: int, when: datetime, actor: str
    ) -> FollowUp:
        policy = self.cases.policy_of(parent)
        self.cases.check_covered(policy, when)  # as any intake: its deadlines need the working calendar
        number = None
        if policy.numbering.assign_at == "received":
            number = self.cases._next_number(uow, policy, when)
        intake = second_complaint_intake(parent, followup.visit(visit))
        second = open_second_complaint(
            policy,
            parent,
            followup,
            visit=visit,
            case_id=self.cases.new_id(),
            at=when,
            actor=actor,
            number=number,
            intake=intake,
            earlier_same_issue=self.cases.earlier_same_issue(uow, policy, intake, when),
        )
        case, classified = self.cases.classified_at_intake(second.case, policy, when, actor)
        self.cases.check_deadlines(case, policy)
        uow.cases.add(case)
        uow.followups.save(second.followup)
        uow.outbox.add((*second.case_events, *classified, *second.followup_events))
        return second.followup

    def _of(self, uow: UnitOfWork, case: Case) -> FollowUp:
        from .followup import require_schedule

        found = uow.followups.for_case(case.case_id)
        return require_schedule(found[-1] if found else None, case.case_id)

    def get(self, ref: str | UUID) -> FollowUp:
        with self.cases.uow as uow:
            return self._of(uow, self.cases._load(uow, ref))

    def due(self, on: date) -> tuple[tuple[FollowUp, int], ...]:
        """(follow-up, visit number) of every open visit due on or before ``on`` in its policy's zone, earliest first.

        Asks the store only for follow-ups due before the end of ``on`` anywhere on
        earth (midnight in UTC-12), then keeps the visits due by ``on`` in their own zone.
        """
        on = require_date(on, "on")
        if on >= date.max - timedelta(days=1):
            bound = datetime.max.replace(tzinfo=UTC)  # the end of the calendar: everything open
        else:
            bound = datetime.combine(on + timedelta(days=1), time(12), tzinfo=UTC)
        out: list[tuple[datetime, str, int, FollowUp]] = []
        with self.cases.uow as uow:
            for followup in uow.followups.open_due_before(bound):
                tz = self.cases.policies.get(followup.policy_id, followup.policy_version).tz
                out.extend(
                    (v.due, str(followup.case_id), v.number, followup)
                    for v in followup.open_visits
                    if v.due_on(tz) <= on
                )
        out.sort(key=lambda item: item[:3])
        return tuple((followup, number) for _, _, number, followup in out)
