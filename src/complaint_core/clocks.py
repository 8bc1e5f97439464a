"""SLA clocks: the runtime state of one clock on a case, and its deadline (DOMAIN §4).

A deadline is a pure function of the rule, the clock's recorded history
(start, pauses, special circumstance, promise), the working calendar and the
policy zone. Day-based limits end at 23:59:59.999999 local time of day N, the
start day being day 0. Paused time is excluded: elapsed units are extended by
the paused duration, calendar days by the calendar days a pause spanned and
working days by the working days it spanned, so pausing never brings a
deadline forward.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import NamedTuple

import attrs

from .calendar import WorkingCalendar, add_working_days, next_working_day, working_days_between
from .errors import RuleViolation
from .policy import (
    DAY_UNITS,
    CaseKind,
    Channel,
    ClockRule,
    Limit,
    Market,
    Policy,
    PromiseMode,
    RestDayRule,
    TimeUnit,
)
from .timeutil import add_months, end_of_day, local_date, require_aware


@attrs.frozen
class Pause:
    since: datetime
    reason: str
    until: datetime | None = None


@attrs.frozen(kw_only=True)
class SpecialCircumstance:
    """A declared special circumstance that switches the clock to its extended limit (F2-DL-06)."""

    reason: str
    approver: str
    declared_at: datetime


@attrs.frozen(kw_only=True)
class Promise:
    """A date promised to the customer; it becomes the deadline (P4-DL-06, P5-DL-02, F4-DL-03)."""

    due: datetime
    made_at: datetime


@attrs.frozen(kw_only=True)
class ClockState:
    """One clock running on one case. Kept across policy changes: pauses are case data."""

    name: str
    started_at: datetime
    stopped_at: datetime | None = None
    pauses: tuple[Pause, ...] = ()
    special: SpecialCircumstance | None = None
    promise: Promise | None = None
    level: int = 0  # the escalation ladder's last fired level (DOMAIN §5); never decreases
    # when each level was recorded (level i at ``fired_at[i - 1]``), so a past moment shows the level it had;
    # shorter than ``level`` in clocks stored before it was kept
    fired_at: tuple[datetime, ...] = ()
    inquired: bool = False  # an overdue inquiry (洽办单) was issued for this late step (P1-ESC-02)

    @property
    def running(self) -> bool:
        return self.stopped_at is None

    @property
    def paused(self) -> bool:
        return bool(self.pauses) and self.pauses[-1].until is None

    def resumed(self, at: datetime) -> ClockState:
        """The clock with its open pause ended at ``at``."""
        last = self.pauses[-1]
        return attrs.evolve(self, pauses=(*self.pauses[:-1], attrs.evolve(last, until=at)))

    def stop(self, at: datetime) -> ClockState:
        """The clock stopped at ``at``; a pause still open ends there too."""
        return attrs.evolve(self.resumed(at) if self.paused else self, stopped_at=at)

    def as_it_was(self, at: datetime) -> ClockState | None:
        """The clock as it stood at ``at`` (None before it started): a later stop, pause, resumption, extension,
        promise or ladder level undone. A clock stored before its levels' times were kept keeps its latest level."""
        if self.started_at > at:
            return None
        pauses = tuple(
            p if p.until is None or p.until <= at else attrs.evolve(p, until=None) for p in self.pauses if p.since <= at
        )
        fired, level = self.fired_at, self.level
        if len(fired) == level:  # the times of every level are known
            fired = tuple(t for t in fired if t <= at)
            level = len(fired)
        return attrs.evolve(
            self,
            stopped_at=self.stopped_at if self.stopped_at is not None and self.stopped_at <= at else None,
            pauses=pauses,
            special=self.special if self.special is not None and self.special.declared_at <= at else None,
            promise=self.promise if self.promise is not None and self.promise.made_at <= at else None,
            level=level,
            fired_at=fired,
        )

    def escalated(self, level: int, at: datetime) -> ClockState:
        """The clock with ladder ``level`` recorded at ``at``."""
        fired = (*self.fired_at, at) if len(self.fired_at) == self.level else self.fired_at
        return attrs.evolve(self, level=level, fired_at=fired)


class ClockSubject(NamedTuple):
    """The case attributes clock conditions look at (a tuple: cheap to build, and a key of the clock plan)."""

    market: Market | None = None
    kind: CaseKind | None = None
    category: str | None = None
    severity: str | None = None
    channel: Channel | None = None


@attrs.frozen(kw_only=True)
class Deadline:
    clock: str
    rule_id: str
    started_at: datetime
    due: datetime | None
    stopped_at: datetime | None
    paused: bool
    limit: Limit | None
    warnings: tuple[str, ...] = ()

    def overdue_at(self, now: datetime) -> bool:
        """Running past due at ``now``, or stopped after due."""
        if self.due is None:
            return False
        end = self.stopped_at if self.stopped_at is not None else require_aware(now, "now")
        return end > self.due

    @property
    def met(self) -> bool | None:
        if self.stopped_at is None or self.due is None:
            return None
        return self.stopped_at <= self.due


@attrs.frozen
class ClockPlan:
    """The clocks each milestone starts and stops on cases with one subject: ``select_rule`` worked out once."""

    starting: dict[str, tuple[str, ...]]
    stopping: dict[str, frozenset[str]]


def clock_plan(policy: Policy, subject: ClockSubject) -> ClockPlan:
    """The plan of ``policy`` for cases like ``subject``, kept with the policy (commands look it up on every step)."""
    return policy.derived((ClockPlan, subject), lambda: _plan(policy, subject))


def _plan(policy: Policy, subject: ClockSubject) -> ClockPlan:
    starting: dict[str, tuple[str, ...]] = {}
    stopping: dict[str, frozenset[str]] = {}
    for name in policy.clock_names():
        rule = select_rule(policy, name, subject)
        if rule is not None:
            starting[rule.start] = (*starting.get(rule.start, ()), name)
            stopping[rule.stop] = stopping.get(rule.stop, frozenset()) | {name}
    # the order a milestone starts its clocks in is the policy's (``clocks_starting_at``)
    for milestone, names in starting.items():
        starting[milestone] = tuple(n for n in policy.clocks_starting_at(milestone) if n in names)
    return ClockPlan(starting, stopping)


def select_rule(policy: Policy, name: str, subject: ClockSubject) -> ClockRule | None:
    """The first rule of clock ``name`` whose conditions match the case."""
    for rule in policy.clock_rules(name):
        if rule.when.unconditional or rule.when.matches(
            market=subject.market,
            kind=subject.kind,
            category=subject.category,
            severity=subject.severity,
            channel=subject.channel,
        ):
            return rule
    return None


class _Warnings:
    def __init__(self, calendar: WorkingCalendar | None) -> None:
        self.calendar = calendar
        self.items: list[str] = []

    def check(self, day: date) -> None:
        if self.calendar is not None and self.calendar.is_estimated(day):
            note = f"{self.calendar.name}: working days of {day.year} are a weekends-only estimate"
            if note not in self.items:
                self.items.append(note)


def _need(calendar: WorkingCalendar | None) -> WorkingCalendar:
    if calendar is None:
        raise RuleViolation("this limit needs a working calendar", rule="CAL-REQUIRED")
    return calendar


def _end_day(
    start_day: date,
    limit: Limit,
    calendar: WorkingCalendar | None,
    rest_rule: RestDayRule,
    warnings: _Warnings,
) -> date:
    if limit.unit is TimeUnit.WORKING_DAYS:
        day = add_working_days(_need(calendar), start_day, limit.amount)
    elif limit.unit is TimeUnit.CALENDAR_DAYS:
        day = start_day + timedelta(days=limit.amount)
    elif limit.unit is TimeUnit.CALENDAR_MONTHS:
        day = add_months(start_day, limit.amount)
    else:
        raise ValueError(f"{limit.unit} is not a day-based unit")
    return _rest_day_rule(day, limit, calendar, rest_rule, warnings)


def _rest_day_rule(
    day: date, limit: Limit, calendar: WorkingCalendar | None, rest_rule: RestDayRule, warnings: _Warnings
) -> date:
    """The statutory rule moves a period's last day off a rest day (Civil Code art. 203); working days never are.

    A weekends-only estimate is noted only when working days decided the day: a calendar-day period under the
    internal rule never asks which days are worked."""
    if limit.unit is TimeUnit.WORKING_DAYS:
        warnings.check(day)
    elif rest_rule is RestDayRule.STATUTORY:
        day = next_working_day(_need(calendar), day)
        warnings.check(day)
    return day


def shift(
    instant: datetime,
    limit: Limit,
    *,
    calendar: WorkingCalendar | None,
    tz: tzinfo,
    rest_rule: RestDayRule = RestDayRule.INTERNAL,
) -> datetime:
    """``instant`` plus ``limit``: elapsed for minutes/hours, end of local day N otherwise."""
    # Elapsed units are added in UTC: aware arithmetic in a zone with DST would be wall-clock time.
    if limit.unit is TimeUnit.MINUTES:
        return instant.astimezone(UTC) + timedelta(minutes=limit.amount)
    if limit.unit is TimeUnit.HOURS:
        return instant.astimezone(UTC) + timedelta(hours=limit.amount)
    day = _end_day(local_date(instant, tz), limit, calendar, rest_rule, _Warnings(calendar))
    return end_of_day(day, tz)


def compute_deadline(
    rule: ClockRule,
    state: ClockState,
    *,
    calendar: WorkingCalendar | None,
    tz: tzinfo,
    as_of: datetime | None = None,
) -> Deadline:
    """The deadline of ``state`` under ``rule``.

    A clock paused now has no fixed deadline: pass ``as_of`` to count the open
    pause up to that instant (as if resumed then), or get ``due=None``.
    """
    if as_of is not None:
        as_of = require_aware(as_of, "as_of")
    warnings = _Warnings(calendar)
    limit = rule.special_limit if state.special is not None and rule.special_limit is not None else rule.limit

    def result(due: datetime | None) -> Deadline:
        return Deadline(
            clock=state.name,
            rule_id=rule.rule_id,
            started_at=state.started_at,
            due=due,
            stopped_at=state.stopped_at,
            paused=state.paused,
            limit=limit,
            warnings=tuple(warnings.items),
        )

    if state.promise is not None and rule.promise is not PromiseMode.NONE:
        return result(state.promise.due)
    if limit is None:
        return result(None)
    pauses: list[tuple[datetime, datetime]] = []
    for pause in state.pauses:
        until = pause.until if pause.until is not None else (state.stopped_at or as_of)
        if until is None:
            return result(None)
        since = pause.since.astimezone(UTC)
        pauses.append((since, max(until.astimezone(UTC), since)))
    if limit.unit in (TimeUnit.MINUTES, TimeUnit.HOURS):
        paused = sum((b - a for a, b in pauses), timedelta())
        return result(shift(state.started_at, limit, calendar=calendar, tz=tz) + paused)
    if not pauses:
        return result(
            end_of_day(_end_day(local_date(state.started_at, tz), limit, calendar, rule.on_rest_day, warnings), tz)
        )
    # paused days lengthen the period itself: the rest-day rule looks at the lengthened period's last day
    day = _end_day(local_date(state.started_at, tz), limit, calendar, RestDayRule.INTERNAL, warnings)
    if limit.unit is TimeUnit.WORKING_DAYS:
        cal = _need(calendar)
        extra = sum(working_days_between(cal, local_date(a, tz), local_date(b, tz)) for a, b in pauses)
        day = add_working_days(cal, day, extra) if extra else day
    else:
        day += timedelta(days=sum((local_date(b, tz) - local_date(a, tz)).days for a, b in pauses))
    return result(end_of_day(_rest_day_rule(day, limit, calendar, rule.on_rest_day, warnings), tz))


def memo_due(
    rule: ClockRule,
    state: ClockState,
    *,
    calendar: WorkingCalendar | None,
    tz: tzinfo,
    memo: dict[tuple[int, date], datetime | None],
) -> datetime | None:
    """``compute_deadline(...).due``, computed once per (rule, local start day) for a day-based clock that has no
    pause, special circumstance or promise: its due depends on nothing else. ``memo`` belongs to one zone and one
    calendar, and its rules must stay alive while it is used (they are keyed by ``id``)."""
    limit = rule.limit
    if (
        state.pauses
        or state.special is not None
        or state.promise is not None
        or limit is None
        or limit.unit not in DAY_UNITS
    ):
        return compute_deadline(rule, state, calendar=calendar, tz=tz).due
    key = (id(rule), local_date(state.started_at, tz))
    if key in memo:
        return memo[key]
    due = memo[key] = compute_deadline(rule, state, calendar=calendar, tz=tz).due
    return due


def stage_one_due(
    rule: ClockRule, state: ClockState, *, calendar: WorkingCalendar | None, tz: tzinfo, as_of: datetime
) -> datetime:
    """The limit's own due at ``as_of``, ignoring any promise (an open pause counts up to ``as_of``, as for any
    deadline): a promise must be made before it (F4-DL-03) and may not promise beyond it (P5-DL-02)."""
    plain = attrs.evolve(state, promise=None)
    deadline = compute_deadline(rule, plain, calendar=calendar, tz=tz, as_of=as_of)
    assert deadline.due is not None
    return deadline.due
