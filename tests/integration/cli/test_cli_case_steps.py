"""The steps of a case outside its lifecycle through the CLI (in-process, SQLite file): a policy's milestones
(P4-DL-02/03), severity, the major flag and its emergency meeting (P3-ESC-01), the customer's reaction.

Without these commands a major complaint could never be closed from the CLI, and the P4 head-reply clock
never started."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from .cli_cases_support import as_json, count, invoke, make_app


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    return make_app()


def open_case(app: typer.Typer, db: Path, preset: str, category: str, *options: str) -> str:
    as_json(app, db, "init", "--policy", preset)
    doc = as_json(
        app, db, "case", "open", "--customer", "前台", "--category", category, "--at", "2026-11-02T09:00", *options
    )
    return str(doc["id"])


def test_p4_dl_02_03_head_reply_milestones_and_the_waiver_of_a_late_reply(app: typer.Typer, tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    ref = open_case(app, db, "service", "attitude", "--kind", "internal")
    forwarded = as_json(app, db, "case", "milestone", ref, "forwarded_to_head", "--at", "2026-11-02T10:00")
    (head,) = [c for c in forwarded["clocks"] if c["name"] == "head_reply"]
    assert head["due_at"] == "2026-11-03T15:59:59.999999Z" and head["stopped_at"] is None  # 1 WD: end of Tue
    assert forwarded["milestones"] == [{"name": "forwarded_to_head", "at": "2026-11-02T02:00:00Z"}]

    events = count(db, "outbox")
    typo = invoke(app, db, "case", "milestone", ref, "head_repled", "--at", "2026-11-04T09:00")
    assert typo.exit_code == 4 and "[CASE-MILESTONE]" in typo.stderr
    assert "forwarded_to_head, head_replied" in typo.stderr
    assert count(db, "outbox") == events  # nothing written

    replied = as_json(app, db, "case", "milestone", ref, "head_replied", "--at", "2026-11-04T09:00")
    (head,) = [c for c in replied["clocks"] if c["name"] == "head_reply"]
    assert (head["stopped_at"], head["level"]) == ("2026-11-04T01:00:00Z", 1)
    history = as_json(app, db, "case", "history", ref)["events"]
    assert [e["type"] for e in history][-2:] == ["case.clock_escalated", "case.milestone_reached"]
    assert history[-2]["data"]["action"] == "waive" and history[-2]["data"]["clock"] == "head_reply"
    swept = as_json(app, db, "sweep", "--at", "2026-11-09T09:00")["actions"]
    assert [a for a in swept if a["clock"] == "head_reply"] == []  # waived once, by the reply's command

    shown = invoke(app, db, "--lang", "en", "case", "show", ref, "--at", "2026-11-04T09:00")
    assert shown.exit_code == 0 and "Forwarded to the accused department head" in shown.stdout
    # the milestones had no labels (service v4): they printed as codes, in Chinese too
    zh = invoke(app, db, "case", "show", ref, "--at", "2026-11-04T09:00").stdout
    assert "转被投诉部门主管 (forwarded_to_head)" in zh and "被投诉部门主管已回复 (head_replied)" in zh


def test_p3_esc_01_a_major_complaint_closes_after_its_emergency_meeting(app: typer.Typer, tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    ref = open_case(app, db, "auto-dealer", "repair_quality")
    steps = [
        ("classify", "general", "--reason", "first look"),
        ("register",),
        ("investigate",),
        ("attribute", "--party", "department:service=1", "--reason-sufficient", "--request-reasonable"),
        ("propose", "--remedy", "compensation", "--amount", "100"),
        ("approve", "--by", "boss", "--role", "gm"),
        ("reply", "--message", "更换变速箱"),
        ("react", "--reaction", "accepted"),
    ]
    for hour, (command, *options) in enumerate(steps, start=10):
        doc = as_json(app, db, "case", command, ref, *options, "--at", f"2026-11-02T{hour}:00")
    assert doc["severity"] == "general" and doc["major"] is False and doc["reply"]["reaction"] == "accepted"

    no_meeting = invoke(
        app, db, "case", "meeting", ref, "--attendee", "gm", "--minutes", "x", "--at", "2026-11-02T18:00"
    )
    assert no_meeting.exit_code == 4 and "[P3-ESC-01]" in no_meeting.stderr  # not a major complaint

    flagged = as_json(app, db, "case", "major", ref, "--reason", "媒体关注", "--at", "2026-11-02T18:00")
    assert flagged["major"] is True
    refused = invoke(app, db, "case", "close", ref, "--at", "2026-11-02T19:00")
    assert refused.exit_code == 4 and "[P3-ESC-01]" in refused.stderr and "emergency-meeting" in refused.stderr
    blank = invoke(app, db, "case", "meeting", ref, "--attendee", "gm", "--minutes", " ", "--at", "2026-11-02T19:00")
    assert blank.exit_code == 4 and "[P3-ESC-01]" in blank.stderr
    met = as_json(
        app, db, "case", "meeting", ref, "--attendee", "gm", "--attendee", "coo", "--minutes", "召回并更换",
        "--at", "2026-11-02T19:00",
    )  # fmt: skip
    assert met["meeting"] == {"attendees": ["gm", "coo"], "minutes": "召回并更换", "at": "2026-11-02T11:00:00Z"}
    closed = as_json(app, db, "case", "close", ref, "--at", "2026-11-02T20:00")
    assert closed["status"] == "closed"

    unknown = invoke(app, db, "case", "classify", ref, "severe", "--at", "2026-11-02T21:00")
    assert unknown.exit_code == 2 and "'SEVERITY'" in unknown.stderr  # no such severity: a usage error (CLI audit)
    closed_already = invoke(app, db, "case", "classify", ref, "major", "--at", "2026-11-02T21:00")
    assert closed_already.exit_code == 4  # closed
    shown = invoke(app, db, "--lang", "en", "case", "show", ref)
    assert shown.exit_code == 0 and "召回并更换" in shown.stdout and "gm, coo" in shown.stdout


def test_p4_cls_04_classify_again_keeps_the_delay_given_before(app: typer.Typer, tmp_path: Path) -> None:
    """P4-DL-08: a delay of three days raises to medium; classifying again without ``--delay-days`` kept the
    severity but forgot the delay, so the case fell back to light."""
    db = tmp_path / "c.db"
    ref = open_case(app, db, "service", "attitude")
    raised = as_json(app, db, "case", "classify", ref, "light", "--delay-days", "3", "--at", "2026-11-02T10:00")
    assert (raised["severity"], raised["delay_days"]) == ("medium", 3)
    again = as_json(app, db, "case", "classify", ref, "light", "--reason", "复核", "--at", "2026-11-02T11:00")
    assert (again["severity"], again["delay_days"]) == ("medium", 3)
    shown = invoke(app, db, "--lang", "en", "case", "show", ref, "--at", "2026-11-02T11:00").stdout
    assert "days of delay" in shown
    corrected = as_json(app, db, "case", "classify", ref, "light", "--delay-days", "0", "--at", "2026-11-02T12:00")
    assert (corrected["severity"], corrected["delay_days"]) == ("light", 0)


def test_p1_apr_02_an_approver_approves_a_revised_remedy_within_authority(app: typer.Typer, tmp_path: Path) -> None:
    """A proposal above Sales' authority could only go to the higher approver: `propose` again is not a
    transition, and `approve` took no revised remedy (the service always did)."""
    db = tmp_path / "c.db"
    ref = open_case(app, db, "manufacturing", "quality")
    for hour, (command, *options) in enumerate(
        [
            ("register",),
            ("investigate",),
            ("attribute", "--party", "department:production=1"),
            ("propose", "--remedy", "allowance", "--amount", "50000.01"),
        ],
        start=10,
    ):
        as_json(app, db, "case", command, ref, *options, "--at", f"2026-11-02T{hour}:00")
    over = invoke(app, db, "case", "approve", ref, "--by", "s", "--role", "sales_manager", "--at", "2026-11-02T15:00")
    assert over.exit_code == 4 and "[P1-APR-02]" in over.stderr and "needs gm" in over.stderr
    still_over = invoke(
        app, db, "case", "approve", ref, "--by", "s", "--role", "sales_manager", "--amount", "5000.01",
        "--at", "2026-11-02T15:00",
    )  # fmt: skip
    assert still_over.exit_code == 4 and "5000.01 needs deputy_gm" in still_over.stderr
    bad = invoke(app, db, "case", "approve", ref, "--by", "s", "--role", "sales_manager", "--remedy", "cash")
    assert bad.exit_code == 2 and "'--remedy'" in bad.stderr
    approved = as_json(
        app, db, "case", "approve", ref, "--by", "s", "--role", "sales_manager", "--amount", "4000",
        "--remedy", "compensation", "--at", "2026-11-02T15:00",
    )  # fmt: skip
    assert approved["status"] == "approved"
    assert approved["remedy"] == {"kind": "compensation", "amount": "4000.00", "note": ""}
    assert approved["approval"]["role"] == "sales_manager"


def test_an_explanation_needs_no_amount_a_payment_does(app: typer.Typer, tmp_path: Path) -> None:
    """`--amount` was required for every remedy: an internal ticket's explanation needed `--amount 0`."""
    db = tmp_path / "c.db"
    ref = open_case(app, db, "manufacturing", "quality")
    for hour, command in enumerate(("register", "investigate"), start=10):
        as_json(app, db, "case", command, ref, "--at", f"2026-11-02T{hour}:00")
    as_json(app, db, "case", "attribute", ref, "--party", "department:production=1", "--at", "2026-11-02T12:00")
    missing = invoke(app, db, "case", "propose", ref, "--remedy", "compensation", "--at", "2026-11-02T13:00")
    assert (
        missing.exit_code == 2
        and "'--amount'" in missing.stderr
        and "a compensation needs its amount" in missing.stderr
    )
    doc = as_json(app, db, "case", "propose", ref, "--remedy", "explanation", "--at", "2026-11-02T13:00")
    assert doc["remedy"] == {"kind": "explanation", "amount": "0.00", "note": ""}


def test_p3_cls_03_the_validity_finding_through_the_cli(app: typer.Typer, tmp_path: Path) -> None:
    """`auto-dealer` records whether the reason is sufficient and the request reasonable: without both findings
    `case attribute` exits 4 naming the rule, one of the two alone is a usage error, and nothing is written."""
    db = tmp_path / "c.db"
    ref = open_case(app, db, "auto-dealer", "repair_quality")
    as_json(app, db, "case", "register", ref, "--at", "2026-11-02T09:10")
    as_json(app, db, "case", "investigate", ref, "--at", "2026-11-02T09:20")
    events = count(db, "outbox")
    attribute = ("case", "attribute", ref, "--party", "department:sales=1", "--at", "2026-11-02T10:00")
    missing = invoke(app, db, *attribute)
    assert missing.exit_code == 4 and "[P3-CLS-03]" in missing.stderr
    half = invoke(app, db, *attribute, "--reason-sufficient")
    assert half.exit_code == 2 and "--request-reasonable/--request-unreasonable" in half.stderr
    assert count(db, "outbox") == events  # nothing written

    found = as_json(app, db, *attribute, "--reason-sufficient", "--request-unreasonable")
    assert found["status"] == "attributed"
    assert found["validity"] == {"reason_sufficient": True, "request_reasonable": False}
    history = as_json(app, db, "case", "history", ref)["events"]
    assert history[-1]["data"]["validity"] == {"reason_sufficient": True, "request_reasonable": False}
    shown = invoke(app, db, "--lang", "en", "case", "show", ref, "--at", "2026-11-02T10:00")
    assert shown.exit_code == 0 and "reason sufficient, request unreasonable" in shown.stdout
    assert "理由充分,要求不合理" in invoke(app, db, "--lang", "zh", "case", "show", ref).stdout


def test_p3_cls_03_a_sufficient_reason_is_no_ground_for_rejecting(app: typer.Typer, tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    ref = open_case(app, db, "manufacturing", "quality")
    sufficient = ("--reason-sufficient", "--request-reasonable")
    refused = invoke(app, db, "case", "reject", ref, "--reason", "误会", *sufficient, "--at", "2026-11-02T10:00")
    assert refused.exit_code == 4 and "[P3-CLS-03]" in refused.stderr
    rejected = as_json(
        app, db, "case", "reject", ref, "--reason", "误会", "--reason-insufficient", "--request-unreasonable"
    )
    assert rejected["status"] == "not_established"
    assert rejected["validity"] == {"reason_sufficient": False, "request_reasonable": False}
