"""Property tests for working-day arithmetic (DOMAIN §4; P2-DL-01 working days, 调休 make-up days).

Counting: the start is day 0, ``add_working_days(s, n)`` is the n-th working
day strictly after ``s``; n = 0 rolls a rest day forward. Checked over the
bundled China calendar (against the ``holidays`` package as an oracle) and over
random synthetic ``TableCalendar``s (against a naive day-by-day loop).
"""

from __future__ import annotations

from datetime import date, timedelta

import holidays
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from adapters.calendars import china_calendar
from complaint_core.calendar import (
    TableCalendar,
    add_working_days,
    next_working_day,
    weekends_only,
    working_days_between,
)
from complaint_core.errors import CalendarNotCovered, PolicyInvalid, RuleViolation

CN = china_calendar()
CN_ORACLE = holidays.China(years=range(2023, 2029))  # type: ignore[attr-defined]
ONE = timedelta(days=1)

cn_days = st.dates(min_value=CN.first, max_value=CN.last)
# Starts far enough from ``last`` that n ≤ 60 working days always stays covered.
cn_safe_days = st.dates(min_value=CN.first, max_value=CN.last - timedelta(days=120))
small_n = st.integers(min_value=0, max_value=60)


# ----- synthetic calendars ---------------------------------------------------------------------------


@st.composite
def synthetic_calendars(draw: st.DrawFn) -> TableCalendar:
    """A random covered range with random holidays and make-up days (weekend days, disjoint from holidays)."""
    first = draw(st.dates(min_value=date(1990, 1, 1), max_value=date(2040, 12, 31)))
    length = draw(st.integers(min_value=0, max_value=150))
    days = [first + timedelta(days=i) for i in range(length + 1)]
    holiday_set = draw(st.sets(st.sampled_from(days), max_size=len(days)))
    weekend = [d for d in days if d.weekday() >= 5 and d not in holiday_set]
    makeup = draw(st.sets(st.sampled_from(weekend), max_size=len(weekend))) if weekend else set()
    return TableCalendar(name="synthetic", first=first, last=days[-1], holidays=holiday_set, makeup_workdays=makeup)


def naive_is_working(cal: TableCalendar, day: date) -> bool:
    return day in cal.makeup_workdays or (day.weekday() < 5 and day not in cal.holidays)


def naive_add(cal: TableCalendar, start: date, n: int) -> date | None:
    """Day-by-day reference: None where the answer falls outside the calendar."""
    if not cal.first <= start <= cal.last:
        return None
    if n == 0:
        if naive_is_working(cal, start):
            return start
        n = 1
    day, count = start, 0
    while count < n:
        day += ONE
        if day > cal.last:
            return None
        if naive_is_working(cal, day):
            count += 1
    return day


def naive_between(cal: TableCalendar, start: date, end: date) -> int:
    lo, hi, sign = (start, end, 1) if start <= end else (end, start, -1)
    count, day = 0, lo
    while day < hi:
        day += ONE
        count += naive_is_working(cal, day)
    return sign * count


@st.composite
def calendar_and_day(draw: st.DrawFn) -> tuple[TableCalendar, date]:
    cal = draw(synthetic_calendars())
    return cal, draw(st.dates(min_value=cal.first, max_value=cal.last))


# ----- the bundled China calendar -------------------------------------------------------------------


@given(start=cn_safe_days, n=st.integers(min_value=1, max_value=60))
@example(start=date(2025, 1, 25), n=1)  # Saturday before the Sunday make-up day 2025-01-26
@example(start=date(2025, 2, 7), n=1)  # Friday before make-up Saturday 2025-02-08
@example(start=date(2024, 9, 30), n=1)  # into the National Day week
def test_cn_between_inverts_add_p2_dl_01(start: date, n: int) -> None:
    """P2-DL-01: counting back the working days between start and its n-th working day gives n."""
    end = add_working_days(CN, start, n)
    assert working_days_between(CN, start, end) == n
    assert end > start
    assert CN.is_working_day(end)


@given(start=cn_safe_days, n=small_n)
def test_cn_result_is_working_day_and_strictly_monotone_in_n(start: date, n: int) -> None:
    """Strict for n ≥ 1; from a rest day n = 0 and n = 1 coincide (both roll forward to the next working day)."""
    a = add_working_days(CN, start, n)
    b = add_working_days(CN, start, n + 1)
    assert CN.is_working_day(a) and CN.is_working_day(b)
    if n == 0 and not CN.is_working_day(start):
        assert a == b
        return
    assert a < b
    assert working_days_between(CN, a, b) == 1
    # nothing between a and b is a working day
    day = a + ONE
    while day < b:
        assert not CN.is_working_day(day)
        day += ONE


@given(s1=cn_safe_days, s2=cn_safe_days, n=small_n)
def test_cn_monotone_in_start(s1: date, s2: date, n: int) -> None:
    s1, s2 = min(s1, s2), max(s1, s2)
    assert add_working_days(CN, s1, n) <= add_working_days(CN, s2, n)


@given(start=cn_safe_days)
@example(start=date(2025, 2, 8))  # make-up Saturday: a working day
@example(start=date(2025, 1, 26))  # make-up Sunday: a working day
@example(start=date(2025, 10, 1))  # National Day holiday
def test_cn_zero_days_from_working_day_is_start_else_next(start: date) -> None:
    """n = 0 keeps a working day and rolls a rest day forward to the next working day (DOMAIN §4)."""
    result = add_working_days(CN, start, 0)
    assert next_working_day(CN, start) == result
    if CN.is_working_day(start):
        assert result == start
    else:
        assert result == add_working_days(CN, start, 1)
        assert result > start


@given(start=st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 20)), n=st.integers(1, 10))
@example(start=date(2025, 1, 25), n=1)
@example(start=date(2025, 1, 24), n=2)
@example(start=date(2026, 12, 18), n=10)
def test_cn_agrees_with_holidays_package(start: date, n: int) -> None:
    """The ``holidays`` package's China calendar (same semantics: n-th working day strictly after) is the oracle."""
    expected = CN_ORACLE.get_nth_working_day(start, n)
    if expected <= CN.last:
        assert add_working_days(CN, start, n) == expected
    else:
        with pytest.raises(CalendarNotCovered):
            add_working_days(CN, start, n)


@given(day=st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 31)))
def test_cn_working_day_agrees_with_holidays_package(day: date) -> None:
    assert CN.is_working_day(day) == CN_ORACLE.is_working_day(day)


@given(
    day=st.one_of(
        st.dates(max_value=CN.first - ONE, min_value=date(1900, 1, 1)),
        st.dates(min_value=CN.last + ONE, max_value=date(2200, 12, 31)),
    ),
    other=cn_days,
    n=small_n,
)
def test_cn_outside_range_raises_calendar_not_covered(day: date, other: date, n: int) -> None:
    """DOMAIN §4: a date outside the covered years raises CalendarNotCovered, never a guess."""
    with pytest.raises(CalendarNotCovered):
        add_working_days(CN, day, n)
    with pytest.raises(CalendarNotCovered):
        CN.is_working_day(day)
    with pytest.raises(CalendarNotCovered):
        working_days_between(CN, day, other)
    with pytest.raises(CalendarNotCovered):
        working_days_between(CN, other, day)
    with pytest.raises(CalendarNotCovered):
        next_working_day(CN, day)


@given(start=st.dates(min_value=CN.last - timedelta(days=30), max_value=CN.last), extra=st.integers(1, 200))
def test_cn_result_past_last_raises(start: date, extra: int) -> None:
    left = working_days_between(CN, start, CN.last)
    with pytest.raises(CalendarNotCovered):
        add_working_days(CN, start, left + extra)
    if left:
        assert add_working_days(CN, start, left) <= CN.last


# ----- synthetic calendars against the naive loop -----------------------------------------------------


@given(cd=calendar_and_day(), n=st.integers(min_value=0, max_value=40))
def test_synthetic_agrees_with_naive_loop(cd: tuple[TableCalendar, date], n: int) -> None:
    cal, start = cd
    expected = naive_add(cal, start, n)
    if expected is None:
        with pytest.raises(CalendarNotCovered):
            add_working_days(cal, start, n)
    else:
        assert add_working_days(cal, start, n) == expected


@given(cal=synthetic_calendars(), data=st.data())
def test_synthetic_working_day_and_between_agree_with_naive(cal: TableCalendar, data: st.DataObject) -> None:
    a = data.draw(st.dates(min_value=cal.first, max_value=cal.last), label="a")
    b = data.draw(st.dates(min_value=cal.first, max_value=cal.last), label="b")
    assert cal.is_working_day(a) == naive_is_working(cal, a)
    assert working_days_between(cal, a, b) == naive_between(cal, a, b)
    assert working_days_between(cal, a, b) == -working_days_between(cal, b, a)
    assert (
        cal.rank(cal.last)
        == cal.working_day_count
        == sum(naive_is_working(cal, cal.first + timedelta(days=i)) for i in range((cal.last - cal.first).days + 1))
    )


@given(cd=calendar_and_day(), n=st.integers(min_value=1, max_value=40))
def test_synthetic_between_inverts_add(cd: tuple[TableCalendar, date], n: int) -> None:
    cal, start = cd
    try:
        end = add_working_days(cal, start, n)
    except CalendarNotCovered:
        assert naive_add(cal, start, n) is None
        return
    assert working_days_between(cal, start, end) == n
    assert cal.is_working_day(end)
    assert naive_is_working(cal, end)


@given(cal=synthetic_calendars(), data=st.data())
def test_synthetic_monotone_in_start_and_n(cal: TableCalendar, data: st.DataObject) -> None:
    s1 = data.draw(st.dates(min_value=cal.first, max_value=cal.last), label="s1")
    s2 = data.draw(st.dates(min_value=s1, max_value=cal.last), label="s2")
    n = data.draw(st.integers(min_value=0, max_value=20), label="n")
    results: dict[tuple[date, int], date | None] = {}
    for s in (s1, s2):
        for k in (n, n + 1):
            try:
                results[s, k] = add_working_days(cal, s, k)
            except CalendarNotCovered:
                results[s, k] = None
    a, b = results[s1, n], results[s1, n + 1]
    if a is not None and b is not None:
        if n == 0 and not naive_is_working(cal, s1):
            assert a == b  # n = 0 from a rest day rolls forward, like n = 1
        else:
            assert a < b
    if b is not None:
        assert a is not None, "n-th working day uncovered while the (n+1)-th is covered"
    c = results[s2, n]
    if a is not None and c is not None:
        assert a <= c
    if c is not None:
        assert a is not None, "a later start found a covered answer an earlier start did not"


@given(cd=calendar_and_day())
def test_synthetic_zero_days_from_working_day_is_start(cd: tuple[TableCalendar, date]) -> None:
    cal, start = cd
    assume(naive_is_working(cal, start))
    assert add_working_days(cal, start, 0) == start
    assert next_working_day(cal, start) == start


@given(cal=synthetic_calendars(), before=st.integers(1, 5000), after=st.integers(1, 5000), n=st.integers(0, 30))
def test_synthetic_outside_range_raises(cal: TableCalendar, before: int, after: int, n: int) -> None:
    for day in (cal.first - timedelta(days=before), cal.last + timedelta(days=after)):
        with pytest.raises(CalendarNotCovered):
            add_working_days(cal, day, n)
        with pytest.raises(CalendarNotCovered):
            cal.is_working_day(day)
        with pytest.raises(CalendarNotCovered):
            cal.rank(day)
        with pytest.raises(CalendarNotCovered):
            working_days_between(cal, cal.first, day)


@given(cd=calendar_and_day(), extra=st.integers(min_value=1, max_value=30))
def test_synthetic_result_past_last_raises(cd: tuple[TableCalendar, date], extra: int) -> None:
    cal, start = cd
    left = working_days_between(cal, start, cal.last)
    with pytest.raises(CalendarNotCovered):
        add_working_days(cal, start, left + extra)


@given(
    cd=calendar_and_day(),
    n=st.integers(min_value=-50, max_value=-1) | st.floats(0, 30) | st.booleans() | st.decimals(0, 30, places=0),
)
def test_negative_or_fractional_n_refused(cd: tuple[TableCalendar, date], n: object) -> None:
    """A domain error naming the count, not a bare ValueError, TypeError or a silently truncated count."""
    cal, start = cd
    with pytest.raises(RuleViolation, match="whole number of working days"):
        add_working_days(cal, start, n)  # type: ignore[arg-type]


@given(
    first=st.dates(min_value=date(1990, 1, 1), max_value=date(2040, 1, 1)),
    length=st.integers(0, 400),
    n=st.integers(0, 30),
    data=st.data(),
)
def test_weekends_only_is_monday_to_friday_and_estimated(first: date, length: int, n: int, data: st.DataObject) -> None:
    cal = weekends_only(first, first + timedelta(days=length))
    start = data.draw(st.dates(min_value=cal.first, max_value=cal.last), label="start")
    assert cal.is_working_day(start) == (start.weekday() < 5)
    assert cal.is_estimated(start)
    expected = naive_add(cal, start, n)
    if expected is None:
        with pytest.raises(CalendarNotCovered):
            add_working_days(cal, start, n)
    else:
        assert add_working_days(cal, start, n) == expected


# ----- construction refusals --------------------------------------------------------------------------


@given(cal=synthetic_calendars(), data=st.data())
def test_weekday_makeup_day_refused(cal: TableCalendar, data: st.DataObject) -> None:
    """Make-up working days (调休) are weekend days; a weekday one is a data error."""
    days = [cal.first + timedelta(days=i) for i in range((cal.last - cal.first).days + 7)]
    weekday = data.draw(st.sampled_from([d for d in days if d.weekday() < 5]), label="weekday")
    with pytest.raises(PolicyInvalid):
        TableCalendar(first=cal.first, last=cal.last, holidays=cal.holidays, makeup_workdays={weekday})


@given(cal=synthetic_calendars(), data=st.data())
def test_day_both_holiday_and_makeup_refused(cal: TableCalendar, data: st.DataObject) -> None:
    days = [cal.first + timedelta(days=i) for i in range((cal.last - cal.first).days + 7)]
    weekend = data.draw(st.sampled_from([d for d in days if d.weekday() >= 5]), label="weekend")
    with pytest.raises(PolicyInvalid):
        TableCalendar(first=cal.first, last=cal.last, holidays={weekend}, makeup_workdays={weekend})


@given(first=st.dates(min_value=date(1990, 1, 2)), back=st.integers(1, 1000))
def test_last_before_first_refused(first: date, back: int) -> None:
    assume(first - timedelta(days=back) >= date.min)
    with pytest.raises(PolicyInvalid):
        TableCalendar(first=first, last=first - timedelta(days=back))
