"""DOMAIN §4: deadlines in hours, calendar days, working days and months."""

import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import attrs
import pytest

from adapters.calendars import with_weekend_fallback
from adapters.policy_files import load_preset
from complaint_core import (
    CalendarNotCovered,
    ClockRule,
    ClockState,
    Deadline,
    InvalidInstant,
    Labels,
    Limit,
    Policy,
    PromiseMode,
    RestDayRule,
    TableCalendar,
    TimeUnit,
    compute_deadline,
    weekends_only,
)
from complaint_core.clocks import ClockSubject, Pause, Promise, SpecialCircumstance, clock_plan, select_rule
from complaint_core.policy import CaseKind, Channel, Market

SH = ZoneInfo("Asia/Shanghai")
L = Labels("时限", "clock")
Maker = Callable[..., datetime]


def rule(amount: int, unit: TimeUnit, **kw: object) -> ClockRule:
    return ClockRule(name="c", label=L, start="received", stop="closed", limit=Limit(amount, unit), **kw)  # type: ignore[arg-type]


def utc(day: int, hour: int = 12) -> datetime:
    """A moment in November 2026, in UTC."""
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def due(r: ClockRule, state: ClockState, cal: TableCalendar | None, **kw: object) -> datetime:
    d = compute_deadline(r, state, calendar=cal, tz=SH, **kw)  # type: ignore[arg-type]
    assert d.due is not None
    return d.due.astimezone(SH)


def test_p1_dl_01_thirteen_calendar_days_end_at_local_end_of_day(manufacturing: Policy, sh: Maker) -> None:
    """P1-DL-01: 13 calendar days domestic, 17 foreign, from GM-office registration."""
    domestic, foreign = manufacturing.clock_rules("close")
    state = ClockState(name="close", started_at=sh(2026, 11, 2, 14))
    assert due(domestic, state, None) == datetime(2026, 11, 15, 23, 59, 59, 999999, tzinfo=SH)
    assert due(foreign, state, None) == datetime(2026, 11, 19, 23, 59, 59, 999999, tzinfo=SH)


def test_local_day_not_utc_day(sh: Maker) -> None:
    # 2026-11-02 01:00 in Shanghai is still 11-01 in UTC: the local date counts.
    state = ClockState(name="c", started_at=sh(2026, 11, 2, 1))
    assert due(rule(1, TimeUnit.CALENDAR_DAYS), state, None).date() == date(2026, 11, 3)


def test_p2_dl_01_second_working_day_from_a_friday(cn: TableCalendar, sh: Maker) -> None:
    """P2-DL-01: the memo is due by the end of the 2nd working day after receipt."""
    state = ClockState(name="c", started_at=sh(2026, 11, 6, 16))  # Friday
    assert due(rule(2, TimeUnit.WORKING_DAYS), state, cn).date() == date(2026, 11, 10)


def test_p4_dl_02_one_working_day_from_saturday_is_monday_end(cn: TableCalendar, sh: Maker) -> None:
    """P4-DL-02 and DOMAIN §4: +1 WD from Saturday = Monday's end."""
    state = ClockState(name="c", started_at=sh(2026, 11, 7, 10))
    assert due(rule(1, TimeUnit.WORKING_DAYS), state, cn) == datetime(2026, 11, 9, 23, 59, 59, 999999, tzinfo=SH)


def test_working_days_across_national_day_and_make_up_saturday(cn: TableCalendar, sh: Maker) -> None:
    state = ClockState(name="c", started_at=sh(2026, 9, 30, 18))
    assert due(rule(3, TimeUnit.WORKING_DAYS), state, cn).date() == date(2026, 10, 10)


def test_hours_are_elapsed_time(sh: Maker) -> None:
    """F2-DL-01: 24 hours, whatever the calendar."""
    state = ClockState(name="c", started_at=sh(2026, 10, 1, 10))
    assert due(rule(24, TimeUnit.HOURS), state, None) == sh(2026, 10, 2, 10)
    assert due(rule(90, TimeUnit.MINUTES), state, None) == sh(2026, 10, 1, 11, 30)


def test_months_clamp_at_month_end(sh: Maker) -> None:
    """P1-DL-08 / P4-DL-07: calendar months with end-of-month clamping."""
    state = ClockState(name="c", started_at=sh(2024, 1, 31))
    assert due(rule(1, TimeUnit.CALENDAR_MONTHS), state, None).date() == date(2024, 2, 29)
    state = ClockState(name="c", started_at=sh(2023, 1, 31))
    assert due(rule(1, TimeUnit.CALENDAR_MONTHS), state, None).date() == date(2023, 2, 28)


def test_statutory_rule_moves_a_rest_day_end_to_the_next_working_day(cn: TableCalendar, sh: Maker) -> None:
    """DOMAIN §4 / Civil Code art. 203; internal limits end on the rest day (default)."""
    state = ClockState(name="c", started_at=sh(2026, 9, 28))
    internal = rule(5, TimeUnit.CALENDAR_DAYS)
    statutory = rule(5, TimeUnit.CALENDAR_DAYS, on_rest_day=RestDayRule.STATUTORY)
    assert due(internal, state, cn).date() == date(2026, 10, 3)
    assert due(statutory, state, cn).date() == date(2026, 10, 8)


def test_pause_extends_hours_by_the_paused_time(sh: Maker) -> None:
    state = ClockState(
        name="c", started_at=sh(2026, 11, 2, 9), pauses=(Pause(sh(2026, 11, 2, 10), "waiting", sh(2026, 11, 2, 13)),)
    )
    assert due(rule(24, TimeUnit.HOURS), state, None) == sh(2026, 11, 3, 12)


def test_pause_extends_working_days_by_the_working_days_it_spanned(cn: TableCalendar, sh: Maker) -> None:
    start = sh(2026, 11, 2, 9)  # Monday
    plain = ClockState(name="c", started_at=start)
    paused = attrs.evolve(plain, pauses=(Pause(sh(2026, 11, 3, 9), "customer", sh(2026, 11, 5, 9)),))
    r = rule(2, TimeUnit.WORKING_DAYS)
    assert due(r, plain, cn).date() == date(2026, 11, 4)
    assert due(r, paused, cn).date() == date(2026, 11, 6)


def test_open_pause_has_no_deadline_unless_counted_to_as_of(sh: Maker) -> None:
    state = ClockState(name="c", started_at=sh(2026, 11, 2, 9), pauses=(Pause(sh(2026, 11, 2, 10), "w"),))
    d = compute_deadline(rule(8, TimeUnit.HOURS), state, calendar=None, tz=SH)
    assert d.due is None and d.paused
    assert due(rule(8, TimeUnit.HOURS), state, None, as_of=sh(2026, 11, 2, 12)) == sh(2026, 11, 2, 19)


def test_f2_dl_06_special_circumstance_switches_three_to_seven_working_days(cn: TableCalendar, sh: Maker) -> None:
    """F2-DL-06: handling within 3 WD, 7 WD in a special circumstance."""
    r = rule(3, TimeUnit.WORKING_DAYS, special_limit=Limit(7, TimeUnit.WORKING_DAYS))
    state = ClockState(name="c", started_at=sh(2026, 11, 2))
    special = attrs.evolve(
        state, special=SpecialCircumstance(reason="flood", approver="gm", declared_at=sh(2026, 11, 3))
    )
    assert due(r, state, cn).date() == date(2026, 11, 5)
    assert due(r, special, cn).date() == date(2026, 11, 11)


def test_f4_dl_03_promise_replaces_the_24_hour_limit(sh: Maker) -> None:
    r = rule(24, TimeUnit.HOURS, promise=PromiseMode.TWO_STAGE)
    state = ClockState(name="c", started_at=sh(2026, 11, 2, 9))
    assert due(r, state, None) == sh(2026, 11, 3, 9)
    promised = attrs.evolve(state, promise=Promise(due=sh(2026, 11, 20, 17), made_at=sh(2026, 11, 2, 20)))
    assert due(r, promised, None) == sh(2026, 11, 20, 17)


def test_deadline_met_and_overdue(sh: Maker) -> None:
    state = ClockState(name="c", started_at=sh(2026, 11, 2, 9), stopped_at=sh(2026, 11, 3, 10))
    d = compute_deadline(rule(24, TimeUnit.HOURS), state, calendar=None, tz=SH)
    assert d.met is False and d.overdue_at(sh(2026, 11, 3, 10))
    running = attrs.evolve(state, stopped_at=None)
    d = compute_deadline(rule(24, TimeUnit.HOURS), running, calendar=None, tz=SH)
    assert d.met is None
    assert not d.overdue_at(sh(2026, 11, 3, 9)) and d.overdue_at(sh(2026, 11, 3, 9, 1))


def test_a_deadline_stopped_in_time_is_never_overdue_later() -> None:
    """Overdue is judged at the stop once the clock stopped: due on the 10th, stopped on the 5th, still met on the
    20th. A deadline without a due (a clock paused now) is never overdue, and neither met nor missed."""
    in_time = Deadline(
        clock="c", rule_id="r", started_at=utc(1), due=utc(10), stopped_at=utc(5), paused=False, limit=None
    )
    assert in_time.overdue_at(utc(20)) is False and in_time.met is True
    late = attrs.evolve(in_time, stopped_at=utc(11))
    assert late.overdue_at(utc(5)) is True and late.met is False
    on_the_dot = attrs.evolve(in_time, stopped_at=utc(10))
    assert on_the_dot.overdue_at(utc(20)) is False and on_the_dot.met is True
    for stopped in (utc(5), None):
        no_due = attrs.evolve(in_time, due=None, stopped_at=stopped)
        assert no_due.overdue_at(utc(20)) is False and no_due.met is None


def test_a_naive_as_of_is_refused(sh: Maker) -> None:
    """DOMAIN §4: every instant is aware; an ``as_of`` without a zone would be read in no zone at all."""
    state = ClockState(name="c", started_at=sh(2026, 11, 2, 9), pauses=(Pause(sh(2026, 11, 2, 10), "w"),))
    with pytest.raises(InvalidInstant, match="as_of"):
        compute_deadline(rule(8, TimeUnit.HOURS), state, calendar=None, tz=SH, as_of=datetime(2026, 11, 2, 12))


def test_paused_looks_at_the_last_pause_only() -> None:
    """A clock is paused when its last pause is open: earlier pauses were resumed before the next began. Resuming
    or stopping ends that open pause and leaves the earlier ones as they were."""
    resumed = ClockState(name="c", started_at=utc(1), pauses=(Pause(utc(2), "a", utc(3)), Pause(utc(4), "b", utc(5))))
    assert not resumed.paused
    assert resumed.stop(utc(9)) == attrs.evolve(resumed, stopped_at=utc(9))  # no open pause to end
    again = attrs.evolve(resumed, pauses=(*resumed.pauses, Pause(utc(6), "c")))
    assert again.paused
    assert again.resumed(utc(7)).pauses == (*resumed.pauses, Pause(utc(6), "c", utc(7)))
    assert not again.resumed(utc(7)).paused
    stopped = again.stop(utc(8))
    assert stopped.stopped_at == utc(8) and stopped.pauses == (*resumed.pauses, Pause(utc(6), "c", utc(8)))
    assert not stopped.running and not stopped.paused


def test_domain_4_the_weekends_only_estimate_is_noted_once_and_a_known_calendar_not_at_all() -> None:
    """DOMAIN §4: 5 working days with one pause ask the calendar twice (the period, then its paused extension): a
    weekends-only fallback says so once; a calendar that knows the year adds no note."""
    r = rule(5, TimeUnit.WORKING_DAYS)
    state = ClockState(name="c", started_at=utc(2, 4), pauses=(Pause(since=utc(3, 4), reason="x", until=utc(4, 4)),))
    known = TableCalendar(first=date(2026, 1, 1), last=date(2027, 12, 31))
    estimated = weekends_only(date(2026, 1, 1), date(2027, 12, 31))
    d_known = compute_deadline(r, state, calendar=known, tz=SH)
    d_estimated = compute_deadline(r, state, calendar=estimated, tz=SH)
    assert d_known.due == d_estimated.due == datetime(2026, 11, 10, 23, 59, 59, 999999, tzinfo=SH)
    assert d_known.warnings == ()
    assert d_estimated.warnings == ("weekends-only: working days of 2026 are a weekends-only estimate",)


def test_deadline_crossing_into_2027_raises_calendar_not_covered(cn: TableCalendar, sh: Maker) -> None:
    state = ClockState(name="c", started_at=sh(2026, 12, 29))
    with pytest.raises(CalendarNotCovered):
        compute_deadline(rule(5, TimeUnit.WORKING_DAYS), state, calendar=cn, tz=SH)


def test_weekend_fallback_gives_a_deadline_with_a_warning(cn: TableCalendar, sh: Maker) -> None:
    state = ClockState(name="c", started_at=sh(2026, 12, 29))
    d = compute_deadline(rule(5, TimeUnit.WORKING_DAYS), state, calendar=with_weekend_fallback(cn), tz=SH)
    assert d.due is not None and d.due.astimezone(SH).date() == date(2027, 1, 5)
    assert d.warnings and "2027" in d.warnings[0]


def test_the_estimate_is_noted_only_where_working_days_decided_the_deadline(cn: TableCalendar, sh: Maker) -> None:
    """A 13 calendar-day period (P1-DL-01) never asks which days are worked: under the internal rest-day rule it
    ends on 2027-01-07 with or without 2027's calendar, and said its working days were an estimate. Under the
    statutory rule the calendar moves the last day off a rest day, so the note stays."""
    state = ClockState(name="c", started_at=sh(2026, 12, 25))
    fallback = with_weekend_fallback(cn)
    plain = compute_deadline(rule(13, TimeUnit.CALENDAR_DAYS), state, calendar=fallback, tz=SH)
    assert plain.due is not None and plain.due.astimezone(SH).date() == date(2027, 1, 7) and plain.warnings == ()
    statutory = rule(15, TimeUnit.CALENDAR_DAYS, on_rest_day=RestDayRule.STATUTORY)
    moved = compute_deadline(statutory, state, calendar=fallback, tz=SH)  # Saturday 2027-01-09 -> Monday
    assert moved.due is not None and moved.due.astimezone(SH).date() == date(2027, 1, 11)
    assert moved.warnings and "2027" in moved.warnings[0]


def test_due_is_utc_inside(sh: Maker) -> None:
    state = ClockState(name="c", started_at=sh(2026, 11, 2))
    d = compute_deadline(rule(1, TimeUnit.CALENDAR_DAYS), state, calendar=None, tz=SH)
    assert d.due is not None and d.due.tzinfo is UTC
    assert d.due - timedelta(microseconds=d.due.microsecond) == datetime(2026, 11, 3, 15, 59, 59, tzinfo=UTC)


# ----- the clock plan: select_rule worked out once per policy and case subject -------------------------------
@pytest.mark.parametrize("preset", ["manufacturing", "furniture", "auto-dealer", "service", "bank-branch"])
def test_clock_plan_agrees_with_select_rule_for_every_subject(preset: str) -> None:
    """The cached plan must give, for every case subject and milestone, exactly what a rule-by-rule walk gives."""

    policy = load_preset(preset)
    milestones = {r.start for r in policy.clocks} | {r.stop for r in policy.clocks}
    severities = [None, *(s.code for s in policy.severities)]
    for market, kind, category, severity, channel in itertools.product(
        [None, *Market], [None, *CaseKind], [c.code for c in policy.categories], severities, [None, *Channel]
    ):
        subject = ClockSubject(market, kind, category, severity, channel)
        plan = clock_plan(policy, subject)
        for milestone in milestones:
            walked_starts = tuple(
                name
                for name in policy.clocks_starting_at(milestone)
                if (r := select_rule(policy, name, subject)) is not None and r.start == milestone
            )
            walked_stops = frozenset(
                name
                for name in policy.clock_names()
                if (r := select_rule(policy, name, subject)) is not None and r.stop == milestone
            )
            assert plan.starting.get(milestone, ()) == walked_starts, (subject, milestone)
            assert plan.stopping.get(milestone, frozenset()) == walked_stops, (subject, milestone)
        assert clock_plan(policy, subject) is plan  # worked out once


def test_policy_memo_is_not_part_of_its_value() -> None:
    """A policy that has cached plans still equals, hashes and evolves like one that has not."""

    used, fresh = load_preset("manufacturing"), load_preset("manufacturing")
    clock_plan(used, ClockSubject(category="quality"))
    assert used == fresh and repr(used) == repr(fresh)
    evolved = attrs.evolve(used, version=used.version + 1)
    assert evolved.derived("probe", lambda: 1) == 1 and used.derived("probe", lambda: 2) == 2


def test_statutory_rule_moves_the_paused_period_end_once(cn: TableCalendar) -> None:
    """Civil Code art. 203 (DOMAIN §4): 5 calendar days from Mon 2025-03-03 end Sat 03-08, moved to Mon 03-10.
    A 1-day pause lengthens the period to Sun 03-09, still moved to Mon 03-10; a 3-day pause to Tue 03-11."""
    r = rule(5, TimeUnit.CALENDAR_DAYS, on_rest_day=RestDayRule.STATUTORY)
    start = datetime(2025, 3, 3, 9, tzinfo=SH)

    def paused(days: int) -> ClockState:
        since = datetime(2025, 3, 4, 9, tzinfo=SH)
        return ClockState(
            name="c", started_at=start, pauses=(Pause(since=since, reason="r", until=since + timedelta(days=days)),)
        )

    assert due(r, ClockState(name="c", started_at=start), cn).date() == date(2025, 3, 10)
    assert due(r, paused(1), cn).date() == date(2025, 3, 10)
    assert due(r, paused(2), cn).date() == date(2025, 3, 10)
    assert due(r, paused(3), cn).date() == date(2025, 3, 11)


def test_the_day_ends_after_the_repeated_hour_where_dst_ends_at_midnight() -> None:
    """America/Santiago left DST at midnight 2025-04-05/06: 23:00-23:59 of the 5th happened twice (-03, then -04).
    A day-based limit ending on the 5th ends at the second 23:59:59.999999."""
    from complaint_core.timeutil import end_of_day

    santiago = ZoneInfo("America/Santiago")
    assert end_of_day(date(2025, 4, 5), santiago) == datetime(2025, 4, 6, 3, 59, 59, 999999, tzinfo=UTC)
    assert end_of_day(date(2025, 4, 4), santiago) == datetime(2025, 4, 5, 2, 59, 59, 999999, tzinfo=UTC)
    assert end_of_day(date(2026, 11, 2), SH) == datetime(2026, 11, 2, 15, 59, 59, 999999, tzinfo=UTC)
