"""Periodic duties (DOMAIN §4): work owed every day, week or month, not on one case.

P1-DL-05..07: the monthly statistics, the sanction review and the loss summary of the previous month's closed
cases are due by the 10th; F14: weekly statistics on Monday; P5-DL-03: the opinion book is read every day.

A ``DutyRule`` (policy data) is owed once per **period**: a day (``"2026-11-30"``), an ISO week
(``"2026-W48"``) or a month (``"2026-11"``). A weekly or monthly duty covers a period that has ended: it
**opens** the day after the period and is **due** at the end of day ``due`` of the next period (the 10th of
the next month, the Monday, ``due = 1``, of the next week). A daily duty opens and is due on its own day;
``working_days`` keeps only the calendar's working days. Due instants end the local day (23:59:59.999999),
as day-based clocks do.

``open_duties`` is a pure function of the policy, the calendar, what was done and ``as_of``: every period
opened by ``as_of`` and due on or after ``since`` whose duty is not recorded as done, oldest due first.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum

import attrs

from .calendar import WorkingCalendar
from .errors import RuleViolation
from .labels import Labels
from .timeutil import FIRST_YEAR, LAST_YEAR, add_months, end_of_day, local_date, require_aware

RULE_DUTY = "DUTY"


class DutyPeriod(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


@attrs.frozen(kw_only=True)
class DutyRule:
    """A duty owed once per period. ``due``: the day of the next month (1-28) or the ISO weekday of the next
    week (1 = Monday … 7) it is due by; 0 for a daily duty (due the same day)."""

    name: str
    label: Labels
    every: DutyPeriod
    due: int = 0
    rule_id: str = ""
    working_days: bool = False
    target: str = ""  # who owes it (a role), for the reader


@attrs.frozen(kw_only=True)
class DutyDue:
    """One period of a duty, open and not done."""

    name: str
    label: Labels
    rule_id: str
    target: str
    period: str
    opens: date
    due_on: date
    due_at: datetime
    overdue: bool


@attrs.frozen(kw_only=True)
class DutyRecord:
    """A duty done for one period: recorded once, never edited."""

    policy_id: str
    name: str
    period: str
    done_at: datetime
    actor: str
    note: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.name, self.period)


def _period_start(rule: DutyRule, day: date) -> date:
    if rule.every is DutyPeriod.MONTH:
        return day.replace(day=1)
    if rule.every is DutyPeriod.WEEK:
        return day - timedelta(days=day.isoweekday() - 1)
    return day


def _next_start(rule: DutyRule, start: date) -> date:
    if rule.every is DutyPeriod.MONTH:
        return add_months(start, 1)
    return start + timedelta(days=7 if rule.every is DutyPeriod.WEEK else 1)


def period_key(rule: DutyRule, start: date) -> str:
    """The period's name: ``2026-11-30``, ``2026-W48`` (ISO week) or ``2026-11``."""
    if rule.every is DutyPeriod.MONTH:
        return f"{start.year:04d}-{start.month:02d}"
    if rule.every is DutyPeriod.WEEK:
        year, week, _ = start.isocalendar()
        return f"{year:04d}-W{week:02d}"
    return start.isoformat()


def _opens_and_due(rule: DutyRule, start: date) -> tuple[date, date]:
    if rule.every is DutyPeriod.DAY:
        return start, start
    after = _next_start(rule, start)
    return after, after + timedelta(days=rule.due - 1)


def periods(
    rule: DutyRule,
    first: date,
    last: date | None = None,
    calendar: WorkingCalendar | None = None,
    *,
    opened_by: date | None = None,
) -> Iterator[tuple[str, date, date]]:
    """(period, opens, due on) of every period of ``rule`` due on or after ``first``, in order, up to those due
    after ``last`` or opening after ``opened_by`` (one of the two is needed). The calendar is asked only about
    the periods listed."""
    if last is None and opened_by is None:
        raise ValueError("periods needs last or opened_by")
    _check_year(first, "since")
    start = _period_start(rule, first - timedelta(days=62))  # a period due by ``first`` may have begun 2 months before
    while _opens_and_due(rule, start)[1] < first:
        start = _next_start(rule, start)
    while True:
        opens, due_on = _opens_and_due(rule, start)
        if (last is not None and due_on > last) or (opened_by is not None and opens > opened_by):
            return
        if not rule.working_days or _working(calendar, start):
            yield period_key(rule, start), opens, due_on
        start = _next_start(rule, start)


def _check_year(day: date, what: str) -> None:
    """Periods and the days around them stay inside the years ``date`` can hold, as ``--at`` does."""
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise RuleViolation(f"{what} {day.isoformat()}: years lie between {FIRST_YEAR} and {LAST_YEAR}", rule=RULE_DUTY)


def _working(calendar: WorkingCalendar | None, day: date) -> bool:
    if calendar is None:
        raise RuleViolation("a duty on working days needs the working calendar", rule=RULE_DUTY)
    return calendar.is_working_day(day)


def open_duties(
    rules: Collection[DutyRule],
    *,
    tz: tzinfo,
    calendar: WorkingCalendar | None,
    done: Collection[tuple[str, str]],
    as_of: datetime,
    since: date,
) -> tuple[DutyDue, ...]:
    """Every period opened by ``as_of`` and due on or after ``since`` whose duty is not in ``done`` ((name,
    period) pairs), ordered by due date, then name. A monthly duty due on the 10th is listed from the 1st."""
    today = local_date(require_aware(as_of, "as_of"), tz)
    _check_year(today, "as_of")
    out: list[DutyDue] = []
    for rule in rules:
        for key, opens, due_on in periods(rule, since, calendar=calendar, opened_by=today):
            if (rule.name, key) in done:
                continue
            due_at = end_of_day(due_on, tz)
            out.append(
                DutyDue(
                    name=rule.name,
                    label=rule.label,
                    rule_id=rule.rule_id,
                    target=rule.target,
                    period=key,
                    opens=opens,
                    due_on=due_on,
                    due_at=due_at,
                    overdue=as_of > due_at,
                )
            )
    out.sort(key=lambda d: (d.due_on, d.name, d.period))
    return tuple(out)


def check_period(rule: DutyRule, period: str, as_of: datetime, tz: tzinfo, calendar: WorkingCalendar | None) -> None:
    """A duty is recorded for one of its periods that has opened by ``as_of``; otherwise a ``RuleViolation``."""
    today = local_date(require_aware(as_of, "as_of"), tz)
    start = _parse(rule, period)
    if start is not None:
        _check_year(start, "period")
    if start is None or period_key(rule, start) != period:
        example = period_key(rule, _period_start(rule, today))
        raise RuleViolation(f"{period!r} is not a {rule.every.value} period (e.g. {example!r})", rule=RULE_DUTY)
    if rule.working_days and not _working(calendar, start):
        raise RuleViolation(f"{period} is not a working day: duty {rule.name!r} is not owed", rule=RULE_DUTY)
    opens, _ = _opens_and_due(rule, start)
    if opens > today:
        raise RuleViolation(f"duty {rule.name!r} for {period} opens on {opens.isoformat()}", rule=RULE_DUTY)


def latest_period(rule: DutyRule, as_of: datetime, tz: tzinfo, calendar: WorkingCalendar | None) -> str:
    """The most recent period of ``rule`` opened by ``as_of`` (what ``duty done NAME`` records by default)."""
    today = local_date(require_aware(as_of, "as_of"), tz)
    _check_year(today, "as_of")
    start = _period_start(rule, today)
    for _ in range(400):
        if _opens_and_due(rule, start)[0] <= today and (not rule.working_days or _working(calendar, start)):
            return period_key(rule, start)
        start = _period_start(rule, start - timedelta(days=1))
    raise RuleViolation(f"duty {rule.name!r} has no period open by {today.isoformat()}", rule=RULE_DUTY)


def _parse(rule: DutyRule, period: str) -> date | None:
    try:
        if rule.every is DutyPeriod.MONTH:
            year, month = period.split("-")
            return date(int(year), int(month), 1)
        if rule.every is DutyPeriod.WEEK:
            return datetime.strptime(period + "-1", "%G-W%V-%u").date()
        return date.fromisoformat(period)
    except ValueError:
        return None
