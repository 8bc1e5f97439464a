"""Column types SQLite and PostgreSQL agree on.

``DateTime(timezone=True)`` on SQLite silently drops the offset, so instants are
stored as UTC and come back as aware UTC datetimes; a naive value is refused
before it reaches the database. On SQLite one C-level conversion each way
replaces SQLAlchemy's chain of processors: the text is
``YYYY-MM-DD HH:MM:SS.ffffff+00:00``, which sorts like the instant (every value
has the same offset) and which ``datetime.fromisoformat`` turns back into an
aware UTC datetime in one step (several times cheaper than attaching the zone
afterwards; this is what makes reading a long overdue list cheap).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect
from sqlalchemy.types import TypeDecorator


def _require_aware(value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: timestamps must carry a time zone")


def sqlite_utc_text(value: datetime) -> str:
    """What a SQLite ``UTCDateTime`` column stores for ``value``: UTC, microseconds, a space, ``+00:00``."""
    _require_aware(value)
    return value.astimezone(UTC).isoformat(" ", "microseconds")


def _sqlite_bind(value: datetime | None) -> str | None:
    return None if value is None else sqlite_utc_text(value)


def sqlite_instant(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)  # text written without the offset


def sqlite_datetime(value: str | None) -> datetime | None:
    return None if value is None else sqlite_instant(value)


class UTCDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        _require_aware(value)
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        if dialect.name == "sqlite":
            return _sqlite_bind
        return super().bind_processor(dialect)

    def result_processor(self, dialect: Dialect, coltype: Any) -> Callable[[Any], Any] | None:
        if dialect.name == "sqlite":
            return sqlite_datetime
        return super().result_processor(dialect, coltype)
