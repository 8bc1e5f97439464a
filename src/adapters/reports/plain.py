"""The report as JSON-ready data and as CSV, for machines: exact, language-neutral, UTC.

JSON (``to_json_dict``): snake_case keys as on the report's classes; money as strings with two
places ("700.00"); rates as ``{"numerator", "denominator", "value"}`` with ``value`` a string
rounded half up to 4 places, or null without a denominator; instants as UTC ISO-8601 with
``Z``; dates as YYYY-MM-DD; durations as ``<field>_days`` strings with 2 places; labels as
``{"zh", "en"}``; a week's counts as an object category → cases.

CSV (``to_csv``): one long ("tidy") table with the columns of ``CSV_COLUMNS``, so one reader
handles every section: ``section`` (summary, deductions, satisfaction, category, cause,
department, severity, market, clock, handling, pareto, week, audit, case), ``key`` (the
row's code, a week, a case reference or ``reference:clock``), both labels, ``metric`` and
``value`` (formatted as in JSON; booleans as true/false, lists joined with ``;``). A text cell that a
spreadsheet would run as a formula (first character, after any spaces or quotes, ``=``, ``+``, ``-``,
``@``, their full-width forms, tab or CR, and not a number) starts with an apostrophe: customer names
come from CRMs and clerks, and this file is opened in Excel (CSV injection).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

import attrs

from complaint_core.labels import Labels
from complaint_core.report import Group, MonthlyReport, Rate, Week, duration_days
from complaint_core.timeutil import utc_z

CSV_COLUMNS: tuple[str, ...] = ("section", "key", "label_zh", "label_en", "metric", "value")


def utc(instant: datetime) -> str:
    return utc_z(instant)


def rate_value(value: Rate) -> str | None:
    rounded = value.value(4)
    return None if rounded is None else str(rounded)


def _plain(value: Any) -> Any:
    if isinstance(value, Rate):
        return {"numerator": value.numerator, "denominator": value.denominator, "value": rate_value(value)}
    if isinstance(value, Week):
        return {"week": value.week, "counts": dict(value.counts), "total": value.total}
    if attrs.has(type(value)):
        out: dict[str, Any] = {}
        for field in attrs.fields(type(value)):
            item = getattr(value, field.name)
            if isinstance(item, timedelta) or (item is None and field.name in ("median", "p90")):
                out[f"{field.name}_days"] = None if item is None else str(duration_days(item))
            else:
                out[field.name] = _plain(item)
        return out
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return utc(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def to_json_dict(report: MonthlyReport) -> dict[str, Any]:
    """The whole report as plain data for ``json.dumps`` (see the module docstring for the encoding)."""
    data: dict[str, Any] = _plain(report)
    data["overdue"] = _plain(report.overdue)
    return data


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Rate):
        return rate_value(value) or ""
    if isinstance(value, timedelta):
        return str(duration_days(value))
    if isinstance(value, tuple):
        return ";".join(_cell(item) for item in value)
    if isinstance(value, datetime):
        return utc(value)
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


# Full-width signs too: a spreadsheet with East Asian input may read ＝ as =. Leading spaces and quotes are skipped
# when looking, as some spreadsheets skip them when importing.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


def _inert(text: str) -> str:
    """``text``, with an apostrophe first if a spreadsheet would run it as a formula (numbers stay numbers)."""
    if text.lstrip(" \"'").startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


Row = tuple[str, str, Labels | None, str, Any]


def _rows(report: MonthlyReport) -> Iterator[Row]:
    summary = {
        "total": report.total,
        "overdue_rate": report.overdue,
        "repeat_rate": report.repeat,
        "satisfaction_rate": report.satisfaction.rate,
        "claimed": report.money.claimed,
        "remedy": report.money.remedy,
        "loss": report.money.loss,
        "median_days": report.handling.median,
        "p90_days": report.handling.p90,
    }
    for metric, value in summary.items():
        yield "summary", report.month, None, metric, value
    if report.deductions is not None:
        for field in attrs.fields(type(report.deductions)):
            yield "deductions", report.month, None, field.name, getattr(report.deductions, field.name)
    for field in attrs.fields(type(report.satisfaction)):
        yield "satisfaction", report.month, None, field.name, getattr(report.satisfaction, field.name)
    sections: tuple[tuple[str, tuple[Group, ...]], ...] = (
        ("category", report.by_category),
        ("cause", report.by_cause),
        ("department", report.by_department),
        ("severity", report.by_severity),
        ("market", report.by_market),
    )
    for section, groups in sections:
        for group in groups:
            for metric in ("cases", "share", "loss", "remedy", "clocks", "late", "overdue"):
                yield section, group.key, group.label, metric, getattr(group, metric)
    for clock in report.clocks:
        for metric in ("clocks", "late", "overdue"):
            yield "clock", clock.clock, clock.label, metric, getattr(clock, metric)
    for bucket in report.handling.buckets:
        key = f"le_{bucket.upper_days}" if bucket.upper_days is not None else "gt"
        yield "handling", key, bucket.label, "cases", bucket.cases
        yield "handling", key, bucket.label, "share", bucket.share
    for row in report.pareto:
        for metric in ("cases", "share", "cumulative"):
            yield "pareto", row.cause, row.label, metric, getattr(row, metric)
    for week in report.weeks:
        for category, count in week.counts:
            yield "week", week.week, None, category, count
    for step in report.audit:
        key = f"{step.reference}:{step.clock}"
        for metric in ("rule_id", "due", "stopped_at", "days_late", "working_days_late", "department", "delay_parties"):
            yield "audit", key, step.clock_label, metric, getattr(step, metric)
    for line in report.cases:
        for field in attrs.fields(type(line)):
            value = getattr(line, field.name)
            metric = f"{field.name}_days" if isinstance(value, timedelta) else field.name
            if field.name != "reference":
                yield "case", line.reference, None, metric, value


def to_csv(report: MonthlyReport) -> str:
    """The report as one long CSV table (``CSV_COLUMNS``; see the module docstring), lines ending in CRLF."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for section, key, label, metric, value in _rows(report):
        cells = (section, key, label.zh if label else "", label.en if label else "", metric, _cell(value))
        writer.writerow([_inert(cell) for cell in cells])
    return out.getvalue()
