"""What the SQL store derives from a case for its indexes: due times and pending inquiries.

Deadlines depend on the case's policy and calendar, which the repository does not
know; the composition root passes a ``ClockIndexer`` built from the policy and
calendar sources. Without one, clocks are stored without due times (the sweep
then finds nothing by index: fine for tools that never sweep).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

import attrs

from complaint_core.case import Case
from complaint_core.errors import CalendarNotCovered, NotFound
from complaint_core.escalation import case_inquiries
from complaint_core.ports import CalendarSource, PolicySource


@attrs.frozen
class ClockIndex:
    due_at: datetime | None
    inquiry_pending: bool = False


ClockIndexer = Callable[[Case], Mapping[str, ClockIndex]]


def no_index(case: Case) -> Mapping[str, ClockIndex]:
    return {}


def clock_indexer(policies: PolicySource, calendars: CalendarSource) -> ClockIndexer:
    def index(case: Case) -> Mapping[str, ClockIndex]:
        try:
            policy = policies.get(case.policy_id, case.policy_version)
            calendar = calendars.get(policy.calendar)
            deadlines = case.deadlines(policy, calendar)
            late = {inquiry.clock for inquiry in case_inquiries(case, policy, calendar)}
        except (NotFound, CalendarNotCovered):
            return {}
        return {d.clock: ClockIndex(d.due, d.clock in late) for d in deadlines}

    return index
