"""DOMAIN §4: every instant aware and kept in UTC, days in the policy zone, months as "YYYY-MM" keys.

Each test fails on the mutant of ``timeutil.py`` it was written for."""

from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import pytest

from complaint_core.errors import InvalidInstant
from complaint_core.timeutil import add_months, is_month, month_key, month_span, require_aware, require_date, utc_z

SH = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("value", ["2026-11", "1000-01", "9998-12"])
def test_a_month_key_is_yyyy_mm_within_the_years_kept(value: str) -> None:
    assert is_month(value)


@pytest.mark.parametrize("value", ["0999-12", "9999-01", "2026-13", "2026-00", "2026-1", "２０２６-11", 202611, None])
def test_anything_else_is_no_month(value: object) -> None:
    assert not is_month(value)


def test_an_aware_instant_is_kept_in_utc_and_a_naive_one_or_a_date_refused() -> None:
    utc = datetime(2026, 11, 2, 1, tzinfo=UTC)
    assert require_aware(utc) is utc
    shanghai = datetime(2026, 11, 2, 9, tzinfo=SH)
    assert require_aware(shanghai) == utc and require_aware(shanghai).tzinfo is UTC
    fixed = datetime(2026, 11, 2, 1, tzinfo=timezone(timedelta(0)))  # UTC by offset, another tzinfo object
    assert require_aware(fixed).tzinfo is UTC
    for value, says in ((datetime(2026, 11, 2, 9), "naive"), (date(2026, 11, 2), "datetime"), ("2026-11-02", "str")):
        with pytest.raises(InvalidInstant) as err:
            require_aware(value, "due")  # type: ignore[arg-type]
        assert "due" in str(err.value) and says in str(err.value)
    with pytest.raises(InvalidInstant) as err:  # a zone that gives no offset leaves the instant naive
        require_aware(datetime(2026, 11, 2, 9, tzinfo=NoOffset()))
    assert "naive" in str(err.value)
    with pytest.raises(InvalidInstant) as err:
        require_aware(datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=8))))
    assert "cannot be placed in UTC" in str(err.value)


class NoOffset(tzinfo):
    def utcoffset(self, dt: datetime | None) -> None:
        return None


class Day(date):
    """A date of a library that subclasses it."""


def test_a_date_is_a_date_and_a_datetime_is_not() -> None:
    day = date(2026, 11, 2)
    assert require_date(day, "day") is day
    theirs = Day(2026, 11, 2)
    assert require_date(theirs, "day") is theirs
    for value in (datetime(2026, 11, 2), "2026-11-02", 20261102):
        with pytest.raises(InvalidInstant) as err:
            require_date(value, "day")  # type: ignore[arg-type]
        assert "day must be a date" in str(err.value)


def test_months_are_counted_in_the_policy_zone() -> None:
    assert month_key(datetime(2026, 10, 31, 16, tzinfo=UTC), SH) == "2026-11"  # 11-01 00:00 in Shanghai
    assert month_key(datetime(2026, 10, 31, 15, 59, tzinfo=UTC), SH) == "2026-10"
    assert month_span("2026-12", SH) == (datetime(2026, 11, 30, 16, tzinfo=UTC), datetime(2026, 12, 31, 16, tzinfo=UTC))
    assert utc_z(datetime(2026, 11, 2, 9, tzinfo=SH)) == "2026-11-02T01:00:00Z"


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 1, 15), -1, date(2025, 12, 15)),
        (date(2026, 5, 31), 12, date(2027, 5, 31)),
    ],
)
def test_calendar_months_clamp_to_the_end_of_the_month(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected
