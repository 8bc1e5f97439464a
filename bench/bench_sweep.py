"""Benchmark: the pure escalation sweep (``complaint_core.escalation.sweep``) over open cases.

The cases are open manufacturing-preset cases (P1-DL-01: 13 calendar days, ladder at due,
due + 1 WD, due + 3 WD) whose close clock started at spread-out times; 1% of them were
registered 20 days before ``now`` and are overdue (all three ladder levels due), the rest
are within their 13 days. The cases are built once, outside the timings.

The baseline, measured in the same run, merely compares each case's precomputed due time
with ``now`` (a list of (case id, due) pairs, one comparison each). Both must find exactly
the overdue cases; a mismatch is a wrong result (exit 1). Timing never fails the script.

Usage (from the project root):

    .venv/bin/python bench/bench_sweep.py            # 10,000 and 100,000 cases
    .venv/bin/python bench/bench_sweep.py --n 20000  # n/10 and n cases

Targets: ours <= 20x the baseline per case, and linear growth (per-case time at n within
1.5x of that at n/10).
"""

from __future__ import annotations

import argparse
import platform
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import attrs

import timing
from adapters.calendars import china_calendar
from adapters.policy_files import load_preset
from complaint_core.calendar import WorkingCalendar
from complaint_core.case import Case
from complaint_core.clocks import compute_deadline, select_rule
from complaint_core.escalation import SweepAction, sweep
from complaint_core.intake import Intake
from complaint_core.policy import Channel, Policy

REPEATS = 3
TARGET_RATIO = 20.0
TARGET_GROWTH = 1.5
NOW = datetime(2026, 6, 15, 2, 30, tzinfo=UTC)  # 10:30 in Shanghai, a Monday
OVERDUE_EVERY = 100  # 1%


def build_cases(n: int, policy: Policy) -> list[Case]:
    """``n`` registered cases; every 100th started 20 days before NOW, the others 0-11 days before."""
    intake = Intake(customer="customer", channel=Channel.PHONE, category="quality", description="delaminates")
    template, _ = Case.receive(policy, case_id=UUID(int=1), intake=intake, at=NOW - timedelta(days=30), actor="c")
    template, _ = template.register(policy, at=NOW - timedelta(days=30), actor="gm_office", number="0")
    clock = template.clock("close")
    out = []
    for i in range(n):
        if i % OVERDUE_EVERY == 0:
            start = NOW - timedelta(days=20, minutes=i % 600)
        else:
            start = NOW - timedelta(days=i % 12, minutes=i % 600)
        out.append(
            attrs.evolve(
                template,
                case_id=UUID(int=i + 1),
                number=f"2606{i:06}",
                received_at=start,
                last_event_at=start,
                clocks=(attrs.evolve(clock, started_at=start),),
            )
        )
    return out


def precompute_dues(cases: Sequence[Case], policy: Policy, calendar: WorkingCalendar) -> list[tuple[UUID, datetime]]:
    pairs = []
    for case in cases:
        state = case.clock("close")
        rule = select_rule(policy, "close", case.subject)
        assert rule is not None
        due = compute_deadline(rule, state, calendar=calendar, tz=policy.tz).due
        assert due is not None
        pairs.append((case.case_id, due))
    return pairs


def run_ours(cases: Sequence[Case], policy: Policy, calendar: WorkingCalendar) -> tuple[SweepAction, ...]:
    return sweep(cases, lambda _: policy, lambda _: calendar, NOW)


def run_baseline(pairs: Sequence[tuple[UUID, datetime]]) -> list[UUID]:
    now = NOW
    return [case_id for case_id, due in pairs if due <= now]


def best_of(fns: dict[str, Callable[[], Any]], repeats: int = REPEATS) -> dict[str, tuple[float, Any]]:
    return timing.best_of(fns, repeats)


def check(n: int, actions: tuple[SweepAction, ...], overdue: list[UUID]) -> list[str]:
    problems: list[str] = []
    expected = {UUID(int=i + 1) for i in range(0, n, OVERDUE_EVERY)}
    if set(overdue) != expected:
        problems.append(f"baseline found {len(overdue)} overdue cases, expected {len(expected)}")
    fired = {a.case_id for a in actions}
    if fired != expected:
        problems.append(f"sweep acted on {len(fired)} cases, expected the {len(expected)} overdue ones")
    levels = sorted((a.case_id, a.level) for a in actions)
    if levels != sorted((case_id, level) for case_id in expected for level in (1, 2, 3)):
        problems.append("sweep did not give levels 1, 2 and 3 of every overdue case")
    if [a.key for a in actions] != sorted(a.key for a in actions):
        problems.append("sweep actions are not sorted by (case, clock, level)")
    if any(not (a.due <= a.fires_at <= NOW) for a in actions):
        problems.append("an action fires before its due or after now")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000, help="largest number of open cases (default 100000)")
    parser.add_argument("--repeats", type=int, default=REPEATS, help=f"timed rounds, best kept (default {REPEATS})")
    args = parser.parse_args(argv)
    if args.n < 10 or args.repeats < 1:
        parser.error("--n must be >= 10 and --repeats >= 1")

    policy = load_preset("manufacturing")
    calendar = china_calendar()
    sizes = (args.n // 10, args.n)
    print("bench_sweep: the pure escalation sweep over open cases")
    print(f"  python {platform.python_version()}, {platform.machine()}")
    print(f"  manufacturing preset (close clock, 3-level ladder), 1% overdue, now {NOW.isoformat()}")
    print(f"  timings: warm-up + best of {args.repeats} interleaved rounds, perf_counter, GC on")
    print()

    widths = (10, 58, 12, 14, 9)

    def row(cols: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 1 else c.rjust(w) for i, (c, w) in enumerate(zip(cols, widths, strict=True))
        )

    print(row(("cases", "variant", "us/case", "cases/s", "x base")))
    print(row(tuple("-" * w for w in widths)))
    problems: list[str] = []
    per_case: dict[int, tuple[float, float]] = {}
    for n in sizes:
        cases = build_cases(n, policy)
        pairs = precompute_dues(cases, policy, calendar)
        timed = best_of(
            {
                "baseline": lambda pairs=pairs: run_baseline(pairs),  # type: ignore[misc]
                "ours": lambda cases=cases: run_ours(cases, policy, calendar),  # type: ignore[misc]
            },
            args.repeats,
        )
        t_base, overdue = timed["baseline"]
        t_ours, actions = timed["ours"]
        us_base, us_ours = t_base / n * 1e6, t_ours / n * 1e6
        per_case[n] = (us_base, us_ours)
        print(
            row(
                (f"{n:,}", "baseline: compare precomputed due with now", f"{us_base:.3f}", f"{n / t_base:,.0f}", "1.00")
            )
        )
        print(
            row(
                (
                    f"{n:,}",
                    "ours: escalation.sweep (deadlines, ladders, actions)",
                    f"{us_ours:.3f}",
                    f"{n / t_ours:,.0f}",
                    f"{us_ours / us_base:.2f}",
                )
            )
        )
        problems += [f"n={n}: {p}" for p in check(n, actions, overdue)]
    print()

    small, large = sizes
    ratio = max(per_case[n][1] / per_case[n][0] for n in sizes)
    growth = per_case[large][1] / per_case[small][1]
    print(
        f"ratio to baseline per case (worst size): {ratio:.1f}x; target <= {TARGET_RATIO:.0f}x: "
        + ("met" if ratio <= TARGET_RATIO else "NOT met")
    )
    print(
        f"per-case time at {large:,} / at {small:,}: {growth:.2f}; linear (<= {TARGET_GROWTH}): "
        + ("met" if growth <= TARGET_GROWTH else "NOT met")
    )
    if problems:
        print(f"WRONG RESULTS: {len(problems)} problem(s); first few:")
        for p in problems[:20]:
            print(f"  {p}")
        return 1
    print(f"results agree: exactly the 1% overdue cases, levels 1-3 each, at both sizes {sizes}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
