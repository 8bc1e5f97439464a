"""``complaint init --policy PRESET|FILE``: create the database and choose its default policy.

A FILE is validated and stored as a ``policy`` document (once per version: a version the
database or the presets know with other content is refused); calendar files given are
stored as ``calendar`` documents; the choice is stored as the ``default_policy`` setting,
which ``entrypoints.app.open_app`` reads. Running it again with a new version of the policy
publishes that version: new cases open under it, open cases keep theirs (``case adopt``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .context import settings_of, single
from .options import CalendarFilesOption
from .output import Texts, diag, emit

if TYPE_CHECKING:
    from rich.console import Console
    from sqlalchemy.engine import Connection

    from complaint_core.policy import Policy

TEXT = Texts(
    {
        "done": (
            "数据库 {db} 已就绪(结构版本 {schema}),默认制度 {policy} v{version}",
            "database {db} ready (schema {schema}); default policy {policy} v{version}",
        ),
        "shadowed": (
            "注意:本数据库自存的 {policy} v{version} 与随库预置的同版本内容不同,本库沿用自存版本",
            "note: this database stores its own {policy} v{version}, with other content than the bundled preset's "
            "v{version}; here the stored one is used",
        ),
    }
)


def init(
    ctx: typer.Context,
    policy: Annotated[
        str,
        typer.Option(
            "--policy", "-p", metavar="PRESET|FILE", help="Policy preset name or policy file (TOML, or JSON)."
        ),
    ] = "manufacturing",
    calendar_files: CalendarFilesOption = None,
) -> None:
    """Create (or migrate) the database, store the policy and calendar files given, set the default policy."""
    from datetime import UTC, datetime

    from adapters.policy_files import PRESETS, policy_format
    from adapters.sql import documents as docs
    from adapters.sql import open_database
    from adapters.sql.head import HEAD
    from adapters.sql.migrate import current, upgrade_on
    from adapters.stored_documents import StoredPolicies
    from complaint_core.errors import PolicyInvalid

    from .calendar_cmd import read_calendar_file, store_calendar_file
    from .loaders import BUNDLED_CALENDAR, load_policy_arg

    settings = settings_of(ctx)
    files = calendar_files or ()
    # everything is checked before the database is touched, but the calendar's name, which may be stored there
    loaded = load_policy_arg(policy, param_hint="'--policy'", calendar_files=files, check_calendar=False)
    calendars = [read_calendar_file(path) for path in files]
    database = open_database(settings.db, migrate=False)  # refuses a newer or a foreign database; creates nothing
    ctx.call_on_close(database.dispose)
    engine = database.engine
    revision = current(engine)
    now = datetime.now(UTC)
    # the schema, the policy, its calendars and the setting, together or not at all: an interrupted init leaves the
    # database as it was (an empty file, not a schema without its default policy)
    with engine.begin() as conn:
        if revision != HEAD:
            upgrade_on(conn)
        stored_calendars = (name for name, *_ in docs.latest(conn, "calendar"))
        known = {BUNDLED_CALENDAR, *(c.name for c in calendars), *stored_calendars}
        if loaded.calendar.name not in known:
            raise PolicyInvalid(
                "calendar.name",
                f"unknown calendar {loaded.calendar.name!r} (known: {', '.join(sorted(known))}) in {policy}: "
                "give its file with --calendar-file, or store it first with `complaint calendar import FILE`",
            )
        stored = policy not in PRESETS and _new_version(conn, loaded, policy)
        shadowed = policy in PRESETS and _shadowed(conn, loaded)
        if stored:
            source = Path(policy).read_text(encoding="utf-8-sig")
            docs.store(conn, kind="policy", name=loaded.policy_id, source=source, fmt=policy_format(policy), at=now)
        imported = [{"name": c.name, "version": store_calendar_file(conn, c)} for c in calendars]
        docs.store(conn, kind="setting", name="default_policy", source=loaded.policy_id, fmt="text", at=now)
    # new cases open under the newest version of the id: a later one stored before, or a custom file's over a preset
    opens = StoredPolicies(lambda: docs.all_versions(engine, "policy")).get(loaded.policy_id).version
    doc = {
        "db": database.url,
        "schema": current(engine),
        "policy": {"id": loaded.policy_id, "version": loaded.version},
        "stored": stored,
        "calendars": imported,
        "default_policy": loaded.policy_id,
        "new_cases_version": opens,
    }
    lang = settings.language(loaded.language)
    if shadowed:
        diag(TEXT("shadowed", lang, policy=loaded.policy_id, version=loaded.version))
    message = TEXT("done", lang, db=doc["db"], schema=doc["schema"], policy=loaded.policy_id, version=opens)

    def human(console: Console) -> None:
        console.print(message, markup=False, highlight=False)

    emit(settings, doc, human)


def _new_version(conn: Connection, policy: Policy, path: str) -> bool:
    """Whether ``policy`` is a version the database does not know yet; the same version again is a no-op, and a
    version known with other content is refused: cases keep the version they were opened under, and a later
    edit must not rewrite them (DOMAIN §2)."""
    from adapters.sql import documents as docs
    from adapters.stored_documents import StoredPolicies
    from complaint_core.errors import NotFound, PolicyInvalid

    known = StoredPolicies(lambda: docs.all_versions(conn, "policy"))
    try:
        existing = known.get(policy.policy_id, policy.version)
    except NotFound:
        return True
    if existing == policy:
        return False
    where = "stored in the database" if known.stored(policy.policy_id, policy.version) else "the bundled preset"
    raise PolicyInvalid(
        "version",
        f"policy {policy.policy_id} v{policy.version} is {where} with other content in {path}: "
        f"give the changed policy a new version (cases keep the version they were opened under)",
    )


def _shadowed(conn: Connection, preset: Policy) -> bool:
    """Whether the database stores its own policy under a bundled preset's id and version, with other content
    (exported, renumbered and stored before a release bundled that version): there the stored one is the version,
    for the cases opened under it, and the bundled one is never used."""
    from adapters.sql import documents as docs
    from adapters.stored_documents import StoredPolicies

    known = StoredPolicies(lambda: docs.all_versions(conn, "policy"))
    return known.stored(preset.policy_id, preset.version) and known.get(preset.policy_id, preset.version) != preset


def build() -> typer.Typer:
    return single("init", "Create the database and choose its policy. | 初始化数据库并选定制度。", init)
