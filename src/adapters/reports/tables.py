"""The report as rich tables for a terminal, in Chinese or English."""

from __future__ import annotations

from datetime import tzinfo
from zoneinfo import ZoneInfo

from rich.table import Table
from rich.text import Text

from complaint_core.labels import Language
from complaint_core.report import Group, MonthlyReport

from ..terminal_text import inert
from .text import days, local, money, rate, t

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _row(table: Table, *cells: str) -> None:
    """A row of text as it is: labels and names come from policy and organisation files, references from cases,
    so their control characters print as escapes and rich markup in them (``[link=…]``, ``[/]``) as written."""
    table.add_row(*(Text(inert(cell)) for cell in cells))


def _groups(title: str, head: str, groups: tuple[Group, ...], lang: Language) -> Table:
    table = Table(title=title)
    table.add_column(head, overflow="fold")
    for key in ("cases", "share", "overdue", "loss", "remedy"):
        table.add_column(t(key, lang), justify="right", overflow="fold")
    for g in groups:
        _row(table, g.label(lang), str(g.cases), rate(g.share), rate(g.overdue), money(g.loss), money(g.remedy))
    return table


def to_rich_tables(report: MonthlyReport, lang: Language = "zh", *, tz: tzinfo = SHANGHAI) -> tuple[Table, ...]:
    """Summary, the five breakdowns, clocks, handling time, Pareto and the audit; times shown in each case's
    policy zone (``tz`` for lines that name none)."""
    summary = Table(title=f"{t('title', lang)} {report.month}", show_header=False)
    summary.add_column(overflow="fold")
    summary.add_column(justify="right", overflow="fold")
    rows = [
        (t("total", lang), str(report.total)),
        (t("overdue", lang), rate(report.overdue)),
        (t("repeat", lang), rate(report.repeat)),
        (t("satisfaction", lang), rate(report.satisfaction.rate)),
        (t("claimed", lang), money(report.money.claimed)),
        (t("remedy", lang), money(report.money.remedy)),
        (t("loss", lang), money(report.money.loss)),
        (t("median", lang), days(report.handling.median)),
        (t("p90", lang), days(report.handling.p90)),
    ]
    d = report.deductions
    if d is not None:
        rows += [(t("deducted", lang), money(d.deducted)), (t("carried", lang), money(d.carried))]
    else:
        rows.append((t("deductions", lang), t("no_close", lang)))
    for row in rows:
        _row(summary, *row)
    tables = [summary]
    for key, head, groups in (
        ("by_category", "category", report.by_category),
        ("by_cause", "cause", report.by_cause),
        ("by_department", "department", report.by_department),
        ("by_severity", "severity", report.by_severity),
        ("by_market", "market", report.by_market),
    ):
        tables.append(_groups(t(key, lang), t(head, lang), groups, lang))
    clocks = Table(title=t("overdue_by_clock", lang))
    for key in ("clock", "clocks", "late", "overdue"):
        clocks.add_column(t(key, lang), justify="left" if key == "clock" else "right", overflow="fold")
    for c in report.clocks:
        _row(clocks, c.label(lang), str(c.clocks), str(c.late), rate(c.overdue))
    tables.append(clocks)
    handling = Table(title=t("handling", lang))
    for key in ("bucket", "cases", "share"):
        handling.add_column(t(key, lang), justify="left" if key == "bucket" else "right", overflow="fold")
    for b in report.handling.buckets:
        _row(handling, b.label(lang), str(b.cases), rate(b.share))
    tables.append(handling)
    pareto = Table(title=t("pareto", lang))
    for key in ("cause", "cases", "share", "cumulative"):
        pareto.add_column(t(key, lang), justify="left" if key == "cause" else "right", overflow="fold")
    for p in report.pareto:
        _row(pareto, p.label(lang), str(p.cases), rate(p.share), rate(p.cumulative))
    tables.append(pareto)
    departments = {g.key: g.label(lang) for g in report.by_department}
    audit = Table(title=t("audit", lang))
    for key in ("case", "clock", "rule", "due", "stopped", "days_late", "working_days_late", "department"):
        audit.add_column(t(key, lang), overflow="fold")
    for s in report.audit:
        _row(
            audit,
            s.reference,
            s.clock_label(lang),
            s.rule_id,
            local(s.due, tz, s.zone),
            local(s.stopped_at, tz, s.zone),
            str(s.days_late),
            "-" if s.working_days_late is None else str(s.working_days_late),
            departments.get(s.department, s.department),
        )
    tables.append(audit)
    return tuple(tables)
