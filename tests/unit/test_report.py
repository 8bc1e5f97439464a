"""The monthly report on a hand-built month (DOMAIN §10): every number worked out by hand below.

November 2026 (1 Nov is a Sunday; no holiday in the month), manufacturing preset (P1-DL-01: close
within 13 calendar days of registration, 17 for foreign customers; P1-DL-02: report within 3 days):

case  customer  category     cause     market   received     closed         department          clocks
A     甲        quality      warp      domestic 11-02 09:00  11-03 09:00    smt (dept)          close ok
B     甲        quality      warp      domestic 11-04 09:00  11-20 09:00    smt (dept)          report late, close late
C     乙        non_quality  -         foreign  11-10 09:00  11-14 09:00    sales (category)    close ok
D     甲 (2nd complaint of A) warp     domestic 11-05 09:00  11-07 21:00    sales (person p1)   close ok
E     丁        quality      solder    domestic 10-20 09:00  11-06 09:00    smt (dept)          close late
F     丙        non_quality  misuse    domestic 11-11 09:00  11-12 09:00 (not established) sales (category) close running
G     乙        quality      warp      domestic 11-25 09:00  12-02 09:00    (December: not in the report)
H     乙        non_quality  -         domestic 11-01 08:00  open           (not in the report; makes C a repeat)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import attrs
import pytest

from adapters.clock import FixedClock
from adapters.policy_files import load_preset
from complaint_core import (
    Case,
    CaseService,
    Channel,
    Department,
    DepartmentKind,
    FollowUp,
    Intake,
    Ledger,
    Limit,
    Market,
    Organisation,
    Party,
    PartyKind,
    Person,
    Posting,
    RemedyKind,
    Responsibility,
    RuleViolation,
    TimeUnit,
    Visit,
    VisitKind,
    VisitStatus,
)
from complaint_core.report import MonthlyReport, Rate, closing_time, duration_days, monthly_report, weeks_of
from entrypoints.bootstrap import bootstrap

SH = ZoneInfo("Asia/Shanghai")


def sh(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=SH)


def dept(code: str) -> Responsibility:
    return Responsibility.sole(Party(PartyKind.DEPARTMENT, code))


def walk(
    service: CaseService,
    intake: Intake,
    received: datetime,
    closed: datetime,
    *,
    causer: Responsibility | None = None,
    remedy: str = "0.00",
    report_at: datetime | None = None,
    parent: Case | None = None,
    own_intake: bool = False,
) -> Case:
    """Receive, register and take the case to closure at ``closed`` through the service layer; with ``parent``, as
    its second complaint (with its parent's intake, or ``intake`` when ``own_intake``)."""
    if parent is not None and not own_intake:
        case = service.open_second_complaint(parent.case_id, actor="cs", at=received)
    else:
        parent_id = parent.case_id if parent is not None else None
        case = service.receive(intake, actor="sales", at=received, parent=parent_id)
    ref = service.register(case.case_id, actor="gm_office", at=received).reference
    service.start_investigation(ref, actor="qa", at=received)
    attributed_at = received
    if report_at is not None:
        service.reach_milestone(ref, "investigation_done", actor="qa", at=received)
        service.reach_milestone(ref, "report_submitted", actor="qa", at=report_at)
        attributed_at = report_at
    service.attribute(ref, actor="qa", at=attributed_at, causer=causer, no_fault=causer is None)
    kind = RemedyKind.ALLOWANCE if Decimal(remedy) else RemedyKind.EXPLANATION
    service.propose(ref, actor="sales", kind=kind, amount=Decimal(remedy), at=closed)
    service.approve(ref, actor="mgr", role="sales_manager", at=closed)
    service.reply(ref, actor="sales", message="处理结果", at=closed)
    return service.close(ref, actor="gm_office", at=closed)


def intake(customer: str, category: str = "quality", cause: str | None = "warp", **more: object) -> Intake:
    return Intake(customer=customer, channel=Channel.PHONE, category=category, cause_code=cause, **more)  # type: ignore[arg-type]


ORG = Organisation(
    departments=(
        Department("smt", "SMT 车间", DepartmentKind.MANUFACTURING),
        Department("sales", "销售部", DepartmentKind.SALES),
    ),
    people=(Person(id="p1", name="王五", department="sales"), Person(id="p2", name="赵六", department="smt")),
)


@attrs.frozen
class Month:
    service: CaseService
    cases: dict[str, Case]
    report: MonthlyReport


def visit(number: int, *, status: VisitStatus, dissatisfied: bool = False) -> Visit:
    reached = status is VisitStatus.REACHED
    return Visit(
        number=number,
        kind=VisitKind.AFTER_REPLY,
        rule_id="P2-DL-06",
        trigger=sh(11, 20),
        due=sh(11, 21),
        status=status,
        satisfaction=("dissatisfied" if dissatisfied else "satisfied") if reached else None,
        dissatisfied=dissatisfied,
    )


def followup(case: Case, *visits: Visit) -> FollowUp:
    return FollowUp(
        followup_id=uuid4(),
        case_id=case.case_id,
        policy_id=case.policy_id,
        policy_version=case.policy_version,
        version=1,
        visits=visits,
        scheduled_at=sh(11, 20),
        last_event_at=sh(11, 20),
    )


@pytest.fixture(scope="module")
def month() -> Month:
    service = bootstrap(clock=FixedClock(sh(11, 1)))
    c: dict[str, Case] = {}
    c["H"] = service.receive(intake("乙", "non_quality", None), actor="sales", at=sh(11, 1, 8))
    c["E"] = walk(service, intake("丁", cause="solder"), sh(10, 20), sh(11, 6), causer=dept("smt"), remedy="2000.00")
    c["A"] = walk(
        service,
        intake("甲", claimed_amount=Decimal("1000.00")),
        sh(11, 2),
        sh(11, 3),
        causer=dept("smt"),
        remedy="700.00",
    )
    c["B"] = walk(
        service,
        intake("甲", claimed_amount=Decimal("500.50")),
        sh(11, 4),
        sh(11, 20),
        causer=dept("smt"),
        remedy="1200.00",
        report_at=sh(11, 9),
    )
    person = Responsibility.sole(Party(PartyKind.PERSON, "p1"))
    c["D"] = walk(service, intake("甲"), sh(11, 5), sh(11, 7, 21), causer=person, remedy="300.00", parent=c["A"])
    c["C"] = walk(service, intake("乙", "non_quality", None, market=Market.FOREIGN), sh(11, 10), sh(11, 14))
    f = service.receive(intake("丙", "non_quality", "misuse"), actor="sales", at=sh(11, 11))
    service.register(f.case_id, actor="gm_office", at=sh(11, 11))
    c["F"] = service.find_not_established(f.case_id, actor="qa", reason="使用不当", at=sh(11, 12))
    c["G"] = walk(service, intake("乙"), sh(11, 25), sh(12, 2), causer=dept("smt"), remedy="100.00")
    with service.uow as uow:
        everything = list(uow.cases.all())

    ledger, _ = Ledger().post(
        [
            Posting(person_id="p1", case_id=c["D"].case_id, line_id="0", rule_id="P1-PEN-10", amount=Decimal("1900")),
            Posting(person_id="p2", case_id=c["B"].case_id, line_id="0", rule_id="P1-PEN-10", amount=Decimal("300")),
        ],
        month="2026-11",
    )
    _, close = ledger.close_month(
        "2026-11", bonuses={"p1": Decimal("1600.00"), "p2": Decimal("1000.00")}, cap_ratio=Decimal("0.5")
    )
    followups = [
        followup(c["A"], visit(1, status=VisitStatus.REACHED), visit(2, status=VisitStatus.OPEN)),
        followup(c["B"], visit(1, status=VisitStatus.REACHED, dissatisfied=True)),
        followup(c["C"], visit(1, status=VisitStatus.REACHED), visit(2, status=VisitStatus.UNREACHABLE)),
        followup(c["G"], visit(1, status=VisitStatus.REACHED, dissatisfied=True)),  # December: not counted
    ]
    report = monthly_report(
        everything,
        month="2026-11",
        policy_for=service.policy_of,
        calendar_for=service.calendar_for,
        org=ORG,
        losses={c["B"].case_id: Decimal("888.88"), c["E"].case_id: Decimal("111.12"), c["G"].case_id: Decimal("5")},
        month_close=close,
        followups=followups,
    )
    return Month(service, c, report)


def refs(month: Month, *names: str) -> set[UUID]:
    return {month.cases[n].case_id for n in names}


def test_only_cases_closed_in_the_month_are_reported(month: Month) -> None:
    """E was received in October, F closed as not established; G closed in December, H is open."""
    r = month.report
    assert r.total == 6
    assert {line.case_id for line in r.cases} == refs(month, "A", "B", "C", "D", "E", "F")
    assert closing_time(month.cases["F"]) == sh(11, 12).astimezone(UTC)
    assert closing_time(month.cases["H"]) is None


def test_the_month_is_taken_in_the_policy_zone() -> None:
    """Closed at 2026-11-30 20:00 UTC = 12-01 04:00 in Shanghai: a December case."""
    service = bootstrap(clock=FixedClock(sh(11, 1)))
    late = datetime(2026, 11, 30, 20, tzinfo=UTC)
    case = walk(service, intake("甲"), sh(11, 25), late, causer=dept("smt"))
    args = {"policy_for": service.policy_of, "calendar_for": service.calendar_for}
    assert monthly_report([case], month="2026-11", **args).total == 0  # type: ignore[arg-type]
    assert monthly_report([case], month="2026-12", **args).total == 1  # type: ignore[arg-type]


def test_p1_cls_08_a_listed_cause_is_reported_by_its_label() -> None:
    service = bootstrap(clock=FixedClock(sh(11, 1)))
    case = walk(service, intake("甲", cause="late_delivery"), sh(11, 2), sh(11, 5), causer=dept("smt"))
    args = {"policy_for": service.policy_of, "calendar_for": service.calendar_for}
    (group,) = monthly_report([case], month="2026-11", **args).by_cause  # type: ignore[arg-type]
    assert (group.key, group.label.zh, group.label.en) == ("late_delivery", "交货延迟", "Late delivery")


def counts(groups: tuple[object, ...]) -> list[tuple[str, int]]:
    return [(g.key, g.cases) for g in groups]  # type: ignore[attr-defined]


def test_counts_by_category_cause_department_severity_and_market(month: Month) -> None:
    r = month.report
    assert counts(r.by_category) == [("quality", 4), ("non_quality", 2)]  # A B D E / C F
    # warp: A B D; then the single ones by code, "unspecified" (C has no cause code) last
    assert counts(r.by_cause) == [("warp", 3), ("misuse", 1), ("solder", 1), ("unspecified", 1)]
    # smt: A B E by department party; sales: D through the organisation (p1), C and F by the category
    assert counts(r.by_department) == [("sales", 3), ("smt", 3)]
    assert [g.label.zh for g in r.by_department] == ["销售部", "SMT 车间"]
    assert counts(r.by_severity) == [("unclassified", 6)]
    assert counts(r.by_market) == [("domestic", 5), ("foreign", 1)]
    assert [g.label("en") for g in r.by_market] == ["domestic", "foreign"]
    assert r.by_category[0].share == Rate(4, 6)
    assert r.by_category[0].label.en == "Quality abnormality"


def test_overdue_rate_per_clock_and_department(month: Month) -> None:
    """close: A C D on time, B E late (F's clock still runs: not counted); report: B late."""
    r = month.report
    assert [(c.clock, c.clocks, c.late) for c in r.clocks] == [("close", 5, 2), ("report", 1, 1)]
    assert r.clocks[0].overdue.value() == Decimal("0.4000")
    assert r.clocks[1].overdue.value() == Decimal("1.0000")
    assert r.overdue == Rate(3, 6)
    smt = next(g for g in r.by_department if g.key == "smt")
    sales = next(g for g in r.by_department if g.key == "sales")
    assert (smt.clocks, smt.late) == (4, 3)  # A close, B close + report, E close
    assert (sales.clocks, sales.late, sales.overdue.value()) == (2, 0, Decimal("0.0000"))


def test_handling_time_distribution(month: Month) -> None:
    """A 1 d, F 1 d, D 2.5 d, C 4 d, B 16 d, E 17 d: buckets are upper-inclusive."""
    h = month.report.handling
    assert [(b.upper_days, b.cases) for b in h.buckets] == [(1, 2), (3, 1), (7, 1), (15, 0), (None, 2)]
    assert h.median == timedelta(days=3, hours=6)  # (2.5 + 4) / 2
    assert h.p90 == timedelta(days=17)  # nearest rank ⌈0.9 × 6⌉ = 6th
    assert duration_days(h.median) == Decimal("3.25")
    assert [b.label.zh for b in h.buckets] == ["≤1天", "≤3天", "≤7天", "≤15天", ">15天"]


def test_money_loss_and_deductions(month: Month) -> None:
    r = month.report
    # A 1000.00 + B 500.50; D, A's second complaint, carries A's claim: counted once (returns audit)
    assert r.money.claimed == Decimal("1500.50")
    assert next(line.claimed for line in r.cases if line.case_id == month.cases["D"].case_id) == Decimal("1000.00")
    assert r.money.remedy == Decimal("4200.00")  # A 700 + B 1200 + D 300 + E 2000 (C 0; F none; G December)
    assert r.money.loss == Decimal("1000.00")  # B 888.88 + E 111.12; G's loss is December's
    smt = next(g for g in r.by_department if g.key == "smt")
    assert (smt.loss, smt.remedy) == (Decimal("1000.00"), Decimal("3900.00"))
    d = r.deductions
    assert d is not None
    # p1: 1900 against a cap of 800 → 800 deducted, 1100 carried; p2: 300 under a cap of 500
    assert (d.people, d.posted, d.deducted, d.carried) == (
        2,
        Decimal("2200.00"),
        Decimal("1100.00"),
        Decimal("1100.00"),
    )
    assert (d.reversed, d.refunded) == (Decimal("0.00"), Decimal("0.00"))
    assert str(d.posted) == "2200.00"


def test_repeat_and_satisfaction_rates(month: Month) -> None:
    """Repeats: B (甲 complained of quality on 11-02), D (second complaint), C (乙's open non-quality case H of
    11-01)."""
    r = month.report
    assert {line.case_id for line in r.cases if line.repeat} == refs(month, "B", "C", "D")
    assert r.repeat == Rate(3, 6)
    s = r.satisfaction
    # reached: A satisfied, B dissatisfied, C satisfied; A's second visit open, C's second unreachable
    assert (s.reached, s.satisfied, s.dissatisfied, s.unreachable, s.pending) == (3, 2, 1, 1, 1)
    assert s.rate.value() == Decimal("0.6667")
    assert s.rate.percent() == "66.7%"


def test_pareto_of_causes(month: Month) -> None:
    p = month.report.pareto
    assert [(row.cause, row.cases) for row in p] == [("warp", 3), ("misuse", 1), ("solder", 1), ("unspecified", 1)]
    assert [row.cumulative.fraction for row in p] == [Fraction(1, 2), Fraction(2, 3), Fraction(5, 6), Fraction(1)]
    assert [row.cumulative.percent() for row in p] == ["50.0%", "66.7%", "83.3%", "100.0%"]
    assert p[-1].label.zh == "未注明"


def test_timeliness_audit(month: Month) -> None:
    """Lateness counts the days that ended between due and done; 11-08 is a Sunday, so 0 working days."""
    audit = month.report.audit
    b, e = month.cases["B"], month.cases["E"]
    rows = [(s.case_id, s.clock, s.rule_id, s.days_late, s.working_days_late) for s in audit]
    assert rows == [
        (e.case_id, "close", "P1-DL-01", 3, 3),  # due 11-02 end, done 11-06: 3rd, 4th, 5th
        (b.case_id, "close", "P1-DL-01", 2, 2),  # due 11-17 end, done 11-20: 18th, 19th
        (b.case_id, "report", "P1-DL-02", 1, 0),  # due 11-07 end (Sat), done 11-09: Sunday 8th only
    ]
    assert audit[0].due == datetime(2026, 11, 2, 23, 59, 59, 999999, tzinfo=SH)
    assert audit[0].stopped_at == sh(11, 6)
    assert audit[0].reference == e.number and audit[0].department == "smt"
    assert audit[2].clock_label.zh == "调查报告"


def test_cases_per_iso_week(month: Month) -> None:
    """Weeks W44 (ends Sun 11-01) to W49 (starts Mon 11-30); A D E close in W45, C F in W46, B in W47."""
    weeks = month.report.weeks
    assert [w.week for w in weeks] == ["2026-W44", "2026-W45", "2026-W46", "2026-W47", "2026-W48", "2026-W49"]
    assert [dict(w.counts) for w in weeks[1:4]] == [
        {"quality": 3, "non_quality": 0},
        {"quality": 0, "non_quality": 2},
        {"quality": 1, "non_quality": 0},
    ]
    assert weeks[0].total == weeks[4].total == weeks[5].total == 0
    assert weeks_of("2027-01")[0] == "2026-W53"  # 2027-01-01 is a Friday of ISO week 2026-W53


def test_rates_round_half_up_in_integers() -> None:
    assert Rate(1, 8).value(2) == Decimal("0.13")  # 0.125 → half up
    assert Rate(1, 3).value() == Decimal("0.3333")
    assert Rate(2, 3).value() == Decimal("0.6667")
    assert Rate(0, 0).value() is None and Rate(0, 0).percent() == "-" and Rate(0, 0).fraction is None
    assert Rate(1, 1).percent() == "100.0%"


def test_an_empty_month_is_a_report_of_zeros() -> None:
    r = monthly_report([], month="2026-02", policy_for=lambda c: pytest.fail(), calendar_for=lambda p: None)
    assert r.total == 0 and r.by_category == () and r.pareto == () and r.audit == ()
    assert r.handling.median is None and r.repeat.value() is None and r.deductions is None
    assert r.money.loss == Decimal("0.00") and len(r.weeks) == 5  # 2026-02: W05..W09


def test_inputs_are_checked(month: Month) -> None:
    args: dict[str, Callable[..., object]] = {
        "policy_for": month.service.policy_of,
        "calendar_for": month.service.calendar_for,
    }
    with pytest.raises(RuleViolation, match="YYYY-MM"):
        monthly_report([], month="2026-13", **args)  # type: ignore[arg-type]
    _, close = Ledger().close_month("2026-10", bonuses={}, cap_ratio=None)
    with pytest.raises(RuleViolation, match="2026-10"):
        monthly_report([], month="2026-11", month_close=close, **args)  # type: ignore[arg-type]
    case = month.cases["B"]
    with pytest.raises(Exception, match="fen"):
        monthly_report([case], month="2026-11", losses={case.case_id: Decimal("1.005")}, **args)  # type: ignore[arg-type]


def test_a_ledger_balance_beyond_one_postings_maximum_still_reports() -> None:
    """Two postings of the largest amount to one person carry more than MAX_AMOUNT: the ledger closes it, and the
    report's totals refused it (exit 4 on a read-only report, for every later reading of the month)."""
    from complaint_core.ledger import Ledger, Posting
    from complaint_core.money import MAX_AMOUNT
    from complaint_core.report import monthly_report

    ledger, _ = Ledger().post(
        [Posting(person_id="A1", case_id=uuid4(), line_id=str(i), rule_id="P1-PEN-02", amount=MAX_AMOUNT)
         for i in range(2)],
        month="2026-11",
    )  # fmt: skip
    ledger, close = ledger.close_month("2026-11", bonuses={"A1": Decimal("1000.00")}, cap_ratio=Decimal("0.5"))
    report = monthly_report((), month="2026-11", policy_for=lambda c: None, calendar_for=lambda p: None,  # type: ignore[arg-type,return-value]
                            month_close=close)  # fmt: skip
    assert report.deductions is not None
    assert report.deductions.posted == 2 * MAX_AMOUNT and report.deductions.deducted == Decimal("500.00")
    assert report.deductions.carried == 2 * MAX_AMOUNT - Decimal("500.00")


def _repeats(service: CaseService, *cases: Case) -> list[bool]:
    with service.uow as uow:
        everything = list(uow.cases.all())
    args = {"policy_for": service.policy_of, "calendar_for": service.calendar_for}
    report = monthly_report(everything, month="2026-11", **args)  # type: ignore[arg-type]
    flags = {line.case_id: line.repeat for line in report.cases}
    return [flags[case.case_id] for case in cases]


def test_p4_cls_04_a_repeat_is_the_same_issue_earlier_in_the_month_without_a_window() -> None:
    """Manufacturing has no ``repeat_window``: the same customer's complaint of another category is another issue,
    and a complaint received before the report month does not count."""
    service = bootstrap(clock=FixedClock(sh(11, 1)))
    walk(service, intake("乙"), sh(10, 20), sh(10, 22), causer=dept("smt"))
    after_october = walk(service, intake("乙"), sh(11, 2), sh(11, 3), causer=dept("smt"))
    walk(service, intake("甲"), sh(11, 2), sh(11, 3), causer=dept("smt"))
    other = walk(service, intake("甲", "non_quality", None), sh(11, 4), sh(11, 6))
    again = walk(service, intake(" 甲 "), sh(11, 5), sh(11, 6), causer=dept("smt"))
    assert _repeats(service, after_october, other, again) == [False, False, True]


def test_p4_cls_04_a_repeat_within_the_policy_window_counts_across_months() -> None:
    """With a 30-day window the case records its repeats when received (``repeat_count``), earlier months too."""
    windowed = attrs.evolve(
        load_preset("manufacturing"), policy_id="windowed", repeat_window=Limit(30, TimeUnit.CALENDAR_DAYS)
    )
    service = bootstrap(clock=FixedClock(sh(11, 1)), extra_policies=[windowed], default_policy="windowed")
    walk(service, intake("乙"), sh(10, 20), sh(10, 22), causer=dept("smt"))
    again = walk(service, intake("乙"), sh(11, 4), sh(11, 6), causer=dept("smt"))
    other = walk(service, intake("乙", "non_quality", None), sh(11, 5), sh(11, 6))
    assert (again.repeat_count, other.repeat_count) == (1, 0)
    assert _repeats(service, again, other) == [True, False]


def test_a_claim_is_counted_once_across_second_complaints_and_months() -> None:
    """A second complaint copies its parent's intake, claim included: November's total does not count October's
    claim again; a second complaint received with a claim of its own (``receive(parent=…)``) counts it."""
    service = bootstrap(clock=FixedClock(sh(10, 1)))
    claim = intake("甲", claimed_amount=Decimal("800.00"))
    parent = walk(service, claim, sh(10, 20), sh(10, 22), causer=dept("smt"))
    again = walk(service, claim, sh(11, 2), sh(11, 3), causer=dept("smt"), parent=parent)
    more = intake("甲", claimed_amount=Decimal("950.00"))
    raised = walk(service, more, sh(11, 4), sh(11, 5), causer=dept("smt"), parent=parent, own_intake=True)
    with service.uow as uow:
        everything = list(uow.cases.all())
    args = {"policy_for": service.policy_of, "calendar_for": service.calendar_for}
    november = monthly_report(everything, month="2026-11", **args)  # type: ignore[arg-type]
    assert {line.case_id: line.claimed for line in november.cases} == {
        again.case_id: Decimal("800.00"),
        raised.case_id: Decimal("950.00"),
    }
    assert november.money.claimed == Decimal("950.00")
    assert monthly_report(everything, month="2026-10", **args).money.claimed == Decimal("800.00")  # type: ignore[arg-type]


def test_a_remedy_counts_once_promised_where_the_policy_skips_approval() -> None:
    """DOMAIN §10: the month's remedy is what the customer was promised. A policy that skips ``approved`` promises
    it in the reply; such remedies counted 0.00, as if none had been agreed."""
    policy = attrs.evolve(load_preset("manufacturing"), policy_id="mfg-skip", skip_states=frozenset({"approved"}))
    service = bootstrap(clock=FixedClock(sh(11, 1)), extra_policies=[policy])
    ref = service.receive(intake("甲"), actor="sales", policy_id="mfg-skip", at=sh(11, 2)).case_id
    service.register(ref, actor="gm_office", at=sh(11, 2))
    service.start_investigation(ref, actor="qa", at=sh(11, 2))
    service.attribute(ref, actor="qa", at=sh(11, 3), causer=dept("smt"))
    service.propose(ref, actor="sales", kind=RemedyKind.ALLOWANCE, amount=Decimal("800.00"), at=sh(11, 4))
    service.reply(ref, actor="sales", message="同意折让800元", at=sh(11, 5))
    case = service.close(ref, actor="gm_office", at=sh(11, 5))
    args = {"policy_for": service.policy_of, "calendar_for": service.calendar_for}
    assert monthly_report([case], month="2026-11", **args).money.remedy == Decimal("800.00")  # type: ignore[arg-type]
