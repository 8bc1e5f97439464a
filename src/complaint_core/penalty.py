"""Assessment of one case: what each responsible party pays, line by line (DOMAIN §7).

Every line carries its party, the rule it applies, its basis, the amount in
yuan (two places), performance points where the policy has them, and an
explanation in Chinese and English that a user can check with a calculator,
e.g. "损失 1,200.00 × 基点 25/60 = 500.00". Amounts are split with
``money.apportion``, so they always add up to the fen. The schedules are policy
data (``Policy.penalties``); the functions here only apply them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

import attrs

from .errors import RuleViolation
from .labels import Labels
from .money import FEN, MAX_QUANTITY, MAX_RATIO_PLACES, apportion, ratio_is_plain, value_of, yuan
from .money import amount as amount_of
from .organisation import DepartmentKind, Organisation, Person
from .policy import CaseKind, PenaltyRules, Policy, SupervisorMode
from .responsibility import Party, PartyKind, Responsibility
from .timeutil import add_months


class LineKind(StrEnum):
    LOSS_SHARE = "loss_share"  # a share of the loss (P1-PEN-02, P1-PEN-10)
    SANCTION = "sanction"  # warning / minor demerit converted to money (P1-PEN-04/05)
    MAJOR_DEMERIT = "major_demerit"  # the whole month's bonus (P1-PEN-06)
    TIER = "tier"  # a tier schedule (P4-PEN-01..03)
    COUNT_TIER = "count_tier"  # complaints per month (F4-PN-01..03)
    FINE = "fine"  # a fixed fine (P2-PEN-01..03)
    OVERDUE = "overdue"  # sitting on a ticket (P4-PEN-05)
    SUPERVISOR = "supervisor"  # joint liability (P4-PEN-04)
    REPORTED = "reported"  # an external party: reported, never deducted


class Sanction(StrEnum):
    WARNING = "warning"  # 警告
    MINOR_DEMERIT = "minor_demerit"  # 小过
    MAJOR_DEMERIT = "major_demerit"  # 大过


SANCTION_LABELS = {
    Sanction.WARNING: Labels("警告", "warning"),
    Sanction.MINOR_DEMERIT: Labels("小过", "minor demerit"),
    Sanction.MAJOR_DEMERIT: Labels("大过", "major demerit"),
}


@attrs.frozen(kw_only=True)
class PenaltyLine:
    party: Party
    rule_id: str
    kind: LineKind
    amount: Decimal
    explanation: Labels
    points: int = 0
    basis: tuple[tuple[str, str], ...] = ()
    capped: bool = True

    def __attrs_post_init__(self) -> None:
        amount_of(self.amount, "penalty amount")
        if self.party.external and self.amount:
            raise RuleViolation(f"external party {self.party.id!r} carries no deduction", rule="P1-CLS-06")


def money(amount: Decimal) -> str:
    """1200 → "1,200.00", as on the paper forms."""
    return f"{amount:,.2f}"


def _pct(share: Decimal) -> str:
    return f"{(share * 100).normalize():f}%"


# ----- loss valuation ---------------------------------------------------------------------------
@attrs.frozen(kw_only=True)
class LossValuation:
    amount: Decimal
    explanation: Labels
    rule_id: str = "P1-PEN-01"


def _count(value: object, what: str, rule: str, *, minimum: int) -> int:
    """A whole number (an ``int``, not ``bool``, float or text) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise RuleViolation(f"{what} must be a whole number, not {type(value).__name__} {value!r}", rule=rule)
    if value < minimum:
        raise RuleViolation(f"{what} must be at least {minimum}, got {value}", rule=rule)
    return value


def _day(value: object, what: str) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise RuleViolation(f"{what} must be a date, not {type(value).__name__} {value!r}", rule="P1-PEN-01")
    return value


def value_loss(
    *,
    actual_loss: Decimal,
    decided_on: date | None = None,
    resold_on: date | None = None,
    a_grade_unit_price: Decimal | None = None,
    resale_unit_price: Decimal | None = None,
    quantity: Decimal | None = None,
) -> LossValuation:
    """P1-PEN-01: goods resold within one month of the sanction decision lose (A-grade − resale) × quantity;
    otherwise the actual loss counts. The window's last day is inclusive (calendar month, end-of-month clamped)."""
    actual = yuan(actual_loss)
    if actual < 0:
        raise RuleViolation(f"a loss cannot be negative ({actual})", rule="P1-PEN-01")
    decided_on = None if decided_on is None else _day(decided_on, "decided_on")
    resold_on = None if resold_on is None else _day(resold_on, "resold_on")
    if resold_on is None or decided_on is None:
        return LossValuation(
            amount=actual, explanation=Labels(f"实际损失 {money(actual)}", f"actual loss {money(actual)}")
        )
    window_end = add_months(decided_on, 1)
    if resold_on < decided_on or resold_on > window_end:
        return LossValuation(
            amount=actual,
            explanation=Labels(
                f"未在转售期({decided_on}~{window_end})内售出,以实际损失 {money(actual)} 计",
                f"not resold within {decided_on}..{window_end}: actual loss {money(actual)}",
            ),
        )
    if a_grade_unit_price is None or resale_unit_price is None or quantity is None:
        raise RuleViolation("a resale needs the A-grade price, the resale price and the quantity", rule="P1-PEN-01")
    a_grade = amount_of(a_grade_unit_price, "a_grade_unit_price")
    resale = amount_of(resale_unit_price, "resale_unit_price")
    if not isinstance(quantity, Decimal | int) or isinstance(quantity, bool) or not Decimal(quantity).is_finite():
        raise RuleViolation(f"quantity must be a finite Decimal, not {quantity!r}", rule="P1-PEN-01")
    if not 0 <= quantity <= MAX_QUANTITY:
        raise RuleViolation(f"quantity must lie between 0 and {MAX_QUANTITY:,}, got {quantity}", rule="P1-PEN-01")
    loss = max(value_of(quantity, a_grade - resale), Decimal("0.00"))
    return LossValuation(
        amount=loss,
        explanation=Labels(
            f"转售损失 (A级价 {money(a_grade_unit_price)} − 转售价 {money(resale_unit_price)}) × {quantity} = {money(loss)}",
            f"resale loss (A-grade {money(a_grade_unit_price)} − resale {money(resale_unit_price)}) × {quantity}"
            f" = {money(loss)}",
        ),
    )


# ----- attribution ------------------------------------------------------------------------------
def attribution_party(
    org: Organisation, *, department: str, unit: str | None = None, person: str | None = None
) -> Party:
    """The party a fault is attributed to (P1-ROLE-05, P1-ROLE-06).

    Manufacturing faults go to the smallest group unit, else the whole section;
    sales and service faults go to the individual, else the department.
    """
    dept = org.department(department)
    if dept.kind is DepartmentKind.MANUFACTURING:
        if person is not None:
            raise RuleViolation(
                "manufacturing faults are attributed to a group unit or the whole section, not a person",
                rule="P1-ROLE-05",
            )
        if unit is not None:
            found = org.unit(unit)
            if found.department != department:
                raise RuleViolation(f"unit {unit!r} is not in {department!r}", rule="P1-ROLE-05")
            return Party(PartyKind.GROUP_UNIT, unit, found.name)
        return Party(PartyKind.DEPARTMENT, department, dept.name)
    if unit is not None:
        raise RuleViolation("sales and service faults go to a person or the department", rule="P1-ROLE-06")
    if person is not None:
        who = org.person(person)
        if who.department != department:
            raise RuleViolation(f"{person!r} is not in {department!r}", rule="P1-ROLE-06")
        return Party(PartyKind.PERSON, person, who.name)
    return Party(PartyKind.DEPARTMENT, department, dept.name)


def _members(org: Organisation, party: Party) -> tuple[Person, ...]:
    if party.kind is PartyKind.GROUP_UNIT:
        members = org.members_of_unit(party.id)
    else:
        members = org.members_of_department(party.id)
    members = tuple(m for m in members if m.basis_points > 0)
    if not members:
        raise RuleViolation(
            f"{party.kind.value} {party.id!r} has nobody with basis points to share the loss", rule="P1-PEN-10"
        )
    return members


def person_party(person: Person) -> Party:
    return Party(PartyKind.PERSON, person.id, person.name)


def split_to_members(line: PenaltyLine, org: Organisation) -> tuple[PenaltyLine, ...]:
    """A department's or unit's line split among its members by basis points (DOMAIN §7, P1-PEN-10/13).

    Only a person's bonus is deducted: a line left on a unit would be approved and never deducted.
    """
    if line.party.kind not in (PartyKind.GROUP_UNIT, PartyKind.DEPARTMENT):
        return (line,)
    unit = line.party.id
    members = _members(org, line.party)
    total = sum(m.basis_points for m in members)
    return tuple(
        attrs.evolve(
            line,
            party=person_party(member),
            amount=part,
            explanation=Labels(
                f"{line.explanation.zh} × 基点 {member.basis_points}/{total} = {money(part)}",
                f"{line.explanation.en} × basis points {member.basis_points}/{total} = {money(part)}",
            ),
            basis=(*line.basis, ("unit", unit), ("basis_points", f"{member.basis_points}/{total}")),
        )
        for member, part in zip(members, apportion(line.amount, [m.basis_points for m in members]), strict=True)
    )


def apportion_loss(
    loss: Decimal, causer: Responsibility, org: Organisation, *, charged: bool = True
) -> tuple[PenaltyLine, ...]:
    """P1-PEN-02 then P1-PEN-10/13: the loss by fault share, then a unit's or section's share by basis points.

    External parties (supplier, carrier, customer) get a reported line and no deduction; so does every party when
    the policy does not charge the loss (``charged=False``, ``penalties.loss_share = false``): the valued loss is
    on record for the reports, and nobody pays a share of it.
    """
    total = yuan(loss)
    if total < 0:
        raise RuleViolation(f"a loss cannot be negative ({total})", rule="P1-PEN-02")
    shares = [s.share for s in causer.shares]
    party_amounts = apportion(total, shares)
    lines: list[PenaltyLine] = []
    single = len(causer.shares) == 1
    for item, amount in zip(causer.shares, party_amounts, strict=True):
        party, share = item.party, item.share
        head_zh = f"损失 {money(total)}" if single else f"损失 {money(total)} × 责任 {_pct(share)}"
        head_en = f"loss {money(total)}" if single else f"loss {money(total)} × fault {_pct(share)}"
        if party.external or not charged:
            why_zh, why_en = ("外部责任", "external") if party.external else ("本制度不按责任扣款", "not charged")
            lines.append(
                PenaltyLine(
                    party=party,
                    rule_id="P1-PEN-02" if charged else "PEN-LOSS",
                    kind=LineKind.REPORTED,
                    amount=Decimal("0.00"),
                    explanation=Labels(
                        f"{head_zh} = {money(amount)}({why_zh},仅报告)",
                        f"{head_en} = {money(amount)} ({why_en}, reported only)",
                    ),
                    basis=(("loss", str(total)), ("share", str(share)), ("share_amount", str(amount))),
                    capped=False,
                )
            )
            continue
        if party.kind is PartyKind.PERSON:
            org.person(party.id)
            lines.append(
                PenaltyLine(
                    party=party,
                    rule_id="P1-PEN-02",
                    kind=LineKind.LOSS_SHARE,
                    amount=amount,
                    explanation=Labels(f"{head_zh} = {money(amount)}", f"{head_en} = {money(amount)}"),
                    basis=(("loss", str(total)), ("share", str(share))),
                )
            )
            continue
        unit_line = PenaltyLine(
            party=party,
            rule_id="P1-PEN-10" if party.kind is PartyKind.GROUP_UNIT else "P1-PEN-13",
            kind=LineKind.LOSS_SHARE,
            amount=amount,
            explanation=Labels(
                f"损失 {money(total)}" if single else f"{head_zh} = {money(amount)}",
                f"loss {money(total)}" if single else f"{head_en} = {money(amount)}",
            ),
            basis=(("loss", str(total)), ("share", str(share))),
        )
        lines.extend(split_to_members(unit_line, org))
    return tuple(lines)


def repair_split(budget: Decimal, factory_ratio: Decimal) -> tuple[Decimal, Decimal]:
    """P2-ROLE-03 / P2-PEN-05: a repair budget split factory/customer by liability (3000 at 60% → 1800/1200)."""
    if (
        not isinstance(factory_ratio, Decimal | int)
        or not Decimal(factory_ratio).is_finite()
        or not 0 <= factory_ratio <= 1
        or not ratio_is_plain(Decimal(factory_ratio))
    ):
        raise RuleViolation(
            f"the factory ratio must be in [0, 1] with at most {MAX_RATIO_PLACES} decimal places, got {factory_ratio}",
            rule="P2-ROLE-03",
        )
    total = yuan(budget)
    if total < 0:
        raise RuleViolation("a budget cannot be negative", rule="P2-ROLE-03")
    if factory_ratio in (0, 1):
        return (total, Decimal("0.00")) if factory_ratio == 1 else (Decimal("0.00"), total)
    factory, customer = apportion(total, [factory_ratio, 1 - factory_ratio])
    return factory, customer


# ----- administrative sanctions -----------------------------------------------------------------
MAJOR_DEMERIT_RULE = "P1-PEN-06"  # a major demerit's line: the ledger finds the forfeited bonuses by it


def sanction_line(
    person: Person,
    sanction: Sanction,
    *,
    rules: PenaltyRules,
    count: int = 1,
    amount: Decimal | None = None,
    month_bonus: Decimal | None = None,
    forfeited_by: str | None = None,
) -> PenaltyLine:
    """P1-PEN-04..06: a warning costs at least 400 each, a minor demerit at least 800 each (the decision may
    set more, never less); a major demerit takes the whole month's bonus and is not capped by default. A second
    major demerit in a month whose bonus the one of case ``forfeited_by`` takes already is recorded for HR and
    deducts nothing."""
    party = person_party(person)
    label = SANCTION_LABELS[sanction]
    _count(count, "a sanction's count", "P1-PEN-07", minimum=1)
    if sanction is Sanction.MAJOR_DEMERIT:
        if count != 1 or amount is not None:  # the amount is the bonus itself; a count or an amount would be lost
            raise RuleViolation(
                "a major demerit takes the month's bonus once: it takes no count or amount", rule="P1-PEN-06"
            )
        if month_bonus is None:
            raise RuleViolation("a major demerit needs the month's bonus", rule="P1-PEN-06")
        bonus = yuan(month_bonus)
        explanation = Labels(
            f"大过:当月效益奖金 {money(bonus)} 全额罚扣", f"major demerit: the month's bonus {money(bonus)} in full"
        )
        basis: tuple[tuple[str, str], ...] = (("sanction", sanction.value), ("bonus", str(bonus)))
        if forfeited_by is not None:
            explanation = Labels(
                f"大过:当月效益奖金已由案件 {forfeited_by} 的大过全额罚扣,本次记过不再扣款",
                f"major demerit: the month's bonus is forfeited already by the major demerit of case {forfeited_by};"
                " recorded, nothing more deducted",
            )
            basis = (*basis, ("forfeited_by", forfeited_by))
        return PenaltyLine(
            party=party,
            rule_id=MAJOR_DEMERIT_RULE,
            kind=LineKind.MAJOR_DEMERIT,
            amount=bonus if forfeited_by is None else Decimal("0.00"),
            explanation=explanation,
            basis=basis,
            capped=rules.cap_major_demerit,
        )
    rule_id, unit = (
        ("P1-PEN-04", rules.warning_amount)
        if sanction is Sanction.WARNING
        else ("P1-PEN-05", rules.minor_demerit_amount)
    )
    if unit is None:
        raise RuleViolation(f"the policy sets no amount for a {label.en}", rule=rule_id)
    minimum = unit * count
    chosen = minimum if amount is None else yuan(amount)
    if chosen < minimum:
        raise RuleViolation(
            f"{count} × {label.en} costs at least {money(minimum)}; {money(chosen)} is less", rule=rule_id
        )
    return PenaltyLine(
        party=party,
        rule_id=rule_id,
        kind=LineKind.SANCTION,
        amount=chosen,
        explanation=Labels(
            f"{label.zh} {count} 次 × {money(unit)} 起 = {money(chosen)}",
            f"{count} × {label.en} at {money(unit)} minimum = {money(chosen)}",
        ),
        basis=(("sanction", sanction.value), ("count", str(count)), ("minimum", str(minimum))),
    )


# ----- tier schedules -----------------------------------------------------------------------------
def tier_line(
    person: Person,
    *,
    policy: Policy,
    severity: str,
    kind: CaseKind,
    loss: Decimal = Decimal("0"),
    customer_lost: bool = False,
    amount: Decimal | None = None,
) -> PenaltyLine:
    """P4-PEN-01..03: the tier's amount and points; "起" amounts are minimums the decision may raise;
    a severe case loses 20 points instead of 10 when the loss exceeds 500 (exactly 500 is not heavy)
    or the customer was lost."""
    rules = policy.penalties
    tier = next((t for t in rules.tiers if t.severity == severity and (not t.kinds or kind in t.kinds)), None)
    if tier is None:
        raise RuleViolation(f"the policy has no {kind.value} tier for severity {severity!r}", rule="P4-PEN-01")
    rule_id = tier.rule_id or ("P4-PEN-01" if kind is CaseKind.INTERNAL else "P4-PEN-02")
    chosen = tier.amount if amount is None else yuan(amount)
    if tier.minimum and chosen < tier.amount:
        raise RuleViolation(
            f"{severity} costs at least {money(tier.amount)} (起); {money(chosen)} is less", rule=rule_id
        )
    if tier.maximum is not None and chosen > tier.maximum:
        raise RuleViolation(f"{severity} costs at most {money(tier.maximum)}; {money(chosen)} is more", rule=rule_id)
    if not tier.minimum and chosen != tier.amount:
        raise RuleViolation(f"{severity} is a fixed {money(tier.amount)}, not {money(chosen)}", rule=rule_id)
    threshold = rules.heavy_loss_threshold
    heavy = customer_lost or (threshold is not None and yuan(loss) > threshold)
    points = tier.heavy_points if heavy and tier.heavy_points is not None else tier.points
    label = next(s.label for s in policy.severities if s.code == severity)
    why_zh = "(重度损失)" if heavy and tier.heavy_points is not None else ""
    why_en = " (heavy loss)" if heavy and tier.heavy_points is not None else ""
    start = "起" if tier.minimum else ""
    return PenaltyLine(
        party=person_party(person),
        rule_id="P4-PEN-03" if why_en else rule_id,
        kind=LineKind.TIER,
        amount=chosen,
        points=points,
        explanation=Labels(
            f"{label.zh}投诉 {money(tier.amount)}{start} → {money(chosen)},绩效 {points} 分{why_zh}",
            f"{label.en} complaint {money(tier.amount)}{' minimum' if tier.minimum else ''} → {money(chosen)},"
            f" {points} points{why_en}",
        ),
        basis=(
            ("severity", severity),
            ("kind", kind.value),
            ("loss", str(loss)),
            ("customer_lost", str(customer_lost)),
        ),
    )


def count_tier_line(person: Person, *, rules: PenaltyRules, complaints_in_month: int) -> PenaltyLine | None:
    """F4-PN-01..03: 2/3/4 complaints against one person in a month → 100/200/300; the highest tier applies."""
    tier = None
    for candidate in rules.count_tiers:
        if complaints_in_month >= candidate.at_least:
            tier = candidate
    if tier is None:
        return None
    return PenaltyLine(
        party=person_party(person),
        rule_id=tier.rule_id or "F4-PN-01",
        kind=LineKind.COUNT_TIER,
        amount=tier.amount,
        explanation=Labels(
            f"当月被投诉 {complaints_in_month} 次(≥{tier.at_least})= {money(tier.amount)}",
            f"{complaints_in_month} complaints this month (≥ {tier.at_least}) = {money(tier.amount)}",
        ),
        basis=(("complaints", str(complaints_in_month)), ("at_least", str(tier.at_least))),
    )


def fine_line(
    party: Party, code: str, *, rules: PenaltyRules, occurrences: int = 1, amount: Decimal | None = None
) -> PenaltyLine:
    """Fines per occurrence: fixed (P2-PEN-01..03: 50 per unapproved notice, +100 when it caused a complaint), or
    a minimum the decision may exceed with ``amount`` (P4-PEN-07: at least 200 for concealing the facts)."""
    fine = next((f for f in rules.fines if f.code == code), None)
    if fine is None:
        known = [f.code for f in rules.fines]
        raise RuleViolation(f"the policy has no fine {code!r} (fines: {known})", rule="PEN-FINE")
    rule_id = fine.rule_id or "PEN-FINE"
    _count(occurrences, "a fine's occurrences", rule_id, minimum=1)
    least = fine.amount * occurrences
    chosen = least if amount is None else yuan(amount)
    if chosen != least and not fine.minimum:
        raise RuleViolation(
            f"fine {code!r} is a fixed {money(fine.amount)} per occurrence, {money(least)} here", rule=rule_id
        )
    if chosen < least:
        raise RuleViolation(
            f"{occurrences} × {fine.label.en} costs at least {money(least)}; {money(chosen)} is less", rule=rule_id
        )
    least_zh, least_en = (" 起", " minimum") if fine.minimum else ("", "")
    explanation = Labels(
        f"{fine.label.zh} {occurrences} 次 × {money(fine.amount)}{least_zh} = {money(least)}",
        f"{fine.label.en}: {occurrences} × {money(fine.amount)}{least_en} = {money(least)}",
    )
    if chosen != least:  # a minimum fine the decision raised
        explanation = Labels(f"{explanation.zh} → {money(chosen)}", f"{explanation.en} → {money(chosen)}")
    return PenaltyLine(
        party=party,
        rule_id=rule_id,
        kind=LineKind.FINE,
        amount=chosen,
        explanation=explanation,
        basis=(("fine", code), ("occurrences", str(occurrences))),
    )


def overdue_line(person: Person, *, rules: PenaltyRules, full_days_late: int) -> PenaltyLine:
    """P4-PEN-05 (压单): 50 per overdue ticket plus 50 per full day late (3 days late → 200)."""
    if rules.overdue_fine is None:
        raise RuleViolation("the policy has no overdue fine", rule="P4-PEN-05")
    _count(full_days_late, "full days late", "P4-PEN-05", minimum=0)
    per_day = rules.overdue_fine_per_day or Decimal("0.00")
    amount = rules.overdue_fine + per_day * full_days_late
    return PenaltyLine(
        party=person_party(person),
        rule_id="P4-PEN-05",
        kind=LineKind.OVERDUE,
        amount=amount,
        explanation=Labels(
            f"压单 {money(rules.overdue_fine)} + {full_days_late} 天 × {money(per_day)} = {money(amount)}",
            f"sitting on a ticket {money(rules.overdue_fine)} + {full_days_late} days × {money(per_day)}"
            f" = {money(amount)}",
        ),
        basis=(("days_late", str(full_days_late)),),
    )


# ----- modifiers ----------------------------------------------------------------------------------
def doubled(lines: Sequence[PenaltyLine], factor: int) -> tuple[PenaltyLine, ...]:
    """P4-PEN-06: on a second complaint amounts and points are multiplied (doubled in P4), exactly. A major
    demerit's line is the month's whole bonus (P1-PEN-06), which no factor can multiply: it stays as it is."""
    _count(factor, "the second-complaint factor", "P4-PEN-06", minimum=1)
    if factor == 1:
        return tuple(lines)
    return tuple(
        line
        if line.kind is LineKind.MAJOR_DEMERIT
        else attrs.evolve(
            line,
            amount=line.amount * factor,
            points=line.points * factor,
            explanation=Labels(
                f"{line.explanation.zh};二次投诉 × {factor} = {money(line.amount * factor)}",
                f"{line.explanation.en}; second complaint × {factor} = {money(line.amount * factor)}",
            ),
            basis=(*line.basis, ("second_complaint_factor", str(factor))),
        )
        for line in lines
    )


def with_supervisors(lines: Sequence[PenaltyLine], org: Organisation, rules: PenaltyRules) -> tuple[PenaltyLine, ...]:
    """P4-PEN-04: the individual bears the penalty and the supervisor 20% of it in addition (default);
    the split reading takes the 20% out of the individual's amount (80/20), adding up exactly."""
    share = rules.supervisor_share
    if share is None:
        return tuple(lines)
    out: list[PenaltyLine] = []
    for line in lines:
        if line.party.kind is not PartyKind.PERSON or line.kind is LineKind.SUPERVISOR or not line.amount:
            out.append(line)
            continue
        supervisor_id = org.person(line.party.id).supervisor
        if supervisor_id is None:
            out.append(line)
            continue
        supervisor = org.person(supervisor_id)
        if rules.supervisor_mode is SupervisorMode.SPLIT:
            own, theirs = apportion(line.amount, [1 - share, share])
            out.append(
                attrs.evolve(
                    line,
                    amount=own,
                    explanation=Labels(
                        f"{line.explanation.zh};本人承担 {_pct(1 - share)} = {money(own)}",
                        f"{line.explanation.en}; own share {_pct(1 - share)} = {money(own)}",
                    ),
                )
            )
        else:
            out.append(line)
            theirs = (line.amount * share).quantize(FEN, ROUND_HALF_UP)
        out.append(
            PenaltyLine(
                party=person_party(supervisor),
                rule_id="P4-PEN-04",
                kind=LineKind.SUPERVISOR,
                amount=theirs,
                points=0,
                explanation=Labels(
                    f"主管连带责任:{line.party.name or line.party.id} {money(line.amount)} × {_pct(share)} = {money(theirs)}",
                    f"supervisor's joint liability: {line.party.name or line.party.id} {money(line.amount)}"
                    f" × {_pct(share)} = {money(theirs)}",
                ),
                basis=(("of", line.party.id), ("share", str(share)), ("mode", rules.supervisor_mode.value)),
            )
        )
    return tuple(out)
