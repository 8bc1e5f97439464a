"""Shared helpers of the case/setup CLI tests: the app (areas that exist), in-process and subprocess runners."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner

from entrypoints.cli.main import build_app

SRC = str(Path(__file__).resolve().parents[3] / "src")


def make_app() -> typer.Typer:
    return build_app()


_COMMANDS: dict[int, Any] = {}


def invoke(app: typer.Typer, db: Path, *args: str) -> Any:
    """``CliRunner().invoke`` on the Click command built once per app: typer rebuilds the whole tree of ~80
    commands on every invoke (~0.2 s), which would dominate these tests."""
    import typer.testing

    command = _COMMANDS.get(id(app))
    if command is None:
        command = _COMMANDS[id(app)] = typer.main.get_command(app)
    original = typer.testing._get_command
    typer.testing._get_command = lambda given: command if given is app else original(given)  # type: ignore[assignment]
    try:
        return CliRunner().invoke(app, ["--db", str(db), *args], env={"COLUMNS": "120"})
    finally:
        typer.testing._get_command = original  # type: ignore[assignment]


def as_json(app: typer.Typer, db: Path, *args: str) -> Any:
    result = invoke(app, db, "--json", *args)
    assert result.exit_code == 0, (args, result.stderr, result.stdout)
    return json.loads(result.stdout)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC, "COLUMNS": "120"}
    return subprocess.run(
        [sys.executable, "-m", "entrypoints.cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
