"""Bad input through the CLI (in-process, SQLite): one clear line and a documented exit code, never an "unexpected"
error, and nothing written: foreign or damaged database files, amounts too large to store, non-UTF-8 arguments and
files, months out of range, duplicate bonus rows."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from entrypoints.cli.main import main


def run(capsys: pytest.CaptureFixture[str], db: Path, *args: str) -> tuple[int, str, str]:
    """``complaint --db DB --json ARGS``: (exit code, stdout, stderr)."""
    try:
        main(["--db", str(db), "--json", *args])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def tables(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return sorted(r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"))


def refused(result: tuple[int, str, str], code: int, *words: str) -> None:
    got, out, err = result
    assert got == code and out == "", result
    assert "unexpected" not in err and all(w in err for w in words), err


def test_another_applications_sqlite_file_is_not_written_into(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "other.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    refused(run(capsys, db, "case", "list"), 1, "another application", "invoices")
    assert tables(db) == ["invoices"]


def test_a_damaged_or_branched_schema_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    assert run(capsys, db, "init")[0] == 0
    with sqlite3.connect(db) as conn:
        (head,) = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        conn.execute("INSERT INTO alembic_version VALUES ('9999')")
    refused(run(capsys, db, "case", "list"), 1, "several schema revisions", "9999")
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM alembic_version")
    refused(run(capsys, db, "case", "list"), 1, "no schema revision")
    refused(run(capsys, db, "db", "current"), 1, "no schema revision")
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO alembic_version VALUES (?)", (head,))
    assert run(capsys, db, "case", "list")[0] == 0


def test_values_no_store_can_keep(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    assert run(capsys, db, "init")[0] == 0
    opening = ("case", "open", "--customer", "华东电子", "--category", "quality", "--channel", "phone")
    refused(run(capsys, db, *opening, "--amount", "92233720368547758.08"), 2, "'--amount'", "too large")
    refused(run(capsys, db, *opening[:3], "bad\udcff", *opening[4:]), 2, "not UTF-8")
    refused(run(capsys, db, "case", "show", "\udcff"), 2, "not UTF-8")
    refused(run(capsys, db, "case", "list", "--month", "0001-01"), 2, "0001-01")
    code, out, _ = run(capsys, db, "case", "list")
    assert code == 0 and json.loads(out)["count"] == 0  # nothing was written


def test_non_utf8_files_and_duplicate_bonus_rows(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    policy = tmp_path / "policy.toml"
    policy.write_bytes('policy_id = "acme"\nname = { zh = "测试", en = "test" }\n'.encode("gbk"))
    refused(run(capsys, db, "init", "--policy", str(policy)), 2, "not UTF-8")
    assert run(capsys, db, "init")[0] == 0
    bonuses = tmp_path / "bonuses.csv"
    bonuses.write_bytes("person_id,month,amount\n张伟,2026-11,1600.00\n".encode("gbk"))
    refused(run(capsys, db, "bonus", "import", str(bonuses)), 2, "not UTF-8")
    bonuses.write_text("person_id,month,amount\nP1,2026-01,10.00\nP2,2026-01,5.00\nP1,2026-01,20.00\n", "utf-8")
    refused(run(capsys, db, "bonus", "import", str(bonuses)), 2, "line 4", "listed twice", "line 2")
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM bonuses").fetchone() == (0,)
