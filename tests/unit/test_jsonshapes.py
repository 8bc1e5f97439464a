"""The documented JSON shapes (docs/cli.md), built from real domain objects (in-memory bootstrap)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from uuid import uuid4
from zoneinfo import ZoneInfo

import attrs
import pytest

from adapters.calendars import china_calendar
from adapters.clock import FixedClock
from adapters.policy_files import load_preset
from complaint_core import Case, Channel, Intake, Market, Party, PartyKind, Policy, RemedyKind, Responsibility
from complaint_core.assessment import Assessment
from complaint_core.calendar import TableCalendar
from complaint_core.intake import ProductLine
from complaint_core.labels import Labels
from complaint_core.ledger import Ledger
from complaint_core.money import MAX_QUANTITY
from complaint_core.penalty import LineKind, PenaltyLine
from complaint_core.policy import Limit, TimeUnit
from complaint_core.validity import Validity
from entrypoints.bootstrap import bootstrap
from entrypoints.jsonshapes import (
    add_days_json,
    calendar_json,
    case_json,
    date_str,
    day_kind,
    labels_json,
    ledger_row_json,
    money_str,
    month_close_json,
    penalty_line_json,
    product_json,
    utc_iso,
    workday_json,
)

TZ = ZoneInfo("Asia/Shanghai")
CASE_KEYS = {
    "id", "number", "status", "policy", "customer", "category", "kind", "market", "channel", "severity",
    "received_at", "amount", "clocks", "handler", "responsibility", "remedy", "parent_number", "version",
}  # fmt: skip
CLOCK_KEYS = {"name", "started_at", "due_at", "stopped_at", "paused", "level", "overdue"}


def test_money_str() -> None:
    assert money_str(Decimal("700")) == "700.00"
    assert money_str(Decimal("0.5")) == "0.50"
    assert money_str(Decimal("-12.30")) == "-12.30"
    assert money_str(70000) == "700.00"  # fen
    assert money_str(5) == "0.05"
    assert money_str(None) is None
    with pytest.raises(ValueError):
        money_str(Decimal("1.005"))
    with pytest.raises(TypeError):
        money_str(True)


def test_utc_iso() -> None:
    assert utc_iso(datetime(2026, 11, 2, 9, tzinfo=TZ)) == "2026-11-02T01:00:00Z"
    assert utc_iso(datetime(2026, 11, 2, 23, 59, 59, 999999, tzinfo=TZ)) == "2026-11-02T15:59:59.999999Z"
    assert utc_iso(datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=-5)))) == "2026-01-01T05:00:00Z"
    assert utc_iso(None) is None
    with pytest.raises(ValueError):
        utc_iso(datetime(2026, 1, 1))


def test_case_json_through_a_lifecycle() -> None:
    service = bootstrap(clock=FixedClock(datetime(2026, 11, 2, 9, tzinfo=TZ)))
    intake = Intake(
        customer="华东电子",
        channel=Channel.PHONE,
        category="quality",
        market=Market.FOREIGN,
        claimed_amount=Decimal("3200"),
    )
    case = service.receive(intake, actor="sales.wang")
    case = service.register(case.case_id, actor="gm_office", at=datetime(2026, 11, 2, 14, tzinfo=TZ))
    policy = service.policy_of(case)
    calendar = china_calendar()

    doc = case_json(case, policy, calendar, as_of=datetime(2026, 11, 3, tzinfo=TZ))
    assert set(doc) >= CASE_KEYS
    assert json.loads(json.dumps(doc, ensure_ascii=False)) == doc  # plain JSON types only
    assert doc["number"] == "261101" and doc["status"] == "registered"
    assert doc["policy"] == {"id": "manufacturing", "version": load_preset("manufacturing").version}
    assert (doc["customer"], doc["category"], doc["market"], doc["channel"]) == (
        "华东电子",
        "quality",
        "foreign",
        "phone",
    )
    assert doc["amount"] == "3200.00"
    assert doc["received_at"] == "2026-11-02T01:00:00Z"
    assert doc["handler"] is None and doc["remedy"] is None and doc["parent_number"] is None
    (close,) = [c for c in doc["clocks"] if c["name"] == "close"]
    assert set(close) >= CLOCK_KEYS
    assert close["rule"] == "P1-DL-01"
    assert close["label"] == {"zh": "结案期限", "en": "Closing deadline"}
    assert close["started_at"] == "2026-11-02T06:00:00Z"
    assert close["due_at"] == "2026-11-19T15:59:59.999999Z"  # 17 calendar days, foreign, end of local day
    assert close["overdue"] is False and close["stopped_at"] is None and close["paused"] is False

    late = case_json(case, policy, calendar, as_of=datetime(2026, 11, 20, tzinfo=TZ), parent_number="261001")
    assert [c["overdue"] for c in late["clocks"] if c["name"] == "close"] == [True]
    assert late["parent_number"] == "261001"

    smt2 = Party(PartyKind.GROUP_UNIT, "smt-2", "SMT 二班")
    service.start_investigation(case.number, actor="qa", at=datetime(2026, 11, 3, 9, tzinfo=TZ))
    service.attribute(case.number, actor="qa", at=datetime(2026, 11, 4, 9, tzinfo=TZ), causer=Responsibility.sole(smt2))
    case = service.propose(
        case.number,
        actor="sales",
        kind=RemedyKind.ALLOWANCE,
        amount=Decimal("8200"),
        at=datetime(2026, 11, 4, 10, tzinfo=TZ),
    )
    doc = case_json(case, policy, calendar, as_of=datetime(2026, 11, 4, 12, tzinfo=TZ))
    assert doc["remedy"] == {"kind": "allowance", "amount": "8200.00", "note": ""}
    assert doc["responsibility"] == {
        "no_fault": False,
        "causer": [{"party": {"kind": "group_unit", "id": "smt-2", "name": "SMT 二班"}, "share": "1"}],
        "delay": None,
    }
    assert doc["version"] == case.version == 5
    assert [s["status"] for s in doc["steps"]] == ["received", "registered", "investigating", "attributed", "proposed"]


def test_penalty_line_and_ledger_shapes() -> None:
    policy = load_preset("manufacturing")
    wang = Party(PartyKind.PERSON, "p-wang", "王五")
    line = PenaltyLine(
        party=wang,
        rule_id="P1-PEN-10",
        kind=LineKind.LOSS_SHARE,
        amount=Decimal("1900.00"),
        explanation=Labels("损失 2,400.00 × …", "loss 2,400.00 × …"),
        points=-2,
        basis=(("loss", "2400.00"), ("share", "1")),
    )
    doc = penalty_line_json(line, case_number="261101")
    assert doc == {
        "person": "p-wang",
        "party": {"kind": "person", "id": "p-wang", "name": "王五"},
        "case_number": "261101",
        "rule": "P1-PEN-10",
        "kind": "loss_share",
        "basis": {"loss": "2400.00", "share": "1"},
        "amount": "1900.00",
        "points": -2,
        "capped": True,
        "explanation": {"zh": "损失 2,400.00 × …", "en": "loss 2,400.00 × …"},
    }
    unit = penalty_line_json(
        PenaltyLine(
            party=Party(PartyKind.GROUP_UNIT, "smt-2"),
            rule_id="P1-PEN-02",
            kind=LineKind.LOSS_SHARE,
            amount=Decimal("10"),
            explanation=Labels("x", "x"),
        ),
        case_number=None,
    )
    assert unit["person"] is None and unit["amount"] == "10.00"

    at = datetime(2026, 11, 20, 9, tzinfo=UTC)
    proposal, _ = Assessment.propose(policy, assessment_id=uuid4(), case_id=uuid4(), lines=[line], at=at, actor="qa")
    approved, _ = proposal.approve(policy, role="gm", at=at, actor="gm.chen")
    ledger, _ = Ledger().post(approved.postings(), month="2026-11")
    ledger, november = ledger.close_month("2026-11", bonuses={"p-wang": Decimal("1600")}, cap_ratio=Decimal("0.5"))
    (row,) = november.people
    rdoc = ledger_row_json(row, "2026-11")
    assert {
        k: rdoc[k] for k in ("person", "month", "bonus", "cap", "posted", "deducted", "carried_in", "carried_out")
    } == {
        "person": "p-wang",
        "month": "2026-11",
        "bonus": "1600.00",
        "cap": "800.00",
        "posted": "1900.00",
        "deducted": "800.00",
        "carried_in": "0.00",
        "carried_out": "1100.00",
    }
    close = month_close_json(november)
    assert close["month"] == "2026-11" and close["cap_ratio"] == "0.5"
    assert close["people"] == [rdoc]
    assert [(e["kind"], e["amount"], e["rule"]) for e in close["lines"]] == [("deducted", "800.00", "P1-PEN-10")]


def test_calendar_shapes() -> None:
    cn = china_calendar()
    assert workday_json(cn, date(2026, 10, 10)) == {
        "date": "2026-10-10",
        "workday": True,
        "kind": "makeup_workday",
        "calendar": "cn",
        "estimated": False,
    }
    assert add_days_json(date(2026, 9, 30), 3, date(2026, 10, 10), working=True, calendar="cn", estimated=False) == {
        "date": "2026-10-10",
        "start": "2026-09-30",
        "days": 3,
        "working": True,
        "calendar": "cn",
        "estimated": False,
    }


def test_case_json_of_a_full_case() -> None:
    """The parts a young case leaves null: handler, validity, approval, reply, meeting, improvements, milestones."""
    service = bootstrap(clock=FixedClock(datetime(2026, 11, 2, 9, tzinfo=TZ)))
    case = service.receive(Intake(customer="华东电子", channel=Channel.PHONE, category="quality"), actor="sales")
    ref = case.case_id
    service.register(ref, actor="gm_office")
    service.flag_major(ref, actor="gm_office", reason="安全隐患")
    service.record_emergency_meeting(ref, actor="gm_office", attendees=("gm", "qa"), minutes="停线排查")
    service.start_investigation(ref, actor="qa")
    handler = Party(PartyKind.PERSON, "p-li", "李四")
    service.attribute(
        ref,
        actor="qa",
        handler=handler,
        causer=Responsibility.sole(Party(PartyKind.DEPARTMENT, "production")),
        validity=Validity(reason_sufficient=True, request_reasonable=False),
    )
    service.plan_improvement(
        ref, actor="qa", measures="加严来料检验", owner="p-zhao", due=datetime(2026, 11, 9, tzinfo=TZ)
    )
    service.plan_improvement(ref, actor="qa", measures="培训", owner="p-zhao", tracked=False)
    service.verify_improvement(ref, actor="qa", number=1, effective=True, note="复查无异常")
    service.propose(ref, actor="sales", kind=RemedyKind.COMPENSATION, amount=Decimal("1200"), note="credit")
    service.approve(ref, actor="manager", role="sales_manager")
    case = service.reply(ref, actor="sales", message="we credit 1200.00", reaction="accepted")
    policy = service.policy_of(case)

    doc = case_json(case, policy, china_calendar(), as_of=datetime(2026, 11, 20, tzinfo=TZ))
    assert json.loads(json.dumps(doc, ensure_ascii=False)) == doc
    assert doc["handler"] == {"kind": "person", "id": "p-li", "name": "李四"}
    assert doc["validity"] == {"reason_sufficient": True, "request_reasonable": False}
    assert doc["approval"] == {"role": "sales_manager", "approver": "manager", "at": "2026-11-02T01:00:00Z"}
    assert doc["reply"] == {"message": "we credit 1200.00", "reaction": "accepted", "at": "2026-11-02T01:00:00Z"}
    assert doc["major"] is True
    assert doc["meeting"] == {"attendees": ["gm", "qa"], "minutes": "停线排查", "at": "2026-11-02T01:00:00Z"}
    first, second = doc["improvements"]
    assert (first["number"], first["due_at"], first["verified_at"], first["effective"]) == (
        1,
        "2026-11-08T16:00:00Z",
        "2026-11-02T01:00:00Z",
        True,
    )
    assert (second["tracked"], second["due_at"], second["verified_at"], second["overdue"]) == (False, None, None, False)


def registered_case() -> tuple[Case, Policy]:
    """A case registered on 2 November 2026 under the default policy (manufacturing), and that policy."""
    service = bootstrap(clock=FixedClock(datetime(2026, 11, 2, 9, tzinfo=TZ)))
    case = service.receive(Intake(customer="c", channel=Channel.PHONE, category="quality"), actor="sales")
    case = service.register(case.case_id, actor="gm_office")
    return case, service.policy_of(case)


def test_a_clock_without_a_rule_in_the_policy_has_no_deadline() -> None:
    """docs/cli.md: a clock the policy has no rule for (e.g. after a policy change) has ``due_at`` null."""
    case, policy = registered_case()
    started = {state.name for state in case.clocks}
    without = attrs.evolve(policy, clocks=tuple(rule for rule in policy.clocks if rule.name not in started))
    (clock,) = [
        c for c in case_json(case, without, china_calendar(), as_of=NOVEMBER_30)["clocks"] if c["name"] == "close"
    ]
    assert (clock["label"], clock["rule"], clock["due_at"], clock["overdue"], clock["warnings"]) == (
        None,
        None,
        None,
        False,
        [],
    )
    assert clock["started_at"] == "2026-11-02T01:00:00Z"


def test_an_estimated_deadline_carries_its_warning() -> None:
    """A deadline counted on the weekends-only fallback says so in ``warnings``."""
    case, counted = registered_case()
    working = Limit(5, TimeUnit.WORKING_DAYS)
    policy = attrs.evolve(
        counted, clocks=tuple(attrs.evolve(r, limit=working) if r.name == "close" else r for r in counted.clocks)
    )
    guessed = TableCalendar(name="x", first=date(2026, 1, 1), last=date(2026, 12, 31), estimated_from=date(2026, 1, 1))
    (clock,) = [c for c in case_json(case, policy, guessed, as_of=NOVEMBER_30)["clocks"] if c["name"] == "close"]
    assert clock["warnings"] == ["x: working days of 2026 are a weekends-only estimate"]


NOVEMBER_30 = datetime(2026, 11, 30, tzinfo=TZ)


def test_product_lines_as_case_open_takes_them() -> None:
    full = ProductLine(
        order_no="SO-1",
        part_no="PCB-7",
        shipped_on=date(2026, 10, 1),
        quantity=Decimal("1E+3"),
        defective_quantity=Decimal("12.5"),
        requested_quantity=Decimal("0"),
    )
    assert product_json(full) == {
        "order": "SO-1",
        "part": "PCB-7",
        "shipped": "2026-10-01",
        "qty": "1000",
        "defective": "12.5",
        "requested": "0",
    }
    assert product_json(ProductLine()) == dict.fromkeys(("order", "part", "shipped", "qty", "defective", "requested"))
    # a quantity above today's bound, stored before the bound existed, is written as it is, not spelt out
    huge = Decimal("1E+40")
    assert huge > MAX_QUANTITY
    stored = ProductLine(quantity=Decimal(1))
    object.__setattr__(stored, "quantity", huge)
    assert product_json(stored)["qty"] == "1E+40"
    assert product_json(ProductLine(quantity=Decimal(MAX_QUANTITY)))["qty"] == str(MAX_QUANTITY)


def test_day_kinds_and_the_calendar_summary() -> None:
    cn = china_calendar()
    days = (
        date(2026, 9, 18),
        date(2026, 9, 30),
        date(2026, 10, 1),
        date(2026, 10, 2),
        date(2026, 10, 4),
        date(2026, 10, 10),
    )
    kinds = {d: day_kind(cn, d) for d in days}
    assert kinds == {
        date(2026, 9, 18): "weekday",  # a Friday
        date(2026, 9, 30): "weekday",
        date(2026, 10, 2): "holiday",  # a Friday off
        date(2026, 10, 1): "holiday",
        date(2026, 10, 4): "weekend",
        date(2026, 10, 10): "makeup_workday",
    }
    summary = calendar_json(cn, ["bundled"])
    assert summary == {
        "name": "cn",
        "first": cn.first.isoformat(),
        "last": cn.last.isoformat(),
        "estimated_from": None,
        "sources": ["bundled"],
    }
    guessed = TableCalendar(name="x", first=date(2026, 1, 1), last=date(2027, 12, 31), estimated_from=date(2027, 1, 1))
    assert calendar_json(guessed, [])["estimated_from"] == "2027-01-01"


def test_small_shapes_keep_null() -> None:
    assert date_str(None) is None and date_str(date(2026, 1, 2)) == "2026-01-02"
    assert labels_json(None) is None and labels_json(Labels("投诉", "complaint")) == {"zh": "投诉", "en": "complaint"}
    assert month_close_json(Ledger().close_month("2026-11", bonuses={}, cap_ratio=None)[1])["cap_ratio"] is None


def test_utc_iso_names_a_naive_instant() -> None:
    class NoOffset(tzinfo):
        def utcoffset(self, dt: datetime | None) -> timedelta | None:
            return None

        def dst(self, dt: datetime | None) -> timedelta | None:
            return None

        def tzname(self, dt: datetime | None) -> str | None:
            return None

    for naive in (datetime(2026, 1, 1), datetime(2026, 1, 1, tzinfo=NoOffset())):
        with pytest.raises(ValueError, match="is naive; instants leave the program in UTC"):
            utc_iso(naive)
