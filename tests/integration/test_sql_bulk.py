"""The bulk import path (``adapters.sql.bulk``) and the monthly report query (``adapters.sql.report_queries``).

Cases are built through the pure core with several presets (different numbering moments, severities,
full lifecycles to closed, settled and not established), imported in one transaction, and read back
through the repository: every case equal to the original, the history equal to the events, one outbox
row per event, the clock rows equal to what the unit of work would have written.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select

from adapters.calendars import CalendarRegistry
from adapters.memory import MemoryPolicies
from adapters.policy_files import PRESETS, load_preset
from adapters.sql import Database, open_database
from adapters.sql import tables as t
from adapters.sql.bulk import import_cases
from adapters.sql.indexing import clock_indexer
from adapters.sql.report_queries import DIMENSIONS, monthly_counts
from adapters.sql.rows import finished_at
from adapters.sql.types import UTCDateTime, sqlite_utc_text
from complaint_core.case import Case, RemedyKind
from complaint_core.errors import ConcurrencyConflict
from complaint_core.events import DomainEvent
from complaint_core.intake import Intake
from complaint_core.policy import Market, Policy
from complaint_core.responsibility import Party, PartyKind, Responsibility

BASE = datetime(2026, 1, 5, 1, 30, tzinfo=UTC)
Item = tuple[Case, tuple[DomainEvent, ...]]


@pytest.fixture(scope="module")
def policies() -> dict[str, Policy]:
    return {name: load_preset(name) for name in PRESETS}


@pytest.fixture(scope="module")
def indexer(policies: dict[str, Policy]) -> Callable[[Case], Any]:
    return clock_indexer(MemoryPolicies(list(policies.values())), CalendarRegistry())


def build(policies: dict[str, Policy], n: int, *, first: int = 0) -> list[Item]:
    """``n`` cases over all presets; some stay received/registered, some run to closed, settled or not established."""
    out: list[Item] = []
    names = sorted(policies)
    for k in range(n):
        i = first + k
        policy = policies[names[i % len(names)]]
        at = BASE + timedelta(days=i % 90, hours=i % 7)
        intake = Intake(
            customer=f"customer-{i % 13}",
            channel=policy.channels[i % len(policy.channels)],
            category=policy.categories[i % len(policy.categories)].code,
            description=f"complaint {i}: 货不对板",
            market=Market.FOREIGN if i % 4 == 0 else Market.DOMESTIC,
            claimed_amount=Decimal("300.50") if i % 3 == 0 else None,
        )
        number = f"T{i:06d}"
        at_receive = policy.numbering.assign_at == "received"
        case, events = Case.receive(
            policy, case_id=UUID(int=i + 1), intake=intake, at=at, actor="clerk", number=number if at_receive else None
        )
        step = 0

        def run(
            command: Callable[..., tuple[Case, tuple[DomainEvent, ...]]],
            policy: Policy = policy,
            at: datetime = at,
            **kwargs: Any,
        ) -> None:
            nonlocal case, events, step
            step += 1
            case, more = command(policy, at=at + timedelta(days=step, hours=1), **kwargs)
            events += more

        stage = i % 5
        if stage >= 1:
            run(case.register, actor="gm_office", number=None if at_receive else number)
        if policy.severities and i % 2 == 0:
            run(case.classify, actor="cs", severity=policy.severities[i % len(policy.severities)].code)
        if stage == 2:
            run(case.find_not_established, actor="cs", reason="the goods match the order")
        if stage >= 3:
            run(case.start_investigation, actor="quality")
            run(case.attribute, actor="quality", causer=Responsibility.sole(Party(PartyKind.DEPARTMENT, "production")))
            run(case.propose, actor="sales", kind=RemedyKind.COMPENSATION, amount=Decimal("100.00"), note="credit")
            run(case.approve, actor="manager", role=policy.approval[0].role)
            run(case.reply_to_customer, actor="sales", message="we credit 100.00", reaction="accepted")
            run(case.close, actor="gm_office")
            if stage == 4:
                run(case.settle, actor="finance")
        out.append((case, events))
    return out


@pytest.fixture(scope="module")
def items(policies: dict[str, Policy]) -> list[Item]:
    return build(policies, 120)


@pytest.fixture
def db(tmp_path: Path) -> Any:
    database = open_database(str(tmp_path / "bulk.db"))
    yield database
    database.dispose()


def check_imported(database: Database, items: list[Item], indexer: Callable[[Case], Any]) -> None:
    n_events = sum(len(events) for _, events in items)
    with database.unit_of_work(indexer) as uow:
        for case, events in items:
            assert uow.cases.get(case.case_id) == case
            assert uow.history(case.case_id) == list(events)
            if case.number is not None:
                assert uow.cases.find_by_number(case.number) == case
        assert uow.count("cases") == len(items)
        assert uow.count("history") == n_events
        assert uow.count("outbox") == n_events
        conn = uow.connection
        numbers = [n for (n,) in conn.execute(select(t.cases.c.number)) if n is not None]
        assert len(numbers) == len(set(numbers)) == sum(1 for case, _ in items if case.number is not None)
        outbox_ids = [m for (m,) in conn.execute(select(t.outbox.c.message_id))]
        assert len(set(outbox_ids)) == n_events
        # the clock rows are what the unit of work writes: one per clock, with the indexer's due time
        clocks = {(r.case_id, r.name): r for r in conn.execute(select(t.case_clocks))}
        expected = {}
        for case, _ in items:
            index = indexer(case)
            for state in case.clocks:
                due = index[state.name].due_at if state.name in index else None
                expected[(str(case.case_id), state.name)] = (state.started_at, state.stopped_at, due, state.level)
        assert {k: (r.started_at, r.stopped_at, r.due_at, r.level) for k, r in clocks.items()} == expected
        # the same rows the unit of work writes for cases.add (compare with one case added the ordinary way)
        parties = Counter(r.role for r in conn.execute(select(t.case_parties)))
        assert parties["causer"] == sum(1 for case, _ in items if case.causer is not None)


def test_bulk_import_round_trips_every_case_event_and_clock(
    db: Any, items: list[Item], indexer: Callable[[Case], Any]
) -> None:
    seen: list[int] = []
    assert import_cases(db, items, indexer=indexer, batch_size=17, progress=seen.append) == len(items)
    assert seen[-1] == len(items) and seen == sorted(seen) and len(seen) == -(-len(items) // 17)
    check_imported(db, items, indexer)
    statuses = Counter(case.status.value for case, _ in items)
    assert {"received", "registered", "closed", "settled", "not_established"} <= set(statuses)


def test_bulk_rows_equal_the_unit_of_work_rows(
    tmp_path: Path, items: list[Item], indexer: Callable[[Case], Any]
) -> None:
    """The same cases written by ``cases.add`` + ``outbox.add`` give the very same rows (apart from serial keys)."""
    bulk = open_database(str(tmp_path / "a.db"))
    ordinary = open_database(str(tmp_path / "b.db"))
    import_cases(bulk.engine, items, indexer=indexer)
    with ordinary.unit_of_work(indexer) as uow:
        for case, events in items:
            uow.cases.add(case)
            uow.outbox.add(events)
        uow.commit()
    for table, skip in (
        (t.cases, ()),
        (t.case_clocks, ()),
        (t.case_parties, ()),
        (t.history, ("seq",)),
        (t.outbox, ("seq",)),
    ):
        columns = [c for c in table.columns if c.name not in skip]
        query = select(*columns).order_by(*columns[:4])
        with bulk.engine.connect() as a, ordinary.engine.connect() as b:
            assert a.execute(query).all() == b.execute(query).all(), table.name
        # and the stored text is byte-identical (datetimes in the same format)
        with bulk.engine.connect() as a, ordinary.engine.connect() as b:
            raw = f"SELECT * FROM {table.name} ORDER BY 1, 2"
            strip = [i for i, c in enumerate(table.columns) if c.name in skip]
            rows_a = [tuple(v for i, v in enumerate(r) if i not in strip) for r in a.exec_driver_sql(raw)]
            rows_b = [tuple(v for i, v in enumerate(r) if i not in strip) for r in b.exec_driver_sql(raw)]
            assert sorted(rows_a, key=repr) == sorted(rows_b, key=repr), table.name
    bulk.dispose()
    ordinary.dispose()


def test_duplicate_numbers_or_ids_are_refused_and_nothing_is_written(
    db: Any, policies: dict[str, Policy], items: list[Item], indexer: Callable[[Case], Any]
) -> None:
    import_cases(db, items[:10], indexer=indexer)
    clash, _ = items[3]
    other = build(policies, 1, first=500)[0][0]
    same_number = (other.__class__(**{**other.__dict__, "number": clash.number}), ())
    for batch in ([*items[10:20], same_number], [*items[20:30], items[4]], [*items[30:40], items[35]]):
        with pytest.raises(ConcurrencyConflict):
            import_cases(db, batch, indexer=indexer, batch_size=4)
    with db.unit_of_work() as uow:
        assert uow.count("cases") == 10
        assert uow.count("history") == sum(len(e) for _, e in items[:10])


def test_on_a_connection_the_rows_join_the_callers_transaction(
    db: Any, items: list[Item], indexer: Callable[[Case], Any]
) -> None:
    cases = [case for case, _ in items[:5]]
    events = [e for _, evs in items[:5] for e in evs]
    with db.engine.connect() as conn:
        assert import_cases(conn, cases, events, indexer=indexer) == 5
        conn.rollback()
    with db.unit_of_work() as uow:
        assert uow.count("cases") == 0
    with db.engine.connect() as conn:
        import_cases(conn, iter(cases), iter(events), indexer=indexer)
        conn.commit()
    check_imported(db, items[:5], indexer)


def test_bad_arguments(db: Any) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        import_cases(db, [], batch_size=0)
    with pytest.raises(TypeError, match="Database, an Engine or a Connection"):
        import_cases("complaints.db", [])
    assert import_cases(db, []) == 0


def test_sqlite_datetime_text_is_what_the_column_type_stores() -> None:
    from zoneinfo import ZoneInfo

    from sqlalchemy.dialects import sqlite

    dialect = sqlite.dialect()
    process = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert process is not None
    for moment in (
        BASE,
        datetime(2026, 12, 31, 23, 59, 59, 999_999, tzinfo=ZoneInfo("Asia/Shanghai")),
        datetime(5, 1, 1, 7, 0, 0, 1, tzinfo=ZoneInfo("Asia/Shanghai")),
    ):
        assert sqlite_utc_text(moment) == process(moment)
    with pytest.raises(ValueError, match="naive"):
        sqlite_utc_text(datetime(2026, 1, 1))


def python_counts(items: list[Item], start: datetime, end: datetime) -> dict[str, dict[str | None, int]]:
    out: dict[str, Counter[str | None]] = {d: Counter() for d in DIMENSIONS}
    for case, _ in items:
        closed = finished_at(case)
        if closed is None or not (start <= closed < end):
            continue
        out["category"][case.intake.category] += 1
        out["severity"][case.severity] += 1
        out["market"][case.intake.market.value] += 1
        out["status"][case.status.value] += 1
    return {d: dict(c) for d, c in out.items()}


def test_monthly_counts_equal_counts_computed_in_python(
    db: Any, items: list[Item], indexer: Callable[[Case], Any]
) -> None:
    import_cases(db, items, indexer=indexer)
    months = [datetime(2026, m, 1, tzinfo=UTC) - timedelta(hours=8) for m in range(1, 7)]
    nonempty = 0
    with db.engine.connect() as conn:
        for start, end in pairwise(months):
            expected = python_counts(items, start, end)
            got = monthly_counts(conn, start, end)
            assert got == expected
            totals = {sum(v.values()) for v in got.values()}
            assert len(totals) == 1
            nonempty += totals.pop() > 0
        assert nonempty >= 2
        everything = monthly_counts(conn, BASE - timedelta(days=1), BASE + timedelta(days=400))
        assert sum(everything["status"].values()) == sum(1 for case, _ in items if finished_at(case) is not None)
        # ``closed_at`` is the outcome's time: closed, settled, or found not established (``rows.finished_at``)
        assert set(everything["status"]) == {"closed", "settled", "not_established"}
        with pytest.raises(ValueError, match="time zone"):
            monthly_counts(conn, datetime(2026, 1, 1), datetime(2026, 2, 1))


def test_monthly_counts_reads_only_the_covering_index(db: Any) -> None:
    from adapters.sql.report_queries import monthly_counts_query

    query = monthly_counts_query(BASE, BASE + timedelta(days=31))
    compiled = query.compile(db.engine)
    with db.engine.connect() as conn:
        plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", tuple(compiled.construct_params().values())).all()
    details = " | ".join(str(r[3]) for r in plan)
    assert "COVERING INDEX ix_cases_closed_at_category_severity_market_status" in details


def test_bulk_import_on_postgresql(pg_url: str, items: list[Item], indexer: Callable[[Case], Any]) -> None:
    database = open_database(pg_url)
    try:
        assert import_cases(database, items, indexer=indexer, batch_size=50) == len(items)
        check_imported(database, items, indexer)
        with database.engine.connect() as conn:
            start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)
            assert monthly_counts(conn, start, end) == python_counts(items, start, end)
        with pytest.raises(ConcurrencyConflict):
            import_cases(database, items[:1], indexer=indexer)
    finally:
        database.dispose()
