"""Benchmark: the SQL adapter (``adapters.sql``) against the raw drivers, measured in the same run.

1. Bulk import of 100,000 cases (received + registered through the pure core, manufacturing and
   furniture presets, 2 events each) with ``adapters.sql.bulk.import_cases``, against raw
   ``sqlite3`` / ``psycopg`` ``executemany`` of the very same row tuples (built beforehand, outside
   the timer) in one transaction. Our timer covers building the rows from the domain objects (JSON
   bodies, clock due times, history and outbox rows), the inserts and the commit. The time to build
   the rows alone is printed too. Target: >= 0.25x the raw rate, on SQLite and on PostgreSQL.
2. One command per transaction on SQLite (WAL, synchronous=NORMAL): ``CaseService`` on
   ``SqlUnitOfWork`` runs 6 lifecycle commands (start_investigation ... close) on each of 500
   pre-loaded registered cases, every command its own transaction (load, apply, save the case and its
   clocks/parties, history + outbox rows, commit). The statements the library sends are recorded with
   an engine event listener on a copy of the database; the baseline replays exactly those statements
   (BEGIN IMMEDIATE ... COMMIT, same parameters, rows fetched) with ``sqlite3`` on another copy.
   Both end states must be equal. Target: >= 0.20x the raw rate. Also run on PostgreSQL (psycopg
   replaying the statements), for information.
3. ``SqlCaseRepository.overdue(as_of)`` on 1,000,000 stored cases with 1% overdue (10,000 running
   clocks due before NOW), against the raw ``sqlite3`` query returning the same rows (the partial
   index ``ix_case_clocks_running_due``). Our time covers the whole call in an open unit of work,
   including its BEGIN and converting ``due_at`` to aware datetimes. Target: <= 1.5x the raw time.
4. ``report_queries.monthly_counts`` (counts by category, severity, market and status of the cases
   closed in one month) on the same 1,000,000 cases, against the faster of two hand-written raw SQL
   variants. Target: <= 1.5x the raw time. The query plans are printed.

The 1M-row database is populated with raw ``sqlite3`` executemany (synchronous=OFF, no journal,
secondary indexes dropped and re-created afterwards) after ``open_database`` created the schema; the
measured parts use the library's engine settings. Timing never fails the script; wrong results do
(exit 1).

Usage (from the project root):

    .venv/bin/python bench/bench_sql.py              # the issue's sizes
    .venv/bin/python bench/bench_sql.py --scale 0.1  # 10,000 / 50 / 100,000 cases
    .venv/bin/python bench/bench_sql.py --no-pg      # SQLite only
    .venv/bin/python bench/bench_sql.py --profile    # also cProfile our bulk import, top functions

``BENCH_SQL_SCALE`` sets the default of ``--scale``. Progress goes to stderr; the table to stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import platform
import pstats
import shutil
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy import Engine, event

import timing
from adapters.calendars import CalendarRegistry
from adapters.clock import FixedClock
from adapters.memory import MemoryPolicies
from adapters.policy_files import load_preset
from adapters.sql import open_database
from adapters.sql.bulk import RowBuilder, import_cases
from adapters.sql.indexing import ClockIndexer, clock_indexer
from adapters.sql.report_queries import DIMENSIONS, monthly_counts
from adapters.sql.types import sqlite_utc_text
from complaint_core.case import Case, RemedyKind
from complaint_core.events import DomainEvent
from complaint_core.intake import Intake
from complaint_core.policy import Channel, Market
from complaint_core.responsibility import Party, PartyKind, Responsibility
from complaint_core.services import CaseService

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

BULK_CASES = 100_000
COMMAND_CASES = 500
STORED_CASES = 1_000_000
TARGET_BULK = 0.25
TARGET_COMMANDS = 0.20
TARGET_QUERY = 1.5

BASE = datetime(2024, 1, 1, 1, 0, tzinfo=UTC)  # first intake of the generated cases
NOW = datetime(2026, 12, 31, 4, 0, tzinfo=UTC)  # "now" for the overdue query: after every stored case
CMD_AT = datetime(2027, 1, 4, 2, 0, tzinfo=UTC)  # when the lifecycle commands run (after every intake)
REPORT_MONTH = (
    datetime(2026, 3, 1, tzinfo=UTC) - timedelta(hours=8),
    datetime(2026, 4, 1, tzinfo=UTC) - timedelta(hours=8),
)
TABLES = ("cases", "case_clocks", "case_parties", "history", "outbox")

Row = tuple[Any, ...]


def log(message: str) -> None:
    print(f"[bench_sql {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


best_of = timing.best_of


# ----- domain data -----------------------------------------------------------------------------
class Setup:
    def __init__(self) -> None:
        self.man = load_preset("manufacturing")
        self.fur = load_preset("furniture")
        self.policies = MemoryPolicies([self.man, self.fur])
        self.calendars = CalendarRegistry()
        self.indexer: ClockIndexer = clock_indexer(self.policies, self.calendars)


MAN_CATEGORIES = ("quality", "non_quality")
FUR_CATEGORIES = ("grievance", "suggestion", "product_quality", "packaging", "service_quality")


def build_cases(
    setup: Setup, n: int, *, only_manufacturing: bool = False, first: int = 0
) -> list[tuple[Case, tuple[DomainEvent, ...]]]:
    """``n`` received + registered cases with their 2 events each; deterministic ids and unique numbers."""
    out = []
    for k in range(n):
        i = first + k
        at = BASE + timedelta(minutes=9 * i)
        manufacturing = only_manufacturing or i % 2 == 0
        policy = setup.man if manufacturing else setup.fur
        categories = MAN_CATEGORIES if manufacturing else FUR_CATEGORIES
        intake = Intake(
            customer=f"customer-{i % 997}",
            channel=Channel.LETTER if i % 3 == 0 else Channel.PHONE,
            category=categories[i % len(categories)],
            description="板材回流焊后分层, 客户要求退货并赔偿 (boards delaminate after reflow)",
            market=Market.FOREIGN if i % 5 == 0 else Market.DOMESTIC,
            claimed_amount=Decimal(100 + i % 5000) if i % 4 == 0 else None,
        )
        number = f"B{i:08d}"
        case, received = Case.receive(
            policy,
            case_id=UUID(int=i + 1),
            intake=intake,
            at=at,
            actor="clerk",
            number=None if manufacturing else number,
        )
        case, registered = case.register(
            policy, at=at + timedelta(hours=1), actor="gm_office", number=number if manufacturing else None
        )
        out.append((case, received + registered))
    return out


# ----- SQLite helpers ----------------------------------------------------------------------------
def new_sqlite(path: Path) -> Path:
    """A fresh database file with the library's schema (created by ``open_database``)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    open_database(str(path)).dispose()
    return path


def raw_sqlite(path: Path) -> sqlite3.Connection:
    """A raw connection with the library's settings (WAL, synchronous=NORMAL, foreign keys, autocommit mode)."""
    con = sqlite3.connect(str(path), isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=30000"):
        con.execute(f"PRAGMA {pragma}")
    return con


def copy_sqlite(src: Path, dst: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{dst}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(src, dst)
    return dst


def table_counts(query: Callable[[str], int]) -> dict[str, int]:
    return {name: query(f"SELECT count(*) FROM {name}") for name in TABLES}


# ----- 1. bulk import ------------------------------------------------------------------------------
def prebuilt_rows(rows: RowBuilder, items: Sequence[tuple[Case, Sequence[DomainEvent]]]) -> list[tuple[str, list[Row]]]:
    case_rows, clock_rows, party_rows = rows.case_rows(case for case, _ in items)
    history_rows, outbox_rows = rows.event_rows(e for _, events in items for e in events)
    return [
        (rows.cases.sql, case_rows),
        (rows.clocks.sql, clock_rows),
        (rows.parties.sql, party_rows),
        (rows.history.sql, history_rows),
        (rows.outbox.sql, outbox_rows),
    ]


def bench_bulk_sqlite(setup: Setup, items: list[Any], workdir: Path, repeats: int) -> dict[str, Any]:
    ours_path, raw_path = workdir / "bulk_ours.db", workdir / "bulk_raw.db"
    engine_dialect = open_database(str(new_sqlite(ours_path))).engine
    dialect = engine_dialect.dialect
    engine_dialect.dispose()
    log(f"bulk/sqlite: building the raw rows of {len(items):,} cases (untimed for raw; timed for reference)")
    t0 = time.perf_counter()
    statements = prebuilt_rows(RowBuilder(dialect, setup.indexer), items)
    build_s = time.perf_counter() - t0
    n_rows = sum(len(r) for _, r in statements)

    def ours() -> dict[str, int]:
        db = open_database(str(new_sqlite(ours_path)))
        t0 = time.perf_counter()
        import_cases(db, items, indexer=setup.indexer, progress=_progress(len(items)))
        elapsed = time.perf_counter() - t0
        with db.engine.connect() as conn:
            counts = table_counts(lambda q: int(conn.exec_driver_sql(q).scalar_one()))
        db.dispose()
        times["ours"].append(elapsed)
        return counts

    def raw() -> dict[str, int]:
        con = raw_sqlite(new_sqlite(raw_path))
        t0 = time.perf_counter()
        con.execute("BEGIN IMMEDIATE")
        for sql, rows in statements:
            con.executemany(sql, rows)
        con.execute("COMMIT")
        elapsed = time.perf_counter() - t0
        counts = table_counts(lambda q: int(con.execute(q).fetchone()[0]))
        con.close()
        times["raw"].append(elapsed)
        return counts

    times: dict[str, list[float]] = {"ours": [], "raw": []}
    results = {}
    for rep in range(repeats):
        log(f"bulk/sqlite: round {rep + 1}/{repeats}: raw executemany")
        results["raw"] = raw()
        log(f"bulk/sqlite: round {rep + 1}/{repeats}: import_cases")
        results["ours"] = ours()
    problems = []
    if results["ours"] != results["raw"]:
        problems.append(f"bulk/sqlite: row counts differ: ours {results['ours']}, raw {results['raw']}")
    with (
        contextlib.closing(sqlite3.connect(str(ours_path))) as a,
        contextlib.closing(sqlite3.connect(str(raw_path))) as b,
    ):
        for table, key in (("cases", "id"), ("case_clocks", "case_id, name"), ("history", "seq")):
            qa = a.execute(f"SELECT * FROM {table} ORDER BY {key}").fetchall()
            qb = b.execute(f"SELECT * FROM {table} ORDER BY {key}").fetchall()
            if qa != qb:
                problems.append(f"bulk/sqlite: table {table} differs between ours and raw")
    return {
        "n": len(items),
        "rows": n_rows,
        "ours": min(times["ours"]),
        "raw": min(times["raw"]),
        "build": build_s,
        "problems": problems,
    }


def _progress(total: int) -> Callable[[int], None]:
    step = max(total // 5, 1)
    mark = [step]

    def report(done: int) -> None:
        if done >= mark[0] or done == total:
            log(f"  ... {done:,}/{total:,} cases")
            mark[0] += step

    return report


def bench_bulk_pg(setup: Setup, items: list[Any], server: Any, repeats: int) -> dict[str, Any]:
    import psycopg

    ours_url = server.create_database("bench_bulk_ours")
    server.create_database("bench_bulk_raw")
    ours_db = open_database(ours_url)
    raw_db = open_database(server.url_for("bench_bulk_raw"))
    raw_db.dispose()
    log(f"bulk/postgresql: building the raw rows of {len(items):,} cases")
    statements = prebuilt_rows(RowBuilder(ours_db.engine.dialect, setup.indexer), items)
    n_rows = sum(len(r) for _, r in statements)
    truncate = f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"
    times: dict[str, list[float]] = {"ours": [], "raw": []}
    counts: dict[str, dict[str, int]] = {}
    with psycopg.connect(server.conninfo("bench_bulk_raw")) as con:
        for rep in range(repeats):
            log(f"bulk/postgresql: round {rep + 1}/{repeats}: raw executemany")
            con.execute(truncate)
            con.commit()
            t0 = time.perf_counter()
            with con.cursor() as cur:
                for sql, rows in statements:
                    cur.executemany(sql, rows)
            con.commit()
            times["raw"].append(time.perf_counter() - t0)
            counts["raw"] = table_counts(lambda q: int(con.execute(q).fetchone()[0]))  # type: ignore[index]
            con.rollback()
            log(f"bulk/postgresql: round {rep + 1}/{repeats}: import_cases")
            with ours_db.engine.begin() as conn:
                conn.exec_driver_sql(truncate)
            t0 = time.perf_counter()
            import_cases(ours_db, items, indexer=setup.indexer, progress=_progress(len(items)))
            times["ours"].append(time.perf_counter() - t0)
            with ours_db.engine.connect() as conn:
                counts["ours"] = table_counts(lambda q: int(conn.exec_driver_sql(q).scalar_one()))
    ours_db.dispose()
    problems = []
    if counts["ours"] != counts["raw"]:
        problems.append(f"bulk/postgresql: row counts differ: ours {counts['ours']}, raw {counts['raw']}")
    return {"n": len(items), "rows": n_rows, "ours": min(times["ours"]), "raw": min(times["raw"]), "problems": problems}


# ----- 2. one command per transaction -------------------------------------------------------------
class Recorder:
    """Records every statement an engine sends (with its driver-level parameters) and each COMMIT/ROLLBACK."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.log: list[tuple[str, Any, bool]] = []

    def _statement(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        self.log.append((statement, parameters, many))

    def _commit(self, conn: Any) -> None:
        self.log.append(("COMMIT", None, False))

    def _rollback(self, conn: Any) -> None:
        self.log.append(("ROLLBACK", None, False))

    @contextlib.contextmanager
    def recording(self) -> Iterator[Recorder]:
        hooks = (("before_cursor_execute", self._statement), ("commit", self._commit), ("rollback", self._rollback))
        for name, fn in hooks:
            event.listen(self.engine, name, fn)
        try:
            yield self
        finally:
            for name, fn in hooks:
                event.remove(self.engine, name, fn)

    def transactions(self) -> list[list[tuple[str, Any, bool]]]:
        out: list[list[tuple[str, Any, bool]]] = [[]]
        for entry in self.log:
            out[-1].append(entry)
            if entry[0] in ("COMMIT", "ROLLBACK"):
                out.append([])
        return [txn for txn in out if txn]


def run_lifecycles(db: Any, setup: Setup, ids: Sequence[UUID]) -> int:
    """6 commands per case, each its own transaction; returns the number of commands."""
    service = CaseService(
        uow=db.unit_of_work(setup.indexer),
        policies=setup.policies,
        calendars=setup.calendars,
        clock=FixedClock(CMD_AT),
        default_policy="manufacturing",
    )
    causer = Responsibility.sole(Party(PartyKind.DEPARTMENT, "production"))
    for ref in ids:
        service.start_investigation(ref, actor="quality")
        service.attribute(ref, actor="quality", causer=causer)
        service.propose(ref, actor="sales", kind=RemedyKind.COMPENSATION, amount=Decimal("1200.00"), note="credit")
        service.approve(ref, actor="manager", role="sales_manager")
        service.reply(ref, actor="sales", message="we credit 1200.00", reaction="accepted")
        service.close(ref, actor="gm_office")
    return 6 * len(ids)


def replay_sqlite(con: sqlite3.Connection, txns: list[list[tuple[str, Any, bool]]]) -> None:
    cur = con.cursor()
    for txn in txns:
        for sql, params, many in txn:
            if many:
                cur.executemany(sql, params)
            else:
                cur.execute(sql, params or ())
                cur.fetchall()


def replay_pg(con: Any, txns: list[list[tuple[str, Any, bool]]]) -> None:
    cur = con.cursor()
    for txn in txns:
        for sql, params, many in txn:
            if sql == "COMMIT":
                con.commit()
            elif sql == "ROLLBACK":
                con.rollback()
            elif many:
                cur.executemany(sql, params)
            else:
                cur.execute(sql, params or None)
                if cur.description is not None:
                    cur.fetchall()


def dump_cases_sqlite(path: Path) -> list[Any]:
    with contextlib.closing(sqlite3.connect(str(path))) as con:
        cases = con.execute("SELECT id, version, status, body FROM cases ORDER BY id").fetchall()
        history = con.execute("SELECT aggregate_id, version, type, body FROM history ORDER BY seq").fetchall()
        outbox = con.execute("SELECT message_id, payload FROM outbox ORDER BY seq").fetchall()
        clocks = con.execute("SELECT * FROM case_clocks ORDER BY case_id, name").fetchall()
    return [cases, history, outbox, clocks]


def bench_commands_sqlite(setup: Setup, n_cases: int, workdir: Path, repeats: int) -> dict[str, Any]:
    base = new_sqlite(workdir / "cmd_base.db")
    items = build_cases(setup, n_cases, only_manufacturing=True)
    db = open_database(str(base))
    import_cases(db, items, indexer=setup.indexer)
    db.dispose()
    ids = [case.case_id for case, _ in items]

    log(f"commands/sqlite: recording the statements of {6 * n_cases:,} commands")
    rec_db = open_database(str(copy_sqlite(base, workdir / "cmd_rec.db")))
    recorder = Recorder(rec_db.engine)
    with recorder.recording():
        n_commands = run_lifecycles(rec_db, setup, ids)
    rec_db.dispose()
    txns = recorder.transactions()
    expected = dump_cases_sqlite(workdir / "cmd_rec.db")

    times: dict[str, list[float]] = {"ours": [], "raw": []}
    problems: list[str] = []
    for rep in range(repeats):
        log(f"commands/sqlite: round {rep + 1}/{repeats}: raw replay")
        con = raw_sqlite(copy_sqlite(base, workdir / "cmd_raw.db"))
        t0 = time.perf_counter()
        replay_sqlite(con, txns)
        times["raw"].append(time.perf_counter() - t0)
        con.close()
        log(f"commands/sqlite: round {rep + 1}/{repeats}: CaseService on SqlUnitOfWork")
        db = open_database(str(copy_sqlite(base, workdir / "cmd_ours.db")))
        db.engine.dispose()  # start with an empty pool, like a fresh process
        t0 = time.perf_counter()
        run_lifecycles(db, setup, ids)
        times["ours"].append(time.perf_counter() - t0)
        db.dispose()
        if rep == 0:
            ours_state = dump_cases_sqlite(workdir / "cmd_ours.db")
            raw_state = dump_cases_sqlite(workdir / "cmd_raw.db")
            if ours_state != expected:
                problems.append("commands/sqlite: ours ended in a different state than the recorded run")
            if raw_state != expected:
                problems.append("commands/sqlite: the raw replay ended in a different state than the recorded run")
    per_txn = Counter(len(txn) for txn in txns)
    return {
        "n": n_commands,
        "txns": len(txns),
        "ours": min(times["ours"]),
        "raw": min(times["raw"]),
        "sample": txns[1] if len(txns) > 1 else txns[0],
        "per_txn": per_txn,
        "problems": problems,
    }


def bench_commands_pg(setup: Setup, n_cases: int, server: Any, repeats: int) -> dict[str, Any]:
    import psycopg

    items = build_cases(setup, n_cases, only_manufacturing=True)
    ids = [case.case_id for case, _ in items]
    names = {"rec": "bench_cmd_rec", "ours": "bench_cmd_ours", "raw": "bench_cmd_raw"}
    for name in names.values():
        server.create_database(name)
    dbs = {key: open_database(server.url_for(name)) for key, name in names.items()}
    truncate = f"TRUNCATE {', '.join(TABLES)}, serials RESTART IDENTITY CASCADE"

    def reset(key: str) -> None:
        with dbs[key].engine.begin() as conn:
            conn.exec_driver_sql(truncate)
        import_cases(dbs[key], items, indexer=setup.indexer)

    reset("rec")
    recorder = Recorder(dbs["rec"].engine)
    with recorder.recording():
        n_commands = run_lifecycles(dbs["rec"], setup, ids)
    txns = recorder.transactions()
    times: dict[str, list[float]] = {"ours": [], "raw": []}
    for rep in range(repeats):
        log(f"commands/postgresql: round {rep + 1}/{repeats}")
        reset("raw")
        with psycopg.connect(server.conninfo(names["raw"])) as con:
            t0 = time.perf_counter()
            replay_pg(con, txns)
            times["raw"].append(time.perf_counter() - t0)
        reset("ours")
        dbs["ours"].engine.dispose()
        t0 = time.perf_counter()
        run_lifecycles(dbs["ours"], setup, ids)
        times["ours"].append(time.perf_counter() - t0)
    problems = []
    states = {}
    for key in ("ours", "raw", "rec"):
        with dbs[key].engine.connect() as conn:
            states[key] = conn.exec_driver_sql("SELECT id, version, body FROM cases ORDER BY id").all()
    if not (states["ours"] == states["raw"] == states["rec"]):
        problems.append("commands/postgresql: end states differ between recorded, ours and raw")
    for db in dbs.values():
        db.dispose()
    return {
        "n": n_commands,
        "txns": len(txns),
        "ours": min(times["ours"]),
        "raw": min(times["raw"]),
        "problems": problems,
    }


# ----- 3 + 4. one million stored cases -------------------------------------------------------------
STATUSES_FINISHED = ("closed",) * 14 + ("settled",) * 2 + ("not_established",)  # 17 of 20
STATUSES_OPEN = ("registered", "investigating", "attributed")  # 3 of 20 (15%)
SEVERITIES = (None, "light", "medium", "severe")
CATEGORIES = ("quality", "non_quality", "grievance", "packaging", "service_quality", "product_quality")


def _text(moment: datetime) -> str:
    return sqlite_utc_text(moment)


def _naive_text(naive_utc: datetime) -> str:
    """The stored text of a naive UTC instant (the population loop works on naive datetimes for speed)."""
    return sqlite_utc_text(naive_utc.replace(tzinfo=UTC))


def populate_million(path: Path, n: int) -> dict[str, Any]:
    """``n`` cases (85% finished, 15% open) and one ``close`` clock each; 1% of all cases are open and overdue at NOW."""
    new_sqlite(path)
    con = sqlite3.connect(str(path), isolation_level=None)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-262144")
    indexes = con.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name IN ('cases', 'case_clocks')"
    ).fetchall()
    for name, _ in indexes:
        con.execute(f"DROP INDEX {name}")
    span = (NOW - timedelta(days=40) - BASE).total_seconds()
    step = span / n
    base_naive = BASE.replace(tzinfo=None)
    now_naive = NOW.replace(tzinfo=None)
    overdue: list[str] = []

    def rows() -> Iterator[tuple[Row, Row]]:
        for i in range(n):
            received = base_naive + timedelta(seconds=i * step)
            bucket = i % 20
            due = received + timedelta(days=13)
            if bucket < 17:
                status = STATUSES_FINISHED[bucket]
                closed: str | None = _naive_text(received + timedelta(days=1 + i % 12))
                stopped = closed
            else:
                status = STATUSES_OPEN[bucket - 17]
                closed = stopped = None
                if i % 100 == 99:  # 1% of all cases: open, clock running, due before NOW
                    due = now_naive - timedelta(minutes=1 + i % 5000)
                    overdue.append(f"{i:032x}")
                else:
                    due = now_naive + timedelta(minutes=1 + i % 20000)
            case_id = f"{i:032x}"
            received_text = _naive_text(received)
            case = (
                case_id, f"M{i:08d}", "manufacturing", 1, status, f"customer-{i % 997}",
                CATEGORIES[i % 6], "external", "foreign" if i % 7 == 0 else "domestic", "phone",
                SEVERITIES[(i // 3) % 4], received_text, closed, None, None, 3, "{}",
            )  # fmt: skip
            clock = (case_id, "close", received_text, _naive_text(due), stopped, 0, 0)
            yield case, clock

    t0 = time.perf_counter()
    con.execute("BEGIN")
    batch = 50_000
    it = rows()
    done = 0
    while True:
        chunk = [pair for _, pair in zip(range(batch), it, strict=False)]
        if not chunk:
            break
        con.executemany("INSERT INTO cases VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", [c for c, _ in chunk])
        con.executemany("INSERT INTO case_clocks VALUES (?,?,?,?,?,?,?)", [k for _, k in chunk])
        done += len(chunk)
        if done % (batch * 4) == 0 or done == n:
            log(f"  ... {done:,}/{n:,} rows")
    con.execute("COMMIT")
    insert_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _, sql in indexes:
        con.execute(sql)
    con.execute("ANALYZE")
    index_s = time.perf_counter() - t0
    con.execute("PRAGMA journal_mode=WAL")
    con.close()
    return {"insert": insert_s, "index": index_s, "overdue": len(overdue)}


def explain_sqlite(path: Path, sql: str, params: Any) -> list[str]:
    with contextlib.closing(sqlite3.connect(str(path))) as con:
        return [row[3] for row in con.execute(f"EXPLAIN QUERY PLAN {sql}", params)]


def captured(engine: Engine, work: Callable[[], Any]) -> list[tuple[str, Any]]:
    recorder = Recorder(engine)
    with recorder.recording():
        work()
    return [(s, p) for s, p, _ in recorder.log if not s.startswith(("BEGIN", "COMMIT", "ROLLBACK"))]


RAW_OVERDUE = "SELECT case_id, name, due_at FROM case_clocks WHERE stopped_at IS NULL AND due_at < ? ORDER BY due_at"
RAW_REPORT_ONE = (
    "SELECT category, severity, market, status, count(*) FROM cases "
    "WHERE closed_at >= ? AND closed_at < ? GROUP BY category, severity, market, status"
)
RAW_REPORT_FOUR = tuple(
    f"SELECT {d}, count(*) FROM cases WHERE closed_at >= ? AND closed_at < ? GROUP BY {d}" for d in DIMENSIONS
)


def bench_queries_sqlite(path: Path, repeats: int) -> dict[str, Any]:
    db = open_database(str(path))
    uow = db.unit_of_work()
    con = raw_sqlite(path)
    now_text = _text(NOW)
    start, end = REPORT_MONTH
    bounds = (_text(start), _text(end))

    def ours_overdue() -> list[tuple[str, str, datetime]]:
        with uow:
            return uow.cases.overdue(NOW)

    def raw_overdue() -> list[tuple[str, str, str]]:
        return con.execute(RAW_OVERDUE, (now_text,)).fetchall()

    def raw_overdue_dt() -> list[tuple[str, str, datetime]]:
        rows = con.execute(RAW_OVERDUE, (now_text,)).fetchall()
        return [(a, b, datetime.fromisoformat(c)) for a, b, c in rows]

    def ours_report() -> dict[str, dict[str | None, int]]:
        with db.engine.connect() as conn:
            return monthly_counts(conn, start, end)

    def raw_report_one() -> dict[str, dict[str | None, int]]:
        out: dict[str, dict[str | None, int]] = {d: {} for d in DIMENSIONS}
        for *keys, n in con.execute(RAW_REPORT_ONE, bounds):
            for d, key in zip(DIMENSIONS, keys, strict=True):
                out[d][key] = out[d].get(key, 0) + n
        return out

    def raw_report_four() -> dict[str, dict[str | None, int]]:
        return {
            d: dict(con.execute(sql, bounds).fetchall()) for d, sql in zip(DIMENSIONS, RAW_REPORT_FOUR, strict=True)
        }

    log("queries/sqlite: overdue")
    overdue = best_of({"raw": raw_overdue, "raw_dt": raw_overdue_dt, "ours": ours_overdue}, repeats)
    log("queries/sqlite: monthly report")
    report = best_of({"raw_one": raw_report_one, "raw_four": raw_report_four, "ours": ours_report}, repeats)
    problems = []
    if overdue["ours"][1] != overdue["raw_dt"][1]:
        problems.append("overdue: ours and raw return different rows")
    if [(a, b, _text(c)) for a, b, c in overdue["ours"][1]] != overdue["raw"][1]:
        problems.append("overdue: ours and raw (text) return different rows")
    if not (report["ours"][1] == report["raw_one"][1] == report["raw_four"][1]):
        problems.append("monthly report: ours and raw counts differ")

    plans = {}
    (ours_sql, ours_params), *_ = captured(db.engine, ours_overdue)
    plans["overdue, ours"] = explain_sqlite(path, ours_sql, ours_params)
    plans["overdue, raw"] = explain_sqlite(path, RAW_OVERDUE, (now_text,))
    (rep_sql, rep_params), *_ = captured(db.engine, ours_report)
    plans["report, ours"] = explain_sqlite(path, rep_sql, rep_params)
    plans["report, raw (one GROUP BY)"] = explain_sqlite(path, RAW_REPORT_ONE, bounds)
    con.close()
    db.dispose()
    raw_report_key = "raw_one" if report["raw_one"][0] <= report["raw_four"][0] else "raw_four"
    return {
        "overdue": {k: v[0] for k, v in overdue.items()},
        "overdue_rows": len(overdue["ours"][1]),
        "report": {k: v[0] for k, v in report.items()},
        "report_raw": raw_report_key,
        "report_total": sum(report["ours"][1]["status"].values()),
        "sql": {"overdue": ours_sql, "report": rep_sql},
        "plans": plans,
        "problems": problems,
    }


# ----- output ------------------------------------------------------------------------------------------
WIDTHS = (30, 64, 11, 13, 7, 9)


def row(cols: Sequence[str]) -> str:
    return "  ".join(
        c.ljust(w) if i in (0, 1) else c.rjust(w) for i, (c, w) in enumerate(zip(cols, WIDTHS, strict=True))
    )


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=float(os.environ.get("BENCH_SQL_SCALE", "1")))
    parser.add_argument(
        "--repeats", type=int, default=2, help="rounds of the SQLite bulk import (best kept; default 2)"
    )
    parser.add_argument("--pg-repeats", type=int, default=1, help="rounds of the PostgreSQL bulk import (default 1)")
    parser.add_argument("--command-repeats", type=int, default=3, help="rounds of the command benchmark (default 3)")
    parser.add_argument("--query-repeats", type=int, default=7, help="rounds of the query benchmarks (best kept)")
    parser.add_argument("--no-pg", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--dir", type=Path, default=None, help="where the database files go (default: a temp dir)")
    parser.add_argument("--profile", action="store_true", help="cProfile one extra bulk import, print top functions")
    args = parser.parse_args(argv)
    if args.scale <= 0 or min(args.repeats, args.pg_repeats, args.command_repeats, args.query_repeats) < 1:
        parser.error("--scale must be > 0 and the repeats >= 1")
    n_bulk = max(int(BULK_CASES * args.scale), 10)
    n_cmd = max(int(COMMAND_CASES * args.scale), 5)
    n_stored = max(int(STORED_CASES * args.scale), 1000)

    workdir = Path(tempfile.mkdtemp(prefix="bench_sql-", dir=args.dir))
    started = time.perf_counter()
    problems: list[str] = []
    results: dict[str, Any] = {}
    server = None
    try:
        setup = Setup()
        log(f"building {n_bulk:,} cases through the pure core (receive + register)")
        t0 = time.perf_counter()
        items = build_cases(setup, n_bulk)
        results["build_cases"] = time.perf_counter() - t0
        results["bulk_sqlite"] = bench_bulk_sqlite(setup, items, workdir, args.repeats)
        if args.profile:
            profile_bulk(setup, items, workdir)
        results["commands_sqlite"] = bench_commands_sqlite(setup, n_cmd, workdir, args.command_repeats)
        if not args.no_pg:
            try:
                import pgserver  # type: ignore[import-not-found]

                log("starting a throwaway PostgreSQL server (tests/pgserver.py)")
                server = pgserver.PgServer().start()
                results["pg_start"] = server.startup_seconds
                results["bulk_pg"] = bench_bulk_pg(setup, items, server, args.pg_repeats)
                results["commands_pg"] = bench_commands_pg(setup, n_cmd, server, args.command_repeats)
            except Exception as error:  # report and go on with SQLite
                results["pg_error"] = f"{type(error).__name__}: {error}"
                log(f"PostgreSQL part failed: {results['pg_error']}")
            finally:
                if server is not None:
                    server.stop()
                    server = None
        del items
        log(f"populating {n_stored:,} cases with raw sqlite3 (synchronous=OFF, indexes built afterwards)")
        big = workdir / "million.db"
        results["populate"] = populate_million(big, n_stored)
        results["queries"] = bench_queries_sqlite(big, args.query_repeats)
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    report(results, n_bulk, n_cmd, n_stored, args, time.perf_counter() - started)
    for key in ("bulk_sqlite", "commands_sqlite", "bulk_pg", "commands_pg", "queries"):
        problems += results.get(key, {}).get("problems", [])
    if problems:
        print(f"WRONG RESULTS: {len(problems)} problem(s):")
        for p in problems:
            print(f"  {p}")
        return 1
    print("results agree: same rows in every table (bulk), same end states (commands), same overdue rows and counts")
    return 0


def profile_bulk(setup: Setup, items: list[Any], workdir: Path) -> None:
    db = open_database(str(new_sqlite(workdir / "bulk_profile.db")))
    profiler = cProfile.Profile()
    profiler.enable()
    import_cases(db, items, indexer=setup.indexer)
    profiler.disable()
    db.dispose()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
    print(out.getvalue(), file=sys.stderr)


def report(results: dict[str, Any], n_bulk: int, n_cmd: int, n_stored: int, args: Any, total_s: float) -> None:
    print("bench_sql: the SQL adapter against raw sqlite3 / psycopg, same run")
    print(
        f"  python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {platform.machine()}, {os.cpu_count()} cpus"
    )
    print(f"  scale {args.scale}: bulk {n_bulk:,} cases, commands on {n_cmd:,} cases, queries on {n_stored:,} cases")
    print(
        f"  best of interleaved rounds: bulk SQLite {args.repeats}, bulk PG {args.pg_repeats}, commands"
        f" {args.command_repeats}; queries: warm-up + best of {args.query_repeats}"
    )
    print(
        f"  building the {n_bulk:,} Case aggregates in the pure core (both sides, untimed): {results['build_cases']:.1f} s"
    )
    print()
    print(row(("benchmark", "variant", "time", "rate", "ratio", "target")))
    print(row(tuple("-" * w for w in WIDTHS)))

    def bulk(name: str, r: dict[str, Any], driver: str) -> None:
        per = r["rows"] / r["n"]
        ratio = r["raw"] / r["ours"]
        print(
            row(
                (
                    name,
                    f"raw {driver} executemany, prebuilt rows, 1 txn",
                    f"{r['raw']:.2f} s",
                    f"{r['n'] / r['raw']:,.0f}/s",
                    "1.00",
                    "",
                )
            )
        )
        print(
            row(
                (
                    name,
                    "import_cases: rows built from the Case aggregates + events",
                    f"{r['ours']:.2f} s",
                    f"{r['n'] / r['ours']:,.0f}/s",
                    f"{ratio:.2f}",
                    f">={TARGET_BULK} {verdict(ratio >= TARGET_BULK)}",
                )
            )
        )
        if "build" in r:
            print(
                row(
                    (
                        name,
                        "  (of which: building the rows alone, no database)",
                        f"{r['build']:.2f} s",
                        f"{r['n'] / r['build']:,.0f}/s",
                        "",
                        "",
                    )
                )
            )
        print(row((name, f"  ({per:.1f} rows per case: case, clock, parties, 2 history, 2 outbox)", "", "", "", "")))

    def commands(name: str, r: dict[str, Any], driver: str, target: bool) -> None:
        ratio = r["raw"] / r["ours"]
        print(
            row(
                (
                    name,
                    f"raw {driver}: replay of the recorded statements",
                    f"{r['raw']:.2f} s",
                    f"{r['n'] / r['raw']:,.0f}/s",
                    "1.00",
                    "",
                )
            )
        )
        goal = f">={TARGET_COMMANDS} {verdict(ratio >= TARGET_COMMANDS)}" if target else "(info)"
        print(
            row(
                (
                    name,
                    "CaseService + SqlUnitOfWork, 1 command per txn",
                    f"{r['ours']:.2f} s",
                    f"{r['n'] / r['ours']:,.0f}/s",
                    f"{ratio:.2f}",
                    goal,
                )
            )
        )

    bulk(f"bulk import {n_bulk:,}, SQLite", results["bulk_sqlite"], "sqlite3")
    if "bulk_pg" in results:
        bulk(f"bulk import {n_bulk:,}, PG", results["bulk_pg"], "psycopg")
    commands(f"{results['commands_sqlite']['n']:,} commands, SQLite", results["commands_sqlite"], "sqlite3", True)
    if "commands_pg" in results:
        commands(f"{results['commands_pg']['n']:,} commands, PG", results["commands_pg"], "psycopg", False)
    q = results["queries"]
    o = q["overdue"]
    name = f"overdue, {n_stored:,} cases"
    print(
        row(
            (
                name,
                f"raw sqlite3 fetchall ({q['overdue_rows']:,} rows, due_at as text)",
                f"{o['raw'] * 1e3:.1f} ms",
                "",
                "1.00",
                "",
            )
        )
    )
    print(
        row(
            (
                name,
                "  raw + datetime.fromisoformat per row (for reference)",
                f"{o['raw_dt'] * 1e3:.1f} ms",
                "",
                f"{o['raw_dt'] / o['raw']:.2f}",
                "",
            )
        )
    )
    ratio = o["ours"] / o["raw"]
    print(
        row(
            (
                name,
                "SqlCaseRepository.overdue(NOW) in a unit of work",
                f"{o['ours'] * 1e3:.1f} ms",
                "",
                f"{ratio:.2f}",
                f"<={TARGET_QUERY} {verdict(ratio <= TARGET_QUERY)}",
            )
        )
    )
    same = o["ours"] / o["raw_dt"]
    print(
        row(
            (
                name,
                "  ours against raw returning the same values (aware datetimes)",
                "",
                "",
                f"{same:.2f}",
                f"<={TARGET_QUERY} {verdict(same <= TARGET_QUERY)}",
            )
        )
    )
    r = q["report"]
    name = f"monthly report, {n_stored:,}"
    raw_key = q["report_raw"]
    for key, label in (
        ("raw_one", "raw: one GROUP BY of the 4 dimensions + sums"),
        ("raw_four", "raw: 4 GROUP BY queries, one per dimension"),
    ):
        mark = " (baseline)" if key == raw_key else ""
        print(row((name, label + mark, f"{r[key] * 1e3:.1f} ms", "", f"{r[key] / r[raw_key]:.2f}", "")))
    ratio = r["ours"] / r[raw_key]
    print(
        row(
            (
                name,
                f"report_queries.monthly_counts ({q['report_total']:,} cases closed)",
                f"{r['ours'] * 1e3:.1f} ms",
                "",
                f"{ratio:.2f}",
                f"<={TARGET_QUERY} {verdict(ratio <= TARGET_QUERY)}",
            )
        )
    )
    print()
    p = results["populate"]
    print(
        f"populating {n_stored:,} cases + clocks: insert {p['insert']:.1f} s, indexes + ANALYZE {p['index']:.1f} s; {p['overdue']:,} overdue"
    )
    if "pg_error" in results:
        print(f"PostgreSQL: FAILED, skipped: {results['pg_error']}")
    elif "pg_start" in results:
        print(
            f"PostgreSQL: throwaway server from tests/pgserver.py (fsync=off, synchronous_commit=off), started in {results['pg_start']:.1f} s"
        )
    c = results["commands_sqlite"]
    print(
        f"statements per command transaction (SQLite): {dict(sorted(c['per_txn'].items()))} (incl. BEGIN IMMEDIATE and COMMIT)"
    )
    print("one recorded transaction (attribute):")
    for sql, _, many in c["sample"]:
        print(f"  {'executemany ' if many else ''}{' '.join(sql.split())[:150]}")
    print("query plans (EXPLAIN QUERY PLAN):")
    for label, plan in q["plans"].items():
        print(f"  {label}: {' | '.join(plan)}")
    print(f"  ours, overdue SQL: {' '.join(q['sql']['overdue'].split())}")
    print(f"  ours, report SQL:  {' '.join(q['sql']['report'].split())}")
    print(f"total wall time {total_s:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
