"""Storage errors a user can act on: bad location, read-only file, newer schema, bad URL."""

from __future__ import annotations

from complaint_core.errors import DomainError


class StorageError(Exception):
    """The database cannot be used as asked; the message says why and never contains a password."""


class StorageBusy(StorageError):
    """Another process held the SQLite write lock for the whole busy timeout; trying again later may work."""


class NotStorable(DomainError, ValueError):
    """A value longer than its column, or holding a NUL character: PostgreSQL refuses both and SQLite kept them,
    so the same input gave a case on one database and an unexpected error on the other. Refused on both, before
    anything is written, naming the field."""

    rule = "STORE-LIMIT"
