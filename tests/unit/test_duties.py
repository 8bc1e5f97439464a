"""Periodic duties (DOMAIN §4): P1-DL-05..07 by the 10th for the previous month, F14 weekly on Monday, P5-DL-03 daily."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

import attrs
import pytest

from adapters.clock import FixedClock
from adapters.memory import MemoryStore, MemoryUnitOfWork
from adapters.policy_files import load_preset
from complaint_core import (
    DutyPeriod,
    DutyRule,
    Labels,
    NotFound,
    PolicyInvalid,
    RuleViolation,
    TableCalendar,
    open_duties,
)
from complaint_core.duties import check_period, latest_period, period_key, periods
from complaint_core.duty_service import DutyService
from entrypoints.bootstrap import bootstrap

SH = ZoneInfo("Asia/Shanghai")
Maker = Callable[..., datetime]
MONTHLY = DutyRule(name="monthly_statistics", label=Labels("月统计", "statistics"), every=DutyPeriod.MONTH, due=10)
WEEKLY = DutyRule(name="weekly_statistics", label=Labels("周统计", "weekly"), every=DutyPeriod.WEEK, due=1)
DAILY = DutyRule(name="opinion_book_check", label=Labels("意见簿", "book"), every=DutyPeriod.DAY)
WORKDAYS = attrs.evolve(DAILY, working_days=True)


def test_p1_dl_05_a_month_is_due_by_the_10th_of_the_next() -> None:
    found = list(periods(MONTHLY, date(2026, 11, 1), date(2027, 1, 31)))
    assert found == [
        ("2026-10", date(2026, 11, 1), date(2026, 11, 10)),
        ("2026-11", date(2026, 12, 1), date(2026, 12, 10)),
        ("2026-12", date(2027, 1, 1), date(2027, 1, 10)),
    ]


def test_f14_a_week_is_due_on_the_monday_after_it() -> None:
    # ISO week 48 of 2026 is Mon 11-23 .. Sun 11-29; its statistics are due Mon 11-30
    found = list(periods(WEEKLY, date(2026, 11, 30), date(2026, 12, 7)))
    assert found == [
        ("2026-W48", date(2026, 11, 30), date(2026, 11, 30)),
        ("2026-W49", date(2026, 12, 7), date(2026, 12, 7)),
    ]


def test_p5_dl_03_daily_and_on_working_days_only(cn: TableCalendar) -> None:
    every_day = [key for key, _, _ in periods(DAILY, date(2026, 9, 30), date(2026, 10, 11))]
    assert len(every_day) == 12
    # National Day 2026: Oct 1-7 off, Sat 10-10 a make-up working day, Sun 10-11 a rest day
    working = [key for key, _, _ in periods(WORKDAYS, date(2026, 9, 30), date(2026, 10, 11), cn)]
    assert working == ["2026-09-30", "2026-10-08", "2026-10-09", "2026-10-10"]
    with pytest.raises(RuleViolation):
        list(periods(WORKDAYS, date(2026, 9, 30), date(2026, 10, 11)))  # needs the calendar


def test_open_duties_are_the_opened_undone_ones_oldest_due_first(sh: Maker) -> None:
    def names(at: datetime, done: set[tuple[str, str]] = set()) -> list[tuple[str, str, bool]]:  # noqa: B006
        found = open_duties([MONTHLY, WEEKLY], tz=SH, calendar=None, done=done, as_of=at, since=date(2026, 11, 1))
        return [(d.name, d.period, d.overdue) for d in found]

    assert names(sh(2026, 11, 30, 9)) == [
        ("weekly_statistics", "2026-W44", True),  # due Mon 11-02
        ("weekly_statistics", "2026-W45", True),  # due Mon 11-09
        ("monthly_statistics", "2026-10", True),  # due Tue 11-10
        ("weekly_statistics", "2026-W46", True),
        ("weekly_statistics", "2026-W47", True),
        ("weekly_statistics", "2026-W48", False),  # due today, at the end of the day
    ]
    done = {("monthly_statistics", "2026-10"), *((("weekly_statistics", f"2026-W{w}")) for w in range(44, 49))}
    assert names(sh(2026, 11, 30, 9), done) == []
    assert names(sh(2026, 12, 1, 0, 0), done) == [("monthly_statistics", "2026-11", False)]  # opens on the 1st
    last = open_duties(
        [MONTHLY], tz=SH, calendar=None, done=done, as_of=sh(2026, 12, 10, 23, 59), since=date(2026, 12, 1)
    )
    assert [d.overdue for d in last] == [False]  # due at the end of the 10th
    assert last[0].due_at == datetime(2026, 12, 10, 23, 59, 59, 999999, tzinfo=SH)


def test_a_period_is_recorded_once_it_opens_in_its_own_format(sh: Maker) -> None:
    check_period(MONTHLY, "2026-11", sh(2026, 12, 1, 0, 0), SH, None)
    check_period(WEEKLY, "2026-W48", sh(2026, 11, 30), SH, None)
    check_period(DAILY, "2026-11-30", sh(2026, 11, 30), SH, None)
    for rule, period, words in [
        (MONTHLY, "2026-11", "opens on 2026-12-01"),
        (MONTHLY, "2026-1", "not a month period (e.g. '2026-11')"),
        (WEEKLY, "2026-48", "not a week period"),
        (DAILY, "2026-12-01", "opens on 2026-12-01"),
        (DAILY, "30/11/2026", "not a day period"),
    ]:
        with pytest.raises(RuleViolation) as err:
            check_period(rule, period, sh(2026, 11, 30, 12), SH, None)
        assert err.value.rule == "DUTY" and words in str(err.value)
    assert latest_period(MONTHLY, sh(2026, 11, 30), SH, None) == "2026-10"
    assert latest_period(WEEKLY, sh(2026, 11, 29), SH, None) == "2026-W47"
    assert latest_period(DAILY, sh(2026, 11, 29), SH, None) == "2026-11-29"
    assert period_key(WEEKLY, date(2027, 1, 1)) == "2026-W53"  # ISO: Fri 2027-01-01 belongs to 2026's week 53


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"due": 29}, "duties[0].due"),
        ({"due": 0}, "duties[0].due"),
        ({"working_days": True}, "duties[0].working_days"),
        ({"target": "nobody"}, "duties[0].target"),
        ({"name": "Monthly"}, "duties[0].name"),
    ],
)
def test_bad_duties_are_refused_naming_the_key(change: dict[str, object], path: str) -> None:
    policy = load_preset("manufacturing")
    with pytest.raises(PolicyInvalid) as err:
        attrs.evolve(policy, duties=(attrs.evolve(policy.duties[0], **change), *policy.duties[1:]))
    assert err.value.path == path
    with pytest.raises(PolicyInvalid) as err:
        attrs.evolve(policy, duties=(policy.duties[0], policy.duties[0]))
    assert err.value.path == "duties[1]"


def test_the_service_records_each_period_once(sh: Maker) -> None:
    store = MemoryStore()
    duties = DutyService(bootstrap(uow=MemoryUnitOfWork(store), clock=FixedClock(sh(2026, 12, 8))))
    october = [(d.period, d.overdue) for d in duties.open(policy_id="manufacturing")]
    assert october[:3] == [("2026-10", True)] * 3  # the default looks back to the month before: October's are overdue
    assert [d.name for d in duties.open(policy_id="manufacturing", since=date(2026, 12, 1))] == [
        "loss_summary", "monthly_statistics", "sanction_review"
    ]  # fmt: skip
    recorded = duties.record("monthly_statistics", actor="gmo", policy_id="manufacturing", note="已归档")
    assert (recorded.period, recorded.actor, recorded.done_at) == ("2026-11", "gmo", sh(2026, 12, 8))
    with pytest.raises(RuleViolation) as err:
        duties.record("monthly_statistics", actor="gmo", period="2026-11", policy_id="manufacturing")
    assert "recorded already" in str(err.value)
    assert [d.name for d in duties.open(policy_id="manufacturing", since=date(2026, 12, 1))] == [
        "loss_summary",
        "sanction_review",
    ]
    with pytest.raises(NotFound):
        duties.record("weekly_statistics", actor="gmo", policy_id="manufacturing")
    with pytest.raises(RuleViolation):
        duties.record("loss_summary", actor=" ", policy_id="manufacturing")
    assert len(store.duties) == 1


def test_working_day_duties_are_listed_up_to_the_calendars_last_day(cn: TableCalendar, sh: Maker) -> None:
    """The list asked the calendar 40 days ahead of as_of: from 2026-11-22 on, a working-day duty failed with
    CalendarNotCovered although every open period was covered (the bundled calendar ends 2026-12-31)."""
    found = open_duties([WORKDAYS], tz=SH, calendar=cn, done=(), as_of=sh(2026, 12, 31, 10), since=date(2026, 12, 28))
    assert [d.period for d in found] == ["2026-12-28", "2026-12-29", "2026-12-30", "2026-12-31"]
    assert latest_period(WORKDAYS, sh(2026, 12, 31, 10), SH, cn) == "2026-12-31"


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda sh: open_duties([MONTHLY], tz=SH, calendar=None, done=(), as_of=sh(2026, 3, 5), since=date(1, 1, 1)),
         "since 0001-01-01: years lie between 1000 and 9998"),
        (lambda sh: open_duties([MONTHLY], tz=SH, calendar=None, done=(), as_of=sh(2026, 3, 5), since=date(9999, 12, 31)),
         "since 9999-12-31"),
        (lambda sh: check_period(MONTHLY, "9999-12", sh(2026, 3, 5), SH, None), "period 9999-12-01"),
        (lambda sh: check_period(WEEKLY, "9999-W52", sh(2026, 3, 5), SH, None), "period 9999-12-27"),
        (lambda sh: check_period(MONTHLY, "0001-01", sh(2026, 3, 5), SH, None), "period 0001-01-01"),
    ],
)  # fmt: skip
def test_periods_outside_the_years_a_date_holds_are_refused(
    sh: Maker, call: Callable[[Maker], object], words: str
) -> None:
    """They ended in OverflowError or ValueError (CLI exit 1); year 1 was recorded."""
    with pytest.raises(RuleViolation) as err:
        call(sh)
    assert err.value.rule == "DUTY" and words in str(err.value)


# -- Found by mutation testing: the duty service's defaults, borders and refusals.


def test_the_duty_service_follows_the_default_policy_and_needs_one(sh: Maker) -> None:
    clock = FixedClock(sh(2026, 12, 8))
    duties = DutyService(bootstrap(clock=clock, default_policy="manufacturing"))
    assert duties.open() == duties.open(policy_id="manufacturing") != ()
    assert duties.record("loss_summary", actor="gmo").policy_id == "manufacturing"
    bare = DutyService(bootstrap(clock=clock, default_policy=None))
    for call in (bare.open, lambda: bare.record("loss_summary", actor="gmo")):
        with pytest.raises(RuleViolation, match="no policy given and no default policy") as err:
            call()
        assert err.value.rule == "DUTY"


def test_by_default_the_list_looks_back_to_the_first_of_the_month_before(sh: Maker) -> None:
    """P5-DL-03: on 07-10 a daily check lists from 06-01 on, not 05-31 nor from 06-02."""
    duties = DutyService(bootstrap(clock=FixedClock(sh(2026, 7, 10, 10))))
    listed = [d.period for d in duties.open(policy_id="bank-branch")]
    assert listed[:2] == ["2026-06-01", "2026-06-02"] and listed[-1] == "2026-07-10"


def test_a_period_is_recorded_as_given_once_it_has_opened(sh: Maker) -> None:
    store = MemoryStore()
    duties = DutyService(bootstrap(uow=MemoryUnitOfWork(store), clock=FixedClock(sh(2026, 12, 8))))
    assert duties.record("monthly_statistics", actor="gmo", period="2026-10", policy_id="manufacturing").period == (
        "2026-10"
    )
    with pytest.raises(RuleViolation, match="for 2026-12 opens on 2027-01-01") as err:
        duties.record("monthly_statistics", actor="gmo", period="2026-12", policy_id="manufacturing")
    assert err.value.rule == "DUTY" and len(store.duties) == 1


def test_who_did_a_duty_is_named_in_at_most_255_characters(sh: Maker) -> None:
    duties = DutyService(bootstrap(clock=FixedClock(sh(2026, 12, 8))))
    assert duties.record("loss_summary", actor="x" * 255, policy_id="manufacturing").actor == "x" * 255
    with pytest.raises(RuleViolation, match="at most 255 characters"):
        duties.record("sanction_review", actor="x" * 256, policy_id="manufacturing")


def test_a_working_day_duty_is_listed_and_recorded_on_the_working_calendar(sh: Maker) -> None:
    """On Saturday 2026-10-10, a make-up working day after the National Day holidays (10-01..10-07 off), the
    latest working-day check is that day's, and the list skips the holidays."""
    bank = load_preset("bank-branch")
    checks = tuple(attrs.evolve(d, working_days=True) for d in bank.duties)
    counted = attrs.evolve(bank, policy_id="bank-wd", duties=(MONTHLY, *checks))  # one duty of two counts them
    duties = DutyService(bootstrap(clock=FixedClock(sh(2026, 10, 10, 10)), extra_policies=[counted]))
    listed = [d.period for d in duties.open(policy_id="bank-wd", since=date(2026, 9, 30)) if d.name == DAILY.name]
    assert listed == ["2026-09-30", "2026-10-08", "2026-10-09", "2026-10-10"]
    assert duties.record("opinion_book_check", actor="teller", policy_id="bank-wd").period == "2026-10-10"
