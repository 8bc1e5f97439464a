"""Start-up shortcuts of the ``complaint`` CLI (bench/bench_cli.py) and the checks that keep them exact.

- the schema check skips Alembic when the database is at ``migrate.HEAD``: HEAD must be Alembic's head;
- ``complaint --help`` lists the areas from ``main.AREA_INDEX`` without importing them: the index must
  say what each module's ``build()`` says;
- a command line builds only its area (and command): the same help and errors as the full tree;
- parameter values are coerced without pydantic (``options.install_fast_coercion``): the same values
  and messages as typer's own coercion;
- ``StoredPolicies`` loads policies on demand: the same policies as loading every preset and stored version.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pytest
import typer
import typer.main
from typer.testing import CliRunner

from entrypoints.cli import main
from entrypoints.cli.context import TYPER_OPTIONS, Lang
from entrypoints.cli.errors import HandledGroup
from entrypoints.cli.options import datetime_param, install_fast_coercion, money_param

SRC = str(Path(__file__).resolve().parents[3] / "src")


def python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC, "COLUMNS": "120"}
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


# ----- schema check ------------------------------------------------------------------------------
def test_head_constant_is_the_alembic_head() -> None:
    from adapters.sql import migrate

    assert migrate.head() == migrate.HEAD, "a migration was added: set migrate.HEAD to its revision"
    assert migrate.HEAD in migrate.known_revisions()


def test_opening_a_database_at_head_does_not_load_alembic(tmp_path: Path) -> None:
    db = str(tmp_path / "c.db")
    first = python("import sys; from adapters.sql import open_database; open_database(sys.argv[1]).dispose()", db)
    assert first.returncode == 0, first.stderr
    code = (
        "import sys; from adapters.sql import open_database, migrate\n"
        "open_database(sys.argv[1]).dispose()\n"
        "print(sorted(n for n in ('alembic', 'mako') if n in sys.modules))"
    )
    again = python(code, db)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "[]"


def test_an_older_database_is_still_migrated_and_a_newer_one_refused(tmp_path: Path) -> None:
    from sqlalchemy import text

    from adapters.sql import StorageError, migrate, open_database
    from adapters.sql.engine import make_engine

    engine = make_engine(str(tmp_path / "c.db"))
    try:
        migrate.upgrade_to_head(engine)
        migrate.downgrade(engine, "0001")
        assert migrate.current(engine) == "0001"
        migrate.ensure_schema(engine)
        assert migrate.current(engine) == migrate.HEAD
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = 'zzzz'"))
        with pytest.raises(StorageError, match="zzzz"):
            open_database(str(tmp_path / "c.db")).dispose()
    finally:
        engine.dispose()


# ----- the area index ----------------------------------------------------------------------------
def test_area_index_says_what_each_area_module_builds() -> None:
    assert sorted(module for module, _ in main.AREA_INDEX.values()) == sorted(main.AREAS)
    for name, (module, help) in main.AREA_INDEX.items():
        built = importlib.import_module(module).build()
        assert (built.info.name, built.info.help) == (name, help), f"update main.AREA_INDEX[{name!r}]"


@pytest.mark.parametrize("name", ["init", "sweep", "demo", "serve"])
def test_a_command_without_subcommands_shows_no_subcommand_slot(name: str) -> None:
    """CLI audit: `demo --help` and `serve --help` read "Usage: … [OPTIONS] COMMAND [ARGS]..."."""
    built = importlib.import_module(main.AREA_INDEX[name][0]).build()
    code, out, _ = _output(built, "--help")
    assert code == 0 and "COMMAND" not in out.splitlines()[0], out


def _output(app: typer.Typer, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "120"})
    return result.exit_code, result.stdout, result.stderr


def test_root_help_from_the_index_is_the_full_root_help() -> None:
    full = main.build_app()
    assert _output(main.build_index(), "--help") == _output(full, "--help")
    assert _output(main.build_index()) == _output(full)
    assert _output(main.build_index(), "--json", "--help") == _output(full, "--json", "--help")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], (None, None)),
        (["--help"], (None, None)),
        (["--db", "x.db", "--json", "--help"], (None, None)),
        (["--db", "case", "--json"], (None, None)),  # "case" is the value of --db
        (["--db", "x.db", "--json", "case", "show", "1"], (("entrypoints.cli.case_cmd",), "show")),
        (["--db=x.db", "--lang", "en", "-v", "case", "show"], (("entrypoints.cli.case_cmd",), "show")),
        (["case", "--help"], (("entrypoints.cli.case_cmd",), None)),
        (["case"], (("entrypoints.cli.case_cmd",), None)),
        (["return", "show", "x"], (("entrypoints.cli.returns_cmd",), "show")),
        (["cas", "show"], (main.AREAS, None)),
        (["--bogus", "case", "show"], (main.AREAS, None)),
    ],
)
def test_invoked_builds_only_what_the_command_line_names(argv: list[str], expected: object) -> None:
    assert main.invoked(argv) == expected


def test_completion_builds_every_area(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_COMPLAINT_COMPLETE", "bash_complete")
    assert main.invoked(["case", "show"]) == (main.AREAS, None)


@pytest.mark.parametrize(
    "argv",
    [
        ["case", "show", "--help"],
        ["case", "--help"],
        ["case", "shw", "1"],
        ["case", "show"],
        ["case", "show", "1", "--at", "yesterday"],
        ["calendar", "add-days", "2026-02-30", "1"],
        ["sweep", "--help"],
    ],
)
def test_a_pruned_tree_answers_like_the_full_tree(argv: list[str]) -> None:
    areas, command = main.invoked(argv)
    assert areas is not None and len(areas) == 1
    assert _output(main.build_app(areas, command=command), *argv) == _output(main.build_app(), *argv)


def test_case_show_json_imports_neither_pydantic_nor_alembic_nor_rich(tmp_path: Path) -> None:
    db = str(tmp_path / "c.db")
    env = {**os.environ, "PYTHONPATH": SRC}

    def cli(*args: str) -> Any:
        done = subprocess.run(
            [sys.executable, "-m", "entrypoints.cli.main", "--db", db, "--json", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    opened = cli("case", "open", "--customer", "华东电子", "--category", "quality", "--at", "2026-11-02T09:00")
    number = cli("case", "register", opened["id"], "--at", "2026-11-02T10:00")["number"]
    code = (
        "import sys\nfrom entrypoints.cli.main import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "heavy = ('pydantic', 'alembic', 'mako', 'rich', 'entrypoints.cli.policy_cmd', 'complaint_core.penalty_service')\n"
        "sys.stderr.write(repr(sorted(n for n in heavy if n in sys.modules)))"
    )
    shown = python(code, "--db", db, "--json", "case", "show", number)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["number"] == number
    assert shown.stderr == "[]"


# ----- value coercion without pydantic -----------------------------------------------------------
class Colour(StrEnum):
    red = "red"
    blue = "blue"


def _probe_app(fast: bool) -> typer.Typer:
    # The root group of the CLI installs the fast coercion before parsing; typer's own group does not.
    app = typer.Typer(**TYPER_OPTIONS, **({"cls": HandledGroup} if fast else {}))

    @app.command()
    def probe(
        name: Annotated[str, typer.Argument()],
        count: Annotated[int, typer.Option("--count")] = 1,
        flag: Annotated[bool, typer.Option("--flag")] = False,
        lang: Annotated[Lang | None, typer.Option("--lang")] = None,
        colour: Annotated[Colour, typer.Option("--colour", case_sensitive=False)] = Colour.red,
        tags: Annotated[list[str] | None, typer.Option("--tag")] = None,
        at: Annotated[datetime | None, typer.Option("--at", parser=datetime_param)] = None,
        amount: Annotated[Decimal | None, typer.Option("--amount", parser=money_param)] = None,
        ratio: Annotated[float, typer.Option("--ratio")] = 0.5,
    ) -> None:
        print(repr((name, count, flag, lang, colour, tags, at, amount, ratio)))

    @app.command()
    def other() -> None:  # a second command, so the probe is a sub-command as in the CLI
        pass

    return app


@pytest.mark.parametrize(
    "args",
    [
        ["x"],
        ["hello", "--count", "42", "--flag", "--lang", "en", "--colour", "BLUE", "--tag", "a", "--tag", "b"],
        ["x", "--count", "-7", "--at", "2026-11-02T09:00+08:00", "--amount", "700.5", "--ratio", "0.25"],
        ["x", "--count", "007"],
        ["x", "--count", " 8"],
        ["x", "--count", "1.0"],
        ["x", "--count", "many"],
        ["x", "--lang", "fr"],
        ["x", "--colour", "green"],
        ["x", "--at", "yesterday"],
        ["x", "--amount", "-3"],
        ["x", "--ratio", "half"],
        ["x", "--count", "99999999999999999999999"],
    ],
)
def test_fast_coercion_gives_typer_s_values_and_messages(args: list[str]) -> None:
    def run(fast: bool) -> tuple[int, str, str]:
        result = CliRunner().invoke(_probe_app(fast), ["probe", *args], env={"COLUMNS": "120"})
        return result.exit_code, result.stdout, result.stderr

    # every probe parameter but the float, and the two completion flags of the root
    assert install_fast_coercion(typer.main.get_command(_probe_app(fast=False))) == 10

    assert run(fast=True) == run(fast=False)


def test_fast_coercion_covers_the_cli_parameters_but_paths_and_floats() -> None:
    command = typer.main.get_command(main.build_app())
    total = 0
    stack: list[Any] = [command]
    while stack:
        cmd = stack.pop()
        stack.extend(getattr(cmd, "commands", {}).values())
        total += len(cmd.params)
    installed = install_fast_coercion(command)
    assert installed >= 0.85 * total


# ----- policies on demand ------------------------------------------------------------------------
def test_stored_policies_are_the_documents_policies(tmp_path: Path) -> None:
    from adapters.policy_files import PRESETS, load_preset, loads_policy, preset_text, preset_versions
    from adapters.policy_table import MemoryPolicies
    from adapters.sql import documents as docs
    from adapters.sql import open_database
    from adapters.stored_documents import StoredPolicies
    from complaint_core.errors import NotFound

    database = open_database(str(tmp_path / "c.db"))
    try:
        for name in PRESETS:
            assert load_preset(name).policy_id == name  # the preset file is named by its id
        text = preset_text("manufacturing").replace("version = 6", "version = 7", 1)
        assert "version = 7" in text
        docs.store(database.engine, kind="policy", name="manufacturing", source=text, fmt="toml", at=datetime.now(UTC))
        stored = [loads_policy(src, name) for name, _, _, src in docs.all_versions(database.engine, "policy")]
        replaced = {(p.policy_id, p.version) for p in stored}
        presets = [p for n in PRESETS for p in preset_versions(n)]
        full = MemoryPolicies([*(p for p in presets if (p.policy_id, p.version) not in replaced), *stored])  # eagerly
        lazy = StoredPolicies(lambda: docs.all_versions(database.engine, "policy"))
        for pid in PRESETS:
            assert lazy.get(pid) == full.get(pid)
        assert lazy.get("manufacturing").version == 7
        # a stored v7 leaves the preset's bundled versions to the cases opened under them, as when loading eagerly
        bundled = preset_versions("manufacturing")
        assert bundled[-1] == load_preset("manufacturing") and [p.version for p in bundled] == [1, 2, 3, 4, 5, 6]
        for version in (1, 2, 3, 4, 5, 6):
            assert lazy.get("manufacturing", version) == full.get("manufacturing", version) == bundled[version - 1]
        with pytest.raises(NotFound):
            lazy.get("manufacturing", 8)
        with pytest.raises(NotFound):
            lazy.get("no-such-policy")
    finally:
        database.dispose()


def test_the_clis_quantity_bound_is_the_cores() -> None:
    """Typer checks quantities against ``options.MAX_QUANTITY`` while parsing (exit 2, like ``penalty assess
    --quantity``); it was the core's RET-QUANTITY (exit 4) for ``return authorise|receive|…``."""
    from complaint_core.money import MAX_QUANTITY
    from entrypoints.cli import options

    assert options.MAX_QUANTITY == MAX_QUANTITY
