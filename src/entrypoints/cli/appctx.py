"""Opening the database-backed application for one command.

Commands call ``open_for(ctx)`` inside their bodies, so SQLAlchemy and Alembic
are imported only by commands that use the database, never by ``--help``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from .context import settings_of

if TYPE_CHECKING:
    from complaint_core.labels import Language
    from entrypoints.app import App


def open_for(ctx: typer.Context) -> App:
    """The App on ``--db`` (created and migrated on first use); closed when the command ends."""
    from entrypoints.app import open_app

    app = open_app(settings_of(ctx).db)
    ctx.call_on_close(app.close)
    return app


def app_language(ctx: typer.Context, app: App) -> Language:
    """``--lang`` if given, else the language of the database's default policy (``init``'s), else zh: what a
    command that concerns no one case or policy speaks."""
    return settings_of(ctx).language(app.default_policy().language)
