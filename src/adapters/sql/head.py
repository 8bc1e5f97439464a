"""The schema revision this version of the library writes (the Alembic head).

Kept as a constant so that opening a database already at it needs no Alembic,
and in a module of its own so the read-only path needs no SQLAlchemy. A test
checks it equals the head of the migration scripts.
"""

HEAD = "0007"
