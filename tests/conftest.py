from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import suppress
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from adapters.calendars import china_calendar
from adapters.policy_files import load_preset
from complaint_core import Policy, TableCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="session")
def cn() -> TableCalendar:
    return china_calendar()


@pytest.fixture(scope="session")
def manufacturing() -> Policy:
    return load_preset("manufacturing")


@pytest.fixture(scope="session")
def furniture() -> Policy:
    return load_preset("furniture")


@pytest.fixture(scope="session")
def service() -> Policy:
    return load_preset("service")


@pytest.fixture(scope="session")
def sh() -> Callable[..., datetime]:
    """sh(2026, 11, 2, 9) → 2026-11-02 09:00 in Asia/Shanghai."""

    def make(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> datetime:
        return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)

    return make


# --- Throwaway PostgreSQL ------------------------------------------------------------------------------------------
# tests/ is not a package and pytest runs with --import-mode=importlib, so load the helper by path. Registering it as
# ``pgserver`` lets test modules ``import pgserver`` too (conftest is always imported before them).
def _load_pgserver():  # type: ignore[no-untyped-def]
    if "pgserver" in sys.modules:
        return sys.modules["pgserver"]
    spec = importlib.util.spec_from_file_location("pgserver", Path(__file__).with_name("pgserver.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["pgserver"] = module
    spec.loader.exec_module(module)
    return module


pgserver = _load_pgserver()


def _missing_postgres(reason: str) -> None:
    """In CI (CI=true) a missing PostgreSQL is a failure, locally a skip."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_server(request: pytest.FixtureRequest) -> pgserver.PgServer:
    """One throwaway PostgreSQL 15 cluster for the session, started on first use and stopped at session end.

    ``pg_server.url`` is the SQLAlchemy URL of its ``complaint_test`` database; ``pg_server.create_database()``
    makes more; ``pg_server.conninfo(db)`` is a plain libpq URI for ``psycopg.connect``.
    """
    try:
        initdb, pg_ctl = pgserver.find_binaries()
        problem = ""
    except pgserver.PgBinariesNotFound as exc:
        problem = f"PostgreSQL binaries not found: {exc}"
    if not problem and importlib.util.find_spec("psycopg") is None:
        problem = "psycopg not installed (pip install -e '.[dev]')"
    if problem:
        _missing_postgres(problem)  # outside the except block: no chained traceback in the report
    server = pgserver.PgServer(initdb=initdb, pg_ctl=pg_ctl)
    request.addfinalizer(server.stop)  # runs on normal end, on failures and on Ctrl-C
    return server.start()


@pytest.fixture
def pg_url(pg_server: pgserver.PgServer, request: pytest.FixtureRequest) -> Iterator[str]:
    """SQLAlchemy URL of a fresh database named after the test; dropped afterwards."""
    name = pgserver.unique_db_name(request.node.name)
    url = pg_server.create_database(name)
    yield url
    with suppress(Exception):
        pg_server.drop_database(name)
