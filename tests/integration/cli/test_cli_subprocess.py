"""The ``complaint`` CLI end to end, in subprocesses (each ~0.3-0.6 s): exit codes, --json, languages, start-up."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SRC = str(Path(__file__).resolve().parents[3] / "src")
HEAVY = ("sqlalchemy", "alembic", "httpx", "uvicorn")


def run(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    env = {**os.environ, "PYTHONPATH": SRC, "COLUMNS": "120", **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "entrypoints.cli.main", *args], capture_output=True, text=True, env=env, timeout=60
    )


def test_importing_the_cli_imports_no_heavy_library() -> None:
    code = (
        "import sys, entrypoints.cli.main as m; m.build_app(); "
        f"print([n for n in {HEAVY!r} + ('complaint_core', 'cattrs') if n in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"


def test_help_lists_the_areas_and_exits_0() -> None:
    result = run("--help")
    assert result.returncode == 0
    assert "policy" in result.stdout and "calendar" in result.stdout
    assert result.stderr == ""


def test_add_working_days_json() -> None:
    result = run("--json", "calendar", "add-days", "2026-09-30", "3", "--working")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "date": "2026-10-10",
        "start": "2026-09-30",
        "days": 3,
        "working": True,
        "calendar": "cn",
        "estimated": False,
    }


def test_february_30_is_a_usage_error_naming_the_argument() -> None:
    result = run("--json", "calendar", "is-workday", "2026-02-30")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "DATE" in result.stderr and "2026-02-30" in result.stderr


def test_unknown_option_is_a_usage_error() -> None:
    result = run("calendar", "coverage", "--bogus")
    assert result.returncode == 2
    assert "--bogus" in result.stderr


def test_date_outside_the_calendar_exits_6_with_empty_stdout() -> None:
    result = run("--json", "calendar", "is-workday", "2099-01-05")
    assert result.returncode == 6
    assert result.stdout == ""
    assert "CAL-COVERAGE" in result.stderr
    assert result.stderr.count("\n") == 1


def test_invalid_policy_file_exits_2_naming_the_key_path(tmp_path: Path) -> None:
    from adapters.policy_files import preset_text

    bad = tmp_path / "bad.toml"
    bad.write_text(preset_text("manufacturing").replace('limit = "5000.00"', 'limit = "x"', 1) + "\n", "utf-8")
    assert 'limit = "x"' in bad.read_text("utf-8")
    result = run("--json", "policy", "check", str(bad))
    assert result.returncode == 2
    assert result.stdout == ""
    assert "approval[0].limit" in result.stderr


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_policy_show_labels_follow_lang(lang: str) -> None:
    result = run("--lang", lang, "policy", "show", "manufacturing")
    assert result.returncode == 0, result.stderr
    zh, en = "质量异常", "Quality abnormality"
    assert (zh if lang == "zh" else en) in result.stdout
    assert (en if lang == "zh" else zh) not in result.stdout


def test_a_table_written_to_a_pipe_keeps_every_character(tmp_path: Path) -> None:
    """Piped to a file or program (no terminal, no COLUMNS), a table is not cut to 80 columns: the case id one
    copies into the next command and a long customer name print whole, with no "…"."""
    import os

    db = str(tmp_path / "c.db")
    env = {"COLUMNS": ""}
    assert run("--db", db, "init", "--policy", "manufacturing", env_extra=env).returncode == 0
    customer = "Shenzhen Very Long Electronic Components Manufacturing Company Limited, Bao'an District Plant No. 2"
    opened = run(
        "--db", db, "--json", "case", "open", "--customer", customer, "--channel", "phone",
        "--category", "quality", "--description", "boards delaminate", env_extra=env,
    )  # fmt: skip
    assert opened.returncode == 0, opened.stderr
    case_id = json.loads(opened.stdout)["id"]
    listed = subprocess.run(
        [sys.executable, "-m", "entrypoints.cli.main", "--db", db, "case", "list"],
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in {**os.environ, "PYTHONPATH": SRC}.items() if k != "COLUMNS"},
    )
    assert listed.returncode == 0, listed.stderr
    assert case_id in listed.stdout and customer in listed.stdout
    assert "…" not in listed.stdout


@pytest.mark.parametrize("encoding", ["cp936", "latin-1"])
def test_an_output_encoding_without_a_case_s_characters_neither_fails_nor_loses_them(
    tmp_path: Path, encoding: str
) -> None:
    """stdout in an encoding that lacks a customer's characters (a Windows redirect in cp936 and an emoji, a
    latin-1 locale): the command that committed exits 0, not 1 ("unexpected UnicodeEncodeError" invited a retry
    that opened the case twice); tables show the characters as ``\\u`` escapes, and JSON escapes them so it is
    valid and lossless."""
    import os

    db = str(tmp_path / "c.db")
    assert run("--db", db, "init", "--policy", "manufacturing").returncode == 0
    customer = "张三😀公司"
    env = {**os.environ, "PYTHONPATH": SRC, "PYTHONIOENCODING": encoding}

    def raw(*args: str) -> subprocess.CompletedProcess[bytes]:
        cmd = [sys.executable, "-m", "entrypoints.cli.main", "--db", db, *args]
        return subprocess.run(cmd, capture_output=True, env=env, timeout=60)

    opened = raw("--lang", "zh", "case", "open", "--customer", customer, "--category", "quality")
    assert opened.returncode == 0, opened.stderr
    assert b"\\U0001f600" in raw("--lang", "zh", "case", "list").stdout
    listed = raw("--json", "case", "list")
    assert listed.returncode == 0, listed.stderr
    doc = json.loads(listed.stdout.decode("ascii"))
    assert doc["count"] == 1 and doc["cases"][0]["customer"] == customer
    report = raw("report", "monthly", "2026-11", "--format", "json")
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout.decode("ascii"))["month"] == "2026-11"
    html = raw("--lang", "zh", "report", "monthly", "2026-11", "--format", "html")  # declares UTF-8: stays UTF-8
    assert html.returncode == 0, html.stderr
    page = html.stdout.decode("utf-8")
    assert 'charset="utf-8"' in page.lower() and "投诉" in page and "\\u" not in page
