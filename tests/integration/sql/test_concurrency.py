"""Several processes on one database: no lost update, no duplicate number, sweeps and relays never share a row.

Each worker is a ``spawn``-ed process with its own ``open_database(url)``; they start together at a barrier.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from typing import Any

import sqlkit
from sqlalchemy import func, select, text, update
from sqlkit import AT, INTAKE, database, sh, sql_uow

from adapters.sql import tables as t

PROCESSES = 4
SPAWN = multiprocessing.get_context("spawn")


def run_workers(target: Callable[..., None], *args: Any, timeout: float = 120) -> list[Any]:
    barrier = SPAWN.Barrier(PROCESSES)
    queue = SPAWN.Queue()
    procs = [SPAWN.Process(target=target, args=(*args, barrier, queue)) for _ in range(PROCESSES)]
    for p in procs:
        p.start()
    try:
        results = [queue.get(timeout=timeout) for _ in procs]
    finally:
        for p in procs:
            p.join(10)
            if p.is_alive():
                p.kill()
                p.join()
    errors = [detail for status, detail in results if status != "ok"]
    assert not errors, "\n".join(errors)
    return [detail for _, detail in results]


def test_no_lost_update_under_four_writers(sql_url: str) -> None:
    per_process = 250
    with database(sql_url) as db:
        case = sqlkit.receive_case(sqlkit.service_on(sql_uow(db)))
    started = time.monotonic()
    results = run_workers(sqlkit.classify_repeatedly, sql_url, str(case.case_id), per_process)
    elapsed = time.monotonic() - started
    accepted = sum(r[0] for r in results)
    refused = sum(r[1] for r in results)
    others = [e for r in results for e in r[2]]
    assert others == [], f"refused otherwise than with ConcurrencyConflict: {others[:5]}"
    assert accepted + refused == PROCESSES * per_process
    assert accepted > 0
    with database(sql_url) as db:
        assert sqlkit.stored_version(db, case.case_id) == 1 + accepted
        assert sqlkit.history_versions(db, case.case_id) == list(range(1, accepted + 2))
        assert sqlkit.outbox_versions(db, case.case_id) == list(range(1, accepted + 2))
        dialect = db.dialect
    print(f"{dialect}: {accepted} accepted, {refused} conflicts in {elapsed:.1f}s")


def test_four_registrars_get_distinct_numbers(sql_url: str) -> None:
    per_process = 250
    started = time.monotonic()
    with database(sql_url):
        pass  # migrate once before the workers start
    results = run_workers(sqlkit.register_many, sql_url, per_process)
    elapsed = time.monotonic() - started
    numbers = [n for r in results for n in r]
    assert len(numbers) == PROCESSES * per_process
    assert None not in numbers
    assert len(set(numbers)) == len(numbers), "a number was given twice"
    expected = {f"2611{n:02}" for n in range(1, PROCESSES * per_process + 1)}
    assert set(numbers) == expected
    with database(sql_url) as db, db.engine.connect() as conn:
        assert conn.execute(select(t.serials.c.policy_id, t.serials.c.period, t.serials.c.last)).all() == [
            ("manufacturing", "2026-11", PROCESSES * per_process)
        ]
        numbered = conn.execute(select(func.count()).where(t.cases.c.number.is_not(None))).scalar_one()
        assert numbered == PROCESSES * per_process
    print(f"registered {len(numbers)} cases in {elapsed:.1f}s")


# ----- PostgreSQL: SKIP LOCKED -------------------------------------------------------------------------------------
def make_due_cases(db: Any, count: int) -> tuple[set[Any], set[Any]]:
    """``count`` cases due at 2026-11-30 and two not due; returns (due ids, all ids)."""
    service = sqlkit.service_on(sql_uow(db))
    due, everything = set(), set()
    for i in range(count):
        case = service.receive(INTAKE, actor="s", at=sh(2026, 11, 2), policy_id="manufacturing")
        service.register(case.case_id, actor="g", at=sh(2026, 11, 2, 10 + i % 5))
        due.add(case.case_id)
        everything.add(case.case_id)
    for _ in range(2):
        case = service.receive(INTAKE, actor="s", at=sh(2026, 11, 25), policy_id="manufacturing")
        service.register(case.case_id, actor="g", at=sh(2026, 11, 25))
        everything.add(case.case_id)
    return due, everything


def test_two_sweeps_never_claim_the_same_case(pg_url: str) -> None:
    as_of = sh(2026, 11, 30)
    with database(pg_url) as db:
        due, _ = make_due_cases(db, 6)
        first, second = sql_uow(db), sql_uow(db)
        with first:
            a = {c.case_id for c in first.cases.sweep_candidates(as_of)}  # A keeps its transaction open
            with second:
                b = {c.case_id for c in second.cases.sweep_candidates(as_of)}
        assert a == due and b == set(), "the first sweep claims every due case; the second finds them taken"
        # once the first has finished, the cases are free again
        with second:
            assert {c.case_id for c in second.cases.sweep_candidates(as_of)} == due


def test_two_concurrent_sweeps_split_the_due_cases(pg_url: str) -> None:
    """A third session holds half of the due cases while sweep A claims; then it lets go and sweep B claims."""
    as_of = sh(2026, 11, 30)
    with database(pg_url) as db:
        due, _ = make_due_cases(db, 8)
        held = set(sorted(due)[:4])
        first, second = sql_uow(db), sql_uow(db)
        with db.engine.connect() as locker:
            locker.execute(select(t.cases.c.id).where(t.cases.c.id.in_([str(i) for i in held])).with_for_update()).all()
            first.__enter__()
            try:
                a = {c.case_id for c in first.cases.sweep_candidates(as_of)}
                locker.rollback()  # let go of the held half
                with second:
                    b = {c.case_id for c in second.cases.sweep_candidates(as_of)}
            finally:
                first.__exit__(None, None, None)
    assert a == due - held
    assert b == held
    assert a.isdisjoint(b) and a | b == due


def test_two_relays_never_claim_the_same_outbox_row(pg_url: str) -> None:
    """No relay exists yet: two sessions claim pending outbox rows with FOR UPDATE SKIP LOCKED at the SQL level."""
    with database(pg_url) as db:
        make_due_cases(db, 5)  # 5 × 2 + 2 × 2 = 14 events
        o = t.outbox.c
        with db.engine.connect() as conn:
            conn.execute(
                update(t.outbox)
                .where(o.seq == select(o.seq).order_by(o.seq).limit(1).scalar_subquery())
                .values(relayed_at=AT)
            )
            conn.commit()
            pending = set(conn.execute(select(o.seq).where(o.relayed_at.is_(None))).scalars())
        assert len(pending) == 13

        def claim(conn: Any, limit: int | None) -> set[int]:
            query = select(o.seq).where(o.relayed_at.is_(None)).order_by(o.seq).with_for_update(skip_locked=True)
            if limit is not None:
                query = query.limit(limit)
            return set(conn.execute(query).scalars())

        with db.engine.connect() as one, db.engine.connect() as two:
            a = claim(one, 5)
            b = claim(two, 5)
            c = claim(two, None)  # the same session sees its own locks: the rest, never A's
            assert len(a) == len(b) == 5
            assert a.isdisjoint(b) and a.isdisjoint(c)
            assert a | c == pending
            one.rollback()
            assert claim(one, None) == pending - c


def test_postgres_runs_read_committed(pg_url: str) -> None:
    """The lost-update check relies on the row re-check of READ COMMITTED (the server default)."""
    with database(pg_url) as db, db.engine.connect() as conn:
        assert conn.execute(text("SHOW transaction_isolation")).scalar_one().upper() == "READ COMMITTED"


def test_workers_starting_together_on_a_fresh_database_all_find_the_schema(sql_url: str) -> None:
    """SQL audit: four processes opening a fresh PostgreSQL database at once all created the schema, and all but
    one failed (exit 1, a duplicate alembic_version type). The upgrade now takes an advisory lock."""
    from adapters.sql.head import HEAD

    assert run_workers(sqlkit.open_fresh, sql_url) == [HEAD] * PROCESSES


def test_documents_stored_at_once_each_get_their_own_version(sql_url: str) -> None:
    """SQL audit: `org import` (or `calendar import`) run twice at once on PostgreSQL read the same last version,
    and one failed on the primary key (exit 1)."""
    with database(sql_url):
        pass  # the schema first: this test is about the documents
    stored = run_workers(sqlkit.store_versions, sql_url, 5)
    assert sorted(v for versions in stored for v in versions) == list(range(1, 5 * PROCESSES + 1))


def test_a_library_read_of_the_ledger_in_a_read_only_unit_of_work_waits_for_no_close(sql_url: str) -> None:
    """Left alone in earlier notes: ``PenaltyService.ledger()`` read in a writing unit of work, which takes the
    ledger's turn (PostgreSQL advisory lock, SQLite ``BEGIN IMMEDIATE``), so an embedder's listing waited for a
    month's close. The reads take the caller's unit of work, as ``CaseService.get`` does."""
    from concurrent.futures import ThreadPoolExecutor

    from complaint_core import PenaltyService

    with database(sql_url) as db:
        penalties = PenaltyService(sqlkit.service_on(sql_uow(db)), organisation=None)  # type: ignore[arg-type]
        closing = sql_uow(db)
        with closing, ThreadPoolExecutor(1) as pool:
            closing.ledger.load()  # a close has begun: it holds the ledger's turn until it ends

            def read() -> tuple[str, ...]:
                with sql_uow(db).read_only() as uow:
                    return penalties.ledger(uow=uow).closed_months

            assert pool.submit(read).result(timeout=20) == ()
