"""A case from loss to payslip: assess, approve, post, close the month, print the notices (DOMAIN §7)."""

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import pytest

from adapters.organisation_files import load_organisation
from adapters.policy_files import load_preset
from complaint_core import Party, PartyKind, Responsibility
from complaint_core.assessment import Assessment
from complaint_core.errors import InvalidTransition
from complaint_core.ledger import Ledger
from complaint_core.monthly import penalty_notices, responsibility_statistics, sanction_list
from complaint_core.organisation import Organisation
from complaint_core.penalty import Sanction, apportion_loss, sanction_line

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
