"""What keeps a closed case from being settled (DOMAIN §3): every return/allowance booked, every penalty decided."""

from __future__ import annotations

from collections.abc import Iterable

from .assessment import Assessment, AssessmentStatus
from .returns import Return, ReturnStatus


def open_items(returns: Iterable[Return], assessments: Iterable[Assessment]) -> tuple[str, ...]:
    """The case's returns and allowances not yet booked, and its penalty assessments still only proposed."""
    items = [f"{r.document.kind.value} {r.return_id} not booked" for r in returns if r.status is ReturnStatus.OPEN]
    items += [
        f"penalty assessment {a.assessment_id} not approved"
        for a in assessments
        if a.status is AssessmentStatus.PROPOSED
    ]
    return tuple(items)
