"""Assessment of one case (DOMAIN §7): every rule with its ID, including the boundary cases."""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import attrs
import pytest

from adapters.policy_files import load_preset, preset_versions
from complaint_core import (
    DomainError,
    Labels,
    Party,
    PartyKind,
    Policy,
    PolicyInvalid,
    Responsibility,
    RuleViolation,
    Severity,
)
from complaint_core.assessment import Assessment, AssessmentStatus
from complaint_core.errors import InvalidTransition
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
    tier_line,
    value_loss,
    with_supervisors,
)
from complaint_core.policy import CaseKind, CountTier, PenaltyRules, PenaltyTier, SupervisorMode
from complaint_core.responsibility import FaultShare

D = Decimal
AT = datetime(2026, 11, 20, 2, tzinfo=UTC)


@pytest.fixture(scope="module")
def org() -> Organisation:
    return Organisation(
        departments=(
            Department("mfg", "制造部", DepartmentKind.MANUFACTURING),
            Department("sales", "业务部", DepartmentKind.SALES),
        ),
        units=(GroupUnit("smt1", "SMT一班", "mfg"), GroupUnit("smt2", "SMT二班", "mfg")),
        people=(
            Person(id="M1", name="车间主任", department="mfg", basis_points=30),
            Person(id="A1", name="张三", department="mfg", unit="smt1", supervisor="M1", basis_points=25),
            Person(id="A2", name="李四", department="mfg", unit="smt1", supervisor="M1", basis_points=20),
            Person(id="A3", name="王五", department="mfg", unit="smt1", supervisor="M1", basis_points=15),
            Person(id="B1", name="赵六", department="mfg", unit="smt2", supervisor="M1", basis_points=10),
            Person(id="S0", name="业务经理", department="sales", basis_points=40),
            Person(id="S1", name="销售甲", department="sales", supervisor="S0", basis_points=20),
        ),
        bonuses={("A1", "2026-11"): D("1600.00")},
    )


def unit(code: str) -> Party:
    return Party(PartyKind.GROUP_UNIT, code)


def test_p1_pen_10_loss_by_basis_points_inside_the_unit(org: Organisation) -> None:
    """损失 1,200.00 × 基点 25/60 = 500.00."""
    lines = apportion_loss(D("1200.00"), Responsibility.sole(unit("smt1")), org)
    assert [(line.party.id, line.amount) for line in lines] == [
        ("A1", D("500.00")),
        ("A2", D("400.00")),
        ("A3", D("300.00")),
    ]
    assert lines[0].explanation.zh == "损失 1,200.00 × 基点 25/60 = 500.00"
    assert lines[0].explanation.en == "loss 1,200.00 × basis points 25/60 = 500.00"
    assert all(line.rule_id == "P1-PEN-10" for line in lines)


def test_p1_pen_02_fault_shares_then_basis_points(org: Organisation) -> None:
    causer = Responsibility(
        (FaultShare(unit("smt1"), D("0.6")), FaultShare(Party(PartyKind.PERSON, "S1", "销售甲"), D("0.4")))
    )
    lines = apportion_loss(D("1000.00"), causer, org)
    assert sum(line.amount for line in lines) == D("1000.00")
    assert lines[-1].party.id == "S1" and lines[-1].amount == D("400.00")
    assert "责任 60%" in lines[0].explanation.zh


def test_p1_pen_13_whole_section_spreads_over_the_section(org: Organisation) -> None:
    lines = apportion_loss(D("1000.00"), Responsibility.sole(Party(PartyKind.DEPARTMENT, "mfg")), org)
    assert {line.party.id for line in lines} == {"M1", "A1", "A2", "A3", "B1"}
    assert sum(line.amount for line in lines) == D("1000.00") and lines[0].rule_id == "P1-PEN-13"


def test_rounding_1000_over_three_equal_parties() -> None:
    """DOMAIN §7: 1000 over three equal members → 333.34, 333.33, 333.33 (the extra fen to the first)."""
    trio = Organisation(
        departments=(Department("mfg", "制造部", DepartmentKind.MANUFACTURING),),
        units=(GroupUnit("u", "一班", "mfg"),),
        people=tuple(Person(id=f"P{i}", name=f"P{i}", department="mfg", unit="u", basis_points=10) for i in range(3)),
    )
    amounts = [line.amount for line in apportion_loss(D("1000.00"), Responsibility.sole(unit("u")), trio)]
    assert amounts == [D("333.34"), D("333.33"), D("333.33")]


def test_single_party_takes_everything(org: Organisation) -> None:
    (line,) = apportion_loss(D("777.77"), Responsibility.sole(Party(PartyKind.PERSON, "S1")), org)
    assert line.amount == D("777.77") and line.explanation.zh == "损失 777.77 = 777.77"


def test_external_parties_are_reported_not_deducted(org: Organisation) -> None:
    causer = Responsibility(
        (FaultShare(Party(PartyKind.SUPPLIER, "copper-co"), D("0.5")), FaultShare(unit("smt2"), D("0.5")))
    )
    lines = apportion_loss(D("300.00"), causer, org)
    assert lines[0].kind is LineKind.REPORTED and lines[0].amount == 0 and "150.00" in lines[0].explanation.zh
    assert lines[1].party.id == "B1" and lines[1].amount == D("150.00")


def test_bad_input(org: Organisation) -> None:
    with pytest.raises(RuleViolation):
        apportion_loss(D("-1"), Responsibility.sole(unit("smt1")), org)
    with pytest.raises(DomainError, match="unknown person"):
        apportion_loss(D("10"), Responsibility.sole(Party(PartyKind.PERSON, "ghost")), org)


def test_p1_role_05_06_attribution_granularity(org: Organisation) -> None:
    assert attribution_party(org, department="mfg", unit="smt1").kind is PartyKind.GROUP_UNIT
    assert attribution_party(org, department="mfg").kind is PartyKind.DEPARTMENT
    assert attribution_party(org, department="sales", person="S1").kind is PartyKind.PERSON
    assert attribution_party(org, department="sales").kind is PartyKind.DEPARTMENT
    with pytest.raises(RuleViolation) as err:
        attribution_party(org, department="mfg", person="A1")
    assert err.value.rule == "P1-ROLE-05"
    with pytest.raises(RuleViolation):
        attribution_party(org, department="sales", unit="smt1")


def test_p1_pen_01_resale_within_the_month_uses_the_a_grade_price() -> None:
    resold = value_loss(
        actual_loss=D("5000.00"),
        decided_on=date(2026, 1, 31),
        resold_on=date(2026, 2, 28),  # the window's last day (month-end clamped)
        a_grade_unit_price=D("12.50"),
        resale_unit_price=D("8.00"),
        quantity=D("300"),
    )
    assert resold.amount == D("1350.00") and resold.rule_id == "P1-PEN-01"
    late = value_loss(actual_loss=D("5000.00"), decided_on=date(2026, 1, 31), resold_on=date(2026, 3, 1),
                      a_grade_unit_price=D("12.50"), resale_unit_price=D("8.00"), quantity=D("300"))  # fmt: skip
    assert late.amount == D("5000.00")
    assert value_loss(actual_loss=D("80")).amount == D("80.00")
    with pytest.raises(RuleViolation):
        value_loss(actual_loss=D("-1"))


def test_p2_role_03_repair_budget_split() -> None:
    assert repair_split(D("3000"), D("0.6")) == (D("1800.00"), D("1200.00"))
    assert repair_split(D("3000"), D("1")) == (D("3000.00"), D("0.00"))


def test_p1_pen_04_05_sanctions_are_minimums(org: Organisation) -> None:
    rules = load_preset("manufacturing").penalties
    a1 = org.person("A1")
    assert sanction_line(a1, Sanction.WARNING, rules=rules).amount == D("400.00")
    assert sanction_line(a1, Sanction.MINOR_DEMERIT, rules=rules, count=2).amount == D("1600.00")
    assert sanction_line(a1, Sanction.WARNING, rules=rules, amount=D("500")).amount == D("500.00")
    with pytest.raises(RuleViolation) as err:
        sanction_line(a1, Sanction.MINOR_DEMERIT, rules=rules, amount=D("799.99"))
    assert err.value.rule == "P1-PEN-05"


def test_p1_pen_06_major_demerit_takes_the_whole_bonus_uncapped(org: Organisation) -> None:
    rules = load_preset("manufacturing").penalties
    line = sanction_line(org.person("A1"), Sanction.MAJOR_DEMERIT, rules=rules, month_bonus=org.bonus("A1", "2026-11"))
    assert line.amount == D("1600.00") and line.kind is LineKind.MAJOR_DEMERIT and not line.capped
    for extra in ({"count": 3}, {"amount": D("5000")}):  # were dropped without a word (the line said count 1)
        with pytest.raises(RuleViolation, match="takes no count or amount") as err:
            sanction_line(org.person("A1"), Sanction.MAJOR_DEMERIT, rules=rules, month_bonus=D("1600"), **extra)
        assert err.value.rule == "P1-PEN-06"


def test_p1_pen_06_a_major_demerit_is_approved_in_the_month_whose_bonus_it_holds(org: Organisation) -> None:
    """Its line holds November's whole bonus; approved in December it would be posted (and deducted, uncapped)
    against December's bonus: refused, to be assessed again in December."""
    policy = load_preset("manufacturing")
    line = sanction_line(org.person("A1"), Sanction.MAJOR_DEMERIT, rules=policy.penalties, month_bonus=D("1600.00"))
    proposed_at = datetime(2026, 11, 30, 8, tzinfo=UTC)  # 16:00 in Shanghai, 30 November
    proposal, _ = Assessment.propose(
        policy, assessment_id=uuid4(), case_id=uuid4(), lines=(line,), at=proposed_at, actor="qa"
    )
    proposal, _ = proposal.endorse(policy, role="supervisor", at=proposed_at, actor="A0")  # P1-APR-04
    with pytest.raises(RuleViolation) as err:
        proposal.approve(policy, role="gm", at=datetime(2026, 11, 30, 17, tzinfo=UTC), actor="gm")  # 1 Dec local
    assert err.value.rule == "P1-PEN-06" and "2026-12" in str(err.value)
    approved, _ = proposal.approve(policy, role="gm", at=datetime(2026, 11, 30, 15, tzinfo=UTC), actor="gm")
    assert approved.status is AssessmentStatus.APPROVED


@pytest.mark.parametrize(
    ("severity", "kind", "loss", "lost", "amount", "points"),
    [
        ("light", CaseKind.INTERNAL, "0", False, "50.00", -2),
        ("medium", CaseKind.INTERNAL, "0", False, "100.00", -5),
        ("severe", CaseKind.INTERNAL, "900", False, "200.00", -10),  # the internal row is fixed at -10
        ("severe", CaseKind.EXTERNAL, "500.00", False, "200.00", -10),  # exactly 500 is not heavy
        ("severe", CaseKind.EXTERNAL, "500.01", False, "200.00", -20),
        ("severe", CaseKind.EXTERNAL, "0", True, "200.00", -20),  # customer lost
    ],
)
def test_p4_pen_01_02_03_tiers(
    org: Organisation, service: Policy, severity: str, kind: CaseKind, loss: str, lost: bool, amount: str, points: int
) -> None:
    line = tier_line(org.person("S1"), policy=service, severity=severity, kind=kind, loss=D(loss), customer_lost=lost)
    assert (line.amount, line.points) == (D(amount), points)


def test_p4_pen_02_external_amounts_are_minimums(org: Organisation, service: Policy) -> None:
    s1 = org.person("S1")
    assert tier_line(s1, policy=service, severity="light", kind=CaseKind.EXTERNAL, amount=D("80")).amount == D("80.00")
    with pytest.raises(RuleViolation):
        tier_line(s1, policy=service, severity="light", kind=CaseKind.EXTERNAL, amount=D("49.99"))
    with pytest.raises(RuleViolation):  # internal light is a fixed 50
        tier_line(s1, policy=service, severity="light", kind=CaseKind.INTERNAL, amount=D("80"))


def test_p4_cls_04_third_complaint_or_three_days_delay_is_at_least_medium(service: Policy) -> None:
    assert service.raised_severity("light", same_issue_count=2) == "light"
    assert service.raised_severity("light", same_issue_count=3) == "medium"
    assert service.raised_severity("light", delay_days=3) == "medium"
    assert service.raised_severity("severe", same_issue_count=5) == "severe"


def test_p4_pen_06_second_complaint_doubles_exactly(org: Organisation, service: Policy) -> None:
    line = tier_line(org.person("S1"), policy=service, severity="severe", kind=CaseKind.EXTERNAL, customer_lost=True)
    (twice,) = doubled([line], service.penalties.second_complaint_factor)
    assert (twice.amount, twice.points) == (D("400.00"), -40) and "二次投诉" in twice.explanation.zh


def test_p1_pen_06_a_major_demerit_is_the_whole_bonus_once(org: Organisation, service: Policy) -> None:
    """Review: a second complaint doubled a major demerit to twice the bonus (3600.00 of 1800.00), and two major
    demerits of one person in one decision both took the bonus (2200.00 of 1100.00)."""
    from complaint_core.penalty_orders import PenaltyOrder, SanctionOrder, assess_lines

    demerit = sanction_line(org.person("A1"), Sanction.MAJOR_DEMERIT, rules=service.penalties, month_bonus=D("1600.00"))
    warning = sanction_line(org.person("A1"), Sanction.WARNING, rules=load_preset("manufacturing").penalties)
    kept, twice = doubled([demerit, warning], 2)
    assert kept == demerit and twice.amount == 2 * warning.amount
    order = PenaltyOrder(sanctions=(SanctionOrder(person_id="A1", sanction=Sanction.MAJOR_DEMERIT),) * 2)
    from complaint_core import Case, Channel, Intake

    intake = Intake(customer="甲", channel=Channel.PHONE, category="quality")
    case, _ = Case.receive(service, case_id=uuid4(), intake=intake, at=AT, actor="cs")
    with pytest.raises(RuleViolation, match="A1 is given two in this decision") as err:
        assess_lines(case, service, org, order, month="2026-11")
    assert err.value.rule == "P1-PEN-06"


def test_p4_pen_04_supervisor_20_percent_additive_and_split(org: Organisation, service: Policy) -> None:
    line = tier_line(org.person("S1"), policy=service, severity="medium", kind=CaseKind.EXTERNAL, amount=D("333"))
    own, boss = with_supervisors([line], org, service.penalties)
    assert (own.amount, boss.party.id, boss.amount, boss.rule_id) == (D("333.00"), "S0", D("66.60"), "P4-PEN-04")
    split_rules = PenaltyRules(supervisor_share=D("0.2"), supervisor_mode=SupervisorMode.SPLIT)
    own, boss = with_supervisors([line], org, split_rules)
    assert own.amount + boss.amount == D("333.00") and boss.amount == D("66.60")


def test_p4_pen_05_overdue_fine(org: Organisation, service: Policy) -> None:
    assert overdue_line(org.person("S1"), rules=service.penalties, full_days_late=3).amount == D("200.00")
    assert overdue_line(org.person("S1"), rules=service.penalties, full_days_late=0).amount == D("50.00")


def test_f4_pn_count_tiers_highest_applies(org: Organisation) -> None:
    rules = PenaltyRules(
        count_tiers=(
            CountTier(at_least=2, amount=D("100.00"), rule_id="F4-PN-01"),
            CountTier(at_least=3, amount=D("200.00"), rule_id="F4-PN-02"),
            CountTier(at_least=4, amount=D("300.00"), rule_id="F4-PN-03"),
        )
    )
    s1 = org.person("S1")
    assert count_tier_line(s1, rules=rules, complaints_in_month=1) is None
    assert [count_tier_line(s1, rules=rules, complaints_in_month=n).amount for n in (2, 3, 4, 9)] == [  # type: ignore[union-attr]
        D("100.00"), D("200.00"), D("300.00"), D("300.00"),
    ]  # fmt: skip


def test_p2_pen_01_03_fixed_fines_additive() -> None:
    rules = load_preset("furniture").penalties
    manager = Party(PartyKind.PERSON, "S0", "业务经理")
    assert fine_line(manager, "policy_misunderstanding", rules=rules, occurrences=2).amount == D("100.00")
    notice = fine_line(manager, "unapproved_notice", rules=rules).amount
    caused = fine_line(manager, "notice_caused_complaint", rules=rules).amount
    assert notice + caused == D("150.00")
    with pytest.raises(RuleViolation) as unknown:
        fine_line(manager, "parking", rules=rules)
    assert unknown.value.rule == "PEN-FINE"
    with pytest.raises(RuleViolation, match=r"fixed 50\.00") as fixed:  # a fixed fine takes no amount of its own
        fine_line(manager, "unapproved_notice", rules=rules, amount=D("80.00"))
    assert fixed.value.rule == "P2-PEN-02"
    assert fine_line(manager, "unapproved_notice", rules=rules, occurrences=2, amount=D("100")).amount == D("100.00")


def test_p4_pen_07_concealing_the_facts_costs_200_or_more() -> None:
    """P4-PEN-07「轻者200元起」: the least per occurrence; the decision may set more, never less."""
    rules = load_preset("service").penalties
    clerk = Party(PartyKind.PERSON, "S02", "李娜")
    line = fine_line(clerk, "concealment", rules=rules)
    assert (line.amount, line.rule_id, line.kind) == (D("200.00"), "P4-PEN-07", LineKind.FINE)
    assert line.explanation.zh.endswith("1 次 × 200.00 起 = 200.00")
    raised = fine_line(clerk, "concealment", rules=rules, amount=D("500"))
    assert raised.amount == D("500.00") and raised.explanation.en.endswith("1 × 200.00 minimum = 200.00 → 500.00")
    assert fine_line(clerk, "concealment", rules=rules, occurrences=2, amount=D("400.00")).amount == D("400.00")
    with pytest.raises(RuleViolation, match=r"at least 400\.00") as less:
        fine_line(clerk, "concealment", rules=rules, occurrences=2, amount=D("399.99"))
    assert less.value.rule == "P4-PEN-07"


def test_assessment_proposal_approval_and_reversal(org: Organisation) -> None:
    """P1-APR-05: the GM approves; approving twice is refused; an appeal reverses, never edits."""
    policy = load_preset("manufacturing")
    lines = apportion_loss(D("1200.00"), Responsibility.sole(unit("smt1")), org)
    proposal, (event,) = Assessment.propose(
        policy, assessment_id=uuid4(), case_id=uuid4(), lines=lines, at=AT, actor="qa"
    )
    assert proposal.total == D("1200.00") and event.EVENT_TYPE == "assessment.proposed"
    assert [line_id for line_id, _ in proposal.deductible_lines()] == ["0", "1", "2"]
    with pytest.raises(RuleViolation) as err:
        proposal.approve(policy, role="sales_manager", at=AT, actor="x")
    assert err.value.rule == "P1-APR-05"
    approved, _ = proposal.approve(policy, role="gm", at=AT, actor="gm.chen")
    assert approved.status is AssessmentStatus.APPROVED and approved.version == 2
    with pytest.raises(InvalidTransition):
        approved.approve(policy, role="gm", at=AT, actor="gm.chen")
    reversed_, _ = approved.reverse(reason="申诉成立", at=AT, actor="gm.chen")
    assert reversed_.status is AssessmentStatus.REVERSED and reversed_.lines == approved.lines
    assert approved.person_totals() == {"A1": D("500.00"), "A2": D("400.00"), "A3": D("300.00")}
    # a case is assessed once: a second decision is refused by name (it used to collide in the ledger on line
    # ids, or be posted and then make either one impossible to appeal)
    again, _ = Assessment.propose(
        policy, assessment_id=uuid4(), case_id=proposal.case_id, lines=lines, at=AT, actor="qa"
    )
    for decided in (approved, reversed_):
        with pytest.raises(RuleViolation) as twice:
            again.approve(policy, role="gm", at=AT, actor="gm.chen", others=(again, decided))
        assert twice.value.rule == "PEN-APPROVE" and str(decided.assessment_id) in str(twice.value)


def test_s1_pn_five_tiers_as_policy_data(org: Organisation) -> None:
    """S1-PN-01..05: a range, fixed fines with points, a major demerit on top, dismissal without a fine."""
    codes = ("s1", "s2", "s3", "s4", "s5")
    s1 = attrs.evolve(
        load_preset("service"),
        severities=tuple(Severity(code=c, label=Labels(c, c)) for c in codes),
        penalties=PenaltyRules(
            tiers=(
                PenaltyTier(severity="s1", amount=D("30.00"), minimum=True, maximum=D("100.00"), rule_id="S1-PN-01"),
                PenaltyTier(severity="s2", amount=D("200.00"), points=-5, rule_id="S1-PN-02"),
                PenaltyTier(severity="s3", amount=D("300.00"), points=-10, rule_id="S1-PN-03"),
                PenaltyTier(severity="s4", amount=D("1000.00"), rule_id="S1-PN-04"),
                PenaltyTier(severity="s5", amount=D("0.00"), rule_id="S1-PN-05"),
            )
        ),
    )
    person = org.person("S1")
    ext = CaseKind.EXTERNAL
    assert tier_line(person, policy=s1, severity="s1", kind=ext, amount=D("100")).amount == D("100.00")
    with pytest.raises(RuleViolation) as err:
        tier_line(person, policy=s1, severity="s1", kind=ext, amount=D("100.01"))
    assert err.value.rule == "S1-PN-01"
    assert tier_line(person, policy=s1, severity="s3", kind=ext).points == -10
    # S1-PN-04: 1000 plus the whole month's performance pay, the latter as a major-demerit line
    tier4 = tier_line(person, policy=s1, severity="s4", kind=ext)
    major = sanction_line(person, Sanction.MAJOR_DEMERIT, rules=s1.penalties, month_bonus=D("2400.00"))
    assert tier4.amount + major.amount == D("3400.00") and tier4.rule_id == "S1-PN-04"
    assert tier_line(person, policy=s1, severity="s5", kind=ext).amount == D("0.00")
    with pytest.raises(PolicyInvalid):  # a maximum needs a minimum tier
        attrs.evolve(s1, penalties=PenaltyRules(tiers=(PenaltyTier(severity="s1", amount=D("30"), maximum=D("100")),)))


def test_p2_pen_01_a_department_fine_is_split_among_its_members_by_basis_points(org: Organisation) -> None:
    """DOMAIN §7: a department's (or unit's) amount is deducted from its members by basis points; a fine left on
    the department was approved and never deducted. 50.00 over S0 (40) and S1 (20): 33.33 and 16.67."""
    from types import SimpleNamespace

    from complaint_core.penalty_orders import FineOrder, PenaltyOrder, assess_lines

    furniture = load_preset("furniture")
    case = SimpleNamespace(status=None, causer=None, severity=None, intake=SimpleNamespace(kind=CaseKind.EXTERNAL),
                           parent_case_id=None, case_id=uuid4())  # fmt: skip
    fine = FineOrder(party_id="sales", code="policy_misunderstanding", party_kind=PartyKind.DEPARTMENT)
    lines = assess_lines(case, furniture, org, PenaltyOrder(fines=(fine,)), month="2026-11")  # type: ignore[arg-type]
    fines = {line.party.id: line.amount for line in lines if line.rule_id == "P2-PEN-01"}
    assert fines == {"S0": D("33.33"), "S1": D("16.67")}
    proposal, _ = Assessment.propose(furniture, assessment_id=uuid4(), case_id=case.case_id, lines=lines, at=AT,
                                     actor="qa")  # fmt: skip
    approved, _ = proposal.approve(furniture, role="gm", at=AT, actor="gm")
    assert sum(p.amount for p in approved.postings()) == approved.total  # everything approved is deducted
    nobody = FineOrder(party_id="no-such-unit", code="unapproved_notice", party_kind=PartyKind.GROUP_UNIT)
    with pytest.raises(DomainError, match="no-such-unit"):
        assess_lines(case, furniture, org, PenaltyOrder(fines=(nobody,)), month="2026-11")  # type: ignore[arg-type]


RESALE = {"actual_loss": D("100.00"), "decided_on": date(2026, 11, 2), "resold_on": date(2026, 11, 20)}


@pytest.mark.parametrize(
    "changes",
    [
        {"quantity": D("NaN"), "a_grade_unit_price": D("10.00"), "resale_unit_price": D("4.00")},
        {"quantity": D("5"), "a_grade_unit_price": D("Infinity"), "resale_unit_price": D("4.00")},
        {"quantity": D("5"), "a_grade_unit_price": 10.5, "resale_unit_price": D("4.00")},
        {"quantity": D("1e30"), "a_grade_unit_price": D("10.00"), "resale_unit_price": D("4.00")},
        {"quantity": D("5"), "a_grade_unit_price": D("1e30"), "resale_unit_price": D("4.00")},
        {"quantity": D("5"), "a_grade_unit_price": D("10.00"), "resale_unit_price": D("4.00"),
         "resold_on": datetime(2026, 11, 20, tzinfo=UTC)},
    ],
)  # fmt: skip
def test_p1_pen_01_bad_valuation_inputs_are_domain_errors(changes: dict[str, object]) -> None:
    """They crashed with InvalidOperation, AttributeError or TypeError; now a domain error names the field."""
    with pytest.raises(DomainError):
        value_loss(**{**RESALE, **changes})  # type: ignore[arg-type]


def test_counts_must_be_whole_numbers(org: Organisation, service: Policy) -> None:
    rules = load_preset("manufacturing").penalties
    for count in ("2", 1.5, True):
        with pytest.raises(RuleViolation) as err:
            sanction_line(org.person("A1"), Sanction.WARNING, rules=rules, count=count)  # type: ignore[arg-type]
        assert err.value.rule == "P1-PEN-07"
    for days in (1.5, None):
        with pytest.raises(RuleViolation):
            overdue_line(org.person("A1"), rules=service.penalties, full_days_late=days)  # type: ignore[arg-type]
    with pytest.raises(RuleViolation):
        doubled((), 2.5)  # type: ignore[arg-type]
    with pytest.raises(RuleViolation):
        repair_split(D("3000.00"), D("NaN"))


def test_p2_role_03_a_factory_ratio_finer_than_18_places_is_refused() -> None:
    with pytest.raises(RuleViolation, match="18 decimal places") as error:
        repair_split(D("3000"), D("0.6000000000000000000000000000001"))
    assert error.value.rule == "P2-ROLE-03"


def test_p1_cls_08_a_sanction_only_for_the_listed_causes(org: Organisation) -> None:
    """Manufacturing v3 lists the 15 causes of 客户投诉行政处分判定项目补充说明; a warning on a plating defect is refused."""
    from types import SimpleNamespace

    from complaint_core.penalty_orders import PenaltyOrder, SanctionOrder, assess_lines

    policy = load_preset("manufacturing")
    assert len(policy.penalties.sanction_causes) == 15 and policy.penalties.sanction_causes[8].code == "late_delivery"
    order = PenaltyOrder(sanctions=(SanctionOrder(person_id="S1", sanction=Sanction.WARNING),))

    def case(cause: str | None) -> object:
        intake = SimpleNamespace(kind=CaseKind.EXTERNAL, cause_code=cause)
        return SimpleNamespace(status=None, causer=None, severity=None, intake=intake, parent_case_id=None)

    for cause in ("plating", None):
        with pytest.raises(RuleViolation) as refused:
            assess_lines(case(cause), policy, org, order, month="2026-11")  # type: ignore[arg-type]
        assert refused.value.rule == "P1-CLS-08" and "late_delivery" in str(refused.value)
    (line,) = assess_lines(case("late_delivery"), policy, org, order, month="2026-11")  # type: ignore[arg-type]
    assert (line.rule_id, line.amount) == ("P1-PEN-04", D("400.00"))
    older = load_preset("furniture")  # no list: sanctions as before
    assert not older.penalties.sanction_causes


def test_sanction_causes_are_validated_with_their_key_path() -> None:
    from complaint_core.policy import SanctionCause

    base = load_preset("manufacturing")
    late = SanctionCause(code="late_delivery", label=Labels("交货延迟", "Late delivery"))
    for causes, path in (
        ((late, late), "penalties.sanction_causes[1]"),
        ((SanctionCause(code="Late Delivery", label=late.label),), "penalties.sanction_causes[0].code"),
    ):
        with pytest.raises(PolicyInvalid) as refused:
            attrs.evolve(base, penalties=attrs.evolve(base.penalties, sanction_causes=causes))
        assert refused.value.path == path


@pytest.mark.parametrize("preset", ["service", "furniture", "bank-branch"])
def test_p1_pen_02_a_loss_by_fault_share_only_where_the_policy_charges_it(org: Organisation, preset: str) -> None:
    """P1-PEN-02 is P1's rule: a P4 loss only makes a tier heavy (P4-PEN-03), P2 fines per occurrence, P5 has no
    penalties. A loss order there was apportioned to the causers as P1-PEN-02 lines, a deduction the policy
    never imposes (on top of the tier); now the valued loss is reported only (for the monthly report), and the
    manufacturing preset still charges it."""
    from types import SimpleNamespace

    from complaint_core.penalty_orders import LossOrder, PenaltyOrder, assess_lines

    causer = Responsibility.sole(Party(PartyKind.PERSON, "A1"))

    def case(kind: CaseKind) -> object:
        return SimpleNamespace(status=None, causer=causer, severity="severe", intake=SimpleNamespace(kind=kind),
                               parent_case_id=None)  # fmt: skip

    order = PenaltyOrder(loss=LossOrder(actual_loss=D("800.00")))
    policy = load_preset(preset)
    assert policy.penalties.loss_share is False
    (reported,) = assess_lines(case(CaseKind.EXTERNAL), policy, org, order, month="2026-11")  # type: ignore[arg-type]
    assert (reported.rule_id, reported.kind, reported.amount) == ("PEN-LOSS", LineKind.REPORTED, D("0.00"))
    assert dict(reported.basis)["loss"] == "800.00" and "仅报告" in reported.explanation.zh
    made, _ = Assessment.propose(policy, assessment_id=uuid4(), case_id=uuid4(), lines=(reported,), at=AT, actor="q")
    assert made.approve(policy, role="gm", at=AT, actor="gm")[0].postings() == ()  # nobody pays a share
    (line,) = assess_lines(case(CaseKind.EXTERNAL), load_preset("manufacturing"), org, order, month="2026-11")  # type: ignore[arg-type]
    assert (line.rule_id, line.amount) == ("P1-PEN-02", D("800.00"))


def test_p1_apr_04_a_punishments_type_is_endorsed_by_the_supervisor_before_approval(org: Organisation) -> None:
    """Manufacturing v4: 个人惩处种类呈主管批示 (P1-APR-04) comes before the GM's approval (P1-APR-05), for an
    assessment with a warning or demerit; loss shares alone need none, and a policy without endorsers asks none."""
    policy = load_preset("manufacturing")
    assert policy.penalties.endorser_roles == frozenset({"supervisor"})
    warning = sanction_line(org.person("A1"), Sanction.WARNING, rules=policy.penalties)
    loss = apportion_loss(D("300.00"), Responsibility.sole(Party(PartyKind.PERSON, "A2")), org)

    def proposal(*lines: PenaltyLine) -> Assessment:
        made, _ = Assessment.propose(policy, assessment_id=uuid4(), case_id=uuid4(), lines=lines, at=AT, actor="qa")
        return made

    punishing = proposal(*loss, warning)
    assert punishing.punishes and not proposal(*loss).punishes
    with pytest.raises(RuleViolation) as err:
        punishing.approve(policy, role="gm", at=AT, actor="gm")
    assert err.value.rule == "P1-APR-04" and str(punishing.assessment_id) in str(err.value)
    with pytest.raises(RuleViolation, match="may not endorse") as err:
        punishing.endorse(policy, role="gm", at=AT, actor="gm")
    with pytest.raises(RuleViolation, match="before"):
        punishing.endorse(policy, role="supervisor", at=AT - timedelta(minutes=1), actor="M1")
    endorsed, events = punishing.endorse(policy, role="supervisor", at=AT, actor="M1")
    assert [e.EVENT_TYPE for e in events] == ["assessment.endorsed"] and events[0].version == endorsed.version == 2
    assert (endorsed.status, endorsed.endorsed_by, endorsed.endorsed_role) == (AssessmentStatus.PROPOSED, "M1",
                                                                              "supervisor")  # fmt: skip
    with pytest.raises(InvalidTransition, match="endorsed already"):
        endorsed.endorse(policy, role="supervisor", at=AT, actor="M1")
    with pytest.raises(RuleViolation, match="before"):
        endorsed.approve(policy, role="gm", at=AT - timedelta(seconds=1), actor="gm")
    approved, _ = endorsed.approve(policy, role="gm", at=AT, actor="gm")
    assert approved.status is AssessmentStatus.APPROVED and approved.version == 3 and approved.endorsed_by == "M1"
    with pytest.raises(InvalidTransition):
        approved.endorse(policy, role="supervisor", at=AT, actor="M1")

    plain = proposal(*loss)  # loss shares only: nothing to endorse, approved directly
    with pytest.raises(RuleViolation, match="no warning or demerit"):
        plain.endorse(policy, role="supervisor", at=AT, actor="M1")
    assert plain.approve(policy, role="gm", at=AT, actor="gm")[0].status is AssessmentStatus.APPROVED
    older = next(p for p in preset_versions("manufacturing") if p.version == 3)  # before P1-APR-04 was read
    made, _ = Assessment.propose(older, assessment_id=uuid4(), case_id=uuid4(), lines=(warning,), at=AT, actor="qa")
    with pytest.raises(RuleViolation, match="asks no endorsement"):
        made.endorse(older, role="supervisor", at=AT, actor="M1")
    assert made.approve(older, role="gm", at=AT, actor="gm")[0].status is AssessmentStatus.APPROVED


def test_endorser_roles_cannot_be_blank() -> None:
    base = load_preset("manufacturing")
    with pytest.raises(PolicyInvalid) as err:
        attrs.evolve(base, penalties=attrs.evolve(base.penalties, endorser_roles=frozenset({" "})))
    assert err.value.path == "penalties.endorser_roles"


def test_a_month_after_the_current_one_is_not_closed(org: Organisation) -> None:
    """Months close in order, so a close of a later month by mistake (2099-12 for 2026-12) would shut every month
    before it to postings for good; the current month may close before it ends, as payroll does."""
    from adapters.clock import FixedClock
    from complaint_core.penalty_service import PenaltyService
    from entrypoints.bootstrap import bootstrap

    cases = bootstrap(clock=FixedClock(datetime(2026, 11, 30, 17, tzinfo=UTC)))  # 2026-12-01 01:00 in Shanghai
    penalties = PenaltyService(cases, organisation=type("Org", (), {"get": lambda self: org})())
    for month in ("2027-01", "2099-12"):
        with pytest.raises(RuleViolation, match=f"{month} has not begun") as later:
            penalties.close_month(month)
        assert later.value.rule == "LEDGER-FUTURE"
    assert penalties.ledger().closed_months == ()
    assert penalties.close_month("2026-12").month == "2026-12"  # the policy's zone decides the current month


def test_a_proposal_that_will_not_be_approved_is_withdrawn(org: Organisation) -> None:
    """DOMAIN §3: settled needs every penalty posted or waived. A corrected or refused proposal had no way out, and
    kept its case from being settled for good; withdrawn, it decides nothing and is never posted."""
    from complaint_core.events import AssessmentWithdrawn

    policy = load_preset("manufacturing")
    lines = apportion_loss(D("1200.00"), Responsibility.sole(unit("smt1")), org)
    first, _ = Assessment.propose(policy, assessment_id=uuid4(), case_id=uuid4(), lines=lines, at=AT, actor="qa")
    with pytest.raises(RuleViolation, match="needs its reason") as blank:
        first.withdraw(reason="  ", at=AT, actor="gm")
    assert blank.value.rule == "PEN-WITHDRAW"
    withdrawn, (event,) = first.withdraw(reason="金额有误,重新核算", at=AT + timedelta(hours=1), actor="gm")
    assert isinstance(event, AssessmentWithdrawn) and event.EVENT_TYPE == "assessment.withdrawn"
    assert withdrawn.status is AssessmentStatus.WITHDRAWN and withdrawn.version == 2
    assert (withdrawn.withdrawal_reason, withdrawn.withdrawn_at, withdrawn.last_at) == (
        "金额有误,重新核算",
        *[AT + timedelta(hours=1)] * 2,
    )
    for step in (
        lambda: withdrawn.approve(policy, role="gm", at=AT + timedelta(hours=2), actor="gm"),
        lambda: withdrawn.withdraw(reason="again", at=AT + timedelta(hours=2), actor="gm"),
        lambda: withdrawn.reverse(reason="again", at=AT + timedelta(hours=2), actor="gm"),
        lambda: withdrawn.postings(),
    ):
        with pytest.raises(InvalidTransition):
            step()
    # the corrected proposal of the same case is approved: a withdrawn one decided nothing
    second, _ = Assessment.propose(policy, assessment_id=uuid4(), case_id=first.case_id, lines=lines, at=AT, actor="qa")
    approved, _ = second.approve(policy, role="gm", at=AT + timedelta(hours=2), actor="gm", others=(withdrawn, second))
    assert approved.status is AssessmentStatus.APPROVED
    with pytest.raises(InvalidTransition, match="an approved one is appealed") as decided:
        approved.withdraw(reason="late", at=AT + timedelta(hours=3), actor="gm")
    assert decided.value.rule == "PEN-WITHDRAW"


def test_a_party_kind_or_sanction_given_as_text_is_refused_by_name() -> None:
    """API audit: ``Party("person", …)`` passed the memory store and crashed SQL storage with an AttributeError,
    and ``SanctionOrder(sanction="warning")`` crashed assessment; both are refused where they are built."""
    from complaint_core.penalty_orders import FineOrder, SanctionOrder

    refusals: list[tuple[Callable[[], object], str, str]] = [
        (lambda: Party("person", "S02"), "PARTY", "must be a PartyKind, not the text 'person'"),  # type: ignore[arg-type]
        (lambda: Party("alien", "S02"), "PARTY", "'alien' is not one of person, group_unit"),  # type: ignore[arg-type]
        (lambda: Party(PartyKind.PERSON, 5), "PARTY", "id and name are texts"),  # type: ignore[arg-type]
        (lambda: SanctionOrder(person_id="S02", sanction="warning"), "P1-PEN-04", "must be a Sanction"),  # type: ignore[arg-type]
        (lambda: FineOrder(party_id="x", code="c", party_kind="person"), "P4-PEN-07", "must be a PartyKind"),  # type: ignore[arg-type]
    ]
    for build, rule, says in refusals:
        with pytest.raises(RuleViolation, match=says) as err:
            build()
        assert err.value.rule == rule
    assert Party(PartyKind.PERSON, "S02").kind is PartyKind.PERSON
