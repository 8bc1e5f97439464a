"""An assessment's steps (DOMAIN §7, P1-APR-04/05): refusals, versions and what is deducted, where mutation testing
found gaps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from complaint_core import Labels, Party, PartyKind, Policy, RuleViolation
from complaint_core.assessment import Assessment, AssessmentStatus, check_undecided
from complaint_core.errors import InvalidInstant, InvalidTransition
from complaint_core.organisation import Person
from complaint_core.penalty import LineKind, PenaltyLine, Sanction, sanction_line

D = Decimal
AT = datetime(2026, 11, 20, 2, tzinfo=UTC)
LAST_OF_NOVEMBER = datetime(2026, 11, 30, 8, tzinfo=UTC)  # 16:00 in Shanghai
FIRST_OF_DECEMBER = datetime(2026, 11, 30, 17, tzinfo=UTC)  # 01:00 on 1 December in Shanghai
A1 = Person(id="A1", name="张三", department="mfg", basis_points=25)


def line(party: Party, amount: str, kind: LineKind = LineKind.LOSS_SHARE) -> PenaltyLine:
    return PenaltyLine(
        party=party, rule_id="P1-PEN-02", kind=kind, amount=D(amount), explanation=Labels("损失", "loss")
    )


def proposed(policy: Policy, *lines: PenaltyLine, at: datetime = AT) -> Assessment:
    made, _ = Assessment.propose(policy, assessment_id=uuid4(), case_id=uuid4(), lines=lines, at=at, actor="qa")
    return made


def loss(amount: str = "300.00") -> PenaltyLine:
    return line(Party(PartyKind.PERSON, "A1", "张三"), amount)


def test_p1_pen_09_an_assessment_has_at_least_one_line(manufacturing: Policy) -> None:
    """P1-PEN-09: each case is assessed on its own lines; an assessment of nothing is refused."""
    with pytest.raises(RuleViolation, match="at least one line") as err:
        proposed(manufacturing)
    assert err.value.rule == "P1-PEN-09"


def test_every_step_takes_an_aware_instant(manufacturing: Policy) -> None:
    """DOMAIN §4: a naive datetime is refused by name at the proposal and at every later step."""
    naive = datetime(2026, 11, 20, 10)
    with pytest.raises(InvalidInstant):
        proposed(manufacturing, loss(), at=naive)
    with pytest.raises(InvalidInstant):
        proposed(manufacturing, loss()).approve(manufacturing, role="gm", at=naive, actor="gm")


def test_each_step_is_one_version_later(manufacturing: Policy) -> None:
    """The events number the assessment's versions: proposed 1, approved 2, reversed 3."""
    made, (proposal,) = Assessment.propose(
        manufacturing, assessment_id=uuid4(), case_id=uuid4(), lines=(loss(),), at=AT, actor="qa"
    )
    assert (made.version, proposal.version) == (1, 1)
    approved, _ = made.approve(manufacturing, role="gm", at=AT, actor="gm")
    reversed_, (reversal,) = approved.reverse(reason="申诉成立", at=AT, actor="gm")
    assert (reversed_.version, reversal.version, reversed_.reversal_reason) == (3, 3, "申诉成立")


def test_only_a_persons_positive_line_is_deducted(manufacturing: Policy) -> None:
    """DOMAIN §7: only a person's bonus is deducted: a unit's or supplier's line is not, nor counted as a person's
    total; a line of a fen or of one yuan is."""
    unit = line(Party(PartyKind.GROUP_UNIT, "smt1"), "50.00")
    supplier = line(Party(PartyKind.SUPPLIER, "copper-co"), "0.00", LineKind.REPORTED)
    made = proposed(manufacturing, unit, supplier, loss("0.01"), loss("1.00"), loss("0.50"))
    assert [line_id for line_id, _ in made.deductible_lines()] == ["2", "3", "4"]
    assert made.person_totals() == {"A1": D("1.51")}
    approved, _ = made.approve(manufacturing, role="gm", at=AT, actor="gm")
    assert [p.amount for p in approved.postings()] == [D("0.01"), D("1.00"), D("0.50")]


def test_p1_apr_04_only_a_proposal_is_endorsed(manufacturing: Policy) -> None:
    """P1-APR-04: a withdrawn proposal with a warning is endorsed no more."""
    warning = sanction_line(A1, Sanction.WARNING, rules=manufacturing.penalties)
    withdrawn, _ = proposed(manufacturing, warning).withdraw(reason="重算", at=AT, actor="gm")
    with pytest.raises(InvalidTransition, match="only a proposal is endorsed") as err:
        withdrawn.endorse(manufacturing, role="supervisor", at=AT, actor="M1")
    assert err.value.rule == "P1-APR-04"


def test_p1_pen_06_only_an_assessment_with_a_major_demerit_is_held_to_its_month(manufacturing: Policy) -> None:
    """P1-PEN-06: without a major demerit an assessment proposed in November is approved in December; with one,
    among other lines, it is refused there."""
    plain = proposed(manufacturing, loss(), at=LAST_OF_NOVEMBER)
    assert plain.approve(manufacturing, role="gm", at=FIRST_OF_DECEMBER, actor="gm")[0].status is (
        AssessmentStatus.APPROVED
    )
    demerit = sanction_line(A1, Sanction.MAJOR_DEMERIT, rules=manufacturing.penalties, month_bonus=D("1600.00"))
    mixed = proposed(manufacturing, demerit, loss(), at=LAST_OF_NOVEMBER)
    mixed, _ = mixed.endorse(manufacturing, role="supervisor", at=LAST_OF_NOVEMBER, actor="M1")
    with pytest.raises(RuleViolation, match="takes the whole bonus") as err:
        mixed.approve(manufacturing, role="gm", at=FIRST_OF_DECEMBER, actor="gm")
    assert err.value.rule == "P1-PEN-06"


def test_pen_reverse_an_appeal_needs_its_reason_and_comes_after_the_approval(manufacturing: Policy) -> None:
    """PEN-REVERSE: a blank reason is refused; so is a reversal dated before the approval (after the proposal)."""
    approved, _ = proposed(manufacturing, loss()).approve(
        manufacturing, role="gm", at=AT + timedelta(hours=2), actor="gm"
    )
    with pytest.raises(RuleViolation, match="needs the appeal's outcome") as blank:
        approved.reverse(reason=" ", at=AT + timedelta(hours=3), actor="gm")
    assert blank.value.rule == "PEN-REVERSE"
    with pytest.raises(RuleViolation, match="is before") as early:
        approved.reverse(reason="申诉成立", at=AT + timedelta(hours=1), actor="gm")
    assert early.value.rule == "CASE-TIME-ORDER"


def test_steps_come_in_time_order(manufacturing: Policy) -> None:
    """CASE-TIME-ORDER: a withdrawal before the proposal, or an approval after the proposal but before the
    endorsement, is refused."""
    with pytest.raises(RuleViolation, match="is before") as early:
        proposed(manufacturing, loss()).withdraw(reason="重算", at=AT - timedelta(minutes=1), actor="gm")
    assert early.value.rule == "CASE-TIME-ORDER"
    warning = sanction_line(A1, Sanction.WARNING, rules=manufacturing.penalties)
    endorsed, _ = proposed(manufacturing, warning).endorse(
        manufacturing, role="supervisor", at=AT + timedelta(hours=2), actor="M1"
    )
    assert endorsed.last_at == AT + timedelta(hours=2)
    with pytest.raises(RuleViolation, match="is before") as between:
        endorsed.approve(manufacturing, role="gm", at=AT + timedelta(hours=1), actor="gm")
    assert between.value.rule == "CASE-TIME-ORDER"


def test_pen_approve_a_decided_case_is_named_by_its_number_or_id(manufacturing: Policy) -> None:
    """PEN-APPROVE: the refusal names the case by its number where the caller has it, else by its id."""
    decided, _ = proposed(manufacturing, loss()).approve(manufacturing, role="gm", at=AT, actor="gm")
    with pytest.raises(RuleViolation, match="case P-2026-11-001 has a penalty decided already") as named:
        check_undecided(decided.case_id, (decided,), reference="P-2026-11-001")
    assert named.value.rule == "PEN-APPROVE"
    with pytest.raises(RuleViolation, match=f"case {decided.case_id} has a penalty decided already"):
        check_undecided(decided.case_id, (decided,))
