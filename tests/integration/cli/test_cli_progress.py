"""Long commands show progress on stderr when it is a terminal, and stdout stays one JSON document (house rule:
progress output on long work; atomicity audit: only ``demo`` showed any)."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from .cli_cases_support import SRC, as_json, make_app
from .test_cli_year_end import calendar_file, fallback_policy


def on_a_terminal(*args: str) -> tuple[int, str, bytes]:
    """Run ``complaint ARGS`` with stderr on a pseudo-terminal: exit code, stdout, what the terminal got."""
    master, slave = pty.openpty()
    env = {**os.environ, "PYTHONPATH": SRC, "COLUMNS": "100", "TERM": "xterm"}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "entrypoints.cli", *args], stdout=subprocess.PIPE, stderr=slave, env=env, timeout=120
        )
    finally:
        os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the other end is closed and drained
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    return done.returncode, done.stdout.decode(), seen


@pytest.mark.usefixtures("allow_future")
def test_sweep_and_calendar_import_show_progress_on_a_terminal_only(tmp_path: Path) -> None:
    app: typer.Typer = make_app()
    db = tmp_path / "c.db"
    as_json(app, db, "init", "--policy", str(fallback_policy(tmp_path)))
    refs = [
        as_json(app, db, "case", "open", "--customer", f"c{i}", "--category", "quality", "--kind", "internal",
                "--at", "2027-02-12T10:00")["id"]
        for i in range(3)
    ]  # fmt: skip
    code, out, terminal = on_a_terminal("--db", str(db), "--lang", "en", "--json", "calendar", "import",
                                        str(calendar_file(tmp_path)))  # fmt: skip
    assert code == 0 and json.loads(out)["refreshed"] == 3
    assert b"Computing due times again" in terminal and b"100%" in terminal
    code, out, terminal = on_a_terminal("--db", str(db), "--lang", "en", "--json", "sweep",
                                        "--at", "2027-02-20T10:00")  # fmt: skip
    assert code == 0 and {a["case_id"] for a in json.loads(out)["actions"]} == set(refs)
    assert b"Escalation sweep" in terminal and b"100%" in terminal
    # off a terminal (CliRunner, pipes, CI) nothing but the document
    swept = as_json(app, db, "sweep", "--at", "2027-02-20T10:00")
    assert swept["actions"] == []


def test_the_relays_progress_is_in_english_as_the_outbox_output_is(tmp_path: Path) -> None:
    """CLI audit: the relay's bar said 投递出站消息 next to its English summary (docs/cli.md: the `webhook`/`outbox`
    output is in English)."""
    app: typer.Typer = make_app()
    db = tmp_path / "c.db"
    as_json(app, db, "init", "--policy", "manufacturing")
    code, _, terminal = on_a_terminal("--db", str(db), "--lang", "zh", "outbox", "relay", "--once")
    assert code == 0 and b"Delivering the outbox" in terminal
    assert "投递".encode() not in terminal
