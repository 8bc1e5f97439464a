"""DOMAIN §4: a clock as it stood at a past moment (``ClockState.as_it_was``), for overdue lists and reports of a
past --at: whatever was recorded later (a stop, a pause or its end, an extension, a promise, a ladder level) is
undone; whatever was recorded at that very instant counts (F2-DL-06, P4-DL-06 / P5-DL-02, P1-ESC-01)."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import attrs
import pytest

from complaint_core import Channel, Intake, Policy, TableCalendar
from complaint_core.case import Case
from complaint_core.clocks import ClockState, Pause, Promise, SpecialCircumstance
from complaint_core.escalation import overdue_deadlines
from complaint_core.policy import Limit, TimeUnit

Maker = Callable[..., datetime]
SH = ZoneInfo("Asia/Shanghai")
TICK = timedelta(microseconds=1)


def t(day: int) -> datetime:
    return datetime(2026, 11, day, 12, tzinfo=UTC)


# started day 1, paused day 5 to day 6, stopped day 8, extended and promised on day 10 (after it stopped: the
# history is only data here); ladder levels fired on days 3 and 9
STATE = ClockState(
    name="resolve",
    started_at=t(1),
    pauses=(Pause(since=t(5), reason="awaiting_customer", until=t(6)),),
    stopped_at=t(8),
    special=SpecialCircumstance(reason="flood", approver="gm", declared_at=t(10)),
    promise=Promise(due=t(20), made_at=t(10)),
    level=2,
    fired_at=(t(3), t(9)),
)


def test_before_the_start_there_was_no_clock_and_at_the_start_there_is() -> None:
    """The instant a clock starts, it runs: None only strictly before."""
    assert STATE.as_it_was(t(1) - TICK) is None
    then = STATE.as_it_was(t(1))
    assert then == attrs.evolve(STATE, pauses=(), stopped_at=None, special=None, promise=None, level=0, fired_at=())
    assert then is not None and then.running and not then.paused


def test_a_pause_counts_from_its_start_and_ends_at_its_resumption() -> None:
    """At the pause's start the clock is paused (the pause open); at the resumption it is running again."""
    assert STATE.as_it_was(t(5) - TICK) == attrs.evolve(
        STATE, pauses=(), stopped_at=None, special=None, promise=None, level=1, fired_at=(t(3),)
    )
    at_pause = STATE.as_it_was(t(5))
    assert at_pause is not None and at_pause.paused
    assert at_pause.pauses == (Pause(since=t(5), reason="awaiting_customer"),)
    before_resume = STATE.as_it_was(t(6) - TICK)
    assert before_resume is not None and before_resume.paused
    at_resume = STATE.as_it_was(t(6))
    assert at_resume is not None and not at_resume.paused and at_resume.pauses == STATE.pauses


def test_a_stop_counts_from_its_instant() -> None:
    before = STATE.as_it_was(t(8) - TICK)
    assert before is not None and before.running and before.stopped_at is None
    at_stop = STATE.as_it_was(t(8))
    assert at_stop is not None and not at_stop.running and at_stop.stopped_at == t(8)


@pytest.mark.parametrize("day", [1, 2, 5, 6, 8, 9])
def test_f2_dl_06_p4_dl_06_no_extension_or_promise_before_they_were_declared(day: int) -> None:
    """F2-DL-06 / P4-DL-06, P5-DL-02: a special circumstance or a promise declared on day 10 did not exist before:
    the clock ran on its normal limit then."""
    then = STATE.as_it_was(t(day))
    assert then is not None and then.special is None and then.promise is None
    just_before = STATE.as_it_was(t(10) - TICK)
    assert just_before is not None and just_before.special is None and just_before.promise is None


def test_a_clock_paused_now_was_paused_since_its_pause_started() -> None:
    """A pause still open stays open at any moment after it started; a clock without an extension or promise has
    none at any moment."""
    paused = ClockState(name="resolve", started_at=t(1), pauses=(Pause(since=t(5), reason="awaiting_customer"),))
    assert paused.as_it_was(t(7)) == paused.as_it_was(t(5)) == paused
    assert paused.as_it_was(t(4)) == attrs.evolve(paused, pauses=())


def test_f2_dl_06_p4_dl_06_an_extension_and_a_promise_count_from_the_instant_declared() -> None:
    then = STATE.as_it_was(t(10))
    assert then is not None and then.special == STATE.special and then.promise == STATE.promise
    assert STATE.as_it_was(t(30)) == STATE  # after everything: the clock as it is


def test_p1_esc_01_a_ladder_level_counts_from_the_instant_it_fired() -> None:
    """P1-ESC-01: level 1 fired on day 3, level 2 on day 9; a clock stored without those times keeps its level."""
    levels = []
    for at in (t(3) - TICK, t(3), t(9) - TICK, t(9)):
        then = STATE.as_it_was(at)
        assert then is not None
        levels.append((then.level, then.fired_at))
    assert levels == [(0, ()), (1, (t(3),)), (1, (t(3),)), (2, (t(3), t(9)))]
    legacy = attrs.evolve(STATE, fired_at=(t(3),))  # fewer times than levels: stored before the times were kept
    then = legacy.as_it_was(t(2))
    assert then is not None and (then.level, then.fired_at) == (2, (t(3),))


def test_f2_dl_06_overdue_at_a_moment_before_a_later_extension_uses_the_normal_limit(
    manufacturing: Policy, cn: TableCalendar, sh: Maker
) -> None:
    """F2-DL-06: the close clock (13 calendar days from 11-02: due at the end of 11-15) was overdue on 11-18; an
    extension to 30 days declared on 11-20 does not take the case off the overdue list of 11-18, only from 11-20."""
    clocks = tuple(
        attrs.evolve(r, special_limit=Limit(30, TimeUnit.CALENDAR_DAYS)) if r.name == "close" else r
        for r in manufacturing.clocks
    )
    policy = attrs.evolve(manufacturing, clocks=clocks)
    intake = Intake(customer="华东电子", channel=Channel.PHONE, category="quality")
    case, _ = Case.receive(policy, case_id=uuid4(), intake=intake, at=sh(2026, 11, 2), actor="s")
    case, _ = case.register(policy, at=sh(2026, 11, 2, 10), actor="g", number="261101")
    case, _ = case.declare_special_circumstance(
        policy, at=sh(2026, 11, 20, 10), actor="g", clock="close", reason="flood", approver="gm"
    )

    def late(at: datetime) -> dict[str, datetime | None]:
        return {d.clock: d.due for d in overdue_deadlines(case, policy, cn, at)}

    assert late(sh(2026, 11, 18, 12)) == {"close": datetime(2026, 11, 15, 23, 59, 59, 999999, tzinfo=SH)}
    assert late(sh(2026, 11, 20, 12)) == {}
