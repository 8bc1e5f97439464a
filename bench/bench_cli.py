"""Benchmark: start-up time of the ``complaint`` CLI.

Each variant is a fresh subprocess (what a user or a cron job pays), timed
wall-clock; variants are interleaved round by round, so a burst of load on the
machine hits them alike, and the median of N runs is kept.

  help:  ``python -m entrypoints.cli.main --help`` against ``python -c "import typer, rich"``
         (the floor for any typer+rich CLI). Target <= 1.3x.
  show:  ``case show N --json`` against the same baseline. Target <= 3x. Until the SQL
         storage exists it measures the stand-in ``calendar add-days 2026-10-01 5 --working --json``
         (loads a policy and the China calendar); the output says which one ran.

Usage (from the project root):

    .venv/bin/python bench/bench_cli.py           # 15 runs each
    .venv/bin/python bench/bench_cli.py --runs 31

Exits 1 only if a command fails; timing never fails the script.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

RUNS = 15
TARGET_HELP = 1.3
TARGET_SHOW = 3.0
SRC = str(Path(__file__).resolve().parents[1] / "src")

BASELINE = [sys.executable, "-c", "import typer, rich"]
CLI = [sys.executable, "-m", "entrypoints.cli.main"]
HELP = [*CLI, "--help"]
# The floor of running any typer 0.29 command: coercing parameter values imports pydantic (~150 ms).
TYPER_FLOOR = [
    sys.executable,
    "-c",
    "import sys, typer\napp = typer.Typer()\n@app.command()\ndef x(a: str) -> None: pass\napp(['hi'])",
]
SHOW_STAND_IN = [*CLI, "--json", "calendar", "add-days", "2026-10-01", "5", "--working"]
SHOW_STAND_IN_NAME = "calendar add-days 2026-10-01 5 --working --json (stand-in for case show)"


def case_show_command(db: str, number: str) -> list[str]:
    """The real ``case show N --json`` (enable with --case-db once the SQL storage and case commands exist)."""
    return [*CLI, "--db", db, "--json", "case", "show", number]


def run_once(argv: Sequence[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"FAILED ({done.returncode}): {' '.join(argv)}\n{done.stderr.decode(errors='replace')}")
    return elapsed


def medians(variants: dict[str, list[str]], runs: int, env: dict[str, str]) -> dict[str, float]:
    """Warm each up once (file cache), then ``runs`` interleaved rounds; the median per variant, in seconds."""
    times: dict[str, list[float]] = {name: [] for name in variants}
    for argv in variants.values():
        run_once(argv, env)
    for _ in range(runs):
        for name, argv in variants.items():
            times[name].append(run_once(argv, env))
    return {name: statistics.median(values) for name, values in times.items()}


def bench_help(runs: int, env: dict[str, str]) -> tuple[float, float, float]:
    """(baseline s, help s, ratio)."""
    m = medians({"baseline": BASELINE, "help": HELP}, runs, env)
    return m["baseline"], m["help"], m["help"] / m["baseline"]


def bench_show(runs: int, env: dict[str, str], command: list[str]) -> tuple[float, float, float]:
    """(baseline s, command s, ratio) for ``case show N --json`` or its stand-in."""
    m = medians({"baseline": BASELINE, "show": command}, runs, env)
    return m["baseline"], m["show"], m["show"] / m["baseline"]


def bench_typer_floor(runs: int, env: dict[str, str]) -> float:
    """Median seconds of a one-parameter typer command: what any command costs before doing anything."""
    return medians({"floor": TYPER_FLOOR}, runs, env)["floor"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=RUNS, help=f"runs per variant, median kept (default {RUNS})")
    parser.add_argument("--case-db", default=None, help="database URL with a case, to time the real case show")
    parser.add_argument("--case-number", default="261101")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be >= 1")
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}

    print("bench_cli: start-up of the complaint CLI (fresh subprocess per run, wall clock)")
    print(f"  python {platform.python_version()}, {platform.machine()}, {args.runs} interleaved runs, median kept")
    print()
    base, help_s, help_ratio = bench_help(args.runs, env)
    print(f"  python -c 'import typer, rich'        {base * 1000:8.1f} ms  (baseline)")
    print(f"  complaint --help                      {help_s * 1000:8.1f} ms  {help_ratio:.2f}x")
    if args.case_db:
        command, name = case_show_command(args.case_db, args.case_number), f"case show {args.case_number} --json"
    else:
        command, name = SHOW_STAND_IN, SHOW_STAND_IN_NAME
    base2, show_s, show_ratio = bench_show(args.runs, env, command)
    print(f"  {name}")
    print(
        f"                                        {show_s * 1000:8.1f} ms  {show_ratio:.2f}x (baseline {base2 * 1000:.1f} ms)"
    )
    floor = bench_typer_floor(args.runs, env)
    print(
        f"  (context: a trivial one-argument typer command {floor * 1000:.1f} ms = {floor / base2:.2f}x: typer's floor)"
    )
    print()
    ok_help = help_ratio <= TARGET_HELP
    ok_show = show_ratio <= TARGET_SHOW
    print(
        f"target --help <= {TARGET_HELP}x: {help_ratio:.2f}x {'MET' if ok_help else 'MISSED'}; "
        f"target show <= {TARGET_SHOW:.0f}x: {show_ratio:.2f}x {'MET' if ok_show else 'MISSED'}"
        + ("" if args.case_db else " (measured on the stand-in, not case show)")
    )
    print(f"RESULT: {'TARGETS MET' if ok_help and ok_show else 'TARGET MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
