"""Each definition of the monthly report (DOMAIN §10, ``complaint_core.report``'s docstring) at its edges.

``test_report.py`` works one hand-built month out in full; these tests pin what that month does not reach:
rounding, the department of a case, the handling-time median and p90, lateness in working days and for a
promised date, repeats under a window, the order of the lines, and the labels. Cases are built with the pure
core in November 2026 (1 Nov is a Sunday; no holiday in the month), manufacturing preset unless said.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import attrs
import pytest
from builders import extended

from adapters.calendars import china_calendar
from adapters.policy_files import load_preset
from complaint_core import (
    Case,
    Channel,
    FollowUp,
    Intake,
    Labels,
    Limit,
    Party,
    PartyKind,
    Policy,
    RemedyKind,
    Responsibility,
    TimeUnit,
    Visit,
    VisitKind,
    VisitStatus,
)
from complaint_core.organisation import Department, DepartmentKind, GroupUnit, Organisation, Person
from complaint_core.policy import Category, Severity
from complaint_core.report import (
    UNASSIGNED,
    CalendarFor,
    MonthlyReport,
    Rate,
    _handling,
    closing_time,
    department_of,
    duration_days,
    monthly_report,
    weeks_of,
)
from complaint_core.responsibility import FaultShare

SH = ZoneInfo("Asia/Shanghai")
MANUFACTURING = load_preset("manufacturing")
CALENDAR = china_calendar()
ORG = Organisation(
    departments=(
        Department("smt", "SMT 车间", DepartmentKind.MANUFACTURING),
        Department("sales", "销售部", DepartmentKind.SALES),
        Department("warehouse", "仓库", DepartmentKind.WAREHOUSE),
    ),
    units=(GroupUnit("line2", "二线班组", "smt"),),
    people=(Person(id="p1", name="王五", department="sales"),),
)


def sh(day: int, hour: int = 9) -> datetime:
    """A November 2026 instant in Shanghai."""
    return datetime(2026, 11, day, hour, tzinfo=SH)


def party(kind: PartyKind, code: str) -> Responsibility:
    return Responsibility.sole(Party(kind, code))


def shares(*parts: tuple[str, str]) -> Responsibility:
    return Responsibility(tuple(FaultShare(Party(PartyKind.DEPARTMENT, code), Decimal(s)) for code, s in parts))


def received(policy: Policy = MANUFACTURING, at: datetime | None = None) -> Case:
    intake = Intake(customer="甲", channel=Channel.PHONE, category="quality", cause_code="warp")
    case, _ = Case.receive(policy, case_id=uuid4(), intake=intake, at=at or sh(2), actor="sales")
    return case


def closed(
    at: datetime,
    done: datetime,
    *,
    policy: Policy = MANUFACTURING,
    number: str = "N1",
    causer: Responsibility | None = None,
    delay: Responsibility | None = None,
    severity: str | None = None,
    promise: tuple[str, datetime] | None = None,
) -> Case:
    """A case received and registered at ``at`` and taken to closure at ``done``."""
    case = received(policy, at)
    case, _ = case.register(policy, at=at, actor="gm_office", number=number)
    if severity is not None:
        case, _ = case.classify(policy, at=at, actor="qa", severity=severity)
    if promise is not None:
        case, _ = case.record_promise(policy, at=at, actor="cs", clock=promise[0], due=promise[1], calendar=CALENDAR)
    case, _ = case.start_investigation(policy, at=at, actor="qa")
    case, _ = case.attribute(policy, at=at, actor="qa", causer=causer, delay=delay, no_fault=causer is None)
    case, _ = case.propose(policy, at=done, actor="sales", kind=RemedyKind.EXPLANATION, amount=Decimal("0.00"))
    case, _ = case.approve(policy, at=done, actor="gm", role="gm")
    case, _ = case.reply_to_customer(policy, at=done, actor="sales", message="ok")
    case, _ = case.close(policy, at=done, actor="gm_office")
    return case


def report(
    cases: list[Case],
    policy: Policy = MANUFACTURING,
    *,
    calendar_for: CalendarFor = lambda p: CALENDAR,
    org: Organisation | None = None,
    followups: tuple[FollowUp, ...] = (),
    month: str = "2026-11",
) -> MonthlyReport:
    return monthly_report(
        cases, month=month, policy_for=lambda c: policy, calendar_for=calendar_for, org=org, followups=followups
    )


# ----- rates and durations ------------------------------------------------------------------------
def test_a_percentage_is_rounded_once_half_up() -> None:
    """0.149% shows as 0.1%; rounded twice (to 0.15% first) it would show 0.2%."""
    assert Rate(149, 100_000).percent() == "0.1%"
    assert Rate(1, 8).percent(0) == "13%"  # 12.5% half up
    assert Rate(0, 0).percent() == "-"


def test_a_duration_in_days_counts_seconds_and_microseconds() -> None:
    """864 µs is 1e-8 of a day, so the result is exact at 8 places."""
    assert duration_days(timedelta(days=3, hours=12, microseconds=864), places=8) == Decimal("3.50000001")
    assert duration_days(timedelta(hours=36)) == Decimal("1.50")


# ----- which month, which weeks -------------------------------------------------------------------
def test_the_closing_time_of_a_finished_case_and_of_one_left_not_established() -> None:
    assert closing_time(received()) is None
    done = closed(sh(2), sh(5, 15))
    assert closing_time(done) == sh(5, 15)
    settled, _ = done.settle(MANUFACTURING, at=sh(9), actor="finance")
    assert closing_time(settled) == sh(5, 15)  # the closure, not the settlement
    rejected, _ = received().register(MANUFACTURING, at=sh(2), actor="gm_office", number="N1")
    rejected, _ = rejected.find_not_established(MANUFACTURING, at=sh(4, 10), actor="qa", reason="使用不当")
    assert closing_time(rejected) == sh(4, 10)
    reopened, _ = rejected.petition(MANUFACTURING, at=sh(5), actor="qa", department="sales", reason="客户补充证据")
    assert closing_time(reopened) is None  # not established no longer: open again


def test_the_weeks_of_a_month_are_its_iso_weeks_once_each() -> None:
    assert weeks_of("2026-11") == ("2026-W44", "2026-W45", "2026-W46", "2026-W47", "2026-W48", "2026-W49")
    # 1 January 2027 is a Friday: the first days belong to 2026's last week
    assert weeks_of("2027-01") == ("2026-W53", "2027-W01", "2027-W02", "2027-W03", "2027-W04")


# ----- the department of a case -------------------------------------------------------------------
def test_the_department_is_the_causer_with_the_largest_share_first_on_ties() -> None:
    case = closed(sh(2), sh(3), causer=shares(("smt", "0.3"), ("sales", "0.7")))
    assert department_of(case, MANUFACTURING, None) == "sales"
    tied = closed(sh(2), sh(3), causer=shares(("smt", "0.5"), ("sales", "0.5")))
    assert department_of(tied, MANUFACTURING, None) == "smt"


def test_a_person_or_unit_causer_is_placed_through_the_organisation() -> None:
    person = closed(sh(2), sh(3), causer=party(PartyKind.PERSON, "p1"))
    unit = closed(sh(2), sh(3), causer=party(PartyKind.GROUP_UNIT, "line2"))
    assert department_of(person, MANUFACTURING, ORG) == "sales"
    assert department_of(unit, MANUFACTURING, ORG) == "smt"


def test_without_the_organisation_or_outside_it_the_category_decides() -> None:
    """The quality category's handling department is ``quality`` in the manufacturing preset."""
    person = closed(sh(2), sh(3), causer=party(PartyKind.PERSON, "p1"))
    gone = closed(sh(2), sh(3), causer=party(PartyKind.PERSON, "p9"))
    unknown_unit = closed(sh(2), sh(3), causer=party(PartyKind.GROUP_UNIT, "line9"))
    external = closed(sh(2), sh(3), causer=party(PartyKind.CARRIER, "顺丰"))
    assert department_of(person, MANUFACTURING, None) == "quality"
    assert [department_of(c, MANUFACTURING, ORG) for c in (gone, unknown_unit, external)] == ["quality"] * 3


def test_a_category_without_a_department_or_unknown_to_the_policy_is_unassigned() -> None:
    case = closed(sh(2), sh(3))
    quality = Category(code="quality", label=Labels("质量", "Quality"))
    no_department = attrs.evolve(MANUFACTURING, categories=(quality, *MANUFACTURING.categories[1:]))
    renamed = attrs.evolve(MANUFACTURING, categories=(attrs.evolve(quality, code="q2", department="smt"),))
    assert department_of(case, no_department, None) == UNASSIGNED
    assert department_of(case, renamed, None) == UNASSIGNED


# ----- handling time ------------------------------------------------------------------------------
def test_the_median_of_an_odd_count_is_the_middle_value() -> None:
    h = _handling([timedelta(days=5), timedelta(days=1), timedelta(days=2)])
    assert (h.median, h.p90) == (timedelta(days=2), timedelta(days=5))


def test_p90_is_the_nearest_rank_and_the_open_bucket_has_its_share() -> None:
    """120 values: ⌈0.9 × 120⌉ = 108th; a rank taken as ⌈90 n / 99⌉ or ⌈90 n / 101⌉ would be 110th or 107th."""
    values = [timedelta(hours=h + 1) for h in range(120)]
    h = _handling(list(reversed(values)))
    assert h.p90 == values[107]
    assert h.median == (values[59] + values[60]) / 2
    over = [b for b in h.buckets if b.upper_days is None]
    assert [(b.cases, b.share) for b in over] == [(0, Rate(0, 120))]
    late = _handling([timedelta(days=20), timedelta(days=1), timedelta(days=30)])
    assert [(b.upper_days, b.cases, b.share) for b in late.buckets][-2:] == [(15, 0, Rate(0, 3)), (None, 2, Rate(2, 3))]


# ----- lateness -----------------------------------------------------------------------------------
def test_a_working_day_clock_is_late_by_working_days() -> None:
    """Close within 2 working days of Wednesday 11-04: due Friday 11-06; closed Tuesday 11-10 at 09:00, after the
    weekend and Monday: 1 working day late (3 calendar days)."""
    limit = Limit(2, TimeUnit.WORKING_DAYS)
    clocks = tuple(attrs.evolve(c, limit=limit) if c.name == "close" else c for c in MANUFACTURING.clocks)
    policy = attrs.evolve(MANUFACTURING, clocks=clocks)
    case = closed(sh(4), sh(10), policy=policy, causer=party(PartyKind.DEPARTMENT, "smt"))
    (step,) = report([case], policy).audit
    assert (step.clock, step.days_late, step.working_days_late) == ("close", 1, 1)


def test_a_missed_promise_without_a_limit_is_late_by_calendar_days() -> None:
    """``open_date`` has no limit (its deadline is the promised date): promised 11-03 17:00, replied 11-06 09:00."""
    policy = extended(MANUFACTURING)
    case = closed(
        sh(2), sh(6), policy=policy, causer=party(PartyKind.DEPARTMENT, "smt"), promise=("open_date", sh(3, 17))
    )
    (step,) = [s for s in report([case], policy).audit if s.clock == "open_date"]
    assert (step.due, step.days_late, step.working_days_late) == (sh(3, 17), 2, 2)


def test_without_a_calendar_no_working_days_are_counted() -> None:
    late = closed(sh(2), sh(20), causer=party(PartyKind.DEPARTMENT, "smt"))  # 13 calendar days: due 11-15
    (step,) = report([late], calendar_for=lambda p: None).audit
    assert (step.days_late, step.working_days_late) == (4, None)


def test_a_late_case_names_its_late_clocks_and_the_delay_parties() -> None:
    late = closed(
        sh(2),
        sh(20),
        causer=party(PartyKind.DEPARTMENT, "smt"),
        delay=shares(("warehouse", "0.6"), ("sales", "0.4")),
    )
    r = report([late, closed(sh(2), sh(3), number="N2")])
    assert [line.late_clocks for line in r.cases] == [(), ("close",)]
    assert [(s.reference, s.delay_parties) for s in r.audit] == [("N1", ("warehouse", "sales"))]


# ----- order, repeats, labels, satisfaction -------------------------------------------------------
def test_lines_are_in_closing_order_and_the_audit_by_clock_then_time() -> None:
    """Given newest first, they come back oldest first; the audit orders the late ones by clock, then by when
    they stopped, then by reference."""
    smt = party(PartyKind.DEPARTMENT, "smt")
    cases = [
        closed(sh(2), sh(25), number="N1", causer=smt),
        closed(sh(3), sh(20), number="N3", causer=smt),
        closed(sh(3), sh(20), number="N2", causer=smt),
        closed(sh(4), sh(5), number="N4", causer=smt),
    ]
    r = report(cases)
    assert [line.reference for line in r.cases] == ["N4", "N2", "N3", "N1"]
    assert [(s.clock, s.reference) for s in r.audit] == [("close", "N2"), ("close", "N3"), ("close", "N1")]


def test_p4_cls_04_under_a_window_an_earlier_complaint_outside_it_is_no_repeat() -> None:
    """Without a window, the same issue received earlier in the month is a repeat; with a 1-day window it repeats
    only if the case recorded it when received (``repeat_count``), which the one a week later did not."""
    windowed = attrs.evolve(MANUFACTURING, repeat_window=Limit(1, TimeUnit.CALENDAR_DAYS))
    for policy, expected in ((MANUFACTURING, [False, True]), (windowed, [False, False])):
        cases = [closed(sh(2), sh(3), policy=policy), closed(sh(9), sh(10), policy=policy, number="N2")]
        assert [line.repeat for line in report(cases, policy).cases] == expected


def test_severities_and_departments_are_reported_with_their_labels() -> None:
    policy = attrs.evolve(MANUFACTURING, severities=(Severity(code="light", label=Labels("轻度", "Light")),))
    warehouse = party(PartyKind.DEPARTMENT, "warehouse")
    light = closed(sh(2), sh(3), policy=policy, severity="light", causer=warehouse)
    unclassified = closed(sh(2), sh(3), policy=policy, number="N2", causer=warehouse)
    r = report([light, unclassified], policy, org=ORG)
    assert [(g.key, g.label.zh) for g in r.by_severity] == [("light", "轻度"), ("unclassified", "未分级")]
    assert [(g.key, g.label) for g in r.by_department] == [("warehouse", Labels("仓库", "仓库"))]
    assert [(g.key, g.label.en) for g in report([light], policy).by_department] == [("warehouse", "warehouse")]


def visit(number: int, status: VisitStatus) -> Visit:
    return Visit(
        number=number,
        kind=VisitKind.AFTER_REPLY,
        rule_id="P2-DL-06",
        trigger=sh(20),
        due=sh(21),
        status=status,
        satisfaction="satisfied" if status is VisitStatus.REACHED else None,
    )


def test_unreachable_and_pending_visits_are_counted_apart() -> None:
    case = closed(sh(2), sh(3))
    statuses = (VisitStatus.UNREACHABLE, VisitStatus.UNREACHABLE, VisitStatus.OPEN, VisitStatus.REACHED)
    followup = FollowUp(
        followup_id=UUID(int=7),
        case_id=case.case_id,
        policy_id=case.policy_id,
        policy_version=case.policy_version,
        version=1,
        visits=tuple(visit(n, s) for n, s in enumerate(statuses, 1)),
        scheduled_at=sh(20),
        last_event_at=sh(20),
    )
    s = report([case], followups=(followup,)).satisfaction
    assert (s.reached, s.satisfied, s.unreachable, s.pending) == (1, 1, 2, 1)


@pytest.mark.parametrize("month", ["2026-11", "2026-12"])
def test_an_empty_report_has_every_week_of_its_month(month: str) -> None:
    assert tuple(w.week for w in report([], month=month).weeks) == weeks_of(month)
