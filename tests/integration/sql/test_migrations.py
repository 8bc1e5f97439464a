"""The Alembic migrations produce exactly ``adapters.sql.tables.metadata``, both ways, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from adapters.sql import migrate
from adapters.sql.engine import make_engine
from adapters.sql.tables import metadata


def diff(engine: Engine) -> list:
    # Server defaults are compared on PostgreSQL only: on SQLite alembic reports DEFAULT '' as changed even when the
    # DDL is identical (its SQLite comparison strips the quotes of an empty-string default).
    opts = {"compare_type": True, "compare_server_default": engine.dialect.name == "postgresql"}
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts=opts)
        return compare_metadata(context, metadata)


def test_upgrade_downgrade_upgrade_matches_the_metadata(sql_url: str) -> None:
    engine = make_engine(sql_url)
    try:
        assert migrate.current(engine) is None
        assert diff(engine) != [], "an empty database must differ (else the comparison proves nothing)"
        migrate.upgrade_to_head(engine)
        assert migrate.current(engine) == migrate.head()
        assert diff(engine) == []
        assert set(inspect(engine).get_table_names()) == {*metadata.tables, "alembic_version"}

        migrate.downgrade(engine, "base")
        assert migrate.current(engine) is None
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

        migrate.upgrade_to_head(engine)
        assert migrate.current(engine) == migrate.head()
        assert diff(engine) == []
        migrate.ensure_schema(engine)  # at head: nothing to do
        assert migrate.current(engine) == migrate.head()
    finally:
        engine.dispose()


def test_partial_indexes_exist_with_their_predicate(sql_url: str) -> None:
    engine = make_engine(sql_url)
    try:
        migrate.upgrade_to_head(engine)
        indexes = {ix["name"]: ix for ix in inspect(engine).get_indexes("case_clocks")}
        assert "ix_case_clocks_running_due" in indexes
        options = indexes["ix_case_clocks_running_due"].get("dialect_options", {})
        predicate = options.get(f"{engine.dialect.name}_where")
        assert predicate is not None and "stopped_at is null" in str(predicate).lower()
    finally:
        engine.dispose()


def test_0004_names_the_cases_whose_duplicates_older_code_left(sql_url: str) -> None:
    """SQL audit: a database at 0003 holding two returns for one case (older code on PostgreSQL could write them)
    failed every upgrade, and so every command, with "UNIQUE constraint failed" naming no case."""
    import pytest
    from sqlalchemy import insert

    from adapters.sql import StorageError
    from adapters.sql import tables as t

    engine = make_engine(sql_url)
    try:
        migrate.upgrade_to_head(engine)
        migrate.downgrade(engine, "0003")
        case_id = "00000000-0000-0000-0000-000000000001"
        with engine.begin() as conn:
            conn.execute(
                insert(t.cases),
                {
                    "id": case_id,
                    "policy_id": "manufacturing",
                    "policy_version": 1,
                    "status": "closed",
                    "customer": "A",
                    "category": "quality",
                    "kind": "external",
                    "market": "domestic",
                    "channel": "phone",
                    "received_at": datetime(2026, 11, 2, tzinfo=UTC),
                    "version": 1,
                    "body": "{}",
                },
            )
            for n in (1, 2):
                conn.execute(
                    insert(t.returns), {"id": f"r{n}", "case_id": case_id, "status": "open", "version": 1, "body": "{}"}
                )
        with pytest.raises(StorageError) as refused:
            migrate.upgrade_to_head(engine)
        assert case_id in str(refused.value) and "two or more returns" in str(refused.value)
        assert migrate.current(engine) == "0003"
    finally:
        engine.dispose()


def test_0006_withdrawn_assessments_decide_nothing_and_statuses_stay_checked(sql_url: str) -> None:
    """A case may withdraw several proposals; two decided (approved or reversed) assessments stay refused, an
    unknown status too; a database holding withdrawn ones is not downgraded to a schema that cannot read them."""
    import pytest
    from sqlalchemy import delete, exc, insert

    from adapters.sql import StorageError
    from adapters.sql import tables as t

    engine = make_engine(sql_url)
    try:
        migrate.upgrade_to_head(engine)
        migrate.downgrade(engine, "0005")
        case_id = "00000000-0000-0000-0000-000000000001"
        row = {"case_id": case_id, "version": 1, "body": "{}"}
        with engine.begin() as conn:
            conn.execute(
                insert(t.cases),
                {
                    "id": case_id, "policy_id": "manufacturing", "policy_version": 1, "status": "closed",
                    "customer": "A", "category": "quality", "kind": "external", "market": "domestic",
                    "channel": "phone", "received_at": datetime(2026, 11, 2, tzinfo=UTC), "version": 1, "body": "{}",
                },
            )  # fmt: skip
            conn.execute(insert(t.assessments), [{**row, "id": "p1", "status": "approved"}])
            line = {
                "assessment_id": "p1",
                "person_id": "S03",
                "rule_id": "P1-PEN-06",
                "amount_fen": 110000,
                "points": 0,
            }
            conn.execute(insert(t.penalty_lines), [{**line, "line": n} for n in (0, 1)])

        def lines() -> int:
            with engine.connect() as conn:
                return len(conn.execute(t.penalty_lines.select()).all())

        migrate.upgrade_to_head(engine)
        assert migrate.current(engine) == migrate.head()
        assert lines() == 2  # SQLite rebuilds the table: the cascade of its DROP TABLE deleted them
        with engine.begin() as conn:
            conn.execute(delete(t.assessments).where(t.assessments.c.id == "p1"))  # the cascade is still there
        assert lines() == 0
        with engine.begin() as conn:
            conn.execute(insert(t.assessments), [{**row, "id": "p1", "status": "proposed"}])
            conn.execute(insert(t.penalty_lines), [{**line, "line": 0}])
        with engine.begin() as conn:
            conn.execute(insert(t.assessments), [{**row, "id": f"w{n}", "status": "withdrawn"} for n in (1, 2)])
            conn.execute(insert(t.assessments), [{**row, "id": "a1", "status": "approved"}])
        for status in ("reversed", "bogus"):
            with pytest.raises(exc.IntegrityError), engine.begin() as conn:
                conn.execute(insert(t.assessments), [{**row, "id": "x", "status": status}])
        with pytest.raises(StorageError, match="withdrawn penalty assessments"):
            migrate.downgrade(engine, "0005")
        assert migrate.current(engine) == migrate.head()
        with engine.begin() as conn:
            conn.execute(delete(t.assessments).where(t.assessments.c.status == "withdrawn"))
        migrate.downgrade(engine, "0005")
        assert lines() == 1
        with pytest.raises(exc.IntegrityError), engine.begin() as conn:  # 0005's statuses again
            conn.execute(insert(t.assessments), [{**row, "id": "w3", "status": "withdrawn"}])
    finally:
        engine.dispose()


def test_0007_finds_repeat_complaints_in_rows_older_code_wrote_with_blanks(sql_url: str) -> None:
    """P4-CLS-04: the ``customer`` column older code wrote held the name as typed, so a repeat complaint from
    "华东电子" after one from " 华东电子\u3000" (ideographic space) was not counted until the old case was saved again.
    0007 rewrites such rows by ``intake.customer_key``, the rule the look-ups use; the case documents keep the name
    as given; downgrading changes nothing."""
    import attrs
    from sqlalchemy import select, update
    from sqlkit import AT, INTAKE, service_on, sql_backend

    from adapters.sql import tables as t

    typed = f" {INTAKE.customer}\u3000"
    backend = sql_backend(sql_url)
    try:
        old = service_on(backend.uow()).receive(attrs.evolve(INTAKE, customer=typed), actor="cs", policy_id="service")
        other = service_on(backend.uow()).receive(attrs.evolve(INTAKE, customer="南方电器 "), actor="cs")
        engine = backend.database.engine
        migrate.downgrade(engine, "0006")
        with engine.begin() as conn:  # what older code stored
            for case, name in ((old, typed), (other, "南方电器 ")):
                conn.execute(update(t.cases).where(t.cases.c.id == str(case.case_id)).values(customer=name))
        with backend.uow() as uow:
            assert list(uow.cases.of_customer(INTAKE.customer)) == []  # the defect 0007 repairs

        migrate.upgrade_to_head(engine)
        assert migrate.current(engine) == migrate.head()
        with engine.connect() as conn:
            stored = dict(conn.execute(select(t.cases.c.id, t.cases.c.customer)).all())
        assert stored == {str(old.case_id): INTAKE.customer, str(other.case_id): "南方电器"}
        with backend.uow() as uow:
            assert [c.case_id for c in uow.cases.of_customer(INTAKE.customer)] == [old.case_id]
            assert uow.cases.get(old.case_id).intake.customer == typed  # the document keeps the name as given
        repeat = service_on(backend.uow(), AT.replace(day=4)).receive(INTAKE, actor="cs", policy_id="service")
        assert repeat.repeat_count == 1

        migrate.downgrade(engine, "0006")
        with engine.connect() as conn:
            assert conn.execute(select(t.cases.c.customer).where(t.cases.c.id == str(old.case_id))).scalar() == (
                INTAKE.customer
            )
    finally:
        backend.database.dispose()
