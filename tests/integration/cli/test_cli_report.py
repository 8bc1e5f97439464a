"""``complaint report …`` and ``complaint demo`` through the CLI: formats parse, the HTML is written with its charts."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from entrypoints.cli.main import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().out


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo month (20 cases), shared by the report tests."""
    from entrypoints.cli.demo_cmd import run_demo

    out = tmp_path_factory.mktemp("demo")
    return run_demo(out, seed=7, cases=20).db


def test_monthly_json_and_csv_parse(capsys: pytest.CaptureFixture[str], demo_db: Path) -> None:
    code, out = run(capsys, "--db", str(demo_db), "--json", "report", "monthly", "2026-11")
    assert code == 0
    doc: dict[str, Any] = json.loads(out)
    assert doc["month"] == "2026-11" and doc["total"] > 0 and doc["deductions"] is not None
    code, out = run(capsys, "--db", str(demo_db), "report", "monthly", "2026-11", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and set(rows[0]) == {"section", "key", "label_zh", "label_en", "metric", "value"}


@pytest.mark.parametrize("fmt", ["csv", "html"])
def test_json_with_a_text_format_needs_a_file(capsys: pytest.CaptureFixture[str], demo_db: Path, fmt: str) -> None:
    """CLI audit: `--json report monthly --format csv` printed CSV (docs/cli.md: `--json` prints exactly one JSON
    document on stdout)."""
    code, out = run(capsys, "--db", str(demo_db), "--json", "report", "monthly", "2026-11", "--format", fmt)
    assert code == 2 and out == ""


def test_monthly_html_file(capsys: pytest.CaptureFixture[str], demo_db: Path, tmp_path: Path) -> None:
    target = tmp_path / "r.html"
    code, out = run(
        capsys, "--db", str(demo_db), "--json", "report", "monthly", "2026-11", "-f", "html", "-o", str(target)
    )
    assert code == 0 and json.loads(out)["out"] == str(target)
    html = target.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html") or "<html" in html
    assert html.count("<svg") == 3


def test_monthly_table_and_timeliness_and_overdue(capsys: pytest.CaptureFixture[str], demo_db: Path) -> None:
    code, out = run(capsys, "--db", str(demo_db), "--lang", "en", "report", "monthly", "2026-11")
    assert code == 0 and out.strip()
    code, out = run(capsys, "--db", str(demo_db), "--json", "report", "timeliness", "2026-11")
    assert code == 0 and isinstance(json.loads(out)["audit"], list)
    code, out = run(capsys, "--db", str(demo_db), "--json", "report", "overdue", "--at", "2026-12-20T09:00")
    doc = json.loads(out)
    assert code == 0 and doc["as_of"] == "2026-12-20T01:00:00Z"
    assert all(r["due_at"] < doc["as_of"] for r in doc["overdue"])
    assert run(capsys, "--db", str(demo_db), "report", "monthly", "2026-13")[0] == 2


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_monthly_report_folds_on_a_narrow_terminal_and_cuts_nothing(
    capsys: pytest.CaptureFixture[str], demo_db: Path, monkeypatch: pytest.MonkeyPatch, lang: str
) -> None:
    """CLI audit: at 60 or 80 columns its tables ended amounts, rule ids and dates in "…" (docs/cli.md: a value
    too long for its column folds onto the next line); every other table folded already."""
    monkeypatch.setenv("COLUMNS", "60")
    code, out = run(capsys, "--db", str(demo_db), "--lang", lang, "report", "monthly", "2026-11")
    assert code == 0 and out.strip() and "…" not in out


def test_names_from_files_print_as_written_in_the_report_never_as_markup_or_escapes(
    capsys: pytest.CaptureFixture[str], demo_db: Path, tmp_path: Path
) -> None:
    """Security audit: the report's tables printed an imported department name's ESC sequences raw (a live
    hyperlink in a terminal), and a ``[/]`` in it made `report monthly` exit 1 (rich read it as markup)."""
    import shutil

    db = tmp_path / "r.db"
    shutil.copy(demo_db, db)
    examples = Path(__file__).resolve().parents[3] / "examples" / "organisation.toml"
    hostile = "制造[/]部 \\u001b]8;;http://evil.example\\u001b\\\\CLICK"  # TOML escapes: ESC ] 8 ;; … ESC \\
    org = tmp_path / "org.toml"
    org.write_text(examples.read_text(encoding="utf-8").replace('name = "制造部"', f'name = "{hostile}"'), "utf-8")
    assert run(capsys, "--db", str(db), "org", "import", str(org))[0] == 0
    code, out = run(capsys, "--db", str(db), "--lang", "en", "report", "monthly", "2026-11")
    assert code == 0 and "制造[/]部" in out and "\x1b" not in out and "\\x1b]8;;http://evil.example" in out


def test_demo_is_deterministic(tmp_path: Path) -> None:
    from entrypoints.cli.demo_cmd import run_demo

    a = run_demo(tmp_path / "a", seed=3, cases=12).as_json()
    b = run_demo(tmp_path / "b", seed=3, cases=12).as_json()
    for doc in (a, b):
        doc.pop("db"), doc.pop("report")
    assert a == b and a["received"] == 12


def test_demo_subprocess_writes_the_html_report(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", "--lang", "en", "demo", "--cases", "20", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = tmp_path / "report-2026-11.html"
    assert str(report) in result.stdout.replace("\n", "")
    html = report.read_text(encoding="utf-8")
    assert html.count("<svg") == 3 and 'class="chart"' in html


def test_demo_month_has_visits_and_second_complaints(tmp_path: Path) -> None:
    """The demo's policy (the manufacturing preset's next version, with a visit after the reply): dissatisfied
    customers reopen cases."""
    import sqlite3

    from entrypoints.cli.demo_cmd import run_demo

    result = run_demo(tmp_path, seed=7, cases=60)
    doc = result.as_json()
    assert doc["followups_supported"] and doc["followups_scheduled"] > 0
    assert doc["second_complaints"] > 0
    with sqlite3.connect(result.db) as conn:
        linked = conn.execute("SELECT count(*) FROM cases WHERE parent_id IS NOT NULL").fetchone()[0]
        versions = {v for (v,) in conn.execute("SELECT DISTINCT policy_version FROM cases")}
    assert linked == doc["second_complaints"]  # every second complaint is a case linked to its parent
    from adapters.policy_files import load_preset

    assert versions == {load_preset("manufacturing").version + 1}  # the preset's next version, with the visit


def test_reports_name_clocks_and_departments_by_their_labels(
    capsys: pytest.CaptureFixture[str], demo_db: Path, tmp_path: Path
) -> None:
    """i18n audit: ``report overdue`` and the HTML case list printed clock codes (``report``, ``close``), and
    ``report timeliness`` department codes (``sales``), where the rest of the report has labels and names."""
    import re

    from adapters.policy_files import load_preset

    policy = load_preset("manufacturing")
    db = str(demo_db)
    code, out = run(capsys, "--db", db, "--json", "report", "overdue", "--at", "2026-12-20T09:00")
    clocks = {r["clock"] for r in json.loads(out)["overdue"]}
    assert code == 0 and clocks
    for lang in ("zh", "en"):
        code, words = run(capsys, "--db", db, "--lang", lang, "report", "overdue", "--at", "2026-12-20T09:00")
        for clock in clocks:
            assert policy.clock_rules(clock)[0].label(lang) in words and f" {clock} " not in words
    code, out = run(capsys, "--db", db, "--json", "report", "monthly", "2026-11")
    monthly = json.loads(out)
    names = {g["key"]: g["label"]["zh"] for g in monthly["by_department"]}
    code, out = run(capsys, "--db", db, "--json", "report", "timeliness", "2026-11")
    departments = {row["department"] for row in json.loads(out)["audit"]} - {None}
    assert departments
    code, words = run(capsys, "--db", db, "--lang", "zh", "report", "timeliness", "2026-11")
    for department in departments:
        assert names[department] in words and f" {department} " not in words
    target = tmp_path / "r.html"
    assert (
        run(capsys, "--db", db, "--lang", "zh", "report", "monthly", "2026-11", "-f", "html", "-o", str(target))[0] == 0
    )
    html = target.read_text(encoding="utf-8")
    codes = "|".join(re.escape(c["clock"]) for c in monthly["clocks"])
    assert not re.search(rf"<td>(?:{codes})(?:, |</td>)", html)
    assert re.search(r"<td>(?:调查报告|结案期限)", html)


def test_the_demo_runs_from_an_installed_package(tmp_path: Path) -> None:
    """Packaging audit: the demo read its organisation from ``examples/`` above its own file, which only a source
    checkout has; installed from a wheel, ``complaint demo`` exited 1. The three packages, copied where no source
    tree is above them (as site-packages is), run it."""
    import os
    import shutil

    site = tmp_path / "site"
    src = Path(__file__).resolve().parents[3] / "src"
    for package in ("complaint_core", "adapters", "entrypoints"):
        shutil.copytree(src / package, site / package, ignore=shutil.ignore_patterns("__pycache__"))
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", "--json", "demo", "--cases", "5", "--out", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["received"] == 5
    example = Path(__file__).resolve().parents[3] / "examples" / "organisation.toml"
    assert example.read_text(encoding="utf-8") == (src / "entrypoints" / "cli" / "demo_organisation.toml").read_text(
        encoding="utf-8"
    )
