"""Aware instants and local dates: UTC inside, the policy zone for day-based limits."""

from __future__ import annotations

import calendar as _stdcal
import re
from datetime import UTC, date, datetime, time, tzinfo

from .errors import InvalidInstant

END_OF_DAY = time(23, 59, 59, 999999)
_MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])", re.ASCII)


# Years of months and of entered instants: year 1 or 9999 would overflow once a month becomes a range of
# instants in a zone, or an instant moves to UTC or by a day.
FIRST_YEAR, LAST_YEAR = 1000, 9998


def is_month(value: object) -> bool:
    """A month key "YYYY-MM" in ASCII digits, years ``FIRST_YEAR``-``LAST_YEAR``, as payroll bonuses and the
    ledger use it."""
    return isinstance(value, str) and _MONTH.fullmatch(value) is not None and FIRST_YEAR <= int(value[:4]) <= LAST_YEAR


def require_aware(value: datetime, field: str = "at") -> datetime:
    """Refuse naive datetimes and normalise to UTC (DOMAIN §4: all instants are aware)."""
    if value.__class__ is datetime and value.tzinfo is UTC:
        return value
    if not isinstance(value, datetime):
        raise InvalidInstant(f"{field} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInstant(f"{field} must be timezone-aware, got naive {value.isoformat()}")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise InvalidInstant(f"{field} {value.isoformat()} cannot be placed in UTC (year 1 or 9999)") from None


def require_date(value: date, field: str) -> date:
    """Refuse anything but a calendar day: a datetime is a ``date`` to the type checker, but compares with none."""
    if value.__class__ is date:
        return value
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidInstant(f"{field} must be a date, not {type(value).__name__} {value!r}")
    return value


def local_date(instant: datetime, tz: tzinfo) -> date:
    return instant.astimezone(tz).date()


def month_key(instant: datetime, tz: tzinfo) -> str:
    """The "YYYY-MM" month of ``instant`` in zone ``tz``: the ledger's and the reports' month."""
    day = local_date(instant, tz)
    return f"{day.year:04d}-{day.month:02d}"


def month_span(month: str, tz: tzinfo) -> tuple[datetime, datetime]:
    """The instants from the first moment of ``month`` ("YYYY-MM") in zone ``tz`` to the first of the next, as UTC."""
    year, number = int(month[:4]), int(month[5:7])
    first = date(year, number, 1)
    start = datetime.combine(first, time(), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(add_months(first, 1), time(), tzinfo=tz).astimezone(UTC)
    return start, end


def utc_z(instant: datetime) -> str:
    """An aware instant as UTC ISO-8601 with ``Z`` (the wire format of JSON output and webhooks)."""
    return require_aware(instant, "instant").isoformat().replace("+00:00", "Z")


def end_of_day(day: date, tz: tzinfo) -> datetime:
    """23:59:59.999999 local on ``day``, as UTC: day-based limits end there (DOMAIN §4)."""
    # fold=1: where a DST change repeats the day's last hour (America/Santiago), the later one ends the day
    return datetime.combine(day, END_OF_DAY, tzinfo=tz).replace(fold=1).astimezone(UTC)


def add_months(day: date, months: int) -> date:
    """Calendar months with end-of-month clamping: Jan 31 + 1 month = Feb 28/29."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = _stdcal.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))
