"""DOMAIN §3 (settled needs every return/allowance booked, every penalty decided, every improvement verified) and
CASE-TIME-ORDER: what ``settlement.open_items`` and ``check_settled_after`` hold a closed case back on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from uuid import UUID, uuid4

import attrs
import pytest

from adapters.clock import FixedClock
from adapters.memory import MemoryStore, MemoryUnitOfWork
from adapters.policy_files import load_preset
from complaint_core import Channel, Intake, Party, PartyKind, RemedyKind, Responsibility
from complaint_core.assessment import Assessment
from complaint_core.errors import RuleViolation
from complaint_core.organisation import Department, DepartmentKind, Organisation, Person
from complaint_core.penalty import apportion_loss
from complaint_core.returns import Proof, Signatory
from complaint_core.returns_service import ReturnService
from complaint_core.services import CaseService
from complaint_core.settlement import check_settled_after, open_items
from entrypoints.bootstrap import bootstrap

Maker = Callable[..., datetime]
SIGNED = [(Signatory.MANAGER, "王磊"), (Signatory.GENERAL_MANAGER, "周建国"), (Signatory.CUSTOMER, "华东电子")]
PROOF = Proof(kind="signed_certificate", reference="ZR-1", buyer_stamped=True)


@pytest.fixture
def cases(sh: Maker) -> CaseService:
    return bootstrap(uow=MemoryUnitOfWork(MemoryStore()), clock=FixedClock(sh(2026, 11, 2)))


def closed(
    cases: CaseService,
    sh: Maker,
    *,
    kind: RemedyKind = RemedyKind.ALLOWANCE,
    amount: str = "800.00",
    improvement: bool = False,
) -> UUID:
    """A manufacturing case closed on 2026-11-04 10:00 with an approved remedy (an allowance of 800.00)."""
    intake = Intake(customer="华东电子", channel=Channel.PHONE, category="quality")
    ref = cases.receive(intake, actor="S02", at=sh(2026, 11, 2)).case_id
    cases.register(ref, actor="gm_office", at=sh(2026, 11, 2, 10))
    cases.start_investigation(ref, actor="Q02", at=sh(2026, 11, 2, 11))
    cases.attribute(ref, actor="Q01", at=sh(2026, 11, 3), causer=Responsibility.sole(Party(PartyKind.PERSON, "M06")))
    if improvement:
        cases.plan_improvement(ref, actor="qa", measures="加强首件检验", owner="M06", at=sh(2026, 11, 3, 9))
    cases.propose(ref, actor="S01", kind=kind, amount=Decimal(amount), at=sh(2026, 11, 3, 10))
    cases.approve(ref, actor="S01", role="sales_manager", at=sh(2026, 11, 3, 11))
    cases.reply(ref, actor="S02", message="同意折让", at=sh(2026, 11, 4))
    cases.close(ref, actor="gm_office", at=sh(2026, 11, 4, 10))
    return ref


def proposed_penalty(cases: CaseService, case_id: UUID, at: datetime) -> Assessment:
    policy = cases.policies.get("manufacturing")
    org = Organisation(
        departments=(Department("mfg", "制造部", DepartmentKind.MANUFACTURING),),
        people=(Person(id="M06", name="张三", department="mfg", basis_points=25),),
    )
    lines = apportion_loss(Decimal("100.00"), Responsibility.sole(Party(PartyKind.PERSON, "M06")), org)
    made, _ = Assessment.propose(policy, assessment_id=uuid4(), case_id=case_id, lines=lines, at=at, actor="qa")
    return made


def test_an_approved_remedy_not_issued_is_open_however_the_returns_are_passed(cases: CaseService, sh: Maker) -> None:
    """DOMAIN §3 / P1-RET-01: ``returns`` is any iterable; an empty generator is still "no return issued" (it was
    consumed listing the unbooked ones, and a spent generator is truthy)."""
    case = cases.get(closed(cases, sh))
    policy = cases.policy_of(case)
    expected = ("the approved allowance of 800.00 has no return or allowance booked",)
    assert open_items(case, policy, (), ()) == expected
    assert open_items(case, policy, (r for r in ()), ()) == expected
    assert open_items(case, policy, iter([]), iter([])) == expected


@pytest.mark.parametrize(
    ("kind", "amount"), [(RemedyKind.RETURN, "0.00"), (RemedyKind.REWORK, "350.00"), (RemedyKind.ALLOWANCE, "0.01")]
)
def test_an_approved_remedy_not_issued_is_open(cases: CaseService, sh: Maker, kind: RemedyKind, amount: str) -> None:
    """P1-RET-03 / DOMAIN §3: a return or rework moves goods on a return slip, so it is open until issued and
    booked, even at an amount of 0.00; an allowance is open from its first cent (only 0.00 moves nothing)."""
    ref = closed(cases, sh, kind=kind, amount=amount)
    with pytest.raises(RuleViolation, match=f"the approved {kind.value} of {amount} has no return") as err:
        cases.settle(ref, actor="gm_office", at=sh(2026, 11, 5))
    assert err.value.rule == "CASE-SETTLE"


def test_an_approved_explanation_settles_without_a_document(cases: CaseService, sh: Maker) -> None:
    """P1-RET-01: an explanation has no return or allowance to execute, whatever amount it carries, so it is never
    an open item."""
    ref = closed(cases, sh, kind=RemedyKind.EXPLANATION, amount="100.00")
    assert open_items(cases.get(ref), cases.policies.get("manufacturing"), (), ()) == ()
    assert cases.settle(ref, actor="gm_office", at=sh(2026, 11, 5)).status.value == "settled"


def test_a_proposed_penalty_keeps_the_case_from_settling(cases: CaseService, sh: Maker) -> None:
    """DOMAIN §3: settled needs every penalty posted or waived; a proposal still awaiting approval is open
    (P1-APR-05), an approved one is not."""
    ref = closed(cases, sh)
    returns = ReturnService(cases)
    issued = returns.authorise(ref, actor="S02", signatures=SIGNED, at=sh(2026, 11, 5))
    booked = returns.book(issued.return_id, proof=PROOF, actor="accounting", at=sh(2026, 11, 6))
    case = cases.get(ref)
    policy = cases.policy_of(case)
    proposal = proposed_penalty(cases, case.case_id, sh(2026, 11, 6))
    assert open_items(case, policy, [booked], [proposal]) == (
        f"penalty assessment {proposal.assessment_id} not approved",
    )
    approved, _ = proposal.approve(policy, role="gm", at=sh(2026, 11, 6, 10), actor="gm")
    assert open_items(case, policy, [booked], [approved]) == ()


def test_an_unverified_improvement_keeps_the_case_from_settling(cases: CaseService, sh: Maker) -> None:
    """DOMAIN §3 / P1-FU-01: an improvement planned on the case and not yet verified is an open item; settle
    refuses with it named, and settles once it is verified effective."""
    ref = closed(cases, sh, improvement=True)
    returns = ReturnService(cases)
    issued = returns.authorise(ref, actor="S02", signatures=SIGNED, at=sh(2026, 11, 5))
    returns.book(issued.return_id, proof=PROOF, actor="accounting", at=sh(2026, 11, 6))
    with pytest.raises(RuleViolation, match="improvement 1 not verified") as err:
        cases.settle(ref, actor="gm_office", at=sh(2026, 11, 7))
    assert err.value.rule == "CASE-SETTLE"
    cases.verify_improvement(ref, actor="qa", number=1, effective=True, at=sh(2026, 11, 7, 10))
    assert cases.settle(ref, actor="gm_office", at=sh(2026, 11, 7, 11)).status.value == "settled"


def test_a_case_may_settle_at_the_instant_its_last_step_was_booked(cases: CaseService, sh: Maker) -> None:
    """CASE-TIME-ORDER: settling follows the last step of its returns and penalties; the same instant is not
    before it (the boundary is inclusive), a minute earlier is."""
    ref = closed(cases, sh)
    returns = ReturnService(cases)
    issued = returns.authorise(ref, actor="S02", signatures=SIGNED, at=sh(2026, 11, 5))
    booked = returns.book(issued.return_id, proof=PROOF, actor="accounting", at=sh(2026, 11, 6, 15))
    case = cases.get(ref)
    with pytest.raises(RuleViolation, match="is before their last step") as early:
        check_settled_after(case, sh(2026, 11, 6, 14, 59), [booked], [])
    assert early.value.rule == "CASE-TIME-ORDER"
    check_settled_after(case, sh(2026, 11, 6, 15), [booked], [])
    assert cases.settle(ref, actor="gm_office", at=sh(2026, 11, 6, 15)).status.value == "settled"


def test_a_case_settles_after_the_latest_of_its_steps(cases: CaseService, sh: Maker) -> None:
    """CASE-TIME-ORDER: the latest step of the returns and penalties bounds the settlement, and the refusal names
    it: a time after the booking but before the penalty's approval is refused."""
    ref = closed(cases, sh)
    returns = ReturnService(cases)
    issued = returns.authorise(ref, actor="S02", signatures=SIGNED, at=sh(2026, 11, 5))
    booked = returns.book(issued.return_id, proof=PROOF, actor="accounting", at=sh(2026, 11, 6))
    case = cases.get(ref)
    proposal = proposed_penalty(cases, case.case_id, sh(2026, 11, 6))
    approved, _ = proposal.approve(cases.policy_of(case), role="gm", at=sh(2026, 11, 8), actor="gm")
    for steps in ([booked], [approved]), ([], [proposal, approved]):
        with pytest.raises(RuleViolation) as early:
            check_settled_after(case, sh(2026, 11, 7), *steps)
        assert early.value.rule == "CASE-TIME-ORDER"
        named = str(early.value).rsplit("is before their last step at ", 1)[1]
        assert datetime.fromisoformat(named) == sh(2026, 11, 8)
    check_settled_after(case, sh(2026, 11, 8), [booked], [proposal, approved])


def test_p1_ret_01_a_proposal_a_petition_left_on_a_case_found_not_established_is_no_remedy(
    cases: CaseService, sh: Maker
) -> None:
    """P1-RET-01 / P1-LC-12: an approved allowance, then a petition (签呈) and the complaint found not established.
    The petition clears the approval, not the proposal: that proposal promised nothing, so no allowance may be
    issued for it (one was) and settling does not wait for one."""
    intake = Intake(customer="华东电子", channel=Channel.PHONE, category="quality")
    ref = cases.receive(intake, actor="S02", at=sh(2026, 11, 2)).case_id
    cases.register(ref, actor="gm_office", at=sh(2026, 11, 2, 10))
    cases.start_investigation(ref, actor="Q02", at=sh(2026, 11, 2, 11))
    cases.attribute(ref, actor="Q01", at=sh(2026, 11, 3), causer=Responsibility.sole(Party(PartyKind.PERSON, "M06")))
    cases.propose(ref, actor="S01", kind=RemedyKind.ALLOWANCE, amount=Decimal("800.00"), at=sh(2026, 11, 3, 10))
    cases.approve(ref, actor="S01", role="sales_manager", at=sh(2026, 11, 3, 11))
    cases.petition(ref, actor="mfg", department="production", reason="非本部门责任", at=sh(2026, 11, 3, 12))
    cases.find_not_established(ref, actor="Q01", reason="客户误用", at=sh(2026, 11, 3, 13))
    cases.reply(ref, actor="S02", message="投诉不成立", at=sh(2026, 11, 4))
    case = cases.close(ref, actor="gm_office", at=sh(2026, 11, 4, 10))
    assert case.remedy is not None and case.agreed_remedy(cases.policy_of(case)) is None
    with pytest.raises(RuleViolation, match=r"no approved remedy \(it was found not established\)") as err:
        ReturnService(cases).authorise(ref, actor="S02", signatures=SIGNED, at=sh(2026, 11, 5))
    assert err.value.rule == "P1-RET-01"
    assert open_items(case, cases.policy_of(case), (), ()) == ()
    assert cases.settle(ref, actor="gm_office", at=sh(2026, 11, 5)).status.value == "settled"


def test_p1_ret_01_where_a_policy_skips_approval_the_remedy_replied_is_booked_before_settling(sh: Maker) -> None:
    """P1-RET-01 / DOMAIN §3: a policy that skips ``approved`` promises the remedy in the reply. Settling waited for
    an *approved* remedy only, so such a case settled without the allowance it promised, which could then never be
    issued (a settled case takes none)."""
    policy = attrs.evolve(load_preset("manufacturing"), policy_id="mfg-skip", skip_states=frozenset({"approved"}))
    cases = bootstrap(uow=MemoryUnitOfWork(MemoryStore()), clock=FixedClock(sh(2026, 11, 2)), extra_policies=[policy])
    intake = Intake(customer="华东电子", channel=Channel.PHONE, category="quality")
    ref = cases.receive(intake, actor="S02", policy_id="mfg-skip", at=sh(2026, 11, 2)).case_id
    cases.register(ref, actor="gm_office", at=sh(2026, 11, 2, 10))
    cases.start_investigation(ref, actor="Q02", at=sh(2026, 11, 2, 11))
    cases.attribute(ref, actor="Q01", at=sh(2026, 11, 3), causer=Responsibility.sole(Party(PartyKind.PERSON, "M06")))
    proposed = cases.propose(
        ref, actor="S01", kind=RemedyKind.ALLOWANCE, amount=Decimal("800.00"), at=sh(2026, 11, 3, 10)
    )
    assert proposed.agreed_remedy(policy) is None  # not promised until the reply
    cases.reply(ref, actor="S02", message="同意折让800元", at=sh(2026, 11, 4))
    case = cases.close(ref, actor="gm_office", at=sh(2026, 11, 4, 10))
    assert case.approval is None and case.agreed_remedy(policy) == case.remedy
    with pytest.raises(RuleViolation, match=r"the approved allowance of 800\.00 has no return") as err:
        cases.settle(ref, actor="gm_office", at=sh(2026, 11, 5))
    assert err.value.rule == "CASE-SETTLE"
    issued = ReturnService(cases).authorise(ref, actor="S02", signatures=SIGNED, at=sh(2026, 11, 5))
    assert issued.agreed_amount == Decimal("800.00")
