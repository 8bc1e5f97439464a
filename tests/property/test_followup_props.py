"""Properties of follow-up schedules and visits (DOMAIN §9)."""

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.calendars import china_calendar
from adapters.policy_files import load_preset
from complaint_core import (
    Case,
    CaseKind,
    CaseStatus,
    DomainError,
    Intake,
    Limit,
    Party,
    PartyKind,
    Policy,
    RemedyKind,
    Responsibility,
    TimeUnit,
)
from complaint_core.followup import (
    FollowUp,
    Triggers,
    VisitKind,
    VisitStatus,
    open_second_complaint,
    plan_visits,
    replay,
)
from complaint_core.policy import FollowUpRules

CN = china_calendar()
SERVICE = load_preset("service")
MANUFACTURING = load_preset("manufacturing")
TZ = SERVICE.tz
SMT = Party(PartyKind.GROUP_UNIT, "smt-2", "SMT 二班")

# Working-day limits need the calendar to cover the due: keep triggers well inside 2010..2026.
instants = st.datetimes(min_value=datetime(2010, 1, 1), max_value=datetime(2025, 10, 31), timezones=st.just(UTC))
limits = st.one_of(
    st.none(),
    st.builds(Limit, st.integers(0, 400), st.sampled_from([TimeUnit.MINUTES, TimeUnit.HOURS])),
    st.builds(Limit, st.integers(0, 45), st.sampled_from([TimeUnit.CALENDAR_DAYS, TimeUnit.WORKING_DAYS])),
    st.builds(Limit, st.integers(0, 12), st.just(TimeUnit.CALENDAR_MONTHS)),
)
rules = st.builds(
    FollowUpRules,
    after_reply=limits,
    after_rework_delivery=limits,
    monthly_visits=st.integers(0, 6),
    same_day_call=st.booleans(),
    secondary_check=limits,
    retry_after=limits,
    max_attempts=st.integers(1, 4),
)


def closed_case(policy: Policy, start: datetime) -> Case:
    at = start
    intake = Intake(customer="客户", channel=policy.channels[0], category=policy.categories[0].code)
    case, _ = Case.receive(policy, case_id=uuid4(), intake=intake, at=at, actor="clerk")
    for command, kw in [
        ("register", {"number": "20260101"}),
        ("start_investigation", {}),
        ("attribute", {"causer": Responsibility.sole(SMT)}),
        ("propose", {"kind": RemedyKind.ALLOWANCE, "amount": Decimal("0.00")}),
        ("approve", {"role": policy.approval[-1].role}),
        ("reply_to_customer", {"message": "已处理"}),
        ("close", {}),
    ]:
        at += timedelta(hours=2)
        case, _ = getattr(case, command)(policy, at=at, actor="u", **kw)
    assert case.status is CaseStatus.CLOSED
    return case


@given(
    rules=rules,
    kind=st.sampled_from(CaseKind),
    rework=st.booleans(),
    replied=instants,
    delivered=st.dates(min_value=date(2010, 1, 1), max_value=date(2025, 10, 31)),
    solved=instants,
    completed=instants,
)
def test_every_due_is_on_or_after_its_trigger(
    rules: FollowUpRules,
    kind: CaseKind,
    rework: bool,
    replied: datetime,
    delivered: date,
    solved: datetime,
    completed: datetime,
) -> None:
    policy = attrs.evolve(MANUFACTURING, followups=rules)
    triggers = Triggers(replied_at=replied, rework_delivered_on=delivered, solved_at=solved, completed_at=completed)
    visits = plan_visits(policy, kind=kind, rework=rework, triggers=triggers, calendar=CN)
    assert all(v.due >= v.trigger for v in visits)
    assert [v.due for v in visits] == sorted(v.due for v in visits)
    kinds = [v.kind for v in visits]
    assert kinds.count(VisitKind.MONTHLY) == (rules.monthly_visits if kind is CaseKind.EXTERNAL else 0)
    assert VisitKind.REWORK_DELIVERY not in kinds or VisitKind.AFTER_REPLY not in kinds


@given(
    solved=st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)),
    months=st.integers(1, 36),
)
def test_p4_fu_04_monthly_visits_strictly_increase_and_clamp(solved: datetime, months: int) -> None:
    policy = attrs.evolve(SERVICE, followups=FollowUpRules(monthly_visits=months))
    visits = plan_visits(policy, kind=CaseKind.EXTERNAL, rework=False, triggers=Triggers(solved_at=solved))
    assert [v.sequence for v in visits] == list(range(1, months + 1))
    dues = [v.due for v in visits]
    assert all(a < b for a, b in itertools.pairwise(dues)) and dues[0] > solved
    start = solved.astimezone(TZ).date()
    for k, visit in enumerate(visits, 1):
        day = visit.due.astimezone(TZ).date()
        assert (day.year * 12 + day.month) - (start.year * 12 + start.month) == k
        assert day.day == start.day or (day.day < start.day and (day + timedelta(days=1)).day == 1)


PARENT = closed_case(SERVICE, datetime(2025, 3, 3, 1, tzinfo=UTC))


@given(
    visit=st.integers(1, 4),
    misses=st.integers(0, 2),
    gap=st.integers(0, 30 * 24),
    notes=st.text(max_size=20),
)
def test_p4_esc_04_a_dissatisfied_visit_yields_exactly_one_linked_second_complaint(
    visit: int, misses: int, gap: int, notes: str
) -> None:
    followup, _ = FollowUp.schedule(
        SERVICE, PARENT, followup_id=uuid4(), triggers=Triggers.from_case(PARENT), at=PARENT.last_at, actor="cs"
    )
    at = max(PARENT.last_at, followup.visit(visit).trigger) + timedelta(hours=gap)
    for _ in range(misses):
        followup, _ = followup.record_attempt(SERVICE, visit=visit, at=at, actor="cs", reached=False, calendar=CN)
        at += timedelta(days=1)
    followup, _ = followup.record_attempt(
        SERVICE, visit=visit, at=at, actor="cs", reached=True, satisfaction="dissatisfied", notes=notes
    )
    result = open_second_complaint(SERVICE, PARENT, followup, visit=visit, case_id=uuid4(), at=at, actor="cs")
    assert result.case.parent_case_id == PARENT.case_id and result.case.repeat_count == PARENT.repeat_count + 1
    assert len(result.case_events) == 1 and len(result.followup_events) == 1
    assert [v.second_case_id for v in result.followup.visits if v.second_case_id] == [result.case.case_id]
    assert PARENT.status is CaseStatus.CLOSED and PARENT.version == 8, "the original is never edited"
    with pytest.raises(DomainError) as err:
        open_second_complaint(SERVICE, PARENT, result.followup, visit=visit, case_id=uuid4(), at=at, actor="cs")
    assert err.value.rule == "P4-ESC-04"


commands = st.lists(
    st.tuples(
        st.sampled_from(["attempt", "attempt", "attempt", "second"]),
        st.integers(0, 5),  # visit number (0 and 5 are not scheduled)
        st.integers(-72, 24 * 40),  # hours after the last event
        st.booleans(),  # reached
        st.sampled_from([None, "satisfied", "neutral", "dissatisfied", "bogus"]),
    ),
    max_size=25,
)


@given(script=commands)
def test_refused_commands_change_nothing_and_accepted_ones_add_one_version(
    script: list[tuple[str, int, int, bool, str | None]],
) -> None:
    followup, history = FollowUp.schedule(
        SERVICE, PARENT, followup_id=uuid4(), triggers=Triggers.from_case(PARENT), at=PARENT.last_at, actor="cs"
    )
    events = list(history)
    opened = 0
    for command, visit, hours, reached, level in script:
        at = followup.last_event_at + timedelta(hours=hours)
        before = followup
        try:
            if command == "attempt":
                followup, new = followup.record_attempt(
                    SERVICE, visit=visit, at=at, actor="cs", reached=reached, satisfaction=level, calendar=CN
                )
            else:
                result = open_second_complaint(
                    SERVICE, PARENT, followup, visit=visit, case_id=uuid4(), at=at, actor="cs"
                )
                followup, new = result.followup, result.followup_events
                assert result.case.parent_case_id == PARENT.case_id
                opened += 1
        except DomainError:
            assert followup is before and followup == before
            continue
        assert len(new) == 1 and new[0].version == followup.version == before.version + 1
        events.extend(new)
        assert all(v.due >= v.trigger for v in followup.visits)
        assert all(len(v.attempts) <= SERVICE.followups.max_attempts for v in followup.visits)
        assert all(v.status is not VisitStatus.UNREACHABLE or not v.attempts[-1].reached for v in followup.visits)
    assert followup.version == len(events)
    assert opened == sum(v.second_case_id is not None for v in followup.visits)
    assert replay(events) == followup
