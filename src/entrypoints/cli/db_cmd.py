"""``complaint db upgrade|current``: the database schema (Alembic, run from code)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from .context import area, settings_of
from .output import Texts, emit

if TYPE_CHECKING:
    from rich.console import Console

TEXT = Texts(
    {
        "current": ("{db}:结构版本 {current}(最新 {head})", "{db}: schema {current} (head {head})"),
        "upgraded": ("{db}:结构 {before} → {after}", "{db}: schema {before} -> {after}"),
        "none": ("(空)", "(empty)"),
        "newer": (
            ";该结构来自更新版本的 complaint-core,请升级 complaint-core",
            "; written by a newer complaint-core: upgrade complaint-core",
        ),
    }
)


def upgrade(ctx: typer.Context) -> None:
    """Bring the database to the newest schema (a newer, unknown schema is refused)."""
    from adapters.sql import open_database
    from adapters.sql.migrate import current, head, upgrade_to_head

    settings = settings_of(ctx)
    database = open_database(settings.db, migrate=False)
    ctx.call_on_close(database.dispose)
    before = current(database.engine)
    upgrade_to_head(database.engine)
    after = current(database.engine)
    doc = {"db": database.url, "from": before, "to": after, "head": head(), "changed": before != after}
    lang = settings.language()
    none = TEXT("none", lang)
    message = TEXT("upgraded", lang, db=doc["db"], before=before or none, after=after or none)

    def human(console: Console) -> None:
        console.print(message, markup=False, highlight=False)

    emit(settings, doc, human)


def show_current(ctx: typer.Context) -> None:
    """The schema revision of the database and the newest one this version knows."""
    from adapters.sql import open_database
    from adapters.sql.migrate import current, head, known_revisions

    settings = settings_of(ctx)
    database = open_database(settings.db, migrate=False, newer_ok=True)  # a newer schema is reported, not refused
    ctx.call_on_close(database.dispose)
    revision = current(database.engine)
    newest = head()
    newer = revision is not None and revision not in known_revisions()
    doc = {"db": database.url, "current": revision, "head": newest, "up_to_date": revision == newest, "newer": newer}
    lang = settings.language()
    message = TEXT("current", lang, db=doc["db"], current=revision or TEXT("none", lang), head=newest)
    if newer:
        message += TEXT("newer", lang)

    def human(console: Console) -> None:
        console.print(message, markup=False, highlight=False)

    emit(settings, doc, human)


def build() -> typer.Typer:
    app = area("db", "The database schema. | 数据库结构。")
    app.command("upgrade")(upgrade)
    app.command("current")(show_current)
    return app
