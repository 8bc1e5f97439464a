"""SQL storage (SQLAlchemy 2 Core): SQLite by default, PostgreSQL to scale out.

``open_database(db)`` gives a ``Database``: the engine, set up and migrated on
first use, and ``unit_of_work()`` for the service layer. The names are imported
on first use, so ``adapters.sql.readonly`` and ``adapters.sql.head`` can be used
without loading SQLAlchemy.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .database import Database, open_database
    from .errors import StorageError

_WHERE = {"Database": "database", "open_database": "database", "StorageError": "errors"}

__all__ = ["Database", "StorageError", "open_database"]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'adapters.sql' has no attribute {name!r}")
    return getattr(import_module(f".{module}", __name__), name)
