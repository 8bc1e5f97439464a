"""One object per database: the engine, its schema check, and units of work on it."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.engine import URL

from .engine import check_connection, database_url, make_engine, safe
from .indexing import ClockIndexer, no_index
from .migrate import check_known, ensure_schema
from .uow import SqlUnitOfWork


class Database:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def url(self) -> str:
        return safe(self.engine.url)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def unit_of_work(self, indexer: ClockIndexer = no_index) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, indexer=indexer)

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(db: str | URL | None = None, *, migrate: bool = True, newer_ok: bool = False) -> Database:
    """Open (and on first use create) the database ``db``; ``None`` reads ``COMPLAINT_DB``.

    With ``migrate`` an empty or older database is brought to the current schema;
    a database from a newer version of the library is refused either way, unless
    ``newer_ok`` (without ``migrate``: only to report its revision).
    """
    engine = make_engine(db if db is not None else database_url())
    check_connection(engine)
    if migrate:
        ensure_schema(engine)
    elif not newer_ok:
        check_known(engine)
    return Database(engine)
