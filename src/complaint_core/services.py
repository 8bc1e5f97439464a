"""Use cases: each loads one case on a unit of work, runs one command, saves the
case and puts the command's events in the outbox in the same transaction.

A deemed waiver (P4-DL-03) whose time has come is recorded on the case before
the command, as the sweep would have: a head's reply that arrives after its due
but before the next sweep does not undo the waiver.

A command that meets a concurrent change is re-run from a fresh read, a bounded
number of times: the command is a pure function of what it reads, so this is
safe. The current time comes from the injected ``Clock`` unless ``at`` is given
(a clerk entering yesterday's phone call).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TypeVar
from uuid import UUID, uuid4

import attrs

from .calendar import WorkingCalendar
from .case import Case, Remedy, RemedyKind
from .clocks import Deadline, compute_deadline
from .errors import (
    CalendarNotCovered,
    CasesUnreadable,
    ConcurrencyConflict,
    NotFound,
    RuleViolation,
    SweepIncomplete,
)
from .escalation import SweepAction, case_inquiries, deemed_waivers, due_actions, due_floors
from .events import DomainEvent
from .followup import FollowUp, Triggers, plan_for_case
from .intake import Intake, check_bounds
from .numbering import format_number, period_key
from .policy import Policy
from .ports import CalendarSource, Clock, PolicySource, UnitOfWork
from .repeats import earlier_same_issue
from .responsibility import Party, Responsibility
from .settlement import check_settled_after
from .settlement import open_items as unsettled
from .timeutil import local_date, require_aware
from .validity import Validity

T = TypeVar("T")
SWEEP_ACTOR = "sweep"  # who records a ladder level: the sweep, or a command catching up a deemed waiver
Command = Callable[[Case, Policy, datetime, UnitOfWork], tuple[Case, tuple[DomainEvent, ...]]]
Progress = Callable[[int, int], None]  # (done, total): long work tells a caller that shows it


def _swept(
    done: list[SweepAction],
    skipped: list[tuple[str, CalendarNotCovered]],
    unreadable: CasesUnreadable | None,
    *,
    dry_run: bool = False,
) -> tuple[SweepAction, ...]:
    """The sweep's actions in (case id, clock, level) order; or ``CasesUnreadable`` naming stored cases that do not
    load, else ``SweepIncomplete`` naming the cases left out for a calendar year (by reference, so the message is
    the same whichever order the store yields them in), each carrying the actions."""
    done.sort(key=lambda a: (a.case_id, a.clock, a.level))
    skipped.sort(key=lambda s: s[0])
    if unreadable is not None:
        raise CasesUnreadable(unreadable.unreadable, tuple(done), skipped=tuple(skipped), dry_run=dry_run)
    if skipped:
        raise SweepIncomplete(tuple(done), tuple(skipped), dry_run=dry_run)
    return tuple(done)


def _record_levels(
    case: Case,
    policy: Policy,
    calendar: WorkingCalendar | None,
    actions: list[SweepAction],
    at: datetime,
    actor: str,
) -> tuple[Case, tuple[DomainEvent, ...]]:
    """The case with each ladder level in ``actions`` recorded at ``at``, and the events."""
    found: tuple[DomainEvent, ...] = ()
    for action in actions:
        case, events = case.record_escalation(
            policy, at=at, actor=actor, clock=action.clock, level=action.level, calendar=calendar
        )
        found += events
    return case, found


def in_transaction(uow: UnitOfWork, work: Callable[[UnitOfWork], T], retries: int) -> T:
    """Run ``work`` in a unit of work, re-running it from a fresh read on a conflict, at most ``retries`` times."""
    attempt = 0
    while True:
        try:
            with uow as open_uow:
                return work(open_uow)
        except ConcurrencyConflict:
            if attempt >= retries:
                raise
            attempt += 1


@contextmanager
def within(own: UnitOfWork, given: UnitOfWork | None) -> Iterator[UnitOfWork]:
    """A read in the caller's unit of work when given (e.g. a read-only one, which waits for no writer), else in
    the service's own, left without commit."""
    if given is not None:
        yield given
        return
    with own as uow:
        yield uow


class CaseService:
    def __init__(
        self,
        *,
        uow: UnitOfWork,
        policies: PolicySource,
        calendars: CalendarSource,
        clock: Clock,
        default_policy: str | None = None,
        new_id: Callable[[], UUID] = uuid4,
        conflict_retries: int = 3,
        max_ahead: timedelta | None = None,
    ) -> None:
        """``max_ahead``: how far after the clock's now a command may be dated (None: any). A step recorded ahead
        of time makes its case refuse every later command dated before it (``CASE-TIME-ORDER``) until that time
        comes, so an entry's typo of a year freezes the case; the CLI allows 10 minutes of clock difference."""
        self.uow = uow
        self.policies = policies
        self.calendars = calendars
        self.clock = clock
        self.default_policy = default_policy
        self.new_id = new_id
        self.conflict_retries = conflict_retries
        self.max_ahead = max_ahead
        self.before_commit: Callable[[UnitOfWork, Case], None] | None = None

    def with_hook(self, before_commit: Callable[[UnitOfWork, Case], None]) -> CaseService:
        """The same service, running ``before_commit(uow, case)`` inside each case transaction just before it commits.

        Lets an adapter write its own rows atomically with the case (e.g. the inbound
        webhook's dedupe record), so a crash leaves both or neither.
        """
        hooked = copy.copy(self)
        hooked.before_commit = before_commit
        return hooked

    # ----- queries -----------------------------------------------------------------------
    def get(self, ref: str | UUID, *, uow: UnitOfWork | None = None) -> Case:
        """The case named by number or id; in ``uow`` when given (the caller's, e.g. read-only, unit of work)."""
        with within(self.uow, uow) as reading:
            return self._load(reading, ref)

    def policy_of(self, case: Case) -> Policy:
        return self.policies.get(case.policy_id, case.policy_version)

    def calendar_for(self, policy: Policy) -> WorkingCalendar:
        return self.calendars.get(policy.calendar)

    def check_covered(self, policy: Policy, at: datetime) -> None:
        """``CalendarNotCovered`` when ``at`` lies outside the calendar of a policy that counts working days (in
        a clock or its ladder): the case's deadlines could not be computed, and a store would keep it without due
        times, which no overdue list or sweep would ever find."""
        if not policy.counts_working_days:
            return
        calendar = self.calendar_for(policy)
        day = local_date(at, policy.tz)
        if not calendar.first <= day <= calendar.last:
            raise CalendarNotCovered(day, calendar.first, calendar.last, name=calendar.name)

    def check_deadlines(self, case: Case, policy: Policy, before: Case | None = None) -> None:
        """``CalendarNotCovered`` when a deadline that ``case`` starts or changes needs a day its working calendar
        does not cover (an internal ticket of 2 working days opened on 12-31 before the next year is loaded): it
        would be stored without that due time, which no overdue list or sweep would find. ``policy`` is the one
        ``case`` runs under. Clocks a command leaves as they were are not computed (stopping one changes no due
        time), unless what selects their rules (``Case.subject``) or the policy changed since ``before``."""
        clocks = case.clocks
        if not clocks or not policy.deadlines_need_calendar:
            return
        if (
            before is not None
            and case.policy_version == before.policy_version
            and case.policy_id == before.policy_id
            and ((case.intake is before.intake and case.severity == before.severity) or case.subject == before.subject)
        ):
            if clocks is before.clocks:
                return
            kept = {id(state) for state in before.clocks}
            changed = {id(state) for state in clocks if state.stopped_at is None and id(state) not in kept}
        else:
            changed = {id(state) for state in clocks if state.stopped_at is None}
        if not changed:
            return
        calendar = self.calendar_for(policy)
        for state, rule in case.clock_rules(policy):
            if rule is not None and id(state) in changed and rule.dated_by_calendar:
                compute_deadline(rule, state, calendar=calendar, tz=policy.tz)

    def deadlines(self, ref: str | UUID, *, as_of: datetime | None = None) -> tuple[Deadline, ...]:
        case = self.get(ref)
        policy = self.policy_of(case)
        return case.deadlines(policy, self.calendar_for(policy), as_of=as_of)

    # ----- creation ----------------------------------------------------------------------
    def receive(
        self,
        intake: Intake,
        *,
        actor: str,
        at: datetime | None = None,
        policy_id: str | None = None,
        parent: str | UUID | None = None,
        severity: str | None = None,
    ) -> Case:
        """Take in a complaint; ``parent`` makes it a second complaint (P1-LC-10); ``severity`` classifies it in
        the same transaction (a CRM ticket that comes with one is never stored without it). New product lines are
        checked against the intake bounds (``check_bounds``); a second complaint's lines carried from its parent are
        not new (they may have been stored before the bounds), as a dissatisfied visit's second complaint carries
        them too."""
        moment = self.moment(at)

        def work(uow: UnitOfWork) -> Case:
            parent_case = self._load(uow, parent) if parent is not None else None
            when = moment()
            if parent_case is None or intake.lines != parent_case.intake.lines:
                check_bounds(intake)
            pid = policy_id or (parent_case.policy_id if parent_case else None) or self.default_policy
            if pid is None:
                raise NotFound("no policy given and the service has no default policy")
            policy = self.policies.get(pid)
            self.check_covered(policy, when)
            number = self._next_number(uow, policy, when) if policy.numbering.assign_at == "received" else None
            case, events = Case.receive(
                policy,
                case_id=self.new_id(),
                intake=intake,
                at=when,
                actor=actor,
                number=number,
                parent=parent_case,
                earlier_same_issue=self.earlier_same_issue(uow, policy, intake, when),
            )
            case, classified = self.classified_at_intake(case, policy, when, actor, severity)
            events = (*events, *classified)
            self.check_deadlines(case, policy)
            uow.cases.add(case)
            uow.outbox.add(events)
            if self.before_commit is not None:
                self.before_commit(uow, case)
            uow.commit()
            return case

        return self._transaction(work)

    def earlier_same_issue(self, uow: UnitOfWork, policy: Policy, intake: Intake, when: datetime) -> int:
        """The customer's earlier complaints on the same issue within the policy's repeat window (P4-CLS-04,
        E4-CL-01), for ``Case.receive``: every way a complaint comes in counts them alike."""
        if policy.repeat_window is None:
            return 0
        return earlier_same_issue(
            intake,
            when,
            uow.cases.of_customer(intake.customer),
            policy.repeat_window,
            calendar=self.calendar_for(policy),
            tz=policy.tz,
        )

    def classified_at_intake(
        self, case: Case, policy: Policy, when: datetime, actor: str, severity: str | None = None
    ) -> tuple[Case, tuple[DomainEvent, ...]]:
        """A new complaint classified as ``severity`` (raised per policy); without one, a repeat the policy raises
        (E4-CL-01: a repeat is major; P4-CLS-04: the 3rd is at least medium) is classified at the raised severity
        at once: its alert clocks start and it cannot close without its meeting, whether or not anyone classifies
        it later."""
        if severity is not None:
            return case.classify(policy, at=when, actor=actor, severity=severity)
        if not policy.severities:
            return case, ()
        count = case.repeat_count + 1
        raised = policy.raised_severity(policy.severities[0].code, same_issue_count=count)
        if raised == policy.severities[0].code:
            return case, ()
        reason = f"complaint {count} on the same issue: at least {raised} (policy severity_raise)"
        return case.classify(policy, at=when, actor=actor, severity=raised, reason=reason)

    def open_second_complaint(
        self, parent: str | UUID, *, actor: str, at: datetime | None = None, description: str = ""
    ) -> Case:
        """The customer rejects the outcome: a new linked case with a new number and fresh clocks."""
        original = self.get(parent)
        intake = original.intake
        if description:
            intake = attrs.evolve(intake, description=description)
        return self.receive(intake, actor=actor, at=at, parent=original.case_id)

    # ----- lifecycle ---------------------------------------------------------------------
    def register(self, ref: str | UUID, *, actor: str, at: datetime | None = None) -> Case:
        def command(
            case: Case, policy: Policy, when: datetime, uow: UnitOfWork
        ) -> tuple[Case, tuple[DomainEvent, ...]]:
            number = None
            if policy.numbering.assign_at == "registered" and case.number is None:
                number = self._next_number(uow, policy, when)
            return case.register(policy, at=when, actor=actor, number=number)

        return self._run(ref, at, command)

    def start_investigation(self, ref: str | UUID, *, actor: str, at: datetime | None = None) -> Case:
        return self._run(ref, at, lambda c, p, t, _: c.start_investigation(p, at=t, actor=actor))

    def attribute(
        self,
        ref: str | UUID,
        *,
        actor: str,
        at: datetime | None = None,
        handler: Party | None = None,
        causer: Responsibility | None = None,
        delay: Responsibility | None = None,
        no_fault: bool = False,
        cause_code: str | None = None,
        validity: Validity | None = None,
    ) -> Case:
        return self._run(
            ref,
            at,
            lambda c, p, t, _: c.attribute(
                p,
                at=t,
                actor=actor,
                handler=handler,
                causer=causer,
                delay=delay,
                no_fault=no_fault,
                cause_code=cause_code,
                validity=validity,
            ),
        )

    def propose(
        self,
        ref: str | UUID,
        *,
        actor: str,
        kind: RemedyKind,
        amount: Decimal,
        note: str = "",
        at: datetime | None = None,
    ) -> Case:
        return self._run(
            ref, at, lambda c, p, t, _: c.propose(p, at=t, actor=actor, kind=kind, amount=amount, note=note)
        )

    def approve(
        self, ref: str | UUID, *, actor: str, role: str, remedy: Remedy | None = None, at: datetime | None = None
    ) -> Case:
        return self._run(ref, at, lambda c, p, t, _: c.approve(p, at=t, actor=actor, role=role, remedy=remedy))

    def reply(
        self, ref: str | UUID, *, actor: str, message: str, reaction: str = "", at: datetime | None = None
    ) -> Case:
        return self._run(
            ref, at, lambda c, p, t, _: c.reply_to_customer(p, at=t, actor=actor, message=message, reaction=reaction)
        )

    def record_reaction(self, ref: str | UUID, *, actor: str, reaction: str, at: datetime | None = None) -> Case:
        return self._run(ref, at, lambda c, p, t, _: c.record_reaction(p, at=t, actor=actor, reaction=reaction))

    def close(self, ref: str | UUID, *, actor: str, at: datetime | None = None) -> Case:
        """Close the case; under a policy that schedules follow-ups at closure (P4-FU-04) its visits are
        scheduled in the same transaction."""

        def close(case: Case, policy: Policy, when: datetime, uow: UnitOfWork) -> tuple[Case, tuple[DomainEvent, ...]]:
            closed, events = case.close(policy, at=when, actor=actor)
            if policy.followups.at_closure:
                events = (*events, *self._followup_at_closure(uow, closed, policy, when, actor))
            return closed, events

        return self._run(ref, at, close)

    def settle(
        self, ref: str | UUID, *, actor: str, open_items: tuple[str, ...] = (), at: datetime | None = None
    ) -> Case:
        """Settle a closed case; its unbooked returns and allowances and its undecided penalty assessments are
        open items (DOMAIN §3), as are any ``open_items`` the caller knows of."""

        def settle(case: Case, policy: Policy, when: datetime, uow: UnitOfWork) -> tuple[Case, tuple[DomainEvent, ...]]:
            returns = tuple(uow.returns.for_case(case.case_id))
            assessments = tuple(uow.assessments.for_case(case.case_id))
            check_settled_after(case, when, returns, assessments)
            found = unsettled(case, policy, returns, assessments)
            return case.settle(policy, at=when, actor=actor, open_items=(*open_items, *found))

        return self._run(ref, at, settle)

    def record_cause(self, ref: str | UUID, *, actor: str, cause_code: str, at: datetime | None = None) -> Case:
        """The root cause found, recorded or corrected (P1-ROLE-09; sanctions depend on it, P1-CLS-08)."""
        return self._run(ref, at, lambda c, p, t, _: c.record_cause(p, at=t, actor=actor, cause_code=cause_code))

    def plan_improvement(
        self,
        ref: str | UUID,
        *,
        actor: str,
        measures: str,
        owner: str,
        supervisor: str = "",
        due: datetime | None = None,
        tracked: bool = True,
        at: datetime | None = None,
    ) -> Case:
        """A corrective action on the case (P4-LC-03, P3-FU-03; untracked: P1-CLS-05)."""

        def plan(case: Case, policy: Policy, when: datetime, _: UnitOfWork) -> tuple[Case, tuple[DomainEvent, ...]]:
            return case.plan_improvement(
                policy,
                at=when,
                actor=actor,
                measures=measures,
                owner=owner,
                supervisor=supervisor,
                due=due,
                tracked=tracked,
                calendar=self.calendar_for(policy),
            )

        return self._run(ref, at, plan)

    def verify_improvement(
        self, ref: str | UUID, *, actor: str, number: int, effective: bool, note: str = "", at: datetime | None = None
    ) -> Case:
        """The check of a corrective action's effect (P1-FU-01)."""
        return self._run(
            ref,
            at,
            lambda c, p, t, _: c.verify_improvement(
                p, at=t, actor=actor, number=number, effective=effective, note=note
            ),
        )

    def find_not_established(
        self,
        ref: str | UUID,
        *,
        actor: str,
        reason: str,
        validity: Validity | None = None,
        at: datetime | None = None,
    ) -> Case:
        return self._run(
            ref, at, lambda c, p, t, _: c.find_not_established(p, at=t, actor=actor, reason=reason, validity=validity)
        )

    def petition(
        self, ref: str | UUID, *, actor: str, department: str, reason: str, at: datetime | None = None
    ) -> Case:
        return self._run(
            ref, at, lambda c, p, t, _: c.petition(p, at=t, actor=actor, department=department, reason=reason)
        )

    def reach_milestone(self, ref: str | UUID, milestone: str, *, actor: str, at: datetime | None = None) -> Case:
        return self._run(ref, at, lambda c, p, t, _: c.reach_milestone(p, at=t, actor=actor, milestone=milestone))

    def classify(
        self,
        ref: str | UUID,
        severity: str,
        *,
        actor: str,
        reason: str = "",
        delay_days: int | None = None,
        at: datetime | None = None,
    ) -> Case:
        """Set the severity (P4-CLS-04): without ``delay_days``, the delay the case was classified with before."""
        return self._run(
            ref,
            at,
            lambda c, p, t, _: c.classify(
                p, at=t, actor=actor, severity=severity, reason=reason, delay_days=delay_days
            ),
        )

    def assign(self, ref: str | UUID, handler: Party, *, actor: str, at: datetime | None = None) -> Case:
        return self._run(ref, at, lambda c, p, t, _: c.assign(p, at=t, actor=actor, handler=handler))

    def flag_major(self, ref: str | UUID, *, actor: str, reason: str, at: datetime | None = None) -> Case:
        return self._run(ref, at, lambda c, p, t, _: c.flag_major(p, at=t, actor=actor, reason=reason))

    def record_emergency_meeting(
        self,
        ref: str | UUID,
        *,
        actor: str,
        attendees: tuple[str, ...],
        minutes: str,
        at: datetime | None = None,
    ) -> Case:
        return self._run(
            ref,
            at,
            lambda c, p, t, _: c.record_emergency_meeting(p, at=t, actor=actor, attendees=attendees, minutes=minutes),
        )

    def pause_clock(self, ref: str | UUID, clock: str, *, actor: str, reason: str, at: datetime | None = None) -> Case:
        return self._run(ref, at, lambda c, p, t, _: c.pause_clock(p, at=t, actor=actor, clock=clock, reason=reason))

    def resume_clock(self, ref: str | UUID, clock: str, *, actor: str, at: datetime | None = None) -> Case:
        return self._run(ref, at, lambda c, p, t, _: c.resume_clock(p, at=t, actor=actor, clock=clock))

    def declare_special_circumstance(
        self, ref: str | UUID, clock: str, *, actor: str, reason: str, approver: str, at: datetime | None = None
    ) -> Case:
        return self._run(
            ref,
            at,
            lambda c, p, t, _: c.declare_special_circumstance(
                p, at=t, actor=actor, clock=clock, reason=reason, approver=approver
            ),
        )

    def record_promise(
        self, ref: str | UUID, clock: str, *, actor: str, due: datetime, at: datetime | None = None
    ) -> Case:
        def command(case: Case, policy: Policy, when: datetime, _: UnitOfWork) -> tuple[Case, tuple[DomainEvent, ...]]:
            calendar = self.calendar_for(policy)
            return case.record_promise(policy, at=when, actor=actor, clock=clock, due=due, calendar=calendar)

        return self._run(ref, at, command)

    def adopt_policy(
        self, ref: str | UUID, *, actor: str, version: int | None = None, at: datetime | None = None
    ) -> Case:
        def command(case: Case, current: Policy, when: datetime, _: UnitOfWork) -> tuple[Case, tuple[DomainEvent, ...]]:
            newer = self.policies.get(case.policy_id, version)
            return case.adopt_policy(newer, current=current, at=when, actor=actor)

        return self._run(ref, at, command)

    # ----- escalation --------------------------------------------------------------------
    def sweep(
        self, *, now: datetime | None = None, actor: str = SWEEP_ACTOR, progress: Progress | None = None
    ) -> tuple[SweepAction, ...]:
        """Run the escalation sweep over every case and record each due ladder level (DOMAIN §5).

        One unit of work: each action is recorded with ``Case.record_escalation`` at ``now``,
        the case is saved and its ``ClockEscalated`` events go to the outbox. Returns the
        recorded actions, sorted by (case id, clock, level); a second sweep at the same ``now``
        records and returns nothing. Cases whose last event lies after ``now`` are left for a
        later sweep (no event may be dated before the case's last one). Closed-case inquiries
        (P1-ESC-02) are recorded too, once per late step, as ``InquiryIssued`` events.

        A case whose deadline or ladder needs a calendar year that is not loaded is left out, whole, and the
        others are recorded; ``SweepIncomplete`` (a ``CalendarNotCovered``) then names the cases left out and
        carries the ``recorded`` actions. So does ``CasesUnreadable`` for stored cases that do not load.
        ``progress(done, total)`` is told after each case looked at.
        """
        when = self.recorded_at(now, "now")

        def work(
            uow: UnitOfWork,
        ) -> tuple[list[SweepAction], list[tuple[str, CalendarNotCovered]], CasesUnreadable | None]:
            done: list[SweepAction] = []
            skipped: list[tuple[str, CalendarNotCovered]] = []
            candidates, unreadable = self._sweep_cases(uow, when)
            for done_cases, (case, policy, calendar, floors) in enumerate(candidates):
                if progress is not None:
                    progress(done_cases, len(candidates))
                try:  # a whole case or nothing of it: its events reach the outbox only once all are computed
                    actions = due_actions(case, policy, calendar, when, floors=floors)
                    late = case_inquiries(case, policy, calendar)
                    if not actions and not late:
                        continue
                    case, found = _record_levels(case, policy, calendar, actions, when, actor)
                    for inquiry in late:
                        case, events = case.record_inquiry(
                            policy, at=when, actor=actor, clock=inquiry.clock, target=inquiry.target, calendar=calendar
                        )
                        found += events
                except CalendarNotCovered as error:
                    skipped.append((case.reference, error))
                    continue
                uow.outbox.add(found)
                uow.cases.save(case)
                done.extend(actions)
            if progress is not None:
                progress(len(candidates), len(candidates))
            uow.commit()
            return done, skipped, unreadable

        return _swept(*self._transaction(work))

    def preview_sweep(
        self, uow: UnitOfWork, *, now: datetime | None = None, progress: Progress | None = None
    ) -> tuple[SweepAction, ...]:
        """What ``sweep`` would record at ``now``, computed in ``uow`` and not written (pass a read-only unit of
        work to lock nothing); a case left out raises ``SweepIncomplete`` as there. ``now`` may lie ahead."""
        when = self.now_or(now, "now")
        done: list[SweepAction] = []
        skipped: list[tuple[str, CalendarNotCovered]] = []
        with uow as open_uow:
            candidates, unreadable = self._sweep_cases(open_uow, when)
            for looked_at, (case, policy, calendar, floors) in enumerate(candidates):
                if progress is not None:
                    progress(looked_at, len(candidates))
                try:
                    done.extend(due_actions(case, policy, calendar, when, floors=floors))
                    case_inquiries(case, policy, calendar)  # may need the calendar too, as in the sweep
                except CalendarNotCovered as error:
                    skipped.append((case.reference, error))
            if progress is not None:
                progress(len(candidates), len(candidates))
        return _swept(done, skipped, unreadable, dry_run=True)

    def _sweep_cases(
        self, uow: UnitOfWork, when: datetime
    ) -> tuple[list[tuple[Case, Policy, WorkingCalendar, dict[str, timedelta | None]]], CasesUnreadable | None]:
        """The sweep's candidates at ``when`` with their policy, calendar and due floors (looked up once per policy),
        and the stored cases that do not load, if any; a case whose last event lies after ``when`` is left for a
        later sweep."""
        loaded: list[Case] = []
        unreadable = None
        try:
            loaded.extend(uow.cases.sweep_candidates(when))
        except CasesUnreadable as error:  # raised after every candidate that loads: sweep those
            unreadable = error
        plans: dict[tuple[str, int], tuple[WorkingCalendar, dict[str, timedelta | None]]] = {}
        out = []
        for case in loaded:
            if case.last_at > when:
                continue
            policy = self.policy_of(case)
            key = (policy.policy_id, policy.version)
            if key not in plans:
                plans[key] = (self.calendar_for(policy), due_floors(policy))
            out.append((case, policy, *plans[key]))
        return out, unreadable

    # ----- machinery ---------------------------------------------------------------------
    def now_or(self, at: datetime | None, field: str = "at") -> datetime:
        """``at`` (aware), or the clock's now: the instant a query looks at."""
        return require_aware(at if at is not None else self.clock.now(), field)

    def recorded_at(self, at: datetime | None, field: str = "at") -> datetime:
        """When a command happened: ``at``, or the clock's now; not later than ``max_ahead`` after now."""
        at = self.now_or(at, field)
        if self.max_ahead is not None:
            now = self.clock.now()
            if at > now + self.max_ahead:
                raise RuleViolation(
                    f"{field} {at.isoformat()} is later than now ({now.isoformat()}): a step recorded ahead of time "
                    "makes its case refuse every step dated before it until then",
                    rule="TIME-AHEAD",
                )
        return at

    def moment(self, at: datetime | None, field: str = "at") -> Callable[[], datetime]:
        """When a command happens, to be read once the aggregates it is checked against are loaded: ``at`` (checked
        here, before any work), or the clock's now at that point. A writer that waited for another's commit (a row
        lock, or a retry after a conflict) would otherwise date its step before the step it waited for, and be
        refused (``CASE-TIME-ORDER``) instead of following it."""
        if at is not None:
            fixed = self.recorded_at(at, field)
            return lambda: fixed
        return lambda: self.recorded_at(None, field)

    def _load(self, uow: UnitOfWork, ref: str | UUID, *, for_update: bool = False) -> Case:
        if isinstance(ref, UUID):
            return uow.cases.get(ref, for_update=for_update)
        if not isinstance(ref, str):
            raise NotFound(f"no case {ref!r}: a case is named by its number or id as str, or its UUID")
        found = uow.cases.find_by_number(ref, for_update=for_update)
        if found is not None:
            return found
        try:
            case_id = UUID(ref)
        except ValueError:
            raise NotFound(f"no case with number or id {ref!r}") from None
        return uow.cases.get(case_id, for_update=for_update)

    def _next_number(self, uow: UnitOfWork, policy: Policy, when: datetime) -> str:
        """The policy's next serial, skipping numbers already taken: a case number is unique in the store,
        and two policies with the same template (or imported cases) would otherwise collide for ever."""
        day = local_date(when, policy.tz)
        period = period_key(policy.numbering, day)
        while True:
            number = format_number(policy.numbering, day, uow.serials.next_serial(policy.policy_id, period))
            if uow.cases.find_by_number(number) is None:
                return number

    def _followup_at_closure(
        self, uow: UnitOfWork, case: Case, policy: Policy, when: datetime, actor: str
    ) -> tuple[DomainEvent, ...]:
        """The follow-up of a case just closed, added to ``uow``, and its events; none when the policy plans no
        visit for this case (e.g. an internal ticket under a policy whose only visits are monthly ones). Counting a
        visit in working days needs the calendar year it falls in, like any deadline (``CalendarNotCovered``)."""
        calendar = self.calendar_for(policy)
        triggers = Triggers.from_case(case, policy=policy)
        if not plan_for_case(policy, case, triggers, calendar):
            return ()
        followup, events = FollowUp.schedule(
            policy, case, followup_id=self.new_id(), triggers=triggers, at=when, actor=actor, calendar=calendar
        )
        uow.followups.add(followup)
        return events

    def _deemed_waivers(self, case: Case, policy: Policy, when: datetime) -> tuple[Case, tuple[DomainEvent, ...]]:
        """The case with its due deemed waivers recorded (P4-DL-03), and their events.

        Best effort: without the calendar year a deadline needs, the command goes ahead unchanged (it did before
        waivers were caught up here), and the sweep names the case (``SweepIncomplete``) until the year is loaded.
        """
        try:
            calendar = self.calendar_for(policy)
            return _record_levels(
                case, policy, calendar, deemed_waivers(case, policy, calendar, when), when, SWEEP_ACTOR
            )
        except CalendarNotCovered:
            return case, ()

    def _transaction(self, work: Callable[[UnitOfWork], T]) -> T:
        return in_transaction(self.uow, work, self.conflict_retries)

    def _run(self, ref: str | UUID, at: datetime | None, command: Command) -> Case:
        moment = self.moment(at)

        def work(uow: UnitOfWork) -> Case:
            case = self._load(uow, ref, for_update=True)
            when = moment()
            policy = self.policy_of(case)
            waived: tuple[DomainEvent, ...] = ()
            if policy.waiver_clocks:
                case, waived = self._deemed_waivers(case, policy, when)
            new, events = command(case, policy, when, uow)
            adopted = new.policy_version != case.policy_version or new.policy_id != case.policy_id
            self.check_deadlines(new, self.policy_of(new) if adopted else policy, case)
            if waived:
                events = (*waived, *events)
            uow.cases.save(new)
            uow.outbox.add(events)
            if self.before_commit is not None:
                self.before_commit(uow, new)
            uow.commit()
            return new

        return self._transaction(work)
