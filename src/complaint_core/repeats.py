"""Repeat complaints: the same customer on the same issue again (DOMAIN §2 Links, P4-CLS-04, E4-CL-01).

Default reading of "the same issue" (同一问题): the same customer (ignoring surrounding blanks) and the same
category, and, when both complaints name part numbers, at least one part in common. An earlier complaint counts
when the new one comes within the policy's ``repeat_window`` of it. A second complaint's chain counts in any
case (its parent is the same issue by definition).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo

from .calendar import WorkingCalendar
from .case import Case
from .clocks import shift
from .intake import Intake, customer_key
from .policy import Limit


def same_issue(new: Intake, earlier: Intake) -> bool:
    if customer_key(new.customer) != customer_key(earlier.customer) or new.category != earlier.category:
        return False
    parts = {line.part_no for line in new.lines if line.part_no}
    before = {line.part_no for line in earlier.lines if line.part_no}
    return not (parts and before) or bool(parts & before)


def earlier_same_issue(
    intake: Intake,
    at: datetime,
    candidates: Iterable[Case],
    window: Limit,
    *,
    calendar: WorkingCalendar | None,
    tz: tzinfo,
) -> int:
    """How many ``candidates`` received before ``at`` are the same issue as ``intake``, ``at`` within ``window``
    of each."""
    return sum(
        1
        for case in candidates
        if case.received_at < at
        and same_issue(intake, case.intake)
        and at <= shift(case.received_at, window, calendar=calendar, tz=tz)
    )
