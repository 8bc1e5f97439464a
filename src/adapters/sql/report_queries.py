"""Report queries over the stored cases: counts for a month (or any closing-time range).

``monthly_counts`` reads only the covering index
``ix_cases_closed_at_category_severity_market_status``: one range search on
``closed_at``, one ``GROUP BY`` of the four dimensions (a few hundred groups at
most), and the per-dimension totals are summed here from those groups. That is one
pass over the month's index entries instead of one per dimension.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, func, select

from . import tables as t

DIMENSIONS = ("category", "severity", "market", "status")

MonthlyCounts = dict[str, dict[str | None, int]]


def monthly_counts_query(start: datetime, end: datetime) -> Select[Any]:
    """Groups of (category, severity, market, status) with their counts, for cases closed in [start, end)."""
    c = t.cases.c
    columns = [c[name] for name in DIMENSIONS]
    return select(*columns, func.count().label("n")).where(c.closed_at >= start, c.closed_at < end).group_by(*columns)


def monthly_counts(conn: Connection, start: datetime, end: datetime) -> MonthlyCounts:
    """Cases whose ``closed_at`` is in [start, end), counted by each dimension.

    ``closed_at`` is what ``rows.finished_at`` stores: when the case was closed or settled.
    Returns ``{"category": {...}, "severity": {...}, "market": {...}, "status": {...}}``; every
    inner dict sums to the number of such cases. A case without a severity counts under ``None``;
    a value appears only when it occurs.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must carry a time zone")
    out: MonthlyCounts = {name: {} for name in DIMENSIONS}
    by_category, by_severity, by_market, by_status = (out[name] for name in DIMENSIONS)
    for category, severity, market, status, n in conn.execute(monthly_counts_query(start, end)):
        by_category[category] = by_category.get(category, 0) + n
        by_severity[severity] = by_severity.get(severity, 0) + n
        by_market[market] = by_market.get(market, 0) + n
        by_status[status] = by_status.get(status, 0) + n
    return out
