"""Bundled presets: the clock rules of P1-DL-02/03, P2-DL-02..04, P3-DL-01, E4-DL-02, P4-DL-01 and P4-DL-05.

Each test drives a case through the real preset to the milestone that starts the clock and checks the deadline
against one worked out by hand from the rule text (seed-rules-1 §5) and the 2026 China calendar (DOMAIN §4: the
start day is day 0; from a rest day the count starts at the next working day; day limits end at 23:59:59.999999
local time). The 2026 calendar facts used below (State Council notice for 2026):
  Spring Festival: Sat 02-14 is a make-up working day, Sun 02-15 .. Mon 02-23 are off.
  Mid-Autumn: Fri 09-25 .. Sun 09-27 are off; Sun 09-20 is a make-up working day (for National Day).
  National Day: Thu 10-01 .. Wed 10-07 are off; Sat 10-10 is a make-up working day.
"""

from collections.abc import Callable
from datetime import UTC, date, datetime
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from adapters.clock import FixedClock
from adapters.memory import MemoryStore, MemoryUnitOfWork
from complaint_core import CaseService, Channel, Intake, RuleViolation, TableCalendar
from complaint_core.clocks import Deadline
from complaint_core.policy import CaseKind
from entrypoints.bootstrap import bootstrap

Maker = Callable[..., datetime]
SH = ZoneInfo("Asia/Shanghai")


def end_of(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 23, 59, 59, 999999, tzinfo=SH)


@pytest.fixture
def service(sh: Maker) -> CaseService:
    return bootstrap(uow=MemoryUnitOfWork(MemoryStore()), clock=FixedClock(sh(2026, 1, 5)))


def deadline(service: CaseService, ref: UUID, clock: str) -> Deadline:
    (found,) = [d for d in service.deadlines(ref) if d.clock == clock]
    return found


def clock_names(service: CaseService, ref: UUID) -> set[str]:
    return {d.clock for d in service.deadlines(ref)}


def test_calendar_facts_used_in_the_hand_computations(cn: TableCalendar) -> None:
    working = [date(2026, 2, 14), date(2026, 9, 20), date(2026, 10, 10), date(2026, 2, 24), date(2026, 10, 8)]
    resting = [date(2026, 2, 15), date(2026, 2, 23), date(2026, 9, 25), date(2026, 9, 27), date(2026, 10, 1)]
    resting += [date(2026, 10, 7), date(2026, 9, 19), date(2026, 10, 11)]
    assert all(cn.is_working_day(d) for d in working)
    assert not any(cn.is_working_day(d) for d in resting)


# --- P1 manufacturing ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("negotiation_received", "due"),
    [
        # 「一日内」: unqualified 日 = calendar days (DOMAIN §4). Received Wed 2026-09-30 23:30 local: day 1 is
        # Thu 10-01, a National Day holiday, and an internal calendar-day period ends there anyway.
        (datetime(2026, 9, 30, 23, 30, tzinfo=SH), end_of(2026, 10, 1)),
        # 2026-09-30 16:30 UTC is Thu 10-01 00:30 in Shanghai: day 0 is the local date 10-01, so due end of 10-02.
        (datetime(2026, 9, 30, 16, 30, tzinfo=UTC), end_of(2026, 10, 2)),
    ],
)
def test_p1_dl_03_consolidated_opinion_within_1_calendar_day(
    service: CaseService, sh: Maker, negotiation_received: datetime, due: datetime
) -> None:
    intake = Intake(customer="华东电子", channel=Channel.PHONE, category="quality")
    ref = service.receive(intake, actor="sales", at=sh(2026, 9, 29), policy_id="manufacturing").case_id
    service.register(ref, actor="gm_office", at=sh(2026, 9, 29, 10))
    assert "consolidation" not in clock_names(service, ref)
    service.reach_milestone(ref, "negotiation_received", actor="gm_office", at=negotiation_received)
    consolidation = deadline(service, ref, "consolidation")
    assert consolidation.rule_id == "P1-DL-03"
    assert consolidation.due == due


def test_p1_esc_01_a_late_investigation_report_gets_its_reminder(service: CaseService, sh: Maker) -> None:
    """P1-ESC-01 (manufacturing v6): QA's report (P1-DL-02, 3 calendar days) overdue gets a 催办单 to the late
    department at its due, as a late closure does; before v6 nothing was sent until the 13-day close ran out."""
    intake = Intake(customer="华东电子", channel=Channel.PHONE, category="quality")
    ref = service.receive(intake, actor="sales", at=sh(2026, 11, 2), policy_id="manufacturing").case_id
    service.register(ref, actor="gm_office", at=sh(2026, 11, 2, 10))
    service.reach_milestone(ref, "investigation_done", actor="qa", at=sh(2026, 11, 3, 10))
    assert deadline(service, ref, "report").due == end_of(2026, 11, 6)
    assert service.sweep(now=end_of(2026, 11, 6)) == ()  # due at the end of the day: in time until then
    (reminder,) = service.sweep(now=sh(2026, 11, 9))
    assert (reminder.clock, reminder.level, reminder.target) == ("report", 1, "late_department")
    assert (reminder.rule_id, reminder.label.zh if reminder.label else None) == ("P1-DL-02", "催办单")


# --- P2 furniture ----------------------------------------------------------------------------------------------------
def test_p2_dl_02_accountability_within_3_working_days_of_pm_receipt(service: CaseService, sh: Maker) -> None:
    intake = Intake(customer="北京客户", channel=Channel.PHONE, category="product_quality")
    # CS intake on Mon 2026-02-09; had the clock started there it would end Thu 02-12 (10, 11, 12).
    ref = service.receive(intake, actor="cs", at=sh(2026, 2, 9), policy_id="furniture").case_id
    assert "accountability" not in clock_names(service, ref)
    # Default reading: 接收投诉 = the production manager's receipt, Fri 2026-02-13. 3 working days:
    # Sat 02-14 (make-up working day), [02-15..02-23 Spring Festival], Tue 02-24, Wed 02-25 -> due end of 02-25.
    service.reach_milestone(ref, "transfer_approved", actor="gm", at=sh(2026, 2, 13, 15))
    service.reach_milestone(ref, "pm_received", actor="production_manager", at=sh(2026, 2, 13, 16))
    accountability = deadline(service, ref, "accountability")
    assert accountability.rule_id == "P2-DL-02"
    assert accountability.due == end_of(2026, 2, 25)


def test_p2_dl_02_not_for_packaging_complaints(service: CaseService, sh: Maker) -> None:
    intake = Intake(customer="北京客户", channel=Channel.PHONE, category="packaging")
    ref = service.receive(intake, actor="cs", at=sh(2026, 2, 9), policy_id="furniture").case_id
    service.reach_milestone(ref, "transfer_approved", actor="gm", at=sh(2026, 2, 13, 15))
    service.reach_milestone(ref, "pm_received", actor="production_manager", at=sh(2026, 2, 13, 16))
    assert "accountability" not in clock_names(service, ref)


def test_p2_dl_03_packaging_opinion_on_the_2nd_working_day(service: CaseService, sh: Maker) -> None:
    intake = Intake(customer="北京客户", channel=Channel.PHONE, category="packaging")
    ref = service.receive(intake, actor="cs", at=sh(2026, 9, 29), policy_id="furniture").case_id
    assert "opinion" not in clock_names(service, ref)
    # Handed over (signed slip) Wed 2026-09-30: [10-01..10-07 National Day], Thu 10-08 (1), Fri 10-09 (2).
    service.reach_milestone(ref, "transfer_approved", actor="gm", at=sh(2026, 9, 30, 14))
    service.reach_milestone(ref, "transferred", actor="cs_director", at=sh(2026, 9, 30, 15))
    opinion = deadline(service, ref, "opinion")
    assert opinion.rule_id == "P2-DL-03"
    assert opinion.due == end_of(2026, 10, 9)


@pytest.mark.parametrize("category", ["product_quality", "grievance"])
def test_p2_dl_03_p2_dl_04_no_opinion_clock_for_other_categories(
    service: CaseService, sh: Maker, category: str
) -> None:
    intake = Intake(customer="北京客户", channel=Channel.PHONE, category=category)
    ref = service.receive(intake, actor="cs", at=sh(2026, 9, 29), policy_id="furniture").case_id
    service.reach_milestone(ref, "transfer_approved", actor="gm", at=sh(2026, 9, 30, 14))
    service.reach_milestone(ref, "transferred", actor="cs_director", at=sh(2026, 9, 30, 15))
    assert "opinion" not in clock_names(service, ref)


@pytest.mark.parametrize(
    ("transferred", "due"),
    [
        # Fri 2026-10-09: Sat 10-10 (1, make-up working day), [Sun 10-11], Mon 10-12 (2).
        (datetime(2026, 10, 9, 11, tzinfo=SH), end_of(2026, 10, 12)),
        # Sun 2026-09-27, a Mid-Autumn rest day: counting starts at Mon 09-28 (1), then Tue 09-29 (2).
        (datetime(2026, 9, 27, 11, tzinfo=SH), end_of(2026, 9, 29)),
    ],
)
def test_p2_dl_04_service_quality_opinion_on_the_2nd_working_day(
    service: CaseService, sh: Maker, transferred: datetime, due: datetime
) -> None:
    intake = Intake(customer="北京客户", channel=Channel.PHONE, category="service_quality")
    ref = service.receive(intake, actor="cs", at=sh(2026, 9, 24), policy_id="furniture").case_id
    service.reach_milestone(ref, "transfer_approved", actor="gm", at=transferred)
    service.reach_milestone(ref, "transferred", actor="cs_director", at=transferred)
    opinion = deadline(service, ref, "opinion")
    assert opinion.rule_id == "P2-DL-04"
    assert opinion.due == due


@pytest.mark.parametrize(
    ("category", "handed_over"), [("packaging", "transferred"), ("product_quality", "pm_received")]
)
def test_p2_esc_01_a_case_is_handed_over_only_after_the_gm_approves_the_transfer(
    service: CaseService, sh: Maker, category: str, handed_over: str
) -> None:
    """The hand-off started the handler's clock with no GM approval on record (P2-ESC-01, P2-LC-04/05)."""
    intake = Intake(customer="北京客户", channel=Channel.PHONE, category=category)
    ref = service.receive(intake, actor="cs", at=sh(2026, 9, 29), policy_id="furniture").case_id
    with pytest.raises(RuleViolation) as err:
        service.reach_milestone(ref, handed_over, actor="cs_director", at=sh(2026, 9, 30, 15))
    assert err.value.rule == "P2-LC-05" and "needs transfer_approved (Transfer approved by the GM) first" in str(
        err.value
    )
    assert not clock_names(service, ref) & {"opinion", "memo", "accountability"}  # nothing started
    service.reach_milestone(ref, "transfer_approved", actor="gm", at=sh(2026, 9, 30, 15))
    case = service.reach_milestone(ref, handed_over, actor="cs_director", at=sh(2026, 9, 30, 16))
    assert [m.name for m in case.milestones] == ["transfer_approved", handed_over]


# --- P3 auto-dealer --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("investigating", "due"),
    [
        # Taken on Sat 2026-02-14, a make-up working day (day 0): next working day is Tue 02-24 after Spring Festival.
        (datetime(2026, 2, 14, 10, tzinfo=SH), end_of(2026, 2, 24)),
        # Taken on Wed 2026-09-30: [10-01..10-07 National Day], Thu 10-08 (1).
        (datetime(2026, 9, 30, 15, tzinfo=SH), end_of(2026, 10, 8)),
    ],
)
def test_p3_dl_01_solution_within_1_working_day(service: CaseService, investigating: datetime, due: datetime) -> None:
    intake = Intake(customer="车主", channel=Channel.PHONE, category="repair_quality")
    received = investigating.replace(hour=8)
    ref = service.receive(intake, actor="cr_advisor", at=received, policy_id="auto-dealer").case_id
    service.register(ref, actor="cr_manager", at=received.replace(hour=9))
    assert "solution" not in clock_names(service, ref)
    service.start_investigation(ref, actor="service_manager", at=investigating)
    solution = deadline(service, ref, "solution")
    assert solution.rule_id == "P3-DL-01"
    assert solution.due == due


def test_e4_dl_02_a_major_complaint_is_reported_to_brand_and_legal_within_24_hours(
    service: CaseService, sh: Maker
) -> None:
    """E4-DL-02 (auto-dealer v5): found major, the store reports it to the brand department and legal within
    24 hours; a report in time stops the clock, and no reminder follows."""
    intake = Intake(customer="车主", channel=Channel.PHONE, category="repair_quality")
    ref = service.receive(intake, actor="cr", at=sh(2026, 11, 2), policy_id="auto-dealer").case_id
    assert "brand_legal_report" not in clock_names(service, ref)  # only a major complaint owes it
    service.flag_major(ref, actor="cr", reason="媒体负面报道", at=sh(2026, 11, 2, 10))
    report = deadline(service, ref, "brand_legal_report")
    assert (report.rule_id, report.due) == ("E4-DL-02", sh(2026, 11, 3, 10))
    service.reach_milestone(ref, "reported_to_brand_legal", actor="cr", at=sh(2026, 11, 3, 9))
    assert deadline(service, ref, "brand_legal_report").met is True
    assert [a.clock for a in service.sweep(now=sh(2026, 11, 4))] == ["major_alert"] * 3  # manager, GM, COO


# --- P4 service ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("filed", "first_due", "close_due"),
    [
        # Filed Fri 2026-02-13 17:30: Sat 02-14 (1, make-up working day), [02-15..02-23], Tue 02-24 (2).
        (datetime(2026, 2, 13, 17, 30, tzinfo=SH), end_of(2026, 2, 14), end_of(2026, 2, 24)),
        # Filed Thu 2026-10-01, a holiday: counting starts at Thu 10-08 (1), then Fri 10-09 (2).
        (datetime(2026, 10, 1, 10, tzinfo=SH), end_of(2026, 10, 8), end_of(2026, 10, 9)),
    ],
)
def test_p4_dl_01_internal_first_investigation_1_and_close_2_working_days(
    service: CaseService, filed: datetime, first_due: datetime, close_due: datetime
) -> None:
    intake = Intake(customer="前台", channel=Channel.LETTER, category="attitude", kind=CaseKind.INTERNAL)
    ref = service.receive(intake, actor="gm_secretary", at=filed, policy_id="service").case_id
    first = deadline(service, ref, "first_investigation")
    close = deadline(service, ref, "close")
    assert (first.rule_id, close.rule_id) == ("P4-DL-01", "P4-DL-01")
    assert first.due == first_due
    assert close.due == close_due


def test_p4_dl_01_the_first_investigation_is_done_when_the_ticket_goes_to_the_accused_head(
    service: CaseService, sh: Maker
) -> None:
    """P4-DL-01 「初次调查不超过1个工作日」 (service v6): the first investigation may take 1 working day, so its clock
    runs until the GM secretary forwards the ticket to the accused head (P4-LC-04), not until it starts: one
    started at once and forwarded 3 working days later was shown in time."""
    intake = Intake(customer="前台", channel=Channel.LETTER, category="attitude", kind=CaseKind.INTERNAL)
    ref = service.receive(intake, actor="gm_secretary", at=sh(2026, 11, 2), policy_id="service").case_id
    service.register(ref, actor="gm_secretary", at=sh(2026, 11, 2, 9, 5))
    service.start_investigation(ref, actor="gm_secretary", at=sh(2026, 11, 2, 9, 10))
    assert deadline(service, ref, "first_investigation").stopped_at is None
    service.reach_milestone(ref, "forwarded_to_head", actor="gm_secretary", at=sh(2026, 11, 5))
    first = deadline(service, ref, "first_investigation")
    assert (first.due, first.stopped_at) == (end_of(2026, 11, 3), sh(2026, 11, 5))
    assert first.met is False
    assert deadline(service, ref, "head_reply").due == end_of(2026, 11, 6)  # the head's 1 WD starts there


def test_p4_dl_01_not_for_external_tickets(service: CaseService) -> None:
    intake = Intake(customer="客户", channel=Channel.PHONE, category="attitude", kind=CaseKind.EXTERNAL)
    ref = service.receive(intake, actor="cs", at=datetime(2026, 2, 13, 17, 30, tzinfo=SH), policy_id="service").case_id
    assert not {"first_investigation", "close"} & clock_names(service, ref)


@pytest.mark.parametrize(
    ("head_replied", "due"),
    [
        # Head replies on Sat 2026-09-19 (rest day): the next working day is the make-up Sunday 09-20 (1).
        (datetime(2026, 9, 19, 11, tzinfo=SH), end_of(2026, 9, 20)),
        # Head replies on Wed 2026-09-30: [10-01..10-07 National Day], Thu 10-08 (1).
        (datetime(2026, 9, 30, 16, tzinfo=SH), end_of(2026, 10, 8)),
    ],
)
def test_p4_dl_05_cs_tells_the_customer_within_1_working_day_of_the_heads_reply(
    service: CaseService, sh: Maker, head_replied: datetime, due: datetime
) -> None:
    intake = Intake(customer="客户", channel=Channel.PHONE, category="quality", kind=CaseKind.EXTERNAL)
    ref = service.receive(intake, actor="cs", at=sh(2026, 9, 18), policy_id="service").case_id
    service.reach_milestone(ref, "forwarded_to_head", actor="cs", at=sh(2026, 9, 18, 14))
    assert "customer_reply" not in clock_names(service, ref)
    service.reach_milestone(ref, "head_replied", actor="head", at=head_replied)
    customer_reply = deadline(service, ref, "customer_reply")
    assert customer_reply.rule_id == "P4-DL-05"
    assert customer_reply.due == due


def test_p4_dl_05_not_for_internal_tickets(service: CaseService, sh: Maker) -> None:
    intake = Intake(customer="前台", channel=Channel.LETTER, category="attitude", kind=CaseKind.INTERNAL)
    ref = service.receive(intake, actor="gm_secretary", at=sh(2026, 9, 18), policy_id="service").case_id
    service.reach_milestone(ref, "forwarded_to_head", actor="gm_secretary", at=sh(2026, 9, 18, 14))
    service.reach_milestone(ref, "head_replied", actor="head", at=sh(2026, 9, 19, 11))
    assert "customer_reply" not in clock_names(service, ref)
