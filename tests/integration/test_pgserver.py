"""The throwaway PostgreSQL fixtures (tests/pgserver.py, ``pg_server`` / ``pg_url`` in conftest) really work."""

from __future__ import annotations

import psycopg
import pytest
import sqlalchemy as sa

pytestmark = pytest.mark.filterwarnings("error")


def libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def test_server_answers(pg_server) -> None:
    with psycopg.connect(pg_server.conninfo()) as conn:
        assert conn.execute("select 1").fetchone() == (1,)
        (version,) = conn.execute("show server_version").fetchone()
        (db,) = conn.execute("select current_database()").fetchone()
    assert version.startswith("15"), version
    assert db == "complaint_test"
    assert pg_server.url == f"postgresql+psycopg://postgres@127.0.0.1:{pg_server.port}/complaint_test"


def test_pg_url_is_a_working_sqlalchemy_url(pg_url: str) -> None:
    engine = sa.create_engine(pg_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("select current_database()")).scalar_one() == pg_url.rsplit("/", 1)[1]
    finally:
        engine.dispose()


def test_two_pg_url_databases_are_distinct(pg_server, pg_url: str) -> None:
    other = pg_server.create_database()
    try:
        assert other != pg_url
        with psycopg.connect(libpq(pg_url), autocommit=True) as a, psycopg.connect(libpq(other), autocommit=True) as b:
            a.execute("create table only_in_a (x int)")
            assert a.execute("select to_regclass('only_in_a')").fetchone() == ("only_in_a",)
            assert b.execute("select to_regclass('only_in_a')").fetchone() == (None,)
            assert (
                a.execute("select current_database()").fetchone() != b.execute("select current_database()").fetchone()
            )
    finally:
        pg_server.drop_database(other.rsplit("/", 1)[1])
    with psycopg.connect(pg_server.conninfo("postgres")) as admin:
        names = {row[0] for row in admin.execute("select datname from pg_database")}
    assert other.rsplit("/", 1)[1] not in names
    assert pg_url.rsplit("/", 1)[1] in names


def test_skip_locked_hands_each_worker_a_different_row(pg_url: str) -> None:
    claim = "select id from jobs order by id limit 1 for update skip locked"
    with psycopg.connect(libpq(pg_url), autocommit=True) as setup:
        setup.execute("create table jobs (id int primary key)")
        setup.execute("insert into jobs values (1), (2)")
    with (
        psycopg.connect(libpq(pg_url)) as a,
        psycopg.connect(libpq(pg_url)) as b,
        psycopg.connect(libpq(pg_url)) as c,
    ):
        for conn in (a, b, c):  # if SKIP LOCKED did not skip, we would block: fail fast instead
            conn.execute("set lock_timeout = '5s'")
        assert a.execute(claim).fetchone() == (1,)
        assert b.execute(claim).fetchone() == (2,)
        assert c.execute(claim).fetchone() is None  # both rows are taken
        a.commit()  # releases row 1
        assert c.execute(claim).fetchone() == (1,)
        b.rollback()
        c.rollback()
