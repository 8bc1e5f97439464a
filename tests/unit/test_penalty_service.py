"""``PenaltyService`` on the memory store: each use case commits its assessment, ledger operation and events
together, and refuses what would leave the month's ledger wrong (P1-PEN-06, P1-PEN-09, P1-PEN-11, P1-APR-04).

The SQL stores run the same use cases in tests/integration; these pin the service's own checks.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import attrs
import pytest
from builders import SALES

from adapters.clock import FixedClock
from adapters.memory import MemoryUnitOfWork
from complaint_core.assessment import Assessment, AssessmentStatus
from complaint_core.errors import DomainError, NotFound, RuleViolation
from complaint_core.intake import Intake
from complaint_core.ledger import EntryKind
from complaint_core.organisation import Organisation, OrganisationInvalid
from complaint_core.penalty import Sanction
from complaint_core.penalty_orders import LossOrder, PenaltyOrder, SanctionOrder
from complaint_core.penalty_service import PenaltyService, check_forfeited
from complaint_core.policy import Channel
from complaint_core.responsibility import Party, PartyKind, Responsibility
from entrypoints.bootstrap import bootstrap

D = Decimal
OCT = datetime(2026, 10, 12, 2, tzinfo=UTC)  # 10:00 in Shanghai, a Monday
MONTH = "2026-10"
ORG = attrs.evolve(
    SALES,
    bonuses={("S1", MONTH): D("1600.00"), ("S2", MONTH): D("1200.00"), ("S1", "2026-09"): D("999.00")},
)
WARNING = PenaltyOrder(sanctions=(SanctionOrder(person_id="S1", sanction=Sanction.WARNING),))
DEMERIT = PenaltyOrder(sanctions=(SanctionOrder(person_id="S1", sanction=Sanction.MAJOR_DEMERIT),))


@attrs.define
class Payroll:
    """An ``OrganisationSource`` whose organisation a test may change, as an import would."""

    org: Organisation = ORG

    def get(self) -> Organisation:
        return self.org


class Office:
    """The manufacturing preset on a memory store, with a clock moved by hand."""

    def __init__(self) -> None:
        self.clock = FixedClock(OCT)
        self.uow = MemoryUnitOfWork()
        self.cases = bootstrap(uow=self.uow, clock=self.clock)
        self.payroll = Payroll()
        self.penalties = PenaltyService(self.cases, organisation=self.payroll)

    def tick(self) -> None:
        self.clock.advance_to(self.clock.now() + timedelta(minutes=10))

    def attributed(self, person: str = "S1") -> UUID:
        """A case attributed to ``person``, for a cause that may draw a sanction (P1-CLS-08)."""
        intake = Intake(customer="华东客户", channel=Channel.PHONE, category="quality", description="交期延误")
        ref = self.cases.receive(intake, actor="clerk").case_id
        self.cases.register(ref, actor="gm_office")
        self.cases.start_investigation(ref, actor="quality")
        causer = Responsibility.sole(Party(PartyKind.PERSON, person))
        self.cases.attribute(ref, actor="quality", causer=causer, cause_code="late_delivery")
        self.tick()
        return ref

    def decided(self, ref: UUID, order: PenaltyOrder) -> Assessment:
        """Assessed, endorsed where it punishes (P1-APR-04), and approved by the general manager."""
        proposal = self.penalties.assess(ref, order, actor="qa")
        if proposal.punishes:
            proposal = self.penalties.endorse(proposal.assessment_id, role="supervisor", actor="supervisor")
        self.tick()
        return self.penalties.approve(proposal.assessment_id, role="gm", actor="gm")

    def events(self) -> list[str]:
        return [event.EVENT_TYPE for event in self.uow.store.outbox]

    def stored(self, assessment: Assessment) -> Assessment:
        return self.penalties.assessment(assessment.assessment_id)


@pytest.fixture
def office() -> Office:
    return Office()


def test_p1_pen_09_a_decision_that_orders_nothing_is_refused(office: Office) -> None:
    with pytest.raises(RuleViolation, match="orders nothing") as err:
        office.penalties.assess(office.attributed(), PenaltyOrder(), actor="qa")
    assert err.value.rule == "P1-PEN-09"


def test_a_proposal_is_stored_with_its_event_and_a_decided_case_takes_no_other(office: Office) -> None:
    ref = office.attributed()
    proposal = office.penalties.assess(ref, WARNING, actor="qa")
    assert office.stored(proposal) == proposal and office.events()[-1] == "assessment.proposed"
    withdrawn = office.penalties.withdraw(proposal.assessment_id, reason="改判", actor="qa")
    assert office.stored(proposal).status is AssessmentStatus.WITHDRAWN == withdrawn.status
    assert office.events()[-1] == "assessment.withdrawn"
    office.decided(ref, WARNING)
    with pytest.raises(RuleViolation, match="has a penalty decided already") as err:  # the ledger posts a case once
        office.penalties.assess(ref, WARNING, actor="qa")
    assert err.value.rule == "PEN-APPROVE"


def test_p1_apr_04_an_endorsement_is_stored_with_its_event(office: Office) -> None:
    proposal = office.penalties.assess(office.attributed(), WARNING, actor="qa")
    office.tick()
    endorsed = office.penalties.endorse(proposal.assessment_id, role="supervisor", actor="张主管")
    assert (endorsed.endorsed_by, endorsed.endorsed_role, endorsed.endorsed_at) == (
        "张主管",
        "supervisor",
        office.clock.now(),
    )
    assert office.stored(proposal) == endorsed and office.events()[-1] == "assessment.endorsed"
    assert office.penalties.ledger().entries == ()  # nothing is posted before approval


def test_p1_apr_05_approval_posts_the_deductible_lines_in_its_month(office: Office) -> None:
    approved = office.decided(office.attributed(), WARNING)
    assert office.stored(approved).status is AssessmentStatus.APPROVED
    assert office.events()[-1] == "assessment.approved"
    (entry,) = office.penalties.ledger().entries_in(MONTH)
    assert (entry.kind, entry.person_id, entry.amount) == (EntryKind.POSTED, "S1", D("400.00"))


def test_p1_pen_06_a_major_demerit_takes_the_bonus_once_a_month(office: Office) -> None:
    """The second case's demerit, assessed while the first stands, is recorded and deducts nothing; one assessed
    before the first was approved would take the bonus twice and is refused at approval."""
    first_case, second_case, third_case = office.attributed(), office.attributed(), office.attributed()
    late = office.penalties.assess(third_case, DEMERIT, actor="qa")  # before any demerit stands
    first = office.decided(first_case, DEMERIT)
    assert first.total == D("1600.00")
    second = office.decided(second_case, DEMERIT)
    (line,) = second.lines
    assert (line.amount, dict(line.basis)["forfeited_by"]) == (D("0.00"), office.cases.get(first_case).reference)
    late = office.penalties.endorse(late.assessment_id, role="supervisor", actor="supervisor")
    with pytest.raises(RuleViolation, match="forfeited already by the major demerit of case") as err:
        office.penalties.approve(late.assessment_id, role="gm", actor="gm")
    assert err.value.rule == "P1-PEN-06"
    demerits = [e for e in office.penalties.ledger().entries_in(MONTH) if e.kind is EntryKind.POSTED]
    assert [(e.case_id, e.amount) for e in demerits] == [(first_case, D("1600.00"))]


def test_p1_pen_06_a_demerit_assessed_on_an_old_bonus_is_refused(office: Office) -> None:
    proposal = office.penalties.assess(office.attributed(), DEMERIT, actor="qa")
    proposal = office.penalties.endorse(proposal.assessment_id, role="supervisor", actor="supervisor")
    office.payroll.org = attrs.evolve(ORG, bonuses={**ORG.bonuses, ("S1", MONTH): D("1700.00")})
    with pytest.raises(RuleViolation, match=r"holds the 2026-10 bonus as 1600\.00; it is 1700\.00 now") as err:
        office.penalties.approve(proposal.assessment_id, role="gm", actor="gm")
    assert err.value.rule == "P1-PEN-06"


def test_p1_pen_06_a_demerit_that_deducts_nothing_needs_the_forfeit_to_stand(office: Office) -> None:
    """Appeal the demerit that took the bonus before approving the one that relies on it: the second would be
    approved deducting nothing in a month whose bonus nobody took."""
    first_case, second_case = office.attributed(), office.attributed()
    first = office.decided(first_case, DEMERIT)
    proposal = office.penalties.assess(second_case, DEMERIT, actor="qa")
    proposal = office.penalties.endorse(proposal.assessment_id, role="supervisor", actor="supervisor")
    assert proposal.total == 0
    office.penalties.appeal(first.assessment_id, reason="申诉成立", actor="gm")
    with pytest.raises(RuleViolation, match="is not forfeited by case") as err:
        office.penalties.approve(proposal.assessment_id, role="gm", actor="gm")
    assert err.value.rule == "P1-PEN-06"


def test_p1_pen_06_the_demerit_others_rely_on_is_appealed_after_them(office: Office) -> None:
    first_case, second_case = office.attributed(), office.attributed()
    first = office.decided(first_case, DEMERIT)
    second = office.decided(second_case, DEMERIT)
    with pytest.raises(RuleViolation, match="appeal that one first") as err:
        office.penalties.appeal(first.assessment_id, reason="申诉成立", actor="gm")
    assert err.value.rule == "P1-PEN-06"
    assert office.stored(first).status is AssessmentStatus.APPROVED  # nothing half-written
    office.penalties.appeal(second.assessment_id, reason="申诉成立", actor="gm")
    reversed_ = office.penalties.appeal(first.assessment_id, reason="申诉成立", actor="gm")
    assert reversed_.status is AssessmentStatus.REVERSED and office.events()[-1] == "assessment.reversed"
    entries = office.penalties.ledger().entries_in(MONTH)
    assert [(e.kind, e.amount) for e in entries] == [
        (EntryKind.POSTED, D("1600.00")),
        (EntryKind.REVERSED, D("1600.00")),
    ]


def test_an_appeal_after_the_month_closed_early_reverses_into_the_month_given(office: Office) -> None:
    """Payroll may close the current month before it ends (P1-PEN-11); an appeal decided then reverses a closed
    month's line in the open month it names, and without one it is refused, changing nothing."""
    ref = office.attributed()
    approved = office.decided(ref, WARNING)
    office.penalties.close_month(MONTH)
    with pytest.raises(DomainError) as err:
        office.penalties.appeal(approved.assessment_id, reason="申诉成立", actor="gm")
    assert err.value.rule == "LEDGER-CLOSED" and office.stored(approved).status is AssessmentStatus.APPROVED
    office.penalties.appeal(approved.assessment_id, reason="申诉成立", actor="gm", month="2026-11")
    (reversal,) = [e for e in office.penalties.ledger().entries if e.kind is EntryKind.REVERSED]
    assert (reversal.case_id, reversal.month, reversal.amount) == (ref, "2026-11", D("400.00"))


def test_p1_pen_11_a_month_closes_at_the_policys_cap_with_that_months_bonuses(office: Office) -> None:
    office.decided(office.attributed(), PenaltyOrder(loss=LossOrder(actual_loss=D("1000.00"))))
    close = office.penalties.close_month(MONTH)
    row = close.person("S1")
    assert row is not None
    assert (close.cap_ratio, row.bonus, row.cap, row.deducted, row.carry_out) == (
        D("0.5"),
        D("1600.00"),
        D("800.00"),
        D("800.00"),
        D("200.00"),
    )
    assert office.penalties.ledger().closed_months == (MONTH,)


def test_closing_a_month_again_returns_its_close_and_journals_nothing(office: Office) -> None:
    office.decided(office.attributed(), WARNING)
    first = office.penalties.close_month(MONTH)
    entries = office.penalties.ledger().entries
    assert office.penalties.close_month(MONTH) == first
    assert office.penalties.ledger().entries == entries


def test_a_cap_given_overrides_the_policys(office: Office) -> None:
    office.decided(office.attributed(), PenaltyOrder(loss=LossOrder(actual_loss=D("1000.00"))))
    row = office.penalties.close_month(MONTH, cap_ratio=D("0.25")).person("S1")
    assert row is not None and (row.cap, row.deducted) == (D("400.00"), D("400.00"))


def test_a_month_not_begun_is_not_closed(office: Office) -> None:
    with pytest.raises(RuleViolation, match="2026-11 has not begun") as err:
        office.penalties.close_month("2026-11")
    assert err.value.rule == "LEDGER-FUTURE"
    assert office.penalties.ledger().closed_months == ()
    office.clock.advance_to(datetime(2026, 10, 31, 16, 30, tzinfo=UTC))  # 00:30 on 11-01 in Shanghai
    assert office.penalties.close_month("2026-11").month == "2026-11"


def test_without_a_policy_a_month_needs_its_cap(office: Office) -> None:
    bare = PenaltyService(bootstrap(uow=office.uow, clock=office.clock, default_policy=None), office.payroll)
    with pytest.raises(NotFound, match="no policy given"):
        bare.close_month(MONTH)
    assert bare.close_month(MONTH, cap_ratio=D("0.5")).cap_ratio == D("0.5")


def test_an_unknown_assessment_is_named(office: Office) -> None:
    missing = uuid4()
    with pytest.raises(NotFound, match=f"no penalty assessment {missing}"):
        office.penalties.assessment(missing)


@pytest.mark.parametrize("month", ["2027-1", "2026-13", "２０２６-１０"])
def test_a_month_not_written_yyyy_mm_is_refused_as_such(office: Office, month: str) -> None:
    """Not as 'not begun': "2027-1" sorts after the current month, but it is no month at all."""
    with pytest.raises(DomainError, match="month must be 'YYYY-MM'") as err:
        office.penalties.close_month(month)
    assert err.value.rule == "LEDGER-MONTH"


def test_p1_pen_06_only_a_major_demerit_forfeits_the_bonus(office: Office) -> None:
    """A warning posted for S1 on another case this month takes nothing from the bonus in full: S1's major
    demerit then takes all of it, and appealing it is not held up by the warning's approval."""
    office.decided(office.attributed(), WARNING)
    office.decided(office.attributed("S2"), PenaltyOrder(loss=LossOrder(actual_loss=D("100.00"))))
    demerit = office.decided(office.attributed(), DEMERIT)
    (line,) = demerit.lines
    assert (line.amount, dict(line.basis).get("forfeited_by")) == (D("1600.00"), None)
    reversed_ = office.penalties.appeal(demerit.assessment_id, reason="申诉成立", actor="gm")
    assert reversed_.status is AssessmentStatus.REVERSED


def test_p1_pen_06_a_forfeited_bonus_does_not_change_while_its_demerit_stands(office: Office) -> None:
    """``check_forfeited``, which every bonus import calls: a bonus a standing major demerit holds is refused a
    change, before the month closes and after; an equal amount, another person's or month's bonus, or a bonus
    whose demerit was appealed may change."""
    demerit = office.decided(office.attributed(), DEMERIT)
    office.decided(office.attributed("S2"), WARNING)
    ledger = office.penalties.ledger()
    check_forfeited(ledger, "S1", MONTH, D("1600.00"), D("1600.00"), "bonuses[0]")
    check_forfeited(ledger, "S2", MONTH, D("1200.00"), D("1300.00"), "bonuses[1]")
    check_forfeited(ledger, "S1", "2026-09", D("999.00"), D("1000.00"), "bonuses[2]")
    higher = D("1700.00")
    with pytest.raises(OrganisationInvalid, match=f"forfeited by a major demerit \\(case {demerit.case_id}\\)") as err:
        check_forfeited(ledger, "S1", MONTH, D("1600.00"), higher, "bonuses[0]")
    assert (err.value.rule, err.value.row) == ("P1-PEN-06", "bonuses[0]")
    office.penalties.appeal(demerit.assessment_id, reason="申诉成立", actor="gm")
    check_forfeited(office.penalties.ledger(), "S1", MONTH, D("1600.00"), higher, "bonuses[0]")
    again = office.decided(office.attributed(), DEMERIT)
    office.penalties.close_month(MONTH)  # the close's deductions name the demerit's line: it still stands
    with pytest.raises(OrganisationInvalid, match=f"case {again.case_id}"):
        check_forfeited(office.penalties.ledger(), "S1", MONTH, D("1600.00"), higher, "bonuses[0]")
