"""What keeps a closed case from being settled (DOMAIN §3): every return/allowance booked, every penalty decided."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from .assessment import Assessment, AssessmentStatus
from .case import Case
from .errors import RuleViolation
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
    remedy = case.agreed_remedy(policy)
    if (
        policy.returns.book_before_settling
        and remedy is not None
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


def check_settled_after(case: Case, at: datetime, returns: Sequence[Return], assessments: Sequence[Assessment]) -> None:
    """A case settles after the last step of its returns, allowances and penalties: the record would otherwise
    say it was settled before what settling needs (CASE-TIME-ORDER)."""
    steps = [r.last_event_at for r in returns] + [a.last_at for a in assessments]
    if steps and at < max(steps):
        raise RuleViolation(
            f"case {case.reference} settles after its returns, allowances and penalties: {at.isoformat()} "
            f"is before their last step at {max(steps).isoformat()}",
            rule="CASE-TIME-ORDER",
        )
