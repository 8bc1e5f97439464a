"""Benchmark: ``add_working_days`` over the bundled China calendar.

Times the library's O(1) rank-table lookup against two baselines measured in
the same run, on the same random (start, n) pairs:

  (a) a naive day-by-day loop over plain ``set``s of holidays and make-up
      working days (the ``is_working_day`` of a set-based table);
  (b) ``holidays.China().get_nth_working_day(start, n)`` (built once, for the
      needed years, before timing). It is ~50 us per call, so it is timed on a
      subsample (10,000 pairs by default) and reported per call.

All three must agree on every pair (start excluded, n-th working day after,
from a rest day the count starts at the next working day). The one known data
difference between the ``chinese_calendar`` tables we bundle and ``holidays``
(2005-12-31, see ../shared/research/baselines.md §5) is detected, not assumed:
the working-day status of every covered day is compared first, and a
disagreement with ``holidays`` is only excused when the interval
(start, result] contains such a day. Any other disagreement is a wrong result
and makes the script exit 1. Timing never fails the script.

Usage (from the project root):

    .venv/bin/python bench/bench_calendar.py            # 100,000 pairs
    .venv/bin/python bench/bench_calendar.py --n 20000  # scale down

Targets: ours >= 5x faster than the naive loop (aim 10x), >= 30x faster than holidays.
"""

from __future__ import annotations

import argparse
import platform
import random
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from importlib import metadata
from typing import Any

import timing
from adapters.calendars import china_calendar
from complaint_core.calendar import TableCalendar, add_working_days

SEED = 20261130
N_MIN, N_MAX = 1, 30
START_FIRST = date(2004, 1, 1)
START_LAST_WANTED = date(2026, 11, 30)
HOLIDAYS_SAMPLE = 10_000
REPEATS = 3

TARGET_NAIVE = 5.0
AIM_NAIVE = 10.0
TARGET_HOLIDAYS = 30.0

Pair = tuple[date, int]


def best_of(fns: dict[str, Callable[[], Any]], repeats: int = REPEATS) -> dict[str, tuple[float, Any]]:
    return timing.best_of(fns, repeats)


def last_safe_start(cal: TableCalendar, n_max: int) -> date:
    """The latest start whose ``n_max``-th working day after it is still covered by ``cal``."""
    limit_rank = cal.working_day_count - n_max
    # the day before the working day of rank limit_rank + 1 has rank limit_rank
    return cal.working_day_at(limit_rank + 1) - timedelta(days=1)


def make_pairs(count: int, first: date, last: date, seed: int) -> list[Pair]:
    rng = random.Random(seed)
    lo, hi = first.toordinal(), last.toordinal()
    return [(date.fromordinal(rng.randint(lo, hi)), rng.randint(N_MIN, N_MAX)) for _ in range(count)]


def make_naive(holidays: frozenset[date], makeup: frozenset[date]) -> Callable[[date, int], date]:
    """Day-by-day stepping over a set-based table: the obvious implementation."""
    holiday_set = set(holidays)
    makeup_set = set(makeup)
    one = timedelta(days=1)

    def is_working_day(day: date) -> bool:
        return day in makeup_set or (day.weekday() < 5 and day not in holiday_set)

    def naive_add(start: date, n: int) -> date:
        day = start
        while n:
            day += one
            if is_working_day(day):
                n -= 1
        return day

    return naive_add


def status_differences(cal: TableCalendar, other_is_working: Callable[[date], bool]) -> list[date]:
    diffs = []
    day, one = cal.first, timedelta(days=1)
    while day <= cal.last:
        if cal.is_working_day(day) != other_is_working(day):
            diffs.append(day)
        day += one
    return diffs


def fmt_row(cols: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cols, widths, strict=True)))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000, help="number of random (start, n) pairs (default 100000)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--repeats", type=int, default=REPEATS, help=f"timed rounds, best kept (default {REPEATS})")
    args = parser.parse_args(argv)
    if args.n < 1 or args.repeats < 1:
        parser.error("--n and --repeats must be >= 1")

    import holidays  # imported here: its import alone costs ~125 ms

    holidays_version = metadata.version("holidays")

    cal = china_calendar()
    safe_last = last_safe_start(cal, N_MAX)
    start_last = min(START_LAST_WANTED, safe_last)
    pairs = make_pairs(args.n, START_FIRST, start_last, args.seed)
    sample = pairs[: min(HOLIDAYS_SAMPLE, len(pairs))]

    print("bench_calendar: add_working_days over the bundled China calendar")
    print(f"  python {platform.python_version()}, holidays {holidays_version}, {platform.machine()}")
    print(f"  calendar {cal.name}: {cal.first}..{cal.last}, {cal.working_day_count} working days")
    print(
        f"  pairs: {len(pairs):,}, seed {args.seed}, n in {N_MIN}..{N_MAX}, starts uniform in {START_FIRST}..{start_last}"
    )
    if start_last < START_LAST_WANTED:
        print(
            f"  (starts stop at {start_last}, not {START_LAST_WANTED}: {N_MAX} working days after a later start "
            f"fall past {cal.last}, which the calendar does not cover)"
        )
    print(
        f"  holidays timed on the first {len(sample):,} pairs; timings: warm-up + best of {args.repeats} interleaved rounds, perf_counter"
    )
    print()

    naive_add = make_naive(cal.holidays, cal.makeup_workdays)
    cn = holidays.country_holidays("CN", years=range(START_FIRST.year, cal.last.year + 1))  # holidays.China
    nth = cn.get_nth_working_day

    def run_ours() -> list[date]:
        return [add_working_days(cal, s, n) for s, n in pairs]

    def run_naive() -> list[date]:
        return [naive_add(s, n) for s, n in pairs]

    def run_holidays_sample() -> list[date]:
        return [nth(s, n) for s, n in sample]

    def run_overhead() -> list[int]:
        return [n for _s, n in pairs]

    timed = best_of(
        {"overhead": run_overhead, "ours": run_ours, "naive": run_naive, "holidays": run_holidays_sample},
        args.repeats,
    )
    t_overhead, _ = timed["overhead"]
    t_ours, ours = timed["ours"]
    t_naive, naive = timed["naive"]
    t_hol, _ = timed["holidays"]

    # correctness: every pair, all three implementations (one full holidays pass, not used for the ratio)
    t0 = time.perf_counter()
    hol_all = [nth(s, n) for s, n in pairs]
    t_hol_full = time.perf_counter() - t0

    us_overhead = t_overhead / len(pairs) * 1e6
    us_ours = t_ours / len(pairs) * 1e6
    us_naive = t_naive / len(pairs) * 1e6
    us_hol = t_hol / len(sample) * 1e6
    r_naive = us_naive / us_ours
    r_hol = us_hol / us_ours

    widths = (46, 10, 12, 12)
    print(fmt_row(("method", "calls", "us/call", "x ours"), widths))
    print(fmt_row(("-" * 46, "-" * 10, "-" * 12, "-" * 12), widths))
    print(
        fmt_row(("loop overhead (list comprehension, no call)", f"{len(pairs):,}", f"{us_overhead:.3f}", "-"), widths)
    )
    print(fmt_row(("ours: add_working_days (rank table)", f"{len(pairs):,}", f"{us_ours:.3f}", "1.00"), widths))
    print(
        fmt_row(
            ("(a) naive day-by-day loop, set table", f"{len(pairs):,}", f"{us_naive:.3f}", f"{r_naive:.2f}"), widths
        )
    )
    print(
        fmt_row(
            ("(b) holidays.China().get_nth_working_day", f"{len(sample):,}", f"{us_hol:.3f}", f"{r_hol:.2f}"), widths
        )
    )
    print(
        f"  ((b) over all {len(pairs):,} pairs, one pass for the agreement check, not used in the ratio: "
        f"{t_hol_full / len(pairs) * 1e6:.3f} us/call)"
    )
    print()

    # ----- agreement -----------------------------------------------------------------------
    wrong = 0
    bad_naive = [(p, o, v) for p, o, v in zip(pairs, ours, naive, strict=True) if o != v]
    if bad_naive:
        wrong += len(bad_naive)
        print(f"DISAGREEMENT ours vs naive: {len(bad_naive)} of {len(pairs)} pairs; first few:")
        for (s, n), o, v in bad_naive[:10]:
            print(f"  start {s} n {n}: ours {o}, naive {v}")

    data_diffs = status_differences(cal, cn.is_working_day)
    diff_set = set(data_diffs)
    one = timedelta(days=1)

    def touches_data_diff(start: date, end: date) -> bool:
        day = start + one
        while day <= end:
            if day in diff_set:
                return True
            day += one
        return False

    explained: list[tuple[Pair, date, date]] = []
    unexplained: list[tuple[Pair, date, date]] = []
    for p, o, h in zip(pairs, ours, hol_all, strict=True):
        if o != h:
            bucket = explained if touches_data_diff(p[0], max(o, h)) else unexplained
            bucket.append((p, o, h))
    if data_diffs:
        shown = ", ".join(
            f"{d} ({d.strftime('%a')}: cn {'work' if cal.is_working_day(d) else 'rest'})" for d in data_diffs[:5]
        )
        print(
            f"data difference, bundled chinese_calendar vs holidays {holidays_version}: {len(data_diffs)} day(s): {shown}"
        )
        print(f"  pairs whose interval contains such a day and so differ from holidays (expected): {len(explained)}")
        for (s, n), o, h in explained[:3]:
            print(f"    start {s} n {n}: ours {o}, holidays {h}")
    if unexplained:
        wrong += len(unexplained)
        print(f"DISAGREEMENT ours vs holidays not explained by a data difference: {len(unexplained)}; first few:")
        for (s, n), o, h in unexplained[:10]:
            print(f"  start {s} n {n}: ours {o}, holidays {h}")
    agree_hol = len(pairs) - len(explained) - len(unexplained)
    print(
        f"agreement: ours = naive on {len(pairs) - len(bad_naive):,}/{len(pairs):,}; "
        f"ours = holidays on {agree_hol:,}/{len(pairs):,} "
        f"(+{len(explained)} explained by the data difference, {len(unexplained)} unexplained)"
    )
    print()

    # ----- targets -------------------------------------------------------------------------
    ok_naive = r_naive >= TARGET_NAIVE
    ok_hol = r_hol >= TARGET_HOLIDAYS
    aim = "aim 10x met" if r_naive >= AIM_NAIVE else "aim 10x not met"
    print(
        f"target naive/ours >= {TARGET_NAIVE:.0f}x: {r_naive:.2f}x {'MET' if ok_naive else 'MISSED'} ({aim}); "
        f"target holidays/ours >= {TARGET_HOLIDAYS:.0f}x: {r_hol:.2f}x {'MET' if ok_hol else 'MISSED'}"
    )
    if wrong:
        print(f"RESULT: WRONG RESULTS ({wrong} disagreements); targets {'met' if ok_naive and ok_hol else 'missed'}")
        return 1
    verdict = "TARGET MET" if ok_naive and ok_hol else "TARGET MISSED"
    print(
        f"RESULT: {verdict}: ours {us_ours:.3f} us/call, {r_naive:.2f}x faster than naive, "
        f"{r_hol:.2f}x faster than holidays; all results correct"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
