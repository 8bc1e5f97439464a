"""DOMAIN §4: working days with statutory holidays and make-up working days (调休)."""

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from complaint_core import (
    CalendarNotCovered,
    PolicyInvalid,
    TableCalendar,
    add_working_days,
    next_working_day,
    weekends_only,
    working_days_between,
)


def small() -> TableCalendar:
    # 2025-01: Wed 01-01 holiday; Sun 01-26 make-up working day; 01-28..02-04 Spring Festival
    return TableCalendar(
        name="t",
        first=date(2025, 1, 1),
        last=date(2025, 2, 28),
        holidays=frozenset(
            {date(2025, 1, 1), *(date(2025, 1, d) for d in range(28, 32)), *(date(2025, 2, d) for d in range(1, 5))}
        ),
        makeup_workdays=frozenset({date(2025, 1, 26), date(2025, 2, 8)}),
    )


def test_start_day_is_day_zero_and_results_are_working_days() -> None:
    cal = small()
    assert add_working_days(cal, date(2025, 1, 2), 1) == date(2025, 1, 3)  # Thu → Fri
    assert add_working_days(cal, date(2025, 1, 3), 1) == date(2025, 1, 6)  # Fri → Mon


def test_from_a_rest_day_counting_starts_at_the_next_working_day() -> None:
    cal = small()
    assert add_working_days(cal, date(2025, 1, 4), 1) == date(2025, 1, 6)  # Sat + 1 WD = Mon
    assert add_working_days(cal, date(2025, 1, 4), 0) == date(2025, 1, 6)  # n=0 rolls forward
    assert add_working_days(cal, date(2025, 1, 6), 0) == date(2025, 1, 6)


def test_make_up_sunday_counts_and_the_holiday_does_not() -> None:
    cal = small()
    assert cal.is_working_day(date(2025, 1, 26))
    assert not cal.is_working_day(date(2025, 1, 1))
    assert add_working_days(cal, date(2025, 1, 24), 1) == date(2025, 1, 26)
    assert add_working_days(cal, date(2025, 1, 27), 1) == date(2025, 2, 5)
    assert working_days_between(cal, date(2025, 1, 24), date(2025, 2, 5)) == 3
    assert working_days_between(cal, date(2025, 2, 5), date(2025, 1, 24)) == -3


def test_next_working_day() -> None:
    cal = small()
    assert next_working_day(cal, date(2025, 1, 28)) == date(2025, 2, 5)
    assert next_working_day(cal, date(2025, 2, 8)) == date(2025, 2, 8)


def test_outside_the_covered_range_raises_calendar_not_covered() -> None:
    cal = small()
    with pytest.raises(CalendarNotCovered) as err:
        cal.is_working_day(date(2025, 3, 1))
    assert "calendar file" in str(err.value)
    with pytest.raises(CalendarNotCovered):
        add_working_days(cal, date(2024, 12, 31), 1)
    with pytest.raises(CalendarNotCovered):
        add_working_days(cal, date(2025, 2, 27), 3)  # the result would pass the last day


def test_past_the_last_day_the_error_names_the_first_day_not_covered() -> None:
    """DOMAIN §4: the error says which day is missing (the day after the last), so the message names the year."""
    cal = small()
    with pytest.raises(CalendarNotCovered) as err:
        add_working_days(cal, date(2025, 2, 27), 3)
    assert (err.value.day, err.value.first, err.value.last) == (date(2025, 3, 1), cal.first, cal.last)


def test_working_day_at_is_the_working_day_of_a_rank() -> None:
    """DOMAIN §4: ranks count working days from ``first`` (1-based); outside 1..count the calendar does not cover the
    day, and the error names the day just outside the range on that side."""
    cal = small()
    count = cal.working_day_count
    assert cal.working_day_at(1) == date(2025, 1, 2)  # 01-01 is a holiday
    assert cal.working_day_at(count) == date(2025, 2, 28)
    assert cal.rank(date(2025, 2, 28)) == count
    for rank, outside in ((0, date(2024, 12, 31)), (-3, date(2024, 12, 31)), (count + 1, date(2025, 3, 1))):
        with pytest.raises(CalendarNotCovered) as err:
            cal.working_day_at(rank)
        assert err.value.day == outside, rank
    weekend = TableCalendar(first=date(2025, 1, 4), last=date(2025, 1, 5))  # Sat-Sun: no working day at all
    with pytest.raises(CalendarNotCovered) as err:
        weekend.working_day_at(1)
    assert (weekend.working_day_count, err.value.day) == (0, date(2025, 1, 6))


def test_working_day_at_inverts_rank_on_every_working_day() -> None:
    cal = small()
    days = [cal.first + timedelta(days=i) for i in range((cal.last - cal.first).days + 1)]
    working = [d for d in days if cal.is_working_day(d)]
    assert [cal.working_day_at(cal.rank(d)) for d in working] == working
    assert [cal.rank(d) for d in working] == list(range(1, cal.working_day_count + 1))


@st.composite
def tables(draw: st.DrawFn) -> TableCalendar:
    first = draw(st.dates(date(2024, 1, 1), date(2026, 12, 1)))
    last = first + timedelta(days=draw(st.integers(0, 60)))
    span = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    weekdays = [d for d in span if d.weekday() < 5]
    weekend = [d for d in span if d.weekday() >= 5]
    holidays = draw(st.sets(st.sampled_from(weekdays))) if weekdays else set()
    makeup = draw(st.sets(st.sampled_from(weekend))) if weekend else set()
    return TableCalendar(first=first, last=last, holidays=holidays, makeup_workdays=makeup)


@settings(max_examples=60, deadline=None)
@given(tables())
def test_domain_4_working_day_at_and_rank_are_inverse(cal: TableCalendar) -> None:
    """DOMAIN §4: for every working day d, working_day_at(rank(d)) == d, and every rank 1..count is some working
    day's; ranks outside are not covered."""
    span = [cal.first + timedelta(days=i) for i in range((cal.last - cal.first).days + 1)]
    working = [d for d in span if cal.is_working_day(d)]
    assert cal.working_day_count == len(working)
    for d in working:
        assert cal.working_day_at(cal.rank(d)) == d
    assert [cal.working_day_at(r) for r in range(1, len(working) + 1)] == working
    for rank, outside in ((0, cal.first - timedelta(days=1)), (len(working) + 1, cal.last + timedelta(days=1))):
        with pytest.raises(CalendarNotCovered) as err:
            cal.working_day_at(rank)
        assert err.value.day == outside


def test_holidays_given_as_a_list_are_kept_as_a_frozenset() -> None:
    """A calendar built from lists (as read from a file) equals and hashes like one built from frozensets."""
    as_list = TableCalendar(first=date(2024, 1, 1), last=date(2024, 12, 31), holidays=[date(2024, 10, 1)])
    as_set = TableCalendar(
        first=date(2024, 1, 1), last=date(2024, 12, 31), holidays=frozenset({date(2024, 10, 1)}), makeup_workdays=()
    )
    assert isinstance(as_list.holidays, frozenset) and isinstance(as_list.makeup_workdays, frozenset)
    assert as_list == as_set and hash(as_list) == hash(as_set)
    assert not as_list.is_working_day(date(2024, 10, 1))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"first": date(2025, 2, 1), "last": date(2025, 1, 1)}, "before first"),
        ({"holidays": {date(2025, 1, 4)}, "makeup_workdays": {date(2025, 1, 4)}}, "both"),
        ({"makeup_workdays": {date(2025, 1, 6)}}, "not a weekend"),
    ],
)
def test_inconsistent_tables_are_refused(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"first": date(2025, 1, 1), "last": date(2025, 1, 31), **kwargs}
    with pytest.raises(PolicyInvalid, match=message) as refused:
        TableCalendar(**args)  # type: ignore[arg-type]
    assert refused.value.rule == "CALENDAR"


def test_weekends_only_is_marked_estimated() -> None:
    cal = weekends_only(date(2027, 1, 1), date(2027, 12, 31))
    assert cal.is_estimated(date(2027, 6, 1))
    assert add_working_days(cal, date(2027, 1, 1), 1) == date(2027, 1, 4)


class TestBundledChinaCalendar:
    """The bundled calendar from chinese_calendar, 2004-2026."""

    def test_coverage(self, cn: TableCalendar) -> None:
        assert (cn.first, cn.last) == (date(2004, 1, 1), date(2026, 12, 31))

    def test_2025_make_up_days_sunday_0126_and_saturday_0208(self, cn: TableCalendar) -> None:
        assert cn.is_working_day(date(2025, 1, 26)) and cn.is_working_day(date(2025, 2, 8))
        assert not cn.is_working_day(date(2025, 1, 29))  # Spring Festival

    def test_p2_dl_01_across_national_day_2026_lands_on_the_make_up_saturday(self, cn: TableCalendar) -> None:
        assert add_working_days(cn, date(2026, 9, 30), 3) == date(2026, 10, 10)
        assert add_working_days(cn, date(2026, 10, 3), 1) == date(2026, 10, 8)

    def test_2026_has_248_working_days(self, cn: TableCalendar) -> None:
        assert working_days_between(cn, date(2025, 12, 31), date(2026, 12, 31)) == 248

    def test_2027_is_not_covered(self, cn: TableCalendar) -> None:
        with pytest.raises(CalendarNotCovered, match="2027-01-04"):
            cn.is_working_day(date(2027, 1, 4))
        with pytest.raises(CalendarNotCovered):
            add_working_days(cn, date(2026, 12, 30), 5)
