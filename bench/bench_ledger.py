"""Benchmark: closing a month of the deduction ledger, and apportioning one amount across many parties.

Ledger. For each size N (default 1,000 / 10,000 / 100,000), N penalty postings
over 5,000 people (random people, 1-3 lines per case, 5% uncapped major
demerits, amounts 50.00-2,000.00) are posted into 2026-10 and that month is
closed against random bonuses (10% zero) with the 50% cap, so the timed month
starts with carry-in; then another N postings go into 2026-11. Timed: posting
the N November postings in one batch, and closing November. Both are pure
(the ledger is immutable), so each round reruns them on the same ledger. The
baseline, measured in the same run, computes the same per-person totals on
plain dicts (no attribution, no entries, no immutability); every row of ours
must agree with it and with its own attribution lines, or the result is
wrong (exit 1). Timing never fails the script.

Apportionment. ``money.apportion`` of one amount across 1,000 parties
(basis-point weights 1-100), against summing those 1,000 parts; for
reference, an integer-only largest-remainder split (same results, checked).

Usage (from the project root):

    .venv/bin/python bench/bench_ledger.py             # sizes 1,000 / 10,000 / 100,000
    .venv/bin/python bench/bench_ledger.py --n 20000   # largest size 20,000 (then 200 / 2,000 / 20,000)

Targets: close time per entry at the largest size <= 2x that at the smallest;
apportion of 1,000 parties <= 20x summing them.
"""

from __future__ import annotations

import argparse
import platform
import random
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID

import timing
from complaint_core.ledger import EntryKind, Ledger, MonthClose, Posting
from complaint_core.money import apportion, to_fen

REPEATS = 3
PEOPLE = 5_000
HALF = Decimal("0.5")
TARGET_SCALING = 2.0
TARGET_APPORTION = 20.0
PARTIES = 1_000
FIRST, SECOND = "2026-10", "2026-11"


def best_of(fns: dict[str, Callable[[], Any]], repeats: int = REPEATS) -> dict[str, tuple[float, Any]]:
    return timing.best_of(fns, repeats)


def make_postings(n: int, people: int, rng: random.Random, first_case: int) -> list[Posting]:
    out: list[Posting] = []
    case = first_case
    while len(out) < n:
        case += 1
        for line in range(min(rng.randint(1, 3), n - len(out))):
            uncapped = rng.random() < 0.05
            out.append(
                Posting(
                    person_id=f"E{rng.randrange(people):05d}",
                    case_id=UUID(int=case),
                    line_id=str(line),
                    rule_id="P1-PEN-06" if uncapped else "P1-PEN-10",
                    amount=Decimal(rng.randint(5_000, 200_000)).scaleb(-2),
                    capped=not uncapped,
                    points=-rng.randint(0, 5),
                )
            )
    return out


def make_bonuses(people: int, rng: random.Random) -> dict[str, Decimal]:
    return {
        f"E{i:05d}": Decimal(0 if rng.random() < 0.1 else rng.randint(100_000, 600_000)).scaleb(-2)
        for i in range(people)
    }


# ----- baseline: per-person totals on plain dicts ------------------------------------------------
def plain_close(
    carry: dict[str, int], postings: Sequence[tuple[str, int, bool]], bonuses: dict[str, int]
) -> tuple[dict[str, tuple[int, int, int, int, int, int]], dict[str, int]]:
    """(carry_in, posted, due, deducted, deducted_uncapped, carry_out) per person, in fen, and the new carry."""
    posted: dict[str, int] = {}
    capped: dict[str, int] = {}
    uncapped: dict[str, int] = {}
    for person, fen, is_capped in postings:
        posted[person] = posted.get(person, 0) + fen
        if is_capped:
            capped[person] = capped.get(person, 0) + fen
        else:
            uncapped[person] = uncapped.get(person, 0) + fen
    rows = {}
    new_carry = {}
    for person in set(carry) | set(posted):
        carry_in = carry.get(person, 0)
        due_capped = carry_in + capped.get(person, 0)
        cap = int(HALF * bonuses.get(person, 0))
        deducted = min(due_capped, cap)
        out = due_capped - deducted
        rows[person] = (
            carry_in,
            posted.get(person, 0),
            carry_in + posted.get(person, 0),
            deducted,
            uncapped.get(person, 0),
            out,
        )
        if out:
            new_carry[person] = out
    return rows, new_carry


def check(result: MonthClose, expected: dict[str, tuple[int, int, int, int, int, int]]) -> list[str]:
    problems = []
    if len(result.people) != len(expected):
        problems.append(f"{len(result.people)} rows, the baseline has {len(expected)}")
    per_person: dict[str, int] = {}
    for line in result.lines:
        if line.kind is EntryKind.DEDUCTED:
            per_person[line.person_id] = per_person.get(line.person_id, 0) + to_fen(line.amount)
        else:
            problems.append(f"unexpected {line.kind.value} line for {line.person_id}")
    for row in result.people:
        ours = tuple(
            to_fen(v) for v in (row.carry_in, row.posted, row.due, row.deducted, row.deducted_uncapped, row.carry_out)
        )
        if ours != expected.get(row.person_id):
            problems.append(f"{row.person_id}: ours {ours}, baseline {expected.get(row.person_id)}")
        if per_person.get(row.person_id, 0) != ours[3] + ours[4]:
            problems.append(f"{row.person_id}: attribution lines sum to {per_person.get(row.person_id, 0)} fen")
        if row.cap is not None and row.deducted > row.cap:
            problems.append(f"{row.person_id}: deducted {row.deducted} above the cap {row.cap}")
        if len(problems) > 20:
            break
    return problems


def bench_size(n: int, people: int, repeats: int) -> tuple[dict[str, float], list[str]]:
    rng = random.Random(n)
    bonuses = make_bonuses(people, rng)
    first = make_postings(n, people, rng, 0)
    second = make_postings(n, people, rng, n)
    ledger, _ = Ledger().post(first, month=FIRST)
    ledger, _ = ledger.close_month(FIRST, bonuses=bonuses, cap_ratio=HALF)
    posted, _ = ledger.post(second, month=SECOND)

    bonus_fen = {p: to_fen(b) for p, b in bonuses.items()}
    plain_first = [(p.person_id, to_fen(p.amount), p.capped) for p in first]
    plain_second = [(p.person_id, to_fen(p.amount), p.capped) for p in second]
    _, carry = plain_close({}, plain_first, bonus_fen)

    timed = best_of(
        {
            "post": lambda: ledger.post(second, month=SECOND),
            "close": lambda: posted.close_month(SECOND, bonuses=bonuses, cap_ratio=HALF),
            "plain": lambda: plain_close(carry, plain_second, bonus_fen),
        },
        repeats,
    )
    _, result = timed["close"][1]
    expected, _ = timed["plain"][1]
    problems = [f"n={n}: {p}" for p in check(result, expected)]
    times = {name: t for name, (t, _) in timed.items()}
    times["rows"] = len(result.people)
    times["lines"] = len(result.lines)
    return times, problems


def apportion_int(total: Decimal, weights: Sequence[int]) -> tuple[Decimal, ...]:
    """Reference only: largest remainder on fen with integer weights, no Fractions (same results as apportion)."""
    total_fen = to_fen(total)
    weight_sum = sum(weights)
    parts = [divmod(total_fen * w, weight_sum) for w in weights]
    floors = [q for q, _ in parts]
    remainders = [r for _, r in parts]
    for i in sorted(range(len(parts)), key=remainders.__getitem__, reverse=True)[: total_fen - sum(floors)]:
        floors[i] += 1
    return tuple(Decimal(f).scaleb(-2) for f in floors)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000, help="largest size; also n/10 and n/100 (default 100000)")
    parser.add_argument("--people", type=int, default=PEOPLE, help=f"people (default {PEOPLE})")
    parser.add_argument("--repeats", type=int, default=REPEATS, help=f"timed rounds, best kept (default {REPEATS})")
    args = parser.parse_args(argv)
    if args.n < 100 or args.people < 1 or args.repeats < 1:
        parser.error("--n must be >= 100, --people and --repeats >= 1")
    sizes = (args.n // 100, args.n // 10, args.n)

    print("bench_ledger: closing a month of the deduction ledger (P1-PEN-11 cap 50%, carry-over, FIFO attribution)")
    print(f"  python {platform.python_version()}, {platform.machine()}")
    print(f"  {args.people:,} people; sizes {', '.join(f'{s:,}' for s in sizes)} postings per month; 5% uncapped")
    print(f"  timings: warm-up + best of {args.repeats} interleaved rounds, perf_counter, GC on")
    print()

    widths = (10, 8, 12, 14, 15, 13, 15, 12)
    header = (
        "postings",
        "rows",
        "post us/entry",
        "close us/entry",
        "close x size 1",
        "plain us/entry",
        "close x plain",
        "close ms",
    )

    def row(cols: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) for c, w in zip(cols, widths, strict=True))

    print(row(header))
    print(row(tuple("-" * w for w in widths)))
    problems: list[str] = []
    per_entry: list[float] = []
    for n in sizes:
        times, wrong = bench_size(n, args.people, args.repeats)
        problems += wrong
        close_us = times["close"] / n * 1e6
        per_entry.append(close_us)
        print(
            row(
                (
                    f"{n:,}",
                    f"{int(times['rows']):,}",
                    f"{times['post'] / n * 1e6:.2f}",
                    f"{close_us:.2f}",
                    f"{close_us / per_entry[0]:.2f}",
                    f"{times['plain'] / n * 1e6:.2f}",
                    f"{times['close'] / times['plain']:.1f}",
                    f"{times['close'] * 1e3:.1f}",
                )
            )
        )
    scaling = per_entry[-1] / per_entry[0]
    print()

    rng = random.Random(7)
    weights = [rng.randint(1, 100) for _ in range(PARTIES)]
    total = Decimal("123456.78")
    parts = apportion(total, weights)
    timed = best_of(
        {
            "sum": lambda: sum(parts, Decimal(0)),
            "apportion": lambda: apportion(total, weights),
            "int": lambda: apportion_int(total, weights),
        },
        max(args.repeats, 5),
    )
    t_sum, summed = timed["sum"]
    t_app, split = timed["apportion"]
    t_int, split_int = timed["int"]
    if summed != total or split != parts:
        problems.append(f"apportion: parts sum to {summed}, expected {total}")
    if split_int != split:
        problems.append("apportion: the integer-only reference disagrees with money.apportion")
    ratio_app = t_app / t_sum
    print(f"apportion {total} across {PARTIES:,} parties (weights 1-100):")
    print(f"  sum of the {PARTIES:,} parts           {t_sum * 1e6:10.1f} us   1.0x")
    print(f"  money.apportion                    {t_app * 1e6:10.1f} us {ratio_app:6.1f}x")
    print(f"  integer-only reference (not used)  {t_int * 1e6:10.1f} us {t_int / t_sum:6.1f}x")
    print()

    if problems:
        print(f"WRONG RESULTS: {len(problems)} problem(s); first few:")
        for p in problems[:20]:
            print(f"  {p}")
    else:
        print("results agree: every row matches the plain baseline and its attribution lines; parts sum to the total")
    ok_scaling = scaling <= TARGET_SCALING
    ok_app = ratio_app <= TARGET_APPORTION
    print(
        f"target close us/entry at {sizes[-1]:,} <= {TARGET_SCALING:.0f}x that at {sizes[0]:,}: {scaling:.2f}x "
        f"{'MET' if ok_scaling else 'MISSED'}; target apportion <= {TARGET_APPORTION:.0f}x sum: {ratio_app:.1f}x "
        f"{'MET' if ok_app else 'MISSED'}"
    )
    if problems:
        print(f"RESULT: WRONG RESULTS ({len(problems)} problems)")
        return 1
    verdict = "TARGETS MET" if ok_scaling and ok_app else "TARGET MISSED"
    print(f"RESULT: {verdict}: close {per_entry[-1]:.2f} us/entry at {sizes[-1]:,}, apportion {ratio_app:.1f}x sum")
    return 0


if __name__ == "__main__":
    sys.exit(main())
