"""SQL storage (SQLAlchemy 2 Core): SQLite by default, PostgreSQL to scale out.

``open_database(db)`` gives a ``Database``: the engine, set up and migrated on
first use, and ``unit_of_work()`` for the service layer. SQLAlchemy and Alembic
are imported only when this package is.
"""

from __future__ import annotations

from .database import Database, open_database
from .errors import StorageError

__all__ = ["Database", "StorageError", "open_database"]
