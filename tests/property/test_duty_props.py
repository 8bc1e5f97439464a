"""Property tests of periodic duties (DOMAIN §4): periods are unique and ordered, each opens before it is due, a
period's name reads back, and the open duties only grow with time (until recorded) and stay overdue once overdue."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from complaint_core import DutyPeriod, DutyRule, Labels, open_duties
from complaint_core.duties import check_period, latest_period, periods

SH = ZoneInfo("Asia/Shanghai")


@st.composite
def rules(draw: st.DrawFn) -> DutyRule:
    every = draw(st.sampled_from(DutyPeriod))
    due = {DutyPeriod.MONTH: st.integers(1, 28), DutyPeriod.WEEK: st.integers(1, 7), DutyPeriod.DAY: st.just(0)}
    return DutyRule(name=f"d_{every.value}", label=Labels("职责", "duty"), every=every, due=draw(due[every]))


days = st.dates(min_value=date(2004, 3, 1), max_value=date(2026, 10, 1))


@given(rules(), days, st.integers(0, 120))
def test_periods_are_unique_ordered_and_read_back(rule: DutyRule, first: date, span: int) -> None:
    last = first + timedelta(days=span)
    found = list(periods(rule, first, last))
    keys = [key for key, _, _ in found]
    assert len(keys) == len(set(keys))
    assert [due for _, _, due in found] == sorted(due for _, _, due in found)
    for key, opens, due_on in found:
        assert first <= due_on <= last and opens <= due_on
        end_of_opening_day = datetime.combine(opens, time(23, 59), tzinfo=SH)
        check_period(rule, key, end_of_opening_day, SH, None)  # its own name, open that day
        assert latest_period(rule, datetime.combine(opens, time(12), tzinfo=SH), SH, None) == key
    if rule.every is DutyPeriod.DAY:
        assert len(found) == span + 1  # every day, none skipped


@given(
    st.lists(rules(), min_size=1, max_size=3, unique_by=lambda r: r.name),
    days,
    st.integers(0, 90 * 24),
    st.integers(0, 90 * 24),
    st.sets(st.integers(0, 40), max_size=10),
)
def test_open_duties_grow_with_time_and_stay_overdue(
    duty_rules: list[DutyRule], since: date, h1: int, h2: int, done_index: set[int]
) -> None:
    start = datetime.combine(since, time(0), tzinfo=UTC)
    t1, t2 = sorted((start + timedelta(hours=h1), start + timedelta(hours=h2)))
    everything = open_duties(duty_rules, tz=SH, calendar=None, done=(), as_of=t2, since=since)
    done = {(d.name, d.period) for i, d in enumerate(everything) if i in done_index}
    early = open_duties(duty_rules, tz=SH, calendar=None, done=done, as_of=t1, since=since)
    late = open_duties(duty_rules, tz=SH, calendar=None, done=done, as_of=t2, since=since)
    by_key = {(d.name, d.period): d for d in late}
    for duty in early:
        assert (duty.name, duty.period) in by_key  # still open later: only recording closes a duty
        assert not duty.overdue or by_key[(duty.name, duty.period)].overdue
        assert duty.overdue == (t1 > duty.due_at)
    assert not {(d.name, d.period) for d in late} & done
    assert all(d.due_on >= since and d.opens <= t2.astimezone(SH).date() for d in late)
