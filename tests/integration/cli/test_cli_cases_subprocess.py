"""The case commands end to end in subprocesses (kept few: each costs ~0.5-1 s)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .cli_cases_support import count, run


def test_case_round_trip_in_subprocesses(tmp_path: Path) -> None:
    db = str(tmp_path / "c.db")
    assert run("--db", db, "init", "--policy", "manufacturing").returncode == 0
    opened = run("--db", db, "--json", "case", "open", "--customer", "华东电子", "--category", "quality",
                 "--amount", "3200", "--product", "order=SO-1,part=PCB-4L,qty=5000,defective=320",
                 "--at", "2026-11-02T09:00")  # fmt: skip
    assert opened.returncode == 0, opened.stderr
    doc = json.loads(opened.stdout)
    assert doc["status"] == "received" and doc["number"] is None and doc["received_at"] == "2026-11-02T01:00:00Z"
    registered = run("--db", db, "--json", "case", "register", doc["id"], "--at", "2026-11-02T10:00")
    assert registered.returncode == 0, registered.stderr
    number = json.loads(registered.stdout)["number"]
    assert number == "261101"
    shown = run("--db", db, "--json", "case", "show", number, "--at", "2026-11-30T09:00")
    clock = json.loads(shown.stdout)["clocks"][0]
    assert clock["name"] == "close" and clock["overdue"] is True and clock["due_at"] == "2026-11-15T15:59:59.999999Z"
    text = run("--db", db, "--lang", "en", "case", "history", number)
    assert text.returncode == 0 and "case.registered" in text.stdout and text.stderr == ""


def test_bad_amount_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    result = run("--db", str(db), "--json", "case", "open", "--customer", "A", "--category", "quality",
                 "--amount", "12,5")  # fmt: skip
    assert result.returncode == 2
    assert result.stdout == "" and "'--amount'" in result.stderr
    assert not db.exists()  # refused while parsing the options: the database was never opened
    assert run("--db", str(db), "init").returncode == 0
    refused = run("--db", str(db), "case", "open", "--customer", "A", "--category", "nope")
    assert refused.returncode == 2 and "'--category'" in refused.stderr
    assert count(db, "cases") == 0 and count(db, "history") == 0


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only directory")
def test_read_only_directory_exits_1_in_one_line(tmp_path: Path) -> None:
    locked = tmp_path / "ro"
    locked.mkdir()
    locked.chmod(0o500)
    result = run("--db", str(locked / "c.db"), "case", "list")
    assert result.returncode == 1
    assert result.stdout == "" and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_missing_database_directory_exits_1_in_one_line(tmp_path: Path) -> None:
    result = run("--db", str(tmp_path / "no" / "such" / "c.db"), "--json", "case", "list")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "does not exist" in result.stderr and "Traceback" not in result.stderr
