"""Boundaries of working-hours delivery (DOMAIN §5) that the delivery table does not pin."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from attrs import evolve

from complaint_core import Policy, TableCalendar
from complaint_core.working_hours import deliver_at, held_until

SH = ZoneInfo("Asia/Shanghai")


def test_exactly_at_the_start_of_working_hours_is_delivered_then(cn: TableCalendar) -> None:
    """DOMAIN §5: a notification computed at 09:00 on a working day is in hours, not held to the next day."""
    at = datetime(2026, 11, 10, 9, tzinfo=SH)  # Tuesday
    assert deliver_at(at, cn, SH) == at
    custom = datetime(2026, 11, 10, 8, 30, tzinfo=SH)
    assert deliver_at(custom, cn, SH, start=time(8, 30), end=time(17, 30)) == custom


def test_working_hours_of_zero_length_are_refused(cn: TableCalendar) -> None:
    """DOMAIN §5: working hours must start strictly before they end; start == end is no window at all."""
    with pytest.raises(ValueError, match="start before"):
        deliver_at(datetime(2026, 11, 10, 9, tzinfo=SH), cn, SH, start=time(9), end=time(9))


def test_a_held_policy_without_a_calendar_delivers_when_computed(manufacturing: Policy) -> None:
    """DOMAIN §5: holding needs working days; with no calendar the notification goes out when computed."""
    held = evolve(manufacturing, calendar=evolve(manufacturing.calendar, hold_notifications=True))
    at = datetime(2026, 11, 8, 2, tzinfo=SH)  # Sunday 02:00
    assert held_until(held, None, at) == at


def test_a_held_policy_with_a_calendar_holds(manufacturing: Policy, cn: TableCalendar) -> None:
    """DOMAIN §5: a reminder computed at 02:00 Sunday is delivered at the next working-day start (in UTC)."""
    held = evolve(manufacturing, calendar=evolve(manufacturing.calendar, hold_notifications=True))
    got = held_until(held, cn, datetime(2026, 11, 8, 2, tzinfo=SH))
    assert got == datetime(2026, 11, 9, held.calendar.work_starts, tzinfo=SH)
