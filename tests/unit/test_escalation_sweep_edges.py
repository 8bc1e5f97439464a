"""Escalation behaviour pinned down by mutation testing: the sweep's shortcuts never change what it finds."""

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import attrs
import pytest

from adapters.policy_files import load_preset
from complaint_core import (
    Channel,
    ClockRule,
    Intake,
    Labels,
    LadderLevel,
    Limit,
    PromiseMode,
    RemedyKind,
    TableCalendar,
)
from complaint_core.case import Case, CaseStatus
from complaint_core.errors import InvalidInstant, NotFound
from complaint_core.escalation import (
    clock_days_late,
    deemed_waivers,
    due_actions,
    due_floors,
    inquiries,
    lateness_days,
    overdue_deadlines,
    status_at,
    sweep,
)
from complaint_core.policy import CaseKind, ClockCondition, EscalationAction, Policy, TimeUnit
from complaint_core.responsibility import Party, PartyKind, Responsibility

Maker = Callable[..., datetime]
NY = ZoneInfo("America/New_York")
SH = ZoneInfo("Asia/Shanghai")
INTAKE = Intake(customer="华东电子", channel=Channel.PHONE, category="quality")


def close_limit(policy: Policy, limit: Limit, zone: str = "Asia/Shanghai") -> Policy:
    """``policy`` with every rule of the P1-DL-01 close clock on ``limit``, in ``zone``."""
    clocks = tuple(attrs.evolve(r, limit=limit) if r.name == "close" else r for r in policy.clocks)
    return attrs.evolve(policy, clocks=clocks, zone=zone)


def registered(policy: Policy, at: datetime) -> Case:
    case, _ = Case.receive(policy, case_id=uuid4(), intake=INTAKE, at=at, actor="sales")
    case, _ = case.register(policy, at=at, actor="gm_office", number="261101")
    return case


def closed_case(policy: Policy, closed: datetime, *, settle: bool = False) -> Case:
    """A case registered 2026-11-02 10:00 (Shanghai) and closed at ``closed`` (its steps in the minutes before)."""
    case = registered(policy, datetime(2026, 11, 2, 10, tzinfo=SH))
    steps: list[tuple[str, dict[str, Any]]] = [
        ("start_investigation", {}),
        ("attribute", {"causer": Responsibility.sole(Party(PartyKind.DEPARTMENT, "production"))}),
        ("propose", {"kind": RemedyKind.EXPLANATION, "amount": Decimal("0.00")}),
        ("approve", {"role": "gm"}),
        ("reply_to_customer", {"message": "说明", "reaction": "accepted"}),
    ]
    for minutes, (command, kw) in enumerate(steps, start=-len(steps)):
        case, _ = getattr(case, command)(policy, at=closed + timedelta(minutes=minutes), actor="u", **kw)
    case, _ = case.close(policy, at=closed, actor="gm_office")
    if settle:
        case, _ = case.settle(policy, at=closed, actor="gm_office")
    return case


def swept(case: Case, policy: Policy, calendar: TableCalendar, now: datetime) -> list[tuple[str, int]]:
    return [(a.clock, a.level) for a in sweep([case], lambda _: policy, lambda _: calendar, now)]


def test_p1_esc_01_a_same_day_limit_escalates_the_night_after(
    manufacturing: Policy, cn: TableCalendar, sh: Maker
) -> None:
    """P1-ESC-01: a 0-calendar-day clock is due at the end of its start day; the sweep just after midnight sends the
    reminder, though less than a day has passed since the start (the sweep's lower bound of the due is 0 days)."""
    policy = close_limit(manufacturing, Limit(0, TimeUnit.CALENDAR_DAYS))
    case = registered(policy, sh(2026, 11, 2, 10))
    assert swept(case, policy, cn, sh(2026, 11, 2, 23)) == []
    assert swept(case, policy, cn, sh(2026, 11, 3, 0, 30)) == [("close", 1)]


def test_p1_esc_01_a_one_day_limit_over_the_spring_forward_night_is_not_skipped(
    manufacturing: Policy, cn: TableCalendar
) -> None:
    """P1-ESC-01 / DOMAIN §5: a 1-calendar-day clock started late on the eve of a 23-hour day is due less than 24
    hours later; the reminder fires in the half hour after that due, not only a full day after the start."""
    policy = close_limit(manufacturing, Limit(1, TimeUnit.CALENDAR_DAYS), zone="America/New_York")
    case = registered(policy, datetime(2026, 3, 7, 23, 30, tzinfo=NY))  # Sat; Sun 2026-03-08 has 23 hours
    assert swept(case, policy, cn, datetime(2026, 3, 8, 23, 59, tzinfo=NY)) == []
    assert swept(case, policy, cn, datetime(2026, 3, 9, 0, 15, tzinfo=NY)) == [("close", 1)]


def test_p1_esc_01_a_one_month_limit_shortened_by_daylight_saving_is_not_skipped(
    manufacturing: Policy, cn: TableCalendar
) -> None:
    """P1-ESC-01 / DOMAIN §5: 1 calendar month from late on Sat 2026-02-28 ends with Sat 03-28, 28 days less half an
    hour later (February is short and the clocks went forward): the reminder fires right after that due."""
    policy = close_limit(manufacturing, Limit(1, TimeUnit.CALENDAR_MONTHS), zone="America/New_York")
    case = registered(policy, datetime(2026, 2, 28, 23, 30, tzinfo=NY))
    assert swept(case, policy, cn, datetime(2026, 3, 28, 23, 59, tzinfo=NY)) == []
    assert swept(case, policy, cn, datetime(2026, 3, 29, 0, 15, tzinfo=NY)) == [("close", 1)]


def test_f4_dl_03_a_promise_earlier_than_the_limit_escalates_at_the_promise(
    manufacturing: Policy, cn: TableCalendar, sh: Maker
) -> None:
    """F4-DL-03: a date promised inside the 24 hours is the deadline; the sweep escalates right after it, long before
    the 24 hours are over (the limit's lower bound does not hold for a promise)."""
    reply = ClockRule(
        name="reply",
        label=Labels("答复", "reply"),
        start="received",
        stop="replied",
        limit=Limit(24, TimeUnit.HOURS),
        promise=PromiseMode.TWO_STAGE,
        rule_id="F4-DL-03",
        ladder=(LadderLevel(after=Limit(0, TimeUnit.MINUTES), action=EscalationAction.REMINDER, target="handler"),),
    )
    policy = attrs.evolve(manufacturing, policy_id="f4", clocks=(reply,))
    case, _ = Case.receive(policy, case_id=uuid4(), intake=INTAKE, at=sh(2026, 11, 2, 9), actor="cs")
    case, _ = case.record_promise(
        policy, at=sh(2026, 11, 2, 10), actor="cs", clock="reply", due=sh(2026, 11, 2, 15), calendar=cn
    )
    assert swept(case, policy, cn, sh(2026, 11, 2, 15)) == []
    assert swept(case, policy, cn, sh(2026, 11, 2, 15, 1)) == [("reply", 1)]


def test_p4_dl_06_a_clock_awaiting_its_promise_gives_nothing_without_the_floors(cn: TableCalendar, sh: Maker) -> None:
    """P4-DL-06: the promised-reply clock has no due until a date is promised, so nothing escalates on it; the
    result of ``due_actions`` is the same with or without the sweep's ``floors`` shortcut."""
    policy = load_preset("service")
    case, _ = Case.receive(policy, case_id=uuid4(), intake=INTAKE, at=sh(2026, 11, 2), actor="cs")
    assert case.clock("promised_reply").stopped_at is None and case.clock("promised_reply").promise is None
    now = sh(2026, 11, 30)
    assert due_actions(case, policy, cn, now) == due_actions(case, policy, cn, now, floors=due_floors(policy)) == []
    promised, _ = case.record_promise(
        policy, at=sh(2026, 11, 2, 10), actor="cs", clock="promised_reply", due=sh(2026, 11, 4, 17), calendar=cn
    )
    assert [(a.clock, a.level, a.due) for a in due_actions(promised, policy, cn, now)] == [
        ("promised_reply", 1, sh(2026, 11, 4, 17))
    ]


def waiver_ladder(*actions: str) -> tuple[LadderLevel, ...]:
    """Rungs an hour apart, the first at the due."""
    return tuple(
        LadderLevel(after=Limit(i, TimeUnit.HOURS), action=EscalationAction(a), target="accused_department")
        for i, a in enumerate(actions)
    )


def test_p4_dl_03_deemed_waivers_are_the_levels_up_to_each_clocks_last_waiver(cn: TableCalendar, sh: Maker) -> None:
    """P4-DL-03: a command records, per running clock, the due levels up to its last due deemed waiver (each once, in
    order, the reminders before a waiver included); the levels after it are the sweep's, and never carried over to
    another clock's waiver."""
    base = load_preset("service")
    ladders = {
        "close": waiver_ladder("waive", "reminder"),
        "head_reply": waiver_ladder("reminder", "waive", "reminder", "waive", "reminder"),
    }
    clocks = tuple(attrs.evolve(r, ladder=ladders[r.name]) if r.name in ladders else r for r in base.clocks)
    policy = attrs.evolve(base, clocks=clocks)
    intake = Intake(customer="前台", channel=Channel.PHONE, category="attitude", kind=CaseKind.INTERNAL)
    case, _ = Case.receive(policy, case_id=uuid4(), intake=intake, at=sh(2026, 11, 2, 9), actor="gm_secretary")
    case, _ = case.reach_milestone(policy, milestone="forwarded_to_head", at=sh(2026, 11, 2, 10), actor="gm_secretary")
    now = sh(2026, 11, 5, 12)  # head_reply was due at the end of 11-03, close at the end of 11-04
    assert [(a.clock, a.level) for a in due_actions(case, policy, cn, now)] == [
        ("close", 1),
        ("close", 2),
        ("head_reply", 1),
        ("head_reply", 2),
        ("head_reply", 3),
        ("head_reply", 4),
        ("head_reply", 5),
    ]
    assert [(a.clock, a.level, a.action) for a in deemed_waivers(case, policy, cn, now)] == [
        ("close", 1, EscalationAction.WAIVE),
        ("head_reply", 1, EscalationAction.REMINDER),
        ("head_reply", 2, EscalationAction.WAIVE),
        ("head_reply", 3, EscalationAction.REMINDER),
        ("head_reply", 4, EscalationAction.WAIVE),
    ]


def test_sweep_refuses_a_naive_now(manufacturing: Policy, cn: TableCalendar) -> None:
    """DOMAIN §4: every instant is aware; a sweep at a naive ``now`` is refused, even over no cases."""
    with pytest.raises(InvalidInstant):
        sweep([], lambda _: manufacturing, lambda _: cn, datetime(2026, 11, 20, 9))


def test_sweep_never_asks_for_the_policy_of_a_settled_case(manufacturing: Policy, cn: TableCalendar, sh: Maker) -> None:
    """DOMAIN §5: a settled case, like a closed one, has nothing to chase: its policy (here a retired version that no
    longer loads) is never looked up, and the open case after it is swept."""
    case = closed_case(manufacturing, sh(2026, 11, 20, 15), settle=True)
    assert case.status is CaseStatus.SETTLED
    retired = attrs.evolve(case, policy_version=manufacturing.version + 99)
    late = registered(manufacturing, sh(2026, 11, 2, 10))
    asked: list[int] = []

    def policy_for(c: Case) -> Policy:
        asked.append(c.policy_version)
        if c.policy_version != manufacturing.version:
            raise NotFound(f"no policy version {c.policy_version}")
        return manufacturing

    found = sweep([retired, late], policy_for, lambda _: cn, sh(2026, 11, 30, 9))
    assert [(a.case_id, a.level) for a in found] == [(late.case_id, 1), (late.case_id, 2), (late.case_id, 3)]
    assert asked == [manufacturing.version]


def test_sweep_takes_each_cases_policy_version_not_only_its_policy_id(
    manufacturing: Policy, cn: TableCalendar, sh: Maker
) -> None:
    """DOMAIN §5: a case runs its own policy version; two cases of one policy id under different versions are swept
    each under its own (here version 2 gives 1 day to close instead of 13)."""
    v2 = attrs.evolve(close_limit(manufacturing, Limit(1, TimeUnit.CALENDAR_DAYS)), version=manufacturing.version + 1)
    old = registered(manufacturing, sh(2026, 11, 2, 10))
    new = registered(v2, sh(2026, 11, 2, 10))
    versions = {p.version: p for p in (manufacturing, v2)}
    now = sh(2026, 11, 4, 9)  # v2's close was due at the end of 11-03; v1's only on 11-15
    for cases in ([old, new], [new, old]):
        found = sweep(cases, lambda c: versions[c.policy_version], lambda _: cn, now)
        assert [(a.case_id, a.clock, a.level) for a in found] == [(new.case_id, "close", 1)]


def test_sweep_asks_for_each_policys_calendar_once(manufacturing: Policy, cn: TableCalendar, sh: Maker) -> None:
    """DOMAIN §5: ``calendar_for`` is called once per distinct policy, however the cases of two policies alternate."""
    foreign = attrs.evolve(manufacturing, policy_id="manufacturing-b")
    policies = {p.policy_id: p for p in (manufacturing, foreign)}
    cases = [registered(policies[pid], sh(2026, 11, 2, 10)) for pid in ("manufacturing", "manufacturing-b") * 2]
    asked: list[str] = []

    def calendar_for(policy: Policy) -> TableCalendar:
        asked.append(policy.policy_id)
        return cn

    found = sweep(cases, lambda c: policies[c.policy_id], calendar_for, sh(2026, 11, 30, 9))
    assert len(found) == 12
    assert asked == ["manufacturing", "manufacturing-b"]


def test_p1_esc_02_the_inquiry_goes_to_the_first_rungs_role_else_the_late_department(
    manufacturing: Policy, cn: TableCalendar, sh: Maker
) -> None:
    """P1-ESC-02: the 洽办单 goes to the role of the clock's first ladder rung; a clock without a ladder sends it to
    the late department."""
    first = LadderLevel(after=Limit(0, TimeUnit.MINUTES), action=EscalationAction.REMINDER, target="department_head")

    def targets(ladder: tuple[LadderLevel, ...]) -> list[tuple[str, str]]:
        clocks = tuple(attrs.evolve(r, ladder=ladder) if r.name == "close" else r for r in manufacturing.clocks)
        policy = attrs.evolve(manufacturing, clocks=clocks)
        case = closed_case(policy, sh(2026, 11, 20, 15))
        return [(i.clock, i.target) for i in inquiries([case], lambda _: policy, lambda _: cn, sh(2026, 11, 21))]

    found = targets((first,)) + targets(())
    assert found == [("close", "department_head"), ("close", "late_department")]


def test_p1_esc_02_inquiries_window_is_since_exclusive_now_inclusive_and_sorted(
    manufacturing: Policy, cn: TableCalendar, sh: Maker
) -> None:
    """P1-ESC-02: ``inquiries`` covers the cases closed in ``(since, now]``, so consecutive runs issue each inquiry
    exactly once; open cases are passed over; the result is sorted by (case id, clock) whatever the input order."""
    closed_at = sh(2026, 11, 20, 15)
    late = [closed_case(manufacturing, closed_at) for _ in range(2)]
    still_open = registered(manufacturing, sh(2026, 11, 2, 10))
    cases = [still_open, *sorted(late, key=lambda c: c.case_id, reverse=True)]

    def run(now: datetime, since: datetime | None = None) -> list[Any]:
        return [(i.case_id, i.clock) for i in inquiries(cases, lambda _: manufacturing, lambda _: cn, now, since=since)]

    every = sorted((c.case_id, "close") for c in late)
    assert run(closed_at) == every  # closed at the very ``now``: in this run
    assert run(closed_at, since=closed_at - timedelta(seconds=1)) == every
    assert run(closed_at + timedelta(days=1), since=closed_at) == []  # ... and not again in the next one
    assert run(closed_at - timedelta(seconds=1)) == []


def test_inquiries_refuse_a_naive_now(manufacturing: Policy, cn: TableCalendar) -> None:
    """DOMAIN §4: every instant is aware; the audit at a naive ``now`` is refused, even over no cases."""
    with pytest.raises(InvalidInstant):
        inquiries([], lambda _: manufacturing, lambda _: cn, datetime(2026, 11, 20, 9))


def test_p4_pen_05_lateness_in_working_days_needs_a_calendar() -> None:
    """P4-PEN-05 / P4-ESC-03: full days late in working days cannot be counted without a working calendar: a clear
    ``ValueError``, not a failure deep inside."""
    due, end = datetime(2026, 11, 6, 23, 59, tzinfo=SH), datetime(2026, 11, 10, 10, tzinfo=SH)
    assert lateness_days(due, end, unit=TimeUnit.CALENDAR_DAYS, calendar=None, tz=SH) == 3
    with pytest.raises(ValueError, match="needs a working calendar"):
        lateness_days(due, end, unit=TimeUnit.WORKING_DAYS, calendar=None, tz=SH)


def test_p4_pen_05_days_late_on_a_clock_the_policy_has_no_rule_for(
    manufacturing: Policy, cn: TableCalendar, sh: Maker
) -> None:
    """P4-PEN-05: asking the days late of a clock the case ran under a policy that has no rule for it is
    ``NotFound`` naming the clock."""
    case = registered(manufacturing, sh(2026, 11, 2, 10))
    assert clock_days_late(case, manufacturing, cn, "close", sh(2026, 11, 20, 10)) == 4
    without = attrs.evolve(manufacturing, clocks=tuple(r for r in manufacturing.clocks if r.name != "close"))
    with pytest.raises(NotFound, match="'close'"):
        clock_days_late(case, without, cn, "close", sh(2026, 11, 20, 10))


def test_p4_pen_05_at_the_due_instant_a_step_is_not_late(manufacturing: Policy, cn: TableCalendar, sh: Maker) -> None:
    """P4-PEN-05 / DOMAIN §5: at its due instant a step is still in time (None: not sat on at all); a microsecond
    later it is late by 0 full days."""
    case = registered(manufacturing, sh(2026, 11, 2, 10))
    due = datetime(2026, 11, 15, 23, 59, 59, 999999, tzinfo=SH)
    assert clock_days_late(case, manufacturing, cn, "close", due) is None
    assert clock_days_late(case, manufacturing, cn, "close", due + timedelta(microseconds=1)) == 0
    assert [d.clock for d in overdue_deadlines(case, manufacturing, cn, due)] == []
    assert [d.clock for d in overdue_deadlines(case, manufacturing, cn, due + timedelta(microseconds=1))] == ["close"]


def test_p1_esc_01_a_rung_fires_only_after_its_time(manufacturing: Policy, cn: TableCalendar, sh: Maker) -> None:
    """P1-ESC-01: a level fires once its time (due + the rung's offset) is past: at the very end of Mon 2026-11-16
    (due + 1 WD) the department head is not yet escalated to, a microsecond later it is."""
    case = registered(manufacturing, sh(2026, 11, 2, 10))
    second = datetime(2026, 11, 16, 23, 59, 59, 999999, tzinfo=SH)
    assert swept(case, manufacturing, cn, second) == [("close", 1)]
    assert swept(case, manufacturing, cn, second + timedelta(microseconds=1)) == [("close", 1), ("close", 2)]


def test_p4_dl_06_days_late_on_a_promised_date(cn: TableCalendar, sh: Maker) -> None:
    """P4-DL-06 / P4-PEN-05: a clock without a limit has no due until a date is promised (None: never late); past the
    promised date its lateness counts calendar days."""
    policy = load_preset("service")
    case, _ = Case.receive(policy, case_id=uuid4(), intake=INTAKE, at=sh(2026, 11, 2), actor="cs")
    assert clock_days_late(case, policy, cn, "promised_reply", sh(2026, 11, 30)) is None
    assert "promised_reply" not in [d.clock for d in overdue_deadlines(case, policy, cn, sh(2026, 11, 30))]
    promised, _ = case.record_promise(
        policy, at=sh(2026, 11, 2, 10), actor="cs", clock="promised_reply", due=sh(2026, 11, 4, 17), calendar=cn
    )
    assert clock_days_late(promised, policy, cn, "promised_reply", sh(2026, 11, 4, 17)) is None
    assert clock_days_late(promised, policy, cn, "promised_reply", sh(2026, 11, 9, 16)) == 4  # Nov 5..8 are over


def test_status_at_counts_a_step_taken_at_that_very_moment(manufacturing: Policy, sh: Maker) -> None:
    """An overdue list at a past moment (``report overdue --at``) takes the case's status then: its last step at or
    before that moment, so a case registered at 10:00 is registered at 10:00."""
    case, _ = Case.receive(manufacturing, case_id=uuid4(), intake=INTAKE, at=sh(2026, 11, 2, 9), actor="sales")
    case, _ = case.register(manufacturing, at=sh(2026, 11, 2, 10), actor="gm_office", number="261101")
    assert status_at(case, sh(2026, 11, 2, 9)) is CaseStatus.RECEIVED
    assert status_at(case, sh(2026, 11, 2, 10)) is CaseStatus.REGISTERED


def test_p3_esc_01_a_clock_whose_rule_no_longer_applies_is_passed_over(cn: TableCalendar, sh: Maker) -> None:
    """P3-ESC-01: with the alert rule for major cases only, a case classified major and then back to general keeps
    its running alert clock, but no rule applies to it any more: the sweep and the overdue list pass it over and go
    on with the case's other clocks (E4-DL-02's 24 h report)."""
    base = load_preset("auto-dealer")
    major_only = ClockCondition(severities=frozenset({"major"}))
    clocks = tuple(attrs.evolve(r, when=major_only) if r.name == "major_alert" else r for r in base.clocks)
    policy = attrs.evolve(base, clocks=clocks)
    intake = Intake(customer="车主", channel=Channel.PHONE, category="repair_quality")
    case, _ = Case.receive(policy, case_id=uuid4(), intake=intake, at=sh(2026, 11, 2, 9), actor="cr")
    case, _ = case.classify(policy, at=sh(2026, 11, 2, 10), actor="cr", severity="major")
    assert {a.clock for a in sweep([case], lambda _: policy, lambda _: cn, sh(2026, 11, 2, 10, 5))} == {"major_alert"}
    case, _ = case.classify(policy, at=sh(2026, 11, 2, 11), actor="cr", severity="general")
    assert case.clock("major_alert").stopped_at is None
    now = sh(2026, 11, 4, 9)
    swept = sweep([case], lambda _: policy, lambda _: cn, now)
    assert [(a.clock, a.rule_id) for a in swept] == [("brand_legal_report", "E4-DL-02")]
    assert [(a.clock, a.level) for a in due_actions(case, policy, cn, now)] == [("brand_legal_report", 1)]
    assert [d.clock for d in overdue_deadlines(case, policy, cn, now)] == ["brand_legal_report"]
