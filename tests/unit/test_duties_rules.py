"""Edges of periodic duties (DOMAIN §4: P1-DL-05..07 monthly by the 10th, P5-DL-03 daily on working days)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

import attrs
import pytest

from complaint_core import DutyPeriod, DutyRule, Labels, RuleViolation, TableCalendar, open_duties
from complaint_core.duties import check_period, latest_period, periods

SH = ZoneInfo("Asia/Shanghai")
Maker = Callable[..., datetime]
MONTHLY = DutyRule(name="monthly_statistics", label=Labels("月统计", "statistics"), every=DutyPeriod.MONTH, due=10)
WORKDAYS = DutyRule(name="opinion_book_check", label=Labels("意见簿", "book"), every=DutyPeriod.DAY, working_days=True)


class NoWorkingDays:
    """A calendar on which no day is worked (only ``is_working_day`` is asked)."""

    def is_working_day(self, day: date) -> bool:
        return False


def test_periods_needs_an_end() -> None:
    """P1-DL-05: listing periods needs ``last`` or ``opened_by``; without either it refuses at once."""
    with pytest.raises(ValueError, match="needs last or opened_by"):
        next(periods(MONTHLY, date(2026, 11, 1)))


def test_p1_dl_05_a_month_opened_before_since_but_due_after_it_is_listed() -> None:
    """P1-DL-05: October opens 11-01 and is due 11-10, so it is still owed when listing from 11-05."""
    assert list(periods(MONTHLY, date(2026, 11, 5), date(2026, 11, 30))) == [
        ("2026-10", date(2026, 11, 1), date(2026, 11, 10))
    ]


def test_p1_dl_05_not_overdue_at_the_last_instant_of_the_due_day(sh: Maker) -> None:
    """P1-DL-05: due by the 10th means until the end of the 10th; the last microsecond is still on time."""
    at = datetime(2026, 12, 10, 23, 59, 59, 999999, tzinfo=SH)
    (due,) = open_duties([MONTHLY], tz=SH, calendar=None, done=(), as_of=at, since=date(2026, 12, 1))
    assert due.due_at == at and due.overdue is False


def test_the_first_and_last_supported_years_are_accepted(sh: Maker) -> None:
    """DUTY: years FIRST_YEAR (1000) and LAST_YEAR (9998) are inside the range, 999 and 9999 outside."""
    assert next(periods(MONTHLY, date(1000, 3, 1), date(1000, 12, 31)))[0] == "1000-02"
    assert next(periods(MONTHLY, date(9998, 3, 1), date(9998, 12, 31)))[0] == "9998-02"
    check_period(MONTHLY, "9998-01", sh(9998, 3, 1), SH, None)
    check_period(MONTHLY, "1000-01", sh(1000, 3, 1), SH, None)


def test_as_of_beyond_the_supported_years_is_refused(sh: Maker) -> None:
    """DUTY: an ``as_of`` in 9999 is refused by open_duties and latest_period, as ``--at`` is."""
    with pytest.raises(RuleViolation, match="years lie between"):
        open_duties([MONTHLY], tz=SH, calendar=None, done=(), as_of=sh(9999, 1, 5), since=date(9998, 12, 1))
    with pytest.raises(RuleViolation, match="years lie between"):
        latest_period(MONTHLY, sh(9999, 1, 5), SH, None)


def test_p5_dl_03_a_rest_day_is_not_recorded_a_make_up_day_is(cn: TableCalendar, sh: Maker) -> None:
    """P5-DL-03: a working-days duty is owed on the make-up Saturday 2026-10-10, not on National Day."""
    check_period(WORKDAYS, "2026-10-10", sh(2026, 10, 10, 12), SH, cn)
    with pytest.raises(RuleViolation, match="not a working day"):
        check_period(WORKDAYS, "2026-10-01", sh(2026, 10, 10, 12), SH, cn)


def test_p5_dl_03_latest_period_skips_rest_days(cn: TableCalendar, sh: Maker) -> None:
    """P5-DL-03: on National Day the latest owed day is the last working day before it, 2026-09-30."""
    assert latest_period(WORKDAYS, sh(2026, 10, 5), SH, cn) == "2026-09-30"
    assert latest_period(attrs.evolve(WORKDAYS, working_days=False), sh(2026, 10, 5), SH, cn) == "2026-10-05"


def test_latest_period_refuses_when_no_period_is_owed(sh: Maker) -> None:
    """P5-DL-03: with no working day to be found, there is no period to record: a RuleViolation, not None."""
    with pytest.raises(RuleViolation, match="no period open"):
        latest_period(WORKDAYS, sh(2026, 10, 5), SH, NoWorkingDays())  # type: ignore[arg-type]
