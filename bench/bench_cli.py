"""Benchmark: start-up time of the ``complaint`` CLI.

Each variant is a fresh subprocess (what a user or a cron job pays), timed
wall-clock; variants are interleaved round by round, so a burst of load on the
machine hits them alike, and the median of N runs is kept.

  help:  ``python -m entrypoints.cli.main --help`` against ``python -c "import typer, rich"``
         (the floor for any typer+rich CLI). Target <= 1.3x.
  show:  ``case show N --json`` on a real stored case against the same baseline. Target <= 3x.
         The case is created once, before timing, in a fresh SQLite file in a temporary
         directory through the CLI itself (``case open`` + ``case register``, which gives
         the number); ``--case-db URL --case-number N`` times an existing database instead.

Usage (from the project root):

    .venv/bin/python bench/bench_cli.py           # 15 runs each
    .venv/bin/python bench/bench_cli.py --runs 31
    .venv/bin/python bench/bench_cli.py --repeat 3   # three full measurements, the median ratio kept

Exits 1 only if a command fails; timing never fails the script.
"""

from __future__ import annotations

import argparse
import compileall
import os
import platform
import statistics
import subprocess
import sys
import tempfile
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
# The floor of any command that reads the SQL store: typer plus ``import sqlalchemy`` (no Alembic, no domain).
SQL_FLOOR = [sys.executable, "-c", "import typer, sqlalchemy"]


def case_show_command(db: str, number: str) -> list[str]:
    """The real ``case show N --json``."""
    return [*CLI, "--db", db, "--json", "case", "show", number]


def create_case(db: str, env: dict[str, str]) -> str:
    """A fresh database with one registered case, made through the CLI; the case number."""
    import json

    def cli(*args: str) -> dict[str, object]:
        done = subprocess.run([*CLI, "--db", db, "--json", *args], env=env, capture_output=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"FAILED to set up ({done.returncode}): {' '.join(args)}\n{done.stderr.decode()}")
        doc: dict[str, object] = json.loads(done.stdout)
        return doc

    opened = cli(
        "case", "open", "--customer", "华东电子", "--category", "quality", "--amount", "3200",
        "--at", "2026-11-02T09:00",
    )  # fmt: skip
    registered = cli("case", "register", str(opened["id"]), "--at", "2026-11-02T10:00")
    return str(registered["number"])


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


def bench_show(runs: int, env: dict[str, str], command: list[str]) -> tuple[float, float, float, float]:
    """(baseline s, command s, ratio, SQL floor ratio) for ``case show N --json``."""
    m = medians({"baseline": BASELINE, "show": command, "sql_floor": SQL_FLOOR}, runs, env)
    return m["baseline"], m["show"], m["show"] / m["baseline"], m["sql_floor"] / m["baseline"]


def bench_typer_floor(runs: int, env: dict[str, str]) -> float:
    """Median seconds of a one-parameter typer command: what any command costs before doing anything."""
    return medians({"floor": TYPER_FLOOR}, runs, env)["floor"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=RUNS, help=f"runs per variant, median kept (default {RUNS})")
    parser.add_argument("--repeat", type=int, default=1, help="full measurements; the median ratio is kept")
    parser.add_argument("--case-db", default=None, help="an existing database (URL or SQLite file) to time instead")
    parser.add_argument("--case-number", default="261101", help="the case to show with --case-db")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.repeat < 1:
        parser.error("--runs and --repeat must be >= 1")
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    # As installing a wheel does (and `make` after its editable install): the package's bytecode is compiled
    # once, so commands do not compile it again on every start (PYTHONDONTWRITEBYTECODE stops caching).
    compileall.compile_dir(SRC, quiet=1)
    if args.case_db:
        return measure(args, env, args.case_db, args.case_number)
    with tempfile.TemporaryDirectory(prefix="bench_cli_") as tmp:
        db = str(Path(tmp) / "cases.db")
        return measure(args, env, db, create_case(db, env))


def measure(args: argparse.Namespace, env: dict[str, str], db: str, number: str) -> int:
    print("bench_cli: start-up of the complaint CLI (fresh subprocess per run, wall clock)")
    print(
        f"  python {platform.python_version()}, {platform.machine()}, {args.runs} interleaved runs, median kept"
        + (f"; {args.repeat} repetitions, median ratio kept" if args.repeat > 1 else "")
    )
    print(f"  case show {number} on {db}; the package's bytecode compiled once beforehand, as an install does")
    print()
    command = case_show_command(db, number)
    help_ratios: list[float] = []
    show_ratios: list[float] = []
    floor_ratios: list[float] = []
    for rep in range(args.repeat):
        base, help_s, help_ratio = bench_help(args.runs, env)
        base2, show_s, show_ratio, floor_ratio = bench_show(args.runs, env, command)
        help_ratios.append(help_ratio)
        show_ratios.append(show_ratio)
        floor_ratios.append(floor_ratio)
        label = f"[{rep + 1}/{args.repeat}] " if args.repeat > 1 else ""
        print(f"  {label}python -c 'import typer, rich'        {base * 1000:8.1f} ms  (baseline)")
        print(f"  {label}complaint --help                      {help_s * 1000:8.1f} ms  {help_ratio:.2f}x")
        print(
            f"  {label}case show {number} --json               {show_s * 1000:8.1f} ms  {show_ratio:.2f}x"
            f" (baseline {base2 * 1000:.1f} ms; python -c 'import typer, sqlalchemy' {floor_ratio:.2f}x)"
        )
    floor = bench_typer_floor(args.runs, env)
    print(f"  (context: a trivial one-argument typer command {floor * 1000:.1f} ms: typer's floor with pydantic,")
    print(
        f"   which the CLI avoids; 'import typer, sqlalchemy' alone is {statistics.median(floor_ratios):.2f}x:"
        " the floor of a command that reads the SQL store)"
    )
    print()
    help_ratio = statistics.median(help_ratios)
    show_ratio = statistics.median(show_ratios)
    ok_help = help_ratio <= TARGET_HELP
    ok_show = show_ratio <= TARGET_SHOW
    print(
        f"target --help <= {TARGET_HELP}x: {help_ratio:.2f}x {'MET' if ok_help else 'MISSED'}; "
        f"target case show <= {TARGET_SHOW:.0f}x: {show_ratio:.2f}x {'MET' if ok_show else 'MISSED'}"
    )
    print(f"RESULT: {'TARGETS MET' if ok_help and ok_show else 'TARGET MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
