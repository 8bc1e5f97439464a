"""A case from loss to payslip: assess, approve, post, close the month, print the notices (DOMAIN §7)."""

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from adapters.organisation_files import load_organisation
from adapters.policy_files import load_preset
from complaint_core import Party, PartyKind, Responsibility
from complaint_core.assessment import Assessment
from complaint_core.errors import InvalidTransition
from complaint_core.labels import Labels
from complaint_core.ledger import Ledger
from complaint_core.monthly import penalty_notices, responsibility_statistics, sanction_list
from complaint_core.organisation import Organisation
from complaint_core.penalty import LineKind, PenaltyLine, Sanction, apportion_loss, sanction_line

D = Decimal
AT = datetime(2026, 11, 20, 2, tzinfo=UTC)
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def org() -> Organisation:
    return load_organisation(EXAMPLES / "organisation.toml")


def test_from_loss_to_notice(org: Organisation) -> None:
    policy = load_preset("manufacturing")
    unit = next(u for u in org.units if org.members_of_unit(u.code))
    members = org.members_of_unit(unit.code)
    lines = apportion_loss(D("1200.00"), Responsibility.sole(Party(PartyKind.GROUP_UNIT, unit.code)), org)
    warning = sanction_line(members[0], Sanction.WARNING, rules=policy.penalties)
    proposal, _ = Assessment.propose(
        policy, assessment_id=uuid4(), case_id=uuid4(), lines=(*lines, warning), at=AT, actor="qa"
    )
    with pytest.raises(InvalidTransition):
        proposal.postings()  # a proposal is never posted
    proposal, _ = proposal.endorse(policy, role="supervisor", at=AT, actor="supervisor")  # P1-APR-04: a warning
    with pytest.raises(InvalidTransition):
        proposal.postings()  # nor is an endorsed one
    approved, _ = proposal.approve(policy, role="gm", at=AT, actor="gm")
    postings = approved.postings()
    assert sum(p.amount for p in postings) == D("1600.00")

    ledger, _ = Ledger().post(postings, month="2026-11")
    bonuses = {p.id: org.bonus(p.id, "2026-11") for p in members}
    ledger, close = ledger.close_month("2026-11", bonuses=bonuses, cap_ratio=policy.penalties.monthly_cap_ratio)
    for row in close.people:
        assert row.deducted <= (row.cap if row.cap is not None else row.deducted)  # P1-PEN-11
        assert row.deducted + row.carry_out == row.due

    (notice,) = penalty_notices(ledger, "2026-11", org)
    assert notice.unit == unit.code and notice.total == D("1600.00")
    assert {row.person_id for row in notice.rows} == {m.id for m in members if m.basis_points > 0}

    (sanction,) = sanction_list([approved], org)
    assert (sanction.person_id, sanction.sanction, sanction.amount) == (members[0].id, "warning", D("400.00"))

    (stats,) = responsibility_statistics([approved, proposal], org)  # the proposal is not counted
    assert (stats.department, stats.cases, stats.amount) == (unit.department, 1, D("1600.00"))


def test_reversed_posting_shows_as_a_negative_row(org: Organisation) -> None:
    policy = load_preset("manufacturing")
    person = next(p for p in org.people if p.basis_points > 0)
    lines = apportion_loss(D("300.00"), Responsibility.sole(Party(PartyKind.PERSON, person.id)), org)
    case_id = uuid4()
    approved, _ = Assessment.propose(policy, assessment_id=uuid4(), case_id=case_id, lines=lines, at=AT, actor="qa")[
        0
    ].approve(policy, role="gm", at=AT, actor="gm")
    ledger, _ = Ledger().post(approved.postings(), month="2026-11")
    ledger, _ = ledger.reverse(case_id, month="2026-11", reason="申诉成立")
    (notice,) = penalty_notices(ledger, "2026-11", org)
    assert [row.amount for row in notice.rows] == [D("300.00"), D("-300.00")] and notice.total == 0


def _approved(lines: tuple[PenaltyLine, ...], case_id: UUID | None = None) -> Assessment:
    """An approved assessment of ``lines`` under the manufacturing preset (the general manager approves any)."""
    policy = load_preset("manufacturing")
    proposal, _ = Assessment.propose(
        policy, assessment_id=uuid4(), case_id=case_id or uuid4(), lines=lines, at=AT, actor="qa"
    )
    if proposal.punishes:  # P1-APR-04: a warning or demerit is endorsed first
        proposal, _ = proposal.endorse(policy, role="supervisor", at=AT, actor="supervisor")
    approved, _ = proposal.approve(policy, role="gm", at=AT, actor="gm")
    return approved


def _tier(person_id: str, amount: str, points: int) -> PenaltyLine:
    return PenaltyLine(
        party=Party(PartyKind.PERSON, person_id),
        rule_id="P4-PEN-01",
        kind=LineKind.TIER,
        amount=D(amount),
        explanation=Labels("档次", "tier"),
        points=points,
    )


def test_sanction_list_names_approved_sanctions_only(org: Organisation) -> None:
    """P1-APR-08: HR announces what was approved; a proposal's sanction is not announced yet."""
    rules = load_preset("manufacturing").penalties
    proposed, _ = Assessment.propose(
        load_preset("manufacturing"),
        assessment_id=uuid4(),
        case_id=uuid4(),
        lines=(sanction_line(org.person("S02"), Sanction.WARNING, rules=rules),),
        at=AT,
        actor="qa",
    )
    approved = _approved((sanction_line(org.person("S03"), Sanction.MINOR_DEMERIT, rules=rules, count=2),))
    rows = sanction_list([proposed, approved], org)
    assert [(r.person_id, r.department, r.sanction, r.count, r.amount) for r in rows] == [
        ("S03", "sales", "minor_demerit", 2, D("1600.00"))
    ]


def test_a_major_demerit_is_listed_once_with_the_bonus(org: Organisation) -> None:
    """A major demerit's basis holds no count: HR reads it as one (P1-PEN-06)."""
    rules = load_preset("manufacturing").penalties
    line = sanction_line(org.person("S02"), Sanction.MAJOR_DEMERIT, rules=rules, month_bonus=D("3000"))
    (row,) = sanction_list([_approved((line,))], org)
    assert (row.sanction, row.count, row.amount) == ("major_demerit", 1, D("3000.00"))


def test_statistics_count_approved_people_amounts_and_points(org: Organisation) -> None:
    """Per department: distinct cases and people, the amounts and the performance points of approved lines; an
    external party's reported line and a proposal count for nobody."""
    case_a, case_b = uuid4(), uuid4()
    supplier = Party(PartyKind.SUPPLIER, "acme")
    reported = PenaltyLine(
        party=supplier, rule_id="P1-CLS-06", kind=LineKind.REPORTED, amount=D("0.00"), explanation=Labels("报", "r")
    )
    first = _approved((_tier("S02", "100.00", 2), _tier("S03", "50.00", 1), reported), case_a)
    second = _approved((_tier("S02", "30.00", 4), _tier("M01", "20.00", 5)), case_b)
    proposal, _ = Assessment.propose(
        load_preset("manufacturing"),
        assessment_id=uuid4(),
        case_id=uuid4(),
        lines=(_tier("S01", "999.00", 9),),
        at=AT,
        actor="qa",
    )
    stats = {s.department: s for s in responsibility_statistics([first, proposal, second], org)}
    assert sorted(stats) == ["manufacturing", "sales"]
    sales = stats["sales"]
    assert (sales.cases, sales.people, sales.amount, sales.points) == (2, 2, D("180.00"), 7)
    made = stats["manufacturing"]
    assert (made.cases, made.people, made.amount, made.points) == (1, 1, D("20.00"), 5)
    assert made.department_name == org.department("manufacturing").name


def test_a_reversal_negates_the_points_too(org: Organisation) -> None:
    approved = _approved((_tier("S02", "100.00", 3),))
    ledger, _ = Ledger().post(approved.postings(), month="2026-11")
    ledger, _ = ledger.reverse(approved.case_id, month="2026-11", reason="申诉成立")
    (notice,) = penalty_notices(ledger, "2026-11", org)
    assert [(row.amount, row.points) for row in notice.rows] == [(D("100.00"), 3), (D("-100.00"), -3)]
    assert notice.unit == "sales" and notice.unit_name == org.department("sales").name
