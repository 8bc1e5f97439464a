"""The documented JSON shapes (docs/cli.md), built from real domain objects (in-memory bootstrap)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from adapters.calendars import china_calendar
from adapters.clock import FixedClock
from adapters.policy_files import load_preset
from complaint_core import Channel, Intake, Market, Party, PartyKind, RemedyKind, Responsibility
from complaint_core.assessment import Assessment
from complaint_core.labels import Labels
from complaint_core.ledger import Ledger
from complaint_core.penalty import LineKind, PenaltyLine
from entrypoints.bootstrap import bootstrap
from entrypoints.jsonshapes import (
    add_days_json,
    case_json,
    ledger_row_json,
    money_str,
    month_close_json,
    penalty_line_json,
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
