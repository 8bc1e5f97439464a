"""The report's SVG charts measured: what is drawn says what the numbers say, and stays inside the picture.

Each chart is parsed as XML; the tests compare lengths with values (a bar twice as tall is twice as many cases),
not coordinates with constants, so the layout may change while the meaning may not.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal
from itertools import accumulate, pairwise

import pytest

from adapters.reports.svg import (
    PALETTE,
    _nice_max,
    _short,
    department_chart,
    pareto_chart,
    weekly_chart,
)
from complaint_core.labels import Labels
from complaint_core.report import Group, ParetoRow, Rate, Week

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def size(root: ET.Element) -> tuple[float, float]:
    x0, y0, width, height = (float(v) for v in root.attrib["viewBox"].split())
    assert (x0, y0) == (0, 0) and (root.attrib["width"], root.attrib["height"]) == (f"{width:g}", f"{height:g}")
    return width, height


def inside(root: ET.Element) -> None:
    """Every coordinate of every shape and text lies within the picture."""
    width, height = size(root)
    for element in root.iter():
        a = {k: float(v) for k, v in element.attrib.items() if k in ("x", "y", "x1", "x2", "y1", "y2", "cx", "cy")}
        for key, value in a.items():
            limit = width if key.startswith(("x", "cx")) else height
            assert 0 <= value <= limit, (element.tag, element.attrib)
        if element.tag == f"{SVG}rect":
            assert float(element.attrib["width"]) >= 0 and float(element.attrib["height"]) >= 0
            assert a["x"] + float(element.attrib["width"]) <= width + 0.05
            assert a["y"] + float(element.attrib["height"]) <= height + 0.05
        if element.tag == f"{SVG}polyline":
            for point in element.attrib["points"].split():
                x, y = (float(v) for v in point.split(","))
                assert 0 <= x <= width and 0 <= y <= height


def bars(root: ET.Element) -> list[dict[str, float | str]]:
    found: list[dict[str, float | str]] = []
    for rect in root.iter(f"{SVG}rect"):
        if rect.attrib.get("class") == "bar":
            title = rect.find(f"{SVG}title")
            found.append(
                {
                    **{k: float(rect.attrib[k]) for k in ("x", "y", "width", "height")},
                    "fill": rect.attrib["fill"],
                    "title": "" if title is None else title.text or "",
                }
            )
    return found


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def labels(text: str) -> Labels:
    return Labels(text, text.upper())


# --- Pareto -------------------------------------------------------------------------------------------------


def pareto_rows(counts: list[int]) -> list[ParetoRow]:
    total = sum(counts)
    return [
        ParetoRow(
            cause=f"c{i}",
            label=labels(f"cause-{i}"),
            cases=n,
            share=Rate(n, total),
            cumulative=Rate(running, total),
        )
        for i, (n, running) in enumerate(zip(counts, accumulate(counts), strict=True))
    ]


@pytest.mark.parametrize("counts", [[1], [7, 3], [12, 9, 5, 2, 1, 1], [40, 1]])
def test_pareto_bars_are_as_tall_as_their_cases_and_the_line_reaches_100_percent(counts: list[int]) -> None:
    root = parse(pareto_chart(pareto_rows(counts), title="Pareto", no_data="-", lang="en"))
    inside(root)
    drawn = bars(root)
    assert [b["title"] for b in drawn] == [f"CAUSE-{i}: {n}" for i, n in enumerate(counts)]
    heights = [float(b["height"]) for b in drawn]
    per_case = heights[0] / counts[0]
    assert heights == pytest.approx([n * per_case for n in counts], abs=0.1)
    base = {round(float(b["y"]) + float(b["height"]), 1) for b in drawn}
    assert len(base) == 1  # one baseline
    xs = [float(b["x"]) for b in drawn]
    assert all(a + float(b["width"]) < x for a, b, x in zip(xs, drawn, xs[1:], strict=False))  # side by side
    (line,) = [p for p in root.iter(f"{SVG}polyline") if p.attrib.get("class") == "cumulative"]
    ys = [float(p.split(",")[1]) for p in line.attrib["points"].split()]
    (baseline,) = base
    top = min(ys)
    assert ys == sorted(ys, reverse=True) and len(ys) == len(counts)
    cumulative = [running / sum(counts) for running in accumulate(counts)]
    plot_h = (baseline - top) / cumulative[-1]
    assert ys == pytest.approx([baseline - plot_h * c for c in cumulative], abs=0.15)
    (mark,) = [m for m in root.iter(f"{SVG}line") if m.attrib.get("class") == "pareto-80"]
    assert float(mark.attrib["y1"]) == pytest.approx(baseline - 0.8 * plot_h, abs=0.1)
    shown = texts(root)
    assert "100%" in shown and "0%" in shown
    y_max = _nice_max(max(counts))
    assert f"{y_max:g}" in shown  # the axis top
    assert per_case * y_max == pytest.approx(plot_h, abs=0.2)  # the axis top is the plot's top


def test_an_empty_pareto_says_no_data() -> None:
    root = parse(pareto_chart([], title="P", no_data="no data", lang="en"))
    assert texts(root) == ["no data"] and bars(root) == []


# --- weekly -------------------------------------------------------------------------------------------------


def category(key: str) -> Group:
    return Group(
        key=key,
        label=labels(key),
        cases=0,
        share=Rate(0, 0),
        loss=Decimal(0),
        remedy=Decimal(0),
        clocks=0,
        late=0,
        overdue=Rate(0, 0),
    )


def test_weekly_bars_stack_each_category_in_its_colour() -> None:
    categories = [category(k) for k in ("quality", "delivery", "service")]
    weeks = [
        Week(week="2026-W45", counts=(("quality", 3), ("delivery", 0), ("service", 2))),
        Week(week="2026-W46", counts=(("quality", 1), ("delivery", 4), ("service", 0))),
        Week(week="2026-W47", counts=(("quality", 0), ("delivery", 0), ("service", 0))),
    ]
    root = parse(weekly_chart(weeks, categories, title="Weekly", no_data="-", lang="en"))
    inside(root)
    drawn = bars(root)
    assert [b["title"] for b in drawn] == [
        "2026-W45 QUALITY: 3",
        "2026-W45 SERVICE: 2",
        "2026-W46 QUALITY: 1",
        "2026-W46 DELIVERY: 4",
    ]  # a zero draws nothing
    colours = {"quality": PALETTE[0], "delivery": PALETTE[1], "service": PALETTE[2]}
    assert [b["fill"] for b in drawn] == [colours[k] for k in ("quality", "service", "quality", "delivery")]
    per_case = float(drawn[0]["height"]) / 3
    assert [float(b["height"]) for b in drawn] == pytest.approx([3 * per_case, 2 * per_case, per_case, 4 * per_case])
    for lower, upper in ((drawn[0], drawn[1]), (drawn[2], drawn[3])):  # stacked: the upper one sits on the lower
        assert float(upper["y"]) + float(upper["height"]) == pytest.approx(float(lower["y"]), abs=0.1)
        assert upper["x"] == lower["x"]
    assert float(drawn[0]["y"]) + float(drawn[0]["height"]) == pytest.approx(
        float(drawn[2]["y"]) + float(drawn[2]["height"]), abs=0.1
    )  # one baseline
    assert float(drawn[0]["x"]) < float(drawn[2]["x"])
    shown = texts(root)
    assert [w.week for w in weeks] == [t for t in shown if t.startswith("2026-W")]
    legend = [r for r in root.iter(f"{SVG}rect") if r.attrib.get("width") == "12"]
    assert [r.attrib["fill"] for r in legend] == list(colours.values())
    assert [t for t in shown if t in ("QUALITY", "DELIVERY", "SERVICE")] == ["QUALITY", "DELIVERY", "SERVICE"]
    legend_ys = [float(r.attrib["y"]) for r in legend]
    assert legend_ys == sorted(legend_ys) and len(set(legend_ys)) == 3  # one under the other


def test_colours_repeat_after_the_palette_and_a_weekless_month_says_no_data() -> None:
    categories = [category(f"k{i}") for i in range(len(PALETTE) + 1)]
    week = Week(week="2026-W45", counts=tuple((g.key, 1) for g in categories))
    drawn = bars(parse(weekly_chart([week], categories, title="W", no_data="-", lang="en")))
    assert [b["fill"] for b in drawn] == [*PALETTE, PALETTE[0]]
    for weeks in ([], [Week(week="2026-W45", counts=(("k0", 0),))]):
        root = parse(weekly_chart(weeks, categories, title="W", no_data="no data", lang="en"))
        assert texts(root) == ["no data"]


# --- departments --------------------------------------------------------------------------------------------


def department(key: str, late: int, clocks: int) -> Group:
    return Group(
        key=key,
        label=labels(key),
        cases=clocks,
        share=Rate(0, 0),
        loss=Decimal(0),
        remedy=Decimal(0),
        clocks=clocks,
        late=late,
        overdue=Rate(late, clocks),
    )


def test_department_bars_are_as_long_as_their_overdue_share() -> None:
    groups = [department("smt", 1, 4), department("qa", 3, 3), department("idle", 0, 0), department("pack", 0, 2)]
    root = parse(department_chart(groups, title="Departments", no_data="-", lang="en"))
    inside(root)
    drawn = bars(root)
    assert [b["title"] for b in drawn] == ["SMT: 1/4", "QA: 3/3", "PACK: 0/2"]  # no clocks, no bar
    full = float(drawn[1]["width"])
    assert [float(b["width"]) for b in drawn] == pytest.approx([full / 4, full, 0], abs=0.1)
    backgrounds = [r for r in root.iter(f"{SVG}rect") if r.attrib.get("fill") == "#f3f3f3"]
    assert [float(r.attrib["width"]) for r in backgrounds] == [pytest.approx(full, abs=0.1)] * 3
    assert [float(b["y"]) for b in drawn] == [float(r.attrib["y"]) for r in backgrounds]
    ys = [float(b["y"]) for b in drawn]
    assert ys == sorted(ys) and all(b - a >= float(drawn[0]["height"]) for a, b in pairwise(ys))
    assert {"25.0%", "100.0%", "0.0%", "SMT", "QA", "PACK"} <= set(texts(root))
    grid = sorted(float(line.attrib["x1"]) for line in root.iter(f"{SVG}line"))
    assert len(grid) == 5 and grid[-1] - grid[0] == pytest.approx(full, abs=0.1)
    assert [b - a for a, b in pairwise(grid)] == pytest.approx([full / 4] * 4, abs=0.1)
    assert grid[0] == float(drawn[0]["x"])


def test_the_department_chart_grows_with_its_rows() -> None:
    small = size(parse(department_chart([department("a", 1, 2)], title="D", no_data="-", lang="en")))
    many = [department(f"d{i}", 1, 2) for i in range(12)]
    large = size(parse(department_chart(many, title="D", no_data="-", lang="en")))
    assert small[0] == large[0] and large[1] > small[1]
    inside(parse(department_chart(many, title="D", no_data="-", lang="en")))
    root = parse(department_chart([department("idle", 0, 0)], title="D", no_data="no data", lang="en"))
    assert texts(root) == ["no data"]


# --- helpers ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "top"), [(0, 1), (1, 1), (3, 3), (5, 5), (6, 10), (10, 10), (11, 15), (99, 100)])
def test_an_axis_top_divides_into_whole_ticks(value: int, top: int) -> None:
    assert _nice_max(value) == top


def test_long_labels_are_cut_with_an_ellipsis() -> None:
    assert _short("质量异常原因分析") == "质量异常原因分析"
    assert _short("a" * 10) == "a" * 10
    assert _short("a" * 11) == "a" * 9 + "…"
    assert _short("abcdef", 4) == "abc…"


def test_titles_and_labels_are_escaped() -> None:
    hostile = '<b onmouseover="x">&</b>'
    rows = [ParetoRow(cause="x", label=Labels(hostile, hostile), cases=1, share=Rate(1, 1), cumulative=Rate(1, 1))]
    svg = pareto_chart(rows, title=hostile, no_data="-", lang="en")
    root = parse(svg)  # well-formed: nothing was injected
    assert root.attrib["aria-label"] == hostile and root.find(f"{SVG}title").text == hostile  # type: ignore[union-attr]
    assert "<b" not in svg


def grid(root: ET.Element) -> list[ET.Element]:
    return [line for line in root.iter(f"{SVG}line") if line.attrib.get("stroke") == "#e5e5e5"]


def axis(root: ET.Element) -> tuple[float, float, float]:
    """The baseline's x from, x to and y."""
    (line,) = [line for line in root.iter(f"{SVG}line") if line.attrib.get("stroke") == "#333"]
    assert line.attrib["y1"] == line.attrib["y2"]
    return float(line.attrib["x1"]), float(line.attrib["x2"]), float(line.attrib["y1"])


@pytest.mark.parametrize(
    ("top_count", "ticks"),
    [(1, ["0", "1"]), (3, ["0", "1", "2", "3"]), (7, ["0", "2", "4", "6", "8", "10"])],
)
def test_the_count_axes_have_whole_ticks_and_a_grid_line_each(top_count: int, ticks: list[str]) -> None:
    pareto = parse(pareto_chart(pareto_rows([top_count]), title="P", no_data="-", lang="en"))
    week = Week(week="2026-W45", counts=(("quality", top_count),))
    weekly = parse(weekly_chart([week], [category("quality")], title="W", no_data="-", lang="en"))
    for root in (pareto, weekly):
        counts = [t.text for t in root.iter(f"{SVG}text") if t.attrib.get("text-anchor") == "end" and t.text and t.text.isdigit()]  # fmt: skip
        assert counts == ticks
        lines = grid(root)
        assert len(lines) == len(ticks)
        start, end, base = axis(root)
        assert float(lines[0].attrib["y1"]) == base
        assert all((float(g.attrib["x1"]), float(g.attrib["x2"])) == (start, end) for g in lines)
        (bar,) = bars(root)
        top_line = float(lines[-1].attrib["y1"])
        assert float(bar["y"]) == pytest.approx(base - (base - top_line) * top_count / int(ticks[-1]), abs=0.1)
    percents = [t.text for t in pareto.iter(f"{SVG}text") if (t.text or "").endswith("%")]
    assert percents == [f"{100 * i / (len(ticks) - 1):g}%" for i in range(len(ticks))]


def test_pareto_points_labels_and_axis_belong_to_their_bars() -> None:
    rows = pareto_rows([5, 3, 2])
    root = parse(pareto_chart(rows, title="P", no_data="-", lang="zh"))
    drawn = bars(root)
    circles = [(float(c.attrib["cx"]), float(c.attrib["cy"])) for c in root.iter(f"{SVG}circle")]
    (line,) = root.iter(f"{SVG}polyline")
    assert circles == [tuple(float(v) for v in p.split(",")) for p in line.attrib["points"].split()]
    for (cx, _), bar in zip(circles, drawn, strict=True):  # each point above the middle of its bar
        assert cx == pytest.approx(float(bar["x"]) + float(bar["width"]) / 2, abs=0.1)
    names = [t for t in root.iter(f"{SVG}text") if t.attrib.get("transform", "").startswith("rotate")]
    assert [t.text for t in names] == ["cause-0", "cause-1", "cause-2"]  # zh labels
    assert [float(t.attrib["x"]) for t in names] == [cx for cx, _ in circles]
    start, end, base = axis(root)
    assert all(start <= float(b["x"]) and float(b["x"]) + float(b["width"]) <= end for b in drawn)
    assert all(float(b["y"]) + float(b["height"]) == pytest.approx(base, abs=0.1) for b in drawn)


def test_weekly_bars_stay_over_the_axis_and_the_legend_beside_it() -> None:
    categories = [category(k) for k in ("quality", "delivery")]
    weeks = [Week(week=f"2026-W{n}", counts=(("quality", n - 44), ("delivery", 1))) for n in range(45, 50)]
    root = parse(weekly_chart(weeks, categories, title="W", no_data="-", lang="en"))
    start, end, base = axis(root)
    drawn = bars(root)
    assert len(drawn) == 10
    assert all(start <= float(b["x"]) and float(b["x"]) + float(b["width"]) <= end for b in drawn)
    legend = [r for r in root.iter(f"{SVG}rect") if r.attrib.get("width") == "12"]
    assert all(float(r.attrib["x"]) > end for r in legend)
    week_names = [t for t in root.iter(f"{SVG}text") if (t.text or "").startswith("2026-W")]
    firsts = drawn[::2]
    for name, bar in zip(week_names, firsts, strict=True):  # each week's name under its bar
        assert float(name.attrib["x"]) == pytest.approx(float(bar["x"]) + float(bar["width"]) / 2, abs=0.1)
        assert float(name.attrib["y"]) > base


@pytest.mark.parametrize("n", [1, 3, 12])
def test_the_department_chart_is_as_tall_as_its_rows_need(n: int) -> None:
    root = parse(department_chart([department(f"d{i}", 1, 2) for i in range(n)], title="D", no_data="-", lang="en"))
    _, height = size(root)
    drawn = bars(root)
    if n == 1:
        assert height == 80  # the least height
        return
    first, bar = float(drawn[0]["y"]), float(drawn[0]["height"])
    gap = float(drawn[1]["y"]) - first - bar
    below = height - (float(drawn[-1]["y"]) + bar)
    assert first <= below <= first + gap  # the same margin below as above, plus at most one gap
