"""What keeps a closed case from being settled (DOMAIN §3): every return/allowance booked, every penalty decided."""

from __future__ import annotations

from collections.abc import Iterable

from .assessment import Assessment, AssessmentStatus
from .case import Case
from .improvement import unfinished
from .policy import Policy
from .returns import ALLOWANCE_KINDS, GOODS_KINDS, Return, ReturnStatus


def open_items(
    case: Case, policy: Policy, returns: Iterable[Return], assessments: Iterable[Assessment]
) -> tuple[str, ...]:
    """The case's returns and allowances not yet booked (or, where the policy executes remedies through them, an
    approved remedy that moves goods or money not even issued), its penalty assessments still only proposed, and
    its improvements not verified (or the last one found not effective)."""
    returns = tuple(returns)
    items = [f"{r.document.kind.value} {r.return_id} not booked" for r in returns if r.status is ReturnStatus.OPEN]
    remedy = case.remedy
    if (
        policy.returns.book_before_settling
        and remedy is not None
        and case.approval is not None
        and (remedy.kind in GOODS_KINDS or (remedy.kind in ALLOWANCE_KINDS and remedy.amount > 0))
        and not returns
    ):  # an allowance of 0.00 moves no money: there is nothing to issue (issuing one is refused) or book
        items.append(f"the approved {remedy.kind.value} of {remedy.amount} has no return or allowance booked")
    items += [
        f"penalty assessment {a.assessment_id} not approved"
        for a in assessments
        if a.status is AssessmentStatus.PROPOSED
    ]
    items += unfinished(case.improvements)
    return tuple(items)
