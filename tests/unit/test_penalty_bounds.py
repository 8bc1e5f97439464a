"""Boundaries and refusals of the penalty lines (DOMAIN §7) that mutation testing found unchecked."""

from datetime import UTC, date, datetime
from decimal import Decimal

import attrs
import pytest

from adapters.policy_files import load_preset
from complaint_core import DomainError, Labels, Party, PartyKind, Policy, Responsibility, RuleViolation
from complaint_core.money import MAX_QUANTITY
from complaint_core.organisation import Department, DepartmentKind, GroupUnit, Organisation, Person
from complaint_core.penalty import (
    LineKind,
    PenaltyLine,
    Sanction,
    apportion_loss,
    attribution_party,
    count_tier_line,
    doubled,
    fine_line,
    overdue_line,
    repair_split,
    sanction_line,
    split_to_members,
    tier_line,
    value_loss,
    with_supervisors,
)
from complaint_core.policy import CaseKind, CountTier, Fine, PenaltyRules, PenaltyTier
from complaint_core.responsibility import FaultShare

D = Decimal
DECIDED = date(2026, 11, 2)
PRICES = {"a_grade_unit_price": D("10.00"), "resale_unit_price": D("4.00")}


@pytest.fixture(scope="module")
def org() -> Organisation:
    """Two manufacturing units (one whose only member has no basis points) and a sales department."""
    return Organisation(
        departments=(
            Department("mfg", "制造部", DepartmentKind.MANUFACTURING),
            Department("paint", "涂装部", DepartmentKind.MANUFACTURING),
            Department("sales", "业务部", DepartmentKind.SALES),
            Department("svc", "服务部", DepartmentKind.SALES),
        ),
        units=(GroupUnit("u1", "一班", "mfg"), GroupUnit("p1", "喷涂班", "paint"), GroupUnit("idle", "闲班", "mfg")),
        people=(
            Person(id="A1", name="张三", department="mfg", unit="u1", basis_points=30),
            Person(id="A2", name="李四", department="mfg", unit="u1", basis_points=10),
            Person(id="A0", name="学徒", department="mfg", unit="u1", basis_points=0),
            Person(id="Z0", name="见习", department="mfg", unit="idle", basis_points=0),
            Person(id="S1", name="销售甲", department="sales", basis_points=20),
            Person(id="V1", name="客服乙", department="svc", basis_points=20),
        ),
    )


def person(pid: str) -> Party:
    return Party(PartyKind.PERSON, pid)


# ----- PenaltyLine ------------------------------------------------------------------------------------------------
def test_a_penalty_line_amount_is_a_whole_fen_not_negative() -> None:
    """DOMAIN §7: a line's amount is money: a negative amount is refused where the line is built."""
    with pytest.raises(DomainError, match="penalty amount"):
        PenaltyLine(party=person("S1"), rule_id="X", kind=LineKind.FINE, amount=D("-1.00"), explanation=Labels("", ""))


def test_p1_cls_06_an_external_party_carries_no_deduction() -> None:
    """P1-CLS-06: a supplier's line is reported only; a line deducting from it is refused."""
    supplier = Party(PartyKind.SUPPLIER, "copper-co")
    with pytest.raises(RuleViolation, match="carries no deduction") as err:
        PenaltyLine(party=supplier, rule_id="X", kind=LineKind.FINE, amount=D("1.00"), explanation=Labels("", ""))
    assert err.value.rule == "P1-CLS-06"
    assert PenaltyLine(party=supplier, rule_id="X", kind=LineKind.REPORTED, amount=D("0.00"),
                       explanation=Labels("", "")).amount == 0  # fmt: skip


# ----- P1-PEN-01 loss valuation -----------------------------------------------------------------------------------
def test_p1_pen_01_a_zero_loss_is_valued_at_zero() -> None:
    """P1-PEN-01: no loss is a valid valuation (only a negative one is refused)."""
    assert value_loss(actual_loss=D("0")).amount == D("0.00")
    assert value_loss(actual_loss=D("0.50")).amount == D("0.50")


@pytest.mark.parametrize(
    "dates",
    [{"decided_on": DECIDED}, {"resold_on": date(2026, 11, 20)}],
)
def test_p1_pen_01_without_both_dates_the_actual_loss_counts(dates: dict[str, date]) -> None:
    """P1-PEN-01: the resale reading needs the decision date and the resale date; with one alone, the actual loss."""
    valued = value_loss(actual_loss=D("100.00"), quantity=D("5"), **PRICES, **dates)  # type: ignore[arg-type]
    assert valued.amount == D("100.00") and valued.explanation.en == "actual loss 100.00"


def test_p1_pen_01_the_resale_window_opens_on_the_decision_day() -> None:
    """P1-PEN-01: resold on the decision day counts (A-grade price); resold the day before does not."""
    same_day = value_loss(actual_loss=D("100.00"), decided_on=DECIDED, resold_on=DECIDED, quantity=D("5"), **PRICES)
    assert same_day.amount == D("30.00")
    before = value_loss(
        actual_loss=D("100.00"), decided_on=DECIDED, resold_on=date(2026, 11, 1), quantity=D("5"), **PRICES
    )
    assert before.amount == D("100.00") and before.explanation.en.startswith("not resold within")


@pytest.mark.parametrize("field", ["decided_on", "resold_on"])
@pytest.mark.parametrize("value", ["2026-11-02", datetime(2026, 11, 2, tzinfo=UTC)])
def test_p1_pen_01_dates_must_be_dates(field: str, value: object) -> None:
    """P1-PEN-01: a text or a datetime for either date is refused by name, not a TypeError later."""
    args = {"actual_loss": D("100.00"), "decided_on": DECIDED, "resold_on": date(2026, 11, 20), field: value}
    with pytest.raises(RuleViolation, match=f"{field} must be a date") as err:
        value_loss(quantity=D("5"), **PRICES, **args)  # type: ignore[arg-type]
    assert err.value.rule == "P1-PEN-01"


@pytest.mark.parametrize("missing", ["a_grade_unit_price", "resale_unit_price", "quantity"])
def test_p1_pen_01_a_resale_needs_both_prices_and_the_quantity(missing: str) -> None:
    """P1-PEN-01: resold within the window, the loss is (A-grade − resale) × quantity; each of the three is needed."""
    given = {**PRICES, "quantity": D("5")}
    del given[missing]
    with pytest.raises(RuleViolation, match="needs the A-grade price") as err:
        value_loss(actual_loss=D("100.00"), decided_on=DECIDED, resold_on=date(2026, 11, 20), **given)  # type: ignore[arg-type]
    assert err.value.rule == "P1-PEN-01"


@pytest.mark.parametrize(
    ("quantity", "says"),
    [(2.5, "finite Decimal"), (True, "finite Decimal"), (D("-1"), "must lie between"), (MAX_QUANTITY + 1, "between")],
)
def test_p1_pen_01_the_quantity_is_a_decimal_in_range(quantity: object, says: str) -> None:
    """P1-PEN-01: a float, a bool, a negative or a too large quantity is refused by name."""
    with pytest.raises(RuleViolation, match=says) as err:
        value_loss(actual_loss=D("1.00"), decided_on=DECIDED, resold_on=DECIDED, quantity=quantity, **PRICES)  # type: ignore[arg-type]
    assert err.value.rule == "P1-PEN-01"


def test_p1_pen_01_quantity_bounds_are_inclusive() -> None:
    """P1-PEN-01: none resold is a zero loss; the largest allowed quantity, and a fraction of a unit, are valued."""
    at = {"actual_loss": D("1.00"), "decided_on": DECIDED, "resold_on": DECIDED}
    assert value_loss(quantity=D("0"), **PRICES, **at).amount == D("0.00")  # type: ignore[arg-type]
    assert value_loss(quantity=D("0.5"), **PRICES, **at).amount == D("3.00")  # type: ignore[arg-type]
    top = value_loss(quantity=MAX_QUANTITY, a_grade_unit_price=D("0.02"), resale_unit_price=D("0.01"), **at)  # type: ignore[arg-type]
    assert top.amount == D("10000000000.00")


def test_p1_pen_01_a_resale_above_the_a_grade_price_is_no_loss() -> None:
    """P1-PEN-01: (A-grade − resale) × quantity is never negative: 0.00, not a fen more."""
    valued = value_loss(
        actual_loss=D("100.00"),
        decided_on=DECIDED,
        resold_on=DECIDED,
        a_grade_unit_price=D("4.00"),
        resale_unit_price=D("10.00"),
        quantity=D("5"),
    )
    assert valued.amount == D("0.00")


# ----- P1-ROLE-05/06 attribution ----------------------------------------------------------------------------------
def test_p1_role_05_06_the_unit_or_person_must_be_in_the_department(org: Organisation) -> None:
    """P1-ROLE-05/06: a unit of another section or a person of another department is refused by name."""
    with pytest.raises(RuleViolation, match="'p1' is not in 'mfg'") as unit:
        attribution_party(org, department="mfg", unit="p1")
    assert unit.value.rule == "P1-ROLE-05"
    with pytest.raises(RuleViolation, match="'V1' is not in 'sales'") as who:
        attribution_party(org, department="sales", person="V1")
    assert who.value.rule == "P1-ROLE-06"
    assert attribution_party(org, department="mfg", unit="u1") == Party(PartyKind.GROUP_UNIT, "u1", "一班")
    assert attribution_party(org, department="svc", person="V1") == Party(PartyKind.PERSON, "V1", "客服乙")


# ----- P1-PEN-10 basis points -------------------------------------------------------------------------------------
def test_p1_pen_10_members_without_basis_points_get_no_line(org: Organisation) -> None:
    """P1-PEN-10: the loss is shared over the members' basis points; a member with none is not in the split."""
    lines = apportion_loss(D("400.00"), Responsibility.sole(Party(PartyKind.GROUP_UNIT, "u1")), org)
    assert [(line.party.id, line.amount) for line in lines] == [("A1", D("300.00")), ("A2", D("100.00"))]


def test_p1_pen_10_a_unit_with_nobody_to_share_the_loss_is_refused(org: Organisation) -> None:
    """P1-PEN-10: a loss on a unit whose members have no basis points would be deducted from nobody: refused."""
    with pytest.raises(RuleViolation, match="nobody with basis points") as err:
        apportion_loss(D("100.00"), Responsibility.sole(Party(PartyKind.GROUP_UNIT, "idle")), org)
    assert err.value.rule == "P1-PEN-10"


def test_a_persons_line_is_not_split(org: Organisation) -> None:
    """DOMAIN §7: only a department's or unit's line is split by basis points; a person's stays as it is."""
    line = PenaltyLine(party=person("S1"), rule_id="X", kind=LineKind.FINE, amount=D("50.00"),
                       explanation=Labels("罚", "fine"))  # fmt: skip
    assert split_to_members(line, org) == (line,)


# ----- P1-PEN-02 fault shares -------------------------------------------------------------------------------------
def test_p1_pen_02_explanations_show_the_fault_share_only_when_shared(org: Organisation) -> None:
    """P1-PEN-02: with several causers each line names its fault share, in both languages; a sole causer's does not."""
    (sole,) = apportion_loss(D("300.00"), Responsibility.sole(person("S1")), org)
    assert sole.explanation.en == "loss 300.00 = 300.00"
    shared = Responsibility(
        (FaultShare(Party(PartyKind.GROUP_UNIT, "u1"), D("0.6")), FaultShare(person("S1"), D("0.4")))
    )
    a1, _, s1 = apportion_loss(D("1000.00"), shared, org)
    assert a1.explanation.en == "loss 1,000.00 × fault 60% = 600.00 × basis points 30/40 = 450.00"
    assert s1.explanation.en == "loss 1,000.00 × fault 40% = 400.00"


def test_p1_pen_02_reported_lines_say_why_and_under_which_rule(org: Organisation) -> None:
    """P1-PEN-02 / P1-CLS-06: an external causer is reported under P1-PEN-02 as external; where the policy charges
    no loss, a person's share is reported under PEN-LOSS as not charged."""
    shared = Responsibility(
        (FaultShare(Party(PartyKind.SUPPLIER, "copper-co"), D("0.5")), FaultShare(person("S1"), D("0.5")))
    )
    supplier, s1 = apportion_loss(D("300.00"), shared, org)
    assert (supplier.rule_id, supplier.kind, s1.kind) == ("P1-PEN-02", LineKind.REPORTED, LineKind.LOSS_SHARE)
    assert not supplier.capped and s1.capped  # reported only: nothing under the monthly cap (shown per line)
    assert "外部责任" in supplier.explanation.zh and "(external, reported only)" in supplier.explanation.en
    (uncharged,) = apportion_loss(D("300.00"), Responsibility.sole(person("S1")), org, charged=False)
    assert (uncharged.rule_id, uncharged.kind, uncharged.amount) == ("PEN-LOSS", LineKind.REPORTED, D("0.00"))
    assert (
        "本制度不按责任扣款" in uncharged.explanation.zh and "(not charged, reported only)" in uncharged.explanation.en
    )


# ----- P2-ROLE-03 repair split ------------------------------------------------------------------------------------
def test_p2_role_03_the_ratio_bounds() -> None:
    """P2-ROLE-03: a ratio of 0 puts the whole budget on the customer; outside [0, 1], or not a Decimal, refused."""
    assert repair_split(D("3000"), D("0")) == (D("0.00"), D("3000.00"))
    assert repair_split(D("3000"), 0) == (D("0.00"), D("3000.00"))
    for bad in (D("1.5"), D("-0.5"), 0.5, "0.5"):
        with pytest.raises(RuleViolation, match="factory ratio") as err:
            repair_split(D("3000"), bad)  # type: ignore[arg-type]
        assert err.value.rule == "P2-ROLE-03"


def test_p2_role_03_the_budget_bounds() -> None:
    """P2-ROLE-03: a zero budget splits to nothing; a negative one is refused."""
    assert repair_split(D("0"), D("0.6")) == (D("0.00"), D("0.00"))
    assert repair_split(D("0.50"), D("0.6")) == (D("0.30"), D("0.20"))
    with pytest.raises(RuleViolation, match="budget cannot be negative") as err:
        repair_split(D("-0.01"), D("0.6"))
    assert err.value.rule == "P2-ROLE-03"


# ----- P1-PEN-04..06 sanctions ------------------------------------------------------------------------------------
def test_p1_pen_07_a_sanction_is_given_at_least_once(manufacturing: Policy, org: Organisation) -> None:
    """P1-PEN-07: a count of zero is refused (it would cost nothing)."""
    with pytest.raises(RuleViolation, match="at least 1") as err:
        sanction_line(org.person("S1"), Sanction.WARNING, rules=manufacturing.penalties, count=0)
    assert err.value.rule == "P1-PEN-07"


def test_p1_pen_06_a_major_demerit_needs_the_months_bonus(manufacturing: Policy, org: Organisation) -> None:
    """P1-PEN-06: the amount is the month's bonus, so it must be given."""
    with pytest.raises(RuleViolation, match="needs the month's bonus") as err:
        sanction_line(org.person("S1"), Sanction.MAJOR_DEMERIT, rules=manufacturing.penalties)
    assert err.value.rule == "P1-PEN-06"


def test_p1_pen_06_a_second_major_demerit_in_the_month_deducts_nothing(
    manufacturing: Policy, org: Organisation
) -> None:
    """P1-PEN-06: the bonus is forfeited once; the second major demerit is recorded with 0.00 and names the case."""
    first = sanction_line(
        org.person("S1"), Sanction.MAJOR_DEMERIT, rules=manufacturing.penalties, month_bonus=D("1600")
    )
    assert first.amount == D("1600.00") and dict(first.basis) == {"sanction": "major_demerit", "bonus": "1600.00"}
    assert first.explanation.en == "major demerit: the month's bonus 1,600.00 in full"
    second = sanction_line(
        org.person("S1"),
        Sanction.MAJOR_DEMERIT,
        rules=manufacturing.penalties,
        month_bonus=D("1600"),
        forfeited_by="C-7",
    )
    assert (second.amount, second.kind, second.rule_id) == (D("0.00"), LineKind.MAJOR_DEMERIT, "P1-PEN-06")
    assert dict(second.basis)["forfeited_by"] == "C-7"
    assert "C-7" in second.explanation.zh and "nothing more deducted" in second.explanation.en


@pytest.mark.parametrize(("sanction", "rule"), [(Sanction.WARNING, "P1-PEN-04"), (Sanction.MINOR_DEMERIT, "P1-PEN-05")])
def test_p1_pen_04_05_a_policy_without_the_amount_refuses_the_sanction(
    org: Organisation, sanction: Sanction, rule: str
) -> None:
    """P1-PEN-04/05: the amounts are policy data; a policy without them cannot price a warning or minor demerit."""
    with pytest.raises(RuleViolation, match="sets no amount") as err:
        sanction_line(org.person("S1"), sanction, rules=PenaltyRules())
    assert err.value.rule == rule


# ----- P4-PEN-01..03 tiers ----------------------------------------------------------------------------------------
def test_p4_pen_01_an_unknown_severity_is_refused(org: Organisation, service: Policy) -> None:
    """P4-PEN-01: a severity the policy has no tier for is refused by name."""
    with pytest.raises(RuleViolation, match="no external tier for severity 'grave'") as err:
        tier_line(org.person("S1"), policy=service, severity="grave", kind=CaseKind.EXTERNAL)
    assert err.value.rule == "P4-PEN-01"


def test_p4_pen_01_02_a_tier_without_its_own_rule_is_named_by_the_case_kind(org: Organisation, service: Policy) -> None:
    """P4-PEN-01/02: an internal complaint's tier is P4-PEN-01, an external one's P4-PEN-02, unless it names its own."""
    plain = attrs.evolve(service, penalties=PenaltyRules(tiers=(PenaltyTier(severity="light", amount=D("50.00")),)))
    s1 = org.person("S1")
    assert tier_line(s1, policy=plain, severity="light", kind=CaseKind.INTERNAL).rule_id == "P4-PEN-01"
    assert tier_line(s1, policy=plain, severity="light", kind=CaseKind.EXTERNAL).rule_id == "P4-PEN-02"


def test_p4_pen_01_a_fixed_amount_is_refused_as_fixed(org: Organisation, service: Policy) -> None:
    """P4-PEN-01: an internal light complaint is a fixed 50; a lower amount is refused as not the fixed one."""
    with pytest.raises(RuleViolation, match=r"is a fixed 50\.00, not 30\.00") as err:
        tier_line(org.person("S1"), policy=service, severity="light", kind=CaseKind.INTERNAL, amount=D("30"))
    assert err.value.rule == "P4-PEN-01"


def test_p4_pen_03_a_heavy_loss_is_named_in_the_line(org: Organisation, service: Policy) -> None:
    """P4-PEN-03: a heavy severe external complaint is a P4-PEN-03 line that says so; a light one, or a severe one
    without loss or a lost customer, says no heavy loss; an internal severe row has no heavy points, so a lost
    customer changes nothing there."""
    s1 = org.person("S1")
    heavy = tier_line(s1, policy=service, severity="severe", kind=CaseKind.EXTERNAL, loss=D("900"))
    assert (heavy.rule_id, heavy.points) == ("P4-PEN-03", -20)
    assert heavy.explanation.zh == "重度投诉 200.00起 → 200.00,绩效 -20 分(重度损失)"
    assert heavy.explanation.en == "Severe complaint 200.00 minimum → 200.00, -20 points (heavy loss)"
    light = tier_line(s1, policy=service, severity="light", kind=CaseKind.EXTERNAL)
    assert light.rule_id == "P4-PEN-02" and light.explanation.zh == "轻度投诉 50.00起 → 50.00,绩效 -2 分"
    assert dict(light.basis)["loss"] == "0"
    internal = tier_line(s1, policy=service, severity="severe", kind=CaseKind.INTERNAL, customer_lost=True)
    assert (internal.rule_id, internal.points) == ("P4-PEN-01", -10)
    assert internal.explanation.en == "Severe complaint 200.00 minimum → 200.00, -10 points"
    assert internal.explanation.zh == "重度投诉 200.00起 → 200.00,绩效 -10 分"
    plain = tier_line(s1, policy=service, severity="severe", kind=CaseKind.EXTERNAL)  # no loss, customer kept
    assert (plain.rule_id, plain.points) == ("P4-PEN-02", -10)
    assert plain.explanation.zh == "重度投诉 200.00起 → 200.00,绩效 -10 分"
    assert plain.explanation.en == "Severe complaint 200.00 minimum → 200.00, -10 points"
    medium = tier_line(s1, policy=service, severity="medium", kind=CaseKind.INTERNAL)
    assert medium.explanation.zh == "中度投诉 100.00 → 100.00,绩效 -5 分"
    assert medium.explanation.en == "Medium complaint 100.00 → 100.00, -5 points"


# ----- F4-PN-01..03 count tiers, fines, overdue ---------------------------------------------------------------------
def test_f4_pn_each_count_tier_carries_its_own_rule(org: Organisation) -> None:
    """F4-PN-01..03: the tier reached names its rule; a tier without one is F4-PN-01."""
    rules = PenaltyRules(
        count_tiers=(
            CountTier(at_least=2, amount=D("100.00")),
            CountTier(at_least=3, amount=D("200.00"), rule_id="F4-PN-02"),
            CountTier(at_least=4, amount=D("300.00"), rule_id="F4-PN-03"),
        )
    )
    s1 = org.person("S1")
    lines = [count_tier_line(s1, rules=rules, complaints_in_month=n) for n in (2, 3, 4)]
    assert [line.rule_id for line in lines if line is not None] == ["F4-PN-01", "F4-PN-02", "F4-PN-03"]


def test_p2_pen_a_fine_occurs_at_least_once_and_is_named_by_its_rule() -> None:
    """P2-PEN-01: zero occurrences are refused under the fine's rule; a fixed fine's line says no 起 (minimum);
    a fine without a rule of its own is PEN-FINE."""
    furniture = load_preset("furniture").penalties
    manager = person("S0")
    with pytest.raises(RuleViolation, match="at least 1") as err:
        fine_line(manager, "policy_misunderstanding", rules=furniture, occurrences=0)
    assert err.value.rule == "P2-PEN-01"
    line = fine_line(manager, "unapproved_notice", rules=furniture, occurrences=2)
    assert line.explanation.zh == "未经审批向客户发文或传达非正式政策 2 次 × 50.00 = 100.00"
    assert line.explanation.en == "Unapproved notice or unofficial policy to a customer: 2 × 50.00 = 100.00"
    plain = PenaltyRules(fines=(Fine(code="late", amount=D("20.00"), label=Labels("迟到", "late")),))
    assert fine_line(manager, "late", rules=plain).rule_id == "PEN-FINE"


def test_p4_pen_05_a_policy_without_an_overdue_fine_refuses_it(org: Organisation) -> None:
    """P4-PEN-05: sitting on a ticket costs only where the policy sets the fine."""
    with pytest.raises(RuleViolation, match="no overdue fine") as err:
        overdue_line(org.person("S1"), rules=PenaltyRules(), full_days_late=1)
    assert err.value.rule == "P4-PEN-05"


def test_p4_pen_05_without_a_daily_fine_only_the_ticket_fine_is_due(org: Organisation) -> None:
    """P4-PEN-05: a policy with the per-ticket fine and no daily one charges the per-ticket fine however late."""
    line = overdue_line(org.person("S1"), rules=PenaltyRules(overdue_fine=D("50.00")), full_days_late=3)
    assert line.amount == D("50.00") and line.explanation.en.endswith("3 days × 0.00 = 50.00")


# ----- P4-PEN-06 second complaint ---------------------------------------------------------------------------------
def test_p4_pen_06_a_factor_of_one_leaves_the_lines_as_they_are(org: Organisation, service: Policy) -> None:
    """P4-PEN-06: only a second complaint multiplies; factor 1 leaves amount, explanation and basis alone; factor 0
    is refused."""
    line = tier_line(org.person("S1"), policy=service, severity="light", kind=CaseKind.EXTERNAL)
    assert doubled([line], 1) == (line,)
    with pytest.raises(RuleViolation, match="at least 1") as err:
        doubled([line], 0)
    assert err.value.rule == "P4-PEN-06"


# ----- P4-PEN-04 supervisor ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def chain() -> Organisation:
    """W1 reports to S0, who reports to G0; G0 has no supervisor."""
    return Organisation(
        departments=(Department("svc", "服务部", DepartmentKind.SERVICE),),
        people=(
            Person(id="G0", name="总监", department="svc", basis_points=50),
            Person(id="S0", name="主管", department="svc", supervisor="G0", basis_points=30),
            Person(id="W1", name="王五", department="svc", supervisor="S0", basis_points=10),
        ),
    )


def fine(party: Party, amount: str = "100.00") -> PenaltyLine:
    return PenaltyLine(party=party, rule_id="X", kind=LineKind.FINE, amount=D(amount), explanation=Labels("罚", "fine"))


def test_p4_pen_04_the_supervisor_line_names_the_person_and_carries_no_points(chain: Organisation) -> None:
    """P4-PEN-04: the supervisor bears 20% of the money, never performance points; the line names the person by
    name, or by id when the line has no name."""
    rules = PenaltyRules(supervisor_share=D("0.2"))
    named, boss = with_supervisors([fine(Party(PartyKind.PERSON, "W1", "王五"))], chain, rules)
    assert (named.amount, boss.party.id, boss.amount, boss.points) == (D("100.00"), "S0", D("20.00"), 0)
    assert boss.explanation.zh == "主管连带责任:王五 100.00 × 20% = 20.00"
    assert boss.explanation.en == "supervisor's joint liability: 王五 100.00 × 20% = 20.00"
    _, by_id = with_supervisors([fine(Party(PartyKind.PERSON, "W1"))], chain, rules)
    assert "W1 100.00" in by_id.explanation.zh and "W1 100.00" in by_id.explanation.en


def test_p4_pen_04_only_a_persons_own_line_draws_a_supervisor(chain: Organisation) -> None:
    """P4-PEN-04: a person without a supervisor keeps the line alone; a supervisor's own joint liability does not
    pass up to their supervisor; a unit's or department's line draws no one."""
    rules = PenaltyRules(supervisor_share=D("0.2"))
    top = fine(Party(PartyKind.PERSON, "G0", "总监"))
    assert with_supervisors([top], chain, rules) == (top,)
    joint = attrs.evolve(fine(Party(PartyKind.PERSON, "S0", "主管"), "20.00"), kind=LineKind.SUPERVISOR)
    assert with_supervisors([joint], chain, rules) == (joint,)
    section = fine(Party(PartyKind.DEPARTMENT, "svc"))
    assert with_supervisors([section, top], chain, rules) == (section, top)
