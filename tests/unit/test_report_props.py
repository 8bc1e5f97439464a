"""Properties of the monthly report over random months of cases built with the pure core (DOMAIN §10)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from uuid import UUID
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.calendars import china_calendar
from adapters.policy_files import load_preset
from complaint_core import Case, Channel, Intake, Market, Party, PartyKind, RemedyKind, Responsibility
from complaint_core.report import closing_time, month_of, monthly_report

SH = ZoneInfo("Asia/Shanghai")
POLICY = load_preset("manufacturing")
CALENDAR = china_calendar()
START = datetime(2026, 10, 15, tzinfo=SH)

spec = st.tuples(
    st.sampled_from(["quality", "non_quality"]),
    st.sampled_from([None, "warp", "solder", "label", "packing"]),
    st.sampled_from(list(Market)),
    st.integers(0, 46 * 24),  # received: hours after 10-15 00:00
    st.integers(0, 40 * 24),  # handling hours
    st.sampled_from([None, "smt", "sales", "warehouse"]),  # causer department, None: no fault
    st.booleans(),  # not established instead of closed
    st.sampled_from(["甲", "乙", "丙"]),
)


def build(n: int, s: tuple[str, str | None, Market, int, int, str | None, bool, str]) -> Case:
    category, cause, market, received_h, handling_h, department, rejected, customer = s
    received = START + timedelta(hours=received_h)
    done = received + timedelta(hours=handling_h)
    intake = Intake(customer=customer, channel=Channel.PHONE, category=category, cause_code=cause, market=market)
    case, _ = Case.receive(POLICY, case_id=UUID(int=n + 1), intake=intake, at=received, actor="sales")
    case, _ = case.register(POLICY, at=received, actor="gm_office", number=f"N{n:04d}")
    if rejected:
        case, _ = case.find_not_established(POLICY, at=done, actor="qa", reason="不成立")
        return case
    case, _ = case.start_investigation(POLICY, at=received, actor="qa")
    causer = Responsibility.sole(Party(PartyKind.DEPARTMENT, department)) if department else None
    case, _ = case.attribute(POLICY, at=received, actor="qa", causer=causer, no_fault=causer is None)
    case, _ = case.propose(POLICY, at=done, actor="sales", kind=RemedyKind.ALLOWANCE, amount=Decimal("10.00"))
    case, _ = case.approve(POLICY, at=done, actor="gm", role="gm")
    case, _ = case.reply_to_customer(POLICY, at=done, actor="sales", message="ok")
    case, _ = case.close(POLICY, at=done, actor="gm_office")
    return case


@settings(max_examples=60, deadline=None)
@given(st.lists(spec, max_size=25))
def test_report_totals_agree(specs: list[tuple[str, str | None, Market, int, int, str | None, bool, str]]) -> None:
    cases = [build(n, s) for n, s in enumerate(specs)]
    report = monthly_report(cases, month="2026-11", policy_for=lambda c: POLICY, calendar_for=lambda p: CALENDAR)
    closed = [c for c in cases if month_of(closing_time(c), POLICY) == "2026-11"]  # type: ignore[arg-type]
    assert report.total == len(closed)
    for groups in (report.by_category, report.by_cause, report.by_department, report.by_severity, report.by_market):
        assert sum(g.cases for g in groups) == report.total
        assert sum(g.clocks for g in groups) == sum(c.clocks for c in report.clocks)
        if report.total:
            assert sum(g.share.fraction or 0 for g in groups) == 1
    assert sum(b.cases for b in report.handling.buckets) == report.total
    assert sum(w.total for w in report.weeks) == report.total
    assert report.money.remedy == Decimal("10.00") * sum(1 for c in closed if c.remedy is not None)
    for rate in (*(c.overdue for c in report.clocks), *(g.overdue for g in report.by_department), report.repeat):
        value = rate.fraction
        assert value is None or 0 <= value <= 1
    assert len(report.audit) == sum(c.late for c in report.clocks)
    assert all(step.days_late >= 0 and (step.working_days_late or 0) >= 0 for step in report.audit)
    cumulative = [row.cumulative.fraction for row in report.pareto]
    assert cumulative == sorted(cumulative, key=lambda f: f or 0)
    assert [row.cases for row in report.pareto] == sorted((row.cases for row in report.pareto), reverse=True)
    if report.total:
        assert cumulative[-1] == Fraction(1)
        assert report.pareto[-1].cumulative.percent() == "100.0%"
        assert report.handling.median is not None and report.handling.p90 is not None
        assert min(c.handling for c in report.cases) <= report.handling.median <= report.handling.p90
        assert report.handling.p90 <= max(c.handling for c in report.cases)
    else:
        assert report.pareto == () and report.handling.median is None
