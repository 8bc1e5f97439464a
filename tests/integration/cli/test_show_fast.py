"""``case show`` on a SQLite file at the current schema reads it with ``sqlite3`` alone (``adapters.sql.readonly.ReadOnlyCases``):
the same JSON as the normal path (``open_app``), the same errors, a fall-back when the file is missing or at
another revision, and no SQLAlchemy in the process."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import typer

from adapters.sql.head import HEAD as SCHEMA_HEAD
from adapters.sql.readonly import ReadOnlyCases

from .cli_cases_support import as_json, invoke, make_app, run

AT = "2026-11-20T10:00"


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    return make_app()


def show_both(app: typer.Typer, db: Path, ref: str, monkeypatch: pytest.MonkeyPatch, *extra: str) -> Any:
    """``case show REF --json`` through the fast path and through ``open_app``: the same result."""
    opened: list[bool] = []
    original = ReadOnlyCases.open

    def spy(db: str | None) -> ReadOnlyCases | None:
        store = original(db)
        opened.append(store is not None)
        return store

    with monkeypatch.context() as patch:
        patch.setattr(ReadOnlyCases, "open", staticmethod(spy))
        fast = invoke(app, db, "--json", "case", "show", ref, *extra)
    assert opened == [True]
    with monkeypatch.context() as patch:
        patch.setattr(ReadOnlyCases, "open", staticmethod(lambda db: None))
        normal = invoke(app, db, "--json", "case", "show", ref, *extra)
    assert (fast.exit_code, fast.stdout, fast.stderr) == (normal.exit_code, normal.stdout, normal.stderr)
    return json.loads(fast.stdout) if fast.exit_code == 0 else fast


def open_case(app: typer.Typer, db: Path, category: str, at: str = "2026-11-02T09:00", *extra: str) -> Any:
    return as_json(app, db, "case", "open", "--customer", "华东电子", "--category", category, "--amount", "320.50",
                   "--at", at, *extra)  # fmt: skip


@pytest.mark.parametrize(
    ("preset", "category"),
    [
        ("manufacturing", "quality"),
        ("furniture", "product_quality"),
        ("bank-branch", "service"),
        ("service", "quality"),
    ],
)
def test_same_json_under_each_preset_by_number_and_id(
    app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, preset: str, category: str
) -> None:
    db = tmp_path / "c.db"
    as_json(app, db, "init", "--policy", preset)
    opened = open_case(app, db, category)
    registered = as_json(app, db, "case", "register", opened["id"], "--at", "2026-11-02T10:00")
    by_number = show_both(app, db, registered["number"], monkeypatch, "--at", AT)
    by_id = show_both(app, db, opened["id"], monkeypatch, "--at", AT)
    assert by_number == by_id and by_number["id"] == opened["id"]
    assert show_both(app, db, opened["id"], monkeypatch, "--at", "2026-11-20T10:00+00:00")["id"] == opened["id"]
    show_both(app, db, opened["id"], monkeypatch)  # as of now (the same "now" to the second, almost always)


def test_second_complaint_shows_its_parent_number(
    app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "c.db"
    ref = open_case(app, db, "quality")["id"]
    for hour, step in enumerate(
        [
            ("register",),
            ("investigate",),
            ("attribute", "--party", "supplier:acme=1"),
            ("propose", "--remedy", "allowance", "--amount", "100"),
            ("approve", "--by", "li", "--role", "sales_manager"),
            ("reply", "--message", "ok"),
            ("close",),
        ],
        start=10,
    ):
        doc = as_json(app, db, "case", step[0], ref, *step[1:], "--at", f"2026-11-02T{hour}:00")
    second = as_json(app, db, "case", "second", doc["number"], "--description", "不接受", "--at", "2026-11-03T09:00")
    shown = show_both(app, db, second["id"], monkeypatch, "--at", AT)
    assert shown["parent_number"] == doc["number"]
    assert show_both(app, db, doc["number"], monkeypatch, "--at", AT)["status"] == "closed"


@pytest.mark.usefixtures("allow_future")
def test_stored_policy_and_stored_calendar(app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from adapters.policy_files import preset_text
    from adapters.sql import documents as docs
    from adapters.sql import open_database

    db = tmp_path / "c.db"
    policy = tmp_path / "mine.toml"
    policy.write_text(preset_text("service").replace('id = "service"', 'id = "mine"', 1), "utf-8")
    as_json(app, db, "init", "--policy", str(policy))
    cal = tmp_path / "cal2027.toml"
    cal.write_text('name = "cn"\n[years.2027]\nholidays = ["2027-01-01"]\nworkdays = []\n', "utf-8")
    as_json(app, db, "calendar", "import", str(cal))
    first = as_json(app, db, "case", "open", "--customer", "A", "--category", "quality", "--kind", "internal",
                    "--at", "2027-01-04T09:00")  # fmt: skip
    assert first["policy"]["id"] == "mine"
    # a newer stored version of a preset's id replaces the preset; the first case keeps its version
    text = preset_text("manufacturing").replace("version = 6", "version = 7", 1)
    database = open_database(str(db))
    try:
        docs.store(database.engine, kind="policy", name="manufacturing", source=text, fmt="toml", at=datetime.now(UTC))
    finally:
        database.dispose()
    second = open_case(app, db, "quality", "2027-01-04T10:00", "--policy", "manufacturing")
    assert second["policy"] == {**second["policy"], "id": "manufacturing", "version": 7}
    for ref in (first["id"], first["number"] or first["id"], second["id"]):
        assert show_both(app, db, ref, monkeypatch, "--at", "2027-01-20T10:00")["id"] in (first["id"], second["id"])
    shown = show_both(app, db, first["id"], monkeypatch, "--at", "2027-01-20T10:00")
    assert shown["clocks"][0]["due_at"] is not None  # computed on the stored 2027 calendar
    human = invoke(app, db, "case", "show", second["id"])
    assert human.exit_code == 0 and "华东电子" in human.stdout


def test_unknown_case_exits_3_with_the_same_message(
    app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "c.db"
    open_case(app, db, "quality")
    for ref in ("999999", "8d9f5a52-0a53-4c53-a1a4-1b3dc2b3a000"):
        refused = show_both(app, db, ref, monkeypatch)
        assert refused.exit_code == 3 and ref in refused.stderr


def test_missing_file_or_other_revision_falls_back(app: typer.Typer, tmp_path: Path) -> None:
    missing = tmp_path / "new.db"
    assert ReadOnlyCases.open(str(missing)) is None
    assert ReadOnlyCases.open("postgresql://u@h/db") is None
    refused = invoke(app, missing, "--json", "case", "show", "261101")
    assert refused.exit_code == 3 and missing.exists()  # the normal path created and migrated it
    assert ReadOnlyCases.open(str(missing)) is not None
    assert ReadOnlyCases.open(f"sqlite:///{missing}") is not None
    db = tmp_path / "c.db"
    ref = open_case(app, db, "quality")["id"]
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0002'")
    assert ReadOnlyCases.open(str(db)) is None
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    unknown = invoke(app, db, "--json", "case", "show", ref)
    newer = invoke(app, db, "--json", "db", "upgrade")
    assert unknown.exit_code != 0 and unknown.exit_code == newer.exit_code
    assert unknown.stderr == newer.stderr
    # db current reports the newer schema instead of refusing it (docs/cli.md), in JSON and in words
    reported = invoke(app, db, "--json", "db", "current")
    assert reported.exit_code == 0, reported.stderr
    assert json.loads(reported.stdout) | {"db": None} == {
        "db": None, "current": "9999", "head": SCHEMA_HEAD, "up_to_date": False, "newer": True
    }  # fmt: skip
    words = invoke(app, db, "--lang", "en", "db", "current")
    assert words.exit_code == 0 and "newer complaint-core" in words.stdout


def test_schema_head_is_the_migrations_head() -> None:
    from adapters.sql import migrate

    assert SCHEMA_HEAD == migrate.HEAD


def test_case_show_json_does_not_import_sqlalchemy(app: typer.Typer, tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    ref = open_case(app, db, "quality")["id"]
    code = (
        "import runpy, sys\n"
        "sys.argv = ['complaint', *sys.argv[1:]]\n"
        "try:\n    runpy.run_module('entrypoints.cli.main', run_name='__main__')\n"
        "except SystemExit as done:\n    assert not done.code, done.code\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'alembic'))))"
    )
    done = run_python(code, "--db", str(db), "--json", "case", "show", ref)
    assert done.returncode == 0, done.stderr
    shown, loaded = done.stdout.strip().rsplit("\n", 1)
    assert json.loads(shown)["id"] == ref
    assert json.loads(loaded) == []
    assert json.loads(run("--db", str(db), "--json", "case", "show", ref).stdout)["id"] == ref


def run_python(code: str, *args: str) -> Any:
    import os
    import subprocess
    import sys

    from .cli_cases_support import SRC

    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.run(
        [sys.executable, "-c", "import json\n" + code, *args], capture_output=True, text=True, env=env, check=False
    )
