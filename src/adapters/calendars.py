"""Working calendars: the bundled China calendar and user calendar files.

The China calendar is built from ``chinese_calendar``'s tables of statutory
holidays and make-up working days (调休), covering the years that package
publishes (2004-2026 at the time of writing). A calendar file (TOML or JSON)
adds or overrides whole years, e.g. 2027 once the State Council notice is out:

    name = "cn"
    [years.2027]
    holidays = ["2027-01-01", "2027-02-08"]
    workdays = ["2027-02-06"]

Outside the covered years a date raises ``CalendarNotCovered``, unless the
policy opts into the weekends-only fallback, which is then marked estimated.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from complaint_core.calendar import TableCalendar, WorkingCalendar
from complaint_core.errors import NotFound, PolicyInvalid
from complaint_core.policy import CalendarSettings

from .text_formats import loads_document

FALLBACK_YEARS = 10


def china_calendar() -> TableCalendar:
    """The bundled China calendar from ``chinese_calendar`` (statutory holidays and 调休)."""
    import chinese_calendar

    holidays: Iterable[date] = chinese_calendar.holidays.keys()
    workdays: Iterable[date] = chinese_calendar.workdays.keys()
    first_year = min(d.year for d in holidays)
    last_year = max(d.year for d in holidays)
    return TableCalendar(
        name="cn",
        first=date(first_year, 1, 1),
        last=date(last_year, 12, 31),
        holidays=frozenset(holidays),
        makeup_workdays=frozenset(workdays),
    )


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_YEAR = re.compile(r"[0-9]{4}")


def _dates(values: Any, path: str) -> set[date]:
    if not isinstance(values, list):
        raise PolicyInvalid(path, "expected a list of dates (YYYY-MM-DD)")
    out = set()
    for i, value in enumerate(values):
        if isinstance(value, datetime):  # a TOML date-time: which day it means is ambiguous, so it is refused
            raise PolicyInvalid(f"{path}[{i}]", f"{value.isoformat()} is a date and time; give a date (YYYY-MM-DD)")
        if isinstance(value, date):
            out.add(value)
            continue
        try:  # text exactly as documented: fromisoformat alone would take 20270101, and str() an integer
            if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
                raise ValueError(value)
            out.add(date.fromisoformat(value))
        except ValueError:
            raise PolicyInvalid(f"{path}[{i}]", f"{value!r} is not a date (YYYY-MM-DD)") from None
    return out


def file_calendar_name(data: Mapping[str, Any], source: str = "calendar file") -> str:
    """The calendar a file adds years to: its ``name`` (text, not blank, no spaces around it), else ``cn``."""
    name = data.get("name", "cn")
    if not isinstance(name, str) or not name or name != name.strip() or not name.isprintable():
        raise PolicyInvalid(
            "name", f"{name!r} in {source} is not a calendar name: text, not blank, without spaces around it"
        )
    return name


def parse_calendar_data(
    data: Mapping[str, Any], source: str = "calendar file"
) -> dict[int, tuple[set[date], set[date]]]:
    """Per year: (holidays, make-up working days), validated with key paths."""
    extra = sorted(set(data) - {"name", "years", "source"})
    if extra:
        raise PolicyInvalid(extra[0], f"unknown key in {source}; expected name, source, years")
    years = data.get("years")
    if not isinstance(years, Mapping) or not years:
        raise PolicyInvalid("years", f"{source} needs a [years.YYYY] table per year")
    out: dict[int, tuple[set[date], set[date]]] = {}
    for key, table in years.items():
        path = f"years.{key}"
        if not _YEAR.fullmatch(str(key)):  # int() would also take " 2027" and full-width digits
            raise PolicyInvalid(path, f"{key!r} is not a year (YYYY)")
        year = int(key)
        if not isinstance(table, Mapping):
            raise PolicyInvalid(path, "expected a table with holidays and workdays")
        unknown = sorted(set(table) - {"holidays", "workdays", "source"})
        if unknown:
            raise PolicyInvalid(f"{path}.{unknown[0]}", "unknown key; expected holidays, workdays, source")
        holidays = _dates(table.get("holidays", []), f"{path}.holidays")
        workdays = _dates(table.get("workdays", []), f"{path}.workdays")
        for what, days in (("holidays", holidays), ("workdays", workdays)):
            for d in days:
                if d.year != year:
                    raise PolicyInvalid(f"{path}.{what}", f"{d} is not in {year}")
        for d in workdays:
            if d.weekday() < 5:
                raise PolicyInvalid(f"{path}.workdays", f"{d} is a weekday; make-up working days are weekend days")
        if holidays & workdays:
            raise PolicyInvalid(path, f"{min(holidays & workdays)} is both a holiday and a working day")
        out[year] = (holidays, workdays)
    return out


def read_calendar_document(path: Path) -> tuple[str, str, dict[str, Any]]:
    """A calendar file (TOML, or ``.json``) as (format, text, table); ``PolicyInvalid`` if it cannot be read."""
    fmt = "json" if path.suffix == ".json" else "toml"
    try:
        text = path.read_text(encoding="utf-8")
        data = loads_document(fmt, text)
    except (OSError, ValueError) as exc:
        raise PolicyInvalid("", f"cannot read calendar file {path}: {exc}") from None
    if not isinstance(data, dict):
        raise PolicyInvalid("", f"calendar file {path} must hold a table")
    return fmt, text, data


def read_calendar_file(path: Path) -> dict[int, tuple[set[date], set[date]]]:
    data = read_calendar_document(path)[2]
    file_calendar_name(data, str(path))
    return parse_calendar_data(data, str(path))


def extend_calendar(base: TableCalendar, years: Mapping[int, tuple[set[date], set[date]]]) -> TableCalendar:
    """Add or replace whole years; the covered range must stay contiguous."""
    holidays = set(base.holidays)
    workdays = set(base.makeup_workdays)
    first, last = base.first, base.last
    for year in sorted(years):
        if year < first.year - 1 or year > last.year + 1:
            raise PolicyInvalid(
                f"years.{year}",
                f"would leave a gap: the calendar covers {first.year}-{last.year}; add the years between",
            )
        holidays = {d for d in holidays if d.year != year} | years[year][0]
        workdays = {d for d in workdays if d.year != year} | years[year][1]
        first = min(first, date(year, 1, 1))
        last = max(last, date(year, 12, 31))
    return TableCalendar(
        name=base.name, first=first, last=last, holidays=frozenset(holidays), makeup_workdays=frozenset(workdays)
    )


def with_weekend_fallback(base: TableCalendar, years: int = FALLBACK_YEARS) -> TableCalendar:
    """Extend ``base`` by ``years`` of weekends-only days, marked estimated (policy opt-in)."""
    return TableCalendar(
        name=base.name,
        first=base.first,
        last=date(base.last.year + years, 12, 31),
        holidays=base.holidays,
        makeup_workdays=base.makeup_workdays,
        estimated_from=date(base.last.year + 1, 1, 1),
    )


class CalendarRegistry:
    """The ``CalendarSource`` adapter: the bundled ``cn`` calendar plus user files, built once each."""

    def __init__(
        self,
        files: Sequence[Path] = (),
        *,
        bundled: bool = True,
        documents: Sequence[tuple[str, Mapping[str, Any]]] = (),
    ) -> None:
        self._files = tuple(files)
        self._documents = tuple(documents)  # (source, parsed calendar file) e.g. stored in a database
        self._bundled = bundled
        self._cache: dict[tuple[str, bool], TableCalendar] = {}

    def _build(self, name: str) -> TableCalendar:
        base: TableCalendar | None = china_calendar() if self._bundled and name == "cn" else None
        # a file given now must name its calendar properly; a document stored before that check keeps loading
        sources = [
            *((str(path), read_calendar_document(path)[2], True) for path in self._files),
            *((s, d, False) for s, d in self._documents),
        ]
        for source, data, strict in sources:
            if (file_calendar_name(data, source) if strict else data.get("name", "cn")) != name:
                continue
            years = parse_calendar_data(dict(data), source)
            if base is None:
                y0 = min(years)
                base = TableCalendar(name=name, first=date(y0, 1, 1), last=date(y0, 12, 31))
            base = extend_calendar(base, years)
        if base is None:
            raise NotFound(f"no calendar named {name!r}; the bundled one is 'cn', others come from calendar files")
        return base

    def get(self, settings: CalendarSettings) -> WorkingCalendar:
        key = (settings.name, settings.weekend_fallback)
        if key not in self._cache:
            calendar = self._build(settings.name)
            self._cache[key] = with_weekend_fallback(calendar) if settings.weekend_fallback else calendar
        return self._cache[key]
