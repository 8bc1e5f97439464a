"""DOMAIN §3: the Case aggregate's guards and invariants that mutation testing found no test pinning down.

Each test names its rule; each fails on the mutant of ``case.py`` it was written for.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import attrs
import pytest
from builders import extended

from adapters.policy_files import load_preset
from complaint_core import (
    AuthorityExceeded,
    Case,
    CaseStatus,
    Channel,
    ClockRule,
    DomainError,
    Intake,
    InvalidTransition,
    Labels,
    LadderLevel,
    Limit,
    MoneyError,
    NotFound,
    Party,
    PartyKind,
    Policy,
    RemedyKind,
    Responsibility,
    RuleViolation,
    TableCalendar,
    TimeUnit,
)
from complaint_core.case import Remedy, apply, reopen_state
from complaint_core.errors import InvalidInstant
from complaint_core.policy import CaseKind
from complaint_core.responsibility import FaultShare

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


# ----- commands on open cases only, under their own policy (P1-LC-10, CASE-POLICY) ---------------------------
def test_p1_lc_10_a_closed_case_takes_no_handler_severity_or_meeting(manufacturing: Policy, sh: Maker) -> None:
    """Refused as closed (P1-LC-10), whatever else the command would have found wrong."""
    case = closed_on(manufacturing, sh, sh(2026, 11, 4))
    at = sh(2026, 11, 5)
    refusals = {
        "assign": lambda: case.assign(manufacturing, at=at, actor="gm", handler=Party(PartyKind.PERSON, "Q01")),
        "classify": lambda: case.classify(manufacturing, at=at, actor="gm", severity="any"),
        "meeting": lambda: case.record_emergency_meeting(manufacturing, at=at, actor="gm", attendees=(), minutes=""),
    }
    for name, command in refusals.items():
        with pytest.raises(InvalidTransition) as err:
            command()
        assert err.value.rule == "P1-LC-10", name


def test_a_reaction_under_another_policy_is_refused(manufacturing: Policy, sh: Maker) -> None:
    case = proposed(manufacturing, sh, "100.00")
    case, _ = case.approve(manufacturing, at=sh(2026, 11, 2, 14), actor="m", role="sales_manager")
    case, _ = case.reply_to_customer(manufacturing, at=sh(2026, 11, 2, 15), actor="s", message="同意")
    with pytest.raises(RuleViolation) as err:
        case.record_reaction(load_preset("service"), at=sh(2026, 11, 2, 16), actor="s", reaction="accepted")
    assert err.value.rule == "CASE-POLICY"
    with pytest.raises(InvalidTransition) as refused:  # a reaction follows a reply, and only before closure
        closed_on(manufacturing, sh, sh(2026, 11, 4)).record_reaction(
            manufacturing, at=sh(2026, 11, 5), actor="s", reaction="ok"
        )
    assert refused.value.rule == "P1-LC-10"


def test_a_petition_names_its_department_and_reason_and_runs_under_the_cases_policy(
    manufacturing: Policy, sh: Maker
) -> None:
    """P1-LC-12. A case found not established before registration goes back to received (P1-NUM-03)."""
    case = proposed(manufacturing, sh, "100.00")
    at = sh(2026, 11, 2, 14)
    for department, reason in (("", "不服"), ("production", " "), ("\u3000", "")):
        with pytest.raises(RuleViolation) as err:
            case.petition(manufacturing, at=at, actor="p", department=department, reason=reason)
        assert err.value.rule == "P1-LC-12"
    with pytest.raises(RuleViolation) as err:
        case.petition(load_preset("service"), at=at, actor="p", department="production", reason="不服")
    assert err.value.rule == "CASE-POLICY"
    unregistered = received(manufacturing, sh)
    unregistered, _ = unregistered.find_not_established(manufacturing, at=at, actor="q", reason="非本司产品")
    back, _ = unregistered.petition(manufacturing, at=sh(2026, 11, 2, 15), actor="p", department="sales", reason="是")
    assert back.status is CaseStatus.RECEIVED


def test_f8_ro_01_the_accused_is_not_assigned_their_own_case_after_attribution(
    manufacturing: Policy, sh: Maker
) -> None:
    case = proposed(manufacturing, sh, "100.00")  # CAUSER is M06
    with pytest.raises(RuleViolation) as err:
        case.assign(manufacturing, at=sh(2026, 11, 2, 14), actor="gm", handler=Party(PartyKind.PERSON, "M06"))
    assert err.value.rule == "F8-RO-01"
    other, _ = case.assign(manufacturing, at=sh(2026, 11, 2, 14), actor="gm", handler=Party(PartyKind.PERSON, "Q01"))
    assert other.handler == Party(PartyKind.PERSON, "Q01")


def test_case_reply_needs_the_message_given(manufacturing: Policy, sh: Maker) -> None:
    case = proposed(manufacturing, sh, "100.00")
    case, _ = case.approve(manufacturing, at=sh(2026, 11, 2, 14), actor="m", role="sales_manager")
    for message in ("", " \n", "\u3000"):
        with pytest.raises(RuleViolation) as err:
            case.reply_to_customer(manufacturing, at=sh(2026, 11, 2, 15), actor="s", message=message)
        assert err.value.rule == "CASE-REPLY"


# ----- P4-LC-03: internal tickets close with their improvement measures ----------------------------------------
def test_p4_lc_03_an_internal_ticket_closes_only_with_improvements_unless_not_established(
    service: Policy, sh: Maker
) -> None:
    ticket = Intake(customer="前台", channel=Channel.PHONE, category="attitude", kind=CaseKind.INTERNAL)
    case = received(service, sh, ticket)
    case, _ = case.register(service, at=sh(2026, 11, 2, 10), actor="qc", number="1")
    case, _ = case.start_investigation(service, at=sh(2026, 11, 2, 10), actor="qc")
    dismissed, _ = case.find_not_established(service, at=sh(2026, 11, 2, 11), actor="qc", reason="误会")
    case, _ = case.attribute(service, at=sh(2026, 11, 2, 11), actor="qc", causer=CAUSER)
    case, _ = case.propose(service, at=sh(2026, 11, 2, 11), actor="qc", kind=RemedyKind.EXPLANATION, amount=Decimal(0))
    case, _ = case.approve(service, at=sh(2026, 11, 2, 11), actor="gm", role="gm")
    case, _ = case.reply_to_customer(service, at=sh(2026, 11, 2, 12), actor="qc", message="已处理")
    with pytest.raises(RuleViolation) as err:
        case.close(service, at=sh(2026, 11, 2, 13), actor="qc")
    assert err.value.rule == "P4-LC-03"
    improved, _ = case.plan_improvement(service, at=sh(2026, 11, 2, 13), actor="qc", measures="交接表", owner="fd")
    assert improved.close(service, at=sh(2026, 11, 2, 14), actor="qc")[0].status is CaseStatus.CLOSED
    dismissed, _ = dismissed.reply_to_customer(service, at=sh(2026, 11, 2, 12), actor="qc", message="不成立")
    assert dismissed.close(service, at=sh(2026, 11, 2, 13), actor="qc")[0].status is CaseStatus.CLOSED


# ----- severity (P4-CLS-04, E4-CL-01) ----------------------------------------------------------------------
def test_classify_refuses_a_severity_the_policy_lacks_and_a_delay_that_is_no_count(service: Policy, sh: Maker) -> None:
    case = received(service, sh, attrs.evolve(INTAKE, category="attitude"))
    at = sh(2026, 11, 2, 10)
    with pytest.raises(RuleViolation) as err:
        case.classify(service, at=at, actor="qc", severity="critical")
    assert err.value.rule == "CASE-SEVERITY"
    for days in (True, 1.5, -1, "3"):
        with pytest.raises(RuleViolation) as err:
            case.classify(service, at=at, actor="qc", severity="light", delay_days=days)
        assert err.value.rule == "P4-CLS-04", days
    with pytest.raises(DomainError) as err:
        case.classify(service, at=sh(2026, 11, 2, 8), actor="qc", severity="light")
    assert err.value.rule == "CASE-TIME-ORDER"


def test_p4_cls_04_a_raised_severity_says_why_and_a_plain_one_keeps_its_reason(service: Policy, sh: Maker) -> None:
    case = received(service, sh, attrs.evolve(INTAKE, category="attitude"))
    at = sh(2026, 11, 2, 10)
    plain, _ = case.classify(service, at=at, actor="qc", severity="light", reason="态度")
    assert plain.severity == "light"
    raised, events = case.classify(service, at=at, actor="qc", severity="light", reason="态度", delay_days=30)
    assert raised.severity == "medium" and raised.delay_days == 30
    assert events[0].reason == "态度; raised from light: complaint 1 on the same issue, 30 days delay"
    _, bare = case.classify(service, at=at, actor="qc", severity="light", delay_days=30)
    assert bare[0].reason == "raised from light: complaint 1 on the same issue, 30 days delay"
    _, unraised = case.classify(service, at=at, actor="qc", severity="light", reason="态度")
    assert unraised[0].reason == "态度"


def test_e4_cl_01_a_major_severity_flags_the_case_major_once(sh: Maker) -> None:
    dealer = load_preset("auto-dealer")
    intake = Intake(customer="车主", channel=Channel.PHONE, category="product_quality")
    case = received(dealer, sh, intake)
    at = sh(2026, 11, 2, 10)
    general, _ = case.classify(dealer, at=at, actor="cs", severity="general")
    assert general.severity == "general" and not general.major
    major, events = case.classify(dealer, at=at, actor="cs", severity="major")
    assert major.major and events[0].major
    again, events = major.classify(dealer, at=sh(2026, 11, 2, 11), actor="cs", severity="major")
    assert again.major and not events[0].major  # flagged once: its alert clocks are not started again
    with pytest.raises(RuleViolation) as err:
        major.flag_major(dealer, at=sh(2026, 11, 2, 11), actor="cs", reason="媒体")
    assert err.value.rule == "P3-ESC-01"


def test_p3_esc_01_the_meeting_record_needs_attendees_and_minutes(manufacturing: Policy, sh: Maker) -> None:
    case = received(manufacturing, sh)
    case, _ = case.flag_major(manufacturing, at=sh(2026, 11, 2, 10), actor="gm", reason="媒体")
    at = sh(2026, 11, 2, 11)
    for attendees, minutes in (((), "召回"), (("gm",), " "), ((), "")):
        with pytest.raises(RuleViolation) as err:
            case.record_emergency_meeting(manufacturing, at=at, actor="gm", attendees=attendees, minutes=minutes)
        assert err.value.rule == "P3-ESC-01"


# ----- clocks: pause, extension, escalation ------------------------------------------------------------------
def test_a_clock_resumes_only_when_paused_and_is_extended_once_with_reason_and_approver(
    manufacturing: Policy, sh: Maker
) -> None:
    policy = extended(manufacturing)
    case = received(policy, sh)
    at = sh(2026, 11, 2, 10)
    with pytest.raises(RuleViolation) as err:
        case.resume_clock(policy, at=at, actor="cs", clock="reply")
    assert err.value.rule == "CLOCK-PAUSE"
    for reason, approver in (("停电", ""), ("停电", " "), ("", "gm")):
        with pytest.raises(RuleViolation) as err:
            case.declare_special_circumstance(
                policy, at=at, actor="cs", clock="reply", reason=reason, approver=approver
            )
        assert err.value.rule == "F2-DL-06"
    once, _ = case.declare_special_circumstance(policy, at=at, actor="cs", clock="reply", reason="停电", approver="gm")
    with pytest.raises(RuleViolation) as err:
        once.declare_special_circumstance(policy, at=at, actor="cs", clock="reply", reason="又停电", approver="gm")
    assert err.value.rule == "F2-DL-06"


def test_a_settled_case_records_no_escalation_and_another_policy_none(
    manufacturing: Policy, cn: TableCalendar, sh: Maker
) -> None:
    """P1-LC-10: closed cases still take the audit's inquiries, settled ones nothing; CASE-POLICY as everywhere."""
    case = closed_on(manufacturing, sh, sh(2026, 11, 4))
    settled, _ = case.settle(manufacturing, at=sh(2026, 11, 5), actor="gm_office")
    with pytest.raises(InvalidTransition) as err:
        settled.record_escalation(
            manufacturing, at=sh(2026, 12, 30), actor="sweep", clock="close", level=1, calendar=cn
        )
    assert err.value.rule == "P1-LC-10"
    with pytest.raises(RuleViolation) as err:
        case.record_escalation(
            load_preset("service"), at=sh(2026, 12, 30), actor="sweep", clock="close", level=1, calendar=cn
        )
    assert err.value.rule == "CASE-POLICY"


def test_p4_dl_06_a_promise_is_a_later_aware_date_on_a_clock_that_takes_one(
    manufacturing: Policy, cn: TableCalendar, sh: Maker
) -> None:
    policy = extended(manufacturing)
    case = received(policy, sh)
    case, _ = case.register(policy, at=sh(2026, 11, 2, 12), actor="gm_office", number="1")
    at = sh(2026, 11, 2, 13)

    def promise(clock: str, due: datetime, when: datetime = at) -> Case:
        return case.record_promise(policy, at=when, actor="cs", clock=clock, due=due, calendar=cn)[0]

    assert promise("agreed", sh(2026, 11, 4)).clock("agreed").promise is not None
    for clock, due, rule in (("close", sh(2026, 11, 4), "P4-DL-06"), ("agreed", at, "P4-DL-06")):
        with pytest.raises(RuleViolation) as err:
            promise(clock, due)
        assert err.value.rule == rule, (clock, due)
    with pytest.raises(InvalidInstant):
        promise("agreed", datetime(2026, 11, 4, 9))
    with pytest.raises(RuleViolation) as err:
        promise("agreed", sh(2026, 11, 4), when=sh(2026, 11, 2, 11))  # before the registration
    assert err.value.rule == "CASE-TIME-ORDER"


def registered(policy: Policy, sh: Maker) -> Case:
    case = received(policy, sh)
    return case.register(policy, at=sh(2026, 11, 2, 14), actor="gm_office", number="261101")[0]


def test_p1_esc_01_no_level_beyond_the_ladder_and_none_dated_before_the_last_step(
    manufacturing: Policy, cn: TableCalendar, sh: Maker
) -> None:
    """The close clock (due 2026-11-15 end) has three levels: a fourth is refused in order, not by an index error."""
    case = registered(manufacturing, sh)
    for level, at in ((1, sh(2026, 11, 16)), (2, sh(2026, 11, 17)), (3, sh(2026, 11, 20))):
        case, _ = case.record_escalation(manufacturing, at=at, actor="sweep", clock="close", level=level, calendar=cn)
    with pytest.raises(RuleViolation) as err:
        case.record_escalation(manufacturing, at=sh(2026, 12, 30), actor="sweep", clock="close", level=4, calendar=cn)
    assert err.value.rule == "ESC-ORDER"
    later, _ = registered(manufacturing, sh).reach_milestone(
        manufacturing, at=sh(2026, 11, 20), actor="q", milestone="investigation_done"
    )
    with pytest.raises(RuleViolation) as err:
        later.record_escalation(manufacturing, at=sh(2026, 11, 16), actor="sweep", clock="close", level=1, calendar=cn)
    assert err.value.rule == "CASE-TIME-ORDER"


def test_escalation_needs_the_clocks_rule_and_a_deadline(manufacturing: Policy, cn: TableCalendar, sh: Maker) -> None:
    """ESC-DUE: a clock awaiting the date to be promised has no deadline, a paused one is never late; a policy
    without the clock's rule escalates nothing."""
    policy = extended(manufacturing)
    case = received(policy, sh)
    with pytest.raises(RuleViolation) as err:
        case.record_escalation(policy, at=sh(2026, 12, 1), actor="sweep", clock="open_date", level=1, calendar=cn)
    assert err.value.rule == "ESC-DUE" and "no deadline" in str(err.value)
    paused, _ = case.pause_clock(
        policy, at=sh(2026, 11, 2, 10), actor="cs", clock="reply", reason="waiting_on_customer"
    )
    with pytest.raises(RuleViolation) as err:
        paused.record_escalation(policy, at=sh(2026, 12, 1), actor="sweep", clock="reply", level=1, calendar=cn)
    assert err.value.rule == "ESC-DUE"
    assert case.record_escalation(policy, at=sh(2026, 12, 1), actor="sweep", clock="reply", level=1, calendar=cn)
    without = attrs.evolve(policy, clocks=tuple(c for c in policy.clocks if c.name != "reply"))
    with pytest.raises(NotFound):
        case.record_escalation(without, at=sh(2026, 12, 1), actor="sweep", clock="reply", level=1, calendar=cn)


def test_a_clock_stopped_at_its_due_instant_is_in_time_and_one_stopped_after_escalates(
    manufacturing: Policy, cn: TableCalendar, sh: Maker
) -> None:
    """P1-ESC-01: the due instant itself is still in time; a step done late still had its levels to fire."""
    due = close_due(sh)
    in_time = closed_on(manufacturing, sh, due)
    with pytest.raises(RuleViolation) as err:
        in_time.record_escalation(
            manufacturing, at=sh(2026, 11, 20), actor="sweep", clock="close", level=1, calendar=cn
        )
    assert err.value.rule == "ESC-DUE"
    late = closed_on(manufacturing, sh, due + timedelta(microseconds=1))
    fired, _ = late.record_escalation(
        manufacturing, at=sh(2026, 11, 20), actor="sweep", clock="close", level=1, calendar=cn
    )
    assert fired.clock("close").level == 1


def test_p5_dl_02_an_agreed_date_may_fall_on_the_limit_and_a_promise_be_renewed_at_its_due(
    manufacturing: Policy, cn: TableCalendar, sh: Maker
) -> None:
    """P5-DL-02: the agreed date may be the limit's last instant (3 calendar days from 11-02: 11-05 end), not
    later. P4-DL-06: a promise is missed only after its due instant, so it may be renewed at that instant. A clock
    without a limit takes any later date."""
    policy = extended(manufacturing)
    case = received(policy, sh)
    at = sh(2026, 11, 2, 10)
    limit = datetime(2026, 11, 5, 23, 59, 59, 999999, tzinfo=at.tzinfo)
    promised, _ = case.record_promise(policy, at=at, actor="cs", clock="agreed", due=limit, calendar=cn)
    with pytest.raises(RuleViolation) as err:
        case.record_promise(
            policy, at=at, actor="cs", clock="agreed", due=limit + timedelta(microseconds=1), calendar=cn
        )
    assert err.value.rule == "P5-DL-02"
    first, _ = case.record_promise(policy, at=at, actor="cs", clock="open_date", due=sh(2026, 11, 3), calendar=cn)
    renewed, _ = first.record_promise(
        policy, at=sh(2026, 11, 3), actor="cs", clock="open_date", due=sh(2027, 1, 3), calendar=cn
    )
    assert renewed.clock("open_date").promise.due == sh(2027, 1, 3)
    with pytest.raises(RuleViolation) as err:
        first.record_promise(
            policy,
            at=sh(2026, 11, 3) + timedelta(microseconds=1),
            actor="cs",
            clock="open_date",
            due=sh(2027, 1, 3),
            calendar=cn,
        )
    assert err.value.rule == "P4-DL-06" and "missed" in str(err.value)
    assert promised.clock("agreed").promise.due == limit


def test_f4_dl_03_the_first_promise_may_be_made_at_the_24th_hour_and_binds_two_stage_clocks_only(
    manufacturing: Policy, cn: TableCalendar, sh: Maker
) -> None:
    policy = extended(manufacturing)
    case = received(policy, sh)  # 11-02 09:00
    day = sh(2026, 11, 3, 9)
    on_time, _ = case.record_promise(policy, at=day, actor="cs", clock="first_reply", due=sh(2026, 11, 9), calendar=cn)
    assert on_time.clock("first_reply").promise is not None
    late = day + timedelta(microseconds=1)
    with pytest.raises(RuleViolation) as err:
        case.record_promise(policy, at=late, actor="cs", clock="first_reply", due=sh(2026, 11, 9), calendar=cn)
    assert err.value.rule == "F4-DL-03"
    with pytest.raises(RuleViolation) as err:  # an agreed date past the limit: P5-DL-02's refusal, not F4's
        case.record_promise(policy, at=sh(2026, 11, 6), actor="cs", clock="agreed", due=sh(2026, 11, 9), calendar=cn)
    assert err.value.rule == "P5-DL-02"


# ----- the timeliness audit's inquiries (P1-ESC-02) ------------------------------------------------------------
def close_due(sh: Maker) -> datetime:
    """The due instant of the close clock of ``registered`` (13 calendar days, P1-DL-01): 11-15's end."""
    return datetime(2026, 11, 15, 23, 59, 59, 999999, tzinfo=sh(2026, 11, 15).tzinfo)


def replied(policy: Policy, sh: Maker) -> Case:
    """A case of ``policy`` registered 11-02 14:00 (close clock due 11-15 end), explained and replied on 11-03."""
    case = registered(policy, sh)
    for command, kw in (
        ("start_investigation", {}),
        ("attribute", {"causer": CAUSER}),
        ("propose", {"kind": RemedyKind.EXPLANATION, "amount": Decimal(0)}),
        ("approve", {"role": "sales_manager"}),
        ("reply_to_customer", {"message": "说明"}),
    ):
        case, _ = getattr(case, command)(policy, at=sh(2026, 11, 3), actor="u", **kw)
    return case


def closed_on(policy: Policy, sh: Maker, at: datetime) -> Case:
    return replied(policy, sh).close(policy, at=at, actor="gm_office")[0]


def test_p1_esc_02_an_inquiry_once_per_late_step_of_a_closed_case(
    manufacturing: Policy, cn: TableCalendar, sh: Maker
) -> None:
    due = close_due(sh)
    at = sh(2026, 11, 20)

    def inquiry(case: Case, clock: str = "close", policy: Policy = manufacturing) -> Case:
        return case.record_inquiry(policy, at=at, actor="audit", clock=clock, target="quality", calendar=cn)[0]

    late = closed_on(manufacturing, sh, due + timedelta(microseconds=1))
    asked = inquiry(late)
    assert asked.clock("close").inquired
    refusals: list[tuple[Callable[[], object], type[DomainError], str]] = [
        (lambda: inquiry(asked), RuleViolation, "P1-ESC-02"),  # once
        (lambda: inquiry(closed_on(manufacturing, sh, due)), RuleViolation, "P1-ESC-02"),  # on time at the due instant
        (lambda: inquiry(registered(manufacturing, sh)), InvalidTransition, "P1-ESC-02"),  # open cases: not yet
        (lambda: inquiry(late, policy=load_preset("service")), RuleViolation, "CASE-POLICY"),
        (
            lambda: inquiry(late, policy=attrs.evolve(manufacturing, clocks=())),  # no rule to judge it by
            NotFound,
            "NOT-FOUND",
        ),
    ]
    for number, (command, error, rule) in enumerate(refusals):
        with pytest.raises(error) as err:
            command()
        assert err.value.rule == rule, number
    with pytest.raises(DomainError) as err:
        late.record_inquiry(manufacturing, at=sh(2026, 11, 10), actor="audit", clock="close", target="q", calendar=cn)
    assert err.value.rule == "CASE-TIME-ORDER"


def test_p1_esc_02_a_clock_without_a_deadline_was_never_late(
    manufacturing: Policy, cn: TableCalendar, sh: Maker
) -> None:
    policy = extended(manufacturing)
    case = closed_on(policy, sh, sh(2026, 12, 20))  # open_date never got its promised date
    with pytest.raises(RuleViolation) as err:
        case.record_inquiry(policy, at=sh(2026, 12, 21), actor="audit", clock="open_date", target="cs", calendar=cn)
    assert err.value.rule == "P1-ESC-02"


# ----- root cause and improvements (P1-ROLE-09, P4-LC-03, P3-FU-03) -------------------------------------------
def test_p1_role_09_a_cause_is_recorded_under_the_cases_policy_until_settlement(
    manufacturing: Policy, sh: Maker
) -> None:
    case = closed_on(manufacturing, sh, sh(2026, 11, 4))
    at = sh(2026, 11, 5)
    recorded, _ = case.record_cause(manufacturing, at=at, actor="q", cause_code="solder")
    assert recorded.intake.cause_code == "solder"
    for code, rule in (("", "P1-ROLE-09"), (" ", "P1-ROLE-09")):
        with pytest.raises(RuleViolation) as err:
            case.record_cause(manufacturing, at=at, actor="q", cause_code=code)
        assert err.value.rule == rule
    with pytest.raises(RuleViolation) as err:
        recorded.record_cause(manufacturing, at=at, actor="q", cause_code="solder")
    assert err.value.rule == "P1-ROLE-09"
    with pytest.raises(RuleViolation) as err:
        case.record_cause(load_preset("service"), at=at, actor="q", cause_code="solder")
    assert err.value.rule == "CASE-POLICY"
    with pytest.raises(DomainError) as err:
        case.record_cause(manufacturing, at=sh(2026, 11, 3), actor="q", cause_code="solder")
    assert err.value.rule == "CASE-TIME-ORDER"
    settled, _ = case.settle(manufacturing, at=at, actor="gm_office")
    with pytest.raises(InvalidTransition) as refused:
        settled.record_cause(manufacturing, at=sh(2026, 11, 6), actor="q", cause_code="other")
    assert refused.value.rule == "P1-LC-10"


def test_improvements_are_planned_and_verified_under_the_cases_policy_until_settlement(
    manufacturing: Policy, sh: Maker
) -> None:
    case = closed_on(manufacturing, sh, sh(2026, 11, 4))
    at = sh(2026, 11, 5)
    planned, _ = case.plan_improvement(
        manufacturing, at=at, actor="q", measures="首件检验", owner="smt", supervisor="qa"
    )
    service = load_preset("service")
    with pytest.raises(RuleViolation) as err:
        case.plan_improvement(service, at=at, actor="q", measures="m", owner="o")
    assert err.value.rule == "CASE-POLICY"
    with pytest.raises(DomainError) as err:
        case.plan_improvement(manufacturing, at=sh(2026, 11, 3), actor="q", measures="m", owner="o")
    assert err.value.rule == "CASE-TIME-ORDER"
    with pytest.raises(InvalidInstant):
        case.plan_improvement(manufacturing, at=at, actor="q", measures="m", owner="o", due=datetime(2026, 12, 5))
    with pytest.raises(RuleViolation) as err:
        planned.verify_improvement(service, at=at, actor="qa", number=1, effective=True)
    assert err.value.rule == "CASE-POLICY"
    with pytest.raises(RuleViolation) as err:  # P3-FU-03: by its supervisor
        planned.verify_improvement(manufacturing, at=at, actor="smt", number=1, effective=True)
    assert err.value.rule == "P3-FU-03"
    verified, _ = planned.verify_improvement(manufacturing, at=at, actor="qa", number=1, effective=True)
    assert verified.improvements[0].verified_at is not None
    anyone, _ = case.plan_improvement(manufacturing, at=at, actor="q", measures="m", owner="o")
    assert anyone.verify_improvement(manufacturing, at=at, actor="whoever", number=1, effective=False)
    settled, _ = planned.settle(manufacturing, at=at, actor="gm_office")
    for command in (
        lambda: settled.plan_improvement(manufacturing, at=at, actor="q", measures="m", owner="o"),
        lambda: settled.verify_improvement(manufacturing, at=at, actor="qa", number=1, effective=True),
    ):
        with pytest.raises(InvalidTransition) as refused:
            command()
        assert refused.value.rule == "P1-LC-10"


# ----- adopting a newer policy version (CASE-POLICY) ----------------------------------------------------------
def newer(policy: Policy, **changes: object) -> Policy:
    return attrs.evolve(policy, version=policy.version + 1, **changes)


def refusal(case: Case, version: Policy, current: Policy, sh: Maker) -> str:
    with pytest.raises(RuleViolation) as err:
        case.adopt_policy(version, current=current, at=sh(2026, 11, 20), actor="admin")
    assert err.value.rule == "CASE-POLICY"
    return str(err.value)


def test_a_version_that_drops_the_cases_channel_or_severity_is_not_adopted(service: Policy, sh: Maker) -> None:
    case = received(service, sh, attrs.evolve(INTAKE, category="attitude"))
    case, _ = case.classify(service, at=sh(2026, 11, 2, 10), actor="qc", severity="severe")
    without_phone = newer(service, channels=tuple(c for c in service.channels if c is not Channel.PHONE))
    assert "does not accept the channel 'phone'" in refusal(case, without_phone, service, sh)
    without_severe = newer(
        service,
        severities=tuple(s for s in service.severities if s.code != "severe"),
        penalties=attrs.evolve(
            service.penalties, tiers=tuple(t for t in service.penalties.tiers if t.severity != "severe")
        ),
    )
    assert "has no severity 'severe'" in refusal(case, without_severe, service, sh)
    same = newer(service)
    assert (
        case.adopt_policy(same, current=service, at=sh(2026, 11, 20), actor="admin")[0].policy_version == same.version
    )


def test_a_version_may_drop_the_rule_of_a_clock_that_has_stopped(manufacturing: Policy, sh: Maker) -> None:
    """Only running clocks need a rule: the reply clock stopped at the reply, and a version without it is adopted."""
    policy = extended(manufacturing)
    case = replied(policy, sh)
    assert not case.clock("reply").running and case.clock("close").running
    version = newer(policy, clocks=tuple(c for c in policy.clocks if c.name not in {"reply", "agreed", "open_date"}))
    adopted, _ = case.adopt_policy(version, current=policy, at=sh(2026, 11, 20), actor="admin")
    assert adopted.policy_version == version.version
    without_close = newer(policy, clocks=tuple(c for c in policy.clocks if c.name != "close"))
    assert "no rule for the running clock 'close'" in refusal(case, without_close, policy, sh)


def test_a_version_that_changes_a_ladder_level_already_fired_is_not_adopted(
    manufacturing: Policy, cn: TableCalendar, sh: Maker
) -> None:
    """P1-ESC-01: the levels a clock fired are rungs of its ladder; another first rung would make the next one
    repeat or skip a step. A version changing only later rungs is adopted."""
    case = registered(manufacturing, sh)
    case, _ = case.record_escalation(
        manufacturing, at=sh(2026, 11, 16), actor="sweep", clock="close", level=1, calendar=cn
    )

    def with_ladder(change: Callable[[tuple[LadderLevel, ...]], tuple[LadderLevel, ...]]) -> Policy:
        clocks = tuple(
            attrs.evolve(c, ladder=change(c.ladder)) if c.name == "close" else c for c in manufacturing.clocks
        )
        return newer(manufacturing, clocks=clocks)

    first_changed = with_ladder(lambda ladder: (attrs.evolve(ladder[0], target="gm"), *ladder[1:]))
    assert "has fired 1 level(s) of a ladder this version changes" in refusal(case, first_changed, manufacturing, sh)
    later_changed = with_ladder(lambda ladder: (*ladder[:2], attrs.evolve(ladder[2], target="department_head")))
    adopted, _ = case.adopt_policy(later_changed, current=manufacturing, at=sh(2026, 11, 20), actor="admin")
    assert adopted.policy_version == later_changed.version


# ----- milestones (CASE-MILESTONE) ---------------------------------------------------------------------------
def test_a_milestone_is_dated_after_the_last_step_and_a_missing_prerequisite_cites_a_rule(
    manufacturing: Policy, sh: Maker
) -> None:
    case = registered(manufacturing, sh)
    with pytest.raises(DomainError) as err:
        case.reach_milestone(manufacturing, at=sh(2026, 11, 2, 13), actor="q", milestone="investigation_done")
    assert err.value.rule == "CASE-TIME-ORDER"
    bank = load_preset("bank-branch")
    milestones = tuple(attrs.evolve(m, rule_id="") for m in bank.milestones)
    policy = attrs.evolve(bank, milestones=milestones)
    intake = Intake(customer="储户", channel=Channel.ON_SITE, category=policy.categories[0].code)
    case = received(policy, sh, intake)
    with pytest.raises(RuleViolation) as err:
        case.reach_milestone(policy, at=sh(2026, 11, 2, 10), actor="m", milestone="reported_to_outlet_head")
    assert err.value.rule == "CASE-MILESTONE"


def test_only_a_newer_version_of_the_same_policy_is_adopted_by_an_open_case(
    manufacturing: Policy, furniture: Policy, cn: TableCalendar, sh: Maker
) -> None:
    case = registered(manufacturing, sh)
    other_id = newer(manufacturing, policy_id="manufacturing-b")
    assert "not 'manufacturing-b'" in refusal(case, other_id, manufacturing, sh)
    assert "is not newer" in refusal(case, manufacturing, manufacturing, sh)
    with pytest.raises(InvalidTransition) as err:
        closed_on(manufacturing, sh, sh(2026, 11, 4)).adopt_policy(
            newer(manufacturing), current=manufacturing, at=sh(2026, 11, 20), actor="admin"
        )
    assert err.value.rule == "P1-LC-10"
    # a case numbered at intake adopts a version numbering at intake; a promised date is kept by a clock taking one
    numbered = received(furniture, sh, attrs.evolve(INTAKE, category="product_quality"), number="261102001")
    assert numbered.adopt_policy(newer(furniture), current=furniture, at=sh(2026, 11, 20), actor="admin")[0]
    policy = extended(manufacturing)
    promised, _ = received(policy, sh).record_promise(
        policy, at=sh(2026, 11, 2, 10), actor="cs", clock="agreed", due=sh(2026, 11, 4), calendar=cn
    )
    assert promised.adopt_policy(newer(policy), current=policy, at=sh(2026, 11, 20), actor="admin")[0]


def test_adoption_is_checked_against_the_version_the_case_runs_and_the_steps_it_passed(
    manufacturing: Policy, sh: Maker
) -> None:
    """A version moving the running close clock's stop to a state the case passed since it started would leave it
    running until closure; ``current`` must be the version the case runs."""
    case = registered(manufacturing, sh)
    case, _ = case.start_investigation(manufacturing, at=sh(2026, 11, 3), actor="q")
    moved = newer(
        manufacturing,
        clocks=tuple(attrs.evolve(c, stop="investigating") if c.name == "close" else c for c in manufacturing.clocks),
    )
    assert "stops at investigating, which the case has passed" in refusal(case, moved, manufacturing, sh)
    later = newer(manufacturing)
    with pytest.raises(RuleViolation) as err:
        case.adopt_policy(newer(later), current=later, at=sh(2026, 11, 20), actor="admin")
    assert err.value.rule == "CASE-POLICY"


def test_p1_cls_05_an_untracked_improvement_gets_no_check_date(manufacturing: Policy, sh: Maker) -> None:
    policy = attrs.evolve(
        manufacturing,
        improvements=attrs.evolve(manufacturing.improvements, verify_within=Limit(30, TimeUnit.CALENDAR_DAYS)),
    )
    case = received(policy, sh)
    at = sh(2026, 11, 2, 10)
    tracked, _ = case.plan_improvement(policy, at=at, actor="q", measures="m", owner="o")
    assert tracked.improvements[0].due is not None
    untracked, _ = case.plan_improvement(policy, at=at, actor="q", measures="m", owner="o", tracked=False)
    assert untracked.improvements[0].due is None


# ----- the machinery every command shares ----------------------------------------------------------------------
def test_commands_that_only_emit_still_check_the_cases_policy(manufacturing: Policy, sh: Maker) -> None:
    """CASE-POLICY on the lifecycle's own transitions, on flags and on clock commands alike."""
    policy = extended(manufacturing)
    case = registered(policy, sh)
    service = load_preset("service")
    at = sh(2026, 11, 3)
    for name, command in {
        "start_investigation": lambda: case.start_investigation(service, at=at, actor="q"),
        "register": lambda: received(policy, sh).register(load_preset("furniture"), at=at, actor="q", number="1"),
        "flag_major": lambda: case.flag_major(service, at=at, actor="gm", reason="媒体"),
        "pause_clock": lambda: case.pause_clock(
            service, at=at, actor="cs", clock="reply", reason="waiting_on_customer"
        ),
    }.items():
        with pytest.raises(RuleViolation) as err:
            command()
        assert err.value.rule == "CASE-POLICY", name


def test_clock_commands_need_an_open_case_a_rule_and_a_running_clock(manufacturing: Policy, sh: Maker) -> None:
    policy = extended(manufacturing)
    at = sh(2026, 11, 20)
    done = closed_on(policy, sh, sh(2026, 11, 4))
    with pytest.raises(InvalidTransition) as err:
        done.pause_clock(policy, at=at, actor="cs", clock="reply", reason="waiting_on_customer")
    assert err.value.rule == "P1-LC-10"
    case = registered(policy, sh)
    without = attrs.evolve(policy, clocks=tuple(c for c in policy.clocks if c.name != "reply"))
    with pytest.raises(NotFound):
        case.pause_clock(without, at=at, actor="cs", clock="reply", reason="waiting_on_customer")
    with pytest.raises(RuleViolation) as err:
        replied(policy, sh).pause_clock(policy, at=at, actor="cs", clock="reply", reason="waiting_on_customer")
    assert err.value.rule == "CLOCK-STOPPED"


def test_closure_stops_every_running_clock(manufacturing: Policy, sh: Maker) -> None:
    """The report clock (P1-DL-02) stops at report_submitted, never reached here: closure stops it anyway."""
    case = registered(manufacturing, sh)
    case, _ = case.start_investigation(manufacturing, at=sh(2026, 11, 3), actor="q")
    case, _ = case.reach_milestone(manufacturing, at=sh(2026, 11, 3), actor="q", milestone="investigation_done")
    assert case.clock("report").running
    for command, kw in (
        ("attribute", {"causer": CAUSER}),
        ("propose", {"kind": RemedyKind.EXPLANATION, "amount": Decimal(0)}),
        ("approve", {"role": "sales_manager"}),
        ("reply_to_customer", {"message": "说明"}),
    ):
        case, _ = getattr(case, command)(manufacturing, at=sh(2026, 11, 4), actor="u", **kw)
    case, _ = case.close(manufacturing, at=sh(2026, 11, 5), actor="gm_office")
    assert [c.name for c in case.clocks if c.running] == []
    assert case.clock("report").stopped_at == sh(2026, 11, 5)


def test_a_petition_neither_restarts_a_clock_that_ran_nor_moves_one_already_stopped(
    manufacturing: Policy, sh: Maker
) -> None:
    """A clock starts once (the first time its milestone is reached); re-reaching its stop after a petition
    keeps the stop it had (P1-LC-12)."""
    policy = extended(manufacturing)
    proposal = ClockRule(
        name="proposal",
        label=Labels("方案", "proposal"),
        start="attributed",
        stop="replied",
        limit=Limit(5, TimeUnit.CALENDAR_DAYS),
    )
    policy = attrs.evolve(policy, clocks=(*policy.clocks, proposal))
    case = registered(policy, sh)
    first_reply = sh(2026, 11, 4)
    for at, command, kw in (
        (sh(2026, 11, 3), "start_investigation", {}),
        (sh(2026, 11, 3), "attribute", {"causer": CAUSER}),
        (sh(2026, 11, 3), "propose", {"kind": RemedyKind.EXPLANATION, "amount": Decimal(0)}),
        (sh(2026, 11, 3), "approve", {"role": "sales_manager"}),
        (first_reply, "reply_to_customer", {"message": "说明"}),
        (sh(2026, 11, 5), "petition", {"department": "production", "reason": "不服"}),
        (sh(2026, 11, 6), "attribute", {"causer": CAUSER}),
        (sh(2026, 11, 6), "propose", {"kind": RemedyKind.EXPLANATION, "amount": Decimal(0)}),
        (sh(2026, 11, 6), "approve", {"role": "sales_manager"}),
        (sh(2026, 11, 7), "reply_to_customer", {"message": "复议后说明"}),
    ):
        case, _ = getattr(case, command)(policy, at=at, actor="u", **kw)
    assert [c.name for c in case.clocks].count("proposal") == 1
    assert case.clock("proposal").started_at == sh(2026, 11, 3)
    assert case.clock("reply").stopped_at == first_reply


def test_f8_ro_01_a_handler_sharing_the_fault_with_others_is_still_accused(manufacturing: Policy, sh: Maker) -> None:
    handler = Party(PartyKind.PERSON, "Q01")
    shared = Responsibility(
        (FaultShare(Party(PartyKind.PERSON, "M06"), Decimal("0.6")), FaultShare(handler, Decimal("0.4")))
    )
    case = registered(manufacturing, sh)
    case, _ = case.start_investigation(manufacturing, at=sh(2026, 11, 3), actor="q")
    with pytest.raises(RuleViolation) as err:
        case.attribute(manufacturing, at=sh(2026, 11, 3), actor="q", handler=handler, causer=shared)
    assert err.value.rule == "F8-RO-01"


def test_p2_num_03_a_policy_numbering_at_intake_cites_its_own_rule(furniture: Policy, sh: Maker) -> None:
    with pytest.raises(RuleViolation) as err:
        received(furniture, sh, attrs.evolve(INTAKE, category="product_quality"))
    assert err.value.rule == "P2-NUM-03"


def test_the_approved_remedy_replaces_a_different_proposal_and_keeps_an_equal_one(
    manufacturing: Policy, sh: Maker
) -> None:
    """An approval of the remedy proposed keeps the proposal (with its note); one of another kind or amount
    replaces it."""
    case = registered(manufacturing, sh)
    case, _ = case.start_investigation(manufacturing, at=sh(2026, 11, 3), actor="q")
    case, _ = case.attribute(manufacturing, at=sh(2026, 11, 3), actor="q", causer=CAUSER)
    case, _ = case.propose(
        manufacturing, at=sh(2026, 11, 3), actor="s", kind=RemedyKind.ALLOWANCE, amount=Decimal("800.00"), note="折让单"
    )
    at = sh(2026, 11, 4)
    for remedy in (None, Remedy(RemedyKind.ALLOWANCE, Decimal("800.00"))):
        kept, _ = case.approve(manufacturing, at=at, actor="m", role="sales_manager", remedy=remedy)
        assert kept.remedy == case.remedy and kept.remedy is not None and kept.remedy.note == "折让单"
    for remedy in (Remedy(RemedyKind.COMPENSATION, Decimal("800.00")), Remedy(RemedyKind.ALLOWANCE, Decimal("500.00"))):
        other, _ = case.approve(manufacturing, at=at, actor="m", role="sales_manager", remedy=remedy)
        assert other.remedy is not None and (other.remedy.kind, other.remedy.amount) == (remedy.kind, remedy.amount)


def test_an_event_applies_only_to_its_own_case_at_the_next_version(manufacturing: Policy, sh: Maker) -> None:
    case = received(manufacturing, sh)
    registered_case, (event,) = case.register(manufacturing, at=sh(2026, 11, 2, 10), actor="gm_office", number="1")
    assert apply(event, case) == registered_case
    assert apply(attrs.evolve(event, aggregate_id=UUID(str(case.case_id))), case) == registered_case  # equal id
    for wrong in (
        attrs.evolve(event, version=3),
        attrs.evolve(event, version=1),
        attrs.evolve(event, aggregate_id=uuid4()),
    ):
        with pytest.raises(DomainError) as err:
            apply(wrong, case)
        assert err.value.rule == "EVENT-VERSION"


@pytest.mark.parametrize("stop", ["negotiation_received", "investigating"])
def test_adoption_counts_a_stop_reached_at_or_after_the_clocks_start_not_before(
    manufacturing: Policy, sh: Maker, stop: str
) -> None:
    """The report clock (P1-DL-02) starts at investigation_done. A version moving its stop to a milestone or a
    lifecycle state the case reached before that leaves the clock waiting for it again, as it should; one reached
    at the same instant or later has passed, and the clock would run until closure."""
    moved = newer(
        manufacturing,
        clocks=tuple(attrs.evolve(c, stop=stop) if c.name == "report" else c for c in manufacturing.clocks),
    )

    def investigated(started: datetime) -> Case:
        case = registered(manufacturing, sh)
        case, _ = case.start_investigation(manufacturing, at=sh(2026, 11, 3, 9), actor="q")
        case, _ = case.reach_milestone(
            manufacturing, at=sh(2026, 11, 3, 9), actor="q", milestone="negotiation_received"
        )
        case, _ = case.reach_milestone(manufacturing, at=started, actor="q", milestone="investigation_done")
        assert case.clock("report").started_at == started
        return case

    before = investigated(sh(2026, 11, 3, 10))
    adopted, _ = before.adopt_policy(moved, current=manufacturing, at=sh(2026, 11, 20), actor="admin")
    assert adopted.policy_version == moved.version
    same_instant = investigated(sh(2026, 11, 3, 9))
    assert f"stops at {stop}, which the case has passed" in refusal(same_instant, moved, manufacturing, sh)


def test_applying_an_event_checks_the_invariants_of_the_case_it_makes(manufacturing: Policy, sh: Maker) -> None:
    """A stored or relayed event with a blank not-established reason (P1-LC-14) does not make a case."""
    case = received(manufacturing, sh)
    _, (event,) = case.find_not_established(manufacturing, at=sh(2026, 11, 2, 10), actor="q", reason="非本司产品")
    with pytest.raises(RuleViolation) as err:
        apply(attrs.evolve(event, reason=""), case)
    assert err.value.rule == "P1-LC-14"


def test_a_case_found_not_established_after_a_petition_promises_no_remedy_even_skipping_approval(
    manufacturing: Policy, sh: Maker
) -> None:
    """DOMAIN §3: under a policy that skips approval the reply promises the remedy, but not the reply to a case
    found not established; a petition left the earlier proposal on the case."""
    policy = attrs.evolve(manufacturing, policy_id="mfg-skip", skip_states=frozenset({"approved"}))
    case = registered(policy, sh)
    case, _ = case.start_investigation(policy, at=sh(2026, 11, 3), actor="q")
    case, _ = case.attribute(policy, at=sh(2026, 11, 3), actor="q", causer=CAUSER)
    case, _ = case.propose(policy, at=sh(2026, 11, 3), actor="s", kind=RemedyKind.ALLOWANCE, amount=Decimal("800.00"))
    replied, _ = case.reply_to_customer(policy, at=sh(2026, 11, 4), actor="s", message="同意折让")
    assert replied.agreed_remedy(policy) == case.remedy
    case, _ = replied.petition(policy, at=sh(2026, 11, 5), actor="p", department="production", reason="不服")
    case, _ = case.find_not_established(policy, at=sh(2026, 11, 6), actor="q", reason="非本司产品")
    case, _ = case.reply_to_customer(policy, at=sh(2026, 11, 7), actor="s", message="投诉不成立")
    assert case.remedy is not None and case.reply is not None
    assert case.agreed_remedy(policy) is None
