"""DOMAIN §4: working days with statutory holidays and make-up working days (调休)."""

from datetime import date

import pytest

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
