"""The report's renderers: JSON and CSV say the same numbers as the report, the HTML escapes user text."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import attrs
import pytest
from rich.console import Console

from adapters.calendars import china_calendar
from adapters.policy_files import load_preset
from adapters.reports import CSV_COLUMNS, to_csv, to_html, to_json_dict, to_rich_tables
from adapters.reports.text import TEXT, rate
from complaint_core import Case, Channel, Intake, Party, PartyKind, RemedyKind, Responsibility
from complaint_core.labels import Labels
from complaint_core.report import Deductions, MonthlyReport, monthly_report

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


DEDUCTIONS = Deductions(  # a closed month's totals, as the ledger's close gives them
    people=2,
    posted=Decimal("1900.00"),
    reversed=Decimal("0.00"),
    deducted=Decimal("800.00"),
    refunded=Decimal("0.00"),
    carried=Decimal("1100.00"),
)


def csv_rows(report: MonthlyReport) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(to_csv(report))))


def test_csv_has_a_row_for_every_part_of_the_report(report: MonthlyReport) -> None:
    rows = csv_rows(report)
    value = {(r["section"], r["key"], r["metric"]): r["value"] for r in rows}
    assert {r["section"] for r in rows} == {
        "summary", "satisfaction", "category", "cause", "department", "severity", "market", "clock", "handling",
        "pareto", "week", "audit", "case",
    }  # fmt: skip
    satisfaction = {r["metric"]: r["value"] for r in rows if r["section"] == "satisfaction"}
    assert satisfaction == {"reached": "0", "satisfied": "0", "dissatisfied": "0", "unreachable": "0", "pending": "0", "rate": ""}  # fmt: skip
    assert (value[("clock", "close", "clocks")], value[("clock", "close", "late")]) == ("2", "1")
    assert value[("clock", "close", "overdue")] == "0.5000"
    buckets = report.handling.buckets
    keys = [r["key"] for r in rows if r["section"] == "handling" and r["metric"] == "cases"]
    assert keys == [f"le_{b.upper_days}" for b in buckets[:-1]] + ["gt"]
    assert [value[("handling", k, "cases")] for k in keys] == [str(b.cases) for b in buckets]
    assert [value[("handling", k, "share")] for k in keys] == [str(b.share.value(4)) for b in buckets]
    case_metrics = {r["metric"] for r in rows if r["section"] == "case" and r["key"] == "261101"}
    assert "reference" not in case_metrics and {"customer", "handling_days", "market", "late_clocks"} <= case_metrics
    assert value[("case", "261101", "market")] == "domestic"  # an enum as its value
    assert value[("case", "261102", "late_clocks")] == "close"
    assert value[("case", "261101", "late_clocks")] == ""  # an empty tuple
    assert value[("audit", "261102:close", "stopped_at")] == "2026-11-06T01:00:00Z"


def test_csv_and_json_of_a_month_with_deductions_two_delay_parties_and_a_repeat(report: MonthlyReport) -> None:
    delayed = attrs.evolve(report.audit[0], delay_parties=("smt", "qa"))
    with_close = attrs.evolve(
        report,
        audit=(delayed,),
        cases=(attrs.evolve(report.cases[0], repeat=True), *report.cases[1:]),
        deductions=DEDUCTIONS,
    )
    value = {
        (r["section"], r["metric"]): r["value"] for r in csv_rows(with_close) if r["section"] in ("deductions", "audit")
    }
    assert {m: v for (s, m), v in value.items() if s == "deductions"} == {
        "people": "2", "posted": "1900.00", "reversed": "0.00", "deducted": "800.00", "refunded": "0.00", "carried": "1100.00",
    }  # fmt: skip
    assert value[("audit", "delay_parties")] == "smt;qa"
    assert {r["value"] for r in csv_rows(with_close) if r["metric"] == "repeat"} == {"true", "false"}
    assert to_json_dict(with_close)["deductions"]["carried"] == "1100.00"


def test_json_and_csv_of_an_empty_month() -> None:
    empty = monthly_report([], month="2026-12", policy_for=lambda c: POLICY, calendar_for=lambda p: None)
    data = to_json_dict(empty)
    assert json.loads(json.dumps(data)) == data
    assert (data["handling"]["median_days"], data["handling"]["p90_days"]) == (None, None)
    assert data["overdue"] == {"numerator": 0, "denominator": 0, "value": None}
    value = {(r["section"], r["metric"]): r["value"] for r in csv_rows(empty) if r["section"] == "summary"}
    assert (value[("summary", "median_days")], value[("summary", "p90_days")], value[("summary", "total")]) == (
        "",
        "",
        "0",
    )


def test_json_writes_dates_enums_and_labels_as_plain_values() -> None:
    from adapters.reports.plain import _plain

    assert _plain(date(2026, 11, 2)) == "2026-11-02"
    assert _plain(Channel.PHONE) == "phone" and type(_plain(Channel.PHONE)) is str
    assert _plain(Labels("质量", "quality")) == {"zh": "质量", "en": "quality"}


class Page(HTMLParser):
    """The parts of a report page a reader sees: section headings, KPI tiles, tables (cells with whether they are
    right-aligned numbers) and muted notes, in order."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.kpis: list[str] = []
        self.tables: list[list[list[tuple[str, bool]]]] = []
        self.notes: list[str] = []
        self._open: list[tuple[str, dict[str, str | None]]] = []
        self._text = ""
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("meta", "br", "hr", "img", "link", "input"):
            return  # void elements have no end tag
        self._open.append((tag, dict(attrs)))
        self._text = ""
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])

    def handle_endtag(self, tag: str) -> None:
        name, attributes = self._open.pop()
        assert name == tag, (name, tag)
        if tag == "h2":
            self.headings.append(self._text)
        elif tag in ("td", "th"):
            self.tables[-1][-1].append((self._text, attributes.get("class") == "n"))
        elif tag == "div" and attributes.get("class") == "v":
            self.kpis.append(self._text)
        elif tag == "p" and attributes.get("class") == "muted":
            self.notes.append(self._text)

    def handle_data(self, data: str) -> None:
        self._text += data


def cells(table: list[list[tuple[str, bool]]]) -> list[list[str]]:
    return [[text for text, _ in row] for row in table]


def aligned(table: list[list[tuple[str, bool]]]) -> list[bool]:
    """Which columns of the table's body are right-aligned numbers (the header is never)."""
    header, *body = table
    assert not any(numeric for _, numeric in header)
    columns = {tuple(numeric for _, numeric in row) for row in body}
    assert len(columns) == 1, columns
    return list(columns.pop())


def test_html_shows_every_section_with_the_report_s_numbers(report: MonthlyReport) -> None:
    page = Page(to_html(report, "en"))
    text = {key: label("en") for key, label in TEXT.items()}
    assert page.headings == [
        text[k]
        for k in (
            "pareto", "weekly", "dept_overdue", "by_category", "by_cause", "by_department", "by_severity", "by_market",
            "overdue_by_clock", "handling", "satisfaction", "deductions", "audit", "cases_list",
        )
    ]  # fmt: skip
    assert page.kpis == ["2", "50.0%", "0.0%", "-", "0.00", "1,934.50", "-", "9.00", "17.00"]
    assert page.notes == [text["no_close"]]  # no month close given; one step was late
    pareto, *groups, clocks, handling, satisfaction, money_table, audit, cases = page.tables
    assert len(groups) == 5
    assert cells(pareto)[1:] == [
        [p.label("en"), str(p.cases), rate(p.share), rate(p.cumulative)] for p in report.pareto
    ]
    assert aligned(pareto) == [False, True, True, True]
    for table, source in zip(groups, (report.by_category, report.by_cause, report.by_department, report.by_severity, report.by_market), strict=True):  # fmt: skip
        assert [row[0] for row in cells(table)[1:]] == [g.label("en") for g in source]
        assert aligned(table) == [False] + [True] * 7
    assert cells(clocks)[1:] == [["Closing deadline", "2", "1", "50.0%"]]
    assert aligned(clocks) == [False, True, True, True]
    assert [row[1] for row in cells(handling)[1:]] == [str(b.cases) for b in report.handling.buckets]
    assert aligned(handling) == [False, True, True]
    assert cells(satisfaction)[1:] == [["0", "0", "0", "0", "0", "-"]] and aligned(satisfaction) == [True] * 6
    assert cells(money_table)[1:] == [["0.00", "1,934.50", "0.00"]] and aligned(money_table) == [True] * 3
    (late,) = cells(audit)[1:]
    assert late[0] == "261102" and late[5:7] == ["3", "3"] and late[8] == ""
    assert aligned(audit) == [False] * 5 + [True, True, False, False]
    assert [(row[0], row[-1]) for row in cells(cases)[1:]] == [("261101", "no"), ("261102", "no")]
    assert cells(cases)[2][8] == "Closing deadline"  # the late clock by its label
    assert aligned(cases) == [False] * 7 + [True, False, False]


def test_html_of_a_closed_month_without_late_steps(report: MonthlyReport) -> None:
    late = attrs.evolve(report.audit[0], working_days_late=None, delay_parties=("smt", "qa"))
    closed = attrs.evolve(report, deductions=DEDUCTIONS, audit=(late,))
    page = Page(to_html(closed, "zh"))
    assert page.kpis[6] == "800.00" and page.notes == []
    deduction_table = page.tables[-4]
    assert cells(deduction_table)[1:] == [["2", "1,900.00", "0.00", "800.00", "0.00", "1,100.00"]]
    assert aligned(deduction_table) == [True] * 6
    (row,) = cells(page.tables[-2])[1:]
    assert row[6] == "-" and row[8] == "smt, qa"  # no calendar: no working days late
    repeat = attrs.evolve(closed, audit=(), cases=(attrs.evolve(report.cases[0], repeat=True),))
    page = Page(to_html(repeat, "zh"))
    assert page.notes == [TEXT["no_late"]("zh")]
    assert cells(page.tables[-1])[1][-1] == "是"
