"""Escalation: the overdue sweep, the closed-case timeliness audit, 压单 lateness, working-hours delivery.

Pure functions of the cases, their policies, the working calendar and ``now`` (DOMAIN §5).

``sweep(cases, policy_for, calendar_for, now)`` walks every clock of every open case and
returns the ladder levels whose time has come and that the case has not yet recorded
(``ClockState.level`` is the last fired level). ``policy_for(case) -> Policy`` gives the
policy version the case runs; ``calendar_for(policy) -> WorkingCalendar | None`` its
calendar. Rules:

- only cases not closed or settled, and only running clocks that are not paused: a paused
  clock has no fixed due, so nothing escalates while it waits and paused time never counts;
  a stopped clock no longer needs chasing (late stops are the audit's business, below);
- the due is ``compute_deadline(rule, state)``; a clock without a due (awaiting a promise)
  gives nothing;
- levels after ``state.level`` fire in order while
  ``fires_at = shift(due, rung.after, calendar, tz)`` is before ``now`` (at the due instant itself
  a step is still in time); the walk
  stops at the first level not yet due, so a sweep never skips a level;
- the result is sorted by (case id, clock name, level).

For speed the sweep first compares ``now`` with a lower bound of each clock's due
(``due_floors``: the shortest limit of the clock's rules, pauses and calendars only add) and
computes the deadline only when that bound has passed; the result is the same.

Applying an action is ``case.record_escalation(policy, at=now, clock=..., level=...)``, which
re-checks the same conditions and raises the case's level, so a second sweep at the same
``now`` yields nothing (``CaseService.sweep`` does this on one unit of work). A deemed
waiver is a fact from its time on, so every command of ``CaseService`` first records the
levels ``deemed_waivers`` finds due, whether or not a sweep ran since.

The per-step timeliness audit of closed cases (P1-ESC-02, 洽办单) is ``inquiries``: one
``Inquiry`` per clock of a closed (or settled) case that stopped after its due. "Once" is
not stored on the case: the inquiries of a case are a pure function of the closed case,
keyed by ``Inquiry.key`` = (case id, clock), and ``since`` restricts them to cases closed
in ``(since, now]``, so a scheduler that passes its previous run's ``now`` as ``since``
gets every inquiry exactly once (consecutive windows do not overlap).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, timedelta, tzinfo
from uuid import UUID

import attrs

from .calendar import WorkingCalendar
from .case import FINISHED, Case, CaseStatus
from .clocks import Deadline, compute_deadline, memo_due, select_rule, shift
from .errors import NotFound
from .labels import Labels
from .policy import EscalationAction, Limit, Policy, TimeUnit
from .timeutil import local_date, require_aware
from .working_hours import held_until

PolicyFor = Callable[[Case], Policy]
CalendarFor = Callable[[Policy], WorkingCalendar | None]

DEFAULT_INQUIRY_TARGET = "late_department"


@attrs.frozen(kw_only=True)
class SweepAction:
    """One ladder level of one clock whose time has come (DOMAIN §5, P1-ESC-01, P4-DL-03)."""

    case_id: UUID
    reference: str  # the case number, or the id before numbering
    clock: str
    level: int  # 1-based: ladder[level - 1]
    action: EscalationAction
    target: str
    due: datetime
    fires_at: datetime
    rule_id: str
    label: Labels | None = None
    deliver_at: datetime | None = None  # when to notify: as computed, or held to working hours by the policy
    policy_id: str = ""  # the case's policy (its zone and labels), so a caller can show the action as the case does
    policy_version: int = 0

    @property
    def key(self) -> tuple[UUID, str, int]:
        return (self.case_id, self.clock, self.level)


@attrs.frozen(kw_only=True)
class Inquiry:
    """An overdue inquiry (洽办单) to the department late on one step of a closed case (P1-ESC-02)."""

    case_id: UUID
    reference: str
    clock: str
    rule_id: str
    target: str  # the role of the first ladder rung (the late department), else ``late_department``
    departments: tuple[str, ...]  # parties held responsible for the delay, when attributed
    due: datetime
    stopped_at: datetime
    closed_at: datetime
    days_late: int  # full days late (see ``lateness_days``), in the clock's day kind

    @property
    def key(self) -> tuple[UUID, str]:
        return (self.case_id, self.clock)


def _due_floor(limit: Limit) -> timedelta:
    """A lower bound of (due - start) for a clock on ``limit``: pauses, rest days and calendars only add.

    Day-based limits end at the end of local day N, at least N days after any instant of day 0;
    one day less covers a daylight-saving shift. Working days are at least as long as calendar days.
    """
    if limit.unit is TimeUnit.MINUTES:
        return timedelta(minutes=limit.amount)
    if limit.unit is TimeUnit.HOURS:
        return timedelta(hours=limit.amount)
    days = limit.amount * 28 if limit.unit is TimeUnit.CALENDAR_MONTHS else limit.amount
    return timedelta(days=max(days - 1, 0))


def due_floors(policy: Policy) -> dict[str, timedelta | None]:
    """Per clock name, a lower bound of (due - start) over all its rules; None when no rule has a limit.

    Lets the sweep pass over a clock that cannot be due yet without computing its deadline.
    Only valid for clocks without a promise (a promise is the deadline itself).
    """
    out: dict[str, timedelta | None] = {}
    for name in policy.clock_names():
        floors = [_due_floor(rule.limit) for rule in policy.clock_rules(name) if rule.limit is not None]
        out[name] = min(floors) if floors else None
    return out


@attrs.define
class Memo:
    """Times the sweep computed under one policy's rules, zone and calendar (rules are keyed by ``id``, so the
    policy must stay alive while the memo is used): dues by (rule, local start day) of plain day-based clocks
    (``memo_due``), and each rung's firing time by (rule, level, due)."""

    dues: dict[tuple[int, date], datetime | None] = attrs.Factory(dict)
    fires: dict[tuple[int, int, datetime], datetime] = attrs.Factory(dict)


def due_actions(
    case: Case,
    policy: Policy,
    calendar: WorkingCalendar | None,
    now: datetime,
    *,
    floors: Mapping[str, timedelta | None] | None = None,
    memo: Memo | None = None,
) -> list[SweepAction]:
    """The ladder levels of ``case`` due at ``now`` and not yet recorded, in (clock, level) order.

    ``floors`` (``due_floors(policy)``) and ``memo`` (a ``Memo`` shared by calls with the same policy
    objects and calendar) are optional shortcuts; the result is the same without them.
    """
    out: list[SweepAction] = []
    if case.status in FINISHED:
        return out
    subject = None
    tz = policy.tz
    deliver_at: datetime | None = None  # every level found fires before now, so all are delivered alike
    case_id, reference = case.case_id, case.reference
    for state in case.clocks:
        if state.stopped_at is not None or (state.pauses and state.pauses[-1].until is None):
            continue
        if floors is not None and state.promise is None:
            floor = floors.get(state.name)
            if floor is None or state.started_at + floor > now:
                continue  # no rule of this clock has a limit, or its due cannot have come yet
        if subject is None:
            subject = case.subject
        rule = select_rule(policy, state.name, subject)
        if rule is None or state.level >= len(rule.ladder):
            continue
        if memo is None:
            due = compute_deadline(rule, state, calendar=calendar, tz=tz).due
        else:
            due = memo_due(rule, state, calendar=calendar, tz=tz, memo=memo.dues)
        if due is None or due >= now:  # every rung fires after due (offsets are >= 0): at due it is in time
            continue
        for level in range(state.level + 1, len(rule.ladder) + 1):
            rung = rule.ladder[level - 1]
            if memo is None:
                fires_at = shift(due, rung.after, calendar=calendar, tz=tz)
            else:
                key = (id(rule), level, due)
                found = memo.fires.get(key)
                if found is None:
                    found = memo.fires[key] = shift(due, rung.after, calendar=calendar, tz=tz)
                fires_at = found
            if fires_at >= now:
                break
            if deliver_at is None:
                deliver_at = held_until(policy, calendar, now)  # as computed now (DOMAIN §5)
            out.append(
                SweepAction(
                    case_id=case_id,
                    reference=reference,
                    clock=state.name,
                    level=level,
                    action=rung.action,
                    target=rung.target,
                    due=due,
                    fires_at=fires_at,
                    rule_id=rung.rule_id or rule.rule_id,
                    label=rung.label,
                    deliver_at=deliver_at,
                    policy_id=policy.policy_id,
                    policy_version=policy.version,
                )
            )
    return out


def deemed_waivers(case: Case, policy: Policy, calendar: WorkingCalendar | None, now: datetime) -> list[SweepAction]:
    """The due levels of each running clock up to its last due deemed waiver, in (clock, level) order.

    A waiver is a fact from its time on ("no reply within 1 working day", P4-DL-03), not a reminder: a command
    on the case records these first, so a reply that arrives after the due but before the next sweep does not
    undo the waiver. Reminders and escalations after the last waiver are left to the sweep.
    """
    clocks = policy.waiver_clocks
    if not clocks or not any(s.name in clocks and s.stopped_at is None for s in case.clocks):
        return []
    # the sweep's floors, with None (never due) for the clocks without a waiver: only these are looked at
    floors = policy.derived(
        "waiver_floors", lambda: {name: floor if name in clocks else None for name, floor in due_floors(policy).items()}
    )
    out: list[SweepAction] = []
    pending: list[SweepAction] = []
    clock = ""
    for action in due_actions(case, policy, calendar, now, floors=floors):
        if action.clock != clock:
            clock, pending = action.clock, []
        pending.append(action)
        if action.action is EscalationAction.WAIVE:
            out.extend(pending)
            pending = []
    return out


def sweep(
    cases: Iterable[Case], policy_for: PolicyFor, calendar_for: CalendarFor, now: datetime
) -> tuple[SweepAction, ...]:
    """Every ladder level due at ``now`` over ``cases``, sorted by (case id, clock, level).

    ``policy_for`` is called when an open case with clocks runs another policy (id or version) than the last one
    looked up, never for a closed one; ``calendar_for`` once per distinct policy: a case's policy is a function of
    those two fields.
    """
    now = require_aware(now, "now")
    out: list[SweepAction] = []
    # per policy: its calendar, its floors, per clock name the latest start whose due may have come by now, and
    # the times computed under it (two policies may share rule objects under another zone or calendar)
    plans: dict[int, tuple[Policy, WorkingCalendar | None, dict[str, timedelta | None], dict[str, datetime], Memo]] = {}
    closed, settled = CaseStatus.CLOSED, CaseStatus.SETTLED
    policy: Policy | None = None
    last_id: str | None = None  # the policy id and version ``policy`` was looked up for (None: not yet)
    last_version = 0
    calendar: WorkingCalendar | None = None
    floors: dict[str, timedelta | None] = {}
    latest_start: dict[str, datetime] = {}
    memo = Memo()  # rules stay alive in ``plans``, so ids are stable
    for case in cases:
        if case.policy_version != last_version or case.policy_id != last_id:
            status = case.status
            if status is closed or status is settled or not case.clocks:
                continue  # nothing to chase; its policy need not even be known
            last_id, last_version = case.policy_id, case.policy_version
            found = policy_for(case)
            if found is not policy:
                policy = found
                plan = plans.get(id(policy))
                if plan is None or plan[0] is not policy:
                    floors = due_floors(policy)
                    latest = {name: now - floor for name, floor in floors.items() if floor is not None}
                    plan = plans[id(policy)] = (policy, calendar_for(policy), floors, latest, Memo())
                _, calendar, floors, latest_start, memo = plan
        for state in case.clocks:  # cheap pre-check, most decisive test first: may any running clock be due?
            start_by = latest_start.get(state.name)
            if ((start_by is not None and state.started_at <= start_by) or state.promise is not None) and (
                state.stopped_at is None
            ):
                assert policy is not None  # looked up for the first case with clocks
                out.extend(due_actions(case, policy, calendar, now, floors=floors, memo=memo))  # skips closed cases
                break
    out.sort(key=lambda a: (a.case_id, a.clock, a.level))
    return tuple(out)


def case_inquiries(case: Case, policy: Policy, calendar: WorkingCalendar | None) -> list[Inquiry]:
    """The timeliness audit of one closed case: one inquiry per clock stopped after its due (P1-ESC-02)."""
    closed = case.closed_at
    if closed is None:
        return []
    out: list[Inquiry] = []
    subject = case.subject
    tz = policy.tz
    departments = tuple(s.party.id for s in case.delay.shares) if case.delay is not None else ()
    for state in case.clocks:
        rule = select_rule(policy, state.name, subject)
        if rule is None or state.stopped_at is None or state.inquired or not rule.audited:
            continue
        deadline = compute_deadline(rule, state, calendar=calendar, tz=tz)
        days_late = deadline_days_late(deadline, state.stopped_at, calendar=calendar, tz=tz)
        if deadline.due is None or days_late is None:
            continue
        out.append(
            Inquiry(
                case_id=case.case_id,
                reference=case.reference,
                clock=state.name,
                rule_id=rule.rule_id,
                target=rule.ladder[0].target if rule.ladder else DEFAULT_INQUIRY_TARGET,
                departments=departments,
                due=deadline.due,
                stopped_at=state.stopped_at,
                closed_at=closed,
                days_late=days_late,
            )
        )
    return out


def inquiries(
    cases: Iterable[Case],
    policy_for: PolicyFor,
    calendar_for: CalendarFor,
    now: datetime,
    *,
    since: datetime | None = None,
) -> tuple[Inquiry, ...]:
    """The audit's inquiries for cases closed in ``(since, now]`` (all closed by ``now`` without ``since``).

    Sorted by (case id, clock). Idempotent: the same arguments give the same inquiries.
    """
    now = require_aware(now, "now")
    out: list[Inquiry] = []
    for case in cases:
        closed = case.closed_at
        if closed is None or closed > now or (since is not None and closed <= since):
            continue
        policy = policy_for(case)
        out.extend(case_inquiries(case, policy, calendar_for(policy)))
    out.sort(key=lambda i: (i.case_id, i.clock))
    return tuple(out)


def lateness_days(
    due: datetime,
    end: datetime,
    *,
    unit: TimeUnit,
    calendar: WorkingCalendar | None,
    tz: tzinfo,
) -> int:
    """Full days a step was late (压单, P4-ESC-03 / P4-PEN-05): ``d`` of ``fine = 50 + 50 × d``, the whole days
    past the deadline.

    A day counts once the due's time of day has come round again on it: for a due at the end of a day (every
    clock in days) the local days strictly between the due's day and ``end``'s day, each once it is over; for a
    due at a time of day (a clock in hours or minutes, a promised time) also ``end``'s own day once its clock
    reads the due's time, so 47 hours late is one full day, not none. Clocks in working days count working days
    of ``calendar`` only; every other unit counts calendar days. 0 when ``end`` is at or before ``due``.
    """
    end_utc = end.astimezone(UTC)  # datetimes sharing a tzinfo compare as wall-clock readings: compare in UTC
    if end_utc <= due.astimezone(UTC):
        return 0
    first, last = local_date(due, tz), local_date(end, tz)
    if last <= first:
        return 0
    # on end's day, the due's time of day has come: an instant, not a wall-clock reading, which repeats an hour when
    # clocks go back (a step closed half an hour later would count a day fewer); fold 0, the first of two
    come_round = end_utc >= datetime.combine(last, due.astimezone(tz).time(), tzinfo=tz).astimezone(UTC)
    if unit is TimeUnit.WORKING_DAYS:
        if calendar is None:
            raise ValueError("lateness in working days needs a working calendar")
        # working days in (first, last) = ranks in (first, last - 1]
        between = max(0, calendar.rank(last - timedelta(days=1)) - calendar.rank(first))
        return between + (1 if come_round and calendar.is_working_day(last) else 0)
    return (last - first).days - 1 + (1 if come_round else 0)


def clock_days_late(
    case: Case, policy: Policy, calendar: WorkingCalendar | None, clock: str, as_of: datetime
) -> int | None:
    """Full days the step timed by ``clock`` was late (压单, P4-ESC-03 / P4-PEN-05): up to its stop, or up to
    ``as_of`` while it runs; 0 when late by less than a day, None when in time (or without a due).
    ``NotFound`` for a clock the case never ran."""
    state = case.clock(clock)
    rule = select_rule(policy, clock, case.subject)
    if rule is None:
        raise NotFound(f"policy {policy.policy_id} has no rule for clock {clock!r} on case {case.reference}")
    deadline = compute_deadline(rule, state, calendar=calendar, tz=policy.tz, as_of=as_of)
    end = state.stopped_at if state.stopped_at is not None else require_aware(as_of, "as_of")
    return deadline_days_late(deadline, end, calendar=calendar, tz=policy.tz)


def deadline_days_late(
    deadline: Deadline, end: datetime, *, calendar: WorkingCalendar | None, tz: tzinfo
) -> int | None:
    """Full days a step that ended at ``end`` was late (``lateness_days`` in its clock's kind of day); None when
    it was in time or the clock has no due."""
    if deadline.due is None or end <= deadline.due:
        return None
    unit = deadline.limit.unit if deadline.limit is not None else TimeUnit.CALENDAR_DAYS
    return lateness_days(deadline.due, end, unit=unit, calendar=calendar, tz=tz)


def status_at(case: Case, when: datetime) -> CaseStatus | None:
    """The case's status at ``when`` (its last step at or before it); None before it was received."""
    found = None
    for step in case.steps:
        if step.at > when:
            break
        found = step.status
    return found


def overdue_deadlines(case: Case, policy: Policy, calendar: WorkingCalendar | None, as_of: datetime) -> list[Deadline]:
    """The clocks of ``case`` running past their due at ``as_of`` while the case was open (not closed, settled or
    found not established at that moment): what an overdue list shows, for now or for a moment past. Each clock
    is taken as it stood then (``ClockState.as_it_was``): a later stop, pause, extension or promise does not move
    a past due."""
    status = status_at(case, as_of)
    if status is None or status in FINISHED or status is CaseStatus.NOT_ESTABLISHED:
        return []
    subject = case.subject
    out = []
    for current in case.clocks:
        state = current.as_it_was(as_of)
        rule = select_rule(policy, current.name, subject) if state is not None else None
        if state is None or rule is None or state.stopped_at is not None or state.paused:
            continue
        deadline = compute_deadline(rule, state, calendar=calendar, tz=policy.tz, as_of=as_of)
        if deadline.due is not None and deadline.due < as_of:
            out.append(deadline)
    return out
