"""DOMAIN §9: follow-up schedules, visits and the second complaints they open."""

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import attrs
import pytest

from adapters.clock import FixedClock
from adapters.memory import MemoryPolicies, MemoryStore, MemoryUnitOfWork
from complaint_core import (
    Case,
    CaseKind,
    CaseStatus,
    Channel,
    Intake,
    Limit,
    NotFound,
    Party,
    PartyKind,
    Policy,
    RemedyKind,
    Responsibility,
    RuleViolation,
    TableCalendar,
    TimeUnit,
)
from complaint_core.events import CaseReceived
from complaint_core.followup import (
    FollowUp,
    FollowUpScheduled,
    PlannedVisit,
    SecondComplaintOpened,
    Triggers,
    VisitKind,
    VisitReached,
    VisitStatus,
    VisitUnreachable,
    open_second_complaint,
    plan_visits,
    replay,
    require_schedule,
)
from complaint_core.services import CaseService
from entrypoints.bootstrap import bootstrap

Maker = Callable[..., datetime]
SMT = Party(PartyKind.GROUP_UNIT, "smt-2", "SMT 二班")
WD = TimeUnit.WORKING_DAYS


def followups(policy: Policy, **changes: object) -> Policy:
    return attrs.evolve(policy, followups=attrs.evolve(policy.followups, **changes))


def closed_case(
    policy: Policy,
    start: datetime,
    *,
    remedy: RemedyKind = RemedyKind.ALLOWANCE,
    kind: CaseKind = CaseKind.EXTERNAL,
    close: bool = True,
) -> Case:
    """A case taken through to closure (or to the reply), one command every two hours from ``start``."""
    at = start
    number = "261101001" if policy.numbering.assign_at == "received" else None
    intake = Intake(customer="华东家居", channel=policy.channels[0], category=policy.categories[0].code, kind=kind)
    case, _ = Case.receive(policy, case_id=uuid4(), intake=intake, at=at, actor="clerk", number=number)
    steps: list[tuple[str, dict[str, object]]] = [
        ("register", {} if number else {"number": "20261101"}),
        ("start_investigation", {}),
        ("attribute", {"causer": Responsibility.sole(SMT)}),
        ("propose", {"kind": remedy, "amount": Decimal("0.00")}),
        ("approve", {"role": policy.approval[-1].role}),
        ("reply_to_customer", {"message": "返修后送回"}),
        ("close", {}),
    ]
    for command, kw in steps if close else steps[:-1]:
        at += timedelta(hours=2)
        case, _ = getattr(case, command)(policy, at=at, actor="u", **kw)
    assert case.status is (CaseStatus.CLOSED if close else CaseStatus.REPLIED)
    return case


def local_days(visits: tuple[PlannedVisit, ...], policy: Policy) -> list[str]:
    return [v.due.astimezone(policy.tz).date().isoformat() for v in visits]


# ----- the schedule ---------------------------------------------------------------------------
def test_p2_dl_05_rework_visit_on_the_2nd_day_of_delivery(furniture: Policy, sh: Maker) -> None:
    triggers = Triggers(replied_at=sh(2026, 11, 2), rework_delivered_on=date(2026, 11, 10))
    (visit,) = plan_visits(furniture, kind=CaseKind.EXTERNAL, rework=True, triggers=triggers)
    assert (visit.kind, visit.rule_id) == (VisitKind.REWORK_DELIVERY, "P2-DL-05")
    assert visit.due == sh(2026, 11, 11, 23, 59) + timedelta(seconds=59, microseconds=999999)
    assert visit.trigger == sh(2026, 11, 10, 0, 0), "the delivery day starts the count"


def test_p2_dl_05_rework_case_needs_the_delivery_date(furniture: Policy, sh: Maker) -> None:
    with pytest.raises(RuleViolation) as err:
        plan_visits(furniture, kind=CaseKind.EXTERNAL, rework=True, triggers=Triggers(replied_at=sh(2026, 11, 2)))
    assert err.value.rule == "P2-DL-05"


def test_p2_dl_06_other_cases_15_calendar_days_after_the_reply(furniture: Policy, sh: Maker) -> None:
    (visit,) = plan_visits(
        furniture, kind=CaseKind.EXTERNAL, rework=False, triggers=Triggers(replied_at=sh(2026, 11, 2, 16))
    )
    assert (visit.kind, visit.rule_id) == (VisitKind.AFTER_REPLY, "P2-DL-06")
    assert local_days((visit,), furniture) == ["2026-11-17"]
    with pytest.raises(RuleViolation) as err:
        plan_visits(furniture, kind=CaseKind.EXTERNAL, rework=False, triggers=Triggers())
    assert err.value.rule == "P2-DL-06"


def test_p2_dl_06_working_days_skip_national_day_2026(furniture: Policy, cn: TableCalendar, sh: Maker) -> None:
    policy = followups(furniture, after_reply=Limit(1, WD), after_rework_delivery=Limit(2, WD))
    triggers = Triggers(replied_at=sh(2026, 9, 30, 17))
    (visit,) = plan_visits(policy, kind=CaseKind.EXTERNAL, rework=False, triggers=triggers, calendar=cn)
    assert local_days((visit,), policy) == ["2026-10-08"], "Oct 1-7 are holidays"
    rework = Triggers(rework_delivered_on=date(2026, 9, 30))
    (visit,) = plan_visits(policy, kind=CaseKind.EXTERNAL, rework=True, triggers=rework, calendar=cn)
    assert visit.rule_id == "P2-DL-05" and local_days((visit,), policy) == ["2026-10-09"]
    with pytest.raises(RuleViolation) as err:
        plan_visits(policy, kind=CaseKind.EXTERNAL, rework=False, triggers=triggers, calendar=None)
    assert err.value.rule == "CAL-REQUIRED"
    for day in (date(9999, 12, 31), date(1, 1, 1)):  # an OverflowError on the way to UTC was exit 1 in the CLI
        with pytest.raises(RuleViolation, match="the year must lie between 1000 and 9998") as far:
            plan_visits(policy, kind=CaseKind.EXTERNAL, rework=True, triggers=Triggers(rework_delivered_on=day))
        assert far.value.rule == "P2-DL-05"


@pytest.mark.parametrize(
    ("solved", "expected"),
    [
        ((2023, 1, 31), ["2023-02-28", "2023-03-31", "2023-04-30"]),
        ((2024, 1, 31), ["2024-02-29", "2024-03-31", "2024-04-30"]),  # leap year
        ((2026, 11, 30), ["2026-12-30", "2027-01-30", "2027-02-28"]),
        ((2026, 3, 15), ["2026-04-15", "2026-05-15", "2026-06-15"]),
    ],
)
def test_p4_fu_04_monthly_visits_clamped_to_the_month_end(
    service: Policy, sh: Maker, solved: tuple[int, int, int], expected: list[str]
) -> None:
    policy = followups(service, secondary_check=None)
    visits = plan_visits(policy, kind=CaseKind.EXTERNAL, rework=False, triggers=Triggers(solved_at=sh(*solved, 18)))
    assert [(v.kind, v.rule_id, v.sequence) for v in visits] == [(VisitKind.MONTHLY, "P4-FU-04", k) for k in (1, 2, 3)]
    assert local_days(visits, policy) == expected


def test_p4_fu_04_monthly_visits_are_for_external_tickets_only(service: Policy, sh: Maker) -> None:
    policy = followups(service, secondary_check=None)
    assert plan_visits(policy, kind=CaseKind.INTERNAL, rework=False, triggers=Triggers(solved_at=sh(2026, 1, 5))) == ()
    with pytest.raises(RuleViolation) as err:
        plan_visits(policy, kind=CaseKind.EXTERNAL, rework=False, triggers=Triggers(replied_at=sh(2026, 1, 5)))
    assert err.value.rule == "P4-FU-04"


def test_p4_fu_03_secondary_check_is_a_visit_of_its_own(service: Policy, cn: TableCalendar, sh: Maker) -> None:
    visits = plan_visits(
        service, kind=CaseKind.EXTERNAL, rework=False, triggers=Triggers(solved_at=sh(2026, 1, 5)), calendar=cn
    )
    assert [v.kind for v in visits] == [VisitKind.SECONDARY_CHECK, *[VisitKind.MONTHLY] * 3], "sorted by due"
    assert visits[0].rule_id == "P4-FU-03" and local_days(visits[:1], service) == ["2026-01-20"]
    policy = followups(service, monthly_visits=0, secondary_check=Limit(3, WD))
    (check,) = plan_visits(
        policy, kind=CaseKind.INTERNAL, rework=False, triggers=Triggers(solved_at=sh(2026, 9, 30)), calendar=cn
    )
    assert local_days((check,), policy) == ["2026-10-10"], "Oct 8, 9 and the make-up Saturday Oct 10"


def test_f12_fu_01_same_day_call_on_the_day_of_completion(manufacturing: Policy, sh: Maker) -> None:
    policy = followups(manufacturing, same_day_call=True)
    completed = sh(2026, 11, 2, 23, 30)
    (call,) = plan_visits(policy, kind=CaseKind.EXTERNAL, rework=False, triggers=Triggers(completed_at=completed))
    assert (call.kind, call.rule_id) == (VisitKind.SAME_DAY_CALL, "F12-FU-01")
    assert local_days((call,), policy) == ["2026-11-02"] and call.due >= completed
    with pytest.raises(RuleViolation) as err:
        plan_visits(policy, kind=CaseKind.EXTERNAL, rework=False, triggers=Triggers())
    assert err.value.rule == "F12-FU-01"


def test_triggers_from_a_closed_case(furniture: Policy, sh: Maker) -> None:
    case = closed_case(furniture, sh(2026, 11, 2))
    triggers = Triggers.from_case(case)
    assert case.reply is not None and triggers.replied_at == case.reply.at
    assert triggers.solved_at == triggers.completed_at == case.last_at
    with pytest.raises(ValueError):
        Triggers(replied_at=datetime(2026, 11, 2, 9))


# ----- the aggregate --------------------------------------------------------------------------
def schedule(policy: Policy, case: Case, calendar: TableCalendar, **triggers: object) -> FollowUp:
    followup, events = FollowUp.schedule(
        policy,
        case,
        followup_id=uuid4(),
        triggers=Triggers.from_case(case, **triggers),  # type: ignore[arg-type]
        at=case.last_at,
        actor="cs",
        calendar=calendar,
    )
    assert len(events) == 1 and isinstance(events[0], FollowUpScheduled)
    assert events[0].EVENT_TYPE == "followup.scheduled" and followup.version == 1
    return followup


def test_p2_dl_05_schedule_follows_the_case_remedy(furniture: Policy, cn: TableCalendar, sh: Maker) -> None:
    rework = closed_case(furniture, sh(2026, 11, 2), remedy=RemedyKind.REWORK)
    followup = schedule(furniture, rework, cn, rework_delivered_on=date(2026, 11, 20))
    assert followup.case_id == rework.case_id
    assert [(v.number, v.rule_id) for v in followup.visits] == [(1, "P2-DL-05")]
    other = closed_case(furniture, sh(2026, 11, 2))
    assert [v.rule_id for v in schedule(furniture, other, cn).visits] == ["P2-DL-06"]


def test_p2_dl_06_a_rework_left_by_a_petition_on_a_case_found_not_established_gets_the_reply_visit(
    furniture: Policy, cn: TableCalendar, sh: Maker
) -> None:
    """P2-DL-05/06, P1-LC-12: rework replied, then a petition (签呈) and the complaint found not established. The
    rework was never promised in the end, so the case gets the reply's visit (P2-DL-06), not one waiting for a
    delivery that will not come (scheduling was refused for want of the delivery date)."""
    case = closed_case(furniture, sh(2026, 11, 2), remedy=RemedyKind.REWORK, close=False)
    at = case.last_at
    steps: list[tuple[str, dict[str, object]]] = [
        ("petition", {"department": "production", "reason": "非本部门责任"}),
        ("find_not_established", {"reason": "客户误用"}),
        ("reply_to_customer", {"message": "投诉不成立"}),
        ("close", {}),
    ]
    for command, kw in steps:
        at += timedelta(hours=2)
        case, _ = getattr(case, command)(furniture, at=at, actor="u", **kw)
    assert case.remedy is not None and case.remedy.kind is RemedyKind.REWORK
    assert [v.rule_id for v in schedule(furniture, case, cn).visits] == ["P2-DL-06"]


def test_schedule_refusals(furniture: Policy, manufacturing: Policy, cn: TableCalendar, sh: Maker) -> None:
    case = closed_case(manufacturing, sh(2026, 11, 2))
    with pytest.raises(RuleViolation) as err:
        schedule(manufacturing, case, cn)
    assert err.value.rule == "FU-SCHEDULE", "manufacturing schedules no visits"
    with pytest.raises(RuleViolation) as err:
        schedule(furniture, case, cn)
    assert err.value.rule == "FU-POLICY"


def test_visits_are_scheduled_once_and_for_a_closed_case(furniture: Policy, cn: TableCalendar, sh: Maker) -> None:
    """A dissatisfied visit opens a second complaint, which needs a closed parent (P1-LC-10): a visit scheduled on a
    replied case could never be recorded. A second schedule would leave the first one's visits open for ever."""
    from adapters.clock import FixedClock
    from adapters.memory import MemoryStore, MemoryUnitOfWork
    from complaint_core import FollowUpService
    from complaint_core.errors import InvalidTransition
    from entrypoints.bootstrap import bootstrap

    replied = closed_case(furniture, sh(2026, 11, 2))
    replied = attrs.evolve(replied, status=CaseStatus.REPLIED)
    with pytest.raises(InvalidTransition) as refused:
        schedule(furniture, replied, cn)
    assert refused.value.rule == "FU-SCHEDULE" and "replied" in str(refused.value)

    case = closed_case(furniture, sh(2026, 11, 2))
    store = MemoryStore(cases={case.case_id: case})
    visits = FollowUpService(bootstrap(uow=MemoryUnitOfWork(store), clock=FixedClock(sh(2026, 11, 3))))
    first = visits.schedule(case.case_id, actor="cs")
    with pytest.raises(RuleViolation) as twice:
        visits.schedule(case.case_id, actor="cs")
    assert twice.value.rule == "FU-SCHEDULE" and str(first.followup_id) in str(twice.value)
    assert list(store.followups) == [first.followup_id]


def test_reached_visit_records_satisfaction_on_the_policy_scale(
    furniture: Policy, cn: TableCalendar, sh: Maker
) -> None:
    followup = schedule(furniture, closed_case(furniture, sh(2026, 11, 2)), cn)
    with pytest.raises(RuleViolation) as err:
        followup.record_attempt(furniture, visit=1, at=sh(2026, 11, 17), actor="cs", reached=True, satisfaction="meh")
    assert err.value.rule == "FU-SATISFACTION" and followup.version == 1
    with pytest.raises(RuleViolation):
        followup.record_attempt(furniture, visit=1, at=sh(2026, 11, 17), actor="cs", reached=True)
    done, events = followup.record_attempt(
        furniture, visit=1, at=sh(2026, 11, 17), actor="cs", reached=True, satisfaction="satisfied", notes="很好"
    )
    (event,) = events
    assert isinstance(event, VisitReached) and event.EVENT_TYPE == "followup.visit_reached"
    visit = done.visit(1)
    assert (visit.status, visit.satisfaction, visit.dissatisfied, visit.notes) == (
        VisitStatus.REACHED, "satisfied", False, "很好",
    )  # fmt: skip
    assert done.version == 2 and done.finished and followup.visit(1).status is VisitStatus.OPEN


def test_unreachable_attempts_reschedule_then_close(furniture: Policy, cn: TableCalendar, sh: Maker) -> None:
    case = closed_case(furniture, sh(2026, 9, 10))
    followup = schedule(furniture, case, cn)
    assert followup.visit(1).due_on(furniture.tz) == date(2026, 9, 25)
    one, (event,) = followup.record_attempt(
        furniture, visit=1, at=sh(2026, 9, 30, 10), actor="cs", reached=False, calendar=cn
    )
    assert isinstance(event, VisitUnreachable) and event.attempt == 1
    assert one.visit(1).due_on(furniture.tz) == date(2026, 10, 8), "retry the next working day, after National Day"
    two, _ = one.record_attempt(furniture, visit=1, at=sh(2026, 10, 8, 10), actor="cs", reached=False, calendar=cn)
    three, (last,) = two.record_attempt(
        furniture, visit=1, at=sh(2026, 10, 9, 10), actor="cs", reached=False, calendar=cn
    )
    assert isinstance(last, VisitUnreachable) and last.next_due is None
    assert three.visit(1).status is VisitStatus.UNREACHABLE and len(three.visit(1).attempts) == 3
    assert three.version == 4 and three.finished
    with pytest.raises(RuleViolation) as err:
        three.record_attempt(
            furniture, visit=1, at=sh(2026, 10, 12), actor="cs", reached=True, satisfaction="satisfied"
        )
    assert err.value.rule == "FU-VISIT-CLOSED"
    with pytest.raises(RuleViolation) as err:
        one.record_attempt(furniture, visit=1, at=sh(2026, 10, 8), actor="cs", reached=False, satisfaction="satisfied")
    assert err.value.rule == "FU-SATISFACTION"


def test_without_retry_after_the_due_stays(furniture: Policy, cn: TableCalendar, sh: Maker) -> None:
    policy = followups(furniture, retry_after=None, max_attempts=2)
    followup = schedule(policy, closed_case(policy, sh(2026, 11, 2)), cn)
    one, _ = followup.record_attempt(policy, visit=1, at=sh(2026, 11, 17), actor="cs", reached=False, calendar=cn)
    assert one.visit(1).due == followup.visit(1).due and one.visit(1).status is VisitStatus.OPEN
    two, _ = one.record_attempt(policy, visit=1, at=sh(2026, 11, 18), actor="cs", reached=False, calendar=cn)
    assert two.visit(1).status is VisitStatus.UNREACHABLE


def test_visit_on_a_case_without_a_schedule_or_a_completed_visit(
    furniture: Policy, cn: TableCalendar, sh: Maker
) -> None:
    case = closed_case(furniture, sh(2026, 11, 2))
    with pytest.raises(RuleViolation) as err:
        require_schedule(None, case.case_id)
    assert err.value.rule == "FU-SCHEDULE"
    followup = schedule(furniture, case, cn)
    assert require_schedule(followup, case.case_id) is followup
    with pytest.raises(RuleViolation) as err:
        require_schedule(followup, uuid4())
    assert err.value.rule == "FU-CASE"
    with pytest.raises(NotFound) as missing:  # no visit 2: not found (exit 3), as a missing improvement or clock
        followup.record_attempt(furniture, visit=2, at=sh(2026, 11, 17), actor="cs", reached=False, calendar=cn)
    assert "no scheduled visit 2" in str(missing.value)
    done, _ = followup.record_attempt(
        furniture, visit=1, at=sh(2026, 11, 17), actor="cs", reached=True, satisfaction="neutral"
    )
    with pytest.raises(RuleViolation) as err:
        done.record_attempt(furniture, visit=1, at=sh(2026, 11, 18), actor="cs", reached=True, satisfaction="satisfied")
    assert err.value.rule == "FU-VISIT-CLOSED" and done.version == 2


def test_attempt_time_order(furniture: Policy, cn: TableCalendar, sh: Maker) -> None:
    case = closed_case(furniture, sh(2026, 11, 2), remedy=RemedyKind.REWORK)
    followup = schedule(furniture, case, cn, rework_delivered_on=date(2026, 11, 20))
    with pytest.raises(RuleViolation) as err:
        followup.record_attempt(furniture, visit=1, at=sh(2026, 11, 19), actor="cs", reached=False, calendar=cn)
    assert err.value.rule == "FU-TIME-ORDER", "no visit before the goods are delivered"
    one, _ = followup.record_attempt(
        furniture, visit=1, at=sh(2026, 11, 21, 15), actor="cs", reached=False, calendar=cn
    )
    with pytest.raises(RuleViolation) as err:
        one.record_attempt(furniture, visit=1, at=sh(2026, 11, 21, 14), actor="cs", reached=False, calendar=cn)
    assert err.value.rule == "FU-TIME-ORDER"
    with pytest.raises(ValueError):
        one.record_attempt(furniture, visit=1, at=datetime(2026, 11, 22, 9), actor="cs", reached=False, calendar=cn)


# ----- second complaints ----------------------------------------------------------------------
def test_p4_esc_04_dissatisfied_visit_opens_one_linked_second_complaint(
    service: Policy, cn: TableCalendar, sh: Maker
) -> None:
    parent = closed_case(service, sh(2026, 1, 5))
    followup = schedule(service, parent, cn)
    visit = followup.visits[0]
    assert visit.kind is VisitKind.SECONDARY_CHECK
    followup, _ = followup.record_attempt(
        service, visit=1, at=sh(2026, 1, 20), actor="cs", reached=True, satisfaction="dissatisfied", notes="仍未改善"
    )
    assert [v.number for v in followup.pending_second_complaints] == [1]
    second_id = uuid4()
    result = open_second_complaint(
        service, parent, followup, visit=1, case_id=second_id, at=sh(2026, 1, 20, 10), actor="cs"
    )
    case = result.case
    assert case.case_id == second_id and case.status is CaseStatus.RECEIVED
    assert case.parent_case_id == parent.case_id and case.repeat_count == parent.repeat_count + 1  # P4-PEN-06
    assert case.intake.description == "仍未改善" and case.intake.customer == parent.intake.customer
    (received,) = result.case_events
    assert isinstance(received, CaseReceived) and received.parent_case_id == parent.case_id
    (linked,) = result.followup_events
    assert isinstance(linked, SecondComplaintOpened) and linked.EVENT_TYPE == "followup.second_complaint_opened"
    assert (linked.case_id, linked.second_case_id) == (parent.case_id, second_id)
    assert result.followup.visit(1).second_case_id == second_id and not result.followup.pending_second_complaints
    assert result.followup.version == followup.version + 1 and len(result.events) == 2
    assert parent.status is CaseStatus.CLOSED and parent.version == 8, "the original is never edited"
    with pytest.raises(RuleViolation) as err:
        open_second_complaint(
            service, parent, result.followup, visit=1, case_id=uuid4(), at=sh(2026, 1, 21), actor="cs"
        )
    assert err.value.rule == "P4-ESC-04", "exactly one second complaint per dissatisfied visit"


def test_p4_esc_04_only_a_dissatisfied_visit_of_this_case(service: Policy, cn: TableCalendar, sh: Maker) -> None:
    parent = closed_case(service, sh(2026, 1, 5))
    followup = schedule(service, parent, cn)
    with pytest.raises(RuleViolation) as err:
        open_second_complaint(service, parent, followup, visit=1, case_id=uuid4(), at=sh(2026, 1, 20), actor="cs")
    assert err.value.rule == "P4-ESC-04", "an open visit"
    happy, _ = followup.record_attempt(
        service, visit=1, at=sh(2026, 1, 20), actor="cs", reached=True, satisfaction="satisfied"
    )
    with pytest.raises(RuleViolation) as err:
        open_second_complaint(service, parent, happy, visit=1, case_id=uuid4(), at=sh(2026, 1, 21), actor="cs")
    assert err.value.rule == "P4-ESC-04"
    other = closed_case(service, sh(2026, 1, 5))
    with pytest.raises(RuleViolation) as err:
        open_second_complaint(service, other, happy, visit=1, case_id=uuid4(), at=sh(2026, 1, 21), actor="cs")
    assert err.value.rule == "FU-CASE"


def test_p1_lc_10_second_complaint_needs_the_parent_closed(service: Policy, cn: TableCalendar, sh: Maker) -> None:
    parent = closed_case(service, sh(2026, 1, 5))
    followup = schedule(service, parent, cn)
    followup, _ = followup.record_attempt(
        service, visit=1, at=sh(2026, 1, 20), actor="cs", reached=True, satisfaction="dissatisfied"
    )
    still_open, _ = Case.receive(
        service,
        case_id=parent.case_id,
        intake=Intake(customer="x", channel=Channel.PHONE, category="quality"),
        at=sh(2026, 1, 5),
        actor="clerk",
    )
    with pytest.raises(RuleViolation) as err:
        open_second_complaint(service, still_open, followup, visit=1, case_id=uuid4(), at=sh(2026, 1, 21), actor="cs")
    assert err.value.rule == "P1-LC-10" and followup.visit(1).second_case_id is None


def test_events_fold_back_into_the_followup(service: Policy, cn: TableCalendar, sh: Maker) -> None:
    parent = closed_case(service, sh(2026, 1, 5))
    followup, events = FollowUp.schedule(
        service, parent, followup_id=uuid4(), triggers=Triggers.from_case(parent), at=parent.last_at, actor="cs"
    )
    history = list(events)
    for n, (at, reached, level) in enumerate(
        [(sh(2026, 1, 20), True, "dissatisfied"), (sh(2026, 2, 5), False, None), (sh(2026, 2, 6), True, "neutral")]
    ):
        followup, events = followup.record_attempt(
            service, visit=1 + min(n, 1), at=at, actor="cs", reached=reached, satisfaction=level, calendar=cn
        )
        history.extend(events)
    assert [e.version for e in history] == [1, 2, 3, 4]
    assert replay(history) == followup


def _replied(policy: Policy, start: datetime, kind: CaseKind = CaseKind.EXTERNAL) -> Case:
    return closed_case(policy, start, kind=kind, close=False)


def _closing_service(policy: Policy, case: Case, at: datetime) -> tuple[CaseService, MemoryStore]:
    """A service on a memory store holding ``case``, at ``at``, knowing only ``policy``."""

    store = MemoryStore(cases={case.case_id: case})
    service = bootstrap(uow=MemoryUnitOfWork(store), clock=FixedClock(at), policies=MemoryPolicies([policy]))
    return service, store


def test_p4_fu_04_closing_a_ticket_schedules_its_revisits_in_the_same_transaction(service: Policy, sh: Maker) -> None:
    """P4-FU-04: solving an external ticket creates its 3-month revisit ticket at once (followups.at_closure)."""
    assert service.followups.at_closure
    case = _replied(service, sh(2026, 1, 31, 8))
    cases, store = _closing_service(service, case, sh(2026, 1, 31, 22))
    closed = cases.close(case.case_id, actor="cs")
    (followup,) = store.followups.values()
    assert followup.case_id == closed.case_id
    assert [(v.kind, v.due.astimezone(service.tz).date().isoformat()) for v in followup.visits] == [
        (VisitKind.SECONDARY_CHECK, "2026-02-15"),
        *[(VisitKind.MONTHLY, day) for day in ("2026-02-28", "2026-03-31", "2026-04-30")],  # month-end clamped
    ]
    assert [type(e).__name__ for e in store.outbox[-2:]] == ["CaseClosed", "FollowUpScheduled"]


def test_p4_fu_04_closure_schedules_only_where_the_policy_says_so(
    service: Policy, furniture: Policy, sh: Maker
) -> None:
    """Without at_closure the visits wait for `followup schedule`; a case the policy plans no visit for gets none."""
    case = _replied(furniture, sh(2026, 11, 2, 8))
    cases, store = _closing_service(furniture, case, sh(2026, 11, 2, 21))
    cases.close(case.case_id, actor="cs")
    assert not store.followups and type(store.outbox[-1]).__name__ == "CaseClosed"

    quiet = followups(service, secondary_check=None)  # an internal ticket has no monthly visits, and now no check
    internal = _replied(quiet, sh(2026, 11, 2, 8), kind=CaseKind.INTERNAL)
    cases, store = _closing_service(quiet, internal, sh(2026, 11, 2, 21))
    cases.plan_improvement(internal.case_id, actor="qa", measures="前台交接表", owner="front_desk")  # P4-LC-03
    assert cases.close(internal.case_id, actor="cs").status is CaseStatus.CLOSED and not store.followups


def test_p4_fu_04_a_closure_whose_visits_cannot_be_planned_is_not_written(service: Policy, sh: Maker) -> None:
    """Visits counted in working days past the calendar: the close fails whole (exit 6 in the CLI), nothing half
    written; the case stays replied."""
    from complaint_core import CalendarNotCovered

    policy = followups(service, after_reply=Limit(5, WD))
    case = _replied(policy, sh(2026, 12, 28, 8))
    cases, store = _closing_service(policy, case, sh(2026, 12, 28, 21))
    outbox = list(store.outbox)
    with pytest.raises(CalendarNotCovered):
        cases.close(case.case_id, actor="cs")
    assert store.cases[case.case_id] is case and not store.followups and store.outbox == outbox


def test_p4_fu_04_at_closure_cannot_wait_for_a_rework_delivery(furniture: Policy) -> None:
    from complaint_core import PolicyInvalid

    with pytest.raises(PolicyInvalid) as refused:
        followups(furniture, at_closure=True)
    assert refused.value.path == "followups.at_closure" and "delivery date" in str(refused.value)


def test_a_dissatisfied_visit_outside_the_calendar_opens_nothing(service: Policy, sh: Maker) -> None:
    """The second complaint a dissatisfied visit opens is an intake like ``case second``: outside the working
    calendar it is refused before anything is written (it was stored, and then every step on it exited 6)."""
    from adapters.clock import FixedClock
    from adapters.memory import MemoryStore, MemoryUnitOfWork
    from complaint_core import FollowUpService
    from complaint_core.errors import CalendarNotCovered
    from entrypoints.bootstrap import bootstrap

    case = closed_case(service, sh(2026, 12, 28))
    store = MemoryStore(cases={case.case_id: case})
    visits = FollowUpService(bootstrap(uow=MemoryUnitOfWork(store), clock=FixedClock(sh(2026, 12, 29, 12))))
    scheduled = visits.schedule(case.case_id, actor="cs")
    outbox = len(store.outbox)
    with pytest.raises(CalendarNotCovered):
        visits.record(case.case_id, visit=1, reached=True, satisfaction="dissatisfied", actor="cs", at=sh(2027, 1, 28))
    assert list(store.cases) == [case.case_id] and len(store.outbox) == outbox
    assert store.followups[scheduled.followup_id] == scheduled


def test_due_visits_are_asked_for_by_a_day(sh: Callable[..., datetime]) -> None:
    """API audit: ``due(datetime)`` passes the type checker (a datetime is a date) and crashed comparing one with
    a date; a text did too. Both are refused naming ``on``."""
    from complaint_core import FollowUpService, InvalidInstant

    visits = FollowUpService(bootstrap(clock=FixedClock(sh(2026, 11, 3))))
    for on in (datetime(2026, 11, 30, 9), "2026-11-30"):
        with pytest.raises(InvalidInstant, match="on must be a date"):
            visits.due(on)  # type: ignore[arg-type]
    assert visits.due(date(2026, 11, 30)) == ()


def test_the_follow_up_service_stores_each_visit_with_its_events(service: Policy, sh: Maker) -> None:
    """Scheduled, a visit recorded, and only a dissatisfied one opening a second complaint: each committed with
    its events, as every use case is."""
    from adapters.clock import FixedClock
    from adapters.memory import MemoryStore, MemoryUnitOfWork
    from complaint_core import FollowUpService
    from entrypoints.bootstrap import bootstrap

    satisfied, unhappy = closed_case(service, sh(2026, 11, 2)), closed_case(service, sh(2026, 11, 2))
    store = MemoryStore(cases={satisfied.case_id: satisfied, unhappy.case_id: unhappy})
    visits = FollowUpService(bootstrap(uow=MemoryUnitOfWork(store), clock=FixedClock(sh(2026, 11, 3))))

    def events() -> list[str]:
        return [event.EVENT_TYPE for event in store.outbox]

    scheduled = visits.schedule(satisfied.case_id, actor="cs")
    assert store.followups[scheduled.followup_id] == scheduled and events() == ["followup.scheduled"]
    recorded = visits.record(satisfied.case_id, visit=1, reached=True, satisfaction="satisfied", actor="cs")
    assert store.followups[scheduled.followup_id] == recorded == visits.get(satisfied.case_id)
    assert recorded.visit(1).satisfaction == "satisfied" and events()[-1] == "followup.visit_reached"
    assert sorted(store.cases) == sorted([satisfied.case_id, unhappy.case_id])  # no second complaint

    visits.schedule(unhappy.case_id, actor="cs")
    visits.record(unhappy.case_id, visit=1, reached=True, satisfaction="dissatisfied", actor="cs")
    (second,) = [case for case in store.cases.values() if case.parent_case_id == unhappy.case_id]
    assert events()[-4:] == [
        "followup.visit_reached",
        "case.received",
        "case.severity_classified",
        "followup.second_complaint_opened",
    ]
    assert second.intake.customer == unhappy.intake.customer and second.repeat_count >= 1
    assert visits.get(unhappy.case_id).version == 3  # scheduled, reached, its second complaint opened


def test_p2_num_03_a_second_complaint_from_a_visit_is_numbered_at_intake(furniture: Policy, sh: Maker) -> None:
    """Where the policy numbers a complaint as it comes in, the second complaint a dissatisfied visit opens takes
    the next number of its day, like any intake (``closed_case`` numbers the first by hand)."""
    from adapters.clock import FixedClock
    from adapters.memory import MemoryStore, MemoryUnitOfWork
    from complaint_core import FollowUpService
    from entrypoints.bootstrap import bootstrap

    case = closed_case(furniture, sh(2026, 11, 2))
    store = MemoryStore(cases={case.case_id: case})
    visits = FollowUpService(bootstrap(uow=MemoryUnitOfWork(store), clock=FixedClock(sh(2026, 11, 3))))
    visits.schedule(case.case_id, actor="cs")
    visits.record(case.case_id, visit=1, reached=True, satisfaction="dissatisfied", actor="cs")
    (second,) = [c for c in store.cases.values() if c.parent_case_id == case.case_id]
    assert second.number == "261103001"


def test_due_visits_are_those_due_by_the_day_in_the_policys_zone_earliest_first(service: Policy, sh: Maker) -> None:
    """``due(on)``: every open visit due on or before ``on`` in its policy's zone, earliest first (by due time,
    case, visit); ``date.max``, the end of the calendar, lists every open one."""
    from adapters.clock import FixedClock
    from adapters.memory import MemoryStore, MemoryUnitOfWork
    from complaint_core import FollowUpService
    from entrypoints.bootstrap import bootstrap

    early, late = closed_case(service, sh(2026, 11, 2)), closed_case(service, sh(2026, 11, 9))
    store = MemoryStore(cases={early.case_id: early, late.case_id: late})
    visits = FollowUpService(bootstrap(uow=MemoryUnitOfWork(store), clock=FixedClock(sh(2026, 11, 20))))
    later = visits.schedule(late.case_id, actor="cs", at=sh(2026, 11, 20))
    first = visits.schedule(early.case_id, actor="cs", at=sh(2026, 11, 20))
    tz = service.tz
    every = sorted((v.due, f.followup_id, v.number) for f in (first, later) for v in f.open_visits)
    assert [(f.followup_id, n) for f, n in visits.due(date.max)] == [(fid, n) for _, fid, n in every]
    day = every[0][0].astimezone(tz).date()
    assert visits.due(day - timedelta(days=1)) == ()
    assert [(f.followup_id, n) for f, n in visits.due(day)] == [
        (i, n) for d, i, n in every if d.astimezone(tz).date() <= day
    ]
