"""The report's renderers: JSON and CSV say the same numbers as the report, the HTML escapes user text."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import attrs
import pytest
from rich.console import Console

from adapters.calendars import china_calendar
from adapters.policy_files import load_preset
from adapters.reports import CSV_COLUMNS, to_csv, to_html, to_json_dict, to_rich_tables
from complaint_core import Case, Channel, Intake, Party, PartyKind, RemedyKind, Responsibility
from complaint_core.report import MonthlyReport, monthly_report

SH = ZoneInfo("Asia/Shanghai")
POLICY = load_preset("manufacturing")
HOSTILE_CUSTOMER = '<script>alert("x")</script> & 华东'
HOSTILE_CAUSE = "<b>warp</b>"


def build(n: int, customer: str, cause: str, received: datetime, closed: datetime, remedy: str) -> Case:
    intake = Intake(customer=customer, channel=Channel.PHONE, category="quality", cause_code=cause)
    case, _ = Case.receive(POLICY, case_id=UUID(int=n), intake=intake, at=received, actor="sales")
    case, _ = case.register(POLICY, at=received, actor="gm_office", number=f"2611{n:02d}")
    case, _ = case.start_investigation(POLICY, at=received, actor="qa")
    causer = Responsibility.sole(Party(PartyKind.DEPARTMENT, "smt"))
    case, _ = case.attribute(POLICY, at=received, actor="qa", causer=causer)
    case, _ = case.propose(POLICY, at=closed, actor="sales", kind=RemedyKind.ALLOWANCE, amount=Decimal(remedy))
    case, _ = case.approve(POLICY, at=closed, actor="gm", role="gm")
    case, _ = case.reply_to_customer(POLICY, at=closed, actor="sales", message="ok")
    case, _ = case.close(POLICY, at=closed, actor="gm_office")
    return case


@pytest.fixture(scope="module")
def report() -> MonthlyReport:
    cases = [
        build(1, HOSTILE_CUSTOMER, HOSTILE_CAUSE, datetime(2026, 11, 2, 9, tzinfo=SH), datetime(2026, 11, 3, 9, tzinfo=SH), "700.00"),
        build(2, "乙", "solder", datetime(2026, 10, 20, 9, tzinfo=SH), datetime(2026, 11, 6, 9, tzinfo=SH), "1234.50"),
    ]  # fmt: skip
    calendar = china_calendar()
    return monthly_report(cases, month="2026-11", policy_for=lambda c: POLICY, calendar_for=lambda p: calendar)


def keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys(v)}
    return set()


def test_json_is_plain_exact_and_utc(report: MonthlyReport) -> None:
    data = json.loads(json.dumps(to_json_dict(report), ensure_ascii=False))
    assert data == to_json_dict(report)  # nothing that JSON would change
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", k) for k in keys(data))
    assert data["month"] == "2026-11" and data["total"] == 2
    assert data["money"] == {"claimed": "0.00", "remedy": "1934.50", "loss": "0.00"}
    assert data["by_category"][0]["remedy"] == "1934.50"
    assert data["overdue"] == {"numerator": 1, "denominator": 2, "value": "0.5000"}
    assert data["repeat"]["value"] == "0.0000"
    assert data["satisfaction"]["rate"] == {"numerator": 0, "denominator": 0, "value": None}
    assert data["deductions"] is None
    assert data["handling"]["median_days"] == "9.00" and data["handling"]["p90_days"] == "17.00"
    (late,) = data["audit"]
    assert late["due"] == "2026-11-02T15:59:59.999999Z" and late["stopped_at"] == "2026-11-06T01:00:00Z"
    assert late["days_late"] == 3 and late["clock_label"] == {"zh": "结案期限", "en": "Closing deadline"}
    first = data["cases"][0]
    assert first["customer"] == HOSTILE_CUSTOMER and first["handling_days"] == "1.00"
    assert first["received_at"] == "2026-11-02T01:00:00Z" and first["case_id"] == str(UUID(int=1))
    assert data["weeks"][1] == {"week": "2026-W45", "counts": {"quality": 2}, "total": 2}
    assert [row["cumulative"]["value"] for row in data["pareto"]] == ["0.5000", "1.0000"]


def test_csv_is_one_long_table_with_the_same_numbers(report: MonthlyReport) -> None:
    text = to_csv(report)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    value = {(r["section"], r["key"], r["metric"]): r["value"] for r in rows}
    assert value[("summary", "2026-11", "total")] == "2"
    assert value[("summary", "2026-11", "overdue_rate")] == "0.5000"
    assert value[("summary", "2026-11", "remedy")] == "1934.50"
    assert value[("summary", "2026-11", "satisfaction_rate")] == ""
    assert sum(int(r["value"]) for r in rows if r["section"] == "category" and r["metric"] == "cases") == 2
    assert value[("cause", HOSTILE_CAUSE, "cases")] == "1"
    assert value[("pareto", "solder", "cumulative")] in {"0.5000", "1.0000"}
    assert value[("audit", "261102:close", "working_days_late")] == "3"
    assert value[("audit", "261102:close", "due")] == "2026-11-02T15:59:59.999999Z"
    assert value[("case", "261101", "customer")] == HOSTILE_CUSTOMER
    assert value[("case", "261101", "handling_days")] == "1.00"
    assert value[("case", "261101", "repeat")] == "false"
    assert value[("week", "2026-W45", "quality")] == "2"
    labels = {(r["section"], r["key"]): (r["label_zh"], r["label_en"]) for r in rows}
    assert labels[("category", "quality")] == ("质量异常", "Quality abnormality")
    # every number of the JSON breakdowns is in the CSV too
    for section in ("category", "cause", "department", "severity", "market"):
        for group in to_json_dict(report)[f"by_{section}"]:
            assert value[(section, group["key"], "cases")] == str(group["cases"])
            assert value[(section, group["key"], "overdue")] == (group["overdue"]["value"] or "")


@pytest.mark.parametrize(
    ("lang", "html_lang", "heading"), [("zh", "zh-CN", "客户投诉月度报告"), ("en", "en", "Monthly")]
)
def test_html_is_self_contained_and_escapes_user_text(
    report: MonthlyReport, lang: str, html_lang: str, heading: str
) -> None:
    page = to_html(report, lang)  # type: ignore[arg-type]
    assert page.startswith("<!DOCTYPE html>")
    assert f'<html lang="{html_lang}">' in page and '<meta charset="utf-8">' in page
    assert heading in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; 华东" in page
    assert "&lt;b&gt;warp&lt;/b&gt;" in page
    assert "<script" not in page and "<b>" not in page
    assert page.count("<svg") == 3
    for chart in ("chart-pareto", "chart-weekly", "chart-departments"):
        assert f'id="{chart}"' in page
    # no external resource: the only URL is the SVG namespace, which is never fetched
    assert set(re.findall(r"https?://[^\"' )]+", page)) == {"http://www.w3.org/2000/svg"}
    assert not re.search(r"\s(src|href)=", page)
    assert "1,234.50" in page and "1,934.50" in page


def test_html_of_an_empty_month_still_has_its_charts() -> None:
    empty = monthly_report([], month="2026-12", policy_for=lambda c: POLICY, calendar_for=lambda p: None)
    page = to_html(empty, "en")
    assert page.count("<svg") == 3 and page.count("no data") == 3


def test_rich_tables_in_both_languages(report: MonthlyReport) -> None:
    for lang, words in (
        ("zh", ["客户投诉月度报告", "结案期限", "质量异常"]),
        ("en", ["Pareto of causes", "Closing deadline"]),
    ):
        console = Console(record=True, width=200, file=io.StringIO())
        for table in to_rich_tables(report, lang):  # type: ignore[arg-type]
            console.print(table)
        text = console.export_text()
        for word in words:
            assert word in text
        assert "261102" in text and "1,934.50" in text


def test_csv_cells_a_spreadsheet_would_run_as_formulas_start_with_an_apostrophe(report: MonthlyReport) -> None:
    """CSV injection: a customer name from a CRM such as '=HYPERLINK(...)' must open in Excel as text. Numbers,
    negative ones too, stay numbers."""
    hostile = '=HYPERLINK("http://evil.example","点我")'
    lines = tuple(attrs.evolve(line, customer=hostile) for line in report.cases)
    rows = list(csv.DictReader(io.StringIO(to_csv(attrs.evolve(report, cases=lines)))))
    customers = {r["value"] for r in rows if r["section"] == "case" and r["metric"] == "customer"}
    assert customers == {"'" + hostile}
    assert all(not r[c].startswith(("=", "+", "@")) for r in rows for c in CSV_COLUMNS)
    from adapters.reports.plain import _inert

    assert [_inert(t) for t in ("-800.00", "+5", "-", "@x", "\tcmd", "plain")] == [
        "-800.00",
        "+5",
        "'-",
        "'@x",
        "'\tcmd",
        "plain",
    ]
    # security audit: a formula behind spaces or a quote, or written with a full-width sign
    assert [_inert(t) for t in (" =1+1", '"=1+1', "＝1+1", "＋1", " plain")] == [
        "' =1+1",
        "'\"=1+1",
        "'＝1+1",
        "'＋1",
        " plain",
    ]


def test_each_case_is_shown_in_its_own_policy_s_zone() -> None:
    """report.py: a case belongs to a month in its policy's zone, and the HTML and the tables show its times
    there too; they used the default policy's zone, so a UTC case closed on 30 November 20:30 read
    2026-12-01 04:30 in the November report."""
    utc_policy = attrs.evolve(POLICY, policy_id="mfg-utc", zone="UTC")
    utc = ZoneInfo("UTC")
    received, closed = datetime(2026, 11, 30, 20, tzinfo=utc), datetime(2026, 11, 30, 20, 30, tzinfo=utc)
    intake = Intake(customer="丙", channel=Channel.PHONE, category="quality")
    case, _ = Case.receive(utc_policy, case_id=UUID(int=9), intake=intake, at=received, actor="sales")
    case, _ = case.register(utc_policy, at=received, actor="gm_office", number="261109")
    case, _ = case.start_investigation(utc_policy, at=received, actor="qa")
    case, _ = case.attribute(utc_policy, at=received, actor="qa", no_fault=True)
    case, _ = case.propose(utc_policy, at=closed, actor="sales", kind=RemedyKind.EXPLANATION, amount=Decimal("0"))
    case, _ = case.approve(utc_policy, at=closed, actor="gm", role="gm")
    case, _ = case.reply_to_customer(utc_policy, at=closed, actor="sales", message="ok")
    case, _ = case.close(utc_policy, at=closed, actor="gm_office")
    calendar = china_calendar()
    report = monthly_report([case], month="2026-11", policy_for=lambda c: utc_policy, calendar_for=lambda p: calendar)
    (line,) = report.cases
    assert line.zone == "UTC"
    page = to_html(report, "en", tz=SH)
    assert "2026-11-30 20:30" in page and "2026-12-01 04:30" not in page
