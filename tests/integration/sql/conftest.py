"""Fixtures of the SQL storage tests: one ``Backend`` per store (memory, SQLite file, PostgreSQL).

``sqlkit`` (next to this file) holds the helpers and the multiprocessing workers. Spawned children import it by
name, so its directory goes on ``sys.path`` here: a spawn child starts with the parent's ``sys.path``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = str(Path(__file__).parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import sqlkit  # noqa: E402


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return str(tmp_path / "complaints.db")


@pytest.fixture(params=["sqlite", "postgresql"])
def sql_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty SQL database of each kind: a SQLite file path or a PostgreSQL URL."""
    if request.param == "sqlite":
        return str(tmp_path / "complaints.db")
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sqlkit.Backend]:
    if request.param == "memory":
        found = sqlkit.memory_backend()
    elif request.param == "sqlite":
        found = sqlkit.sql_backend(str(tmp_path / "complaints.db"))
    else:
        found = sqlkit.sql_backend(str(request.getfixturevalue("pg_url")))
    yield found
    found.close()
