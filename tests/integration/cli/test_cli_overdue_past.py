"""`case list --overdue --at PAST` and `report overdue --at PAST` on a SQLite file: a clock late at that moment and
stopped since is listed (both read the current state before, so a past --at showed nothing)."""

from __future__ import annotations

from pathlib import Path

import typer

from .cli_cases_support import as_json, make_app


def test_a_past_at_lists_what_was_overdue_then(tmp_path: Path) -> None:
    app: typer.Typer = make_app()
    db = tmp_path / "c.db"
    as_json(app, db, "init", "--policy", "service")
    ref = as_json(app, db, "case", "open", "--customer", "甲", "--category", "quality", "--kind", "internal",
                  "--at", "2026-11-02T09:00")["id"]  # fmt: skip
    as_json(app, db, "case", "register", ref, "--at", "2026-11-02T10:00")
    as_json(app, db, "case", "investigate", ref, "--at", "2026-11-05T11:00")  # first_investigation was due 11-03
    listed = as_json(app, db, "case", "list", "--overdue", "--at", "2026-11-04T09:30")["cases"]
    assert [c["id"] for c in listed] == [ref]
    report = as_json(app, db, "report", "overdue", "--at", "2026-11-04T09:30")["overdue"]
    assert [(r["clock"], r["due_at"], r["hours_late"]) for r in report] == [
        ("first_investigation", "2026-11-03T15:59:59.999999Z", 9)
    ]
    assert as_json(app, db, "case", "list", "--overdue", "--at", "2026-11-03T09:30")["cases"] == []
    assert as_json(app, db, "report", "overdue", "--at", "2026-11-01T09:30")["overdue"] == []  # not received yet


def test_a_past_at_shows_the_level_reached_then(tmp_path: Path) -> None:
    """P1-ESC-01: the level column is the ladder level at --at, not the one the clock reached since."""
    app: typer.Typer = make_app()
    db = tmp_path / "c.db"
    as_json(app, db, "init", "--policy", "manufacturing")
    ref = as_json(app, db, "case", "open", "--customer", "甲", "--category", "quality",
                  "--at", "2026-11-02T09:00")["id"]  # fmt: skip
    as_json(app, db, "case", "register", ref, "--at", "2026-11-02T10:00")  # close: due end of Sunday 11-15
    as_json(app, db, "sweep", "--at", "2026-11-16T09:00")  # the reminder (level 1)
    as_json(app, db, "sweep", "--at", "2026-11-17T09:00")  # a working day after: the department head (level 2)

    def levels(at: str) -> list[tuple[str, int]]:
        return [(r["clock"], r["level"]) for r in as_json(app, db, "report", "overdue", "--at", at)["overdue"]]

    assert levels("2026-11-16T08:00") == [("close", 0)]
    assert levels("2026-11-16T12:00") == [("close", 1)]
    assert levels("2026-11-17T12:00") == [("close", 2)]


def test_now_and_a_moment_agree_on_a_case_found_not_established(tmp_path: Path) -> None:
    """CLI audit: without --at, `case list --overdue` read the clocks' index, which keeps the running clocks of a
    case found not established, so it listed cases that `--at` and `report overdue` leave out."""
    app: typer.Typer = make_app()
    db = tmp_path / "c.db"
    as_json(app, db, "init", "--policy", "manufacturing")
    refs = [
        as_json(app, db, "case", "open", "--customer", name, "--category", "quality", "--at", "2026-11-02T09:00")["id"]
        for name in ("甲", "乙")
    ]
    for ref in refs:
        as_json(app, db, "case", "register", ref, "--at", "2026-11-02T10:00")  # close: due 11-15
    as_json(app, db, "case", "reject", refs[1], "--reason", "误会", "--at", "2026-11-03T10:00")
    now = [c["id"] for c in as_json(app, db, "case", "list", "--overdue")["cases"]]
    then = [c["id"] for c in as_json(app, db, "case", "list", "--overdue", "--at", "2026-11-30T09:00")["cases"]]
    report = {r["case_id"] for r in as_json(app, db, "report", "overdue")["overdue"]}
    assert now == then == [refs[0]] and report == {refs[0]}
