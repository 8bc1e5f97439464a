"""The case commands end to end in subprocesses (kept few: each costs ~0.5-1 s)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

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
    # CLI audit: the product lines were stored and shown nowhere
    assert doc["products"] == [
        {"order": "SO-1", "part": "PCB-4L", "shipped": None, "qty": "5000", "defective": "320", "requested": None}
    ]
    table = run("--db", db, "--lang", "en", "case", "show", doc["id"])
    assert "order SO-1, part PCB-4L, qty 5000, defective 320" in table.stdout, table.stdout
    registered = run("--db", db, "--json", "case", "register", doc["id"], "--at", "2026-11-02T10:00")
    assert registered.returncode == 0, registered.stderr
    number = json.loads(registered.stdout)["number"]
    assert number == "261101"
    shown = run("--db", db, "--json", "case", "show", number, "--at", "2026-11-30T09:00")
    clock = json.loads(shown.stdout)["clocks"][0]
    assert clock["name"] == "close" and clock["overdue"] is True and clock["due_at"] == "2026-11-15T15:59:59.999999Z"
    text = run("--db", db, "--lang", "en", "case", "history", number)
    assert text.returncode == 0 and "│ registered " in text.stdout and text.stderr == ""


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


def _cli_as_nobody(*args: str) -> tuple[int, str, str]:
    """The CLI in a forked child that dropped root for ``nobody`` (root writes anywhere; the interpreter under
    /root cannot be exec'd by nobody, hence a fork and ``main()`` in-process). Returns (code, stdout, stderr)."""
    import pwd

    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 1
        try:
            os.dup2(out_w, 1)
            os.dup2(err_w, 2)
            sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115 - pytest's capture objects are not fds 1/2
            sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
            import importlib

            for module in (  # nobody cannot read the interpreter's files under /root: import them while root
                "entrypoints.cli.main",
                "entrypoints.cli.case_cmd",
                "entrypoints.app",
                "adapters.sql.database",
                "adapters.sql.uow",
                "adapters.sql.migrate",
                "adapters.stored_documents",
            ):
                importlib.import_module(module)
            nobody = pwd.getpwnam("nobody")
            os.setgroups([])
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)
            from entrypoints.cli.main import main

            try:
                main(list(args))
                code = 0
            except SystemExit as done:
                code = done.code if isinstance(done.code, int) else 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    os.close(out_w)
    os.close(err_w)
    with os.fdopen(out_r) as out, os.fdopen(err_r) as err:
        stdout, stderr = out.read(), err.read()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), stdout, stderr


def test_read_only_directory_exits_1_in_one_line() -> None:
    import shutil
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="ro-cli-", dir="/tmp"))  # traversable by nobody, unlike tmp_path
    try:
        base.chmod(0o755)
        locked = base / "ro"
        locked.mkdir()
        locked.chmod(0o555)
        args = ("--db", str(locked / "c.db"), "case", "list")
        code, stdout, stderr = _cli_as_nobody(*args) if os.geteuid() == 0 else _run_tuple(*args)
        assert code == 1
        assert stdout == "" and stderr.count("\n") == 1 and "Traceback" not in stderr
        assert "not writable" in stderr and "unexpected" not in stderr
        assert not (locked / "c.db").exists()
    finally:
        locked.chmod(0o755)
        shutil.rmtree(base, ignore_errors=True)


def _run_tuple(*args: str) -> tuple[int, str, str]:
    result = run(*args)
    return result.returncode, result.stdout, result.stderr


def test_missing_database_directory_exits_1_in_one_line(tmp_path: Path) -> None:
    result = run("--db", str(tmp_path / "no" / "such" / "c.db"), "--json", "case", "list")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "does not exist" in result.stderr and "Traceback" not in result.stderr
