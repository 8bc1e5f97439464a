"""DOMAIN §3: the Case aggregate's guards and invariants that mutation testing found no test pinning down.

Each test names its rule; each fails on the mutant of ``case.py`` it was written for.
"""

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from uuid import uuid4

import attrs
import pytest

from adapters.policy_files import load_preset
from complaint_core import (
    AuthorityExceeded,
    Case,
    CaseStatus,
    Channel,
    DomainError,
    Intake,
    InvalidTransition,
    MoneyError,
    Party,
    PartyKind,
    Policy,
    RemedyKind,
    Responsibility,
    RuleViolation,
)
from complaint_core.case import Remedy, reopen_state
from complaint_core.errors import InvalidInstant

Maker = Callable[..., datetime]
INTAKE = Intake(customer="华东电子", channel=Channel.PHONE, category="quality")
CAUSER = Responsibility.sole(Party(PartyKind.PERSON, "M06"))


def received(policy: Policy, sh: Maker, intake: Intake = INTAKE, **kw: object) -> Case:
    case, _ = Case.receive(policy, case_id=uuid4(), intake=intake, at=sh(2026, 11, 2, 9), actor="clerk", **kw)
    return case


def proposed(policy: Policy, sh: Maker, amount: str) -> Case:
    case = received(policy, sh)
    case, _ = case.register(policy, at=sh(2026, 11, 2, 10), actor="gm_office", number="261101")
    case, _ = case.start_investigation(policy, at=sh(2026, 11, 2, 11), actor="quality")
    case, _ = case.attribute(policy, at=sh(2026, 11, 2, 12), actor="quality", causer=CAUSER)
    case, _ = case.propose(
        policy, at=sh(2026, 11, 2, 13), actor="sales", kind=RemedyKind.COMPENSATION, amount=Decimal(amount)
    )
    return case


# ----- approval by amount (DOMAIN §6.2) -----------------------------------------------------
def test_p1_apr_02_a_limit_covers_the_amount_equal_to_it(manufacturing: Policy, sh: Maker) -> None:
    """ "Up to" the limit: sales_manager's 5000.00 approves 5000.00 exactly, and not a fen more."""
    case = proposed(manufacturing, sh, "5000.00")
    approved, _ = case.approve(manufacturing, at=sh(2026, 11, 2, 14), actor="m", role="sales_manager")
    assert approved.status is CaseStatus.APPROVED and approved.approval is not None
    over = proposed(manufacturing, sh, "5000.01")
    with pytest.raises(AuthorityExceeded):
        over.approve(manufacturing, at=sh(2026, 11, 2, 14), actor="m", role="sales_manager")


def test_an_approval_under_another_policy_is_refused_for_the_policy_not_the_role(
    manufacturing: Policy, sh: Maker
) -> None:
    """CASE-POLICY first: a role the other policy's table lacks must not turn it into an authority refusal."""
    case = proposed(manufacturing, sh, "100.00")
    bank = load_preset("bank-branch")
    with pytest.raises(RuleViolation) as err:
        case.approve(bank, at=sh(2026, 11, 2, 14), actor="m", role="sales_manager")
    assert err.value.rule == "CASE-POLICY"


def test_an_approved_remedy_given_in_fractions_of_a_fen_is_refused(manufacturing: Policy, sh: Maker) -> None:
    """DOMAIN §7: money is whole fen; a remedy handed to ``approve`` is checked like a proposed one."""
    case = proposed(manufacturing, sh, "100.00")
    for amount in ("100.001", "-1.00"):
        with pytest.raises(MoneyError):
            case.approve(
                manufacturing,
                at=sh(2026, 11, 2, 14),
                actor="m",
                role="gm",
                remedy=Remedy(RemedyKind.ALLOWANCE, Decimal(amount)),
            )


@pytest.mark.parametrize(("rule_id", "cited"), [("X-TEST-1", "X-TEST-1"), ("", "P5-ESC-02")])
def test_an_approval_before_its_milestone_cites_the_milestones_rule_else_the_tiers(
    sh: Maker, rule_id: str, cited: str
) -> None:
    """P5-ESC-02: head office approves only after the case was sent to it. The refusal cites the milestone's own
    rule; a milestone without one cites the approval tier's."""
    bank = load_preset("bank-branch")
    milestones = tuple(
        attrs.evolve(m, rule_id=rule_id) if m.name == "sent_to_head_office" else m for m in bank.milestones
    )
    policy = attrs.evolve(bank, milestones=milestones)
    case, _ = Case.receive(
        policy,
        case_id=uuid4(),
        intake=Intake(customer="储户", channel=Channel.ON_SITE, category=policy.categories[0].code),
        at=sh(2026, 11, 2, 9),
        actor="teller",
    )
    case, _ = case.register(policy, at=sh(2026, 11, 2, 9), actor="manager", number="1")
    case, _ = case.start_investigation(policy, at=sh(2026, 11, 2, 9), actor="manager")
    case, _ = case.attribute(policy, at=sh(2026, 11, 2, 9), actor="manager", causer=CAUSER)
    case, _ = case.propose(
        policy, at=sh(2026, 11, 2, 9), actor="manager", kind=RemedyKind.COMPENSATION, amount=Decimal("5000.00")
    )
    with pytest.raises(RuleViolation) as err:
        case.approve(policy, at=sh(2026, 11, 2, 10), actor="ho", role="head_office")
    assert err.value.rule == cited


# ----- numbering (P1-NUM-03, P2-NUM-03) ---------------------------------------------------
def test_a_case_numbered_at_intake_registers_without_another_number(furniture: Policy, sh: Maker) -> None:
    """P2-NUM-03: the furniture policy numbers at intake; registering keeps that number and takes no other."""
    case = received(furniture, sh, attrs.evolve(INTAKE, category="product_quality"), number="261102001")
    registered, _ = case.register(furniture, at=sh(2026, 11, 2, 10), actor="cs")
    assert registered.number == "261102001" and registered.status is CaseStatus.REGISTERED
    with pytest.raises(RuleViolation) as err:
        case.register(furniture, at=sh(2026, 11, 2, 10), actor="cs", number="261102002")
    assert err.value.rule == "P1-NUM-03"


def test_registering_twice_is_a_transition_refusal_not_a_numbering_one(manufacturing: Policy, sh: Maker) -> None:
    case = received(manufacturing, sh)
    case, _ = case.register(manufacturing, at=sh(2026, 11, 2, 10), actor="gm_office", number="261101")
    for number in (None, "261102"):
        with pytest.raises(InvalidTransition) as err:
            case.register(manufacturing, at=sh(2026, 11, 2, 11), actor="gm_office", number=number)
        assert err.value.rule == "CASE-TRANSITION"


# ----- intake (P4-CLS-04, DOMAIN §4) ---------------------------------------------------------
@pytest.mark.parametrize("count", [True, 1.0, Decimal(1), -1])
def test_p4_cls_04_earlier_complaints_are_a_count(manufacturing: Policy, sh: Maker, count: object) -> None:
    with pytest.raises(RuleViolation) as err:
        received(manufacturing, sh, earlier_same_issue=count)
    assert err.value.rule == "P4-CLS-04"


def test_a_complaint_received_at_a_naive_time_is_refused(manufacturing: Policy) -> None:
    with pytest.raises(InvalidInstant):
        Case.receive(manufacturing, case_id=uuid4(), intake=INTAKE, at=datetime(2026, 11, 2, 9), actor="clerk")


# ----- attribution (P1-LC-08) -----------------------------------------------------------------
@pytest.mark.parametrize("code", ["", "  ", "\u3000"])
def test_p1_lc_08_a_cause_code_cannot_be_blank(manufacturing: Policy, sh: Maker, code: str) -> None:
    case = received(manufacturing, sh)
    case, _ = case.register(manufacturing, at=sh(2026, 11, 2, 10), actor="gm_office", number="261101")
    case, _ = case.start_investigation(manufacturing, at=sh(2026, 11, 2, 11), actor="quality")
    with pytest.raises(RuleViolation) as err:
        case.attribute(manufacturing, at=sh(2026, 11, 2, 12), actor="q", causer=CAUSER, cause_code=code)
    assert err.value.rule == "P1-LC-08"


# ----- petitions (P1-LC-12) --------------------------------------------------------------------
def test_p1_lc_12_a_petition_under_a_policy_without_investigation_goes_back_to_registered(
    manufacturing: Policy, sh: Maker
) -> None:
    assert reopen_state(frozenset({"investigating"})) is CaseStatus.REGISTERED
    assert reopen_state(frozenset()) is CaseStatus.INVESTIGATING
    assert reopen_state(frozenset({"investigating"}), registered=False) is CaseStatus.RECEIVED
    policy = attrs.evolve(manufacturing, skip_states=frozenset({"investigating"}))
    case = received(policy, sh)
    case, _ = case.register(policy, at=sh(2026, 11, 2, 10), actor="gm_office", number="261101")
    case, _ = case.attribute(policy, at=sh(2026, 11, 2, 11), actor="quality", causer=CAUSER)
    case, _ = case.petition(policy, at=sh(2026, 11, 2, 12), actor="prod", department="production", reason="不服")
    assert case.status is CaseStatus.REGISTERED and case.causer is not None
    case, _ = case.attribute(policy, at=sh(2026, 11, 2, 13), actor="quality", causer=CAUSER)  # attributed anew
    assert case.status is CaseStatus.ATTRIBUTED


# ----- invariants of every case, also one loaded from a store ------------------------------------
def test_the_invariants_hold_for_a_case_built_directly(manufacturing: Policy, sh: Maker) -> None:
    """What ``__attrs_post_init__`` refuses: a stored document that breaks them is not loaded as a case."""
    base = received(manufacturing, sh)
    fields = {a.name: getattr(base, a.name) for a in attrs.fields(Case)}
    assert Case(**fields) == base  # version 1 is the first
    for changes, rule in (
        ({"version": 0}, "CASE-VERSION"),
        ({"status": CaseStatus.NOT_ESTABLISHED}, "P1-LC-14"),
        ({"status": CaseStatus.NOT_ESTABLISHED, "not_established_reason": ""}, "P1-LC-14"),
        ({"status": CaseStatus.REPLIED}, "CASE-REPLY"),
        ({"status": CaseStatus.CLOSED}, "CASE-REPLY"),
    ):
        with pytest.raises(RuleViolation) as err:
            Case(**{**fields, **changes})
        assert err.value.rule == rule, changes
    assert Case(**{**fields, "status": CaseStatus.NOT_ESTABLISHED, "not_established_reason": "无责"}).version == 1


def test_reference_and_last_at_of_an_unnumbered_case_without_events(manufacturing: Policy, sh: Maker) -> None:
    """An unnumbered case is named by its id; a case stored before ``last_event_at`` existed dates its last step by
    its receipt, so no command may be dated before that."""
    case = received(manufacturing, sh)
    assert case.number is None and case.reference == str(case.case_id)
    legacy = attrs.evolve(case, last_event_at=None)
    assert legacy.last_at == case.received_at
    with pytest.raises(DomainError) as err:
        legacy.register(manufacturing, at=sh(2026, 11, 2, 8), actor="gm_office", number="1")
    assert err.value.rule == "CASE-TIME-ORDER"
