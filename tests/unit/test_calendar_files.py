"""User calendar files extend or override the bundled calendar (DOMAIN §4), e.g. for 2027."""

import json
from datetime import date
from pathlib import Path

import pytest

from adapters.calendars import CalendarRegistry, read_calendar_file, with_weekend_fallback
from complaint_core import (
    CalendarNotCovered,
    CalendarSettings,
    NotFound,
    PolicyInvalid,
    TableCalendar,
    add_working_days,
)

CN_2027 = """
name = "cn"
source = "test data, not the State Council notice"
[years.2027]
holidays = ["2027-01-01", "2027-02-05", "2027-02-08", "2027-02-09", "2027-02-10", "2027-02-11"]
workdays = ["2027-02-13"]
"""


def test_toml_file_extends_coverage_to_2027(tmp_path: Path) -> None:
    path = tmp_path / "cn-2027.toml"
    path.write_text(CN_2027)
    cal = CalendarRegistry([path]).get(CalendarSettings())
    assert cal.last == date(2027, 12, 31)
    assert not cal.is_working_day(date(2027, 2, 8))
    assert cal.is_working_day(date(2027, 2, 13))  # make-up Saturday
    assert add_working_days(cal, date(2027, 2, 4), 1) == date(2027, 2, 12)
    assert add_working_days(cal, date(2026, 12, 31), 1) == date(2027, 1, 4)
    assert not cal.is_estimated(date(2027, 6, 1))


def test_json_file_overrides_a_year(tmp_path: Path) -> None:
    path = tmp_path / "override.json"
    path.write_text(json.dumps({"name": "cn", "years": {"2026": {"holidays": ["2026-06-01"], "workdays": []}}}))
    cal = CalendarRegistry([path]).get(CalendarSettings())
    assert not cal.is_working_day(date(2026, 6, 1))
    assert cal.is_working_day(date(2026, 10, 5))  # the whole year was replaced


def test_a_calendar_of_its_own_name(tmp_path: Path) -> None:
    path = tmp_path / "hk.toml"
    path.write_text('name = "plant-hk"\n[years.2026]\nholidays = ["2026-07-01"]\n')
    cal = CalendarRegistry([path]).get(CalendarSettings(name="plant-hk"))
    assert (cal.first, cal.last) == (date(2026, 1, 1), date(2026, 12, 31))
    assert not cal.is_working_day(date(2026, 7, 1))
    with pytest.raises(NotFound, match="no calendar named 'nope'"):
        CalendarRegistry([path]).get(CalendarSettings(name="nope"))


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ('[years.2027]\nholidays = ["2027-13-01"]\n', "years.2027.holidays[0]"),
        ("[years.2027]\nholidays = [2027-01-01, 2027-01-04T00:00:00]\n", "years.2027.holidays[1]"),
        ('[years.2027]\nworkdays = ["2027-02-08"]\n', "years.2027.workdays"),
        ('[years.2027]\nholidays = ["2026-02-08"]\n', "years.2027.holidays"),
        ('[years.2027]\nholiday = ["2027-02-08"]\n', "years.2027.holiday"),
        ("[years.2029]\nholidays = []\n", "years.2029"),
        ('colour = "red"\n[years.2027]\n', "colour"),
        ("name = 'cn'\n", "years"),
        ('[years.2027]\nholidays = "2027-01-01"\n', "years.2027.holidays"),  # a date, not a list of dates
        ('[years.2027]\nholidays = ["20270101"]\n', "years.2027.holidays[0]"),  # fromisoformat alone takes it
        ("[years.2027]\nholidays = [20270101]\n", "years.2027.holidays[0]"),
        ('name = "plant\\tb"\n[years.2027]\n', "name"),  # not printable
        ("years = 5\n", "years"),
        ("[years]\n", "years"),
        ("[years]\n2027 = 5\n", "years.2027"),
        ('[years.2027]\nholidays = ["2027-02-13"]\nworkdays = ["2027-02-13"]\n', "years.2027"),
        ('[years.2027]\nworkdays = ["2027-02-12"]\n', "years.2027.workdays"),  # a Friday
        ("[years.2002]\n", "years.2002"),  # the bundled calendar starts in 2004: 2003 would be missing
        ("[years.2028]\n", "years.2028"),  # and ends in 2026
    ],
)
def test_bad_calendar_files_name_the_key(tmp_path: Path, text: str, path: str) -> None:
    file = tmp_path / "bad.toml"
    file.write_text(text)
    with pytest.raises(PolicyInvalid) as err:
        CalendarRegistry([file]).get(CalendarSettings())
    assert err.value.path == path


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyInvalid, match="cannot read"):
        read_calendar_file(tmp_path / "missing.toml")


def test_weekend_fallback_is_opt_in_and_marked(cn: TableCalendar) -> None:
    with pytest.raises(CalendarNotCovered):
        CalendarRegistry().get(CalendarSettings()).is_working_day(date(2027, 3, 1))
    cal = CalendarRegistry().get(CalendarSettings(weekend_fallback=True))
    assert cal.is_working_day(date(2027, 3, 1))
    assert cal.is_estimated(date(2027, 3, 1)) and not cal.is_estimated(date(2026, 3, 2))
    assert with_weekend_fallback(cn).last == date(2036, 12, 31)
    assert cal.is_estimated(date(2027, 1, 1)) and not cal.is_estimated(date(2026, 12, 31))


def test_a_date_both_holiday_and_working_day_is_named_earliest_first(tmp_path: Path) -> None:
    file = tmp_path / "bad.toml"
    file.write_text('[years.2027]\nholidays = ["2027-02-13", "2027-02-14"]\nworkdays = ["2027-02-14", "2027-02-13"]\n')
    with pytest.raises(PolicyInvalid, match="2027-02-13 is both a holiday and a working day"):
        read_calendar_file(file)


def test_toml_dates_and_the_year_before_the_bundled_range(tmp_path: Path) -> None:
    """Native TOML dates count like quoted ones; a year just before the covered range extends it backwards."""
    path = tmp_path / "cn-2003.toml"
    path.write_text("[years.2003]\nholidays = [2003-01-01]\nworkdays = [2003-01-04]\n")
    assert read_calendar_file(path) == {2003: ({date(2003, 1, 1)}, {date(2003, 1, 4)})}
    cal = CalendarRegistry([path]).get(CalendarSettings())
    assert cal.first == date(2003, 1, 1)
    assert not cal.is_working_day(date(2003, 1, 1)) and cal.is_working_day(date(2003, 1, 4))  # a Saturday


def test_an_overridden_year_replaces_its_make_up_working_days(tmp_path: Path) -> None:
    """2026's bundled make-up Saturday 10-10 is a rest day again once the year's file lists none."""
    assert CalendarRegistry().get(CalendarSettings()).is_working_day(date(2026, 10, 10))
    path = tmp_path / "cn-2026.json"
    path.write_text(json.dumps({"years": {"2026": {"holidays": [], "workdays": []}}}))
    assert not CalendarRegistry([path]).get(CalendarSettings()).is_working_day(date(2026, 10, 10))


def test_a_calendar_file_must_hold_a_table_and_a_proper_name(tmp_path: Path) -> None:
    listed = tmp_path / "list.json"
    listed.write_text("[2027]")
    with pytest.raises(PolicyInvalid, match="must hold a table"):
        read_calendar_file(listed)
    blank = tmp_path / "blank.toml"
    blank.write_text('name = " "\n[years.2027]\n')
    with pytest.raises(PolicyInvalid) as err:
        read_calendar_file(blank)
    assert err.value.path == "name"


def test_a_registry_builds_each_calendar_once_from_its_own_files(tmp_path: Path) -> None:
    """A file of another calendar changes nothing in ``cn``; a file's bad name is refused even when another
    calendar is asked for; without the bundled one, ``cn`` needs a file."""
    hk = tmp_path / "hk.toml"
    hk.write_text('name = "plant-hk"\n[years.2026]\nholidays = ["2026-07-01"]\n')
    registry = CalendarRegistry([hk])
    assert registry.get(CalendarSettings()) is registry.get(CalendarSettings())
    assert registry.get(CalendarSettings()).is_working_day(date(2026, 7, 1))
    blank = tmp_path / "blank.toml"
    blank.write_text('name = ""\n[years.2026]\n')
    with pytest.raises(PolicyInvalid) as err:
        CalendarRegistry([hk, blank]).get(CalendarSettings(name="plant-hk"))
    assert err.value.path == "name"
    with pytest.raises(NotFound, match="no calendar named 'cn'"):
        CalendarRegistry([hk], bundled=False).get(CalendarSettings())
