"""DOMAIN §3: the Case lifecycle, its invariants and refusals."""

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import attrs
import pytest
from builders import service_policy

from adapters.policy_files import load_preset
from complaint_core import (
    AuthorityExceeded,
    Case,
    CaseStatus,
    Channel,
    DomainError,
    EscalationAction,
    Intake,
    InvalidTransition,
    LadderLevel,
    Limit,
    Market,
    MoneyError,
    Party,
    PartyKind,
    Policy,
    PromiseMode,
    RemedyKind,
    Responsibility,
    RuleViolation,
    TableCalendar,
    TimeUnit,
    Validity,
)
from complaint_core.case import Remedy, apply
from complaint_core.policy import CaseKind
from complaint_core.responsibility import FaultShare

D = Decimal
Maker = Callable[..., datetime]
SMT = Party(PartyKind.GROUP_UNIT, "smt-2", "SMT 二班")
INTAKE = Intake(customer="华东电子", channel=Channel.PHONE, category="quality")


class Script:
    """Runs commands on a case at increasing times and keeps the events."""

    def __init__(self, policy: Policy, start: datetime, **intake: object) -> None:
        self.policy, self.at, self.events = policy, start, []
        self.case, events = Case.receive(
            policy, case_id=uuid4(), intake=attrs.evolve(INTAKE, **intake), at=start, actor="clerk"
        )
        self.events.extend(events)

    def __call__(self, command: str, **kw: object) -> Case:
        self.at += timedelta(hours=2)
        method = getattr(self.case, command)
        self.case, events = method(self.policy, at=kw.pop("at", self.at), actor=kw.pop("actor", "u"), **kw)
        assert len(events) == 1 and events[0].version == self.case.version
        self.events.extend(events)
        self.at = max(self.at, self.case.last_at)
        return self.case

    def to_closed(self, amount: str = "1000.00") -> Case:
        self("register", number="261101")
        self("start_investigation")
        self("attribute", causer=Responsibility.sole(SMT))
        self("propose", kind=RemedyKind.ALLOWANCE, amount=D(amount))
        self("approve", role="gm")
        self("reply_to_customer", message="同意折让", reaction="accepted")
        return self("close")


def test_full_lifecycle_gives_one_event_per_command(manufacturing: Policy, sh: Maker) -> None:
    s = Script(manufacturing, sh(2026, 11, 2))
    case = s.to_closed()
    assert case.status is CaseStatus.CLOSED and case.version == 8 == len(s.events)
    assert [st.status.value for st in case.steps] == [
        "received", "registered", "investigating", "attributed", "proposed", "approved", "replied", "closed",
    ]  # fmt: skip
    assert case.number == "261101"
    assert all(not c.running for c in case.clocks), "closing stops every clock"
    s("settle")
    assert s.case.status is CaseStatus.SETTLED


def test_events_fold_back_into_the_case(manufacturing: Policy, sh: Maker) -> None:
    s = Script(manufacturing, sh(2026, 11, 2))
    s.to_closed()
    first, *rest = s.events
    case = Script(manufacturing, sh(2026, 11, 2)).case
    case = attrs.evolve(case, case_id=first.aggregate_id)
    for event in rest:
        case = apply(event, case)
    assert case == s.case


def test_p1_num_03_number_given_at_registration_exactly_once(manufacturing: Policy, sh: Maker) -> None:
    s = Script(manufacturing, sh(2026, 11, 2))
    with pytest.raises(RuleViolation) as err:
        s("register")
    assert err.value.rule == "P1-NUM-03"
    with pytest.raises(RuleViolation):
        Case.receive(manufacturing, case_id=uuid4(), intake=INTAKE, at=sh(2026, 11, 2), actor="x", number="1")


def test_refused_transition_changes_nothing(manufacturing: Policy, sh: Maker) -> None:
    s = Script(manufacturing, sh(2026, 11, 2))
    before = s.case
    with pytest.raises(InvalidTransition) as err:
        s("close")
    assert err.value.rule == "CASE-TRANSITION" and s.case is before and s.case.version == 1


def test_p1_apr_02_approval_beyond_authority_is_refused(manufacturing: Policy, sh: Maker) -> None:
    s = Script(manufacturing, sh(2026, 11, 2))
    s("register", number="261101")
    s("start_investigation")
    s("attribute", causer=Responsibility.sole(SMT))
    s("propose", kind=RemedyKind.COMPENSATION, amount=D("8200.00"))
    with pytest.raises(AuthorityExceeded, match="deputy_gm"):
        s("approve", role="sales_manager")
    case = s("approve", role="deputy_gm")
    assert case.approval is not None and case.approval.role == "deputy_gm"


def test_p1_lc_08_attribution_needs_a_causer_or_no_fault(manufacturing: Policy, sh: Maker) -> None:
    s = Script(manufacturing, sh(2026, 11, 2))
    s("register", number="1")
    s("start_investigation")
    with pytest.raises(RuleViolation, match="causer"):
        s("attribute")
    with pytest.raises(RuleViolation):
        s("attribute", causer=Responsibility.sole(SMT), no_fault=True)
    assert s("attribute", no_fault=True).no_fault


def test_f8_ro_01_the_accused_may_not_handle_their_case(manufacturing: Policy, sh: Maker) -> None:
    s = Script(manufacturing, sh(2026, 11, 2))
    s("register", number="1")
    s("start_investigation")
    with pytest.raises(RuleViolation) as err:
        s("attribute", handler=SMT, causer=Responsibility.sole(SMT))
    assert err.value.rule == "F8-RO-01"


def test_responsibility_shares_sum_to_exactly_one() -> None:
    sales = Party(PartyKind.DEPARTMENT, "sales")
    ok = Responsibility((FaultShare(SMT, D("0.7")), FaultShare(sales, D("0.3"))))
    assert len(ok.shares) == 2
    for shares in [
        (FaultShare(SMT, D("0.7")), FaultShare(sales, D("0.2"))),
        (FaultShare(SMT, D("0.5")), FaultShare(SMT, D("0.5"))),
        (FaultShare(SMT, D("1.5")), FaultShare(sales, D("-0.5"))),
        (),
    ]:
        with pytest.raises(RuleViolation):
            Responsibility(shares)


def test_p1_role_07_a_new_finding_sums_exactly_and_a_stored_one_still_loads(manufacturing: Policy, sh: Maker) -> None:
    """DOMAIN §2: shares sum to exactly 1; 0.5 + 0.5000…01 (31 digits) summed to 1 in the 28-digit context, so a
    new finding's shares have at most 18 places. A finding stored before that limit still loads (its case, and
    with it every listing and sweep, would fail otherwise), and trailing zeros are no places."""
    sales = Party(PartyKind.DEPARTMENT, "sales")
    fine = Responsibility((FaultShare(SMT, D("0.5")), FaultShare(sales, D("0.5000000000000000000000000000001"))))
    s = Script(manufacturing, sh(2026, 11, 2))
    s("register", number="1")
    s("start_investigation")
    with pytest.raises(RuleViolation, match=r"delay\.shares\[1\].*18 decimal places") as error:
        s("attribute", causer=Responsibility.sole(SMT), delay=fine)
    assert error.value.rule == "P1-ROLE-07"
    zeros = Responsibility((FaultShare(SMT, D("0.5000000000000000000000")), FaultShare(sales, D("0.50"))))
    thirds = tuple(
        FaultShare(Party(PartyKind.PERSON, f"S{i}"), D(v))
        for i, v in enumerate(("0.333333333333333333", "0.333333333333333333", "0.333333333333333334"))
    )
    assert s("attribute", causer=zeros, delay=Responsibility(thirds)).causer == zeros


def test_p1_lc_14_not_established_needs_a_reason_then_a_reply(manufacturing: Policy, sh: Maker) -> None:
    s = Script(manufacturing, sh(2026, 11, 2))
    s("register", number="1")
    with pytest.raises(RuleViolation):
        s("find_not_established", reason=" ")
    s("find_not_established", reason="客户使用不当")
    with pytest.raises(InvalidTransition):
        s("close")
    s("reply_to_customer", message="说明原因")
    assert s("close").status is CaseStatus.CLOSED


def test_p1_lc_12_petition_reopens_attribution_before_closure(manufacturing: Policy, sh: Maker) -> None:
    s = Script(manufacturing, sh(2026, 11, 2))
    s("register", number="1")
    s("start_investigation")
    s("attribute", causer=Responsibility.sole(SMT))
    case = s("petition", department="制造部", reason="责任应归供应商")
    assert case.status is CaseStatus.INVESTIGATING and case.petitions[0].department == "制造部"
    supplier = Party(PartyKind.SUPPLIER, "copper-co")
    assert s("attribute", causer=Responsibility.sole(supplier)).causer == Responsibility.sole(supplier)


def test_petition_refused_after_closure(manufacturing: Policy, sh: Maker) -> None:
    s = Script(manufacturing, sh(2026, 11, 2))
    s.to_closed()
    with pytest.raises(InvalidTransition):
        s("petition", department="制造部", reason="x")


def test_p1_lc_10_second_complaint_is_a_new_linked_case(manufacturing: Policy, sh: Maker) -> None:
    s = Script(manufacturing, sh(2026, 11, 2))
    parent = s.to_closed()
    second, _events = Case.receive(
        manufacturing, case_id=uuid4(), intake=INTAKE, at=s.at + timedelta(days=1), actor="x", parent=parent
    )
    assert second.parent_case_id == parent.case_id and second.repeat_count == 1
    assert second.number is None and second.status is CaseStatus.RECEIVED
    with pytest.raises(InvalidTransition) as err:
        Case.receive(manufacturing, case_id=uuid4(), intake=INTAKE, at=s.at, actor="x", parent=second)
    assert err.value.rule == "P1-LC-10"


def test_closed_case_is_never_edited(manufacturing: Policy, sh: Maker) -> None:
    s = Script(manufacturing, sh(2026, 11, 2))
    s.to_closed()
    for command, kw in [
        ("classify", {"severity": "x"}),
        ("flag_major", {"reason": "media"}),
        ("reach_milestone", {"milestone": "report_submitted"}),
    ]:
        with pytest.raises(DomainError):
            s(command, **kw)


def test_p3_esc_01_major_complaint_needs_its_meeting_before_closure(manufacturing: Policy, sh: Maker) -> None:
    s = Script(manufacturing, sh(2026, 11, 2))
    with pytest.raises(RuleViolation):
        s("record_emergency_meeting", attendees=("gm",), minutes="x")
    s("flag_major", reason="媒体负面报道")
    with pytest.raises(RuleViolation):
        s.to_closed()
    s("record_emergency_meeting", attendees=("gm", "qa"), minutes="召回批次")
    assert s("close").status is CaseStatus.CLOSED


def test_time_order_and_awareness(manufacturing: Policy, sh: Maker) -> None:
    s = Script(manufacturing, sh(2026, 11, 2, 12))
    with pytest.raises(RuleViolation) as err:
        s("register", number="1", at=sh(2026, 11, 2, 8))
    assert err.value.rule == "CASE-TIME-ORDER"
    with pytest.raises(ValueError, match="aware"):
        s("register", number="1", at=datetime(2026, 11, 3, 9))


def test_p1_dl_01_clock_starts_at_registration_foreign_gets_17_days(
    manufacturing: Policy, cn: TableCalendar, sh: Maker
) -> None:
    s = Script(manufacturing, sh(2026, 11, 2), market=Market.FOREIGN)
    s("register", number="1", at=sh(2026, 11, 2, 14))
    (close,) = s.case.deadlines(manufacturing, cn)
    assert close.rule_id == "P1-DL-01" and close.due is not None
    assert close.due.date().isoformat() == "2026-11-19"


def test_milestones_start_and_stop_custom_clocks(manufacturing: Policy, cn: TableCalendar, sh: Maker) -> None:
    s = Script(manufacturing, sh(2026, 11, 2))
    s("register", number="1")
    s("reach_milestone", milestone="investigation_done")
    assert s.case.clock("report").running
    s("reach_milestone", milestone="report_submitted")
    assert not s.case.clock("report").running
    with pytest.raises(RuleViolation):
        s("reach_milestone", milestone="closed")


@pytest.mark.parametrize(
    ("milestone", "words"),
    [
        ("report_submited", "has no milestone 'report_submited'; it has consolidated, investigation_done, negotiation"),
        ("major_flagged", "reached by flagging the case major"),
        ("registered", "is a lifecycle state"),
    ],
)
def test_a_milestone_the_policy_does_not_name_is_refused(
    manufacturing: Policy, sh: Maker, milestone: str, words: str
) -> None:
    """A misspelt step was recorded and stopped nothing: the report clock ran on and went overdue."""
    s = Script(manufacturing, sh(2026, 11, 2))
    s("register", number="1")
    s("reach_milestone", milestone="investigation_done")
    before = s.case
    with pytest.raises(RuleViolation) as err:
        s("reach_milestone", milestone=milestone)
    assert err.value.rule == "CASE-MILESTONE" and words in str(err.value)
    assert s.case is before and s.case.clock("report").running
    assert manufacturing.milestone_names() == (
        "consolidated",
        "investigation_done",
        "negotiation_received",
        "report_submitted",
    )


def test_the_milestones_offered_leave_out_major_flagged() -> None:
    """auto-dealer's alert clocks start at major_flagged, reached by flagging the case major, never by name."""
    assert load_preset("auto-dealer").milestone_names() == ("alert_acknowledged", "reported_to_brand_legal")


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"channel": "fax"}, "channel 'fax' is not one of"),
        ({"channel": "phone"}, "must be a Channel"),
        ({"market": "moon"}, "market 'moon'"),
        ({"customer": None}, "customer is required"),
        ({"flags": ["caused_loss"]}, "flags must be a frozenset"),
        ({"lines": ("abc",)}, "ProductLine"),
    ],
)
def test_bad_intake_values_are_refused_naming_the_field(changes: dict[str, object], words: str) -> None:
    values: dict[str, object] = {"customer": "华东电子", "channel": Channel.PHONE, "category": "quality", **changes}
    with pytest.raises(RuleViolation) as err:
        Intake(**values)  # type: ignore[arg-type]
    assert err.value.rule == "INTAKE" and words in str(err.value)


def test_a_new_complaint_claims_whole_fen(manufacturing: Policy, sh: Maker) -> None:
    """A claimed amount finer than a fen broke the whole monthly report. Refused when a complaint is received; an
    ``Intake`` stored before this check still loads."""
    intake = Intake(customer="华东电子", channel=Channel.PHONE, category="quality", claimed_amount=Decimal("10.005"))
    with pytest.raises(MoneyError) as err:
        Case.receive(manufacturing, case_id=uuid4(), intake=intake, at=sh(2026, 11, 2), actor="clerk")
    assert "claimed_amount" in str(err.value) and "two decimal places" in str(err.value)


def test_a_bad_remedy_kind_is_refused_naming_it(manufacturing: Policy, sh: Maker) -> None:
    s = Script(manufacturing, sh(2026, 11, 2))
    for step, kw in (("register", {"number": "261101"}), ("start_investigation", {})):
        s(step, **kw)
    s("attribute", causer=Responsibility.sole(Party(PartyKind.DEPARTMENT, "production")))
    with pytest.raises(RuleViolation) as err:
        s("propose", kind="bogus", amount=Decimal("1.00"))
    assert err.value.rule == "REMEDY" and "compensation" in str(err.value)


def test_intake_is_checked_against_the_policy(manufacturing: Policy, sh: Maker) -> None:
    with pytest.raises(RuleViolation, match="category"):
        Script(manufacturing, sh(2026, 11, 2), category="bakery")
    with pytest.raises(RuleViolation, match="channel"):
        Script(manufacturing, sh(2026, 11, 2), channel=Channel.REGULATOR)
    with pytest.raises(RuleViolation, match="flags"):
        Script(manufacturing, sh(2026, 11, 2), flags=frozenset({"urgent"}))


def test_pause_resume_and_special_circumstance(manufacturing: Policy, cn: TableCalendar, sh: Maker) -> None:
    policy = service_policy(manufacturing)
    s = Script(policy, sh(2026, 11, 2))
    with pytest.raises(RuleViolation):
        s("pause_clock", clock="reply", reason="lunch")
    s("pause_clock", clock="reply", reason="waiting_on_customer", at=sh(2026, 11, 3, 9))
    with pytest.raises(RuleViolation):
        s("pause_clock", clock="reply", reason="waiting_on_customer")
    s("resume_clock", clock="reply", at=sh(2026, 11, 5, 9))
    reply = next(d for d in s.case.deadlines(policy, cn) if d.clock == "reply")
    assert reply.due is not None and reply.due.date().isoformat() == "2026-11-09"
    with pytest.raises(RuleViolation):
        s("declare_special_circumstance", clock="reply", reason="", approver="gm")
    s("declare_special_circumstance", clock="reply", reason="停电", approver="gm")
    reply = next(d for d in s.case.deadlines(policy, cn) if d.clock == "reply")
    assert reply.due is not None and reply.due.date().isoformat() == "2026-11-13"
    with pytest.raises(RuleViolation) as err:
        s("declare_special_circumstance", clock="first_reply", reason="x", approver="gm")
    assert err.value.rule == "F2-DL-06"


def test_p4_dl_06_a_missed_promise_cannot_be_replaced(manufacturing: Policy, cn: TableCalendar, sh: Maker) -> None:
    """P4-DL-06: a missed promise counts as overdue; a new promise after it would wipe the breach out."""
    policy = service_policy(manufacturing)
    s = Script(policy, sh(2026, 11, 2, 9))
    s("record_promise", clock="first_reply", due=sh(2026, 11, 4, 10), calendar=cn, at=sh(2026, 11, 2, 20))
    s("record_promise", clock="first_reply", due=sh(2026, 11, 5, 10), calendar=cn, at=sh(2026, 11, 3, 9))  # in time
    with pytest.raises(RuleViolation) as err:
        s("record_promise", clock="first_reply", due=sh(2026, 11, 9, 10), calendar=cn, at=sh(2026, 11, 5, 11))
    assert err.value.rule == "P4-DL-06" and "missed" in str(err.value)
    first = next(d for d in s.case.deadlines(policy, cn) if d.clock == "first_reply")
    assert first.due == sh(2026, 11, 5, 10) and first.overdue_at(sh(2026, 11, 5, 11))


def test_f4_dl_03_a_promise_made_in_time_may_be_replaced_while_it_runs(
    manufacturing: Policy, cn: TableCalendar, sh: Maker
) -> None:
    """Escalation audit: the 24 hours bind the first promise; one made in time may be replaced after them, while it
    runs, as in every mode (P4-DL-06), and was refused [F4-DL-03] although the promise had been made in time."""
    policy = service_policy(manufacturing)
    s = Script(policy, sh(2026, 11, 2, 9))
    s("record_promise", clock="first_reply", due=sh(2026, 11, 9, 17), calendar=cn, at=sh(2026, 11, 2, 20))
    s("record_promise", clock="first_reply", due=sh(2026, 11, 12, 17), calendar=cn, at=sh(2026, 11, 5, 9))
    first = next(d for d in s.case.deadlines(policy, cn) if d.clock == "first_reply")
    assert first.due == sh(2026, 11, 12, 17)
    with pytest.raises(RuleViolation) as err:  # a missed one still cannot be
        s("record_promise", clock="first_reply", due=sh(2026, 11, 20, 17), calendar=cn, at=sh(2026, 11, 13, 9))
    assert err.value.rule == "P4-DL-06"


def test_f4_dl_03_an_open_pause_counts_towards_the_24_hours(
    manufacturing: Policy, cn: TableCalendar, sh: Maker
) -> None:
    """Paused time is excluded (DOMAIN §4), also while the pause is still open when the promise is made."""
    base = service_policy(manufacturing)
    clocks = tuple(
        attrs.evolve(c, pause_reasons=frozenset({"waiting_on_customer"})) if c.name == "first_reply" else c
        for c in base.clocks
    )
    policy = attrs.evolve(base, clocks=clocks)
    s = Script(policy, sh(2026, 11, 2, 9))
    s("pause_clock", clock="first_reply", reason="waiting_on_customer", at=sh(2026, 11, 2, 14))
    # 24 h from Mon 09:00 plus the 25 h paused so far (Mon 14:00 .. Tue 15:00): due Wed 10:00, so still in time
    s("record_promise", clock="first_reply", due=sh(2026, 11, 10, 17), calendar=cn, at=sh(2026, 11, 3, 15))
    with pytest.raises(RuleViolation) as err:  # the same promise without the pause came too late
        Script(policy, sh(2026, 11, 2, 9))(
            "record_promise", clock="first_reply", due=sh(2026, 11, 10, 17), calendar=cn, at=sh(2026, 11, 3, 15)
        )
    assert err.value.rule == "F4-DL-03"


def test_pause_is_kept_across_a_policy_change(manufacturing: Policy, cn: TableCalendar, sh: Maker) -> None:
    policy = service_policy(manufacturing)
    newer = attrs.evolve(policy, version=policy.version + 1)
    s = Script(policy, sh(2026, 11, 2))
    s("pause_clock", clock="reply", reason="waiting_on_customer", at=sh(2026, 11, 3, 9))
    s("resume_clock", clock="reply", at=sh(2026, 11, 5, 9))
    before = s.case.deadlines(policy, cn)
    case, _ = s.case.adopt_policy(newer, current=policy, at=sh(2026, 11, 6), actor="admin")
    assert case.policy_version == newer.version and case.deadlines(newer, cn) == before
    with pytest.raises(RuleViolation):
        case.adopt_policy(policy, current=newer, at=sh(2026, 11, 6), actor="admin")


def _extended(policy: Policy, days: int | None) -> Policy:
    """``policy`` with every ``close`` rule's extended limit set to ``days`` calendar days (None: no extension)."""
    limit = None if days is None else Limit(days, TimeUnit.CALENDAR_DAYS)
    clocks = tuple(attrs.evolve(r, special_limit=limit) if r.name == "close" else r for r in policy.clocks)
    return attrs.evolve(policy, clocks=clocks)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"skip_states": frozenset({"investigating"})}, "skips the state 'investigating' the case is in"),
        ("no_quality", "has no category 'quality'"),
        ("no_extension", "clock 'close' has no extended limit for the declared special circumstance"),
        ("no_close_clock", "has no rule for the running clock 'close'"),
    ],
)
def test_a_version_that_cannot_run_the_case_is_not_adopted(
    manufacturing: Policy, cn: TableCalendar, sh: Maker, change: object, words: str
) -> None:
    """Adopting such a version stranded the case (no command left the skipped state) or silently dropped what it
    used: its category's label, an approved extension (the due fell back by a week), its close clock."""
    policy = _extended(manufacturing, 30)
    if change == "no_quality":
        newer = attrs.evolve(policy, categories=tuple(c for c in policy.categories if c.code != "quality"))
    elif change == "no_extension":
        newer = _extended(policy, None)
    elif change == "no_close_clock":
        newer = attrs.evolve(policy, clocks=tuple(r for r in policy.clocks if r.name != "close"))
    else:
        assert isinstance(change, dict)
        newer = attrs.evolve(policy, **change)
    newer = attrs.evolve(newer, version=policy.version + 1)
    s = Script(policy, sh(2026, 11, 2))
    s("register", number="1")
    s("declare_special_circumstance", clock="close", reason="flood", approver="gm")
    s("start_investigation")
    before = s.case
    with pytest.raises(RuleViolation) as err:
        before.adopt_policy(newer, current=policy, at=sh(2026, 11, 9), actor="admin")
    assert err.value.rule == "CASE-POLICY" and words in str(err.value)
    same = attrs.evolve(policy, version=policy.version + 1)
    assert (
        s.case.adopt_policy(same, current=policy, at=sh(2026, 11, 9), actor="admin")[0].policy_version == same.version
    )


def _numbered_at(policy: Policy, assign_at: str, version: int) -> Policy:
    return attrs.evolve(policy, numbering=attrs.evolve(policy.numbering, assign_at=assign_at), version=version)


def test_a_version_numbering_at_a_step_the_case_has_passed_is_not_adopted(manufacturing: Policy, sh: Maker) -> None:
    """Policy audit (P1-NUM-03, P2-NUM-03): a case received under a version that numbers at registration adopted
    one that numbers at intake, was registered without a number, and never got one."""
    newer = _numbered_at(manufacturing, "received", manufacturing.version + 1)
    s = Script(manufacturing, sh(2026, 11, 2))
    with pytest.raises(RuleViolation) as err:
        s.case.adopt_policy(newer, current=manufacturing, at=sh(2026, 11, 2, 12), actor="admin")
    assert err.value.rule == "CASE-POLICY" and "assigns the case number at received" in str(err.value)


def test_a_case_numbered_at_intake_registers_under_a_version_numbering_at_registration(
    manufacturing: Policy, sh: Maker
) -> None:
    """Policy audit: the case kept its intake number, and registering it was refused for want of another one
    [P1-NUM-03]; it registers with the number it has, and a second number is still refused."""
    at_intake = _numbered_at(manufacturing, "received", manufacturing.version)
    later = attrs.evolve(manufacturing, version=manufacturing.version + 1)
    case, _ = Case.receive(at_intake, case_id=uuid4(), intake=INTAKE, at=sh(2026, 11, 2), actor="clerk", number="A1")
    case, _ = case.adopt_policy(later, current=at_intake, at=sh(2026, 11, 2, 10), actor="admin")
    with pytest.raises(RuleViolation) as err:
        case.register(later, at=sh(2026, 11, 2, 11), actor="gm_office", number="261101")
    assert err.value.rule == "P1-NUM-03"
    registered, _ = case.register(later, at=sh(2026, 11, 2, 11), actor="gm_office")
    assert registered.number == "A1" and registered.status is CaseStatus.REGISTERED


def test_a_version_without_promises_is_not_adopted_by_a_case_holding_one(
    manufacturing: Policy, cn: TableCalendar, sh: Maker
) -> None:
    """Policy audit (P4-DL-06): adopting it dropped the date promised to the customer, and the case was overdue on
    the limit's own due."""
    policy = service_policy(manufacturing)
    clocks = tuple(attrs.evolve(c, promise=PromiseMode.NONE) if c.name == "agreed" else c for c in policy.clocks)
    newer = attrs.evolve(policy, clocks=clocks, version=policy.version + 1)
    s = Script(policy, sh(2026, 11, 2, 9))
    s("record_promise", clock="agreed", due=sh(2026, 11, 4, 17), calendar=cn, at=sh(2026, 11, 2, 15))
    with pytest.raises(RuleViolation) as err:
        s.case.adopt_policy(newer, current=policy, at=sh(2026, 11, 2, 16), actor="admin")
    assert "clock 'agreed' does not take the date promised to the customer" in str(err.value)


def test_a_version_stopping_a_running_clock_at_a_step_the_case_has_passed_is_not_adopted(sh: Maker) -> None:
    """Review: service v5 stops first_investigation at investigating, v6 at forwarded_to_head (P4-DL-01). A v5
    ticket forwarded to the head before its investigation started, adopting v6, would never see its clock stop:
    overdue until closure, then an inquiry and a 压单 fine. A clock whose new stop comes again is fine."""
    from adapters.policy_files import bundled_preset

    v5, v6 = bundled_preset("service", 5), bundled_preset("service", 6)
    assert v5 is not None and v6 is not None
    intake = Intake(customer="前台", channel=Channel.LETTER, category="attitude", kind=CaseKind.INTERNAL)
    case, _ = Case.receive(v5, case_id=uuid4(), intake=intake, at=sh(2026, 11, 2, 9), actor="gm_secretary")
    case, _ = case.register(v5, at=sh(2026, 11, 2, 9, 5), actor="gm_secretary", number="202611000001")
    forwarded, _ = case.reach_milestone(v5, milestone="forwarded_to_head", at=sh(2026, 11, 2, 10), actor="gm_secretary")
    with pytest.raises(RuleViolation) as err:
        forwarded.adopt_policy(v6, current=v5, at=sh(2026, 11, 2, 11), actor="admin")
    assert err.value.rule == "CASE-POLICY"
    assert "clock 'first_investigation' stops at forwarded_to_head, which the case has passed" in str(err.value)
    adopted, _ = case.adopt_policy(v6, current=v5, at=sh(2026, 11, 2, 11), actor="admin")  # not forwarded yet
    assert adopted.policy_version == 6 and adopted.clock("first_investigation").running


def test_a_clock_whose_stop_came_before_it_started_does_not_bar_a_version_with_the_same_stop(
    manufacturing: Policy, sh: Maker
) -> None:
    """make test (the state machine): the report submitted, then the investigation done at the same minute, so the
    report clock runs; a version that stops it where the current one does was refused as stranding it."""
    s = Script(manufacturing, sh(2026, 11, 2))
    s("register", number="261101")
    s("reach_milestone", milestone="report_submitted", at=sh(2026, 11, 3))
    s("reach_milestone", milestone="investigation_done", at=sh(2026, 11, 3))
    assert s.case.clock("report").running
    newer = attrs.evolve(manufacturing, version=manufacturing.version + 1)
    adopted, _ = s.case.adopt_policy(newer, current=manufacturing, at=sh(2026, 11, 3, 10), actor="admin")
    assert adopted.policy_version == newer.version and adopted.clock("report").running


def test_a_version_changing_the_rungs_a_clock_has_fired_is_not_adopted(
    manufacturing: Policy, cn: TableCalendar, sh: Maker
) -> None:
    """Policy audit (DOMAIN §5: each level fires once, in order): levels are kept as a count, so after a ladder
    with a new second rung the GM was escalated to twice and the department head never. Rungs added after the
    fired ones are fine."""

    def ladder_of(policy: Policy, *rungs: tuple[str, str]) -> Policy:
        ladder = tuple(
            LadderLevel(after=Limit(days, TimeUnit.WORKING_DAYS), action=EscalationAction(action), target=target)
            for days, (action, target) in enumerate(rungs)
        )
        clocks = tuple(attrs.evolve(c, ladder=ladder) if c.name == "close" else c for c in policy.clocks)
        return attrs.evolve(policy, clocks=clocks)

    policy = ladder_of(manufacturing, ("reminder", "late_department"), ("escalate", "gm"))
    s = Script(policy, sh(2026, 11, 2))
    s("register", number="261101")
    s("record_escalation", clock="close", level=1, calendar=cn, at=sh(2026, 11, 17))
    s("record_escalation", clock="close", level=2, calendar=cn, at=sh(2026, 11, 18))
    changed = ladder_of(
        manufacturing, ("reminder", "late_department"), ("escalate", "department_head"), ("escalate", "gm")
    )
    changed = attrs.evolve(changed, version=policy.version + 1)
    with pytest.raises(RuleViolation) as err:
        s.case.adopt_policy(changed, current=policy, at=sh(2026, 11, 18, 12), actor="admin")
    assert "clock 'close' has fired 2 level(s) of a ladder this version changes" in str(err.value)
    longer = ladder_of(manufacturing, ("reminder", "late_department"), ("escalate", "gm"), ("alert", "gm"))
    longer = attrs.evolve(longer, version=policy.version + 1)
    assert s.case.adopt_policy(longer, current=policy, at=sh(2026, 11, 18, 12), actor="admin")[0].version


def test_f4_dl_03_promise_must_come_within_24_hours(manufacturing: Policy, cn: TableCalendar, sh: Maker) -> None:
    policy = service_policy(manufacturing)
    s = Script(policy, sh(2026, 11, 2, 9))
    late = Script(policy, sh(2026, 11, 2, 9))
    with pytest.raises(RuleViolation) as err:
        late("record_promise", clock="first_reply", due=sh(2026, 11, 20), calendar=cn, at=sh(2026, 11, 3, 10))
    assert err.value.rule == "F4-DL-03"
    s("record_promise", clock="first_reply", due=sh(2026, 11, 20, 17), calendar=cn, at=sh(2026, 11, 2, 20))
    first = next(d for d in s.case.deadlines(policy, cn) if d.clock == "first_reply")
    assert first.due == sh(2026, 11, 20, 17)
    with pytest.raises(DomainError):  # the close clock has not started: no such clock yet
        s("record_promise", clock="close", due=sh(2026, 11, 20), calendar=cn)


def test_p5_dl_02_agreed_reply_date_within_the_limit(manufacturing: Policy, cn: TableCalendar, sh: Maker) -> None:
    policy = service_policy(manufacturing)
    s = Script(policy, sh(2026, 11, 2, 9))
    with pytest.raises(RuleViolation) as err:
        s("record_promise", clock="agreed", due=sh(2026, 11, 6, 9), calendar=cn)
    assert err.value.rule == "P5-DL-02"
    s("record_promise", clock="agreed", due=sh(2026, 11, 4, 17), calendar=cn)
    agreed = next(d for d in s.case.deadlines(policy, cn) if d.clock == "agreed")
    assert agreed.due == sh(2026, 11, 4, 17)


def test_skipped_states_shorten_the_path(manufacturing: Policy, sh: Maker) -> None:
    policy = attrs.evolve(manufacturing, skip_states=frozenset({"investigating", "proposed"}))
    s = Script(policy, sh(2026, 11, 2))
    s("register", number="1")
    with pytest.raises(InvalidTransition):
        s("start_investigation")
    s("attribute", no_fault=True)
    from complaint_core import Remedy

    s("approve", role="gm", remedy=Remedy(RemedyKind.EXPLANATION, D("0")))
    assert s.case.status is CaseStatus.APPROVED


def test_no_command_may_predate_the_last_event(manufacturing: Policy, sh: Maker) -> None:
    """CASE-TIME-ORDER counts every event, not only lifecycle steps (a resume before its pause is refused)."""
    s = Script(manufacturing, sh(2026, 11, 2, 9))
    s("flag_major", reason="媒体", at=sh(2026, 11, 3, 9))
    with pytest.raises(RuleViolation) as err:
        s("register", number="1", at=sh(2026, 11, 2, 12))
    assert err.value.rule == "CASE-TIME-ORDER"


def test_p1_esc_01_ladder_levels_fire_once_in_order_after_due(
    manufacturing: Policy, cn: TableCalendar, sh: Maker
) -> None:
    """P1-DL-01 close clock due 2026-11-15 end (13 days); P1-ESC-01 reminder at due, then +1 WD, +3 WD."""
    s = Script(manufacturing, sh(2026, 11, 2, 9))
    s("register", number="261101", at=sh(2026, 11, 2, 14))
    with pytest.raises(RuleViolation) as err:
        s("record_escalation", clock="close", level=1, calendar=cn, at=sh(2026, 11, 15, 23))
    assert err.value.rule == "ESC-DUE"
    with pytest.raises(RuleViolation) as err:
        s("record_escalation", clock="close", level=2, calendar=cn, at=sh(2026, 11, 16, 9))
    assert err.value.rule == "ESC-ORDER"
    case = s("record_escalation", clock="close", level=1, calendar=cn, at=sh(2026, 11, 16, 0))
    event = s.events[-1]
    assert case.clock("close").level == 1 and (event.action, event.target) == ("reminder", "late_department")
    with pytest.raises(RuleViolation):  # +1 working day after the Sunday due date is Monday's end
        s("record_escalation", clock="close", level=2, calendar=cn, at=sh(2026, 11, 16, 23))
    s("record_escalation", clock="close", level=2, calendar=cn, at=sh(2026, 11, 17, 0))
    with pytest.raises(RuleViolation):
        s("record_escalation", clock="close", level=2, calendar=cn, at=sh(2026, 11, 30))  # never twice


def test_a_clock_stopped_in_time_never_escalates(manufacturing: Policy, cn: TableCalendar, sh: Maker) -> None:
    s = Script(manufacturing, sh(2026, 11, 2))
    s.to_closed()
    with pytest.raises(RuleViolation) as err:
        s("record_escalation", clock="close", level=1, calendar=cn, at=sh(2026, 12, 1))
    assert err.value.rule == "ESC-DUE"


def test_handler_assigned_before_the_findings_is_kept_and_checked(manufacturing: Policy, sh: Maker) -> None:
    """F8-RO-01 also holds for a handler named early: attribution keeps them and refuses them as the accused."""
    s = Script(manufacturing, sh(2026, 11, 2))
    s("register", number="1")
    qa = Party(kind=PartyKind.DEPARTMENT, id="QA")
    case = s("assign", handler=qa)
    assert case.handler == qa
    with pytest.raises(RuleViolation) as same:
        s("assign", handler=qa)
    assert same.value.rule == "CASE-ASSIGN"
    s("start_investigation")
    case = s("attribute", causer=Responsibility.sole(SMT))
    assert case.handler == qa  # not cleared by an attribution that names no handler
    folded = s.events[0]
    rebuilt = Case.receive(s.policy, case_id=case.case_id, intake=INTAKE, at=folded.occurred_at, actor="clerk")[0]
    for event in s.events[1:]:
        rebuilt = apply(event, rebuilt)
    assert rebuilt == case

    t = Script(manufacturing, sh(2026, 11, 2))
    t("register", number="2")
    t("assign", handler=SMT)
    t("start_investigation")
    with pytest.raises(RuleViolation) as accused:
        t("attribute", causer=Responsibility.sole(SMT))
    assert accused.value.rule == "F8-RO-01"


def test_attribution_records_the_root_cause_for_the_pareto(manufacturing: Policy, sh: Maker) -> None:
    s = Script(manufacturing, sh(2026, 11, 2))
    s("register", number="1")
    s("start_investigation")
    case = s("attribute", causer=Responsibility.sole(SMT), cause_code="welding")
    assert case.intake.cause_code == "welding"
    with pytest.raises(RuleViolation):
        Script(manufacturing, sh(2026, 11, 2))("attribute", no_fault=True, cause_code="  ")


def test_reaction_after_the_reply_replaces_it_before_closure(manufacturing: Policy, sh: Maker) -> None:
    s = Script(manufacturing, sh(2026, 11, 2))
    s("register", number="1")
    with pytest.raises(InvalidTransition):
        s("record_reaction", reaction="不满意")  # no reply yet
    s("start_investigation")
    s("attribute", causer=Responsibility.sole(SMT))
    s("propose", kind=RemedyKind.ALLOWANCE, amount=D("100"))
    s("approve", role="gm")
    s("reply_to_customer", message="同意折让", reaction="")
    case = s("record_reaction", reaction="接受")
    assert case.reply is not None and case.reply.reaction == "接受" and case.reply.message == "同意折让"
    with pytest.raises(RuleViolation):
        s("record_reaction", reaction=" ")
    s("close")
    with pytest.raises(InvalidTransition):
        s("record_reaction", reaction="again")


def test_p1_apr_02_a_role_outside_the_approval_table_is_refused_as_an_approval(
    manufacturing: Policy, sh: Maker
) -> None:
    """Not a PolicyInvalid (the policy is fine): the approver lacks authority."""
    s = Script(manufacturing, sh(2026, 11, 2))
    s("register", number="261101")
    s("start_investigation")
    s("attribute", causer=Responsibility.sole(Party(PartyKind.DEPARTMENT, "production")))
    s("propose", kind=RemedyKind.ALLOWANCE, amount=Decimal("100.00"))
    with pytest.raises(AuthorityExceeded) as err:
        s("approve", role="janitor")
    assert err.value.rule == "P1-APR-02" and "janitor" in str(err.value)


@pytest.mark.parametrize(
    ("preset", "rule"), [("furniture", "P2-APR-01"), ("auto-dealer", "P3-APR-01"), ("service", "P4-APR-01")]
)
def test_an_approval_refused_cites_the_policy_s_own_approval_rule(preset: str, rule: str, sh: Maker) -> None:
    """Every preset's refusals cited P1-APR-02, the manufacturer's amount tiers, also where the GM approves all
    (P2-APR-01, P3-APR-01, P4-APR-01): a refusal names the rule of the policy the case runs."""
    policy = load_preset(preset)
    intake = Intake(customer="甲", channel=policy.channels[0], category=policy.categories[0].code)
    number = "261102001" if policy.numbering.assign_at == "received" else None
    case, _ = Case.receive(policy, case_id=uuid4(), intake=intake, at=sh(2026, 11, 2), actor="cs", number=number)
    with pytest.raises(RuleViolation) as nothing:
        case.approve(policy, at=sh(2026, 11, 2, 10), actor="x", role="gm")
    with pytest.raises(AuthorityExceeded) as outsider:
        case.approve(
            policy,
            at=sh(2026, 11, 2, 10),
            actor="x",
            role="sales_manager",
            remedy=Remedy(RemedyKind.EXPLANATION, Decimal("0")),
        )
    assert (nothing.value.rule, outsider.value.rule) == (rule, rule)


def test_an_approval_tier_without_a_rule_id_is_refused_under_p1_apr_02(sh: Maker) -> None:
    """A policy of one's own that names no rule for its table: DOMAIN §6.2's P1-APR-02, as before."""
    base = load_preset("furniture")
    policy = attrs.evolve(base, approval=tuple(attrs.evolve(t, rule_id="") for t in base.approval))
    intake = Intake(customer="甲", channel=policy.channels[0], category=policy.categories[0].code)
    number = "261102001" if policy.numbering.assign_at == "received" else None
    case, _ = Case.receive(policy, case_id=uuid4(), intake=intake, at=sh(2026, 11, 2), actor="cs", number=number)
    with pytest.raises(AuthorityExceeded) as err:
        case.approve(
            policy, at=sh(2026, 11, 2, 10), actor="x", role="clerk", remedy=Remedy(RemedyKind.EXPLANATION, Decimal("0"))
        )
    assert err.value.rule == "P1-APR-02"


def test_p3_cls_03_the_dealer_records_whether_the_reason_is_sufficient_and_the_request_reasonable(
    sh: Maker,
) -> None:
    """P3-CLS-03 / P3-FORM-01: under `auto-dealer` the findings carry the two yes/no judgements; without them
    attribution and not-established are refused and leave the case as it was."""
    dealer = load_preset("auto-dealer")
    assert dealer.validity_required
    s = Script(dealer, sh(2026, 11, 2), category="repair_quality")
    s("register", number="2026110001")
    s("start_investigation")
    before = s.case
    for command, kw in (
        ("attribute", {"causer": Responsibility.sole(SMT)}),
        ("find_not_established", {"reason": "客户使用不当"}),
    ):
        with pytest.raises(RuleViolation) as refused:
            s(command, **kw)
        assert refused.value.rule == "P3-CLS-03" and s.case is before
    found = Validity(reason_sufficient=True, request_reasonable=False)  # a fair complaint asking too much
    case = s("attribute", causer=Responsibility.sole(SMT), validity=found)
    assert case.validity == found and s.events[-1].validity == found  # type: ignore[attr-defined]
    assert apply(s.events[-1], before) == case


def test_p3_cls_03_a_sufficient_reason_is_never_found_not_established(manufacturing: Policy, sh: Maker) -> None:
    """Under any policy: a complaint whose reason is sufficient is established. The finding is optional where the
    policy does not ask for it, and a petition leaves it until the case is attributed again."""
    assert not manufacturing.validity_required
    s = Script(manufacturing, sh(2026, 11, 2))
    s("register", number="1")
    with pytest.raises(RuleViolation) as refused:
        s("find_not_established", reason="误会", validity=Validity(reason_sufficient=True, request_reasonable=False))
    assert refused.value.rule == "P3-CLS-03"
    insufficient = Validity(reason_sufficient=False, request_reasonable=False)
    assert s("find_not_established", reason="误会", validity=insufficient).validity == insufficient
    assert s("petition", department="业务部", reason="客户有新证据").validity == insufficient  # to investigating
    assert s("attribute", causer=Responsibility.sole(SMT)).validity is None  # the new findings replace it
