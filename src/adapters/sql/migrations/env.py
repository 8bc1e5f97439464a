"""Alembic environment: runs on the connection handed over in ``config.attributes``.

No ``fileConfig`` here: it would disable the application's loggers.
"""

from __future__ import annotations

from alembic import context

from adapters.sql.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - we only run migrations from code
    raise RuntimeError("run migrations through adapters.sql.migrate, which passes a connection")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
