"""The hot queries use their indexes: the overdue query the partial index on running clocks, the monthly report
query the covering index on ``cases``. The statements are the ones the code really runs (captured on execution).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import attrs
from sqlalchemy import Connection, event
from sqlkit import INTAKE, database, service_on, sh, sql_uow

from adapters.sql.report_queries import monthly_counts

RUNNING_DUE = "ix_case_clocks_running_due"
REPORT = "ix_cases_closed_at_category_severity_market_status"


@contextmanager
def captured(conn: Connection) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def listen(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        seen.append((statement, parameters))

    event.listen(conn, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(conn, "before_cursor_execute", listen)


def fill(db: Any) -> None:
    """Open cases with running clocks, and cases closed in November in several categories."""
    service = service_on(sql_uow(db))
    for day in range(2, 12):
        case = service.receive(INTAKE, actor="s", at=sh(2026, 11, day), policy_id="manufacturing")
        service.register(case.case_id, actor="g", at=sh(2026, 11, day))
    for day, category in zip(range(1, 9), ["service", "business", "other"] * 3, strict=False):
        intake = attrs.evolve(INTAKE, category=category)
        case = service.receive(intake, actor="s", at=sh(2026, 10, 20 + day), policy_id="bank-branch")
        service.register(case.case_id, actor="g", at=sh(2026, 10, 20 + day))
        service.find_not_established(case.case_id, actor="q", reason="误解", at=sh(2026, 11, day))
        service.reply(case.case_id, actor="s", message="说明", at=sh(2026, 11, day))
        service.close(case.case_id, actor="g", at=sh(2026, 11, day, 12))


def plan(conn: Connection, run: Callable[[], Any]) -> str:
    """Run ``run`` on ``conn``, then explain the one statement it executed."""
    with captured(conn) as seen:
        result = run()
    seen = [(s, p) for s, p in seen if not s.startswith("BEGIN")]
    assert len(seen) == 1, seen
    statement, parameters = seen[0]
    if conn.dialect.name == "sqlite":
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
        text = "\n".join(str(row[-1]) for row in rows)
    else:
        rows = conn.exec_driver_sql("EXPLAIN " + statement, parameters).all()
        text = "\n".join(str(row[0]) for row in rows)
    assert result is not None
    return text


def test_overdue_and_report_queries_use_their_indexes(sql_url: str) -> None:
    with database(sql_url) as db:
        fill(db)
        if db.dialect == "postgresql":  # statistics and the visibility map, so that an index-only scan is possible
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as autocommit:
                autocommit.exec_driver_sql("VACUUM ANALYZE")
        uow = sql_uow(db)
        with uow:
            conn = uow.connection
            if db.dialect == "postgresql":
                # A few dozen rows fit in one page, where a sequential scan is cheapest; forbid it so the plan shows
                # the index the query can use (with production volumes the planner picks it by cost).
                conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            overdue = plan(conn, lambda: uow.cases.overdue(sh(2026, 11, 20)))
            assert RUNNING_DUE in overdue, overdue
            assert len(uow.cases.overdue(sh(2026, 11, 20))) > 0

            report = plan(conn, lambda: monthly_counts(conn, sh(2026, 11, 1), sh(2026, 12, 1)))
            assert REPORT in report, report
            if db.dialect == "sqlite":
                assert "COVERING INDEX" in report, report
            else:
                assert "Index Only Scan" in report, report
            counts = monthly_counts(conn, sh(2026, 11, 1), sh(2026, 12, 1))
            assert counts["category"] == {"service": 3, "business": 3, "other": 2}


def test_overdue_fast_path_returns_what_the_core_query_returns(sql_url: str) -> None:
    """The SQLite driver-level read gives the same rows, order and aware UTC due times as the Core query."""
    from datetime import UTC

    from sqlalchemy import select

    from adapters.sql import tables as t

    with database(sql_url) as db:
        fill(db)
        uow = sql_uow(db)
        as_of = sh(2026, 11, 20)
        with uow:
            c = t.case_clocks.c
            core = [
                tuple(row)
                for row in uow.connection.execute(
                    select(c.case_id, c.name, c.due_at)
                    .where(c.stopped_at.is_(None), c.due_at < as_of)
                    .order_by(c.due_at)
                ).all()
            ]
            fast = uow.cases.overdue(as_of)
            assert fast == core and fast
            assert all(due.tzinfo is UTC for _, _, due in fast)
            assert uow.cases.overdue(as_of, limit=1) == core[:1]


def test_overdue_reads_text_stored_without_an_offset_as_utc(tmp_path: Any) -> None:
    """Rows written by another tool without ``+00:00`` still come back as aware UTC instants."""
    from datetime import UTC

    with database(str(tmp_path / "c.db")) as db:
        fill(db)
        with db.engine.begin() as conn:
            conn.exec_driver_sql("UPDATE case_clocks SET due_at = substr(due_at, 1, 26) WHERE stopped_at IS NULL")
        uow = sql_uow(db)
        with uow:
            rows = uow.cases.overdue(sh(2026, 11, 20))
        assert rows and all(due.tzinfo is UTC for _, _, due in rows)
