"""DOMAIN §9: follow-up plans and visits, the behaviour mutation testing found unpinned in complaint_core.followup."""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import attrs
import pytest

from complaint_core import (
    Case,
    CaseKind,
    CaseStatus,
    DomainError,
    Intake,
    InvalidInstant,
    NotFound,
    Party,
    PartyKind,
    Policy,
    RemedyKind,
    Responsibility,
    RuleViolation,
    TableCalendar,
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

Maker = Callable[..., datetime]
SMT = Party(PartyKind.GROUP_UNIT, "smt-2", "SMT 二班")


def run(policy: Policy, start: datetime, steps: list[tuple[str, dict[str, object]]], remedy: RemedyKind) -> Case:
    """A case received at ``start`` and taken through ``steps`` (commands, or ``"lifecycle"`` for the path up to the
    reply, or ``"close"``), one command every two hours."""
    at = start
    number = "261101001" if policy.numbering.assign_at == "received" else None
    intake = Intake(customer="华东家居", channel=policy.channels[0], category=policy.categories[0].code)
    case, _ = Case.receive(policy, case_id=uuid4(), intake=intake, at=at, actor="clerk", number=number)
    lifecycle: list[tuple[str, dict[str, object]]] = [
        ("register", {} if number else {"number": "20261101"}),
        ("start_investigation", {}),
        ("attribute", {"causer": Responsibility.sole(SMT)}),
        ("propose", {"kind": remedy, "amount": Decimal("0.00")}),
        ("approve", {"role": policy.approval[-1].role}),
        ("reply_to_customer", {"message": "返修后送回"}),
    ]
    for command, kw in [s for step in steps for s in (lifecycle if step[0] == "lifecycle" else [step])]:
        at += timedelta(hours=2)
        case, _ = getattr(case, command)(policy, at=at, actor="u", **kw)
    return case


def closed(policy: Policy, start: datetime, remedy: RemedyKind = RemedyKind.ALLOWANCE) -> Case:
    return run(policy, start, [("lifecycle", {}), ("close", {})], remedy)


# ----- triggers -------------------------------------------------------------------------------
def test_triggers_of_a_case_not_yet_replied_or_closed(furniture: Policy, sh: Maker) -> None:
    """P2-DL-06 / P4-FU-04: a case without a reply or a closure has no reply, solution or completion trigger."""
    received = run(furniture, sh(2026, 11, 2), [], RemedyKind.ALLOWANCE)
    assert Triggers.from_case(received) == Triggers()
    replied = run(furniture, sh(2026, 11, 2), [("lifecycle", {})], RemedyKind.ALLOWANCE)
    assert replied.status is CaseStatus.REPLIED and replied.reply is not None
    triggers = Triggers.from_case(replied)
    assert (triggers.replied_at, triggers.solved_at, triggers.completed_at) == (replied.reply.at, None, None)


def test_f12_fu_01_a_given_completion_time_is_kept(furniture: Policy, sh: Maker) -> None:
    """F12-FU-01: the same-day call counts from the completion given, not from the closure."""
    case = closed(furniture, sh(2026, 11, 2))
    completed = sh(2026, 11, 2, 12)
    triggers = Triggers.from_case(case, completed_at=completed)
    assert triggers.completed_at == completed and triggers.solved_at == case.closed_at != completed


def test_p2_dl_08_rework_delivery_day_from_the_milestone(furniture: Policy, sh: Maker) -> None:
    """P2-DL-08: without a date, the rework visit counts from the local day ``rework_delivered`` was reached; a date
    given explicitly wins over the milestone."""
    steps: list[tuple[str, dict[str, object]]] = [
        ("lifecycle", {}),
        ("reach_milestone", {"milestone": "memo_done"}),
        ("reach_milestone", {"milestone": "rework_delivered"}),  # 2026-11-02 09:00 + 16 h: Nov 3 01:00 local
        ("close", {}),
    ]
    case = run(furniture, sh(2026, 11, 2, 9), steps, RemedyKind.REWORK)
    assert Triggers.from_case(case).rework_delivered_on is None, "no policy, no milestone"
    assert Triggers.from_case(case, policy=furniture).rework_delivered_on == date(2026, 11, 3)
    given = Triggers.from_case(case, policy=furniture, rework_delivered_on=date(2026, 11, 20))
    assert given.rework_delivered_on == date(2026, 11, 20)
    plain = closed(furniture, sh(2026, 11, 2))
    assert Triggers.from_case(plain, policy=furniture).rework_delivered_on is None, "milestone never reached"


# ----- the plan -------------------------------------------------------------------------------
def test_p2_dl_05_a_delivery_date_makes_a_rework_visit(furniture: Policy, sh: Maker) -> None:
    """P2-DL-05: a ``rework_delivered_on`` date marks the case as a rework case even when ``rework`` is False."""
    triggers = Triggers(replied_at=sh(2026, 11, 2), rework_delivered_on=date(2026, 11, 10))
    (visit,) = plan_visits(furniture, kind=CaseKind.EXTERNAL, rework=False, triggers=triggers)
    assert visit.kind is VisitKind.REWORK_DELIVERY and visit.due.astimezone(furniture.tz).date() == date(2026, 11, 11)


def test_p2_dl_05_a_delivery_instant_counts_by_its_local_day(furniture: Policy, sh: Maker) -> None:
    """P2-DL-05: a delivery given as an instant counts from its local day in the policy's zone, not its UTC day."""
    delivered = datetime(2026, 11, 10, 20, tzinfo=UTC)  # 2026-11-11 04:00 in Shanghai
    (visit,) = plan_visits(
        furniture, kind=CaseKind.EXTERNAL, rework=True, triggers=Triggers(rework_delivered_on=delivered)
    )
    assert visit.trigger == sh(2026, 11, 11, 0)
    assert visit.due.astimezone(furniture.tz).date() == date(2026, 11, 12)


def test_p2_dl_05_delivery_years_at_the_bounds_are_planned(furniture: Policy) -> None:
    """P2-DL-05: the delivery year may be any year from 1000 to 9998 inclusive; only years beyond are refused."""
    for day, visit_day in ((date(1000, 1, 1), date(1000, 1, 2)), (date(9998, 12, 30), date(9998, 12, 31))):
        (visit,) = plan_visits(
            furniture, kind=CaseKind.EXTERNAL, rework=True, triggers=Triggers(rework_delivered_on=day)
        )
        assert visit.due.astimezone(furniture.tz).date() == visit_day


def test_only_monthly_visits_are_numbered_past_one(service: Policy, cn: TableCalendar, sh: Maker) -> None:
    """P4-FU-04: ``sequence`` numbers the monthly visits 1..n; every other visit is number 1 of its kind."""
    policy = attrs.evolve(service, followups=attrs.evolve(service.followups, same_day_call=True))
    triggers = Triggers(solved_at=sh(2026, 1, 5), completed_at=sh(2026, 1, 5))
    visits = plan_visits(policy, kind=CaseKind.EXTERNAL, rework=False, triggers=triggers, calendar=cn)
    assert [(v.kind, v.sequence) for v in visits] == [
        (VisitKind.SAME_DAY_CALL, 1), (VisitKind.SECONDARY_CHECK, 1),
        (VisitKind.MONTHLY, 1), (VisitKind.MONTHLY, 2), (VisitKind.MONTHLY, 3),
    ]  # fmt: skip


def test_p2_dl_08_the_last_delivery_counts(furniture: Policy, sh: Maker) -> None:
    """P2-DL-08: when the reworked goods were delivered more than once, the rework visit counts from the last day."""
    memo: list[tuple[str, dict[str, object]]] = [("lifecycle", {}), ("reach_milestone", {"milestone": "memo_done"})]
    delivered = ("reach_milestone", {"milestone": "rework_delivered"})
    for times, start in ((2, sh(2026, 11, 2, 7)), (3, sh(2026, 11, 2, 5))):  # the last at Nov 3 01:00, others Nov 2
        case = run(furniture, start, [*memo, *[delivered] * times], RemedyKind.REWORK)
        days = [m.at.astimezone(furniture.tz).date() for m in case.milestones if m.name == "rework_delivered"]
        assert days == [date(2026, 11, 2)] * (times - 1) + [date(2026, 11, 3)]
        assert Triggers.from_case(case, policy=furniture).rework_delivered_on == date(2026, 11, 3)


# ----- the aggregate's invariants -------------------------------------------------------------
def scheduled(policy: Policy, case: Case, calendar: TableCalendar) -> FollowUp:
    followup, _ = FollowUp.schedule(
        policy, case, followup_id=uuid4(), triggers=Triggers.from_case(case), at=case.last_at, actor="cs",
        calendar=calendar,
    )  # fmt: skip
    return followup


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        ({"version": 0}, "FU-VERSION"),
        ({"visits": ()}, "FU-SCHEDULE"),
        ({"visit": {"number": 2}}, "FU-SCHEDULE"),
        ({"visit": {"due": "trigger - 1s"}}, "P2-DL-06"),
        ({"visit": {"status": VisitStatus.REACHED}}, "FU-SATISFACTION"),
        ({"visit": {"satisfaction": "satisfied"}}, "FU-SATISFACTION"),
        ({"visit": {"second_case_id": "new"}}, "P4-ESC-04"),
    ],
)
def test_a_followup_that_breaks_its_invariants_is_refused(
    furniture: Policy, cn: TableCalendar, sh: Maker, change: dict[str, object], rule: str
) -> None:
    """FU-VERSION, FU-SCHEDULE, FU-SATISFACTION, P4-ESC-04, the visit's own rule (P2-DL-06): a follow-up loaded or
    folded into an impossible state (version < 1, no visits, visits out of 1..n, due before trigger, satisfaction
    without a reached visit or the reverse, a second complaint from a visit that was not dissatisfied) is refused."""
    followup = scheduled(furniture, closed(furniture, sh(2026, 11, 2)), cn)
    (visit,) = followup.visits
    if "visit" in change:
        fields = dict(change["visit"])  # type: ignore[call-overload]
        if fields.get("due") == "trigger - 1s":
            fields["due"] = visit.trigger - timedelta(seconds=1)
        if fields.get("second_case_id") == "new":
            fields["second_case_id"] = uuid4()
        change = {"visits": (attrs.evolve(visit, **fields),)}
    with pytest.raises(RuleViolation) as err:
        attrs.evolve(followup, **change)
    assert err.value.rule == rule
    reached = attrs.evolve(visit, status=VisitStatus.REACHED, satisfaction="dissatisfied", dissatisfied=True)
    linked = attrs.evolve(reached, second_case_id=uuid4(), due=visit.trigger)
    assert attrs.evolve(followup, visits=(linked,)).visit(1) == linked, "a dissatisfied visit may link; due == trigger"


# ----- scheduling and views -------------------------------------------------------------------
def test_a_policy_without_visits_says_so(manufacturing: Policy, cn: TableCalendar, sh: Maker) -> None:
    """FU-SCHEDULE: scheduling under a policy that plans no visit for the case names the policy and the case."""
    case = closed(manufacturing, sh(2026, 11, 2))
    with pytest.raises(RuleViolation, match="policy manufacturing schedules no follow-up visit for case") as err:
        scheduled(manufacturing, case, cn)
    assert err.value.rule == "FU-SCHEDULE"


def test_schedule_refuses_another_policy_version_a_naive_or_an_early_time(
    furniture: Policy, cn: TableCalendar, sh: Maker
) -> None:
    """FU-POLICY, CASE-TIME-ORDER, DOMAIN §4: visits are scheduled under the case's own policy version, at an aware
    instant no earlier than the closure."""
    case = closed(furniture, sh(2026, 11, 2))
    assert case.closed_at is not None
    kw: dict[str, object] = {"followup_id": uuid4(), "triggers": Triggers.from_case(case), "actor": "cs"}
    newer = attrs.evolve(furniture, version=furniture.version + 1)
    with pytest.raises(RuleViolation) as err:
        FollowUp.schedule(newer, case, at=case.last_at, calendar=cn, **kw)  # type: ignore[arg-type]
    assert err.value.rule == "FU-POLICY"
    with pytest.raises(RuleViolation) as err:
        early = case.closed_at - timedelta(seconds=1)
        FollowUp.schedule(furniture, case, at=early, calendar=cn, **kw)  # type: ignore[arg-type]
    assert err.value.rule == "CASE-TIME-ORDER"
    with pytest.raises(InvalidInstant):
        FollowUp.schedule(furniture, case, at=datetime(2026, 11, 3, 9), calendar=cn, **kw)  # type: ignore[arg-type]
    followup, _ = FollowUp.schedule(furniture, case, at=case.closed_at, calendar=cn, **kw)  # type: ignore[arg-type]
    assert followup.scheduled_at == case.closed_at and followup.scheduled_at.tzinfo is UTC


def test_next_due_is_the_earliest_open_visit_and_visit_0_does_not_exist(
    service: Policy, cn: TableCalendar, sh: Maker
) -> None:
    """P4-FU-04/P4-FU-03: ``next_due`` is the earliest due among the open visits; visits are numbered from 1."""
    followup = scheduled(service, closed(service, sh(2026, 1, 5)), cn)
    dues = [v.due for v in followup.visits]
    assert len(dues) == 4 and followup.next_due == min(dues) == dues[0]
    done, _ = followup.record_attempt(
        service, visit=1, at=sh(2026, 1, 20), actor="cs", reached=True, satisfaction="satisfied"
    )
    assert done.next_due == dues[1] < dues[2]
    with pytest.raises(NotFound):
        followup.visit(0)
    with pytest.raises(NotFound):
        followup.record_attempt(service, visit=0, at=sh(2026, 1, 20), actor="cs", reached=False, calendar=cn)


# ----- commands -------------------------------------------------------------------------------
def test_commands_run_under_the_followups_policy_and_in_time_order(
    service: Policy, cn: TableCalendar, sh: Maker
) -> None:
    """FU-POLICY, FU-TIME-ORDER, P4-ESC-04: an attempt and a second-complaint link take the follow-up's own policy
    version, and a link is no earlier than the visit that asked for it."""
    parent = closed(service, sh(2026, 1, 5))
    followup = scheduled(service, parent, cn)
    newer = attrs.evolve(service, version=service.version + 1)
    for other in (newer, attrs.evolve(service, policy_id="service-b")):
        with pytest.raises(RuleViolation) as err:
            followup.record_attempt(other, visit=1, at=sh(2026, 1, 20), actor="cs", reached=False, calendar=cn)
        assert err.value.rule == "FU-POLICY"
    unhappy, _ = followup.record_attempt(
        service, visit=1, at=sh(2026, 1, 20, 15), actor="cs", reached=True, satisfaction="dissatisfied"
    )
    link = {"visit": 1, "second_case_id": uuid4(), "actor": "cs"}
    with pytest.raises(RuleViolation) as err:
        unhappy.link_second_complaint(newer, at=sh(2026, 1, 21), **link)  # type: ignore[arg-type]
    assert err.value.rule == "FU-POLICY"
    with pytest.raises(RuleViolation) as err:
        open_second_complaint(service, parent, unhappy, visit=1, case_id=uuid4(), at=sh(2026, 1, 20, 14), actor="cs")
    assert err.value.rule == "FU-TIME-ORDER"
    linked, _ = unhappy.link_second_complaint(service, at=sh(2026, 1, 20, 15), **link)  # type: ignore[arg-type]
    assert linked.visit(1).second_case_id == link["second_case_id"]


def test_p4_esc_04_check_second_complaint_refuses_a_visit_that_was_not_dissatisfied(
    service: Policy, cn: TableCalendar, sh: Maker
) -> None:
    """P4-ESC-04: ``check_second_complaint`` itself refuses an open or a satisfied visit, saying what it was."""
    followup = scheduled(service, closed(service, sh(2026, 1, 5)), cn)
    with pytest.raises(RuleViolation, match=r"\] visit 1 is open: only a dissatisfied") as err:
        followup.check_second_complaint(1)
    assert err.value.rule == "P4-ESC-04"
    happy, _ = followup.record_attempt(
        service, visit=1, at=sh(2026, 1, 20), actor="cs", reached=True, satisfaction="satisfied"
    )
    with pytest.raises(RuleViolation, match=r"\] visit 1 is reached \(satisfied\): only a dissatisfied") as err:
        happy.check_second_complaint(1)
    assert err.value.rule == "P4-ESC-04"


def test_a_reached_visit_without_or_with_an_unknown_satisfaction_says_which(
    furniture: Policy, cn: TableCalendar, sh: Maker
) -> None:
    """FU-SATISFACTION: a missing level asks for one on the policy's scale; an unknown level is named."""
    followup = scheduled(furniture, closed(furniture, sh(2026, 11, 2)), cn)
    attempt = {"visit": 1, "at": sh(2026, 11, 17), "actor": "cs", "reached": True}
    with pytest.raises(RuleViolation, match="a reached visit records satisfaction on the policy's scale") as err:
        followup.record_attempt(furniture, **attempt)  # type: ignore[arg-type]
    assert err.value.rule == "FU-SATISFACTION"
    with pytest.raises(RuleViolation, match="unknown satisfaction level 'meh'") as err:
        followup.record_attempt(furniture, satisfaction="meh", **attempt)  # type: ignore[arg-type]
    assert err.value.rule == "FU-SATISFACTION"


def test_p4_esc_04_second_complaint_intake_and_policy(service: Policy, cn: TableCalendar, sh: Maker) -> None:
    """P4-ESC-04: without visit notes the second complaint keeps the parent's description; an intake given is used
    as given."""
    parent = closed(service, sh(2026, 1, 5))
    followup = scheduled(service, parent, cn)
    unhappy, _ = followup.record_attempt(
        service, visit=1, at=sh(2026, 1, 20), actor="cs", reached=True, satisfaction="dissatisfied"
    )
    assert unhappy.visit(1).notes == ""
    kw: dict[str, object] = {"visit": 1, "at": sh(2026, 1, 20, 10), "actor": "cs"}
    second = open_second_complaint(service, parent, unhappy, case_id=uuid4(), **kw)  # type: ignore[arg-type]
    assert second.case.intake == parent.intake and second.case.intake.description == parent.intake.description
    given = attrs.evolve(parent.intake, customer="华南家居", description="又坏了")
    with_intake = {**kw, "intake": given}
    second = open_second_complaint(service, parent, unhappy, case_id=uuid4(), **with_intake)  # type: ignore[arg-type]
    assert second.case.intake == given


# ----- events ---------------------------------------------------------------------------------
def test_attempts_record_whether_they_reached_and_replay_refuses_foreign_or_out_of_order_events(
    furniture: Policy, cn: TableCalendar, sh: Maker
) -> None:
    """FU attempts and EVENT-VERSION: a reached attempt is recorded as reached, an unreachable one as not; folding
    refuses an event whose version does not follow, or that belongs to another follow-up."""
    case = closed(furniture, sh(2026, 11, 2))
    followup, history = FollowUp.schedule(
        furniture, case, followup_id=uuid4(), triggers=Triggers.from_case(case), at=case.last_at, actor="cs"
    )
    missed, (unreachable,) = followup.record_attempt(
        furniture, visit=1, at=sh(2026, 11, 17), actor="cs", reached=False, calendar=cn
    )
    done, (reached,) = missed.record_attempt(
        furniture, visit=1, at=sh(2026, 11, 18), actor="cs", reached=True, satisfaction="satisfied"
    )
    assert [a.reached for a in done.visit(1).attempts] == [False, True]
    assert replay([*history, unreachable, reached]) == done
    for bad in (reached, attrs.evolve(unreachable, version=1)):  # version 3 after 1; version 1 again
        with pytest.raises(DomainError, match="does not follow") as err:
            replay([*history, bad])
        assert err.value.rule == "EVENT-VERSION"
    with pytest.raises(DomainError, match="another follow-up") as err:
        replay([*history, attrs.evolve(unreachable, aggregate_id=uuid4())])
    assert err.value.rule == "EVENT-VERSION"
