"""What the SQL store derives from a case for its indexes: due times and pending inquiries.

Deadlines depend on the case's policy and calendar, which the repository does not
know; the composition root passes a ``ClockIndexer`` built from the policy and
calendar sources. Without one, clocks are stored without due times (the sweep
then finds nothing by index: fine for tools that never sweep).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, tzinfo

import attrs

from complaint_core.case import Case
from complaint_core.clocks import compute_deadline
from complaint_core.errors import CalendarNotCovered, NotFound
from complaint_core.escalation import case_inquiries
from complaint_core.ports import CalendarSource, PolicySource
from complaint_core.timeutil import end_of_day


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
        except NotFound:
            return {}
        dues: dict[str, datetime | None] = {}
        for state, rule in case.clock_rules(policy):
            if rule is None:
                continue
            try:
                dues[state.name] = compute_deadline(rule, state, calendar=calendar, tz=policy.tz).due
            except CalendarNotCovered as uncovered:
                dues[state.name] = recheck_at(uncovered, state.started_at, policy.tz)
        try:
            late = {inquiry.clock for inquiry in case_inquiries(case, policy, calendar)}
        except CalendarNotCovered:
            late = set(dues)  # pending: the sweep reads the case, and names it until the year is loaded
        return {name: ClockIndex(due, name in late) for name, due in dues.items()}

    return index


def recheck_at(uncovered: CalendarNotCovered, started_at: datetime, tz: tzinfo) -> datetime:
    """The due time indexed for a deadline the calendar cannot compute (a case stored before the service refused
    such writes, or a calendar since replaced): the end of the calendar's coverage, when the due is beyond it, else
    the clock's start. From then on the sweep reads the case and names it (``SweepIncomplete``) until the year is
    loaded; ``calendar import`` computes the real due times again."""
    if uncovered.day > uncovered.last:
        return end_of_day(uncovered.last, tz)
    return started_at
