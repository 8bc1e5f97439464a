"""Periodic duties through the CLI on a SQLite file (DOMAIN §4): P1-DL-05..07 by the 10th, P5-DL-03 daily."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from .cli_cases_support import as_json, count, invoke, make_app


@pytest.mark.usefixtures("allow_future")
def test_p1_dl_05_07_monthly_duties_open_overdue_and_done(tmp_path: Path) -> None:
    app: typer.Typer = make_app()
    db = tmp_path / "c.db"
    as_json(app, db, "init", "--policy", "manufacturing")
    opened = as_json(app, db, "duty", "open", "--at", "2026-12-05T09:00", "--since", "2026-12-01")
    assert opened["at"] == "2026-12-05T01:00:00Z" and opened["policy"] == "manufacturing"
    assert [(d["name"], d["rule"], d["period"], d["due_at"], d["overdue"]) for d in opened["duties"]] == [
        ("loss_summary", "P1-DL-07", "2026-11", "2026-12-10T15:59:59.999999Z", False),
        ("monthly_statistics", "P1-DL-05", "2026-11", "2026-12-10T15:59:59.999999Z", False),
        ("sanction_review", "P1-DL-06", "2026-11", "2026-12-10T15:59:59.999999Z", False),
    ]
    done = as_json(app, db, "duty", "done", "monthly_statistics", "--by", "gmo", "--note", "已归档",
                   "--at", "2026-12-08T10:00")  # fmt: skip
    assert done["duty"] == {
        "policy": "manufacturing", "name": "monthly_statistics", "period": "2026-11",
        "done_at": "2026-12-08T02:00:00Z", "actor": "gmo", "note": "已归档",
    }  # fmt: skip
    late = as_json(app, db, "duty", "open", "--at", "2026-12-11T09:00", "--since", "2026-12-01")["duties"]
    assert [(d["name"], d["overdue"]) for d in late] == [("loss_summary", True), ("sanction_review", True)]

    rows = count(db, "duty_records")
    again = invoke(app, db, "duty", "done", "monthly_statistics", "--period", "2026-11", "--at", "2026-12-11T09:00")
    assert again.exit_code == 4 and "[DUTY]" in again.stderr and "recorded already" in again.stderr
    early = invoke(app, db, "duty", "done", "loss_summary", "--period", "2026-12", "--at", "2026-12-11T09:00")
    assert early.exit_code == 4 and "opens on 2027-01-01" in early.stderr
    unknown = invoke(app, db, "duty", "done", "weekly_statistics")
    assert unknown.exit_code == 3 and "duties: monthly_statistics, sanction_review, loss_summary" in unknown.stderr
    assert count(db, "duty_records") == rows
    words = invoke(app, db, "--lang", "en", "duty", "open", "--at", "2026-12-11T09:00", "--since", "2026-12-01")
    assert words.exit_code == 0 and "P1-DL-07" in words.stdout and "yes" in words.stdout


def test_p5_dl_03_the_opinion_book_is_read_every_day(tmp_path: Path) -> None:
    app: typer.Typer = make_app()
    db = tmp_path / "b.db"
    as_json(app, db, "init", "--policy", "bank-branch")
    as_json(app, db, "duty", "done", "opinion_book_check", "--by", "cm", "--at", "2026-11-02T09:30")
    found = as_json(app, db, "duty", "open", "--at", "2026-11-03T09:00", "--since", "2026-11-01")["duties"]
    assert [(d["period"], d["overdue"]) for d in found] == [("2026-11-01", True), ("2026-11-03", False)]
    none = invoke(app, db, "--lang", "en", "duty", "open", "--at", "2026-11-01T09:00", "--since", "2026-11-02")
    assert none.exit_code == 0 and "no periodic duty is open" in none.stdout


def test_bad_dates_periods_and_names_are_clear_errors_and_write_nothing(tmp_path: Path) -> None:
    app: typer.Typer = make_app()
    db = tmp_path / "c.db"
    as_json(app, db, "init", "--policy", "manufacturing")
    for since in ("0001-01-01", "9999-12-31"):  # a date option has the years of --at: named as the option's
        result = invoke(app, db, "duty", "open", "--at", "2026-03-05T10:00", "--since", since)
        assert result.exit_code == 2 and "'--since'" in result.stderr and "between 1000 and 9998" in result.stderr
    for args in (
        ("duty", "done", "monthly_statistics", "--period", "9999-12", "--at", "2026-03-05T10:00"),
        ("duty", "done", "monthly_statistics", "--period", "0001-01", "--at", "2026-03-05T10:00"),
        ("duty", "done", "monthly_statistics", "--by", "x" * 256, "--at", "2026-03-05T10:00"),
    ):
        result = invoke(app, db, *args)
        assert result.exit_code == 4 and "[DUTY]" in result.stderr, (args, result.stderr)
    assert count(db, "duty_records") == 0


def test_a_policy_without_duties_says_so(tmp_path: Path) -> None:
    app: typer.Typer = make_app()
    db = tmp_path / "s.db"
    as_json(app, db, "init", "--policy", "service")
    words = invoke(app, db, "--lang", "en", "duty", "open")
    assert words.exit_code == 0 and "policy service defines no periodic duties" in words.stdout
