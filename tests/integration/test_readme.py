"""The README's examples really run, and `make demo`'s entry point works."""

import io
import os
import re
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def python_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_readme_examples_run_and_print_what_they_say(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the examples use paths relative to the repository
    blocks = python_blocks()
    assert len(blocks) >= 3
    out = io.StringIO()
    with redirect_stdout(out):
        for block in blocks:
            exec(compile(block, "README.md", "exec"), {})
    printed = out.getvalue().splitlines()
    assert printed[0] == "261101"
    assert printed[1] == "P1-DL-01 2026-11-19 23:59:59.999999+08:00"
    assert printed[2] == "[P1-APR-02] sales_manager may approve up to 5000.00; 8200.00 needs deputy_gm"
    assert "损失 2,400.00 × 基点 4/6 = 1,600.00" in printed[3]
    assert "M05 deducted 800.00 of cap 800.00 carried 800.00" in printed  # P1-PEN-11: 50% of a 1,600.00 bonus
    assert "M06 deducted 0.00 of cap 0.00 carried 800.00" in printed  # no bonus this month: everything carries
    assert "261101 ['case.received', 'case.registered']" in printed  # the storage example, a fresh SQLite file
    # the escalation example: reminder at due (11-15 end), department head +1 WD, GM +3 WD
    assert printed[-4:] == [
        "1 reminder late_department 2026-11-15",
        "2 escalate department_head 2026-11-16",
        "3 escalate gm 2026-11-18",
        "()",
    ]


def test_demo_runs_in_both_languages() -> None:
    for lang, words in (("zh", ["已结案", "结案期限", "P1-DL-01"]), ("en", ["closed", "Closing deadline"])):
        run = subprocess.run(
            [sys.executable, "-m", "entrypoints.demo", "--lang", lang],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert run.returncode == 0, run.stderr
        for word in words:
            assert word in run.stdout
        assert "P1-APR-02" in run.stdout  # the refused approval is shown


def test_demo_refuses_a_naive_start() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "entrypoints.demo", "--start", "2026-11-02T09:00:00"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 2 and "offset" in run.stderr


def test_core_imports_nothing_from_the_adapter_side() -> None:
    code = (
        "import sys, complaint_core; "
        "bad = [m for m in ('sqlalchemy','cattrs','chinese_calendar','httpx','typer','rich','adapters') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0, run.stdout + run.stderr


def test_readme_examples_type_check_strictly(tmp_path: Path) -> None:
    """Issue 2: the public API is fully typed, so the README's examples pass `mypy --strict` as written
    (they did not: `case.number` is `str | None`, and a deadline's `due` is None while paused)."""
    files = []
    for i, block in enumerate(python_blocks()):
        path = tmp_path / f"readme_{i}.py"
        path.write_text(block, encoding="utf-8")
        files.append(str(path))
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--config-file", "/dev/null", *files],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
        env={**os.environ, "MYPYPATH": str(ROOT / "src")},
    )
    assert run.returncode == 0, run.stdout + run.stderr
