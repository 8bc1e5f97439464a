"""``complaint init --policy PRESET|FILE``: create the database and choose its default policy.

A FILE is validated and stored as a ``policy`` document; the choice is stored as the
``default_policy`` setting, which ``entrypoints.app.open_app`` reads.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .context import settings_of
from .options import CalendarFilesOption
from .output import Texts, emit
from .sweep_cmd import single

if TYPE_CHECKING:
    from rich.console import Console

TEXT = Texts(
    {
        "done": (
            "数据库 {db} 已就绪(结构版本 {schema}),默认制度 {policy} v{version}",
            "database {db} ready (schema {schema}); default policy {policy} v{version}",
        ),
    }
)


def init(
    ctx: typer.Context,
    policy: Annotated[
        str,
        typer.Option("--policy", "-p", metavar="PRESET|FILE", help="Policy preset name or policy TOML file."),
    ] = "manufacturing",
    calendar_files: CalendarFilesOption = None,
) -> None:
    """Create (or migrate) the database and set its default policy."""
    from datetime import UTC, datetime

    from adapters.policy_files import PRESETS
    from adapters.sql import documents as docs
    from adapters.sql import open_database
    from adapters.sql.migrate import current

    from .loaders import load_policy_arg

    settings = settings_of(ctx)
    loaded = load_policy_arg(policy, param_hint="'--policy'", calendar_files=calendar_files or ())
    database = open_database(settings.db)
    ctx.call_on_close(database.dispose)
    now = datetime.now(UTC)
    stored = None
    if policy not in PRESETS:
        source = Path(policy).read_text(encoding="utf-8")
        stored = docs.store(database.engine, kind="policy", name=loaded.policy_id, source=source, fmt="toml", at=now)
    docs.store(database.engine, kind="setting", name="default_policy", source=loaded.policy_id, fmt="text", at=now)
    doc = {
        "db": database.url,
        "schema": current(database.engine),
        "policy": {"id": loaded.policy_id, "version": loaded.version},
        "stored_policy_version": stored,
        "default_policy": loaded.policy_id,
    }
    lang = settings.language(loaded.language)
    message = TEXT("done", lang, db=doc["db"], schema=doc["schema"], policy=loaded.policy_id, version=loaded.version)

    def human(console: Console) -> None:
        console.print(message, markup=False, highlight=False)

    emit(settings, doc, human)


def build() -> typer.Typer:
    return single("init", "Create the database and choose its policy. | 初始化数据库并选定制度。", init)
