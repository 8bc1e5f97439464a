"""Bad storage input ends in one ``StorageError`` with a clear message, never with a password in it."""

from __future__ import annotations

import multiprocessing
import os
import pwd
import shutil
import socket
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlkit import SECRET, database

from adapters.sql import StorageError, open_database
from adapters.sql.engine import database_url


def test_missing_directory(tmp_path: Path) -> None:
    path = tmp_path / "no" / "such" / "dir" / "c.db"
    with pytest.raises(StorageError, match="does not exist") as caught:
        open_database(str(path))
    assert str(path.parent) in str(caught.value)
    assert not path.parent.exists()


def test_a_new_database_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    """Security audit: under umask 022 the database and its -wal/-shm files were 0644, and it holds customer data
    and the webhook signing secrets. A file that exists keeps its permissions."""
    from datetime import UTC, datetime

    from adapters.webhooks import endpoints

    old, cwd = os.umask(0o022), os.getcwd()
    try:
        path = tmp_path / "c.db"
        db = open_database(str(path))
        endpoints.add_endpoint(db.engine, "https://crm.example/hooks", now=datetime(2026, 11, 2, tzinfo=UTC))
        made = [p for p in tmp_path.iterdir() if p.name.startswith("c.db")]
        assert {p.name for p in made} >= {"c.db"}
        assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in made} == {p.name: 0o600 for p in made}
        db.dispose()
        shared = tmp_path / "shared.db"
        shared.touch(mode=0o640)
        shared.chmod(0o640)
        open_database(str(shared)).dispose()
        assert stat.S_IMODE(shared.stat().st_mode) == 0o640
        # review: a file: URI's path was created as a literal file named "file:…"
        os.chdir(tmp_path)
        for spelling in ("true", "yes", "on"):  # final review: SQLAlchemy reads uri= as any boolean spelling
            open_database(f"sqlite:///file:uri-{spelling}.db?uri={spelling}").dispose()
            assert (tmp_path / f"uri-{spelling}.db").exists() and not (tmp_path / f"file:uri-{spelling}.db").exists()
    finally:
        os.umask(old)
        os.chdir(cwd)


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory an unprivileged user can reach (pytest's tmp_path is 0700 under /tmp/pytest-of-root)."""
    path = Path(tempfile.mkdtemp(prefix="complaint-ro-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


FORK = multiprocessing.get_context("fork")


def _open_as(path: str, unprivileged: bool, queue: Any) -> None:
    if unprivileged:  # drop root for good in this forked child (the interpreter under /root is not exec-able)
        nobody = pwd.getpwnam("nobody")
        os.setgroups([])
        os.setgid(nobody.pw_gid)
        os.setuid(nobody.pw_uid)
    try:
        open_database(path).dispose()
    except StorageError as error:
        queue.put(("StorageError", str(error)))
    except BaseException as error:
        queue.put((type(error).__name__, str(error)))
    else:
        queue.put(("opened", ""))


def open_in_child(path: Path, *, unprivileged: bool) -> tuple[str, str]:
    """Open the database in a forked child, as ``nobody`` if asked; returns (outcome, message)."""
    queue = FORK.Queue()
    proc = FORK.Process(target=_open_as, args=(str(path), unprivileged, queue))
    proc.start()
    try:
        return queue.get(timeout=60)
    finally:
        proc.join(30)


def test_read_only_file(shared_dir: Path) -> None:
    """A 0444 database file is refused with "read-only".

    As root, permission bits do not bind (``os.access`` says writable and SQLite would write), so the check runs
    in a child process as ``nobody``: the user a read-only file is meant for.
    """
    path = shared_dir / "c.db"
    with database(str(path)):
        pass
    path.chmod(0o444)
    before = path.read_bytes()
    outcome, message = open_in_child(path, unprivileged=os.geteuid() == 0)
    assert outcome == "StorageError", message
    assert "read-only" in message and str(path) in message
    assert path.read_bytes() == before
    assert stat.S_IMODE(path.stat().st_mode) == 0o444


def test_read_only_file_as_root_is_written(shared_dir: Path) -> None:
    """What happens as root (documented, see the report): root may write a 0444 file, and the library lets it."""
    path = shared_dir / "c.db"
    with database(str(path)):
        pass
    path.chmod(0o444)
    outcome, message = open_in_child(path, unprivileged=False)
    if os.geteuid() == 0:
        assert outcome == "opened", message
        assert stat.S_IMODE(path.stat().st_mode) == 0o444
    else:
        assert outcome == "StorageError" and "read-only" in message


def test_directory_not_writable_for_a_new_file(shared_dir: Path) -> None:
    locked = shared_dir / "locked"
    locked.mkdir(mode=0o555)
    locked.chmod(0o555)
    outcome, message = open_in_child(locked / "c.db", unprivileged=os.geteuid() == 0)
    assert outcome == "StorageError", message
    assert "not writable" in message
    assert not (locked / "c.db").exists()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = str(tmp_path / "c.db")
    with database(path) as db, db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    for migrate in (True, False):
        with pytest.raises(StorageError) as caught:
            open_database(path, migrate=migrate)
        message = str(caught.value)
        assert "9999_from_the_future" in message and "newer" in message and "upgrade" in message
    with _raw(path) as conn:  # and left untouched
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "9999_from_the_future"


def test_newer_schema_is_refused_on_postgres(pg_url: str) -> None:
    with database(pg_url) as db, db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    with pytest.raises(StorageError, match=r"9999_from_the_future.*newer"):
        open_database(pg_url)


class _raw:
    def __init__(self, path: str) -> None:
        from sqlalchemy import create_engine

        self.engine = create_engine(f"sqlite:///{path}")

    def __enter__(self):  # type: ignore[no-untyped-def]
        self.conn = self.engine.connect()
        return self.conn

    def __exit__(self, *exc: object) -> None:
        self.conn.close()
        self.engine.dispose()


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def assert_clean(error: StorageError, *words: str) -> None:
    message = str(error)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    assert SECRET not in message, f"password in {message!r}"
    assert SECRET not in repr(error)


def test_postgres_unused_port() -> None:
    url = f"postgresql+psycopg://complaints:{SECRET}@127.0.0.1:{unused_port()}/complaints"
    with pytest.raises(StorageError) as caught:
        open_database(url)
    assert_clean(caught.value, "cannot open the database", "127.0.0.1", "refused")


@pytest.mark.parametrize("query", ["password", "sslpassword", "PassWord"])
def test_a_password_given_in_the_query_is_masked(query: str) -> None:
    """Security audit: ``?password=`` (libpq's other way to give it) was printed in the error."""
    url = f"postgresql+psycopg://complaints@127.0.0.1:{unused_port()}/complaints?sslmode=disable&{query}={SECRET}"
    with pytest.raises(StorageError) as caught:
        open_database(url)
    assert_clean(caught.value, "the database", f"{query}=***", "sslmode=disable")
    with pytest.raises(StorageError) as unparsed:
        open_database(f"postgresql+psycopg://complaints@127.0.0.1:notaport/c?{query}={SECRET}#3;x")
    assert SECRET not in str(unparsed.value) and "#3" not in str(unparsed.value)  # review: the value's tail showed


def test_only_the_query_is_masked() -> None:
    """Review: the pattern matched across the host and path, so a host named password-host masked sslmode."""
    from adapters.sql.engine import safe

    url = make_url("postgresql+psycopg://u@password-host/secretdb?sslmode=require&application_name=x")
    assert safe(url) == "postgresql+psycopg://u@password-host/secretdb?application_name=x&sslmode=require"


def test_postgres_bad_credentials(pg_url: str) -> None:
    url = make_url(pg_url).set(username="nobody_here", password=SECRET)
    with pytest.raises(StorageError) as caught:
        open_database(url.render_as_string(hide_password=False))
    assert_clean(caught.value, "cannot open the database", "nobody_here")


def test_postgres_missing_database(pg_url: str) -> None:
    url = make_url(pg_url).set(password=SECRET, database="no_such_db")
    with pytest.raises(StorageError) as caught:
        open_database(url.render_as_string(hide_password=False))
    assert_clean(caught.value, "cannot open the database", "no_such_db")


@pytest.mark.parametrize(
    "raw",
    [
        f"mysql://root:{SECRET}@localhost/db",  # unsupported
        f"post gres://root:{SECRET}@localhost/db",  # unparsable
        f"postgresql://root:{SECRET}@localhost:port/db",  # port not a number
    ],
)
def test_bad_urls(raw: str) -> None:
    with pytest.raises(StorageError) as caught:
        database_url(raw)
    assert_clean(caught.value)


def _cli(capsys: pytest.CaptureFixture[str], db: str, *args: str) -> tuple[int, str, str]:
    from entrypoints.cli.main import main

    try:
        main(["--db", db, "--json", *args])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_values_a_column_cannot_keep_are_refused_alike_on_both_databases(
    sql_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """SQL audit: a 201-character customer, a 121-character actor, a 65-character party id or a NUL character
    exited 1 on PostgreSQL ("unexpected DataError") and were stored on SQLite. Both now refuse them before
    anything is written, naming the field (exit 4 [STORE-LIMIT])."""
    import json

    from adapters.sql import tables as t

    assert _cli(capsys, sql_url, "init")[0] == 0
    base = ("case", "open", "--category", "quality", "--at", "2026-11-02T09:00")
    for args, field in (
        (("--customer", "客" * 201), "customer is 201 characters long; the database keeps at most 200"),
        (("--customer", "A", "--actor", "a" * 121), "actor is 121 characters long"),
        (("--customer", "A\x00B"), "customer holds a NUL character"),
    ):
        code, out, err = _cli(capsys, sql_url, *base, *args)
        assert (code, out) == (4, "") and "[STORE-LIMIT]" in err and field in err, err
    code, out, _ = _cli(capsys, sql_url, *base, "--customer", "客" * 200)
    assert code == 0
    ref = json.loads(out)["id"]
    for step in ("register", "investigate"):
        assert _cli(capsys, sql_url, "case", step, ref, "--at", "2026-11-02T10:00")[0] == 0
    code, _, err = _cli(capsys, sql_url, "case", "attribute", ref, "--party", f"supplier:{'s' * 65}=1")
    assert code == 4 and "party_id is 65 characters long; the database keeps at most 64" in err
    with database(sql_url) as db, db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM cases")).scalar_one() == 1
        assert conn.execute(text("SELECT count(*) FROM history")).scalar_one() == 3
        assert not conn.execute(t.case_parties.select()).all()


def test_only_values_written_are_checked_and_a_row_stored_before_stays_writable(
    sql_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Review: checking every bound value refused a search for a long name (`case list --customer`, which finds
    nothing) and every command on a case an older version had stored with a long name on SQLite. Only an INSERT's
    and UPDATE's values are checked, and a case's update only the columns a command changes; a NUL in an unbounded
    text column (a webhook endpoint's description) is refused too, alike on both databases."""
    import json

    assert _cli(capsys, sql_url, "init")[0] == 0
    code, out, _ = _cli(capsys, sql_url, "case", "list", "--customer", "y" * 201)
    assert code == 0 and json.loads(out)["cases"] == []
    code, _, err = _cli(capsys, sql_url, "webhook", "add", "http://127.0.0.1:9/h", "--description", "a\x00b")
    assert code == 4 and "description holds a NUL character" in err
    if not sql_url.endswith(".db"):
        return  # PostgreSQL never stored a long name: the rest is about rows SQLite kept
    code, out, _ = _cli(capsys, sql_url, "case", "open", "--customer", "A", "--category", "quality")
    ref = json.loads(out)["id"]
    long = "客" * 230
    with database(sql_url) as db, db.engine.begin() as conn:  # as an older version wrote it
        body = (
            conn.execute(text("SELECT body FROM cases")).scalar_one().replace('"customer":"A"', f'"customer":"{long}"')
        )
        conn.execute(text("UPDATE cases SET customer = :c, body = :b"), {"c": long, "b": body})
    code, out, err = _cli(capsys, sql_url, "case", "register", ref)
    assert code == 0, err
    assert json.loads(out)["customer"] == long


def test_the_calendar_commands_read_a_database_and_never_write_it(
    sql_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Review: through `open_for` the calendar commands migrated a database, created the schema in an empty
    SQLite file and exited 1 on a file that is no database. They read stored calendars only from a database at
    the current schema, on both stores, and answer from the bundled table otherwise."""
    import json

    def last(*args: str) -> str:
        code, out, err = _cli(capsys, sql_url, "calendar", "coverage", *args)
        assert code == 0, err
        return str(json.loads(out)["calendars"][0]["last"])

    assert last() == "2026-12-31"  # nothing there yet: not even tables
    assert _cli(capsys, sql_url, "init")[0] == 0
    cal = tmp_path / "cn2027.toml"
    cal.write_text('name = "cn"\n[years.2027]\nholidays = ["2027-01-01"]\n', "utf-8")
    assert _cli(capsys, sql_url, "calendar", "import", str(cal))[0] == 0
    assert last() == "2027-12-31"
    with database(sql_url) as db, db.engine.begin() as conn:  # an older schema: still read, not migrated
        conn.execute(text("UPDATE alembic_version SET version_num = '0004'"))
    assert last() == "2027-12-31"
    migrated = open_database(sql_url, migrate=False)
    try:
        with migrated.engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0004"
    finally:
        migrated.dispose()
    if sql_url.endswith(".db"):
        for content in (b"garbage", b""):
            other = tmp_path / "other.db"
            other.write_bytes(content)
            code, _, err = _cli(capsys, str(other), "calendar", "is-workday", "2026-10-08")
            assert code == 0 and other.read_bytes() == content, err


def test_a_full_disk_is_one_storage_error_and_writes_nothing(tmp_path: Path) -> None:
    """Atomicity audit: a full disk at commit exited 5 as a concurrency conflict ("retry"), and in a statement as an
    unexpected OperationalError. Both are one StorageError now, and the command leaves nothing behind."""
    from datetime import UTC, datetime

    from sqlalchemy import event

    from complaint_core import Channel, Intake
    from entrypoints.app import open_app

    app = open_app(str(tmp_path / "c.db"))
    try:
        intake = Intake(customer="甲", channel=Channel.PHONE, category="quality", description="x" * 3000)
        at = datetime(2026, 11, 2, 1, tzinfo=UTC)
        app.cases.receive(intake, actor="clerk", at=at)
        engine = app.database.engine
        with engine.connect() as conn:
            pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
            cases = conn.exec_driver_sql("SELECT count(*) FROM cases").scalar_one()
        engine.dispose()  # the next connections are born on a disk with no page to spare

        @event.listens_for(engine, "connect")
        def _full(dbapi_conn: Any, _: Any) -> None:
            dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")

        with pytest.raises(StorageError, match="disk holding the database is full"):
            for _ in range(20):  # until a page is needed
                app.cases.receive(intake, actor="clerk", at=at)
        event.remove(engine, "connect", _full)
        engine.dispose()
        with engine.connect() as conn:
            stored = conn.exec_driver_sql("SELECT count(*) FROM cases").scalar_one()
            events = conn.exec_driver_sql("SELECT count(*) FROM outbox").scalar_one()
        assert events == stored and stored >= cases  # whole commands only: each case with its event
    finally:
        app.close()
