"""Cases at the year's end, when the bundled calendar stops at 2026-12-31 (DOMAIN §4, §5; calendar audit).

A write whose new deadline needs a working day of a year not loaded was committed (event, outbox, case) and then
exited 6 while printing it: a case opened that way was stored with no id shown, and its clocks were indexed without
due times, so neither the sweep nor the overdue lists ever found it. And a calendar imported later left the due
times computed under the weekends-only estimate in the index the sweep reads.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import typer

from .cli_cases_support import as_json, count, invoke, make_app

# 2027 as the audit's file has it: New Year's Day, Spring Festival 02-08..12 with Saturday 02-13 worked
CN_2027 = """name = "cn"
[years.2027]
holidays = ["2027-01-01", "2027-02-08", "2027-02-09", "2027-02-10", "2027-02-11", "2027-02-12"]
workdays = ["2027-02-13"]
"""
pytestmark = pytest.mark.usefixtures("allow_future")  # set at the year's end and in 2027
TICKET = ("--customer", "Q", "--category", "quality", "--kind", "internal", "--channel", "letter")


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    return make_app()


def due_times(db: Path) -> dict[str, str | None]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT name, due_at FROM case_clocks WHERE stopped_at IS NULL ORDER BY name"))


def fallback_policy(tmp_path: Path) -> Path:
    """The service preset counting the working days of a year not loaded on a weekends-only estimate."""
    from adapters.policy_files import preset_text

    policy = tmp_path / "fallback.toml"
    text = preset_text("service").replace("weekend_fallback = false", "weekend_fallback = true")
    policy.write_text(text.replace('policy_id = "service"', 'policy_id = "svcfb"', 1), "utf-8")
    return policy


def calendar_file(tmp_path: Path) -> Path:
    path = tmp_path / "cn-2027.toml"
    path.write_text(CN_2027, "utf-8")
    return path


def test_p4_dl_a_write_whose_deadline_needs_a_year_not_loaded_stores_nothing(app: typer.Typer, tmp_path: Path) -> None:
    """Service preset, internal ticket (P4-DL-01: close within 2 working days; the head replies within 1)."""
    db = tmp_path / "c.db"
    as_json(app, db, "init", "--policy", "service")
    ref = as_json(app, db, "case", "open", *TICKET, "--at", "2026-12-29T09:00")["id"]
    as_json(app, db, "case", "register", ref, "--at", "2026-12-29T09:10")
    as_json(app, db, "case", "investigate", ref, "--at", "2026-12-29T09:20")
    before = (count(db, "history"), count(db, "outbox"), count(db, "cases"), due_times(db))
    # the first investigation runs until the ticket goes to the accused head (service v6)
    assert before[3] == {
        "close": "2026-12-31 15:59:59.999999+00:00",
        "first_investigation": "2026-12-30 15:59:59.999999+00:00",
    }

    # the head's reply clock (1 working day from 12-31) runs into 2027: refused, nothing written
    forwarded = invoke(app, db, "case", "milestone", ref, "forwarded_to_head", "--at", "2026-12-31T10:00")
    assert forwarded.exit_code == 6 and "[CAL-COVERAGE] 2027-01-01" in forwarded.stderr and not forwarded.stdout
    assert "(store one with: complaint calendar import FILE)" in forwarded.stderr
    # a ticket opened on the 31st (2 working days) likewise: no case stored that the user never saw the id of
    opened = invoke(app, db, "case", "open", *TICKET, "--at", "2026-12-31T10:00")
    assert opened.exit_code == 6 and not opened.stdout
    assert (count(db, "history"), count(db, "outbox"), count(db, "cases"), due_times(db)) == before

    # the close reminder due on 12-31 needs no day of 2027 and fires
    swept = as_json(app, db, "sweep", "--at", "2027-01-01T10:00")["actions"]
    assert [(a["clock"], a["level"]) for a in swept] == [("close", 1)]

    imported = as_json(app, db, "calendar", "import", str(calendar_file(tmp_path)))
    assert imported["refreshed"] == 1 and imported["unreadable"] == []
    as_json(app, db, "case", "milestone", ref, "forwarded_to_head", "--at", "2027-01-04T09:00")
    assert due_times(db)["head_reply"] == "2027-01-05 15:59:59.999999+00:00"  # Monday + 1 working day
    later = as_json(app, db, "sweep", "--at", "2027-01-06T10:00")["actions"]
    assert ("head_reply", 1, "2027-01-05T15:59:59.999999Z") in [(a["clock"], a["level"], a["due"]) for a in later]


def test_calendar_import_computes_the_due_times_the_sweep_reads_again(app: typer.Typer, tmp_path: Path) -> None:
    """Under the weekends-only fallback a ticket of Friday 2027-02-12 is due Tuesday 02-16 (2 working days, an
    estimate); the real 2027 makes Saturday 02-13 a working day, so it is due Monday 02-15, and the sweep of the
    16th must see it late."""
    db = tmp_path / "c.db"
    as_json(app, db, "init", "--policy", str(fallback_policy(tmp_path)))
    ref = as_json(app, db, "case", "open", *TICKET, "--at", "2027-02-12T10:00")["id"]
    as_json(app, db, "case", "register", ref, "--at", "2027-02-12T10:30")
    # estimated: Monday 02-15 for the first investigation (1 working day), Tuesday 02-16 to close
    assert due_times(db) == {
        "close": "2027-02-16 15:59:59.999999+00:00",
        "first_investigation": "2027-02-15 15:59:59.999999+00:00",
    }

    shown = invoke(app, db, "--lang", "en", "case", "show", ref, "--at", "2027-02-12T11:00")
    assert "2027-02-16 23:59 (estimated)" in shown.stdout  # the human table marks it, as the JSON's warnings do

    imported = as_json(app, db, "calendar", "import", str(calendar_file(tmp_path)))
    assert imported["refreshed"] == 1
    assert "(estimated)" not in invoke(app, db, "--lang", "en", "case", "show", ref).stdout
    assert due_times(db) == {
        "close": "2027-02-15 15:59:59.999999+00:00",
        "first_investigation": "2027-02-13 15:59:59.999999+00:00",
    }
    swept = as_json(app, db, "sweep", "--at", "2027-02-16T10:00")["actions"]
    assert [(a["case_id"], a["clock"], a["level"]) for a in swept] == [(ref, "close", 1)]  # the one with a ladder
    human = invoke(app, db, "--lang", "en", "calendar", "import", str(calendar_file(tmp_path)))
    assert human.exit_code == 0 and "due times of 1 case(s) computed again" in human.stdout


def test_calendar_import_stores_the_calendar_and_the_due_times_together(
    app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Atomicity audit: the calendar was committed before the due times were computed again, in a transaction of
    their own; interrupted (Ctrl-C, a locked database) between the two, the new calendar stood beside the old due
    times, and the sweep, which reads those, went on missing the cases late under the new days."""
    from adapters.sql.uow import SqlCaseRepository

    db = tmp_path / "c.db"
    as_json(app, db, "init", "--policy", str(fallback_policy(tmp_path)))
    ref = as_json(app, db, "case", "open", *TICKET, "--at", "2027-02-12T10:00")["id"]
    as_json(app, db, "case", "register", ref, "--at", "2027-02-12T10:30")
    before, documents = due_times(db), count(db, "documents")

    def interrupted(*args: object, **kwargs: object) -> None:
        raise RuntimeError("interrupted while computing the due times")

    with monkeypatch.context() as patch:
        patch.setattr(SqlCaseRepository, "refresh_index", interrupted)
        failed = invoke(app, db, "calendar", "import", str(calendar_file(tmp_path)))
    assert failed.exit_code == 1 and "interrupted" in failed.stderr
    assert count(db, "documents") == documents and due_times(db) == before  # neither
    assert as_json(app, db, "calendar", "import", str(calendar_file(tmp_path)))["version"] == 1  # both
    assert due_times(db)["close"] == "2027-02-15 15:59:59.999999+00:00" and ref


def test_calendar_import_judges_closed_cases_again(app: typer.Typer, tmp_path: Path) -> None:
    """Review: a ticket closed on time under the weekends-only estimate is late under the real 2027 (Saturday 02-13
    worked), so its overdue inquiries are due (P1-ESC-02); the import refreshed only cases with a running clock, and
    the SQL sweep never read this one."""
    db = tmp_path / "c.db"
    as_json(app, db, "init", "--policy", str(fallback_policy(tmp_path)))
    ref = as_json(app, db, "case", "open", *TICKET, "--at", "2027-02-12T10:00")["id"]
    steps = [
        ("register", ref),
        ("investigate", ref),
        ("milestone", ref, "forwarded_to_head"),  # Monday 02-15: on time under the estimate, a working day late in fact
        ("attribute", ref, "--no-fault"),
        ("improve", ref, "--measures", "m", "--owner", "S1"),
        ("propose", ref, "--remedy", "explanation"),
        ("approve", ref, "--by", "gm", "--role", "gm"),
        ("reply", ref, "--message", "ok"),
        ("close", ref),  # Tuesday 02-16: the estimate's last day, a day late in fact
    ]
    times = [
        "2027-02-12T10:30",
        "2027-02-15T09:00",
        "2027-02-15T09:05",
        *[f"2027-02-16T09:{m:02}" for m in range(10, 60, 9)],
    ]
    for step, at in zip(steps, times, strict=True):
        as_json(app, db, "case", *step, "--at", at)
    as_json(app, db, "sweep", "--at", "2027-02-17T09:00")
    assert "case.inquiry_issued" not in history_types(db)

    assert as_json(app, db, "calendar", "import", str(calendar_file(tmp_path)))["refreshed"] == 1
    as_json(app, db, "sweep", "--at", "2027-02-17T10:00")
    assert history_types(db).count("case.inquiry_issued") == 2  # the first investigation and the closing


def history_types(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [kind for (kind,) in conn.execute("SELECT type FROM history ORDER BY seq")]
