"""Schema migrations, run from code: ``upgrade_to_head(engine)``.

The Alembic scripts ship inside the package; no ``alembic.ini`` is needed. A
database stamped with a revision this code does not know was written by a newer
version of the library: we refuse to touch it rather than guess.

Opening a database that is already at ``HEAD`` (every open but the first after
an upgrade) needs no Alembic at all: the stored revision is compared with the
constant. A test checks that ``HEAD`` is the head of the scripts, so it cannot
drift when a migration is added.
"""

from __future__ import annotations

from importlib.resources import files

from sqlalchemy import Connection, Engine, inspect, text

from .engine import reading
from .errors import StorageError

# The newest revision in migrations/versions (tests/integration/cli/test_startup.py checks it against Alembic).
from .head import HEAD


def _config(connection: Connection | None = None):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(files("adapters.sql") / "migrations"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    from alembic.script import ScriptDirectory

    found = ScriptDirectory.from_config(_config()).get_current_head()
    assert found is not None
    return found


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {script.revision for script in ScriptDirectory.from_config(_config()).walk_revisions()}


def current(engine: Engine) -> str | None:
    """The revision the database is at, None for an empty database.

    A database that has no revision but is not empty is refused, never written into: our tables without a
    revision mean a damaged database; other tables in a SQLite file, another application's database.
    """
    from .tables import foreign_tables, metadata

    with reading(engine) as conn:
        names = set(inspect(conn).get_table_names())
        rows = conn.execute(text("SELECT version_num FROM alembic_version")).all() if "alembic_version" in names else []
    others = foreign_tables(names)
    if others and engine.dialect.name == "sqlite" and not names & set(metadata.tables):
        raise StorageError(  # one migrated with Alembic too: its revision is no newer complaint-core's
            f"the file is another application's SQLite database (tables {', '.join(others[:3])}"
            f"{', …' if len(others) > 3 else ''}); use a new file for complaint-core"
        )
    if len(rows) > 1:
        raise StorageError(
            f"the database has several schema revisions ({', '.join(sorted(str(r[0]) for r in rows))}): it was "
            "written by a newer version of complaint-core; upgrade complaint-core"
        )
    if rows:
        return str(rows[0][0])
    ours = sorted(names & set(metadata.tables))
    if ours:
        raise StorageError(
            f"the database has complaint-core tables ({', '.join(ours[:3])}{', …' if len(ours) > 3 else ''}) "
            "but no schema revision: it is damaged or was made by another tool; restore a backup or use a new file"
        )
    return None


def check_known(engine: Engine) -> str | None:
    """The database's revision; a revision newer than this code is refused."""
    return refuse_newer(current(engine))


def refuse_newer(revision: str | None) -> str | None:
    if revision is None or revision == HEAD:
        return revision
    if revision not in known_revisions():
        raise StorageError(
            f"the database is at schema revision {revision!r}, which this version of complaint-core "
            f"does not know (its head is {head()!r}); it was written by a newer version: upgrade complaint-core"
        )
    return revision


def upgrade_to_head(engine: Engine) -> None:
    check_known(engine)
    _upgrade(engine)


def _upgrade(engine: Engine) -> None:
    """Alembic's upgrade, one process at a time: workers starting together on a fresh PostgreSQL database all
    found it empty and all created the schema, and all but one failed (a duplicate ``alembic_version`` type).
    An advisory lock held to the commit makes the others wait; Alembic then reads the revision the first
    wrote and has nothing to do. (SQLite's ``BEGIN IMMEDIATE`` already serialises them.)"""
    with engine.begin() as conn:
        upgrade_on(conn)


def upgrade_on(conn: Connection) -> None:
    """Bring the schema to ``HEAD`` in the caller's transaction (``init`` creates it with its first documents, so
    an interrupted ``init`` leaves an empty database, not a schema without its settings)."""
    from alembic import command
    from sqlalchemy import func, select

    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(func.hashtext("complaint-core schema"))))
    command.upgrade(_config(conn), "head")


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    with engine.begin() as conn:
        command.downgrade(_config(conn), revision)


def ensure_schema(engine: Engine) -> None:
    """On first use of an empty database, create the schema; refuse a newer one; migrate an older one.

    A database at ``HEAD`` is left alone without loading Alembic (the common case: a look at alembic_version).
    """
    revision = current(engine)
    if revision == HEAD:
        return
    refuse_newer(revision)
    _upgrade(engine)
