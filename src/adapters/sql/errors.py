"""Storage errors a user can act on: bad location, read-only file, newer schema, bad URL."""

from __future__ import annotations


class StorageError(Exception):
    """The database cannot be used as asked; the message says why and never contains a password."""


class StorageBusy(StorageError):
    """Another process held the SQLite write lock for the whole busy timeout; trying again later may work."""
