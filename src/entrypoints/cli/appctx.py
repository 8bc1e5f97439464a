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


MAX_AHEAD_MINUTES = 10  # the clerk's machine and the server's clocks may differ a little


def open_for(ctx: typer.Context) -> App:
    """The App on ``--db`` (created and migrated on first use); closed when the command ends. A command may be
    dated (``--at``) at most ten minutes ahead of now, unless ``--allow-future`` (``CaseService.max_ahead``)."""
    from datetime import timedelta

    from entrypoints.app import open_app

    settings = settings_of(ctx)
    ahead = None if settings.allow_future else timedelta(minutes=MAX_AHEAD_MINUTES)
    app = open_app(settings.db, max_ahead=ahead)
    ctx.call_on_close(app.close)
    return app


def app_language(ctx: typer.Context, app: App) -> Language:
    """``--lang`` if given, else the language of the database's default policy (``init``'s), else zh: what a
    command that concerns no one case or policy speaks."""
    return settings_of(ctx).language(app.default_policy().language)
