"""The report as one self-contained HTML page: inline CSS and SVG charts, no script, no external resource.

It opens from a file or an e-mail attachment and prints on paper; every text that comes
from users or configuration (customers, labels, codes) goes through ``html.escape``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import tzinfo
from html import escape
from zoneinfo import ZoneInfo

from complaint_core.labels import Language
from complaint_core.report import Group, MonthlyReport

from .svg import charts
from .text import TEXT, days, local, money, rate

SHANGHAI = ZoneInfo("Asia/Shanghai")

CSS = """
body{font-family:'Noto Sans CJK SC','Microsoft YaHei','PingFang SC',system-ui,sans-serif;margin:24px;color:#222;
background:#fff}
h1{font-size:22px;margin:0 0 16px}h2{font-size:17px;margin:28px 0 10px;border-bottom:2px solid #4e79a7;
padding-bottom:4px}
.kpis{display:flex;flex-wrap:wrap;gap:12px}.kpi{border:1px solid #ddd;border-radius:6px;padding:10px 14px;
min-width:130px;background:#f7f9fc}.kpi .v{font-size:20px;font-weight:600;color:#1f4e79}.kpi .k{font-size:12px;
color:#555}
table{border-collapse:collapse;margin:6px 0 12px;font-size:13px}th,td{border:1px solid #ddd;padding:4px 8px}
th{background:#eef2f7;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
svg.chart{display:block;max-width:100%;height:auto;border:1px solid #eee;margin:6px 0}
.muted{color:#777}
@media print{svg.chart{page-break-inside:avoid}}
"""


def _table(head: Sequence[str], rows: Iterable[Sequence[str]], numeric: Sequence[bool]) -> str:
    out = ["<table>", "<thead><tr>", *(f"<th>{escape(h)}</th>" for h in head), "</tr></thead>", "<tbody>"]
    for row in rows:
        cells = (
            f'<td class="n">{escape(c)}</td>' if n else f"<td>{escape(c)}</td>"
            for c, n in zip(row, numeric, strict=True)
        )
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def _groups(groups: tuple[Group, ...], head: str, text: dict[str, str], lang: Language) -> str:
    keys = ("cases", "share", "clocks", "late", "overdue", "loss", "remedy")
    return _table(
        [head, *(text[k] for k in keys)],
        (
            [
                g.label(lang),
                str(g.cases),
                rate(g.share),
                str(g.clocks),
                str(g.late),
                rate(g.overdue),
                money(g.loss),
                money(g.remedy),
            ]
            for g in groups
        ),
        [False, *([True] * len(keys))],
    )


def to_html(report: MonthlyReport, lang: Language = "zh", *, tz: tzinfo = SHANGHAI) -> str:
    """The page in ``lang`` (``zh`` or ``en``); a case's instants are shown in its policy's zone (``tz`` for lines
    that name none)."""
    text = {key: label(lang) for key, label in TEXT.items()}
    departments = {g.key: g.label(lang) for g in report.by_department}
    title = f"{text['title']} {report.month}"
    pareto, weekly, by_department = charts(report, lang, text)
    kpis = [
        (text["total"], str(report.total)),
        (text["overdue"], rate(report.overdue)),
        (text["repeat"], rate(report.repeat)),
        (text["satisfaction"], rate(report.satisfaction.rate)),
        (text["loss"], money(report.money.loss)),
        (text["remedy"], money(report.money.remedy)),
        (text["deducted"], money(report.deductions.deducted) if report.deductions is not None else "-"),
        (text["median"], days(report.handling.median)),
        (text["p90"], days(report.handling.p90)),
    ]
    body = [
        f"<h1>{escape(title)}</h1>",
        '<section class="kpis">',
        *(f'<div class="kpi"><div class="v">{escape(v)}</div><div class="k">{escape(k)}</div></div>' for k, v in kpis),
        "</section>",
        f"<h2>{escape(text['pareto'])}</h2>",
        pareto,
        _table(
            [text["cause"], text["cases"], text["share"], text["cumulative"]],
            ([p.label(lang), str(p.cases), rate(p.share), rate(p.cumulative)] for p in report.pareto),
            [False, True, True, True],
        ),
        f"<h2>{escape(text['weekly'])}</h2>",
        weekly,
        f"<h2>{escape(text['dept_overdue'])}</h2>",
        by_department,
    ]
    for key, head, groups in (
        ("by_category", "category", report.by_category),
        ("by_cause", "cause", report.by_cause),
        ("by_department", "department", report.by_department),
        ("by_severity", "severity", report.by_severity),
        ("by_market", "market", report.by_market),
    ):
        body += [f"<h2>{escape(text[key])}</h2>", _groups(groups, text[head], text, lang)]
    body += [
        f"<h2>{escape(text['overdue_by_clock'])}</h2>",
        _table(
            [text["clock"], text["clocks"], text["late"], text["overdue"]],
            ([c.label(lang), str(c.clocks), str(c.late), rate(c.overdue)] for c in report.clocks),
            [False, True, True, True],
        ),
        f"<h2>{escape(text['handling'])}</h2>",
        _table(
            [text["bucket"], text["cases"], text["share"]],
            ([b.label(lang), str(b.cases), rate(b.share)] for b in report.handling.buckets),
            [False, True, True],
        ),
        f"<h2>{escape(text['satisfaction'])}</h2>",
        _table(
            [text[k] for k in ("reached", "satisfied", "dissatisfied", "unreachable", "pending", "satisfaction")],
            [
                [
                    *(str(getattr(report.satisfaction, k)) for k in ("reached", "satisfied", "dissatisfied")),
                    str(report.satisfaction.unreachable),
                    str(report.satisfaction.pending),
                    rate(report.satisfaction.rate),
                ]
            ],
            [True] * 6,
        ),
        f"<h2>{escape(text['deductions'])}</h2>",
    ]
    d = report.deductions
    if d is None:
        body.append(f'<p class="muted">{escape(text["no_close"])}</p>')
    else:
        amounts = ("posted", "reversed", "deducted", "refunded", "carried")
        body.append(
            _table(
                [text["people"], *(text[k] for k in amounts)],
                [[str(d.people), *(money(getattr(d, k)) for k in amounts)]],
                [True] * (len(amounts) + 1),
            )
        )
    body.append(
        _table(
            [text["claimed"], text["remedy"], text["loss"]],
            [[money(report.money.claimed), money(report.money.remedy), money(report.money.loss)]],
            [True, True, True],
        )
    )
    body.append(f"<h2>{escape(text['audit'])}</h2>")
    if not report.audit:
        body.append(f'<p class="muted">{escape(text["no_late"])}</p>')
    else:
        audit_keys = ("case", "clock", "rule", "due", "stopped", "days_late", "working_days_late", "department")
        body.append(
            _table(
                [*(text[k] for k in audit_keys), text["delay_parties"]],
                (
                    [
                        s.reference,
                        s.clock_label(lang),
                        s.rule_id,
                        local(s.due, tz, s.zone),
                        local(s.stopped_at, tz, s.zone),
                        str(s.days_late),
                        "-" if s.working_days_late is None else str(s.working_days_late),
                        departments.get(s.department, s.department),
                        ", ".join(s.delay_parties),
                    ]
                    for s in report.audit
                ),
                [False, False, False, False, False, True, True, False, False],
            )
        )
    categories = {g.key: g.label(lang) for g in report.by_category}
    causes = {g.key: g.label(lang) for g in report.by_cause}
    clocks = {stat.clock: stat.label(lang) for stat in report.clocks}
    body += [
        f"<h2>{escape(text['cases_list'])}</h2>",
        _table(
            [text[k] for k in ("case", "customer", "category", "cause", "department", "received", "closed")]
            + [text["handling_days"], text["late"], text["repeat"]],
            (
                [
                    c.reference,
                    c.customer,
                    categories.get(c.category, c.category),
                    causes.get(c.cause, c.cause),
                    departments.get(c.department, c.department),
                    local(c.received_at, tz, c.zone),
                    local(c.closed_at, tz, c.zone),
                    days(c.handling),
                    ", ".join(clocks.get(name, name) for name in c.late_clocks),
                    text["yes"] if c.repeat else text["no"],
                ]
                for c in report.cases
            ),
            [False] * 7 + [True, False, False],
        ),
    ]
    html_lang = "zh-CN" if lang == "zh" else "en"
    return "\n".join(
        [
            "<!DOCTYPE html>",
            f'<html lang="{html_lang}">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(title)}</title>",
            f"<style>{CSS}</style>",
            "</head>",
            "<body>",
            *body,
            "</body>",
            "</html>",
            "",
        ]
    )
