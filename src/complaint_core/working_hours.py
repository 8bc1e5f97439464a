"""Working-hours delivery of notifications (DOMAIN §5): a reminder computed at 02:00 on Sunday is delivered at
the next working-day start, when the policy holds notifications."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo

from .calendar import WorkingCalendar, next_working_day
from .errors import CalendarNotCovered
from .policy import Policy
from .timeutil import require_aware

WORKDAY_START = time(9)
WORKDAY_END = time(18)


def held_until(policy: Policy, calendar: WorkingCalendar | None, computed_at: datetime) -> datetime:
    """When to notify of an action computed at ``computed_at`` (the later of its firing time and the sweep that
    found it): then, or, if the policy holds notifications, at the next working hours."""
    settings = policy.calendar
    if not settings.hold_notifications or calendar is None:
        return computed_at
    try:
        return deliver_at(
            computed_at, calendar, policy.tz, start=time(settings.work_starts), end=time(settings.work_ends)
        ).astimezone(UTC)
    except CalendarNotCovered:  # the action stands; without the year's working days, nobody can hold it
        return computed_at


def deliver_at(
    action_time: datetime,
    calendar: WorkingCalendar,
    tz: tzinfo,
    *,
    start: time = WORKDAY_START,
    end: time = WORKDAY_END,
) -> datetime:
    """When a notification computed at ``action_time`` is delivered under working-hours delivery.

    ``action_time`` itself (in ``tz``) when it falls on a working day of ``calendar`` at or after
    ``start`` and before ``end`` (defaults 09:00 and 18:00 local); otherwise ``start`` of the
    same working day when it is earlier that day, else ``start`` of the next working day.
    """
    if not start < end:
        raise ValueError(f"working hours must start before they end: {start} .. {end}")
    local = require_aware(action_time).astimezone(tz)
    day: date = local.date()
    clock_time = local.time().replace(tzinfo=None)
    if calendar.is_working_day(day):
        if start <= clock_time < end:
            return local
        if clock_time < start:
            return datetime.combine(day, start, tzinfo=tz)
    return datetime.combine(next_working_day(calendar, day + timedelta(days=1)), start, tzinfo=tz)
