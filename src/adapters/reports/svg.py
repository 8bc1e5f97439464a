"""Inline SVG charts for the HTML report: plain markup, no script, every text escaped.

Coordinates are computed here (floats are fine for drawing; the numbers shown as text come
from the report's exact values).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from complaint_core.labels import Language
from complaint_core.report import Group, MonthlyReport, ParetoRow, Week

PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f")
FONT = "font-family=\"'Noto Sans CJK SC','Microsoft YaHei','PingFang SC',sans-serif\" font-size=\"12\""


def _short(text: str, limit: int = 10) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _open(chart_id: str, width: int, height: int, title: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{chart_id}" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" aria-label="{escape(title)}" {FONT}>',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]


def _empty(out: list[str], width: int, height: int, text: str) -> str:
    out.append(f'<text x="{width / 2:.1f}" y="{height / 2:.1f}" text-anchor="middle" fill="#777">{escape(text)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _nice_max(value: int) -> int:
    """An axis top at or above ``value`` that divides into 5 whole ticks."""
    top = max(value, 1)
    return -(-top // 5) * 5 if top > 5 else top


def pareto_chart(rows: Sequence[ParetoRow], *, title: str, no_data: str, lang: Language) -> str:
    """Bars of cases per cause (descending) and the cumulative percentage as a line, with the 80% mark."""
    width, height = 720, 340
    left, right, top, bottom = 50, 50, 20, 80
    out = _open("chart-pareto", width, height, title)
    if not rows:
        return _empty(out, width, height, no_data)
    plot_w, plot_h = width - left - right, height - top - bottom
    y_max = _nice_max(max(r.cases for r in rows))
    step = plot_w / len(rows)
    base = top + plot_h
    ticks = min(y_max, 5)
    for i in range(ticks + 1):
        value = y_max * i / ticks
        y = base - plot_h * i / ticks
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#e5e5e5"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555">{value:g}</text>')
        pct = 100 * i / ticks
        out.append(f'<text x="{left + plot_w + 6}" y="{y + 4:.1f}" fill="#555">{pct:g}%</text>')
    y80 = base - plot_h * 0.8
    out.append(
        f'<line x1="{left}" y1="{y80:.1f}" x2="{left + plot_w}" y2="{y80:.1f}" stroke="#e15759" '
        'stroke-dasharray="4 3" class="pareto-80"/>'
    )
    points = []
    for i, row in enumerate(rows):
        h = plot_h * row.cases / y_max
        x = left + i * step + step * 0.15
        label = escape(row.label(lang))
        out.append(
            f'<rect class="bar" x="{x:.1f}" y="{base - h:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" '
            f'fill="{PALETTE[0]}"><title>{label}: {row.cases}</title></rect>'
        )
        cx = left + (i + 0.5) * step
        cum = row.cumulative.fraction or 0
        cy = base - plot_h * float(cum)
        points.append(f"{cx:.1f},{cy:.1f}")
        out.append(
            f'<text x="{cx:.1f}" y="{base + 14}" text-anchor="end" transform="rotate(-35 {cx:.1f} {base + 14})" '
            f'fill="#333">{escape(_short(row.label(lang)))}</text>'
        )
        out.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3" fill="{PALETTE[1]}"/>')
    polyline = " ".join(points)
    out.append(f'<polyline class="cumulative" points="{polyline}" fill="none" stroke="{PALETTE[1]}" stroke-width="2"/>')
    out.append(f'<line x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}" stroke="#333"/>')
    out.append("</svg>")
    return "\n".join(out)


def weekly_chart(
    weeks: Sequence[Week], categories: Sequence[Group], *, title: str, no_data: str, lang: Language
) -> str:
    """Stacked bars: cases closed per ISO week, one colour per category, with a legend."""
    width, height = 720, 320
    left, right, top, bottom = 50, 170, 20, 40
    out = _open("chart-weekly", width, height, title)
    if not weeks or not any(w.total for w in weeks):
        return _empty(out, width, height, no_data)
    plot_w, plot_h = width - left - right, height - top - bottom
    y_max = _nice_max(max(w.total for w in weeks))
    base = top + plot_h
    ticks = min(y_max, 5)
    for i in range(ticks + 1):
        y = base - plot_h * i / ticks
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#e5e5e5"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555">{y_max * i / ticks:g}</text>')
    step = plot_w / len(weeks)
    names = {g.key: g.label(lang) for g in categories}
    colour = {g.key: PALETTE[i % len(PALETTE)] for i, g in enumerate(categories)}
    for i, week in enumerate(weeks):
        x = left + i * step + step * 0.2
        y = float(base)
        for key, count in week.counts:
            if not count:
                continue
            h = plot_h * count / y_max
            y -= h
            out.append(
                f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{step * 0.6:.1f}" height="{h:.1f}" '
                f'fill="{colour[key]}"><title>{escape(week.week)} {escape(names[key])}: {count}</title></rect>'
            )
        out.append(
            f'<text x="{left + (i + 0.5) * step:.1f}" y="{base + 16}" text-anchor="middle" fill="#333">'
            f"{escape(week.week)}</text>"
        )
    out.append(f'<line x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}" stroke="#333"/>')
    for i, group in enumerate(categories):
        y = top + 10 + i * 20
        lx = width - right + 16
        out.append(f'<rect x="{lx}" y="{y - 9}" width="12" height="12" fill="{colour[group.key]}"/>')
        out.append(f'<text x="{lx + 18}" y="{y + 2}" fill="#333">{escape(_short(names[group.key], 16))}</text>')
    out.append("</svg>")
    return "\n".join(out)


def department_chart(groups: Sequence[Group], *, title: str, no_data: str, lang: Language) -> str:
    """Horizontal bars: the share of each department's stopped clocks that stopped late."""
    rows = [g for g in groups if g.clocks]
    bar, gap, top, left, right = 22, 10, 16, 150, 70
    width = 720
    height = max(80, top * 2 + len(rows) * (bar + gap))
    out = _open("chart-departments", width, height, title)
    if not rows:
        return _empty(out, width, height, no_data)
    plot_w = width - left - right
    for pct in (0, 25, 50, 75, 100):
        x = left + plot_w * pct / 100
        out.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - top}" stroke="#e5e5e5"/>')
    for i, group in enumerate(rows):
        y = top + i * (bar + gap)
        w = plot_w * float(group.overdue.fraction or 0)
        label = escape(group.label(lang))
        out.append(
            f'<text x="{left - 8}" y="{y + bar * 0.7:.1f}" text-anchor="end" fill="#333">'
            f"{escape(_short(group.label(lang), 14))}</text>"
        )
        out.append(f'<rect x="{left}" y="{y}" width="{plot_w}" height="{bar}" fill="#f3f3f3"/>')
        out.append(
            f'<rect class="bar" x="{left}" y="{y}" width="{w:.1f}" height="{bar}" fill="{PALETTE[2]}">'
            f"<title>{label}: {group.late}/{group.clocks}</title></rect>"
        )
        out.append(
            f'<text x="{left + plot_w + 6}" y="{y + bar * 0.7:.1f}" fill="#333">{group.overdue.percent(1)}</text>'
        )
    out.append("</svg>")
    return "\n".join(out)


def charts(report: MonthlyReport, lang: Language, text: dict[str, str]) -> tuple[str, str, str]:
    """The three charts of the page: Pareto, weekly by category, overdue rate by department."""
    no_data = text["no_data"]
    return (
        pareto_chart(report.pareto, title=text["pareto"], no_data=no_data, lang=lang),
        weekly_chart(report.weeks, report.by_category, title=text["weekly"], no_data=no_data, lang=lang),
        department_chart(report.by_department, title=text["dept_overdue"], no_data=no_data, lang=lang),
    )
