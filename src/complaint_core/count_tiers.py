"""Complaints against one person in a month, and the count tier they come to (F4-PN-01..03).

The tiers count a month's complaints against a person (2/3/4 → 100/200/300, the
highest tier only), but penalties are decided case by case (P1-PEN-09). So the
decision on a case may order the count tier of a person it holds at fault: the
tier reached by the complaints counted so far in the month the case was
received, less what the month's other decisions charged already. Whatever order
the cases are decided in, a month's charges add up to the tier of its count.

Counted: complaints under the same policy whose fault attribution names the
person (a share held as a person, not through a department), not found not
established (a complaint that did not stand is not one against the person).
Charged: what the other cases' approved decisions charged (a reversed one
charged nothing). Proposals charge nothing until approved, and a proposal's
line holds what the month owed the day it was assessed: approval refuses it
once the month owes another amount (another case approved meanwhile, a
complaint come in), so the approved charges of a month always add up to the
tier of its count when the last of them was approved.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from uuid import UUID

import attrs

from .assessment import Assessment, AssessmentStatus
from .case import Case, CaseStatus
from .errors import RuleViolation
from .labels import Labels
from .organisation import Person
from .penalty import LineKind, PenaltyLine, count_tier_line, money, person_party
from .policy import PenaltyRules, Policy
from .responsibility import PartyKind
from .timeutil import month_key

RULE = "F4-PN-01"


@attrs.frozen
class MonthCount:
    """A person's complaints in a month (the cases counted) and the count tiers their decisions charged."""

    person_id: str
    month: str
    cases: tuple[UUID, ...]
    charged: Decimal

    @property
    def complaints(self) -> int:
        return len(self.cases)


def complaint_month(case: Case, policy: Policy) -> str:
    """The month a complaint counts in: the one it was received in, in the policy's zone."""
    return month_key(case.received_at, policy.tz)


def held_at_fault(case: Case, person_id: str) -> bool:
    """Is the complaint one against the person: attributed to them as a person, and not found not established?"""
    return (
        case.causer is not None
        and case.status is not CaseStatus.NOT_ESTABLISHED
        and case.causer.names(PartyKind.PERSON, person_id)
    )


def charged_in(assessments: Iterable[Assessment], person_id: str, month: str) -> Decimal:
    """What one case's approved ``assessments`` charged the person for the count tier of ``month``."""
    return sum(
        (_charge(a, person_id, month) for a in assessments if a.status is AssessmentStatus.APPROVED),
        Decimal("0.00"),
    )


def _charge(assessment: Assessment, person_id: str, month: str) -> Decimal:
    """The count tier ``assessment`` charges the person for ``month``, as charged: before a supervisor's split
    share (P4-PEN-04 "split" takes it out of the person's line, but the tier was charged whole)."""
    total = Decimal("0.00")
    for line in assessment.lines:
        basis = dict(line.basis)
        if (
            line.kind is LineKind.COUNT_TIER
            and line.party.kind is PartyKind.PERSON
            and line.party.id == person_id
            and basis.get("month") == month
        ):
            total += Decimal(basis.get("charge", str(line.amount)))
    return total


def month_count(
    case: Case,
    policy: Policy,
    person_id: str,
    others: Iterable[tuple[Case, Iterable[Assessment]]],
) -> MonthCount:
    """The count for the decision on ``case``: ``case`` itself, and ``others`` (the person's other attributed cases
    received in the month, with their assessments) that are of the same policy and hold the person at fault."""
    if not held_at_fault(case, person_id):
        raise RuleViolation(
            f"a count tier is charged on a complaint against the person: case {case.reference} does not hold "
            f"{person_id!r} at fault as a person (attribute it first)",
            rule=RULE,
        )
    month = complaint_month(case, policy)
    counted = [case.case_id]
    charged = Decimal("0.00")
    for other, assessments in others:
        if (
            other.case_id == case.case_id
            or other.policy_id != case.policy_id
            or not held_at_fault(other, person_id)
            or complaint_month(other, policy) != month
        ):
            continue
        counted.append(other.case_id)
        charged += charged_in(assessments, person_id, month)
    return MonthCount(person_id=person_id, month=month, cases=tuple(counted), charged=charged)


def month_tier_line(person: Person, *, rules: PenaltyRules, count: MonthCount) -> PenaltyLine:
    """The count tier the month's complaints reach, less what was charged: 0.00 below the first tier or once
    charged in full, so the decision shows the count it was checked against."""
    if not rules.count_tiers:
        raise RuleViolation("the policy has no count tiers (penalties.count_tiers)", rule=RULE)
    reached = count_tier_line(person, rules=rules, complaints_in_month=count.complaints)
    tier = reached.amount if reached is not None else Decimal("0.00")
    amount = max(tier - count.charged, Decimal("0.00"))
    n, month = count.complaints, count.month
    first = rules.count_tiers[0]
    if reached is None:
        zh = f"{month} 被投诉 {n} 次,未达 {first.at_least} 次:{money(amount)}"
        en = f"{n} complaint(s) in {month}, below the first tier ({first.at_least}): {money(amount)}"
    else:
        zh = f"{month} 被投诉 {n} 次 = {money(tier)}"
        en = f"{n} complaints in {month} = {money(tier)}"
        if count.charged:
            zh += f",减已计 {money(count.charged)} = {money(amount)}"
            en += f", less {money(count.charged)} charged on the month's other cases = {money(amount)}"
    return PenaltyLine(
        party=person_party(person),
        rule_id=reached.rule_id if reached is not None else (first.rule_id or RULE),
        kind=LineKind.COUNT_TIER,
        amount=amount,
        explanation=Labels(zh, en),
        basis=(
            ("month", month),
            ("complaints", str(n)),
            ("tier", str(tier)),
            ("charged", str(count.charged)),
            ("charge", str(amount)),  # what this line charges the month, whatever share a supervisor then takes
        ),
    )
