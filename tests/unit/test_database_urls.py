"""Which database ``--db`` names, and how a URL is shown in errors (no password, ever). No database is opened."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import exc
from sqlalchemy.engine import make_url

from adapters.sql.engine import DEFAULT_DB, _masked, database_url, is_conflict, safe
from adapters.sql.errors import StorageError
from adapters.sql.readonly import sqlite_path

SECRET = "hunter2-s3cret"


def test_a_plain_path_is_a_sqlite_file_and_the_environment_gives_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COMPLAINT_DB", raising=False)
    assert database_url("cases.db") == make_url("sqlite:///cases.db")
    assert database_url() == make_url(f"sqlite:///{DEFAULT_DB}")
    monkeypatch.setenv("COMPLAINT_DB", "/srv/complaints.db")
    assert database_url() == make_url("sqlite:////srv/complaints.db")
    assert database_url("other.db").database == "other.db"  # --db wins over the environment


def test_postgresql_means_psycopg_3() -> None:
    assert database_url("postgresql://u@db.example/complaints").drivername == "postgresql+psycopg"
    assert database_url("postgresql+psycopg://u@db.example/c").drivername == "postgresql+psycopg"
    assert database_url("sqlite:///x.db").drivername == "sqlite"
    with pytest.raises(StorageError, match="unsupported database 'mysql': use a SQLite path or postgresql://"):
        database_url(f"mysql://root:{SECRET}@localhost/db")


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (f"post gres://root:{SECRET}@localhost/db", "post gres://root:***@localhost/db"),
        (f"post gres://root:{SECRET}:more@localhost/db", "post gres://root:***@localhost/db"),
        (f"post gres://root:p@{SECRET}@localhost/db", "post gres://root:***@localhost/db"),  # the last @ ends it
        ("post gres://localhost/db", "post gres://localhost/db"),  # no user info: nothing to hide
        (f"post gres://h/db?sslmode=x&password={SECRET}", "post gres://h/db?sslmode=x&password=***"),
    ],
)
def test_an_unparseable_url_is_shown_without_its_password(raw: str, shown: str) -> None:
    assert _masked(raw) == shown
    with pytest.raises(StorageError) as caught:
        database_url(raw)
    assert SECRET not in str(caught.value)


def test_a_parsed_url_is_shown_without_its_password() -> None:
    url = make_url(f"postgresql+psycopg://u:{SECRET}@h/db?PassWord={SECRET}&sslmode=require")
    assert safe(url) == "postgresql+psycopg://u:***@h/db?PassWord=***&sslmode=require"


@pytest.mark.parametrize(
    ("db", "path"),
    [
        ("cases.db", "cases.db"),
        ("sqlite:///cases.db", "cases.db"),
        ("sqlite:////srv/cases.db", "/srv/cases.db"),
        ("sqlite:///cases.db?timeout=5", None),  # options: the full engine reads it
        ("postgresql://u@h/db", None),
        (":memory:", None),
        ("sqlite:///", None),
    ],
)
def test_the_read_only_path_reads_only_a_plain_sqlite_file(db: str, path: str | None) -> None:
    assert sqlite_path(db) == path


def test_the_read_only_path_falls_back_like_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COMPLAINT_DB", raising=False)
    assert sqlite_path(None) == DEFAULT_DB
    monkeypatch.setenv("COMPLAINT_DB", "sqlite:///env.db")
    assert sqlite_path(None) == "env.db"


@pytest.mark.parametrize(
    ("message", "conflict"),
    [
        ("database is locked", True),
        ("database table is locked: cases", True),
        ("SQLITE_BUSY: database is busy", True),
        ("disk I/O error", False),
        ("no such table: cases", False),
    ],
)
def test_a_commit_that_lost_sqlite_s_lock_may_be_run_again(message: str, conflict: bool) -> None:
    error = exc.OperationalError("COMMIT", {}, sqlite3.OperationalError(message))
    assert is_conflict(error) is conflict
