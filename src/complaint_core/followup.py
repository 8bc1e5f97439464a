"""Follow-up visits (回访) and the second complaints they open (DOMAIN §9).

``plan_visits`` is a pure function from the policy's ``FollowUpRules``, the
case's kind, whether it had rework, and the trigger instants to the visits
due, each with its kind and rule ID:

- rework: the 2nd day of the reworked goods' delivery, delivery date + 1 by
  default (P2-DL-05, ``after_rework_delivery``);
- other cases: 15 calendar days after the reply (P2-DL-06, ``after_reply``);
- external tickets: monthly visits for ``monthly_visits`` months after the
  solution, each counted from the solution date and clamped to the month end
  (P4-FU-04/05: solved 01-31 → 02-28, 03-31, 04-30);
- a call on the day the handling is completed (F12-FU-01, ``same_day_call``);
- a secondary check a period after the solution (P4-FU-03, ``secondary_check``).

Due instants come from ``clocks.shift``: elapsed for hours, the end of local
day N for calendar or working days (working days on the policy's calendar),
month arithmetic with end-of-month clamping. Limits are never negative, so
every due is on or after its trigger.

``FollowUp`` is the aggregate of one case's visits. Like ``Case``, every
command returns ``(new, (event,))`` with exactly one event, and a refused
command raises a domain error naming the rule, leaving the aggregate as it
was. ``open_second_complaint`` turns a dissatisfied visit into a new case
linked to the closed original (P4-ESC-04, P4-PEN-06, P1-LC-10), exactly once
per visit; the original case is never edited.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, tzinfo
from enum import StrEnum
from typing import Any, ClassVar
from uuid import UUID

import attrs

from .appliers import Appliers
from .calendar import WorkingCalendar
from .case import Case, CaseStatus, RemedyKind
from .clocks import shift
from .errors import DomainError, InvalidTransition, NotFound, RuleViolation
from .events import DomainEvent
from .intake import Intake
from .policy import CaseKind, FollowUpRules, Limit, Policy, SatisfactionLevel, TimeUnit
from .timeutil import FIRST_YEAR, LAST_YEAR, local_date, require_aware

# Library rules (catalog rules are named where a source gives one).
RULE_SCHEDULE = "FU-SCHEDULE"  # a visit is recorded only against a scheduled visit of this case
RULE_VISIT_CLOSED = "FU-VISIT-CLOSED"  # a reached or unreachable visit takes no further attempts
RULE_SATISFACTION = "FU-SATISFACTION"  # satisfaction on the policy's scale, on reached attempts only
RULE_TIME_ORDER = "FU-TIME-ORDER"
RULE_POLICY = "FU-POLICY"
RULE_CASE = "FU-CASE"
RULE_SECOND_COMPLAINT = "P4-ESC-04"


class VisitKind(StrEnum):
    REWORK_DELIVERY = "rework_delivery"
    AFTER_REPLY = "after_reply"
    MONTHLY = "monthly"
    SAME_DAY_CALL = "same_day_call"
    SECONDARY_CHECK = "secondary_check"


VISIT_RULES: dict[VisitKind, str] = {
    VisitKind.REWORK_DELIVERY: "P2-DL-05",
    VisitKind.AFTER_REPLY: "P2-DL-06",
    VisitKind.MONTHLY: "P4-FU-04",
    VisitKind.SAME_DAY_CALL: "F12-FU-01",
    VisitKind.SECONDARY_CHECK: "P4-FU-03",
}
_KIND_ORDER = {kind: i for i, kind in enumerate(VisitKind)}
_SAME_DAY = Limit(0, TimeUnit.CALENDAR_DAYS)


class VisitStatus(StrEnum):
    OPEN = "open"
    REACHED = "reached"
    UNREACHABLE = "unreachable"  # closed after ``max_attempts`` unreachable attempts


# ----- the schedule ---------------------------------------------------------------------------
def _aware(value: datetime | None) -> datetime | None:
    return None if value is None else require_aware(value)


@attrs.frozen(kw_only=True)
class Triggers:
    """The instants visits are counted from. ``rework_delivered_on`` is a date (the delivery day)."""

    replied_at: datetime | None = attrs.field(default=None, converter=_aware)
    rework_delivered_on: date | None = None
    solved_at: datetime | None = attrs.field(default=None, converter=_aware)
    completed_at: datetime | None = attrs.field(default=None, converter=_aware)

    @classmethod
    def from_case(
        cls,
        case: Case,
        *,
        rework_delivered_on: date | None = None,
        completed_at: datetime | None = None,
        policy: Policy | None = None,
    ) -> Triggers:
        """The reply time, the closure as solution (and, unless given, completion) time, and the rework delivery
        day: as given, else the day ``policy``'s rework-delivery milestone was reached (P2-DL-08)."""
        closed = [step.at for step in case.steps if step.status is CaseStatus.CLOSED]
        solved = closed[-1] if closed else None
        if rework_delivered_on is None and policy is not None:
            rework_delivered_on = delivered_on(case, policy)
        return cls(
            replied_at=case.reply.at if case.reply is not None else None,
            rework_delivered_on=rework_delivered_on,
            solved_at=solved,
            completed_at=completed_at if completed_at is not None else solved,
        )


@attrs.frozen(kw_only=True)
class PlannedVisit:
    """One visit due: ``due`` is ``trigger`` shifted by the policy's limit. ``sequence`` numbers monthly visits."""

    kind: VisitKind
    rule_id: str
    trigger: datetime
    due: datetime
    sequence: int = 1


def _start_of_day(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


def _need(trigger: datetime | None, kind: VisitKind, what: str) -> datetime:
    if trigger is None:
        raise RuleViolation(
            f"the {kind.value} visit is counted from the {what}, which was not given", rule=VISIT_RULES[kind]
        )
    return trigger


def plan_visits(
    policy: Policy,
    *,
    kind: CaseKind,
    rework: bool,
    triggers: Triggers,
    calendar: WorkingCalendar | None = None,
) -> tuple[PlannedVisit, ...]:
    """The visits ``policy`` schedules for a case of ``kind``, sorted by due.

    A rework case gets the delivery visit instead of the after-reply visit when the
    policy has one (P2-DL-05 vs P2-DL-06); a ``rework_delivered_on`` date marks the
    case as a rework case. Monthly visits are for external tickets only (P4-FU-04).
    A visit the policy configures whose trigger is missing is refused, naming its rule.
    """
    rules: FollowUpRules = policy.followups
    tz = policy.tz
    planned: list[PlannedVisit] = []

    def add(visit_kind: VisitKind, trigger: datetime, limit: Limit, sequence: int = 1) -> None:
        due = shift(trigger, limit, calendar=calendar, tz=tz)
        planned.append(
            PlannedVisit(kind=visit_kind, rule_id=VISIT_RULES[visit_kind], trigger=trigger, due=due, sequence=sequence)
        )

    rework = rework or triggers.rework_delivered_on is not None
    if rework and rules.after_rework_delivery is not None:
        delivered = triggers.rework_delivered_on
        if delivered is None:
            raise RuleViolation(
                "a rework case is visited after the reworked goods' delivery; give the delivery date", rule="P2-DL-05"
            )
        if isinstance(delivered, datetime):
            delivered = local_date(require_aware(delivered, "rework_delivered_on"), tz)
        if not FIRST_YEAR <= delivered.year <= LAST_YEAR:  # year 1 or 9999 overflows on its way to UTC
            raise RuleViolation(
                f"rework_delivered_on {delivered.isoformat()}: the year must lie between {FIRST_YEAR} and {LAST_YEAR}",
                rule="P2-DL-05",
            )
        add(VisitKind.REWORK_DELIVERY, _start_of_day(delivered, tz), rules.after_rework_delivery)
    elif rules.after_reply is not None:
        add(VisitKind.AFTER_REPLY, _need(triggers.replied_at, VisitKind.AFTER_REPLY, "reply"), rules.after_reply)
    if rules.monthly_visits and kind is CaseKind.EXTERNAL:
        solved = _need(triggers.solved_at, VisitKind.MONTHLY, "solution")
        for month in range(1, rules.monthly_visits + 1):
            add(VisitKind.MONTHLY, solved, Limit(month, TimeUnit.CALENDAR_MONTHS), month)
    if rules.same_day_call:
        add(VisitKind.SAME_DAY_CALL, _need(triggers.completed_at, VisitKind.SAME_DAY_CALL, "completion"), _SAME_DAY)
    if rules.secondary_check is not None:
        solved = _need(triggers.solved_at, VisitKind.SECONDARY_CHECK, "solution")
        add(VisitKind.SECONDARY_CHECK, solved, rules.secondary_check)
    planned.sort(key=lambda v: (v.due, v.trigger, _KIND_ORDER[v.kind], v.sequence))
    return tuple(planned)


def delivered_on(case: Case, policy: Policy) -> date | None:
    """The local day the case reached the policy's rework-delivery milestone (P2-DL-08), if it did."""
    name = policy.followups.rework_delivery_milestone
    reached = [m.at for m in case.milestones if m.name == name] if name else []
    return local_date(reached[-1], policy.tz) if reached else None


def had_rework(case: Case, policy: Policy) -> bool:
    remedy = case.agreed_remedy(policy)
    return remedy is not None and remedy.kind is RemedyKind.REWORK


def plan_for_case(
    policy: Policy, case: Case, triggers: Triggers, calendar: WorkingCalendar | None = None
) -> tuple[PlannedVisit, ...]:
    """``plan_visits`` with the case's kind and whether its remedy was rework."""
    return plan_visits(
        policy, kind=case.intake.kind, rework=had_rework(case, policy), triggers=triggers, calendar=calendar
    )


# ----- events ---------------------------------------------------------------------------------
@attrs.frozen(kw_only=True)
class FollowUpScheduled(DomainEvent):
    EVENT_TYPE: ClassVar[str] = "followup.scheduled"
    case_id: UUID
    policy_id: str
    policy_version: int
    visits: tuple[PlannedVisit, ...]


@attrs.frozen(kw_only=True)
class VisitReached(DomainEvent):
    EVENT_TYPE: ClassVar[str] = "followup.visit_reached"
    visit: int
    satisfaction: str
    dissatisfied: bool
    notes: str = ""


@attrs.frozen(kw_only=True)
class VisitUnreachable(DomainEvent):
    """``next_due`` is the rescheduled due, or ``None`` when the attempts are used up and the visit closes."""

    EVENT_TYPE: ClassVar[str] = "followup.visit_unreachable"
    visit: int
    attempt: int
    next_due: datetime | None
    notes: str = ""


@attrs.frozen(kw_only=True)
class SecondComplaintOpened(DomainEvent):
    EVENT_TYPE: ClassVar[str] = "followup.second_complaint_opened"
    visit: int
    case_id: UUID
    second_case_id: UUID


FOLLOWUP_EVENT_TYPES: tuple[type[DomainEvent], ...] = (
    FollowUpScheduled,
    VisitReached,
    VisitUnreachable,
    SecondComplaintOpened,
)


# ----- the aggregate --------------------------------------------------------------------------
@attrs.frozen(kw_only=True)
class Attempt:
    at: datetime
    actor: str
    reached: bool
    notes: str = ""


@attrs.frozen(kw_only=True)
class Visit:
    number: int
    kind: VisitKind
    rule_id: str
    trigger: datetime
    due: datetime
    sequence: int = 1
    status: VisitStatus = VisitStatus.OPEN
    attempts: tuple[Attempt, ...] = ()
    satisfaction: str | None = None
    dissatisfied: bool = False
    notes: str = ""
    second_case_id: UUID | None = None

    @property
    def closed(self) -> bool:
        return self.status is not VisitStatus.OPEN

    @property
    def needs_second_complaint(self) -> bool:
        return self.dissatisfied and self.second_case_id is None

    def due_on(self, tz: tzinfo) -> date:
        return local_date(self.due, tz)


@attrs.frozen(kw_only=True)
class FollowUp:
    """The follow-up visits of one case (``case_id``)."""

    followup_id: UUID
    case_id: UUID
    policy_id: str
    policy_version: int
    version: int
    visits: tuple[Visit, ...]
    scheduled_at: datetime
    last_event_at: datetime

    def __attrs_post_init__(self) -> None:
        if self.version < 1:
            raise RuleViolation(f"version must be >= 1, got {self.version}", rule="FU-VERSION")
        if not self.visits:
            raise RuleViolation("a follow-up needs at least one scheduled visit", rule=RULE_SCHEDULE)
        for i, visit in enumerate(self.visits, 1):
            if visit.number != i:
                raise RuleViolation(f"visits are numbered 1..n; got {visit.number} at {i}", rule=RULE_SCHEDULE)
            if visit.due < visit.trigger:
                raise RuleViolation(f"visit {i} is due before its trigger", rule=visit.rule_id)
            if (visit.status is VisitStatus.REACHED) != (visit.satisfaction is not None):
                raise RuleViolation(f"visit {i}: satisfaction goes with a reached visit", rule=RULE_SATISFACTION)
            if visit.second_case_id is not None and not visit.dissatisfied:
                raise RuleViolation(
                    f"visit {i}: only a dissatisfied visit opens a second complaint", rule=RULE_SECOND_COMPLAINT
                )

    # ----- views -------------------------------------------------------------------------
    def visit(self, number: int) -> Visit:
        if 1 <= number <= len(self.visits):
            return self.visits[number - 1]
        raise NotFound(f"case {self.case_id} has no scheduled visit {number} (visits 1..{len(self.visits)})")

    @property
    def open_visits(self) -> tuple[Visit, ...]:
        return tuple(v for v in self.visits if not v.closed)

    @property
    def next_due(self) -> datetime | None:
        """When the earliest open visit is due; ``None`` once every visit is closed. Stores index it."""
        return min((v.due for v in self.open_visits), default=None)

    @property
    def finished(self) -> bool:
        return not self.open_visits

    @property
    def pending_second_complaints(self) -> tuple[Visit, ...]:
        """Dissatisfied visits whose second complaint is not yet opened (P4-ESC-04)."""
        return tuple(v for v in self.visits if v.needs_second_complaint)

    # ----- creation ----------------------------------------------------------------------
    @classmethod
    def schedule(
        cls,
        policy: Policy,
        case: Case,
        *,
        followup_id: UUID,
        triggers: Triggers,
        at: datetime,
        actor: str,
        calendar: WorkingCalendar | None = None,
    ) -> tuple[FollowUp, tuple[DomainEvent, ...]]:
        """Schedule the case's visits from the policy (``plan_for_case``); refused when there are none."""
        at = require_aware(at)
        if policy.policy_id != case.policy_id or policy.version != case.policy_version:
            raise RuleViolation(
                f"case {case.reference} runs policy {case.policy_id} v{case.policy_version}, "
                f"not {policy.policy_id} v{policy.version}",
                rule=RULE_POLICY,
            )
        if case.status not in (CaseStatus.CLOSED, CaseStatus.SETTLED):
            # visits follow the solution, and a dissatisfied one opens a second complaint, which needs a closed
            # parent (P1-LC-10): scheduling earlier would lose that visit's record
            raise InvalidTransition(
                f"follow-up visits are scheduled for a closed case; case {case.reference} is {case.status.value}",
                rule=RULE_SCHEDULE,
            )
        closed = case.closed_at
        if closed is not None and at < closed:
            raise RuleViolation(
                f"visits are scheduled after closure: {at.isoformat()} is before case {case.reference} closed at "
                f"{closed.isoformat()}",
                rule="CASE-TIME-ORDER",
            )
        planned = plan_for_case(policy, case, triggers, calendar)
        if not planned:
            raise RuleViolation(
                f"policy {policy.policy_id} schedules no follow-up visit for case {case.reference}", rule=RULE_SCHEDULE
            )
        event = FollowUpScheduled(
            aggregate_id=followup_id,
            version=1,
            occurred_at=at,
            actor=actor,
            case_id=case.case_id,
            policy_id=policy.policy_id,
            policy_version=policy.version,
            visits=planned,
        )
        return _scheduled(event), (event,)

    # ----- commands ----------------------------------------------------------------------
    def record_attempt(
        self,
        policy: Policy,
        *,
        visit: int,
        at: datetime,
        actor: str,
        reached: bool,
        satisfaction: str | None = None,
        notes: str = "",
        calendar: WorkingCalendar | None = None,
    ) -> tuple[FollowUp, tuple[DomainEvent, ...]]:
        """An attempt at ``visit``: reached with a satisfaction level on the policy's scale, or unreachable.

        An unreachable attempt moves the due to ``at + retry_after`` (unchanged without
        ``retry_after``); the ``max_attempts``-th unreachable attempt closes the visit.
        """
        self.check_policy(policy)
        target = self._open_visit(visit)
        at = self._check_time(at, target)
        rules = policy.followups
        if reached:
            level = _level(rules, satisfaction)
            return self._emit(
                VisitReached,
                at,
                actor,
                visit=visit,
                satisfaction=level.code,
                dissatisfied=level.dissatisfied,
                notes=notes,
            )
        if satisfaction is not None:
            raise RuleViolation("an unreachable attempt records no satisfaction", rule=RULE_SATISFACTION)
        attempt = len(target.attempts) + 1
        next_due: datetime | None
        if attempt >= rules.max_attempts:
            next_due = None
        elif rules.retry_after is not None:
            next_due = shift(at, rules.retry_after, calendar=calendar, tz=policy.tz)
        else:
            next_due = target.due
        return self._emit(VisitUnreachable, at, actor, visit=visit, attempt=attempt, next_due=next_due, notes=notes)

    def link_second_complaint(
        self, policy: Policy, *, visit: int, second_case_id: UUID, at: datetime, actor: str
    ) -> tuple[FollowUp, tuple[DomainEvent, ...]]:
        """Record the second complaint a dissatisfied visit opened; use ``open_second_complaint``."""
        self.check_policy(policy)
        target = self.check_second_complaint(visit)
        at = self._check_time(at, target)
        return self._emit(
            SecondComplaintOpened, at, actor, visit=visit, case_id=self.case_id, second_case_id=second_case_id
        )

    def check_second_complaint(self, visit: int) -> Visit:
        """The visit, if it may open a second complaint: reached, dissatisfied, and not yet linked."""
        target = self.visit(visit)
        if not target.dissatisfied:
            raise RuleViolation(
                f"visit {visit} is {target.status.value}"
                + (f" ({target.satisfaction})" if target.satisfaction else "")
                + ": only a dissatisfied result opens a second complaint",
                rule=RULE_SECOND_COMPLAINT,
            )
        if target.second_case_id is not None:
            raise RuleViolation(
                f"visit {visit} already opened second complaint {target.second_case_id}", rule=RULE_SECOND_COMPLAINT
            )
        return target

    # ----- machinery ---------------------------------------------------------------------
    def check_policy(self, policy: Policy) -> None:
        if policy.policy_id != self.policy_id or policy.version != self.policy_version:
            raise RuleViolation(
                f"follow-up of case {self.case_id} runs policy {self.policy_id} v{self.policy_version}, "
                f"not {policy.policy_id} v{policy.version}",
                rule=RULE_POLICY,
            )

    def _open_visit(self, number: int) -> Visit:
        target = self.visit(number)
        if target.closed:
            raise RuleViolation(f"visit {number} is already {target.status.value}", rule=RULE_VISIT_CLOSED)
        return target

    def _check_time(self, at: datetime, visit: Visit) -> datetime:
        at = require_aware(at)
        if at < self.last_event_at:
            raise RuleViolation(
                f"{at.isoformat()} is before the follow-up's last event at {self.last_event_at.isoformat()}",
                rule=RULE_TIME_ORDER,
            )
        if at < visit.trigger:
            raise RuleViolation(
                f"visit {visit.number} cannot be made before its trigger at {visit.trigger.isoformat()}",
                rule=RULE_TIME_ORDER,
            )
        return at

    def _emit(
        self, event_type: Callable[..., DomainEvent], at: datetime, actor: str, **payload: Any
    ) -> tuple[FollowUp, tuple[DomainEvent, ...]]:
        event = event_type(
            aggregate_id=self.followup_id, version=self.version + 1, occurred_at=at, actor=actor, **payload
        )
        return apply(event, self), (event,)


def _level(rules: FollowUpRules, code: str | None) -> SatisfactionLevel:
    for level in rules.satisfaction:
        if level.code == code:
            return level
    known = [lv.code for lv in rules.satisfaction]
    if code is None:
        raise RuleViolation(
            f"a reached visit records satisfaction on the policy's scale {known}", rule=RULE_SATISFACTION
        )
    raise RuleViolation(f"unknown satisfaction level {code!r}; the policy's scale is {known}", rule=RULE_SATISFACTION)


def require_schedule(followup: FollowUp | None, case_id: UUID) -> FollowUp:
    """The follow-up of ``case_id``, as loaded by a repository; a case without one takes no visits."""
    if followup is None:
        raise RuleViolation(f"case {case_id} has no follow-up schedule", rule=RULE_SCHEDULE)
    if followup.case_id != case_id:
        raise RuleViolation(f"follow-up {followup.followup_id} belongs to case {followup.case_id}", rule=RULE_CASE)
    return followup


# ----- second complaints ----------------------------------------------------------------------
@attrs.frozen(kw_only=True)
class SecondComplaint:
    """What ``open_second_complaint`` returns: the new case and the follow-up, each with its one event."""

    case: Case
    case_events: tuple[DomainEvent, ...]
    followup: FollowUp
    followup_events: tuple[DomainEvent, ...]

    @property
    def events(self) -> tuple[DomainEvent, ...]:
        return self.case_events + self.followup_events


def second_complaint_intake(parent: Case, visit: Visit) -> Intake:
    """The intake of the second complaint a dissatisfied visit opens: the parent's, described by the visit's notes."""
    return attrs.evolve(parent.intake, description=visit.notes or parent.intake.description)


def open_second_complaint(
    policy: Policy,
    parent: Case,
    followup: FollowUp,
    *,
    visit: int,
    case_id: UUID,
    at: datetime,
    actor: str,
    number: str | None = None,
    intake: Intake | None = None,
    earlier_same_issue: int = 0,
) -> SecondComplaint:
    """A dissatisfied visit opens a second complaint (P4-ESC-04, P4-PEN-06, P1-LC-10).

    The new case is ``Case.receive(..., parent=parent)``: linked by ``parent_case_id``,
    with ``repeat_count + 1`` (so penalties double) and fresh clocks. The parent must be
    closed and is never edited. The intake defaults to the parent's, described by the
    visit's notes. The visit records the new case, so a second call is refused. ``earlier_same_issue``: as for
    ``Case.receive`` (P4-CLS-04 counts every complaint on the issue, not only the parent's chain).
    """
    if followup.case_id != parent.case_id:
        raise RuleViolation(
            f"follow-up {followup.followup_id} belongs to case {followup.case_id}, not {parent.reference}",
            rule=RULE_CASE,
        )
    followup.check_policy(policy)
    target = followup.check_second_complaint(visit)
    if intake is None:
        intake = second_complaint_intake(parent, target)
    case, case_events = Case.receive(
        policy,
        case_id=case_id,
        intake=intake,
        at=at,
        actor=actor,
        number=number,
        parent=parent,
        earlier_same_issue=earlier_same_issue,
    )
    new_followup, followup_events = followup.link_second_complaint(
        policy, visit=visit, second_case_id=case_id, at=at, actor=actor
    )
    return SecondComplaint(case=case, case_events=case_events, followup=new_followup, followup_events=followup_events)


# ----- apply: one function per event type -----------------------------------------------------
_APPLIERS: Appliers[FollowUp] = Appliers()


def _scheduled(event: FollowUpScheduled) -> FollowUp:
    visits = tuple(
        Visit(number=i, kind=p.kind, rule_id=p.rule_id, trigger=p.trigger, due=p.due, sequence=p.sequence)
        for i, p in enumerate(event.visits, 1)
    )
    return FollowUp(
        followup_id=event.aggregate_id,
        case_id=event.case_id,
        policy_id=event.policy_id,
        policy_version=event.policy_version,
        version=event.version,
        visits=visits,
        scheduled_at=event.occurred_at,
        last_event_at=event.occurred_at,
    )


def apply(event: DomainEvent, followup: FollowUp) -> FollowUp:
    """The follow-up after ``event``."""
    handler = _APPLIERS.handler(event)
    return handler(event, followup)


def replay(events: Iterable[DomainEvent]) -> FollowUp:
    """Fold a follow-up's events, starting with its ``FollowUpScheduled``."""
    return _APPLIERS.replay(events, FollowUpScheduled, _scheduled, apply)


def _next(event: DomainEvent, followup: FollowUp, number: int, change: Callable[[Visit], Visit]) -> FollowUp:
    if event.version != followup.version + 1:
        raise DomainError(
            f"event version {event.version} does not follow follow-up version {followup.version}", rule="EVENT-VERSION"
        )
    if event.aggregate_id != followup.followup_id:
        raise DomainError("event belongs to another follow-up", rule="EVENT-VERSION")
    visits = tuple(change(v) if v.number == number else v for v in followup.visits)
    return attrs.evolve(followup, version=event.version, visits=visits, last_event_at=event.occurred_at)


@_APPLIERS.on(VisitReached)
def _(event: VisitReached, followup: FollowUp) -> FollowUp:
    def reached(v: Visit) -> Visit:
        attempt = Attempt(at=event.occurred_at, actor=event.actor, reached=True, notes=event.notes)
        return attrs.evolve(
            v,
            status=VisitStatus.REACHED,
            attempts=(*v.attempts, attempt),
            satisfaction=event.satisfaction,
            dissatisfied=event.dissatisfied,
            notes=event.notes,
        )

    return _next(event, followup, event.visit, reached)


@_APPLIERS.on(VisitUnreachable)
def _(event: VisitUnreachable, followup: FollowUp) -> FollowUp:
    def unreachable(v: Visit) -> Visit:
        attempt = Attempt(at=event.occurred_at, actor=event.actor, reached=False, notes=event.notes)
        if event.next_due is None:
            return attrs.evolve(v, status=VisitStatus.UNREACHABLE, attempts=(*v.attempts, attempt))
        return attrs.evolve(v, due=event.next_due, attempts=(*v.attempts, attempt))

    return _next(event, followup, event.visit, unreachable)


@_APPLIERS.on(SecondComplaintOpened)
def _(event: SecondComplaintOpened, followup: FollowUp) -> FollowUp:
    return _next(event, followup, event.visit, lambda v: attrs.evolve(v, second_case_id=event.second_case_id))
