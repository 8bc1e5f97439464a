"""What a penalty decision orders for one case, and the lines it comes to.

A quality department decides a loss valuation, sanctions, tier amounts, fines
and overdue days; ``assess_lines`` turns the decision into penalty lines with
the rules of ``penalty`` (loss shares by fault and basis points, sanction
minimums, tiers, doubling on a second complaint, supervisor liability).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

import attrs

from .case import Case, CaseStatus
from .count_tiers import RULE as COUNT_RULE
from .count_tiers import MonthCount, month_tier_line
from .errors import RuleViolation, exact_member
from .organisation import Organisation
from .penalty import (
    PenaltyLine,
    Sanction,
    apportion_loss,
    doubled,
    fine_line,
    overdue_line,
    sanction_line,
    split_to_members,
    tier_line,
    value_loss,
    with_supervisors,
)
from .policy import Policy
from .responsibility import Party, PartyKind


@attrs.frozen(kw_only=True)
class LossOrder:
    """P1-PEN-01 inputs: the actual loss, or the resale window's prices."""

    actual_loss: Decimal
    decided_on: date | None = None
    resold_on: date | None = None
    a_grade_unit_price: Decimal | None = None
    resale_unit_price: Decimal | None = None
    quantity: Decimal | None = None


@attrs.frozen(kw_only=True)
class SanctionOrder:
    person_id: str
    sanction: Sanction
    count: int = 1
    amount: Decimal | None = None

    def __attrs_post_init__(self) -> None:
        exact_member(Sanction, self.sanction, "the sanction", "P1-PEN-04")


@attrs.frozen(kw_only=True)
class TierOrder:
    person_id: str
    loss: Decimal = Decimal("0")
    customer_lost: bool = False
    amount: Decimal | None = None


@attrs.frozen(kw_only=True)
class FineOrder:
    party_id: str
    code: str
    occurrences: int = 1
    party_kind: PartyKind = PartyKind.PERSON
    amount: Decimal | None = None  # above a minimum fine's least (P4-PEN-07); None: the least, or the fixed amount

    def __attrs_post_init__(self) -> None:
        exact_member(PartyKind, self.party_kind, "the party kind", "P4-PEN-07")


@attrs.frozen(kw_only=True)
class OverdueOrder:
    person_id: str
    full_days_late: int


@attrs.frozen(kw_only=True)
class PenaltyOrder:
    """What one decision orders. ``count_tiers`` names the persons whose monthly count tier (F4-PN-01..03) the
    case charges: ``PenaltyService.assess`` counts their complaints of the month (``count_tiers``)."""

    loss: LossOrder | None = None
    sanctions: tuple[SanctionOrder, ...] = ()
    tiers: tuple[TierOrder, ...] = ()
    fines: tuple[FineOrder, ...] = ()
    overdue: tuple[OverdueOrder, ...] = ()
    count_tiers: tuple[str, ...] = ()

    def __attrs_post_init__(self) -> None:
        for i, person_id in enumerate(self.count_tiers):
            if not isinstance(person_id, str) or not person_id.strip():
                raise RuleViolation(f"count_tiers[{i}]: a person's id, got {person_id!r}", rule="F4-PN-01")
            if person_id in self.count_tiers[:i]:
                raise RuleViolation(f"count_tiers[{i}]: {person_id!r} is named twice", rule="F4-PN-01")

    @property
    def empty(self) -> bool:
        return self.loss is None and not (
            self.sanctions or self.tiers or self.fines or self.overdue or self.count_tiers
        )


def assess_lines(
    case: Case,
    policy: Policy,
    org: Organisation,
    order: PenaltyOrder,
    *,
    month: str,
    counts: Mapping[str, MonthCount] | None = None,
    forfeited: Mapping[str, str] | None = None,
) -> tuple[PenaltyLine, ...]:
    """The lines of one decision; a second complaint multiplies them (P4-PEN-06), supervisors share (P4-PEN-04).

    ``counts`` holds the month's count of each person in ``order.count_tiers`` (``count_tiers.month_count``). Their
    lines are not multiplied on a second complaint: the tier is the month's, and the second complaint is counted.
    ``forfeited`` names, per person, the case whose major demerit takes ``month``'s bonus already (P1-PEN-06): a
    major demerit ordered for them is recorded and deducts nothing.
    """
    if case.status is CaseStatus.SETTLED:  # DOMAIN §3: settled means every penalty was decided before
        raise RuleViolation(f"case {case.reference} is settled: its penalties can no longer change", rule="CASE-SETTLE")
    rules = policy.penalties
    lines: list[PenaltyLine] = []
    if order.loss is not None:
        if case.causer is None:
            raise RuleViolation("a loss is apportioned by fault: attribute the case first", rule="P1-ROLE-07")
        loss = order.loss
        valuation = value_loss(
            actual_loss=loss.actual_loss,
            decided_on=loss.decided_on,
            resold_on=loss.resold_on,
            a_grade_unit_price=loss.a_grade_unit_price,
            resale_unit_price=loss.resale_unit_price,
            quantity=loss.quantity,
        )
        if valuation.amount > 0:  # where the policy charges no loss, it is reported only (its tier weighs it)
            lines.extend(apportion_loss(valuation.amount, case.causer, org, charged=rules.loss_share))
    if order.sanctions and not rules.allows_sanction(case.intake.cause_code):
        causes = ", ".join(c.code for c in rules.sanction_causes)
        raise RuleViolation(
            f"an administrative sanction is for the causes the policy lists ({causes}); the case's cause is "
            f"{case.intake.cause_code or 'not recorded'}: record the cause found first",
            rule="P1-CLS-08",
        )
    demerits = [s.person_id for s in order.sanctions if s.sanction is Sanction.MAJOR_DEMERIT]
    twice = next((p for i, p in enumerate(demerits) if p in demerits[:i]), None)
    if twice is not None:
        raise RuleViolation(
            f"a major demerit takes the month's bonus once: {twice} is given two in this decision", rule="P1-PEN-06"
        )
    for s in order.sanctions:
        person = org.person(s.person_id)
        bonus = org.bonuses.get((s.person_id, month))
        by = (forfeited or {}).get(s.person_id) if s.sanction is Sanction.MAJOR_DEMERIT else None
        lines.append(
            sanction_line(
                person, s.sanction, rules=rules, count=s.count, amount=s.amount, month_bonus=bonus, forfeited_by=by
            )
        )
    for tier in order.tiers:
        if case.severity is None:
            raise RuleViolation("a tier needs the case's severity: classify it first", rule="P4-PEN-01")
        lines.append(
            tier_line(
                org.person(tier.person_id),
                policy=policy,
                severity=case.severity,
                kind=case.intake.kind,
                loss=tier.loss,
                customer_lost=tier.customer_lost,
                amount=tier.amount,
            )
        )
    for fine in order.fines:
        party = Party(kind=fine.party_kind, id=fine.party_id)
        if fine.party_kind is PartyKind.PERSON:
            org.person(fine.party_id)
        lines.extend(
            split_to_members(
                fine_line(party, fine.code, rules=rules, occurrences=fine.occurrences, amount=fine.amount), org
            )
        )
    for late in order.overdue:
        lines.append(overdue_line(org.person(late.person_id), rules=rules, full_days_late=late.full_days_late))
    out = doubled(lines, rules.second_complaint_factor) if case.parent_case_id is not None else tuple(lines)
    for person_id in order.count_tiers:
        count = (counts or {}).get(person_id)
        if count is None:
            raise RuleViolation(f"no count of {person_id!r}'s complaints this month was given", rule=COUNT_RULE)
        out += (month_tier_line(org.person(person_id), rules=rules, count=count),)
    return with_supervisors(out, org, rules)
