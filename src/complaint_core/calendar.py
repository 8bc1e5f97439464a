"""Working days: Monday-Friday, minus statutory holidays, plus make-up working days (调休).

Counting rules (DOMAIN §4): the start day is day 0; ``add_working_days(s, n)``
is the n-th working day strictly after ``s``, so from a rest day the count
starts at the next working day (+1 WD from Saturday is Monday). Results are
always working days. Every call is O(1): a calendar keeps, for each covered
day, how many working days there are up to it (its rank), and the list of
working days by rank.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Protocol, runtime_checkable

import attrs

from .errors import CalendarNotCovered, PolicyInvalid, RuleViolation


@runtime_checkable
class WorkingCalendar(Protocol):
    """What deadline arithmetic needs from a calendar; ``TableCalendar`` is the implementation."""

    @property
    def name(self) -> str: ...

    @property
    def first(self) -> date: ...

    @property
    def last(self) -> date: ...

    def is_working_day(self, day: date) -> bool: ...

    def rank(self, day: date) -> int:
        """Number of working days from ``first`` up to and including ``day``."""
        ...

    def working_day_at(self, rank: int) -> date:
        """The working day whose rank is ``rank`` (1-based); the inverse of ``rank``."""
        ...

    def is_estimated(self, day: date) -> bool:
        """True where the calendar guessed (weekends-only fallback) instead of knowing."""
        ...

    def add_working_days(self, start: date, n: int) -> date:
        """See the module function ``add_working_days``."""
        ...


def _frozen_dates(values: Iterable[date]) -> frozenset[date]:
    return values if isinstance(values, frozenset) else frozenset(values)


@attrs.frozen(kw_only=True)
class TableCalendar:
    """A versioned table of holidays and make-up working days over a covered range.

    ``holidays`` are weekdays off (statutory holidays and 调休 rest days);
    ``makeup_workdays`` are weekend days that are worked. Days in
    ``estimated_from``..``last`` are a weekends-only guess (opt-in fallback).
    """

    name: str = "calendar"
    first: date
    last: date
    holidays: frozenset[date] = attrs.field(factory=frozenset, converter=_frozen_dates)
    makeup_workdays: frozenset[date] = attrs.field(factory=frozenset, converter=_frozen_dates)
    estimated_from: date | None = None
    _ranks: list[int] = attrs.field(init=False, repr=False, eq=False, hash=False)
    _workdays: list[date] = attrs.field(init=False, repr=False, eq=False, hash=False)
    _first_ordinal: int = attrs.field(init=False, repr=False, eq=False, hash=False)

    def __attrs_post_init__(self) -> None:
        if self.last < self.first:
            raise PolicyInvalid(
                "last", f"calendar {self.name}: {self.last} is before first {self.first}", rule="CALENDAR"
            )
        both = self.holidays & self.makeup_workdays
        if both:
            raise PolicyInvalid(
                "makeup_workdays",
                f"calendar {self.name}: {min(both)} is both a holiday and a make-up working day",
                rule="CALENDAR",
            )
        for d in self.makeup_workdays:
            if d.weekday() < 5:
                raise PolicyInvalid(
                    "makeup_workdays",
                    f"calendar {self.name}: make-up working day {d} is not a weekend day",
                    rule="CALENDAR",
                )
        days = (self.last - self.first).days + 1
        ranks = [0] * days
        workdays: list[date] = []
        count = 0
        day = self.first
        one = timedelta(days=1)
        for offset in range(days):
            if day in self.makeup_workdays or (day.weekday() < 5 and day not in self.holidays):
                count += 1
                workdays.append(day)
            ranks[offset] = count
            day += one
        object.__setattr__(self, "_ranks", ranks)
        object.__setattr__(self, "_workdays", workdays)
        object.__setattr__(self, "_first_ordinal", self.first.toordinal())

    def _offset(self, day: date) -> int:
        offset = day.toordinal() - self.first.toordinal()
        if offset < 0 or day > self.last:
            raise CalendarNotCovered(day, self.first, self.last, name=self.name)
        return offset

    def is_working_day(self, day: date) -> bool:
        offset = self._offset(day)
        return self._ranks[offset] != (self._ranks[offset - 1] if offset else 0)

    def rank(self, day: date) -> int:
        return self._ranks[self._offset(day)]

    def working_day_at(self, rank: int) -> date:
        if rank < 1 or rank > len(self._workdays):
            beyond = self.last + timedelta(days=1) if rank > 0 else self.first - timedelta(days=1)
            raise CalendarNotCovered(beyond, self.first, self.last, name=self.name)
        return self._workdays[rank - 1]

    def is_estimated(self, day: date) -> bool:
        return self.estimated_from is not None and day >= self.estimated_from

    def add_working_days(self, start: date, n: int) -> date:
        # The hot path of every working-day deadline: one function, two list reads.
        if n.__class__ is not int or n < 0:
            raise RuleViolation(f"n must be a whole number of working days >= 0, got {n!r}", rule="CALENDAR")
        ranks = self._ranks
        offset = start.toordinal() - self._first_ordinal
        if offset < 0 or offset >= len(ranks):
            raise CalendarNotCovered(start, self.first, self.last, name=self.name)
        rank = ranks[offset]
        if n == 0:
            if rank != (ranks[offset - 1] if offset else 0):
                return start
            n = 1
        target = rank + n
        if target > len(self._workdays):
            raise CalendarNotCovered(self.last + timedelta(days=1), self.first, self.last, name=self.name)
        return self._workdays[target - 1]

    @property
    def working_day_count(self) -> int:
        return len(self._workdays)


def add_working_days(calendar: WorkingCalendar, start: date, n: int) -> date:
    """The n-th working day after ``start`` (start = day 0); ``n == 0`` rolls a rest day forward."""
    return calendar.add_working_days(start, n)


def working_days_between(calendar: WorkingCalendar, start: date, end: date) -> int:
    """Working days in (start, end]; negative when ``end`` is before ``start``."""
    return calendar.rank(end) - calendar.rank(start)


def next_working_day(calendar: WorkingCalendar, day: date) -> date:
    """``day`` itself when it is a working day, else the first working day after it."""
    return add_working_days(calendar, day, 0)


def weekends_only(first: date, last: date, *, name: str = "weekends-only") -> TableCalendar:
    """A calendar that knows no holidays: the opt-in fallback, marked as estimated throughout."""
    return TableCalendar(name=name, first=first, last=last, estimated_from=first)
