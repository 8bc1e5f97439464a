"""Bad input through the CLI (in-process, SQLite): one clear line and a documented exit code, never an "unexpected"
error, and nothing written: foreign or damaged database files, amounts too large to store, non-UTF-8 arguments and
files, months out of range, duplicate bonus rows."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any
from uuid import UUID

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


def test_text_that_looks_like_markup_prints_as_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Security audit: rich read a customer name as its markup, so ``Evil [/] Corp`` (from a CRM ticket) made
    `case list` and `case show` exit 1 for everyone, and ``[link=…]`` printed a live link."""
    monkeypatch.setenv("COLUMNS", "300")
    db = tmp_path / "c.db"
    assert run(capsys, db, "init")[0] == 0
    names = ["Evil [/] Corp", "[link=https://evil.example/pay]ACME[/link] [bold red]PAID :smile:"]
    ids = [
        json.loads(run(capsys, db, "case", "open", "--customer", n, "--category", "quality")[1])["id"] for n in names
    ]

    def human(*args: str) -> str:
        try:
            main(["--db", str(db), "--lang", "en", *args])
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        assert code == 0 and err == "", err
        return out

    listed = human("case", "list")
    assert all(name in listed for name in names), listed
    for ref, name in zip(ids, names, strict=True):
        assert name in human("case", "show", ref)


def test_files_nested_too_deeply_are_the_files_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Security audit: a TOML or JSON file nested thousands of levels deep was "unexpected RecursionError", exit 1,
    in every reader of files; it is the file's error, exit 2, naming it."""
    db = tmp_path / "c.db"
    assert run(capsys, db, "init")[0] == 0
    deep_toml = "x = " + "[" * 5000 + "]" * 5000 + "\n"
    for name, text in (("p.toml", deep_toml), ("p.json", "[" * 100_000 + "]" * 100_000)):
        (tmp_path / name).write_text(text, encoding="utf-8")
        refused(run(capsys, db, "policy", "check", str(tmp_path / name)), 2, name, "nested too deeply")
    (tmp_path / "org.toml").write_text(deep_toml, encoding="utf-8")
    refused(run(capsys, db, "org", "import", str(tmp_path / "org.toml")), 2, "org.toml", "nested too deeply")
    (tmp_path / "cal.toml").write_text(deep_toml, encoding="utf-8")
    refused(run(capsys, db, "calendar", "import", str(tmp_path / "cal.toml")), 2, "cal.toml", "nested too deeply")


def test_product_lines_beyond_the_bounds_are_usage_errors_and_shown_as_taken(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Review: 1,001 `--product` options were exit 4 `[INTAKE]` naming no option, and a quantity a CRM sent as 1e3
    showed as "1E+3", which `--product` does not take."""
    from decimal import Decimal

    from complaint_core.intake import ProductLine
    from entrypoints.jsonshapes import product_json

    db = tmp_path / "c.db"
    assert run(capsys, db, "init")[0] == 0
    opening = ("case", "open", "--customer", "华东电子", "--category", "quality")
    refused(run(capsys, db, *opening, *["--product", "qty=1"] * 1001), 2, "'--product'", "at most 1000")
    refused(run(capsys, db, *opening, "--product", "qty=1000000000001"), 2, "'--product'")
    shown = product_json(ProductLine(quantity=Decimal("1E+3"), defective_quantity=Decimal("12.50")))
    assert shown == {
        "order": None,
        "part": None,
        "shipped": None,
        "qty": "1000",
        "defective": "12.50",
        "requested": None,
    }


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


# --- found by a hostile-input audit: each exited 1 ("unexpected"), another wrong code, or was accepted ---------
def test_ids_and_numbers_beyond_what_a_database_holds(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A policy version, endpoint id or outbox number of 2^63 reached the driver: OverflowError, exit 1 (the
    version only at the next ``case open``, after ``init`` had stored it)."""
    db = tmp_path / "c.db"
    assert run(capsys, db, "init")[0] == 0
    doc = json.loads(run(capsys, db, "policy", "show", "manufacturing")[1])["policy"]
    doc["policy_id"], doc["version"] = "big", 2**63
    policy = tmp_path / "big.json"
    policy.write_text(json.dumps(doc), "utf-8")
    refused(run(capsys, db, "policy", "check", str(policy)), 2, "version", "2,147,483,647")
    refused(run(capsys, db, "init", "--policy", str(policy)), 2, "version")
    huge = str(2**63)
    refused(run(capsys, db, "webhook", "test", huge), 2, "ID")
    refused(run(capsys, db, "outbox", "list", "--endpoint", "99999999999999999999"), 2, "--endpoint")
    refused(run(capsys, db, "outbox", "show", huge), 3, f"no outbox message '{huge}'")
    refused(run(capsys, db, "outbox", "show", "²"), 3, "'²'")  # str.isdigit, yet int() refuses it
    refused(run(capsys, db, "outbox", "show", "msg_none"), 3, "no outbox message 'msg_none'")  # both quotes
    assert run(capsys, db, "webhook", "add", "http://127.0.0.1:9/h")[0] == 0
    for hours in ("inf", "1e30", "100000000"):
        refused(run(capsys, db, "webhook", "rotate-secret", "1", "--grace-hours", hours), 2, "--grace-hours")


@pytest.mark.parametrize(
    ("url", "hint"),
    [
        ("http://exa mple.com/", ""),
        ("http://127.0.0.1:99999/x", ""),
        ("http://a.example/\x1b[31m", ""),
        ("http://a.example:0/", ""),
        # webhook audit: non-ASCII failed every delivery (the request line is latin-1), a broken IPv6 host exited 1,
        # and credentials were never sent but listed
        ("http://127.0.0.1:9/路径", "http://127.0.0.1:9/%E8%B7%AF%E5%BE%84"),
        ("http://例子.测试/", "http://xn--fsqu00a.xn--0zwm56d/"),
        ("http://[::1/", "cannot be read"),
        ("http://user:pw@a.example/", "user name or password"),
        ("http://exämple.com:99999/", "not 1-65535"),  # review: the ASCII hint read the bad port (exit 1)
    ],
)
def test_webhook_add_refuses_a_url_no_delivery_can_reach(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, url: str, hint: str
) -> None:
    """They were stored, and failed only at the first delivery (``webhook test``: exit 7, port out of range)."""
    db = tmp_path / "c.db"
    assert run(capsys, db, "init")[0] == 0
    refused(run(capsys, db, "webhook", "add", url), 2, "endpoint URL", "'URL'", hint)
    code, out, _ = run(capsys, db, "webhook", "list")
    assert code == 0 and json.loads(out)["endpoints"] == []


def test_files_that_cannot_be_written_are_the_options_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "c.db"
    assert run(capsys, db, "init")[0] == 0
    refused(run(capsys, db, "report", "monthly", "2026-11", "--out", str(tmp_path / "no" / "r.html")), 2, "--out")
    refused(run(capsys, db, "report", "monthly", "2026-11", "--out", str(tmp_path)), 2, "--out")
    a_file = tmp_path / "taken"
    a_file.write_text("", "utf-8")
    refused(run(capsys, db, "demo", "--out", str(a_file)), 2, "--out")
    written = tmp_path / "r.txt"
    code, out, _ = run(capsys, db, "report", "monthly", "2026-11", "--format", "table", "--out", str(written))
    assert code == 0 and json.loads(out)["out"] == str(written) and "2026-11" in written.read_text("utf-8")


def test_blank_names_months_departments_and_databases_are_usage_errors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A blank --by / --actor went into the approval and the audit trail; --month 2026-13 was a rule violation
    (exit 4); a petition named any department; --db '' quietly opened ./complaints.db."""
    db = tmp_path / "c.db"
    assert run(capsys, db, "init")[0] == 0
    examples = Path(__file__).resolve().parents[3] / "examples" / "organisation.toml"
    assert run(capsys, db, "org", "import", str(examples))[0] == 0
    opening = ("case", "open", "--customer", "华东电子", "--category", "quality", "--at", "2026-11-02T09:00")
    refused(run(capsys, db, *opening, "--actor", "  "), 2, "--actor", "name")
    code, out, _ = run(capsys, db, *opening)
    ref = json.loads(out)["id"]
    refused(run(capsys, db, "case", "register", ref, "--actor", "", "--at", "2026-11-02T10:00"), 2, "--actor")
    refused(run(capsys, db, "case", "petition", ref, "--department", "nosuch", "--reason", "x"), 2, "--department",
            "nosuch")  # fmt: skip
    assert run(capsys, db, "case", "register", ref, "--at", "2026-11-02T10:00")[0] == 0
    code, out, _ = run(capsys, db, "case", "history", ref)
    assert code == 0 and all(event["actor"].strip() for event in json.loads(out)["events"])
    refused(run(capsys, db, "penalty", "approve", str(ref), "--role", "gm", "--by", " "), 2, "--by")
    refused(run(capsys, db, "penalty", "appeal", str(ref), "--reason", "x", "--month", "2026-13"), 2, "--month")
    refused(run(capsys, tmp_path / "unused.db", "--db", "", "case", "list"), 2, "--db")


def test_an_id_that_is_not_a_uuid_names_its_argument(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """CLI audit: "'x' is not a assessment id (a UUID)" named no argument (docs/cli.md: the message names it)."""
    db = tmp_path / "c.db"
    assert run(capsys, db, "init")[0] == 0
    refused(run(capsys, db, "penalty", "approve", "notauuid", "--role", "gm", "--by", "x"), 2, "'ASSESSMENT'")
    refused(run(capsys, db, "penalty", "withdraw", "notauuid", "--reason", "x"), 2, "'ASSESSMENT'")
    refused(run(capsys, db, "return", "sign", "notauuid", "--as", "manager", "--signer", "x"), 2, "'RETURN'")


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ('name = ""\n[years.2027]\nholidays = ["2027-01-01"]', "name"),
        ('name = 5\n[years.2027]\nholidays = ["2027-01-01"]', "name"),
        ('name = "acme"\n[years.2027]\nholidays = [20270101]', "years.2027.holidays[0]"),
        ('name = "acme"\n[years." 2027"]\nholidays = ["2027-01-01"]', "years. 2027"),
        ('name = "acme"\n[years."２０２７"]\nholidays = ["2027-01-01"]', "is not a year"),
    ],
)
def test_calendar_files_hold_names_years_and_dates_as_documented(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, body: str, says: str
) -> None:
    """An empty name was imported as a calendar "", a number as a name was exit 3, and int() / fromisoformat(str())
    took an integer date and years with spaces or full-width digits."""
    db = tmp_path / "c.db"
    assert run(capsys, db, "init")[0] == 0
    calendar = tmp_path / "cal.toml"
    calendar.write_text(body + "\n", "utf-8")
    refused(run(capsys, db, "calendar", "import", str(calendar)), 2, says)
    refused(
        run(capsys, db, "calendar", "add-days", "2026-09-30", "3", "--calendar-file", str(tmp_path / "nope")),
        2,
        "--calendar-file",
    )  # fmt: skip  (it was silently ignored where no working day was counted)


def test_a_calendar_stored_before_names_were_checked_still_loads(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """An earlier version imported ``name = "cn "``; now refused at import, it must not break every command that
    reads the stored calendars (it made ``case open`` exit 2)."""
    from datetime import UTC, datetime

    from adapters.sql import documents as docs
    from adapters.sql import open_database

    db = tmp_path / "c.db"
    assert run(capsys, db, "init")[0] == 0
    padded = 'name = "cn "\n[years.2027]\nholidays = ["2027-01-01"]\n'
    database = open_database(str(db))
    try:
        docs.store(database.engine, kind="calendar", name="cn ", source=padded, fmt="toml", at=datetime.now(UTC))
    finally:
        database.dispose()
    code, _, err = run(capsys, db, "case", "open", "--customer", "华东电子", "--category", "quality")
    assert code == 0, err
    calendar = tmp_path / "padded.toml"
    calendar.write_text(padded, "utf-8")
    refused(run(capsys, db, "calendar", "import", str(calendar)), 2, "'cn '")


def test_return_quantities_beyond_the_bound_are_usage_errors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "c.db"
    assert run(capsys, db, "init")[0] == 0
    huge = "99999999999999999999"
    refused(run(capsys, db, "return", "authorise", "2611001", "--authorised", huge, "--unit-price", "1"), 2,
            "--authorised")  # fmt: skip
    refused(run(capsys, db, "return", "inspect", str(UUID(int=1)), "--accepted", huge), 2, "--accepted")


@pytest.mark.parametrize(
    ("corrupt", "words"),
    [
        (lambda body: body[:-5], "not valid JSON"),
        (lambda body: body.replace('"market":"domestic"', '"market":"mars"'), "'mars' is not a valid Market"),
    ],
)
def test_a_case_row_edited_by_hand_is_named_by_every_command_that_reads_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, corrupt: Any, words: str
) -> None:
    """SQL audit: a truncated body exited 1 ("unexpected JSONDecodeError") from show, list, reports and the sweep,
    and a bad value said "not a valid Case" without saying which: both now name the case (exit 4 [DOCUMENT])."""
    db = tmp_path / "c.db"
    assert run(capsys, db, "init")[0] == 0
    _, out, _ = run(capsys, db, "case", "open", "--customer", "A", "--category", "quality")
    case_id = json.loads(out)["id"]
    with sqlite3.connect(db) as conn:
        (body,) = conn.execute("SELECT body FROM cases").fetchone()
        conn.execute("UPDATE cases SET body = ?", (corrupt(body),))
    for command in (("case", "show", case_id), ("case", "list"), ("case", "register", case_id)):
        refused(run(capsys, db, *command), 4, "[DOCUMENT]", f"case {case_id}", words)


def test_a_history_row_edited_by_hand_is_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    assert run(capsys, db, "init")[0] == 0
    case_id = json.loads(run(capsys, db, "case", "open", "--customer", "A", "--category", "quality")[1])["id"]
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE history SET body = substr(body, 1, 20)")
    refused(run(capsys, db, "case", "history", case_id), 4, "[DOCUMENT]", "case.received event of", case_id)
