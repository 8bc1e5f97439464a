"""A full case lifecycle through the CLI under each of the five presets (in-process): every --json parses."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from .cli_cases_support import as_json, invoke, make_app

# preset → (category, channel, approval role covering 500.00, how its numbers look)
PRESETS = {
    "manufacturing": ("quality", "phone", "sales_manager", "261101"),
    "furniture": ("product_quality", "letter", "gm", "261102001"),
    "auto-dealer": ("repair_quality", "on_site", "gm", "2026110001"),
    "service": ("quality", "forwarded", "gm", "2026110001"),
    "bank-branch": ("service", "opinion_book", "outlet_head", "2026110001"),
}


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    return make_app()


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_lifecycle_under_each_preset_ends_closed(app: typer.Typer, tmp_path: Path, preset: str) -> None:
    category, channel, role, number = PRESETS[preset]
    db = tmp_path / "c.db"
    init = as_json(app, db, "init", "--policy", preset)
    assert init["default_policy"] == preset and init["policy"]["id"] == preset
    opened = as_json(
        app, db, "case", "open", "--customer", "华东电子", "--category", category, "--channel", channel,
        "--amount", "320.50", "--description", "翘曲", "--at", "2026-11-02T09:00",
    )  # fmt: skip
    assert opened["status"] == "received" and opened["policy"]["id"] == preset
    assert opened["amount"] == "320.50" and opened["channel"] == channel
    ref = opened["id"]
    steps = [
        ("register",),
        ("investigate",),
        # the validity finding (P3-CLS-03): auto-dealer needs it, every policy takes it
        (
            "attribute",
            "--party",
            "supplier:acme=0.5",
            "--party",
            "carrier:sf=1/2",
            "--reason-sufficient",
            "--request-reasonable",
        ),
        ("propose", "--remedy", "allowance", "--amount", "500"),
        ("approve", "--by", "boss", "--role", role),
        ("reply", "--message", "同意折让 500 元", "--reaction", "accepted"),
        ("close",),
    ]
    doc = opened
    for hour, (command, *options) in enumerate(steps, start=10):
        doc = as_json(app, db, "case", command, ref, *options, "--at", f"2026-11-02T{hour}:00")
        assert doc["id"] == ref
    assert doc["status"] == "closed"
    assert doc["number"] == number
    assert [s["status"] for s in doc["steps"]][-1] == "closed"
    assert doc["remedy"] == {"kind": "allowance", "amount": "500.00", "note": ""}
    assert doc["approval"]["role"] == role and doc["approval"]["approver"] == "boss"
    assert {c["share"] for c in doc["responsibility"]["causer"]} == {"0.5"}
    assert doc["validity"] == {"reason_sufficient": True, "request_reasonable": True}
    # by number, read back; the history has one event per step
    shown = as_json(app, db, "case", "show", number)
    assert shown["id"] == ref and shown["version"] == doc["version"]
    history = as_json(app, db, "case", "history", number)
    types = [e["type"] for e in history["events"]]
    assert types[0] == "case.received" and types[-1] == "case.closed"
    assert len(types) == doc["version"]
    listed = as_json(app, db, "case", "list", "--status", "closed")
    assert [c["number"] for c in listed["cases"]] == [number]


@pytest.mark.usefixtures("allow_future")
def test_followup_visits_through_the_cli_under_the_service_preset(app: typer.Typer, tmp_path: Path) -> None:
    """P4-FU-03: a second investigation 15 days after (EXAMPLE interval); P4-FU-04/05, P4-DL-07: a solved external
    ticket gets a visit a month for 3 months, scheduled by its closure; a dissatisfied visit opens a second complaint
    at once (P4-ESC-04)."""
    db = tmp_path / "c.db"
    as_json(app, db, "init", "--policy", "service")
    ref = as_json(
        app, db, "case", "open", "--customer", "华东电子", "--category", "quality", "--channel", "forwarded",
        "--at", "2026-11-02T09:00",
    )["id"]  # fmt: skip
    for hour, command in enumerate(("register", "investigate"), start=10):
        as_json(app, db, "case", command, ref, "--at", f"2026-11-02T{hour}:00")
    as_json(app, db, "case", "attribute", ref, "--party", "department:service=1", "--at", "2026-11-02T12:00")
    as_json(app, db, "case", "propose", ref, "--remedy", "explanation", "--amount", "0", "--at", "2026-11-02T13:00")
    as_json(app, db, "case", "approve", ref, "--by", "boss", "--role", "gm", "--at", "2026-11-02T14:00")
    as_json(app, db, "case", "reply", ref, "--message", "已解决", "--at", "2026-11-02T15:00")
    number = as_json(app, db, "case", "close", ref, "--at", "2026-11-02T16:00")["number"]

    scheduled = as_json(app, db, "followup", "show", number)
    visits = scheduled["followup"]["visits"]
    assert [(v["kind"], v["due_on"]) for v in visits] == [
        ("secondary_check", "2026-11-17"),  # closed 11-02 + 15 calendar days
        *[("monthly", day) for day in ("2026-12-02", "2027-01-02", "2027-02-02")],  # + 1, 2, 3 months
    ]
    assert scheduled["followup"]["case_number"] == number and {v["status"] for v in visits} == {"open"}
    again = invoke(app, db, "followup", "schedule", number, "--at", "2026-11-02T17:00")
    assert again.exit_code == 4 and "FU-SCHEDULE" in again.stderr and "follow-up already" in again.stderr
    assert as_json(app, db, "followup", "due", "--on", "2026-11-16")["due"] == []
    (due,) = as_json(app, db, "followup", "due", "--on", "2026-12-01")["due"]
    assert (due["case_number"], due["visit"], due["kind"]) == (number, 1, "secondary_check")

    # CLI audit: a level off the scale was a rule refusal (exit 4) and a visit the case lacks too; now a usage
    # error and not found, as other option values and a missing improvement or clock
    bogus = invoke(app, db, "followup", "record", number, "--visit", "2", "--reached", "--satisfaction", "bogus",
                   "--at", "2026-12-02T10:00")  # fmt: skip
    assert bogus.exit_code == 2 and "'--satisfaction'" in bogus.stderr and "dissatisfied" in bogus.stderr
    missing = invoke(app, db, "followup", "record", number, "--visit", "9", "--unreached", "--at", "2026-12-02T10:00")
    assert missing.exit_code == 3 and "no scheduled visit 9" in missing.stderr
    recorded = as_json(app, db, "followup", "record", number, "--visit", "2", "--reached", "--satisfaction",
                       "dissatisfied", "--by", "cs", "--at", "2026-12-02T10:00")  # fmt: skip
    visit = recorded["followup"]["visits"][1]
    assert visit["dissatisfied"] is True and visit["second_case_id"] is not None
    second = as_json(app, db, "case", "show", visit["second_case_id"])
    assert second["status"] == "received" and visit["second_case_number"] == (second["number"] or second["id"])
    human = invoke(app, db, "--lang", "en", "followup", "record", number, "--visit", "3", "--unreached",
                   "--at", "2026-12-28T10:00")  # fmt: skip
    assert human.exit_code == 0 and f"Follow-up of case {number}" in human.stdout
    # lifecycle audit: the second complaint was shown by its UUID, never by its number (P4 numbers it at
    # registration; until then its id is its only name)
    registered = as_json(app, db, "case", "register", second["id"], "--at", "2026-12-28T11:00")
    shown = as_json(app, db, "followup", "show", number)["followup"]["visits"][1]
    assert shown["second_case_number"] == registered["number"] is not None
    human = invoke(app, db, "--lang", "en", "followup", "show", number)
    assert registered["number"] in human.stdout and second["id"] not in human.stdout
    # in words, labels rather than codes (kinds, statuses, the policy's satisfaction level)
    assert "secondary check" in human.stdout and "secondary_check" not in human.stdout and "open" in human.stdout
    zh = invoke(app, db, "followup", "record", number, "--visit", "3", "--unreached", "--at", "2026-12-29T10:00")
    assert zh.exit_code == 0 and "月度回访" in zh.stdout and "已回访" in zh.stdout and "待回访" in zh.stdout
    assert "monthly" not in zh.stdout and "reached" not in zh.stdout and "dissatisfied" not in zh.stdout
    due = invoke(app, db, "followup", "due", "--on", "2027-03-01").stdout
    assert "月度回访" in due and "monthly" not in due


def test_p2_dl_08_the_rework_deadline_on_the_memo_is_tracked(app: typer.Typer, tmp_path: Path) -> None:
    """P2-DL-08: the memo sets the rework deadline (a promise on the rework clock); delivery stops it, late or not."""
    db = tmp_path / "c.db"
    as_json(app, db, "init", "--policy", "furniture")
    ref = as_json(app, db, "case", "open", "--customer", "华东家居", "--category", "product_quality",
                  "--at", "2026-11-02T09:00")["id"]  # fmt: skip
    early = invoke(app, db, "case", "milestone", ref, "rework_delivered", "--at", "2026-11-03T09:00")
    assert early.exit_code == 4 and "memo_done" in early.stderr  # no delivery before the memo
    for milestone in ("transfer_approved", "pm_received", "memo_done"):
        as_json(app, db, "case", "milestone", ref, milestone, "--at", "2026-11-03T10:00")
    as_json(
        app, db, "case", "promise", ref, "--clock", "rework", "--due", "2026-11-10T17:00", "--at", "2026-11-03T11:00"
    )

    def overdue(at: str) -> list[str]:
        return [
            r["clock"] for r in as_json(app, db, "report", "overdue", "--at", at)["overdue"] if r["rule"] == "P2-DL-08"
        ]

    assert overdue("2026-11-10T16:00") == [] and overdue("2026-11-10T18:00") == ["rework"]
    as_json(app, db, "case", "milestone", ref, "rework_delivered", "--at", "2026-11-12T15:00")
    assert overdue("2026-11-13T09:00") == [] and overdue("2026-11-11T09:00") == ["rework"]  # late then
    (clock,) = [c for c in as_json(app, db, "case", "show", ref)["clocks"] if c["name"] == "rework"]
    assert clock["rule"] == "P2-DL-08" and clock["stopped_at"] == "2026-11-12T07:00:00Z" and clock["overdue"] is True
    steps = [("register",), ("investigate",), ("attribute", "--party", "department:production=1"),
             ("propose", "--remedy", "rework", "--amount", "300"), ("approve", "--by", "boss", "--role", "gm"),
             ("reply", "--message", "已返修"), ("close",)]  # fmt: skip
    for hour, (command, *extra) in enumerate(steps, start=9):
        as_json(app, db, "case", command, ref, *extra, "--at", f"2026-11-13T{hour:02}:00")
    number = as_json(app, db, "case", "show", ref)["number"]
    assert invoke(app, db, "followup", "show", number).exit_code == 3  # nothing scheduled at closure here
    (visit,) = as_json(app, db, "followup", "schedule", number, "--at", "2026-11-13T17:00")["followup"]["visits"]
    assert (visit["kind"], visit["due_on"]) == ("rework_delivery", "2026-11-13")  # delivered 11-12: its 2nd day


@pytest.mark.usefixtures("allow_future")
def test_p4_lc_03_an_internal_ticket_closes_with_its_improvement_whose_effect_is_checked(
    app: typer.Typer, tmp_path: Path
) -> None:
    """P4-LC-03: no closure without improvement measures; P3-FU-03: the supervisor checks them; P1-FU-01: the case
    settles once the effect is confirmed (an ineffective one needs another); P1-CLS-05: an untracked one is exempt."""
    db = tmp_path / "c.db"
    as_json(app, db, "init", "--policy", "service")
    ref = as_json(app, db, "case", "open", "--customer", "前台", "--category", "quality", "--kind", "internal",
                  "--at", "2026-11-02T09:00")["id"]  # fmt: skip
    steps = [("register",), ("investigate",), ("attribute", "--party", "department:service=1"),
             ("propose", "--remedy", "explanation"), ("approve", "--by", "boss", "--role", "gm"),
             ("reply", "--message", "已整改")]  # fmt: skip
    for hour, (command, *extra) in enumerate(steps, start=10):
        as_json(app, db, "case", command, ref, *extra, "--at", f"2026-11-02T{hour}:00")
    refused = invoke(app, db, "case", "close", ref, "--at", "2026-11-02T17:00")
    assert refused.exit_code == 4 and "[P4-LC-03]" in refused.stderr
    bad = invoke(app, db, "case", "improve", ref, "--measures", " ", "--owner", "S02", "--at", "2026-11-02T17:00")
    assert bad.exit_code == 4 and "[P4-LC-03]" in bad.stderr
    planned = as_json(app, db, "case", "improve", ref, "--measures", "交接班核对清单", "--owner", "S02",
                      "--supervisor", "GM01", "--due", "2026-11-30T17:00", "--at", "2026-11-02T17:00")  # fmt: skip
    (improvement,) = planned["improvements"]
    assert (improvement["number"], improvement["tracked"], improvement["due_at"]) == (1, True, "2026-11-30T09:00:00Z")
    as_json(app, db, "case", "close", ref, "--at", "2026-11-02T18:00")

    def to_check(at: str) -> list[tuple[int, bool]]:
        found = as_json(app, db, "report", "improvements", "--at", at)["improvements"]
        return [(r["number"], r["overdue"]) for r in found]

    assert to_check("2026-11-02T16:00") == [] and to_check("2026-12-01T09:00") == [(1, True)]
    early = invoke(app, db, "case", "settle", ref, "--at", "2026-12-01T09:00")
    assert early.exit_code == 4 and "improvement 1 not verified" in early.stderr
    wrong = invoke(app, db, "case", "verify", ref, "--improvement", "1", "--effective", "--actor", "S02",
                   "--at", "2026-12-01T09:00")  # fmt: skip
    assert wrong.exit_code == 4 and "[P3-FU-03]" in wrong.stderr
    as_json(app, db, "case", "verify", ref, "--improvement", "1", "--ineffective", "--note", "仍有漏交接",
            "--actor", "GM01", "--at", "2026-12-01T10:00")  # fmt: skip
    assert to_check("2026-12-01T09:30") == [(1, True)] and to_check("2026-12-01T11:00") == []  # as it stood then
    again = invoke(app, db, "case", "settle", ref, "--at", "2026-12-01T11:00")
    assert again.exit_code == 4 and "was not effective" in again.stderr
    as_json(app, db, "case", "improve", ref, "--measures", "前台交接表电子化", "--owner", "S02",
            "--at", "2026-12-01T11:00")  # fmt: skip
    as_json(app, db, "case", "verify", ref, "--improvement", "2", "--effective", "--at", "2026-12-15T10:00")
    shown = as_json(app, db, "case", "show", ref)
    assert [(i["number"], i["effective"], i["verified_by"]) for i in shown["improvements"]] == [
        (1, False, "GM01"), (2, True, "cli")
    ]  # fmt: skip
    assert as_json(app, db, "case", "settle", ref, "--at", "2026-12-15T11:00")["status"] == "settled"
    human = invoke(app, db, "--lang", "en", "case", "show", ref)
    assert "2 前台交接表电子化 (S02): effective (cli)" in human.stdout
    exempt = invoke(app, db, "case", "improve", ref, "--measures", "x", "--owner", "S02", "--untracked")
    assert exempt.exit_code == 4 and "settled" in exempt.stderr
