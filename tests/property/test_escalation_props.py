"""Property tests of the escalation sweep (DOMAIN §5).

Each example builds a small policy in code: two clocks ``a`` and ``b`` with random limits
(every ``TimeUnit``) and random ladders of 1-3 rungs (offsets in any unit, ascending within a
unit, as the policy validator requires), started, stopped, paused and resumed by milestones
and pause commands at random times on 1-4 cases. The sweep runs at random ``now``s against
the bundled China calendar in Asia/Shanghai; actions are applied with
``Case.record_escalation`` (or ``CaseService.sweep`` on the in-memory unit of work).

Properties: idempotence (sweep, apply, sweep at the same now gives nothing); monotonicity in
``now`` (without applying, the actions at now1 are among those at now2 >= now1);
order-independence across cases; at most one action per (case, clock, level) over a series
of applied sweeps, levels consecutive from 1; the level never exceeds the ladder; every
action's time is its due plus the rung's offset, at or after the due and at or before now;
no action for a paused clock, a stopped clock or a clock that stopped by its due.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from random import Random
from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from adapters.calendars import china_calendar
from adapters.clock import FixedClock
from adapters.memory import MemoryPolicies, MemoryStore, MemoryUnitOfWork
from complaint_core.calendar import WorkingCalendar
from complaint_core.case import Case
from complaint_core.clocks import compute_deadline, select_rule, shift
from complaint_core.errors import DomainError
from complaint_core.escalation import SweepAction, due_actions, sweep
from complaint_core.events import ClockEscalated
from complaint_core.intake import Intake
from complaint_core.labels import Labels
from complaint_core.policy import (
    ApprovalTier,
    CalendarSettings,
    Category,
    Channel,
    ClockRule,
    EscalationAction,
    LadderLevel,
    Limit,
    Policy,
    TimeUnit,
    offsets_ascend,
)
from complaint_core.services import CaseService

CN = china_calendar()
LABEL = Labels(zh="时限", en="Time limit")
CLOCKS = ("a", "b")
START_MIN = datetime(2024, 1, 1)
START_MAX = datetime(2025, 9, 30)
INTAKE = Intake(customer="客户", channel=Channel.PHONE, category="quality")

LIMIT_AMOUNTS = {
    TimeUnit.MINUTES: st.integers(0, 3000),
    TimeUnit.HOURS: st.integers(0, 100),
    TimeUnit.CALENDAR_DAYS: st.integers(0, 15),
    TimeUnit.WORKING_DAYS: st.integers(0, 10),
    TimeUnit.CALENDAR_MONTHS: st.integers(0, 1),
}


@st.composite
def limits(draw: st.DrawFn) -> Limit:
    unit = draw(st.sampled_from(TimeUnit))
    return Limit(draw(LIMIT_AMOUNTS[unit]), unit)


@st.composite
def ladders(draw: st.DrawFn) -> tuple[LadderLevel, ...]:
    rungs: list[LadderLevel] = []
    previous: Limit | None = None
    for _ in range(draw(st.integers(1, 3))):
        unit = draw(st.sampled_from([TimeUnit.MINUTES, TimeUnit.HOURS, TimeUnit.CALENDAR_DAYS, TimeUnit.WORKING_DAYS]))
        offset = Limit(draw(st.integers(0, 3)), unit)
        if previous is not None and not offsets_ascend(offset, previous):
            # the validator refuses ladders that surely descend; go on in the previous rung's unit
            offset = Limit(previous.amount + draw(st.integers(1, 3)), previous.unit)
        previous = offset
        amount, unit = offset.amount, offset.unit
        rungs.append(
            LadderLevel(
                after=Limit(amount, unit),
                action=draw(st.sampled_from(EscalationAction)),
                target=draw(st.sampled_from(["late_department", "department_head", "gm"])),
            )
        )
    return tuple(rungs)


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    clocks = tuple(
        ClockRule(
            name=name,
            label=LABEL,
            start=f"start_{name}",
            stop=f"stop_{name}",
            limit=draw(limits()),
            rule_id=f"TEST-{name.upper()}",
            pause_reasons=frozenset({"wait"}),
            ladder=draw(ladders()),
        )
        for name in CLOCKS
    )
    return Policy(
        policy_id="esc",
        version=1,
        name=Labels(zh="升级", en="Escalation"),
        categories=(Category(code="quality", label=Labels(zh="质量", en="Quality")),),
        clocks=clocks,
        approval=(ApprovalTier(role="gm"),),
    )


OPS = st.sampled_from(["start", "stop", "pause", "resume"])


@st.composite
def histories(draw: st.DrawFn) -> tuple[datetime, list[tuple[timedelta, str, str]]]:
    """A receipt time and up to 8 (delay after the previous step, op, clock) steps."""
    received = draw(st.datetimes(min_value=START_MIN, max_value=START_MAX, timezones=st.just(UTC)))
    steps = draw(
        st.lists(
            st.tuples(st.timedeltas(timedelta(0), timedelta(days=6)), OPS, st.sampled_from(CLOCKS)),
            max_size=8,
        )
    )
    # starting first makes running clocks common
    return received, [(timedelta(minutes=5), "start", "a"), *steps]


def build(policy: Policy, case_id: int, received: datetime, steps: Sequence[tuple[timedelta, str, str]]) -> Case:
    case, _ = Case.receive(policy, case_id=UUID(int=case_id), intake=INTAKE, at=received, actor="clerk")
    at = received
    for delay, op, clock in steps:
        at += delay
        try:
            if op in ("start", "stop"):
                case, _ = case.reach_milestone(policy, at=at, actor="x", milestone=f"{op}_{clock}")
            elif op == "pause":
                case, _ = case.pause_clock(policy, at=at, actor="x", clock=clock, reason="wait")
            else:
                case, _ = case.resume_clock(policy, at=at, actor="x", clock=clock)
        except DomainError:
            continue
    return case


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Policy, list[Case]]:
    policy = draw(policies())
    cases = [build(policy, i + 1, *draw(histories())) for i in range(draw(st.integers(1, 4)))]
    return policy, cases


later = st.timedeltas(timedelta(0), timedelta(days=45))


def run(policy: Policy, cases: Iterable[Case], now: datetime) -> tuple[SweepAction, ...]:
    return sweep(cases, lambda _: policy, lambda _: CN, now)


def latest(cases: Sequence[Case]) -> datetime:
    return max(c.last_at for c in cases)


def apply_all(policy: Policy, cases: list[Case], actions: Iterable[SweepAction], now: datetime) -> list[Case]:
    by_id = {c.case_id: c for c in cases}
    for action in actions:
        case, _ = by_id[action.case_id].record_escalation(
            policy, at=now, actor="sweep", clock=action.clock, level=action.level, calendar=CN
        )
        by_id[action.case_id] = case
    return [by_id[c.case_id] for c in cases]


def check_action(policy: Policy, case: Case, action: SweepAction, now: datetime) -> None:
    state = case.clock(action.clock)
    rule = select_rule(policy, action.clock, case.subject)
    assert rule is not None
    assert state.stopped_at is None and not state.paused  # no action for stopped or paused clocks
    assert 1 <= action.level <= len(rule.ladder)
    rung = rule.ladder[action.level - 1]
    due = compute_deadline(rule, state, calendar=CN, tz=policy.tz, as_of=now).due
    assert action.due == due
    assert action.fires_at == shift(due, rung.after, calendar=CN, tz=policy.tz)
    assert due <= action.fires_at < now  # a rung fires once the clock is strictly past it
    assert (action.action, action.target, action.rule_id) == (rung.action, rung.target, rule.rule_id)


@given(scenarios(), later)
def test_idempotent_sweep_apply_sweep_gives_nothing(scenario: tuple[Policy, list[Case]], delta: timedelta) -> None:
    policy, cases = scenario
    now = latest(cases) + delta
    actions = run(policy, cases, now)
    by_id = {c.case_id: c for c in cases}
    for action in actions:
        check_action(policy, by_id[action.case_id], action, now)
    applied = apply_all(policy, cases, actions, now)  # record_escalation accepts every action
    assert run(policy, applied, now) == ()
    for case in applied:
        for state in case.clocks:
            rule = select_rule(policy, state.name, case.subject)
            assert rule is not None and 0 <= state.level <= len(rule.ladder)


@given(scenarios(), later, later)
def test_monotone_in_now(scenario: tuple[Policy, list[Case]], d1: timedelta, d2: timedelta) -> None:
    policy, cases = scenario
    now1 = latest(cases) + d1
    now2 = now1 + d2
    first, second = run(policy, cases, now1), run(policy, cases, now2)
    # what fires, and when, never changes with now; when to notify does (it counts from the sweep that finds it)
    assert {(a.key, a.fires_at, a.due) for a in first} <= {(a.key, a.fires_at, a.due) for a in second}


@given(scenarios(), later, st.randoms(use_true_random=False))
def test_order_independent_across_cases(scenario: tuple[Policy, list[Case]], delta: timedelta, rnd: Random) -> None:
    policy, cases = scenario
    now = latest(cases) + delta
    shuffled = list(cases)
    rnd.shuffle(shuffled)
    actions = run(policy, cases, now)
    assert run(policy, shuffled, now) == actions
    assert [a.key for a in actions] == sorted(a.key for a in actions)


@given(scenarios(), st.lists(later, min_size=1, max_size=6))
def test_series_of_sweeps_fires_each_level_once_in_order(
    scenario: tuple[Policy, list[Case]], deltas: list[timedelta]
) -> None:
    policy, cases = scenario
    now = latest(cases)
    seen: list[SweepAction] = []
    for delta in sorted(deltas):
        now = latest(cases) + delta
        actions = run(policy, cases, now)
        by_id = {c.case_id: c for c in cases}
        for action in actions:
            check_action(policy, by_id[action.case_id], action, now)
        cases = apply_all(policy, cases, actions, now)
        seen.extend(actions)
    keys = [a.key for a in seen]
    assert len(keys) == len(set(keys))  # at most one action per (case, clock, level)
    for case in cases:
        for state in case.clocks:
            rule = select_rule(policy, state.name, case.subject)
            assert rule is not None
            levels = [a.level for a in seen if (a.case_id, a.clock) == (case.case_id, state.name)]
            assert levels == list(range(1, state.level + 1))  # consecutive, in order, as recorded
            assert state.level <= len(rule.ladder)


@given(scenarios(), later)
def test_no_action_for_a_clock_stopped_by_its_due(scenario: tuple[Policy, list[Case]], delta: timedelta) -> None:
    policy, cases = scenario
    now = latest(cases) + delta
    actions = run(policy, cases, now)
    fired = {(a.case_id, a.clock) for a in actions}
    for case in cases:
        for state in case.clocks:
            rule = select_rule(policy, state.name, case.subject)
            assert rule is not None
            due = compute_deadline(rule, state, calendar=CN, tz=policy.tz, as_of=now).due
            in_time = state.stopped_at is not None and due is not None and state.stopped_at <= due
            if in_time or state.paused or state.stopped_at is not None:
                assert (case.case_id, state.name) not in fired


class OneCalendar:
    def get(self, settings: CalendarSettings) -> WorkingCalendar:
        return CN


@given(scenarios(), later)
def test_service_sweep_records_once(scenario: tuple[Policy, list[Case]], delta: timedelta) -> None:
    policy, cases = scenario
    now = latest(cases) + delta
    store = MemoryStore(cases={c.case_id: c for c in cases})
    service = CaseService(
        uow=MemoryUnitOfWork(store),
        policies=MemoryPolicies([policy]),
        calendars=OneCalendar(),
        clock=FixedClock(now),
    )
    expected = run(policy, cases, now)
    assert service.sweep(now=now) == expected
    events = [e for e in store.outbox if isinstance(e, ClockEscalated)]
    assert [(e.aggregate_id, e.clock, e.level) for e in events] == [a.key for a in expected]
    assert service.sweep(now=now) == ()
    assert service.sweep() == ()  # the service clock's now is the same instant
    assert len(store.outbox) == len(events)
    assert run(policy, store.cases.values(), now) == ()


@given(scenarios(), later)
def test_the_due_floor_shortcut_changes_nothing_and_misses_nothing(
    scenario: tuple[Policy, list[Case]], delta: timedelta
) -> None:
    policy, cases = scenario
    now = latest(cases) + delta
    slow = tuple(a for c in sorted(cases, key=lambda c: c.case_id) for a in due_actions(c, policy, CN, now))
    assert run(policy, cases, now) == slow
    # complete: after applying, every running clock's next rung (if any) fires only after now (a rung fires
    # once the clock is strictly past it: at the due instant itself the step is still in time)
    for case in apply_all(policy, cases, slow, now):
        for state in case.clocks:
            rule = select_rule(policy, state.name, case.subject)
            assert rule is not None
            if state.stopped_at is not None or state.paused or state.level >= len(rule.ladder):
                continue
            due = compute_deadline(rule, state, calendar=CN, tz=policy.tz).due
            if due is not None:
                assert shift(due, rule.ladder[state.level].after, calendar=CN, tz=policy.tz) >= now


@given(scenarios(), later, later)
def test_p4_dl_03_a_due_waiver_stands_whether_or_not_a_sweep_ran_before_the_step_stopped(
    scenario: tuple[Policy, list[Case]], d1: timedelta, d2: timedelta
) -> None:
    """A deemed waiver is a fact from its time on: stopping the clock later records the same waivers whether a
    sweep ran in between or not, and they are the waivers due at the stop."""
    policy, cases = scenario
    case = cases[0]
    swept_at = case.last_at + d1
    stopped_at = swept_at + d2

    def waivers(sweep_first: bool) -> set[tuple[str, int]]:
        store = MemoryStore(cases={case.case_id: case})
        service = CaseService(
            uow=MemoryUnitOfWork(store),
            policies=MemoryPolicies([policy]),
            calendars=OneCalendar(),
            clock=FixedClock(stopped_at),
        )
        if sweep_first:
            service.sweep(now=swept_at)
        stopped = service.reach_milestone(case.case_id, "stop_a", actor="x", at=stopped_at)
        events = [e for e in store.outbox if isinstance(e, ClockEscalated)]
        keys = [(e.clock, e.level) for e in events]
        if not sweep_first:
            assert keys == sorted(keys)  # one command records levels clock by clock, each in order
        assert all(stopped.clock(e.clock).level >= e.level for e in events)
        return {(e.clock, e.level) for e in events if e.action == EscalationAction.WAIVE.value}

    due = {(a.clock, a.level) for a in due_actions(case, policy, CN, stopped_at) if a.action is EscalationAction.WAIVE}
    assert waivers(sweep_first=False) == waivers(sweep_first=True) == due


@given(
    # up to 45 days later stays in the bundled calendar (2026-11-30 + 45 days reached 2027: CalendarNotCovered)
    due=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 11, 15)),
    late=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40)),
    more=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=5)),
)
def test_p4_pen_05_full_days_late_are_whole_days_past_the_deadline(
    due: datetime, late: timedelta, more: timedelta
) -> None:
    """In a zone without clock changes, the calendar days a step was late are the whole days past its due, at
    whatever time of day it fell (the days that ended was a day short for a due at a time of day); in working days
    never more than that; and neither ever falls as the end moves on."""
    from zoneinfo import ZoneInfo

    from complaint_core.escalation import lateness_days
    from complaint_core.policy import TimeUnit

    cn = china_calendar()
    for zone in ("Asia/Shanghai", "America/New_York", "Europe/Berlin"):
        tz = ZoneInfo(zone)
        start = due.replace(tzinfo=tz)
        end = start + late

        def days(unit: TimeUnit, at: datetime, tz: ZoneInfo = tz, start: datetime = start) -> int:
            return lateness_days(start, at, unit=unit, calendar=cn, tz=tz)

        if zone == "Asia/Shanghai":
            assert days(TimeUnit.CALENDAR_DAYS, end) == late // timedelta(days=1)
        assert days(TimeUnit.WORKING_DAYS, end) <= days(TimeUnit.CALENDAR_DAYS, end)
        for unit in (TimeUnit.CALENDAR_DAYS, TimeUnit.WORKING_DAYS, TimeUnit.HOURS):
            # the review: in the hour clocks go back, closing later counted a day fewer
            assert days(unit, end) <= days(unit, end + more), (zone, unit)
