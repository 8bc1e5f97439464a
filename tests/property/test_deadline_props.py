"""Property tests for ``compute_deadline`` (DOMAIN §4).

Rules are built in code over every ``TimeUnit`` and both ``RestDayRule``s
(P1-DL-01 calendar days, P2-DL-01 working days, F2-DL-06 extended limits,
Civil Code art. 203 statutory roll-forward); clock states carry random starts
and pauses. Deadlines are computed against the bundled China calendar in
Asia/Shanghai.
"""

from __future__ import annotations

import calendar as stdcal
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from adapters.calendars import china_calendar
from complaint_core.calendar import add_working_days, next_working_day, working_days_between
from complaint_core.clocks import ClockState, Pause, Promise, SpecialCircumstance, compute_deadline, memo_due
from complaint_core.errors import RuleViolation
from complaint_core.labels import Labels
from complaint_core.policy import DAY_UNITS, ClockRule, Limit, PromiseMode, RestDayRule, TimeUnit

CN = china_calendar()
SH = ZoneInfo("Asia/Shanghai")
END = time(23, 59, 59, 999999)
LABEL = Labels(zh="时限", en="Time limit")

# Starts leave room for the longest limit plus pauses inside the calendar's coverage.
START_MIN = datetime(2004, 1, 2, tzinfo=UTC)
START_MAX = datetime(2025, 6, 30, tzinfo=UTC)

AMOUNTS = {
    TimeUnit.MINUTES: st.integers(0, 5000),
    TimeUnit.HOURS: st.integers(0, 400),
    TimeUnit.CALENDAR_DAYS: st.integers(0, 60),
    TimeUnit.WORKING_DAYS: st.integers(0, 40),
    TimeUnit.CALENDAR_MONTHS: st.integers(0, 6),
}

input_zones = st.sampled_from([UTC, SH, ZoneInfo("Asia/Urumqi"), ZoneInfo("Asia/Tokyo")])
instants = st.datetimes(
    min_value=START_MIN.replace(tzinfo=None), max_value=START_MAX.replace(tzinfo=None), timezones=st.just(UTC)
)


def make_rule(unit: TimeUnit, amount: int, rest: RestDayRule, special: int | None = None) -> ClockRule:
    return ClockRule(
        name="c",
        label=LABEL,
        start="start",
        stop="stop",
        limit=Limit(amount, unit),
        rule_id="TEST-DL",
        on_rest_day=rest,
        special_limit=Limit(amount + special, unit) if special is not None else None,
        pause_reasons=frozenset({"waiting_customer"}),
    )


ALL_UNITS = st.sampled_from(TimeUnit)


@st.composite
def rules(draw: st.DrawFn, units: st.SearchStrategy[TimeUnit] = ALL_UNITS) -> ClockRule:
    unit = draw(units)
    return make_rule(unit, draw(AMOUNTS[unit]), draw(st.sampled_from(RestDayRule)))


@st.composite
def starts(draw: st.DrawFn) -> datetime:
    """An aware start, expressed in one of a few zones (instants are compared, not wall times)."""
    return draw(instants).astimezone(draw(input_zones))


@st.composite
def pause_lists(draw: st.DrawFn, after: datetime, max_pauses: int = 3) -> tuple[Pause, ...]:
    """Closed, ordered, non-overlapping pauses after ``after``."""
    out = []
    cursor = after
    for _ in range(draw(st.integers(0, max_pauses))):
        gap = timedelta(minutes=draw(st.integers(0, 20 * 24 * 60)))
        length = timedelta(minutes=draw(st.integers(0, 20 * 24 * 60)))
        since = cursor + gap
        until = since + length
        out.append(Pause(since=since, reason="waiting_customer", until=until))
        cursor = until
    return tuple(out)


def due(rule: ClockRule, state: ClockState, **kw: object) -> datetime:
    d = compute_deadline(rule, state, calendar=CN, tz=SH, **kw).due  # type: ignore[arg-type]
    assert d is not None
    return d


def local(instant: datetime) -> date:
    return instant.astimezone(SH).date()


def add_months_ref(day: date, months: int) -> date:
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return date(year, month, min(day.day, stdcal.monthrange(year, month)[1]))


# ----- monotonicity --------------------------------------------------------------------------------


@given(rule=rules(), s1=starts(), s2=starts())
@example(
    rule=make_rule(TimeUnit.CALENDAR_MONTHS, 1, RestDayRule.INTERNAL),
    s1=datetime(2024, 1, 30, 12, tzinfo=SH),
    s2=datetime(2024, 1, 31, 12, tzinfo=SH),
)
@example(
    rule=make_rule(TimeUnit.WORKING_DAYS, 0, RestDayRule.INTERNAL),
    s1=datetime(2025, 1, 24, 23, tzinfo=SH),
    s2=datetime(2025, 1, 25, 9, tzinfo=SH),
)
def test_later_start_never_gives_earlier_deadline(rule: ClockRule, s1: datetime, s2: datetime) -> None:
    """DOMAIN §4: the deadline is a non-decreasing function of the start (P1-DL-01, P2-DL-01)."""
    s1, s2 = sorted((s1, s2))
    assert due(rule, ClockState(name="c", started_at=s1)) <= due(rule, ClockState(name="c", started_at=s2))


@given(rule=rules(), s1=starts(), s2=starts(), data=st.data())
def test_later_start_with_same_pauses_never_earlier(
    rule: ClockRule, s1: datetime, s2: datetime, data: st.DataObject
) -> None:
    s1, s2 = sorted((s1, s2))
    pauses = data.draw(pause_lists(s2), label="pauses")
    a = due(rule, ClockState(name="c", started_at=s1, pauses=pauses))
    b = due(rule, ClockState(name="c", started_at=s2, pauses=pauses))
    assert a <= b


@given(rule=rules(), start=starts(), data=st.data())
def test_adding_a_pause_never_brings_deadline_forward(rule: ClockRule, start: datetime, data: st.DataObject) -> None:
    """Paused time is excluded (DOMAIN §4): one more closed pause after the start never makes the due earlier."""
    pauses = data.draw(pause_lists(start), label="pauses")
    extra = data.draw(
        pause_lists((pauses[-1].until or start) if pauses else start, max_pauses=1).filter(bool), label="extra"
    )
    before = due(rule, ClockState(name="c", started_at=start, pauses=pauses))
    after = due(rule, ClockState(name="c", started_at=start, pauses=pauses + extra))
    assert after >= before


@given(rule=rules(st.sampled_from([TimeUnit.MINUTES, TimeUnit.HOURS])), start=starts(), data=st.data())
def test_elapsed_units_extend_by_exact_paused_duration(rule: ClockRule, start: datetime, data: st.DataObject) -> None:
    """Minutes/hours are elapsed time: the due is start + limit + total paused time, as instants."""
    pauses = data.draw(pause_lists(start), label="pauses")
    assert rule.limit is not None
    step = (
        timedelta(minutes=rule.limit.amount)
        if rule.limit.unit is TimeUnit.MINUTES
        else timedelta(hours=rule.limit.amount)
    )
    paused = sum((p.until.astimezone(UTC) - p.since.astimezone(UTC) for p in pauses if p.until), timedelta())
    got = due(rule, ClockState(name="c", started_at=start, pauses=pauses)).astimezone(UTC)
    assert got == start.astimezone(UTC) + step + paused


DST_ZONES = [ZoneInfo("America/New_York"), ZoneInfo("Europe/Berlin"), ZoneInfo("Australia/Sydney")]


@given(
    rule=rules(st.sampled_from([TimeUnit.MINUTES, TimeUnit.HOURS])),
    start=starts(),
    zone=st.sampled_from(DST_ZONES),
    data=st.data(),
)
@example(
    rule=make_rule(TimeUnit.HOURS, 1, RestDayRule.INTERNAL),
    start=datetime(2024, 3, 9, 12, tzinfo=UTC),
    zone=ZoneInfo("America/New_York"),
    data=None,
)
def test_paused_time_is_elapsed_whatever_the_pause_zone(
    rule: ClockRule, start: datetime, zone: ZoneInfo, data: st.DataObject | None
) -> None:
    """Paused time is excluded as elapsed time (DOMAIN §4): pause instants recorded in a DST zone extend an
    hour/minute limit by the real paused duration, not by the difference of wall-clock readings."""
    pauses: tuple[Pause, ...]
    if data is None:  # the explicit example: a 24 h pause across the 2024-03-10 US spring-forward
        pauses = (
            Pause(since=start + timedelta(hours=1), reason="waiting_customer", until=start + timedelta(hours=25)),
        )
    else:
        pauses = data.draw(pause_lists(start), label="pauses")
    pauses = tuple(
        attrs.evolve(p, since=p.since.astimezone(zone), until=p.until.astimezone(zone) if p.until else None)
        for p in pauses
    )
    assert rule.limit is not None
    step = (
        timedelta(minutes=rule.limit.amount)
        if rule.limit.unit is TimeUnit.MINUTES
        else timedelta(hours=rule.limit.amount)
    )
    paused = sum((p.until.astimezone(UTC) - p.since.astimezone(UTC) for p in pauses if p.until), timedelta())
    got = due(rule, ClockState(name="c", started_at=start, pauses=pauses)).astimezone(UTC)
    assert got == start.astimezone(UTC) + step + paused


@given(
    rule=rules(st.sampled_from([TimeUnit.MINUTES, TimeUnit.HOURS])),
    start=st.datetimes(
        min_value=datetime(2004, 1, 2),
        max_value=datetime(2025, 6, 30),
        timezones=st.sampled_from(
            [ZoneInfo("America/New_York"), ZoneInfo("Europe/Berlin"), ZoneInfo("Australia/Sydney")]
        ),
    ),
)
@example(
    rule=make_rule(TimeUnit.HOURS, 24, RestDayRule.INTERNAL),
    start=datetime(2024, 3, 9, 12, tzinfo=ZoneInfo("America/New_York")),
)
def test_elapsed_units_are_elapsed_whatever_the_start_zone(rule: ClockRule, start: datetime) -> None:
    """'Elapsed for minutes/hours' (clocks.shift): an aware start in a DST zone is still counted in real time."""
    assume(start.astimezone(UTC).astimezone(start.tzinfo) == start)  # skip imaginary wall times
    assert rule.limit is not None
    step = (
        timedelta(minutes=rule.limit.amount)
        if rule.limit.unit is TimeUnit.MINUTES
        else timedelta(hours=rule.limit.amount)
    )
    got = due(rule, ClockState(name="c", started_at=start))
    assert got.astimezone(UTC) - start.astimezone(UTC) == step


@given(rule=rules(st.sampled_from(sorted(DAY_UNITS))), start=starts(), data=st.data())
def test_day_based_pauses_extend_by_the_days_they_span(rule: ClockRule, start: datetime, data: st.DataObject) -> None:
    """DOMAIN §4 / clocks: a pause extends calendar-day and month limits by the calendar days it spanned, and
    working-day limits by the working days it spanned. The statutory rule (Civil Code art. 203) then moves the
    lengthened period's last day off a rest day, once: not the unpaused period's, then again."""
    pauses = data.draw(pause_lists(start, max_pauses=2), label="pauses")
    base = local(due(rule, ClockState(name="c", started_at=start)))
    got = local(due(rule, ClockState(name="c", started_at=start, pauses=pauses)))
    spans = [(local(p.since), local(p.until)) for p in pauses if p.until is not None]
    assert rule.limit is not None
    if rule.limit.unit is TimeUnit.WORKING_DAYS:
        extra = sum(working_days_between(CN, a, b) for a, b in spans)
        expected = add_working_days(CN, base, extra) if extra else base
    else:
        extra = sum((b - a).days for a, b in spans)
        internal = attrs.evolve(rule, on_rest_day=RestDayRule.INTERNAL)
        expected = local(due(internal, ClockState(name="c", started_at=start))) + timedelta(days=extra)
        if rule.on_rest_day is RestDayRule.STATUTORY:
            expected = next_working_day(CN, expected)
    assert got == expected
    assert got >= base
    if extra and (rule.limit.unit is TimeUnit.WORKING_DAYS or rule.on_rest_day is RestDayRule.INTERNAL):
        assert got > base


@given(rule=rules(), start=starts(), data=st.data())
def test_special_circumstance_never_brings_deadline_forward(
    rule: ClockRule, start: datetime, data: st.DataObject
) -> None:
    """F2-DL-06: the extended limit (same unit, not shorter) never gives an earlier due."""
    assert rule.limit is not None
    extra = data.draw(st.integers(0, 10), label="extra")
    rule = make_rule(rule.limit.unit, rule.limit.amount, rule.on_rest_day, special=extra)
    pauses = data.draw(pause_lists(start), label="pauses")
    plain = ClockState(name="c", started_at=start, pauses=pauses)
    special = attrs.evolve(
        plain, special=SpecialCircumstance(reason="flood", approver="gm", declared_at=start + timedelta(hours=1))
    )
    assert due(rule, special) >= due(rule, plain)
    if extra == 0:
        assert due(rule, special) == due(rule, plain)


@given(rule=rules(), start=starts(), data=st.data())
def test_open_pause_counts_up_to_as_of(rule: ClockRule, start: datetime, data: st.DataObject) -> None:
    """A clock paused now has no fixed due; counted up to ``as_of`` it is monotone in ``as_of``
    and equals the due of the same pause closed at ``as_of``."""
    since = start + timedelta(minutes=data.draw(st.integers(0, 10 * 24 * 60), label="since"))
    a1 = since + timedelta(minutes=data.draw(st.integers(0, 10 * 24 * 60), label="a1"))
    a2 = a1 + timedelta(minutes=data.draw(st.integers(0, 10 * 24 * 60), label="a2"))
    open_state = ClockState(name="c", started_at=start, pauses=(Pause(since, "waiting_customer"),))
    assert compute_deadline(rule, open_state, calendar=CN, tz=SH).due is None
    assert open_state.paused
    d1 = due(rule, open_state, as_of=a1)
    d2 = due(rule, open_state, as_of=a2)
    assert d1 <= d2
    closed = ClockState(name="c", started_at=start, pauses=(Pause(since, "waiting_customer", until=a1),))
    assert d1 == due(rule, closed)


# ----- shape of the due ----------------------------------------------------------------------------


@given(rule=rules(), start=starts(), data=st.data())
def test_due_never_before_start(rule: ClockRule, start: datetime, data: st.DataObject) -> None:
    pauses = data.draw(pause_lists(start), label="pauses")
    d = due(rule, ClockState(name="c", started_at=start, pauses=pauses))
    assert d >= start


@given(rule=rules(st.sampled_from(sorted(DAY_UNITS))), start=starts(), data=st.data())
@example(
    rule=make_rule(TimeUnit.CALENDAR_DAYS, 13, RestDayRule.INTERNAL),
    start=datetime(2024, 3, 1, 16, 30, tzinfo=UTC),  # 00:30 on 2 March in Shanghai
    data=None,
)
def test_day_based_deadline_ends_at_local_end_of_day(
    rule: ClockRule, start: datetime, data: st.DataObject | None
) -> None:
    """DOMAIN §4: day-based limits end at 23:59:59.999999 local (Asia/Shanghai), on or after the start's local day."""
    pauses = data.draw(pause_lists(start), label="pauses") if data is not None else ()
    d = due(rule, ClockState(name="c", started_at=start, pauses=pauses))
    assert d.astimezone(SH).time() == END
    assert local(d) >= local(start)


@given(rule=rules(st.sampled_from(sorted(DAY_UNITS))), start=starts())
@example(
    rule=make_rule(TimeUnit.CALENDAR_DAYS, 13, RestDayRule.INTERNAL),
    start=datetime(2024, 3, 1, 16, 30, tzinfo=UTC),
)
def test_day_based_deadline_day_without_pauses(rule: ClockRule, start: datetime) -> None:
    """The start's local day is day 0: calendar days add N (P1-DL-01), months clamp at month end, working days
    are the N-th working day after (P2-DL-01); the statutory rule rolls a rest day forward (Civil Code art. 203)."""
    assert rule.limit is not None
    n, unit = rule.limit.amount, rule.limit.unit
    day0 = local(start)
    got = local(due(rule, ClockState(name="c", started_at=start)))
    if unit is TimeUnit.WORKING_DAYS:
        assert CN.is_working_day(got)
        if n >= 1:
            assert working_days_between(CN, day0, got) == n
        else:
            assert got == next_working_day(CN, day0)
        return
    plain = day0 + timedelta(days=n) if unit is TimeUnit.CALENDAR_DAYS else add_months_ref(day0, n)
    if rule.on_rest_day is RestDayRule.INTERNAL:
        assert got == plain
    else:
        assert got == next_working_day(CN, plain)


@given(
    rule=rules(st.sampled_from(sorted(DAY_UNITS))).filter(
        lambda r: (
            r.on_rest_day is RestDayRule.STATUTORY or (r.limit is not None and r.limit.unit is TimeUnit.WORKING_DAYS)
        )
    ),
    start=starts(),
    data=st.data(),
)
def test_working_day_and_statutory_deadlines_fall_on_working_days(
    rule: ClockRule, start: datetime, data: st.DataObject
) -> None:
    """Working-day limits end on a working day, with or without pauses; so do statutory day/month limits."""
    pauses = data.draw(pause_lists(start), label="pauses")
    d = due(rule, ClockState(name="c", started_at=start, pauses=pauses))
    assert CN.is_working_day(local(d))


@given(rule=rules(), start=starts(), data=st.data())
def test_promise_becomes_the_deadline(rule: ClockRule, start: datetime, data: st.DataObject) -> None:
    """P4-DL-06 / P5-DL-02: on a clock that takes promises, a recorded promise is the due."""
    mode = data.draw(st.sampled_from(PromiseMode), label="mode")
    rule = attrs.evolve(rule, promise=mode)
    promised = start + timedelta(minutes=data.draw(st.integers(1, 60 * 24 * 30), label="promised"))
    state = ClockState(name="c", started_at=start, promise=Promise(due=promised, made_at=start))
    got = due(rule, state)
    if mode is PromiseMode.NONE:
        assert got == due(rule, attrs.evolve(state, promise=None))
    else:
        assert got == promised


# ----- the sweep's shortcut ------------------------------------------------------------------------


@given(data=st.data())
def test_memo_due_gives_compute_deadline_due_to_every_clock_sharing_the_memo(data: st.DataObject) -> None:
    """``memo_due`` (the sweep computes a plain day-based due once per rule and local start day) never gives a
    clock another due than ``compute_deadline``: not to a clock with pauses, an extended limit or a promise, not
    to an hour-based clock started on a day already memoised, not across rules."""
    rules_ = [
        make_rule(r.limit.unit, r.limit.amount, r.on_rest_day, special=data.draw(st.integers(0, 5)))
        for r in data.draw(st.lists(rules(), min_size=1, max_size=3), label="rules")
        if r.limit is not None
    ]
    rules_ = [attrs.evolve(r, promise=data.draw(st.sampled_from(PromiseMode))) for r in rules_]
    base = data.draw(starts(), label="base")
    memo: dict[tuple[int, date], datetime | None] = {}
    for _ in range(data.draw(st.integers(1, 10), label="clocks")):
        rule = data.draw(st.sampled_from(rules_), label="rule")
        start = base + timedelta(minutes=data.draw(st.integers(0, 3 * 24 * 60), label="start"))
        state = ClockState(name="c", started_at=start)
        if data.draw(st.booleans(), label="paused"):
            state = attrs.evolve(state, pauses=data.draw(pause_lists(start, max_pauses=2), label="pauses"))
        if data.draw(st.booleans(), label="special"):
            declared = start + timedelta(hours=1)
            state = attrs.evolve(
                state, special=SpecialCircumstance(reason="flood", approver="gm", declared_at=declared)
            )
        if data.draw(st.booleans(), label="promise"):
            promised = start + timedelta(minutes=data.draw(st.integers(1, 60 * 24 * 30), label="promised"))
            state = attrs.evolve(state, promise=Promise(due=promised, made_at=start))
        expected = compute_deadline(rule, state, calendar=CN, tz=SH).due
        assert memo_due(rule, state, calendar=CN, tz=SH, memo=memo) == expected


@given(unit=ALL_UNITS, data=st.data())
def test_a_rule_not_dated_by_the_calendar_never_asks_it(unit: TimeUnit, data: st.DataObject) -> None:
    """``CaseService.check_deadlines`` computes only the clocks whose rule is ``dated_by_calendar``: any other
    rule's deadline, with pauses and a special circumstance, never needs the calendar (None, here), so it can never
    meet a year the calendar does not cover."""
    special = data.draw(st.none() | st.integers(0, 10), label="special")
    rule = make_rule(unit, data.draw(AMOUNTS[unit], label="amount"), data.draw(st.sampled_from(RestDayRule)), special)
    start = data.draw(starts(), label="start")
    state = ClockState(name="c", started_at=start, pauses=data.draw(pause_lists(start), label="pauses"))
    if special is not None:
        state = attrs.evolve(state, special=SpecialCircumstance(reason="flood", approver="gm", declared_at=start))
    if not rule.dated_by_calendar:
        assert compute_deadline(rule, state, calendar=None, tz=SH).due is not None
    elif unit in DAY_UNITS:  # and a day-based rule it dates does ask the calendar: the skip is not too wide either
        with pytest.raises(RuleViolation, match="needs a working calendar"):
            compute_deadline(rule, state, calendar=None, tz=SH)
