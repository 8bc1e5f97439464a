"""The CLI in the environments operators run it in (environment audit): locales, closed or full output, odd widths
and paths. Whatever the environment, a command that recorded something does not then exit "unexpected" (a retry
would record it twice), and nothing outside the database is changed."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

SRC = str(Path(__file__).resolve().parents[3] / "src")


def environ(**extra: str) -> dict[str, str]:
    found = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    return {**found, "PYTHONPATH": SRC, **extra}


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    cmd = [sys.executable, "-m", "entrypoints.cli.main", *args]
    return subprocess.run(cmd, capture_output=True, env=environ(**(env or {})), timeout=60)


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "c.db")
    assert run("--db", path, "init", "--policy", "manufacturing").returncode == 0
    return path


def customers(db: str) -> list[str]:
    listed = run("--db", db, "--json", "case", "list")
    assert listed.returncode == 0, listed.stderr
    return sorted(case["customer"] for case in json.loads(listed.stdout)["cases"])


def test_a_c_locale_prints_tables_and_names_the_locale_for_chinese_arguments(db: str) -> None:
    """LC_ALL=C without UTF-8 mode: stdout's handler is surrogateescape, which the first encoding fix left alone,
    so the case was recorded and the command exited 1 over its Chinese confirmation. A Chinese argument there is
    refused before anything runs, saying the locale is to blame (re-decoding it broke file paths)."""
    env = {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0"}
    opened = run("--db", db, "case", "open", "--customer", "Zhang", "--category", "quality", env=env)
    assert opened.returncode == 0, opened.stderr
    assert b"\\u" in opened.stdout  # the zh confirmation: what ASCII lacks, as escapes
    assert run("--db", db, "case", "list", env=env).returncode == 0
    chinese = run("--db", db, "case", "open", "--customer", "张三", "--category", "quality", env=env)
    assert chinese.returncode == 2 and b"is UTF-8 but the locale is not" in chinese.stderr
    assert customers(db) == ["Zhang"]


def test_a_result_that_cannot_be_written_says_the_command_was_recorded(db: str, tmp_path: Path) -> None:
    """stdout full (/dev/full) or a pipe closed early: the case was recorded and the command exited 1 with
    "unexpected OSError", as a full disk that wrote nothing does. It says the result is kept; once only."""
    cmd = [sys.executable, "-m", "entrypoints.cli.main", "--db", db, "case", "open", "--customer", "满", "--category"]
    with open("/dev/full", "wb") as full:
        result = subprocess.run([*cmd, "quality"], stdout=full, stderr=subprocess.PIPE, env=environ(), timeout=60)
    assert result.returncode == 1
    assert b"the result could not be written to stdout" in result.stderr and b"unexpected" not in result.stderr
    piped = subprocess.run(
        f"{sys.executable} -m entrypoints.cli.main --db {db} --json case open --customer 管 --category quality"
        " | (exec 0<&-; true); echo ${PIPESTATUS[0]}",
        shell=True, executable="/bin/bash", capture_output=True, env=environ(), timeout=60,
    )  # fmt: skip
    assert piped.stdout.strip() == b"1" and b"the result could not be written to stdout" in piped.stderr
    table = subprocess.run(  # rich caught the broken pipe itself and exited 1 without a word
        f"{sys.executable} -m entrypoints.cli.main --db {db} case open --customer 表 --category quality"
        " | (exec 0<&-; true); echo ${PIPESTATUS[0]}",
        shell=True, executable="/bin/bash", capture_output=True, env=environ(), timeout=60,
    )  # fmt: skip
    assert table.stdout.strip() == b"1" and b"the result could not be written to stdout" in table.stderr
    assert customers(db) == sorted(["满", "管", "表"])  # each once


def test_closed_stdout_and_stderr_keep_the_exit_codes(db: str) -> None:
    """`>&-` made every command exit 1 (AttributeError on None); `2>&-` turned not found (3) into 1."""
    closed = subprocess.run(
        [sys.executable, "-m", "entrypoints.cli.main", "--db", db, "case", "open", "--customer", "关", "--category",
         "quality"],
        stdout=subprocess.DEVNULL, env=environ(), timeout=60,
        preexec_fn=lambda: os.close(1),
    )  # fmt: skip
    assert closed.returncode == 0
    missing = subprocess.run(
        [sys.executable, "-m", "entrypoints.cli.main", "--db", db, "case", "show", "nope"],
        stdout=subprocess.DEVNULL, env=environ(), timeout=60,
        preexec_fn=lambda: os.close(2),
    )  # fmt: skip
    assert missing.returncode == 3
    assert customers(db) == ["关"]


@pytest.mark.parametrize("columns", ["0", "1", "9", "x", "²"])
def test_a_width_too_small_for_a_table_is_raised_to_one(db: str, columns: str) -> None:
    """COLUMNS=0 printed nothing (exit 0: a script read no case id); 1 to 9 failed in rich after the command ran."""
    opened = run("--db", db, "case", "open", "--customer", "宽", "--category", "quality", env={"COLUMNS": columns})
    assert opened.returncode == 0, opened.stderr
    case_id = json.loads(run("--db", db, "--json", "case", "list").stdout)["cases"][0]["id"]
    assert case_id in opened.stdout.decode("utf-8")
    listed = run("--db", db, "case", "list", env={"COLUMNS": columns})
    assert listed.returncode == 0, listed.stderr
    shown = listed.stdout.decode("utf-8")
    # no width (0, x): a pipe's, the id whole; a small one: 40 columns, where an id folds but keeps every character
    assert (
        case_id in shown if columns in ("0", "x", "²") else case_id[-3:] in shown and len(shown.splitlines()[0]) <= 40
    )


@pytest.mark.parametrize("suffix", ["\r", " ", "\n"])
def test_a_database_path_with_a_stray_space_or_control_character_is_refused(db: str, suffix: str) -> None:
    """An env file with CRLF line endings gave COMPLAINT_DB=c.db\\r: a second, empty database beside the real one."""
    result = run("case", "list", env={"COMPLAINT_DB": db + suffix})
    assert result.returncode == 2 and b"COMPLAINT_DB" in result.stderr
    assert not Path(db + suffix).exists()


@pytest.mark.parametrize("alembic", [False, True])
def test_another_application_s_sqlite_file_is_refused_unchanged(tmp_path: Path, alembic: bool) -> None:
    """It was refused, after being switched to WAL for good (its header changed, -wal and -shm files appeared);
    one migrated with Alembic too, and as "written by a newer version of complaint-core"."""
    foreign = tmp_path / "other.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        if alembic:
            conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
            conn.execute("INSERT INTO alembic_version VALUES ('1a2b3c4d5e6f')")
    before = foreign.read_bytes()
    result = run("--db", str(foreign), "case", "list")
    assert result.returncode == 1 and b"another application's SQLite database" in result.stderr
    assert foreign.read_bytes() == before
    assert not (tmp_path / "other.db-wal").exists()


def test_odd_database_names_are_refused_clearly(tmp_path: Path) -> None:
    """An in-memory URI vanished after exit 0; a name too long for the file system exited "unexpected OSError"."""
    memory = run("--db", "sqlite:///file:m1?mode=memory&cache=shared&uri=true", "case", "list")
    assert memory.returncode == 1 and b"in-memory SQLite database cannot be shared" in memory.stderr
    long = run("--db", str(tmp_path / ("y" * 300 + ".db")), "case", "list")
    assert long.returncode == 1 and b"cannot use the database" in long.stderr and b"unexpected" not in long.stderr
    (tmp_path / "loop.db").symlink_to(tmp_path / "loop.db")
    loop = run("--db", str(tmp_path / "loop.db"), "case", "list")
    assert loop.returncode == 1 and b"unexpected" not in loop.stderr


def test_a_new_database_through_a_dangling_symlink_is_private(tmp_path: Path) -> None:
    """O_EXCL refused the link itself, and SQLite created its target under the umask (0644)."""
    link = tmp_path / "link.db"
    link.symlink_to(tmp_path / "target.db")
    assert run("--db", str(link), "init", "--policy", "manufacturing").returncode == 0
    assert stat.S_IMODE((tmp_path / "target.db").stat().st_mode) == 0o600


def test_an_environment_value_this_locale_cannot_read_is_a_usage_error(db: str) -> None:
    """COMPLAINT_ACTOR with bytes that are not UTF-8 exited 1 "unexpected UnicodeEncodeError"."""
    envb = {k.encode(): v.encode("utf-8", "surrogateescape") for k, v in environ().items()}
    envb[b"COMPLAINT_ACTOR"] = b"x\xffy"
    result = subprocess.run(
        [sys.executable, "-m", "entrypoints.cli.main", "--db", db, "case", "open", "--customer", "甲", "--category",
         "quality"],
        capture_output=True, env=envb, timeout=60,  # type: ignore[arg-type]
    )  # fmt: skip
    assert result.returncode == 2 and b"$COMPLAINT_ACTOR" in result.stderr
    assert customers(db) == []
