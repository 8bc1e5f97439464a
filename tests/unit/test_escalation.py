"""Escalation: ladders, the sweep service, the closed-case audit, 压单 lateness, working-hours delivery."""

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import uuid4
from zoneinfo import ZoneInfo

import attrs
import pytest

from adapters.clock import FixedClock
from adapters.memory import MemoryStore, MemoryUnitOfWork
from complaint_core import CaseService, Channel, Intake, RemedyKind, TableCalendar, Validity
from complaint_core.case import Case
from complaint_core.errors import CalendarNotCovered, NotFound, RuleViolation, SweepIncomplete
from complaint_core.escalation import (
    clock_days_late,
    inquiries,
    lateness_days,
    overdue_deadlines,
    status_at,
    sweep,
)
from complaint_core.events import ClockEscalated
from complaint_core.policy import CaseKind, EscalationAction, Market, Policy, TimeUnit
from complaint_core.responsibility import Party, PartyKind, Responsibility
from complaint_core.working_hours import deliver_at
from entrypoints.bootstrap import bootstrap

Maker = Callable[..., datetime]
SH = ZoneInfo("Asia/Shanghai")
INTAKE = Intake(customer="华东电子", channel=Channel.PHONE, category="quality")


def end_of(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 23, 59, 59, 999999, tzinfo=SH)


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def service(store: MemoryStore, sh: Maker) -> CaseService:
    return bootstrap(uow=MemoryUnitOfWork(store), clock=FixedClock(sh(2026, 11, 2)))


def escalations(store: MemoryStore) -> list[ClockEscalated]:
    return [e for e in store.outbox if isinstance(e, ClockEscalated)]


def pure_sweep(service: CaseService, store: MemoryStore, now: datetime) -> tuple:
    return sweep(store.cases.values(), service.policy_of, service.calendar_for, now)


def test_the_sweep_tells_its_progress_case_by_case(service: CaseService, sh: Maker) -> None:
    """A long sweep shows progress (the CLI's bar): (done, total) after each case looked at, ending at total."""
    for _ in range(3):
        case = service.receive(INTAKE, actor="sales", at=sh(2026, 11, 2))
        service.register(case.case_id, actor="gm_office", at=sh(2026, 11, 2, 10))
    told: list[tuple[int, int]] = []
    preview = service.preview_sweep(service.uow, now=sh(2026, 11, 17, 9), progress=lambda *p: told.append(p))
    assert told == [(0, 3), (1, 3), (2, 3), (3, 3)]
    told.clear()
    assert service.sweep(now=sh(2026, 11, 17, 9), progress=lambda *p: told.append(p)) == preview
    assert told == [(0, 3), (1, 3), (2, 3), (3, 3)] and len(preview) == 6


def test_p1_dl_01_p1_esc_01_close_clock_ladder_fires_once_each_in_order(
    service: CaseService, store: MemoryStore, sh: Maker
) -> None:
    case = service.receive(INTAKE, actor="sales", at=sh(2026, 11, 2))
    service.register(case.case_id, actor="gm_office", at=sh(2026, 11, 2, 10))
    # 13 calendar days from Mon 2026-11-02: due at the end of Sun 2026-11-15.
    assert service.sweep(now=sh(2026, 11, 15, 23)) == ()
    first = service.sweep(now=sh(2026, 11, 16, 0, 30))
    assert [(a.clock, a.level, a.action, a.target) for a in first] == [
        ("close", 1, EscalationAction.REMINDER, "late_department")
    ]
    assert first[0].due == first[0].fires_at == end_of(2026, 11, 15)
    assert first[0].rule_id == "P1-DL-01"
    assert first[0].label is not None and first[0].label.zh == "催办单"
    assert service.sweep(now=sh(2026, 11, 16, 0, 30)) == ()  # idempotent
    # due + 1 WD: Mon 2026-11-16 ends; due + 3 WD: Wed 2026-11-18 ends.
    assert service.sweep(now=sh(2026, 11, 16, 18)) == ()
    second = service.sweep(now=sh(2026, 11, 17, 9))
    assert [(a.level, a.target, a.fires_at) for a in second] == [(2, "department_head", end_of(2026, 11, 16))]
    third = service.sweep(now=sh(2026, 11, 19, 9))
    assert [(a.level, a.target, a.fires_at) for a in third] == [(3, "gm", end_of(2026, 11, 18))]
    assert service.sweep(now=sh(2026, 12, 31, 9)) == ()  # the ladder is exhausted
    assert service.get(case.case_id).clock("close").level == 3
    assert [(e.level, e.action, e.target) for e in escalations(store)] == [
        (1, "reminder", "late_department"),
        (2, "escalate", "department_head"),
        (3, "escalate", "gm"),
    ]


def test_p1_dl_01_foreign_17_days_and_a_late_sweep_catches_up_in_order(
    service: CaseService, store: MemoryStore, sh: Maker
) -> None:
    intake = Intake(customer="Acme GmbH", channel=Channel.EMAIL, category="quality", market=Market.FOREIGN)
    case = service.register(service.receive(intake, actor="sales").case_id, actor="gm_office")
    # 17 calendar days from 2026-11-02: due at the end of Thu 2026-11-19.
    assert pure_sweep(service, store, sh(2026, 11, 19, 23)) == ()
    actions = service.sweep(now=sh(2026, 11, 30, 9))
    assert [(a.level, a.fires_at) for a in actions] == [
        (1, end_of(2026, 11, 19)),
        (2, end_of(2026, 11, 20)),
        (3, end_of(2026, 11, 24)),
    ]
    assert [e.level for e in escalations(store)] == [1, 2, 3]
    assert service.get(case.case_id).clock("close").level == 3


def test_p1_esc_01_a_clock_stopped_in_time_escalates_nothing(
    service: CaseService, store: MemoryStore, sh: Maker
) -> None:
    ref = close_case(service, closed=sh(2026, 11, 10))
    assert service.sweep(now=sh(2026, 12, 31)) == ()
    assert inquiries(store.cases.values(), service.policy_of, service.calendar_for, sh(2026, 12, 31)) == ()
    assert service.get(ref).clock("close").level == 0


def close_case(service: CaseService, *, closed: datetime) -> str:
    """A manufacturing case registered 2026-11-02 10:00 and closed at ``closed``; the delay is production's."""
    case = service.receive(INTAKE, actor="sales", at=datetime(2026, 11, 2, 9, tzinfo=SH))
    number = service.register(case.case_id, actor="gm_office", at=datetime(2026, 11, 2, 10, tzinfo=SH)).number
    assert number is not None
    at = closed - timedelta(hours=6)
    production = Responsibility.sole(Party(PartyKind.DEPARTMENT, "production"))
    service.start_investigation(number, actor="quality", at=at)
    service.attribute(number, actor="quality", causer=production, delay=production, at=at)
    service.propose(number, actor="sales", kind=RemedyKind.COMPENSATION, amount=Decimal("1200.00"), at=at)
    service.approve(number, actor="manager", role="sales_manager", at=at)
    service.reply(number, actor="sales", message="we credit 1200.00", reaction="accepted", at=at)
    service.close(number, actor="gm_office", at=closed)
    return number


def test_p1_esc_02_a_closed_late_case_gives_one_inquiry_to_the_late_department(
    service: CaseService, store: MemoryStore, sh: Maker
) -> None:
    ref = close_case(service, closed=sh(2026, 11, 20, 15))
    cases = list(store.cases.values())
    found = inquiries(cases, service.policy_of, service.calendar_for, sh(2026, 11, 21))
    assert [(i.reference, i.clock, i.rule_id, i.target, i.departments) for i in found] == [
        (ref, "close", "P1-DL-01", "late_department", ("production",))
    ]
    inquiry = found[0]
    assert inquiry.due == end_of(2026, 11, 15)
    assert inquiry.stopped_at == inquiry.closed_at == sh(2026, 11, 20, 15)
    assert inquiry.days_late == 4  # Nov 16..19 are over; the 20th is not
    # Idempotent, and "once" by window: a run covering (closed, later] sees nothing new.
    assert inquiries(cases, service.policy_of, service.calendar_for, sh(2026, 11, 21)) == found
    assert inquiries(cases, service.policy_of, service.calendar_for, sh(2026, 11, 22), since=sh(2026, 11, 21)) == ()
    assert inquiries(cases, service.policy_of, service.calendar_for, sh(2026, 11, 20, 14)) == ()  # not closed yet
    # A closed case is no longer chased up the ladder.
    assert service.sweep(now=sh(2026, 12, 31)) == ()


def test_p4_dl_03_deemed_waiver_after_one_working_day(store: MemoryStore, service: CaseService, sh: Maker) -> None:
    intake = Intake(customer="前台", channel=Channel.PHONE, category="attitude", kind=CaseKind.INTERNAL)
    case = service.receive(intake, actor="gm_secretary", at=sh(2026, 11, 2), policy_id="service")
    service.reach_milestone(case.case_id, "forwarded_to_head", actor="gm_secretary", at=sh(2026, 11, 2, 10))

    def head_reply(now: datetime) -> list:
        return [a for a in service.sweep(now=now) if a.clock == "head_reply"]

    assert head_reply(sh(2026, 11, 3, 23)) == []  # the head has until the end of Tue 2026-11-03
    waived = head_reply(sh(2026, 11, 4, 0, 1))
    assert [(a.action, a.target, a.rule_id, a.level) for a in waived] == [
        (EscalationAction.WAIVE, "accused_department", "P4-DL-03", 1)  # the rung names its rule; the clock is P4-DL-02
    ]
    assert waived[0].label is not None and waived[0].label.zh == "视同放弃解释权利"
    assert waived[0].fires_at == end_of(2026, 11, 3)
    events = [e for e in escalations(store) if e.clock == "head_reply"]
    assert [(e.action, e.target) for e in events] == [("waive", "accused_department")]
    assert head_reply(sh(2026, 11, 4, 0, 1)) == []
    assert head_reply(sh(2026, 11, 9, 9)) == []  # waived once; the case proceeds
    assert service.get(case.case_id).clock("head_reply").level == 1


def test_p4_dl_03_nothing_fires_at_the_due_instant_itself(store: MemoryStore, service: CaseService, sh: Maker) -> None:
    """At its due instant a step is still in time (``Deadline.overdue_at`` is ``end > due``): a "0 minutes" rung
    (the deemed waiver) fires only after it, so a head reply at that same instant is met and waives nothing."""
    intake = Intake(customer="前台", channel=Channel.PHONE, category="attitude", kind=CaseKind.INTERNAL)
    case = service.receive(intake, actor="gm_secretary", at=sh(2026, 11, 2), policy_id="service")
    service.reach_milestone(case.case_id, "forwarded_to_head", actor="gm_secretary", at=sh(2026, 11, 2, 10))
    due = end_of(2026, 11, 3)
    assert [a for a in service.sweep(now=due) if a.clock == "head_reply"] == []
    found = service.get(case.case_id)
    policy = service.policy_of(found)
    with pytest.raises(RuleViolation) as err:
        found.record_escalation(
            policy, at=due, actor="sweep", clock="head_reply", level=1, calendar=service.calendar_for(policy)
        )
    assert err.value.rule == "ESC-DUE"
    service.reach_milestone(case.case_id, "head_replied", actor="head", at=due)
    assert [a for a in service.sweep(now=due + timedelta(microseconds=1)) if a.clock == "head_reply"] == []
    (head_reply,) = [d for d in service.deadlines(case.case_id) if d.clock == "head_reply"]
    assert head_reply.met is True


def test_p4_dl_03_a_head_reply_in_time_waives_nothing(store: MemoryStore, service: CaseService, sh: Maker) -> None:
    intake = Intake(customer="前台", channel=Channel.PHONE, category="attitude", kind=CaseKind.INTERNAL)
    case = service.receive(intake, actor="gm_secretary", at=sh(2026, 11, 2), policy_id="service")
    service.reach_milestone(case.case_id, "forwarded_to_head", actor="gm_secretary", at=sh(2026, 11, 2, 10))
    service.reach_milestone(case.case_id, "head_replied", actor="head", at=sh(2026, 11, 3, 17))
    assert [a for a in service.sweep(now=sh(2026, 11, 9)) if a.clock == "head_reply"] == []


def test_p4_dl_03_a_late_reply_before_the_sweep_does_not_undo_the_waiver(
    store: MemoryStore, service: CaseService, sh: Maker
) -> None:
    """No reply within 1 WD is a deemed waiver from its due on; the reply that comes later (before any sweep ran)
    is recorded after the waiver, and the sweep has nothing left to do."""
    intake = Intake(customer="前台", channel=Channel.PHONE, category="attitude", kind=CaseKind.INTERNAL)
    case = service.receive(intake, actor="gm_secretary", at=sh(2026, 11, 2), policy_id="service")
    service.reach_milestone(case.case_id, "forwarded_to_head", actor="gm_secretary", at=sh(2026, 11, 2, 10))
    before = len(store.outbox)
    replied = service.reach_milestone(case.case_id, "head_replied", actor="head", at=sh(2026, 11, 4, 9))
    state = replied.clock("head_reply")
    assert (state.level, state.stopped_at) == (1, sh(2026, 11, 4, 9))
    new = store.outbox[before:]
    assert [type(e).__name__ for e in new] == ["ClockEscalated", "MilestoneReached"]
    waiver = new[0]
    assert isinstance(waiver, ClockEscalated)
    assert (waiver.clock, waiver.level, waiver.action) == ("head_reply", 1, "waive")
    assert waiver.target == "accused_department"
    assert (waiver.due, waiver.actor, waiver.occurred_at) == (end_of(2026, 11, 3), "sweep", sh(2026, 11, 4, 9))
    assert [e.version for e in new] == [replied.version - 1, replied.version]
    assert [a for a in service.sweep(now=sh(2026, 11, 9, 9)) if a.clock == "head_reply"] == []


def test_p4_dl_03_any_command_records_a_due_waiver_and_a_refused_one_records_nothing(
    store: MemoryStore, service: CaseService, sh: Maker
) -> None:
    intake = Intake(customer="前台", channel=Channel.PHONE, category="attitude", kind=CaseKind.INTERNAL)
    case = service.receive(intake, actor="gm_secretary", at=sh(2026, 11, 2), policy_id="service")
    service.reach_milestone(case.case_id, "forwarded_to_head", actor="gm_secretary", at=sh(2026, 11, 2, 10))
    before = (len(store.outbox), service.get(case.case_id).version)
    with pytest.raises(RuleViolation):  # a lifecycle state is not a milestone: refused, and nothing is written
        service.reach_milestone(case.case_id, "closed", actor="head", at=sh(2026, 11, 4, 9))
    assert (len(store.outbox), service.get(case.case_id).version) == before
    flagged = service.flag_major(case.case_id, actor="gm", reason="repeat", at=sh(2026, 11, 4, 9))
    assert flagged.clock("head_reply").level == 1  # the waiver came first, the head_reply clock still runs
    assert flagged.clock("head_reply").stopped_at is None
    assert [(e.clock, e.action) for e in escalations(store)] == [("head_reply", "waive")]
    # in time, or late on a clock whose ladder has no waiver (P1-DL-01's reminders), a command records no level
    in_time = service.receive(intake, actor="gm_secretary", at=sh(2026, 11, 2), policy_id="service")
    service.reach_milestone(in_time.case_id, "forwarded_to_head", actor="gm_secretary", at=sh(2026, 11, 2, 10))
    service.reach_milestone(in_time.case_id, "head_replied", actor="head", at=end_of(2026, 11, 3))
    late = service.receive(INTAKE, actor="sales", at=sh(2026, 11, 2))
    service.register(late.case_id, actor="gm_office", at=sh(2026, 11, 2, 10))  # close due at the end of 11-15
    service.start_investigation(late.case_id, actor="quality", at=sh(2026, 11, 20))
    assert [(e.clock, e.action) for e in escalations(store)] == [("head_reply", "waive")]
    swept = [(a.clock, a.level) for a in service.sweep(now=sh(2026, 11, 20, 10)) if a.case_id == late.case_id]
    assert swept == [("close", 1), ("close", 2), ("close", 3)]  # the reminder and the escalations are the sweep's


def test_p4_dl_03_without_the_next_years_calendar_a_reply_in_time_is_still_recorded(
    store: MemoryStore, service: CaseService, sh: Maker, tmp_path: Path
) -> None:
    """Catching up a waiver needs the head's deadline, here in 2027, a year this service's calendar does not cover
    (the case was opened where 2027 was loaded): a command that starts or moves no deadline goes ahead (as before
    waivers were caught up), one that does is refused, and the sweep names the case."""
    cal = tmp_path / "cn-2027.toml"
    cal.write_text('name = "cn"\n[years.2027]\nholidays = ["2027-01-01"]\nworkdays = []\n', "utf-8")
    loaded = bootstrap(uow=MemoryUnitOfWork(store), calendar_files=[cal], clock=FixedClock(sh(2026, 12, 31)))
    intake = Intake(customer="前台", channel=Channel.PHONE, category="attitude", kind=CaseKind.INTERNAL)
    case = loaded.receive(intake, actor="gm_secretary", at=sh(2026, 12, 31), policy_id="service")
    forwarded = loaded.reach_milestone(case.case_id, "forwarded_to_head", actor="gm_secretary", at=sh(2026, 12, 31, 10))
    with pytest.raises(CalendarNotCovered):  # here 2027 is not loaded: a new ticket's close clock would have no due
        service.receive(intake, actor="gm_secretary", at=sh(2026, 12, 31), policy_id="service")
    replied = service.reach_milestone(case.case_id, "head_replied", actor="head", at=sh(2026, 12, 31, 11))
    assert replied.clock("head_reply").stopped_at == sh(2026, 12, 31, 11) and replied.clock("head_reply").level == 0
    assert replied.version == forwarded.version + 1
    registered = service.register(case.case_id, actor="gm_secretary", at=sh(2026, 12, 31, 12))
    assert registered.status.value == "registered"
    with pytest.raises(SweepIncomplete) as err:
        service.sweep(now=sh(2027, 1, 4))
    assert [ref for ref, _ in err.value.skipped] == [registered.reference]


def test_p4_pen_05_clock_days_late_up_to_the_stop_or_as_of(service: CaseService, sh: Maker) -> None:
    """Internal ticket received Mon 2026-11-02, 2 WD: due at the end of Wed 11-04."""
    intake = Intake(customer="前台", channel=Channel.PHONE, category="attitude", kind=CaseKind.INTERNAL)
    case = service.receive(intake, actor="cs", at=sh(2026, 11, 2), policy_id="service")
    policy = service.policy_of(case)
    calendar = service.calendar_for(policy)

    def late(as_of: datetime, clock: str = "close") -> int | None:
        return clock_days_late(service.get(case.case_id), policy, calendar, clock, as_of)

    assert late(sh(2026, 11, 4, 23)) is None  # in time: not sat on at all
    assert late(sh(2026, 11, 5, 10)) == 0  # late, but no full day over yet: the base fine only
    assert late(sh(2026, 11, 6, 10)) == 1  # Thu is over
    assert late(sh(2026, 11, 9, 10)) == 2  # Fri too; the weekend does not count
    service.find_not_established(case.case_id, actor="cs", reason="误会", at=sh(2026, 11, 6, 10))
    service.reply(case.case_id, actor="cs", message="投诉不成立", at=sh(2026, 11, 6, 10))
    service.close(case.case_id, actor="cs", at=sh(2026, 11, 6, 10))
    assert late(sh(2026, 12, 31)) == 1  # stopped on Fri: the lateness stops with it
    with pytest.raises(NotFound):
        late(sh(2026, 11, 9), clock="head_reply")  # never started


def test_overdue_as_of_a_past_moment_counts_the_clocks_as_they_ran_then(service: CaseService, sh: Maker) -> None:
    """An overdue list at a past --at showed nothing for a clock that was late then and stopped since."""
    intake = Intake(customer="前台", channel=Channel.PHONE, category="attitude", kind=CaseKind.INTERNAL)
    case = service.receive(intake, actor="cs", at=sh(2026, 11, 2), policy_id="service")
    service.register(case.case_id, actor="gm", at=sh(2026, 11, 2, 10))
    # first_investigation: due 11-03, done when the ticket goes to the accused head (P4-DL-01, P4-LC-04)
    service.reach_milestone(case.case_id, "forwarded_to_head", actor="gm_secretary", at=sh(2026, 11, 5, 11))
    found = service.get(case.case_id)
    policy = service.policy_of(found)
    calendar = service.calendar_for(policy)

    def late(at: datetime) -> list[str]:
        return [d.clock for d in overdue_deadlines(found, policy, calendar, at)]

    assert late(sh(2026, 11, 3, 23)) == []  # in time then
    assert late(sh(2026, 11, 4, 9)) == ["first_investigation"]  # late then, stopped on 11-05
    assert late(sh(2026, 11, 5, 10)) == ["first_investigation", "close"]  # close (2 WD) was due 11-04 too
    assert late(sh(2026, 11, 5, 12)) == ["close"]  # the first investigation ended at 11:00
    assert late(sh(2026, 11, 1)) == [] and status_at(found, sh(2026, 11, 1)) is None  # not received yet
    service.find_not_established(case.case_id, actor="qa", reason="误会", at=sh(2026, 11, 6))
    assert overdue_deadlines(service.get(case.case_id), policy, calendar, sh(2026, 11, 7)) == []
    assert [d.clock for d in overdue_deadlines(service.get(case.case_id), policy, calendar, sh(2026, 11, 5, 12))] == [
        "close"
    ]  # before the finding it was still late


def test_a_later_pause_or_promise_does_not_move_a_past_due(sh: Maker, cn: TableCalendar) -> None:
    """A pause recorded after --at shifted the due computed for --at: a case 5 days late on 11-20 vanished from
    the overdue list of 11-20 once paused on 11-21."""
    from adapters.policy_files import load_preset

    base = load_preset("manufacturing")
    clocks = tuple(
        attrs.evolve(r, pause_reasons=frozenset({"awaiting_customer"})) if r.name == "close" else r for r in base.clocks
    )
    policy = attrs.evolve(base, clocks=clocks)
    case, _ = Case.receive(policy, case_id=uuid4(), intake=INTAKE, at=sh(2026, 11, 2), actor="s")
    case, _ = case.register(policy, at=sh(2026, 11, 2, 10), actor="g", number="261101")  # close due end of 11-15

    def late(c: Case, at: datetime) -> list[str]:
        return [d.clock for d in overdue_deadlines(c, policy, cn, at)]

    assert late(case, sh(2026, 11, 20, 12)) == ["close"]
    paused, _ = case.pause_clock(policy, at=sh(2026, 11, 21, 10), actor="g", clock="close", reason="awaiting_customer")
    assert late(paused, sh(2026, 11, 20, 12)) == ["close"]  # as it stood on 11-20
    assert late(paused, sh(2026, 11, 22, 12)) == []  # paused then: no due
    resumed, _ = paused.resume_clock(policy, at=sh(2026, 11, 29, 10), actor="g", clock="close")
    assert late(resumed, sh(2026, 11, 20, 12)) == late(resumed, sh(2026, 11, 30, 12)) == ["close"]
    state = resumed.clock("close")
    assert state.as_it_was(sh(2026, 11, 1)) is None
    then = state.as_it_was(sh(2026, 11, 25))
    assert then is not None and then.paused and then.pauses[0].until is None


def test_a_past_moment_shows_the_ladder_level_the_clock_had_then(sh: Maker, cn: TableCalendar) -> None:
    """P1-ESC-01: `report overdue --at PAST` printed today's level for a moment before the later levels fired."""
    from adapters.policy_files import load_preset

    policy = load_preset("manufacturing")
    case, _ = Case.receive(policy, case_id=uuid4(), intake=INTAKE, at=sh(2026, 11, 2), actor="s")
    case, _ = case.register(policy, at=sh(2026, 11, 2, 10), actor="g", number="261101")  # close due end of 11-15
    case, _ = case.record_escalation(policy, at=sh(2026, 11, 16, 9), actor="sweep", clock="close", level=1, calendar=cn)
    case, _ = case.record_escalation(policy, at=sh(2026, 11, 18, 9), actor="sweep", clock="close", level=2, calendar=cn)
    state = case.clock("close")
    assert state.level == 2 and state.fired_at == (sh(2026, 11, 16, 9), sh(2026, 11, 18, 9))
    levels = {day: getattr(state.as_it_was(sh(2026, 11, day, 12)), "level", None) for day in (1, 10, 16, 17, 18, 30)}
    assert levels == {1: None, 10: 0, 16: 1, 17: 1, 18: 2, 30: 2}
    assert state.as_it_was(sh(2026, 11, 17, 12)) == attrs.evolve(state, level=1, fired_at=(sh(2026, 11, 16, 9),))
    # a clock stored before the times were kept keeps its latest level, and records the next without inventing them
    legacy = attrs.evolve(state, fired_at=())
    then = legacy.as_it_was(sh(2026, 11, 10, 12))
    assert then is not None and then.level == 2
    assert legacy.escalated(3, sh(2026, 11, 20, 9)) == attrs.evolve(legacy, level=3)


def test_p4_pen_05_days_late_never_fall_in_the_hour_clocks_go_back() -> None:
    """Review: the due's time of day was compared on the wall clock, which repeats 01:00-02:00 on 2026-11-01 in New
    York: 48.25 hours late counted 2 days, 48.75 hours 1."""
    ny = ZoneInfo("America/New_York")
    due = datetime(2026, 10, 30, 1, 30, tzinfo=ny)
    first = datetime(2026, 11, 1, 1, 45, tzinfo=ny)  # EDT, the first 01:45
    second = datetime(2026, 11, 1, 1, 15, fold=1, tzinfo=ny)  # EST, half an hour later
    assert second.astimezone(UTC) - first.astimezone(UTC) == timedelta(minutes=30)
    days = [lateness_days(due, end, unit=TimeUnit.CALENDAR_DAYS, calendar=None, tz=ny) for end in (first, second)]
    assert days == [2, 2]


@pytest.mark.parametrize(
    ("due", "end", "unit", "days"),
    [
        # a plain weekend: due Fri 2026-11-06; Sat, Sun, Mon are over by Tue 10:00
        (end_of(2026, 11, 6), datetime(2026, 11, 10, 10, tzinfo=SH), TimeUnit.WORKING_DAYS, 1),
        (end_of(2026, 11, 6), datetime(2026, 11, 10, 10, tzinfo=SH), TimeUnit.CALENDAR_DAYS, 3),
        # National Day 2026 (Oct 1-7 off) and the make-up Saturday 2026-10-10: Oct 8, 9, 10 are working days
        (end_of(2026, 9, 30), datetime(2026, 10, 12, 10, tzinfo=SH), TimeUnit.WORKING_DAYS, 3),
        (end_of(2026, 9, 30), datetime(2026, 10, 12, 10, tzinfo=SH), TimeUnit.CALENDAR_DAYS, 11),
        (end_of(2026, 9, 30), datetime(2026, 10, 11, 10, tzinfo=SH), TimeUnit.WORKING_DAYS, 3),
        (end_of(2026, 9, 30), datetime(2026, 10, 10, 10, tzinfo=SH), TimeUnit.WORKING_DAYS, 2),
        # late, but no full day over yet
        (end_of(2026, 9, 30), datetime(2026, 10, 1, 10, tzinfo=SH), TimeUnit.CALENDAR_DAYS, 0),
        (end_of(2026, 9, 30), datetime(2026, 9, 30, 10, tzinfo=SH), TimeUnit.WORKING_DAYS, 0),
        # property audit: a due at a time of day (hours, a promise) is a full day late when its time comes round
        # again; 47 h 20 min late counted 0 days (P4-PEN-05: the whole days past the deadline)
        (datetime(2025, 3, 3, 0, 30, tzinfo=SH), datetime(2025, 3, 4, 23, 50, tzinfo=SH), TimeUnit.HOURS, 1),
        (datetime(2025, 3, 3, 0, 30, tzinfo=SH), datetime(2025, 3, 4, 0, 29, tzinfo=SH), TimeUnit.HOURS, 0),
        (datetime(2025, 3, 3, 0, 30, tzinfo=SH), datetime(2025, 3, 4, 0, 30, tzinfo=SH), TimeUnit.HOURS, 1),
        (datetime(2025, 3, 3, 0, 30, tzinfo=SH), datetime(2025, 3, 6, 9, 0, tzinfo=SH), TimeUnit.CALENDAR_DAYS, 3),
        # Fri 10:00 due, in working days: Mon 10:00 is one full working day later, Mon 09:00 not yet
        (datetime(2026, 11, 6, 10, tzinfo=SH), datetime(2026, 11, 9, 10, tzinfo=SH), TimeUnit.WORKING_DAYS, 1),
        (datetime(2026, 11, 6, 10, tzinfo=SH), datetime(2026, 11, 9, 9, tzinfo=SH), TimeUnit.WORKING_DAYS, 0),
        (datetime(2026, 11, 6, 10, tzinfo=SH), datetime(2026, 11, 8, 11, tzinfo=SH), TimeUnit.WORKING_DAYS, 0),
    ],
)
def test_p4_esc_03_sitting_on_a_ticket_lateness_in_full_days(
    cn: TableCalendar, due: datetime, end: datetime, unit: TimeUnit, days: int
) -> None:
    assert lateness_days(due, end, unit=unit, calendar=cn, tz=SH) == days


def test_p4_esc_03_pen_05_a_ticket_sat_on_over_national_day(
    store: MemoryStore, service: CaseService, sh: Maker, cn: TableCalendar
) -> None:
    intake = Intake(customer="张先生", channel=Channel.PHONE, category="delay")
    case = service.receive(intake, actor="cs", at=sh(2026, 9, 29), policy_id="service")
    service.reach_milestone(case.case_id, "forwarded_to_head", actor="cs", at=sh(2026, 9, 29, 10))
    now = sh(2026, 10, 12, 10)
    sat_on = [a for a in service.sweep(now=now) if a.clock == "head_reply"]
    assert [(a.action, a.label.zh if a.label else None, a.rule_id) for a in sat_on] == [
        (EscalationAction.REMINDER, "压单", "P4-DL-04")
    ]
    assert sat_on[0].due == end_of(2026, 9, 30)  # 1 WD from Tue 2026-09-29
    policy: Policy = service.policy_of(service.get(case.case_id))
    assert lateness_days(sat_on[0].due, now, unit=TimeUnit.WORKING_DAYS, calendar=cn, tz=policy.tz) == 3


@pytest.mark.parametrize(
    ("computed", "delivered"),
    [
        (datetime(2026, 11, 8, 2, tzinfo=SH), datetime(2026, 11, 9, 9, tzinfo=SH)),  # 02:00 Sunday -> Monday 09:00
        (end_of(2026, 11, 15), datetime(2026, 11, 16, 9, tzinfo=SH)),  # a P1 reminder at due (Sunday's end)
        (datetime(2026, 11, 6, 19, tzinfo=SH), datetime(2026, 11, 9, 9, tzinfo=SH)),  # Friday evening
        (datetime(2026, 11, 10, 8, tzinfo=SH), datetime(2026, 11, 10, 9, tzinfo=SH)),  # early on a working day
        (datetime(2026, 11, 10, 10, 30, tzinfo=SH), datetime(2026, 11, 10, 10, 30, tzinfo=SH)),  # in hours
        (datetime(2026, 11, 10, 18, tzinfo=SH), datetime(2026, 11, 11, 9, tzinfo=SH)),  # 18:00 is after hours
        (datetime(2026, 10, 1, 11, tzinfo=SH), datetime(2026, 10, 8, 9, tzinfo=SH)),  # National Day
        (datetime(2026, 10, 10, 2, tzinfo=SH), datetime(2026, 10, 10, 9, tzinfo=SH)),  # make-up Saturday
        (datetime(2026, 11, 7, 18, 0, tzinfo=ZoneInfo("UTC")), datetime(2026, 11, 9, 9, tzinfo=SH)),  # Sun 02:00 SH
    ],
)
def test_working_hours_delivery(cn: TableCalendar, computed: datetime, delivered: datetime) -> None:
    got = deliver_at(computed, cn, SH)
    assert got == delivered
    assert got.tzinfo is SH


def test_working_hours_are_parameters(cn: TableCalendar) -> None:
    at = datetime(2026, 11, 10, 8, 45, tzinfo=SH)
    assert deliver_at(at, cn, SH, start=time(8, 30), end=time(17, 30)) == at
    assert deliver_at(at.replace(hour=17, minute=40), cn, SH, start=time(8, 30), end=time(17, 30)) == datetime(
        2026, 11, 11, 8, 30, tzinfo=SH
    )
    with pytest.raises(ValueError, match="start before"):
        deliver_at(at, cn, SH, start=time(18), end=time(9))


def test_sweep_is_pure_and_sorted(service: CaseService, store: MemoryStore, sh: Maker) -> None:
    refs = []
    for _ in range(3):
        case = service.receive(INTAKE, actor="sales", at=sh(2026, 11, 2))
        refs.append(service.register(case.case_id, actor="gm_office", at=sh(2026, 11, 2, 10)).case_id)
    cases: list[Case] = list(store.cases.values())
    now = sh(2026, 11, 19, 9)
    forward = sweep(cases, service.policy_of, service.calendar_for, now)
    backward = sweep(reversed(cases), service.policy_of, service.calendar_for, now)
    assert forward == backward
    assert [a.key for a in forward] == sorted(a.key for a in forward)
    assert len(forward) == 9
    assert all(c.clock("close").level == 0 for c in store.cases.values())  # nothing was applied
    assert service.sweep(now=now) == forward
    assert sweep(store.cases.values(), service.policy_of, service.calendar_for, now) == ()


def test_sweep_looks_a_policy_up_once_per_run_of_cases_that_share_it(
    service: CaseService, store: MemoryStore, sh: Maker
) -> None:
    """A case's policy depends only on its policy id and version: the sweep does not ask again for each case."""
    for policy_id in ("manufacturing", "manufacturing", "bank-branch", "bank-branch", "manufacturing"):
        category = "quality" if policy_id == "manufacturing" else "service"
        case = service.receive(
            Intake(customer="客户", channel=Channel.PHONE, category=category),
            actor="cs",
            policy_id=policy_id,
            at=sh(2026, 11, 2),
        )
        service.register(case.case_id, actor="gm_office", at=sh(2026, 11, 2, 10))
    asked: list[str] = []

    def policy_for(case: Case) -> Policy:
        asked.append(case.policy_id)
        return service.policy_of(case)

    cases = list(store.cases.values())
    assert all(c.clocks for c in cases)
    assert [c.policy_id for c in cases] == ["manufacturing"] * 2 + ["bank-branch"] * 2 + ["manufacturing"]
    now = sh(2026, 11, 30, 9)
    assert sweep(cases, policy_for, service.calendar_for, now) == sweep(
        cases, service.policy_of, service.calendar_for, now
    )
    assert asked == ["manufacturing", "bank-branch", "manufacturing"]


def test_sweep_never_asks_for_the_policy_of_a_closed_case_or_one_without_clocks(
    service: CaseService, store: MemoryStore, sh: Maker
) -> None:
    """A closed case (or one whose policy started no clock) has nothing to chase, so the sweep never needs its
    policy: a retired policy version that no longer loads does not stop the sweep of the open cases."""
    closed = service.get(close_case(service, closed=sh(2026, 11, 3, 10)))
    late = service.receive(INTAKE, actor="sales", at=sh(2026, 11, 2))
    service.register(late.case_id, actor="gm_office", at=sh(2026, 11, 2, 10))
    quiet = attrs.evolve(service.get(late.case_id), case_id=uuid4(), policy_version=99, clocks=())
    retired = attrs.evolve(service.get(closed.case_id), policy_version=98)
    asked: list[int] = []

    def policy_for(case: Case) -> Policy:
        asked.append(case.policy_version)
        if case.policy_version != late.policy_version:
            raise NotFound(f"no policy version {case.policy_version}")
        return service.policy_of(case)

    now = sh(2026, 11, 30, 9)
    cases = [retired, quiet, service.get(late.case_id), retired, quiet]
    assert [a.case_id for a in sweep(cases, policy_for, service.calendar_for, now)] == [late.case_id] * 3
    assert asked == [late.policy_version]


def test_p3_esc_01_major_complaint_alerts_at_once_and_escalates_unacknowledged(
    store: MemoryStore, service: CaseService, sh: Maker
) -> None:
    """P3-ESC-01 / E4-ES-02: flagging starts the alert clock; manager and GM at once, COO after 24 h."""
    intake = Intake(customer="车主", channel=Channel.PHONE, category="repair_quality")
    ref = service.receive(intake, actor="cr", policy_id="auto-dealer", at=sh(2026, 11, 2, 9)).case_id
    service.flag_major(ref, actor="cr", reason="媒体负面报道", at=sh(2026, 11, 2, 10))
    recorded = service.sweep(now=sh(2026, 11, 2, 10, 5))
    assert [(a.clock, a.target) for a in recorded] == [("major_alert", "department_manager"), ("major_alert", "gm")]
    assert service.sweep(now=sh(2026, 11, 3, 9, 59)) == ()
    unreported, late = service.sweep(now=sh(2026, 11, 3, 10, 1))  # by clock name
    assert (late.clock, late.target, late.action) == ("major_alert", "coo", EscalationAction.ESCALATE)
    assert (unreported.clock, unreported.rule_id) == ("brand_legal_report", "E4-DL-02")  # its own 24 h (v5)


def test_p3_esc_01_an_acknowledged_alert_goes_no_further(store: MemoryStore, service: CaseService, sh: Maker) -> None:
    intake = Intake(customer="车主", channel=Channel.PHONE, category="repair_quality")
    ref = service.receive(intake, actor="cr", policy_id="auto-dealer", at=sh(2026, 11, 2, 9)).case_id
    service.flag_major(ref, actor="cr", reason="堵门", at=sh(2026, 11, 2, 10))
    service.sweep(now=sh(2026, 11, 2, 11))
    service.reach_milestone(ref, "alert_acknowledged", actor="gm", at=sh(2026, 11, 2, 12))
    # acknowledging the alert is not the report to the brand department and legal (E4-DL-02): that is still owed
    assert [a.clock for a in service.sweep(now=sh(2026, 11, 5))] == ["brand_legal_report"]


def test_p3_esc_01_an_alert_clock_is_no_late_step_of_anyone(
    store: MemoryStore, service: CaseService, sh: Maker
) -> None:
    """P1-ESC-02 inquires of departments that ran late. The 0-minute major alert is late by construction, so every
    major complaint got an overdue inquiry (洽办单) and a late line in the report; it is audited = false."""
    from complaint_core.events import InquiryIssued
    from complaint_core.report import monthly_report

    intake = Intake(customer="车主", channel=Channel.PHONE, category="repair_quality")
    ref = service.receive(intake, actor="cr", policy_id="auto-dealer", at=sh(2026, 11, 2, 9)).case_id
    service.register(ref, actor="x", at=sh(2026, 11, 2, 9, 1))
    service.start_investigation(ref, actor="h", at=sh(2026, 11, 2, 9, 2))
    service.flag_major(ref, actor="cr", reason="injury", at=sh(2026, 11, 2, 9, 3))
    service.reach_milestone(ref, "alert_acknowledged", actor="gm", at=sh(2026, 11, 2, 9, 4))
    service.record_emergency_meeting(ref, actor="gm", attendees=("gm", "mgr"), minutes="plan", at=sh(2026, 11, 2, 9, 5))
    found = Validity(reason_sufficient=True, request_reasonable=True)  # the auto-dealer's P3-CLS-03
    service.attribute(ref, actor="h", no_fault=True, validity=found, at=sh(2026, 11, 2, 9, 6))
    service.propose(ref, actor="h", kind=RemedyKind.EXPLANATION, amount=Decimal("0"), at=sh(2026, 11, 2, 9, 7))
    service.approve(ref, actor="gm", role="gm", at=sh(2026, 11, 2, 9, 8))
    service.reply(ref, actor="cs", message="ok", at=sh(2026, 11, 2, 9, 9))
    service.close(ref, actor="gm", at=sh(2026, 11, 2, 9, 10))
    service.sweep(now=sh(2026, 11, 3, 9))
    assert not [e for e in store.outbox if isinstance(e, InquiryIssued)]
    policy = service.policies.get("auto-dealer")
    report = monthly_report([store.cases[ref]], month="2026-11", policy_for=lambda c: policy,
                            calendar_for=service.calendar_for)  # fmt: skip
    assert report.audit == () and all(c.clock != "major_alert" for c in report.clocks)


def test_e4_cl_01_a_case_classified_or_raised_to_major_is_a_major_complaint(
    store: MemoryStore, service: CaseService, sh: Maker
) -> None:
    """DOMAIN §3: major complaints escalate at once and need an emergency-meeting record; E4: repeat ⇒ major.
    A repeat raised to 'major' only had the severity: no alert clock, and it closed without a meeting."""
    intake = Intake(customer="车主", channel=Channel.PHONE, category="repair_quality")
    first = service.receive(intake, actor="cr", policy_id="auto-dealer", at=sh(2026, 11, 2, 9)).case_id
    classified = service.classify(first, "major", actor="cs", at=sh(2026, 11, 2, 9, 1))
    assert classified.major and classified.clock("major_alert").started_at == sh(2026, 11, 2, 9, 1)
    service.classify(first, "general", actor="cs", at=sh(2026, 11, 2, 9, 2))  # a major complaint stays major
    assert service.get(first).major
    for command, kw in [
        ("register", {}),
        ("start_investigation", {}),
        ("attribute", {"no_fault": True, "validity": Validity(reason_sufficient=True, request_reasonable=True)}),
        ("propose", {"kind": RemedyKind.EXPLANATION, "amount": Decimal("0")}),
        ("approve", {"role": "gm"}),
        ("reply", {"message": "ok"}),
    ]:
        getattr(service, command)(first, actor="u", at=sh(2026, 11, 2, 10), **kw)
    with pytest.raises(RuleViolation) as refused:
        service.close(first, actor="gm", at=sh(2026, 11, 2, 11))
    assert refused.value.rule == "P3-ESC-01"
    service.record_emergency_meeting(first, actor="gm", attendees=("gm",), minutes="plan", at=sh(2026, 11, 2, 11))
    service.close(first, actor="gm", at=sh(2026, 11, 2, 12))
    opened = service.open_second_complaint(first, actor="cr", at=sh(2026, 11, 3, 9))
    # lifecycle audit: the repeat was major only once someone classified it; it is major from its intake now
    assert (opened.severity, opened.major) == ("major", True)
    assert opened.clock("major_alert").started_at == sh(2026, 11, 3, 9)
    second = opened.case_id
    raised = service.classify(second, "general", actor="cs", at=sh(2026, 11, 3, 9, 1))  # a repeat: raised to major
    assert (raised.severity, raised.major) == ("major", True)
    assert raised.clock("major_alert").started_at == sh(2026, 11, 3, 9)
    assert [(a.clock, a.target) for a in service.sweep(now=sh(2026, 11, 3, 9, 5))][:1] == [
        ("major_alert", "department_manager")
    ]


def test_p5_dl_01_bank_ladder_complaint_manager_then_outlet_head(
    store: MemoryStore, service: CaseService, sh: Maker
) -> None:
    """P5-DL-01 reply within 3 days; P5-ESC-01 the ladder goes to the complaint manager, then the outlet head."""
    policy = service.policies.get("bank-branch")
    (rule,) = policy.clock_rules("reply")
    intake = Intake(customer="储户", channel=Channel.OPINION_BOOK, category=policy.categories[0].code)
    service.receive(intake, actor="teller", policy_id="bank-branch", at=sh(2026, 11, 2, 9))
    assert service.sweep(now=sh(2026, 11, 5, 23, 58)) == ()  # due at the end of day 3
    actions = service.sweep(now=sh(2026, 11, 30))
    assert [a.target for a in actions] == [level.target for level in rule.ladder]
    assert actions[0].target == "complaint_manager" and actions[-1].target == "outlet_head"


def test_notifications_held_until_working_hours_when_the_policy_says_so(
    store: MemoryStore, service: CaseService, sh: Maker
) -> None:
    """DOMAIN §5: a reminder due at midnight before a Sunday is delivered at Monday 09:00 when held."""
    held = service.policies.get("manufacturing")
    from attrs import evolve

    held = evolve(held, version=2, calendar=evolve(held.calendar, hold_notifications=True))
    ref = service.receive(INTAKE, actor="s", at=sh(2026, 11, 1, 9)).case_id
    service.register(ref, actor="g", at=sh(2026, 11, 1, 10))  # due 2026-11-14 (Saturday) end
    plain = pure_sweep(service, store, sh(2026, 11, 15, 2))
    assert plain[0].deliver_at == sh(2026, 11, 15, 2)  # not held: when the sweep finds it
    case = store.cases[ref]
    (action,) = sweep([case], lambda _: held, service.calendar_for, sh(2026, 11, 15, 2))
    assert action.deliver_at == sh(2026, 11, 16, 9)


def test_a_held_notification_counts_from_when_the_sweep_computes_it_and_travels_on_the_event(
    store: MemoryStore, sh: Maker
) -> None:
    """DOMAIN §5: 'a reminder computed at 02:00 Sunday is delivered at the next working-day start'. A level that
    fired at Monday 23:59 but was computed by the sweep at Tuesday 20:00 was held until Tuesday 09:00, already
    past; and the recorded event did not say when to deliver, so no webhook receiver could hold it."""
    from attrs import evolve

    from adapters.policy_files import load_preset
    from adapters.policy_table import MemoryPolicies

    base = load_preset("manufacturing")
    held = evolve(base, calendar=evolve(base.calendar, hold_notifications=True))
    service = bootstrap(uow=MemoryUnitOfWork(store), clock=FixedClock(sh(2026, 11, 2)))
    service.policies = MemoryPolicies([held])
    ref = service.receive(INTAKE, actor="s", at=sh(2026, 11, 2, 9)).case_id
    service.register(ref, actor="g", at=sh(2026, 11, 2, 10))  # due 2026-11-15 (Sunday) end; L1 fires after it
    actions = service.sweep(now=sh(2026, 11, 17, 20))  # Tuesday 20:00, after working hours
    assert actions and all(a.deliver_at == sh(2026, 11, 18, 9) for a in actions)  # Wednesday 09:00
    escalated = [e for e in store.outbox if isinstance(e, ClockEscalated)]
    assert escalated and all(e.deliver_at == sh(2026, 11, 18, 9) for e in escalated)


def test_p1_esc_02_the_sweep_issues_each_inquiry_once_and_stores_it(
    service: CaseService, store: MemoryStore, sh: Maker
) -> None:
    """The audit's 洽办单 is an event on the case: issued by the first sweep after closure, never again."""
    from complaint_core.events import InquiryIssued

    ref = close_case(service, closed=sh(2026, 11, 20, 15))
    service.sweep(now=sh(2026, 11, 21))
    issued = [e for e in store.outbox if isinstance(e, InquiryIssued)]
    assert [(e.clock, e.target, e.due) for e in issued] == [("close", "late_department", end_of(2026, 11, 15))]
    case = service.get(ref)
    assert case.clock("close").inquired
    assert inquiries([case], service.policy_of, service.calendar_for, sh(2026, 11, 22)) == ()
    service.sweep(now=sh(2026, 11, 22))
    assert len([e for e in store.outbox if isinstance(e, InquiryIssued)]) == 1


def test_f4_dl_03_a_promised_date_is_a_clock_like_any_other(cn: TableCalendar, sh: Maker) -> None:
    """F4-DL-03 two-stage 24 h: before a promise the ladder runs on 24 h; after it, on the promised date."""
    import attrs as _attrs

    from adapters.policy_files import load_preset
    from complaint_core import ClockRule, Labels, LadderLevel, Limit, PromiseMode

    base = load_preset("manufacturing")
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
    f4 = _attrs.evolve(base, policy_id="f4", clocks=(reply,))
    service = bootstrap(uow=MemoryUnitOfWork(MemoryStore()), clock=FixedClock(sh(2026, 11, 2)), extra_policies=(f4,))
    ref = service.receive(INTAKE, actor="cs", policy_id="f4", at=sh(2026, 11, 2, 9)).case_id
    service.record_promise(ref, "reply", actor="cs", due=sh(2026, 11, 6, 17), at=sh(2026, 11, 2, 20))
    assert service.sweep(now=sh(2026, 11, 3, 10)) == ()  # 24 h passed, but the promise moved the deadline
    (late,) = service.sweep(now=sh(2026, 11, 6, 17, 1))
    assert (late.rule_id, late.due) == ("F4-DL-03", sh(2026, 11, 6, 17))


def test_a_held_notification_without_the_year_s_calendar_is_delivered_at_once(store: MemoryStore, sh: Maker) -> None:
    """Only the delivery time needs the working calendar, not the escalation: sweeping in a year not loaded with
    hold_notifications on left every case out (SweepIncomplete, nothing recorded)."""
    from attrs import evolve

    from adapters.policy_files import load_preset
    from adapters.policy_table import MemoryPolicies

    base = load_preset("manufacturing")
    held = evolve(base, calendar=evolve(base.calendar, hold_notifications=True))
    service = bootstrap(uow=MemoryUnitOfWork(store), clock=FixedClock(sh(2026, 11, 2)))
    service.policies = MemoryPolicies([held])
    ref = service.receive(INTAKE, actor="s", at=sh(2026, 11, 2, 9)).case_id
    service.register(ref, actor="g", at=sh(2026, 11, 2, 10))
    actions = service.sweep(now=sh(2027, 1, 4, 9))
    assert [a.level for a in actions] == [1, 2, 3] and all(a.deliver_at == sh(2027, 1, 4, 9) for a in actions)


def test_classified_major_starts_the_alert_clocks_of_major_cases(store: MemoryStore, sh: Maker) -> None:
    """The alert clocks a major severity starts are chosen by the new severity: a clock for major cases only
    (when.severities = ["major"]) did not start, and flag_major was then refused as 'already flagged'."""
    from attrs import evolve

    from adapters.policy_files import load_preset
    from adapters.policy_table import MemoryPolicies

    base = load_preset("auto-dealer")
    alert = next(r for r in base.clocks if r.name == "major_alert")
    only_major = evolve(alert, when=evolve(alert.when, severities=frozenset({"major"})))
    policy = evolve(base, clocks=tuple(only_major if r is alert else r for r in base.clocks))
    service = bootstrap(uow=MemoryUnitOfWork(store), clock=FixedClock(sh(2026, 11, 2)))
    service.policies = MemoryPolicies([policy])
    intake = Intake(customer="车主", channel=Channel.PHONE, category="repair_quality")
    ref = service.receive(intake, actor="cr", policy_id="auto-dealer", at=sh(2026, 11, 2, 9)).case_id
    case = service.classify(ref, "major", actor="cs", at=sh(2026, 11, 2, 9, 1))
    assert case.major and [c.name for c in case.clocks] == ["major_alert", "brand_legal_report"]


def test_a_case_beyond_the_calendar_no_longer_holds_back_every_other_case(store: MemoryStore, sh: Maker) -> None:
    """One case whose ladder needs 2027's working days (not loaded) made the whole sweep raise and record
    nothing, for every case. Now it is left out, whole, the others are recorded, and SweepIncomplete (still a
    CalendarNotCovered, exit 6 in the CLI) names it and says which year to load."""
    from complaint_core import CalendarNotCovered, SweepIncomplete

    service = bootstrap(uow=MemoryUnitOfWork(store), clock=FixedClock(sh(2026, 11, 2)))
    clean = service.receive(INTAKE, actor="s", at=sh(2026, 11, 20, 9)).case_id
    service.register(clean, actor="g", at=sh(2026, 11, 20, 10))  # due 12-03: every level in 2026
    odd = service.receive(INTAKE, actor="s", at=sh(2026, 12, 20, 9)).case_id
    odd_number = service.register(odd, actor="g", at=sh(2026, 12, 20, 10)).reference  # due 2027-01-02
    outbox = len(store.outbox)
    with pytest.raises(SweepIncomplete) as error:
        service.sweep(now=sh(2027, 1, 10, 9))
    assert isinstance(error.value, CalendarNotCovered) and error.value.rule == "CAL-COVERAGE"
    assert [reference for reference, _ in error.value.skipped] == [odd_number] and odd_number in str(error.value)
    assert "2027" in str(error.value)
    recorded = error.value.recorded
    assert recorded and {a.case_id for a in recorded} == {clean}  # type: ignore[attr-defined]
    assert store.cases[clean].clock("close").level == 3 and store.cases[odd].clock("close").level == 0
    assert len(store.outbox) == outbox + len(recorded)  # nothing of the odd case, not even its first level


def test_the_cases_a_sweep_leaves_out_are_named_in_reference_order(store: MemoryStore, sh: Maker) -> None:
    """Differential audit: the message named them in the order the store yielded them (insertion here, id order
    in SQL), so the same sweep named other cases, and another missing day, on each store."""
    service = bootstrap(uow=MemoryUnitOfWork(store), clock=FixedClock(sh(2026, 11, 2)))
    first = service.receive(INTAKE, actor="s", at=sh(2026, 12, 20, 9)).case_id
    second = service.receive(INTAKE, actor="s", at=sh(2026, 12, 20, 9)).case_id
    numbers = [service.register(ref, actor="g", at=sh(2026, 12, 20, 10)).reference for ref in (second, first)]
    with pytest.raises(SweepIncomplete) as error:
        service.sweep(now=sh(2027, 1, 10, 9))
    assert [reference for reference, _ in error.value.skipped] == sorted(numbers)
    assert f"({sorted(numbers)[0]}, {sorted(numbers)[1]})" in str(error.value)


def test_sweep_gives_each_case_its_own_policys_calendar_when_policies_share_clock_rules() -> None:
    """DOMAIN §5: the sweep is a pure function of each case. Its cache of rung times was one per run, keyed by
    the rule object: two policies sharing ``clocks`` under different calendars took each other's times, so a case
    escalated early only when another policy's case came first in the batch (and ``record_escalation`` refused
    the action)."""
    from datetime import UTC, date
    from uuid import UUID

    from adapters.calendars import china_calendar
    from complaint_core.escalation import sweep
    from complaint_core.labels import Labels
    from complaint_core.policy import ApprovalTier, CalendarSettings, Category, ClockRule, LadderLevel, Limit

    cn = china_calendar()
    company = TableCalendar(  # the same, with a company holiday on Tuesday 2025-03-04
        name="company", first=cn.first, last=cn.last, holidays=cn.holidays | {date(2025, 3, 4)},
        makeup_workdays=cn.makeup_workdays,
    )  # fmt: skip
    label = Labels("时限", "limit")
    late = LadderLevel(after=Limit(1, TimeUnit.WORKING_DAYS), action=EscalationAction.ESCALATE, target="gm")
    clocks = (ClockRule(name="a", label=label, start="received", stop="closed", limit=Limit(24, TimeUnit.HOURS),
                        rule_id="T", ladder=(late,)),)  # fmt: skip

    def policy(pid: str, calendar: str) -> Policy:
        return Policy(policy_id=pid, version=1, name=label, categories=(Category(code="quality", label=label),),
                      clocks=clocks, approval=(ApprovalTier(role="gm"),), calendar=CalendarSettings(name=calendar))  # fmt: skip

    pa, pb = policy("pa", "cn"), policy("pb", "company")
    start = datetime(2025, 3, 2, 2, tzinfo=UTC)  # Sunday 10:00 in Shanghai: due Monday 10:00
    intake = Intake(customer="c", channel=Channel.PHONE, category="quality")
    a = Case.receive(pa, case_id=UUID(int=1), intake=intake, at=start, actor="x")[0]
    b = Case.receive(pb, case_id=UUID(int=2), intake=intake, at=start, actor="x")[0]
    policies = {"pa": pa, "pb": pb}
    calendars = {"cn": cn, "company": company}
    now = datetime(2025, 3, 4, 18, tzinfo=UTC)  # Wednesday 02:00: past Tuesday's end, not the company's Wednesday

    def run(cases: list[Case]) -> list[int]:
        return [x.case_id.int for x in sweep(cases, lambda c: policies[c.policy_id],
                                             lambda p: calendars[p.calendar.name], now)]  # fmt: skip

    assert run([a, b]) == [1] and run([b]) == [] and run([b, a]) == [1]


def test_a_sweep_with_unreadable_cases_and_a_missing_year_names_both() -> None:
    """Review: the unreadable cases' error (exit 4) hid the cases left out for a calendar year and the year to load;
    it now carries both, and a dry run does not say its actions were recorded."""
    from datetime import date

    from complaint_core import CalendarNotCovered, CasesUnreadable
    from complaint_core.services import _swept

    uncovered = CalendarNotCovered(date(2027, 1, 4), date(2004, 1, 1), date(2026, 12, 31))
    for dry_run, done in ((False, "0 action(s) recorded"), (True, "0 action(s) due (a dry run: nothing recorded)")):
        with pytest.raises(CasesUnreadable) as both:
            _swept([], [("2612001", uncovered)], CasesUnreadable((("abc", "case abc: bad"),)), dry_run=dry_run)
        assert both.value.skipped == (("2612001", uncovered),)
        assert done in both.value.message
        assert "1 case(s) left out (2612001): 2027-01-04 is outside the calendar" in both.value.message
