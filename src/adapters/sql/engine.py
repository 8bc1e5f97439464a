"""Engines for the two supported databases, set up the way the unit of work needs.

SQLite (the embedded default, a file): WAL, ``synchronous=NORMAL``, foreign
keys, a busy timeout, and ``BEGIN IMMEDIATE`` so a writer takes the lock up
front (a deferred transaction that reads and then writes fails at once with
"database is locked" instead of waiting). PostgreSQL: the same code through a
``postgresql+psycopg://`` URL.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, exc, func, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.util import asbool

from complaint_core.errors import ConcurrencyConflict

from . import storable
from .errors import StorageBusy, StorageError

DEFAULT_DB = "./complaints.db"
BUSY_TIMEOUT_MS = 30_000


def database_url(db: str | None = None) -> URL:
    """``--db`` / ``COMPLAINT_DB`` / ``./complaints.db``: a plain path means a SQLite file."""
    raw = db or os.environ.get("COMPLAINT_DB") or DEFAULT_DB
    if "://" not in raw:
        return URL.create("sqlite", database=raw)
    try:
        url = make_url(raw)
    except (exc.ArgumentError, ValueError) as error:
        raise StorageError(f"not a database URL: {_masked(raw)!r}") from error
    if url.drivername == "postgresql":  # psycopg 3, not the psycopg2 default
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise StorageError(f"unsupported database {url.get_backend_name()!r}: use a SQLite path or postgresql://")
    return url


# A password may also come as a query parameter (libpq's ``?password=``, ``sslpassword=``): its value is masked too.
# The query alone: a host or path named like one is no secret, and a value runs to the next & (SQLAlchemy keeps a
# # or ; in it).
_SECRET_QUERY = re.compile(r"([?&][^=&?]*(?:password|secret)[^=&]*=)[^&]*", re.IGNORECASE)


def _masked(raw: str) -> str:
    """The text of an unparseable URL without what could be a password (anything between ':' and '@', and the
    value of a query parameter named like one)."""
    raw = _SECRET_QUERY.sub(r"\1***", raw)
    scheme, _, rest = raw.partition("://")
    userinfo, at, host = rest.rpartition("@")
    if not at:
        return raw
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"


def safe(url: URL) -> str:
    """The URL as errors may show it: no password, in the user info or the query."""
    return _SECRET_QUERY.sub(r"\1***", url.render_as_string(hide_password=True))


def make_engine(db: str | URL | None = None, **options: Any) -> Engine:
    url = db if isinstance(db, URL) else database_url(db)
    # A database error's text ends up in logs and on stderr: it may show the SQL, never the customer data bound to it
    options.setdefault("hide_parameters", True)
    engine = _sqlite(url, **options) if url.get_backend_name() == "sqlite" else _postgres(url, **options)
    event.listen(engine, "before_cursor_execute", storable.before_cursor_execute)
    event.listen(engine, "handle_error", _storage_errors)
    return engine


def _storage_errors(context: Any) -> None:
    """A full disk, in a statement or at commit, is no conflict to retry: one line saying so (the transaction is
    rolled back, so nothing of the command was written). A serialization failure or a deadlock on PostgreSQL, in a
    statement or at commit, is one: the services run the command again from a fresh read."""
    error = context.original_exception
    state = getattr(error, "sqlstate", None)
    if "database or disk is full" in str(error) or state == "53100":
        raise StorageError("the disk holding the database is full: nothing was written; free some space and retry")
    if state in ("40001", "40P01"):
        raise ConcurrencyConflict(f"the transaction lost to a concurrent one: {str(error).splitlines()[0]}")


def is_conflict(error: exc.OperationalError) -> bool:
    """Whether a failed commit lost to another transaction holding SQLite's lock, so running the command again from
    a fresh read may succeed (PostgreSQL's serialization failures and deadlocks are ``ConcurrencyConflict``
    already, from any statement)."""
    text = str(error.orig)
    return "locked" in text or "busy" in text


def _create_private(file: Path) -> None:
    """A new database file readable by its owner only (0600), whatever the umask: it holds customer data and the
    webhook endpoints' signing secrets. SQLite gives its -wal and -shm files the database file's permissions. An
    existing file is left as it is (an empty file is a new SQLite database); a ``file:`` URI is left to SQLite
    and the umask."""
    try:  # through a symlink to a file not there yet, its target (O_EXCL refuses the link itself); a loop stays
        os.close(os.open(os.path.realpath(file), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError as error:
        raise StorageError(f"cannot create the database {str(file)!r}: {error.strerror}") from None


def _sqlite(url: URL, **options: Any) -> Engine:
    path = url.database or ""
    if path in ("", ":memory:") or url.query.get("mode") == "memory":
        raise StorageError("an in-memory SQLite database cannot be shared: use a file, or the in-memory adapter")
    file = Path(path)
    try:
        return _sqlite_file(url, path, file, **options)
    except OSError as error:  # a name too long for the file system, a path through a file, …
        raise StorageError(f"cannot use the database {path!r}: {error.strerror or error}") from None


def _sqlite_file(url: URL, path: str, file: Path, **options: Any) -> Engine:
    if not file.parent.exists():
        raise StorageError(f"cannot create the database {path!r}: the directory {str(file.parent)!r} does not exist")
    if file.exists() and not os.access(file, os.W_OK):
        raise StorageError(f"the database {path!r} is read-only: check its permissions")
    if not file.exists() and not os.access(file.parent, os.W_OK):
        raise StorageError(f"cannot create the database {path!r}: the directory is not writable")
    if not asbool(url.query.get("uri", False)):  # a file: URI (read as SQLAlchemy does) names its own file and mode
        _create_private(file)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000}, **options)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _: Any) -> None:
        dbapi_conn.isolation_level = None  # pysqlite stops emitting its own BEGIN
        cursor = dbapi_conn.cursor()
        for pragma in (f"busy_timeout={BUSY_TIMEOUT_MS}", "synchronous=NORMAL", "foreign_keys=ON"):
            cursor.execute(f"PRAGMA {pragma}")
        _wal(cursor)
        cursor.close()

    def _wal(cursor: Any) -> None:
        """WAL mode, which the file keeps once set. Switching needs the file to itself, and SQLite answers "locked"
        at once, without waiting, while another process has it open (processes opening a new file together):
        so only a file not in WAL yet is switched, and a busy switch is tried again until the busy timeout."""
        if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
            return
        from .tables import foreign_tables

        if foreign_tables(row[0] for row in cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")):
            return  # another application's file: refused when the schema is read, and left as it was
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                mode = str(cursor.execute("PRAGMA journal_mode=WAL").fetchone()[0]).lower()
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
                mode = ""
            if mode in ("wal", "memory") or time.monotonic() > deadline:  # an in-memory database has no WAL
                return
            time.sleep(0.05)

    @event.listens_for(engine, "handle_error")
    def _read_only(context: Any) -> None:
        # os.access cannot see every read-only database: a `?mode=ro` URI, a read-only mount
        if "readonly database" in str(context.original_exception):
            raise StorageError(f"the database {path!r} is read-only: it cannot take this write")

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # a writer takes the lock up front (no upgrade deadlock); a reader's deferred transaction waits for no
        # writer (WAL: it reads the last commit), so loading a policy inside a unit of work cannot lock itself out
        try:
            conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(_READ_ONLY) else "BEGIN IMMEDIATE")
        except exc.OperationalError as error:
            if "locked" not in str(error.orig) and "busy" not in str(error.orig):
                raise
            raise StorageBusy(
                f"the database {path!r} is busy: another process has held its write lock for "
                f"{BUSY_TIMEOUT_MS // 1000} s; try again when it has finished"
            ) from error

    return engine


def _postgres(url: URL, **options: Any) -> Engine:
    try:
        import psycopg  # noqa: F401
    except ImportError as error:
        raise StorageError("PostgreSQL needs psycopg: pip install 'complaint-core[postgres]'") from error
    options.setdefault("pool_pre_ping", True)
    return create_engine(url, connect_args={"connect_timeout": 10}, **options)


_READ_ONLY = "complaint_read_only"


def reading(engine: Engine) -> Connection:
    """A connection for reads only (use it in ``with``). On SQLite its transaction is deferred, where a writer's
    is ``BEGIN IMMEDIATE``; on PostgreSQL it is a READ ONLY transaction, so a write through it is an error."""
    options: dict[str, Any] = {_READ_ONLY: True}
    if engine.dialect.name == "postgresql":
        options["postgresql_readonly"] = True
    return engine.connect().execution_options(**options)


def serialise_writers(conn: Connection, what: str) -> None:
    """Make the writing transactions that name ``what`` take turns, until this one ends: on PostgreSQL (READ
    COMMITTED) a transaction advisory lock; SQLite's ``BEGIN IMMEDIATE`` serialises every writer already."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"complaint-core {what}"))))


def dialect_insert(dialect: str) -> Callable[..., Any]:
    """The dialect's ``insert``, which has ``on_conflict_do_update``/``do_nothing`` on both stores."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


def check_connection(engine: Engine) -> None:
    """Connect once, turning driver errors into one clear message without secrets."""
    try:
        with engine.connect():
            pass
    except exc.OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig is not None else "connection failed"
        raise StorageError(f"cannot open the database {safe(engine.url)}: {reason}") from error
    except exc.DatabaseError as error:
        raise StorageError(f"cannot use the database {safe(engine.url)}: {error.orig}") from error
