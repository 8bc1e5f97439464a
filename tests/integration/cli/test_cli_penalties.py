"""Penalties, the ledger, returns and allowances through the CLI, in-process (``main([...])``) on a SQLite file."""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from complaint_core import Channel, Intake, Market, Party, PartyKind, RemedyKind, Responsibility
from complaint_core.policy import CaseKind
from entrypoints.cli.main import main

SHANGHAI = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parents[3]


def run(capsys: pytest.CaptureFixture[str], db: Path, *args: str) -> tuple[int, Any]:
    """``complaint --db DB --json ARGS``: (exit code, parsed stdout or None)."""
    try:
        main(["--db", str(db), "--json", *args])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else None


def refused(capsys: pytest.CaptureFixture[str], db: Path, *args: str) -> tuple[int, str]:
    """``complaint --db DB ARGS`` expected to fail: (exit code, stderr)."""
    with pytest.raises(SystemExit) as exc:
        main(["--db", str(db), *args])
    return int(exc.value.code or 0), capsys.readouterr().err


def words_of(capsys: pytest.CaptureFixture[str], db: Path, *args: str) -> str:
    """What a command prints for people (its tables), exit 0."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        main(["--db", str(db), *args])
    assert done.value.code == 0
    return capsys.readouterr().out


def sh(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=SHANGHAI)


def closed_case(db: Path, kind: RemedyKind, amount: str, causer: Party, cause: str = "shipping_error") -> str:
    """A closed manufacturing case on ``db`` (with the example organisation stored), via the services; its cause
    (装运错误) is one an administrative sanction may be given for (P1-CLS-08)."""
    from adapters.sql import documents as docs
    from entrypoints.app import open_app

    app = open_app(str(db))
    try:
        if not docs.latest(app.database.engine, "organisation"):
            source = (ROOT / "examples" / "organisation.toml").read_text(encoding="utf-8")
            docs.store(
                app.database.engine, kind="organisation", name="organisation", source=source, fmt="toml", at=sh(1)
            )
        s = app.cases
        intake = Intake(customer="华东电子", channel=Channel.PHONE, category="quality", market=Market.DOMESTIC)
        case = s.receive(intake, actor="S02", at=sh(2))
        ref = s.register(case.case_id, actor="gm_office", at=sh(2, 10)).reference
        s.start_investigation(ref, actor="Q02", at=sh(2, 11))
        s.reach_milestone(ref, "investigation_done", actor="Q02", at=sh(3))
        s.reach_milestone(ref, "report_submitted", actor="Q01", at=sh(4))
        s.attribute(ref, actor="Q01", at=sh(4, 10), causer=Responsibility.sole(causer), cause_code=cause)
        s.propose(ref, actor="S01", kind=kind, amount=Decimal(amount), at=sh(4, 11))
        s.approve(ref, actor="S01", role="sales_manager", at=sh(4, 12))
        s.reply(ref, actor="S02", message="ok", at=sh(5))
        s.close(ref, actor="gm_office", at=sh(5, 10))
        return ref
    finally:
        app.close()


def service_case(
    capsys: pytest.CaptureFixture[str],
    db: Path,
    *,
    severity: str | None = None,
    kind: CaseKind = CaseKind.EXTERNAL,
    close_on: int | None = None,
) -> str:
    """A case under the service preset (P4) on ``db`` with the example organisation, received 11-02 and
    attributed to S02 that day; explained, approved, replied and closed on day ``close_on`` when given."""
    from entrypoints.app import open_app

    assert run(capsys, db, "init", "--policy", "service")[0] == 0
    assert run(capsys, db, "org", "import", str(ROOT / "examples" / "organisation.toml"))[0] == 0
    app = open_app(str(db))
    try:
        s = app.cases
        intake = Intake(customer="甲", channel=Channel.PHONE, category="quality", kind=kind)
        case_id = s.receive(intake, actor="cs", at=sh(2)).case_id
        if severity is not None:
            s.classify(case_id, severity, actor="cs", at=sh(2))
        ref = s.register(case_id, actor="gm", at=sh(2, 10)).reference
        s.start_investigation(ref, actor="qa", at=sh(2, 11))
        s.attribute(ref, actor="qa", at=sh(2, 12), causer=Responsibility.sole(Party(PartyKind.PERSON, "S02")))
        if close_on is not None:
            s.propose(ref, actor="cs", kind=RemedyKind.EXPLANATION, amount=Decimal("0"), at=sh(close_on))
            s.approve(ref, actor="gm", role="gm", at=sh(close_on))
            s.reply(ref, actor="cs", message="已处理", at=sh(close_on))
            s.plan_improvement(ref, actor="qa", measures="交接清单", owner="S02", at=sh(close_on))  # P4-LC-03
            s.close(ref, actor="gm", at=sh(close_on, 10))
        return ref
    finally:
        app.close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "c.db"


def test_p1_cls_08_no_sanction_for_a_cause_outside_the_list(capsys: pytest.CaptureFixture[str], db: Path) -> None:
    ref = closed_case(db, RemedyKind.ALLOWANCE, "2400.00", Party(PartyKind.PERSON, "M06"), cause="plating")
    code, err = refused(capsys, db, "penalty", "assess", ref, "--loss", "2400", "--sanction", "M06=warning")
    assert code == 4 and "[P1-CLS-08]" in err and "plating" in err
    code, doc = run(capsys, db, "penalty", "assess", ref, "--loss", "2400")  # the economic deduction stays
    assert code == 0 and {line["rule"] for line in doc["assessment"]["lines"]} == {"P1-PEN-02"}


def test_p1_cls_08_the_cause_is_recorded_after_closure(capsys: pytest.CaptureFixture[str], db: Path) -> None:
    """A case closed without its cause could never draw a warning: attribution is over, and a petition reopens only
    open cases. `case cause` records it (also after closure); `case show` shows it."""
    ref = closed_case(db, RemedyKind.ALLOWANCE, "2400.00", Party(PartyKind.PERSON, "M06"), cause="plating")
    code, err = refused(capsys, db, "penalty", "assess", ref, "--sanction", "M06=warning")
    assert code == 4 and "[P1-CLS-08]" in err and "record the cause found first" in err
    code, doc = run(capsys, db, "case", "cause", ref, "late_delivery", "--at", "2026-11-06T08:00")
    assert code == 0 and doc["cause"] == "late_delivery" and doc["status"] == "closed"
    assert refused(capsys, db, "case", "cause", ref, "late_delivery")[0] == 4  # no change
    assert refused(capsys, db, "case", "cause", ref, "  ")[0] == 4
    code, doc = run(capsys, db, "penalty", "assess", ref, "--sanction", "M06=warning", "--at", "2026-11-06T09:00")
    assert code == 0 and [line["rule"] for line in doc["assessment"]["lines"]] == ["P1-PEN-04"]
    with pytest.raises(SystemExit):
        main(["--db", str(db), "--lang", "en", "case", "show", ref])
    assert "Late delivery" in capsys.readouterr().out  # the listed cause by its label


def test_assess_approve_close_show(capsys: pytest.CaptureFixture[str], db: Path) -> None:
    ref = closed_case(db, RemedyKind.ALLOWANCE, "2400.00", Party(PartyKind.GROUP_UNIT, "SMT2", "SMT二班"))
    code, doc = run(capsys, db, "penalty", "assess", ref, "--loss", "2400", "--sanction", "M06=warning",
                    "--by", "Q01", "--at", "2026-11-06T09:00")  # fmt: skip
    assert code == 0, doc
    assessment = doc["assessment"]
    assert assessment["status"] == "proposed" and assessment["case_number"] == ref
    assert {line["person"] for line in assessment["lines"]} >= {"M05", "M06"}
    assert all(set(line) >= {"person", "party", "rule", "kind", "amount", "points"} for line in assessment["lines"])

    code, _ = run(capsys, db, "penalty", "approve", assessment["id"], "--role", "sales_manager", "--by", "S01")
    assert code == 4  # P1-APR-05: only the GM approves penalty notices
    code, err = refused(capsys, db, "penalty", "approve", assessment["id"], "--role", "gm", "--by", "GM01",
                        "--at", "2026-11-07T09:00")  # fmt: skip
    assert code == 4 and "[P1-APR-04]" in err and f"penalty endorse {assessment['id']}" in err  # a warning
    code, err = refused(capsys, db, "penalty", "endorse", assessment["id"], "--role", "gm", "--by", "GM01")
    assert code == 4 and "[P1-APR-04]" in err and "supervisor" in err
    code, doc = run(capsys, db, "penalty", "endorse", assessment["id"], "--role", "supervisor", "--by", "M01",
                    "--at", "2026-11-06T15:00")  # fmt: skip
    assert code == 0 and doc["assessment"]["status"] == "proposed", doc
    assert doc["assessment"]["endorsement"] == {"role": "supervisor", "by": "M01", "at": "2026-11-06T07:00:00Z"}
    assert "已批示待核准" in words_of(capsys, db, "penalty", "show", ref)
    code, err = refused(capsys, db, "penalty", "endorse", assessment["id"], "--role", "supervisor", "--by", "M01")
    assert code == 4 and "endorsed already" in err
    code, doc = run(capsys, db, "penalty", "approve", assessment["id"], "--role", "gm", "--by", "GM01",
                    "--at", "2026-11-07T09:00")  # fmt: skip
    assert code == 0 and doc["assessment"]["status"] == "approved"
    assert doc["assessment"]["endorsement"]["by"] == "M01"

    code, err = refused(capsys, db, "ledger", "close", "2099-12")  # a typo for 2026-12 shut 2026-11 for good
    assert code == 4 and "[LEDGER-FUTURE] 2099-12 has not begun" in err
    code, doc = run(capsys, db, "ledger", "close", "2026-11")
    assert code == 0 and doc["month"] == "2026-11" and doc["cap_ratio"] == "0.5"
    code, doc = run(capsys, db, "ledger", "show", "--person", "M05")
    assert code == 0
    [row] = doc["rows"]
    assert set(row) >= {"person", "month", "bonus", "cap", "posted", "deducted", "carried_in", "carried_out"}
    assert row["person"] == "M05" and row["month"] == "2026-11" and row["bonus"] == "1600.00"
    assert row["cap"] == "800.00" and Decimal(row["deducted"]) <= Decimal(row["cap"])

    code, doc = run(capsys, db, "ledger", "notice", "2026-11")
    assert code == 0 and doc["notices"] and doc["notices"][0]["rows"][0]["case_number"] == ref
    code, doc = run(capsys, db, "ledger", "sanctions", "2026-11")
    assert code == 0 and [r["person"] for r in doc["sanctions"]] == ["M06"]
    assert doc["sanctions"][0]["sanction"] == "warning"

    code, doc = run(capsys, db, "ledger", "show", "--month", "2026-12")
    assert code == 3 and doc is None  # not closed: not found, stdout empty
    csv = db.parent / "late-bonus.csv"  # the close used November's bonuses: a new one would only disagree with it
    csv.write_text("person_id,month,amount\nM05,2026-11,900.00\n", encoding="utf-8")
    capsys.readouterr()
    with pytest.raises(SystemExit) as late:
        main(["--db", str(db), "bonus", "import", str(csv)])
    assert late.value.code == 2 and "2026-11 is closed in the ledger" in capsys.readouterr().err

    # in words, labels rather than codes: the kind of each line, the party's kind, the status, the sanction
    def words(*args: str) -> str:
        with pytest.raises(SystemExit):
            main(["--db", str(db), *args])
        return capsys.readouterr().out

    zh = words("penalty", "show", ref)
    assert "损失分摊" in zh and "(个人)" in zh and "警告" in zh and "已核准" in zh
    assert "loss_share" not in zh and "(person)" not in zh and ",approved)" not in zh
    en = words("--lang", "en", "penalty", "show", ref)
    assert "loss share" in en and "(person)" in en and "approved" in en
    assert "警告" in words("ledger", "sanctions", "2026-11") and "warning" in words(
        "--lang", "en", "ledger", "sanctions", "2026-11"
    )
    sanctions = words("ledger", "sanctions", "2026-11")  # i18n audit: the department by its name, not its code
    assert "制造部" in sanctions and " manufacturing " not in sanctions


def test_the_monthly_report_counts_a_loss_charged_wholly_to_an_outside_party(
    capsys: pytest.CaptureFixture[str], db: Path
) -> None:
    """report.py: the loss is the one valued by the approved assessment (P1-PEN-01). A supplier alone at fault
    gets a reported line, never a loss share, and the report said 0.00 for its 2000.00."""
    ref = closed_case(db, RemedyKind.EXPLANATION, "0.00", Party(PartyKind.SUPPLIER, "acme", "铜箔厂"))
    _, doc = run(capsys, db, "penalty", "assess", ref, "--loss", "2000", "--at", "2026-11-06T09:00")
    assert [line["kind"] for line in doc["assessment"]["lines"]] == ["reported"]
    code, _ = run(capsys, db, "penalty", "approve", doc["assessment"]["id"], "--role", "gm", "--by", "GM01",
                  "--at", "2026-11-07T09:00")  # fmt: skip
    assert code == 0
    code, report = run(capsys, db, "report", "monthly", "2026-11")
    assert code == 0 and report["money"]["loss"] == "2000.00", report["money"]


def test_p4_pen_03_the_loss_given_to_a_tier_is_the_reports_loss(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Under P4 the loss enters with the tier (heavy above 500.00); the report counted only P1 loss lines: 0.00."""
    db = tmp_path / "s.db"
    ref = service_case(capsys, db, severity="severe", close_on=3)
    _, doc = run(capsys, db, "penalty", "assess", ref, "--tier", "S02,loss=800", "--at", "2026-11-04T09:00")
    code, _ = run(capsys, db, "penalty", "approve", doc["assessment"]["id"], "--role", "gm", "--by", "GM01",
                  "--at", "2026-11-04T10:00")  # fmt: skip
    assert code == 0
    code, report = run(capsys, db, "report", "monthly", "2026-11")
    assert code == 0 and report["money"]["loss"] == "800.00", report["money"]


def test_pen_loss_a_p4_loss_goes_to_the_tier_not_to_fault_shares(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``--loss`` on a service case deducted the loss from the causer as P1-PEN-02, on top of the tier the same
    loss made heavy: P4 charges the tier only. The loss is reported (0.00, PEN-LOSS), the report still has it."""
    db = tmp_path / "s.db"
    ref = service_case(capsys, db, severity="severe", close_on=3)
    code, doc = run(capsys, db, "penalty", "assess", ref, "--loss", "800", "--tier", "S02,loss=800",
                    "--at", "2026-11-04T09:00")  # fmt: skip
    assert code == 0, doc
    lines = {(line["rule"], line["kind"], line["amount"]) for line in doc["assessment"]["lines"]}
    assert ("PEN-LOSS", "reported", "0.00") in lines and doc["assessment"]["total"] == "240.00", (
        lines
    )  # + 20% (P4-PEN-04)
    code, _ = run(capsys, db, "penalty", "approve", doc["assessment"]["id"], "--role", "gm", "--by", "GM01",
                  "--at", "2026-11-04T10:00")  # fmt: skip
    assert code == 0
    code, report = run(capsys, db, "report", "monthly", "2026-11")
    assert code == 0 and report["money"]["loss"] == "800.00", report["money"]


def test_appeal_reverses(capsys: pytest.CaptureFixture[str], db: Path) -> None:
    ref = closed_case(db, RemedyKind.ALLOWANCE, "1000.00", Party(PartyKind.PERSON, "S02", "李娜"))
    _, doc = run(capsys, db, "penalty", "assess", ref, "--loss", "1000", "--at", "2026-11-06T09:00")
    aid = doc["assessment"]["id"]
    with pytest.raises(SystemExit) as done:  # in words, as a clerk reads it
        main(["--db", str(db), "--lang", "en", "penalty", "approve", aid, "--role", "gm", "--by", "GM01",
              "--at", "2026-11-07T09:00"])  # fmt: skip
    assert done.value.code in (0, None) and f"Assessment {aid} approved by gm GM01" in capsys.readouterr().out
    code, doc = run(capsys, db, "penalty", "appeal", aid, "--reason", "复核不成立", "--at", "2026-11-08T09:00")
    assert code == 0 and doc["assessment"]["status"] == "reversed"
    code, doc = run(capsys, db, "penalty", "show", ref)
    assert code == 0 and [a["status"] for a in doc["assessments"]] == ["reversed"]


def test_minimums_can_be_raised_and_counted_from_the_cli(capsys: pytest.CaptureFixture[str], db: Path) -> None:
    """P1-PEN-04/05: "each warning 400 起" — the decision may set more and count several (DOMAIN §7); the CLI
    only ever assessed one at the minimum."""
    ref = closed_case(db, RemedyKind.ALLOWANCE, "2400.00", Party(PartyKind.GROUP_UNIT, "SMT2", "SMT二班"))
    code, doc = run(capsys, db, "penalty", "assess", ref, "--sanction", "M06=warning,count=2,amount=1000",
                    "--sanction", "M05=minor_demerit", "--at", "2026-11-06T09:00")  # fmt: skip
    assert code == 0, doc
    lines = {line["person"]: line for line in doc["assessment"]["lines"]}
    assert (lines["M06"]["amount"], lines["M06"]["rule"]) == ("1000.00", "P1-PEN-04")
    assert dict(lines["M06"]["basis"]) == {"sanction": "warning", "count": "2", "minimum": "800.00"}
    assert lines["M05"]["amount"] == "800.00"
    code, err = refused(capsys, db, "penalty", "assess", ref, "--sanction", "M06=warning,count=2,amount=700")
    assert code == 4 and "2 × warning costs at least 800.00" in err


@pytest.mark.parametrize(
    ("option", "words"),
    [
        ("M06=warning,count=0", "from 1 to 1000"),
        ("M06=warning,amount=-5", "cannot be negative"),
        ("M06=warning,times=2", "expected amount=…, count=…"),
        ("M06=warning,count=²", "from 1 to 1000"),  # isdigit() took it and int() failed: exit 1
        ("M06=warning,count=2,count=3", "'count' is given twice"),  # the last one won
    ],
)
def test_bad_sanction_extras_exit_2_naming_the_option(
    capsys: pytest.CaptureFixture[str], db: Path, option: str, words: str
) -> None:
    code, err = refused(capsys, db, "penalty", "assess", "X", "--sanction", option)
    assert code == 2 and "'--sanction'" in err and words in err


def test_p4_pen_03_a_lost_customer_and_p2_fines_counted_through_the_cli(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """P4-PEN-03: a severe complaint with a heavy loss or a lost customer costs 20 points, not 10; the CLI could
    not say so. P2-PEN-01..03: a fine per occurrence, on a department too."""
    from datetime import timedelta

    from entrypoints.app import open_app

    db = tmp_path / "s.db"
    for preset in ("service", "furniture"):
        assert run(capsys, db, "init", "--policy", preset)[0] == 0
        assert run(capsys, db, "org", "import", str(ROOT / "examples" / "organisation.toml"))[0] == 0
        app = open_app(str(db))
        try:
            s = app.cases
            category = "quality" if preset == "service" else "product_quality"
            intake = Intake(customer="华东电子", channel=Channel.PHONE, category=category)
            case = s.receive(intake, actor="cs", at=sh(2), policy_id=preset)
            if preset == "service":
                s.classify(case.case_id, "severe", actor="cs", at=sh(2))
            ref = s.register(case.case_id, actor="gm", at=sh(2, 10)).reference
            s.start_investigation(ref, actor="qa", at=sh(2, 11))
            s.attribute(ref, actor="qa", at=sh(2, 12), causer=Responsibility.sole(Party(PartyKind.PERSON, "S02")))
        finally:
            app.close()
        at = (sh(2, 13) + timedelta(minutes=1)).isoformat()
        if preset == "service":
            code, doc = run(capsys, db, "penalty", "assess", ref, "--tier", "S02,loss=600,lost", "--at", at)
            assert code == 0, doc
            (tier,) = [line for line in doc["assessment"]["lines"] if line["rule"] == "P4-PEN-03"]
            assert (tier["amount"], tier["points"]) == ("200.00", -20)
            code, doc = run(capsys, db, "penalty", "assess", ref, "--tier", "S02,amount=350", "--at", at)
            assert code == 0 and doc["assessment"]["lines"][0]["amount"] == "350.00"
            assert doc["assessment"]["lines"][0]["points"] == -10
        else:
            code, doc = run(capsys, db, "penalty", "assess", ref, "--fine", "S02=unapproved_notice,times=2",
                            "--fine", "sales=policy_misunderstanding,kind=department", "--at", at)  # fmt: skip
            assert code == 0, doc
            lines = doc["assessment"]["lines"]
            notice = [(line["person"], line["amount"]) for line in lines if line["rule"] == "P2-PEN-02"]
            assert notice == [("S02", "100.00")]  # 2 × 50.00
            department = [line for line in lines if line["rule"] == "P2-PEN-01"]  # shared by the members' points
            assert len(department) > 1 and sum(Decimal(line["amount"]) for line in department) == Decimal("50.00")


def test_p4_pen_05_days_late_taken_from_the_sat_on_tickets_clock(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The days a ticket was sat on (压单) were typed in by hand; `--overdue PERSON=CLOCK` takes them from the clock:
    an internal ticket due at the end of Wed 2026-11-04 (2 WD from Mon), closed Mon 11-09 10:00 → Thu and Fri are
    over, the weekend does not count: 2 full working days → 50 + 2 × 50."""
    db = tmp_path / "s.db"
    ref = service_case(capsys, db, kind=CaseKind.INTERNAL, close_on=9)
    code, doc = run(capsys, db, "penalty", "assess", ref, "--overdue", "S02=close", "--at", "2026-11-09T11:00")
    assert code == 0, doc
    (line,) = [line for line in doc["assessment"]["lines"] if line["rule"] == "P4-PEN-05"]
    assert (line["person"], line["amount"]) == ("S02", "150.00")
    code, err = refused(capsys, db, "penalty", "assess", ref, "--overdue", "S02=head_reply")
    assert code == 3 and "no clock 'head_reply'" in err
    code, err = refused(capsys, db, "penalty", "assess", ref, "--overdue", "S02=3 days")
    assert code == 2 and "neither a number of days nor a clock" in err
    # service v6: the first investigation lasts until the ticket goes to the accused head (P4-DL-01); this one never
    # went, so its clock ran until the closure: due Tue 11-03, and Wed to Fri are over → 50 + 3 × 50
    code, doc = run(capsys, db, "penalty", "assess", ref, "--overdue", "S02=first_investigation")
    assert code == 0, doc
    (line,) = [line for line in doc["assessment"]["lines"] if line["rule"] == "P4-PEN-05"]
    assert (line["person"], line["amount"]) == ("S02", "200.00")


def test_p4_pen_05_no_fine_for_a_clock_in_time(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A ticket forwarded to the accused head within its first working day was not sat on: `--overdue` on its
    first investigation's clock is refused, naming the rule (the test above showed it until its ticket's first
    investigation ran late under service v6)."""
    db = tmp_path / "s.db"
    ref = service_case(capsys, db, kind=CaseKind.INTERNAL)
    code, doc = run(capsys, db, "case", "milestone", ref, "forwarded_to_head", "--at", "2026-11-02T13:00")
    assert code == 0, doc
    code, err = refused(capsys, db, "penalty", "assess", ref, "--overdue", "S02=first_investigation")
    assert code == 4 and "[P4-PEN-05] clock 'first_investigation' was in time" in err


def test_p4_pen_07_a_concealment_fine_above_its_minimum(capsys: pytest.CaptureFixture[str], db: Path) -> None:
    """P4-PEN-07: concealing the facts costs 200 起; amount= sets more (the policy had no such fine: exit 4)."""
    ref = service_case(capsys, db)
    code, doc = run(capsys, db, "penalty", "assess", ref, "--fine", "S02=concealment,amount=300",
                    "--at", "2026-11-02T13:00")  # fmt: skip
    assert code == 0, doc
    (line,) = [line for line in doc["assessment"]["lines"] if line["rule"] == "P4-PEN-07"]
    assert (line["person"], line["amount"]) == ("S02", "300.00")
    code, err = refused(capsys, db, "penalty", "assess", ref, "--fine", "S02=concealment,amount=199")
    assert code == 4 and "[P4-PEN-07]" in err and "at least 200.00" in err
    code, err = refused(capsys, db, "penalty", "assess", ref, "--fine", "S02=concealment,amount=lots")
    assert code == 2 and "--fine" in err


def test_a_withdrawn_proposal_lets_its_case_settle(capsys: pytest.CaptureFixture[str], db: Path) -> None:
    """Money audit: a second (corrected) proposal on a case whose first was approved could be neither approved nor
    appealed, and the case could never be settled. It is withdrawn now; and once a case's penalty is decided, a new
    proposal is refused at once instead of waiting to be refused at approval."""
    ref = closed_case(db, RemedyKind.EXPLANATION, "0", Party(PartyKind.PERSON, "S02", "李娜"))
    assess = ("penalty", "assess", ref, "--fine", "S02=late_reply", "--by", "Q01", "--at", "2026-11-06T09:00")
    code, doc = run(capsys, db, "penalty", "assess", ref, "--loss", "600", "--by", "Q01", "--at", "2026-11-06T09:00")
    assert code == 0, doc
    first = doc["assessment"]["id"]
    code, doc = run(capsys, db, "penalty", "assess", ref, "--loss", "700", "--by", "Q01", "--at", "2026-11-06T10:00")
    assert code == 0, doc
    second = doc["assessment"]["id"]
    code, doc = run(capsys, db, "penalty", "approve", first, "--role", "gm", "--by", "GM01", "--at", "2026-11-07T09:00")
    assert code == 0, doc
    code, err = refused(capsys, db, "case", "settle", ref, "--at", "2026-11-08T09:00")
    assert code == 4 and f"penalty assessment {second} not approved" in err
    code, err = refused(capsys, db, "penalty", "approve", second, "--role", "gm", "--by", "GM01")
    assert code == 4 and f"[PEN-APPROVE] case {ref} has a penalty decided already" in err  # its number (review)
    code, err = refused(capsys, db, "penalty", "withdraw", first, "--reason", "x", "--at", "2026-11-08T09:00")
    assert code == 4 and "[PEN-WITHDRAW]" in err and "appealed" in err
    code, doc = run(capsys, db, "penalty", "withdraw", second, "--reason", "金额有误", "--by", "GM01",
                    "--at", "2026-11-08T09:00")  # fmt: skip
    assert code == 0 and doc["assessment"]["status"] == "withdrawn", doc
    assert doc["assessment"]["withdrawal"] == {"reason": "金额有误", "at": "2026-11-08T01:00:00Z"}
    assert "已撤回" in words_of(capsys, db, "penalty", "show", ref)
    code, err = refused(capsys, db, *assess[:3], "--loss", "800", "--by", "Q01", "--at", "2026-11-08T10:00")
    assert code == 4 and "[PEN-APPROVE]" in err and first in err
    assert f"case {ref} has a penalty decided already" in err  # by the number the user typed (i18n audit)
    code, doc = run(capsys, db, "case", "settle", ref, "--at", "2026-11-08T11:00")
    assert code == 0 and doc["status"] == "settled", doc
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(db)) as conn:
        (withdrawn,) = conn.execute("SELECT aggregate_id FROM outbox WHERE type = 'assessment.withdrawn'").fetchone()
    assert withdrawn == second  # webhooks hear of it


def test_a_major_demerit_forfeits_the_bonus_once(capsys: pytest.CaptureFixture[str], db: Path, tmp_path: Path) -> None:
    """P1-PEN-06 (money audit): two major demerits approved in one month each held S03's whole bonus, and the close
    deducted both (2200.00 of 1100.00); a demerit assessed before a bonus correction was deducted at the old bonus.
    Approval refuses both (a proposal can still be withdrawn and assessed again), and a forfeited bonus does not
    change while its demerit stands."""

    def proposed(person: str, day: int) -> tuple[str, str]:
        ref = closed_case(db, RemedyKind.EXPLANATION, "0", Party(PartyKind.PERSON, person, person))
        at = f"2026-11-{day:02d}T09:00"
        code, doc = run(capsys, db, "penalty", "assess", ref, "--sanction", f"{person}=major_demerit", "--at", at)
        assert code == 0, doc
        assessment = doc["assessment"]["id"]
        code, doc = run(capsys, db, "penalty", "endorse", assessment, "--role", "supervisor", "--by", "S01", "--at", at)
        assert code == 0, doc
        return ref, assessment

    def approve(assessment: str, day: int) -> int:
        at = f"2026-11-{day:02d}T10:00"
        return run(capsys, db, "penalty", "approve", assessment, "--role", "gm", "--by", "GM01", "--at", at)[0]

    first, assessment = proposed("S03", 6)
    other, second = proposed("S03", 6)  # proposed before the first is approved: it holds the whole bonus too
    assert approve(assessment, 6) == 0
    code, err = refused(capsys, db, "penalty", "approve", second, "--role", "gm", "--by", "GM01",
                        "--at", "2026-11-07T10:00")  # fmt: skip
    assert code == 4 and "[P1-PEN-06]" in err and f"forfeited already by the major demerit of case {first}" in err
    assert run(capsys, db, "penalty", "withdraw", second, "--reason", "同一月已罚", "--at", "2026-11-07T11:00")[0] == 0
    # assessed again, it is recorded for HR and deducts nothing (it was refused for good before)
    code, doc = run(
        capsys, db, "penalty", "assess", other, "--sanction", "S03=major_demerit", "--at", "2026-11-07T12:00"
    )
    assert code == 0, doc
    (line,) = doc["assessment"]["lines"]
    assert line["kind"] == "major_demerit" and line["amount"] == "0.00" and line["basis"]["forfeited_by"] == first
    assert f"forfeited already by the major demerit of case {first}" in line["explanation"]["en"]
    again_id = doc["assessment"]["id"]
    assert run(capsys, db, "penalty", "endorse", again_id, "--role", "supervisor", "--by", "S01",
               "--at", "2026-11-07T12:00")[0] == 0  # fmt: skip
    assert approve(again_id, 8) == 0
    listed = run(capsys, db, "ledger", "sanctions", "2026-11")[1]["sanctions"]
    assert sorted((r["sanction"], r["amount"]) for r in listed if r["person"] == "S03") == [
        ("major_demerit", "0.00"), ("major_demerit", "1100.00")
    ]  # fmt: skip

    _, stale = proposed("S02", 9)  # its line holds S02's November bonus as it is: 1800.00
    csv = tmp_path / "bonus.csv"
    csv.write_text("person,month,amount\nS02,2026-11,1000.00\n", encoding="utf-8")
    assert run(capsys, db, "bonus", "import", str(csv))[0] == 0  # nothing posted yet: the bonus may change
    code, err = refused(capsys, db, "penalty", "approve", stale, "--role", "gm", "--by", "GM01",
                        "--at", "2026-11-09T10:00")  # fmt: skip
    assert code == 4 and "holds the 2026-11 bonus as 1800.00; it is 1000.00 now" in err
    assert run(capsys, db, "penalty", "withdraw", stale, "--reason", "奖金已更正", "--at", "2026-11-09T11:00")[0] == 0
    _, again = proposed("S02", 10)
    assert approve(again, 10) == 0
    csv.write_text("person,month,amount\nS02,2026-11,1200.00\n", encoding="utf-8")
    code, err = refused(capsys, db, "bonus", "import", str(csv))
    assert code == 2 and "[P1-PEN-06]" in err and "forfeited by a major demerit" in err
    example = (ROOT / "examples" / "organisation.toml").read_text(encoding="utf-8")
    s02 = 'person = "S02"\nmonth = "2026-11"\namount = "1800.00"'  # as bonus import set it, else refused as such
    s03 = 'person = "S03"\nmonth = "2026-11"\namount = "1100.00"'
    text = example.replace(s02, s02.replace("1800.00", "1000.00")).replace(s03, s03.replace("1100.00", "1300.00"))
    changed = tmp_path / "org.toml"
    changed.write_text(text, encoding="utf-8")
    code, err = refused(capsys, db, "org", "import", str(changed))
    assert code == 2 and "S03's 2026-11 bonus of 1100.00 is forfeited" in err

    code, doc = run(capsys, db, "ledger", "close", "2026-11")
    assert code == 0, doc
    rows = {row["person"]: row for row in run(capsys, db, "ledger", "show", "--month", "2026-11")[1]["rows"]}
    assert rows["S03"]["deducted_uncapped"] == "1100.00" and rows["S02"]["deducted_uncapped"] == "1000.00"


def test_a_second_major_demerit_deducts_nothing_while_the_first_stands(
    capsys: pytest.CaptureFixture[str], db: Path
) -> None:
    """P1-PEN-06: a second major demerit in a month is recorded (HR's list) and deducts nothing, because the first
    took the bonus. Approved, it needs that very demerit to stand (review: one naming a reversed case was approved
    while another case's stood); and the demerit it relies on is not reversed alone (review: the month kept a
    major demerit and deducted no bonus)."""

    def assessed(ref: str, at: str) -> dict[str, Any]:
        code, doc = run(capsys, db, "penalty", "assess", ref, "--sanction", "S03=major_demerit", "--at", at)
        assert code == 0, doc
        found = doc["assessment"]
        endorse = ("penalty", "endorse", found["id"], "--role", "supervisor", "--by", "S01", "--at", at)
        assert run(capsys, db, *endorse)[0] == 0
        return dict(found)

    def approve(assessment: str, at: str) -> tuple[int, str]:
        capsys.readouterr()
        try:
            main(["--db", str(db), "penalty", "approve", assessment, "--role", "gm", "--by", "GM01", "--at", at])
            code = 0
        except SystemExit as done:
            code = int(done.code or 0)
        return code, capsys.readouterr().err

    def case() -> str:
        return closed_case(db, RemedyKind.EXPLANATION, "0", Party(PartyKind.PERSON, "S03", "S03"))

    a_ref, b_ref, c_ref = case(), case(), case()
    a = assessed(a_ref, "2026-11-06T09:00")
    assert approve(a["id"], "2026-11-06T10:00")[0] == 0
    b = assessed(b_ref, "2026-11-07T09:00")
    assert [(line["amount"], line["basis"]["forfeited_by"]) for line in b["lines"]] == [("0.00", a_ref)]
    assert run(capsys, db, "penalty", "appeal", a["id"], "--reason", "申诉成立", "--at", "2026-11-08T09:00")[0] == 0
    code, err = approve(b["id"], "2026-11-08T10:00")
    assert code == 4 and "[P1-PEN-06]" in err and f"not forfeited by case {a_ref}'s major demerit now" in err
    c = assessed(c_ref, "2026-11-08T11:00")
    assert [line["amount"] for line in c["lines"]] == ["1100.00"]  # nothing stands: it takes the bonus
    assert approve(c["id"], "2026-11-08T12:00")[0] == 0
    code, err = approve(b["id"], "2026-11-08T13:00")  # C's stands now, but B names A
    assert code == 4 and f"not forfeited by case {a_ref}'s major demerit now" in err
    withdraw = ("penalty", "withdraw", b["id"], "--reason", "重新核定", "--at", "2026-11-08T14:00")
    assert run(capsys, db, *withdraw)[0] == 0
    again = assessed(b_ref, "2026-11-09T09:00")
    assert [(line["amount"], line["basis"]["forfeited_by"]) for line in again["lines"]] == [("0.00", c_ref)]
    assert approve(again["id"], "2026-11-09T10:00")[0] == 0
    code, err = refused(capsys, db, "penalty", "appeal", c["id"], "--reason", "x", "--at", "2026-11-09T11:00")
    assert code == 4 and "[P1-PEN-06]" in err and f"case {b_ref} deducts nothing" in err
    code, doc = run(capsys, db, "ledger", "close", "2026-11")
    assert code == 0, doc
    rows = {row["person"]: row for row in run(capsys, db, "ledger", "show", "--month", "2026-11")[1]["rows"]}
    assert rows["S03"]["deducted_uncapped"] == "1100.00"  # once, by C


def test_bad_options_are_usage_errors(capsys: pytest.CaptureFixture[str], db: Path) -> None:
    assert run(capsys, db, "penalty", "assess", "X", "--sanction", "M06=scolding")[0] == 2
    assert run(capsys, db, "penalty", "approve", "not-a-uuid", "--role", "gm", "--by", "GM01")[0] == 2
    assert run(capsys, db, "ledger", "close", "2026-13")[0] == 2


@pytest.mark.parametrize(
    ("args", "option"),
    [
        # were exit 4, "[P1-PEN-01] quantity must be a finite Decimal", or "needs at least one line" for -1
        (("--decided-on", "2026-11-01", "--resold-on", "2026-11-10", "--quantity", "NaN"), "'--quantity'"),
        (("--decided-on", "2026-11-01", "--resold-on", "2026-11-10", "--quantity", "1e400"), "'--quantity'"),
        (("--decided-on", "2026-11-01", "--resold-on", "2026-11-10", "--quantity", "-1"), "'--quantity'"),
        # a resale price without the dates that make it count was silently unused
        (("--a-grade-price", "10"), "'--a-grade-price'"),
        (("--loss", "100", "--quantity", "5"), "'--quantity'"),
        # beyond an amount: exit 4 [MONEY], or an unexpected InvalidOperation (exit 1) beyond 28 digits
        (("--loss", "99999999999999999999999"), "'--loss'"),
        (("--loss", "999999999999999999999999999999"), "'--loss'"),
    ],
)
def test_bad_valuation_options_exit_2_naming_the_option(
    capsys: pytest.CaptureFixture[str], db: Path, args: tuple[str, ...], option: str
) -> None:
    ref = closed_case(db, RemedyKind.ALLOWANCE, "1000.00", Party(PartyKind.PERSON, "S02", "李娜"))
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        main(["--db", str(db), "--json", "penalty", "assess", ref, *args, "--at", "2026-11-06T09:00"])
    out, err = capsys.readouterr()
    assert (done.value.code, out) == (2, "") and option in err, err
    assert run(capsys, db, "penalty", "show", ref)[1]["assessments"] == []


def test_bonus_import_names_the_line_of_an_unknown_person(
    capsys: pytest.CaptureFixture[str], db: Path, tmp_path: Path
) -> None:
    """docs/cli.md: exit 2 naming the line; an unknown person was "row 2" where a bad amount is "line 3"."""
    closed_case(db, RemedyKind.ALLOWANCE, "1000.00", Party(PartyKind.PERSON, "S02", "李娜"))  # stores the org
    csv = tmp_path / "bonus.csv"
    csv.write_text("person_id,month,amount\nM05,2026-11,1600.00\nNOPE,2026-11,1000.00\n", encoding="utf-8")
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        main(["--db", str(db), "bonus", "import", str(csv)])
    assert done.value.code == 2 and f"{csv} line 3: unknown person 'NOPE'" in capsys.readouterr().err


def test_bonuses_stay_consistent_with_the_organisation(
    capsys: pytest.CaptureFixture[str], db: Path, tmp_path: Path
) -> None:
    """An organisation without a person whose bonus was imported used to be stored, and then every command reading
    the organisation (org show, ledger close, penalty assess, report) exited 2; a file's bonus that bonus import
    had set was silently ignored, and one of a closed month accepted. Each is refused at import, nothing stored."""
    example = (ROOT / "examples" / "organisation.toml").read_text(encoding="utf-8")

    def variant(name: str, text: str) -> str:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    code, err = refused(capsys, db, "bonus", "import", str(ROOT / "examples" / "organisation" / "bonuses.csv"))
    assert code == 3 and "no organisation loaded" in err  # a mistyped person would be kept for good
    assert run(capsys, db, "org", "import", str(ROOT / "examples" / "organisation.toml"))[0] == 0
    csv = variant("bonus.csv", "person,month,amount\nM06,2026-11,900.00\n")  # M06 has no November bonus in the file
    assert run(capsys, db, "bonus", "import", csv)[0] == 0

    m06 = r'\[\[people\]\][^\n]*\nid = "M06"(\n[^\[\n][^\n]*)*\n|\[\[bonuses\]\]\nperson = "M06"\n[^\n]*\n[^\n]*\n'
    without = variant("without-m06.toml", re.sub(m06, "", example))
    assert '"M06"' not in Path(without).read_text(encoding="utf-8")
    code, err = refused(capsys, db, "org", "import", without)
    assert code == 2 and "bonus of M06 for 2026-11" in err and "not in this organisation" in err
    extra = '\n[[bonuses]]\nperson = "{}"\nmonth = "{}"\namount = "{}"\n'
    code, err = refused(
        capsys, db, "org", "import", variant("m06.toml", example + extra.format("M06", "2026-11", "3000"))
    )
    assert code == 2 and "(M06, 2026-11)" in err and "bonus import stored 900.00" in err

    assert run(capsys, db, "ledger", "close", "2026-10")[0] == 0
    october = 'person = "S03"\nmonth = "2026-10"\namount = "1200.00"'
    november = 'person = "S03"\nmonth = "2026-11"\namount = "1100.00"'
    assert october in example and november in example
    changed_october = example.replace(october, october.replace("1200.00", "1250.00"))
    code, err = refused(capsys, db, "org", "import", variant("oct.toml", changed_october))
    assert code == 2 and "(S03, 2026-10)" in err and "2026-10 is closed in the ledger" in err
    dropped = example.replace("[[bonuses]]\n" + october + "\n", "")  # a closed month's bonus left out
    assert dropped != example
    code, err = refused(capsys, db, "org", "import", variant("dropped.toml", dropped))
    assert code == 2 and "(S03, 2026-10)" in err and "2026-10 is closed in the ledger" in err
    changed_november = example.replace(november, november.replace("1100.00", "1150.00"))
    code, doc = run(capsys, db, "org", "import", variant("nov.toml", changed_november))
    assert code == 0 and doc["version"] == 2, doc  # November is open; the refused imports stored nothing
    assert run(capsys, db, "org", "show")[0] == 0


def test_a_customer_tolerance_of_zero_is_given_on_the_command_line(
    capsys: pytest.CaptureFixture[str], db: Path
) -> None:
    """P1-RET-05: the customer's ratio comes first, the policy's default only when it is unknown. --tolerance took
    a fault share in (0, 1], so a customer allowing nothing over fell back to the default 0.05."""
    ref = closed_case(db, RemedyKind.RETURN, "2000.00", Party(PartyKind.GROUP_UNIT, "SMT1", "SMT一班"))
    for bad in ("-0.1", "101", "0.0000001", "lots"):
        code, err = refused(capsys, db, "return", "authorise", ref, "--authorised", "100", "--unit-price", "20",
                            "--tolerance", bad, "--at", "2026-11-06T09:00")  # fmt: skip
        assert code == 2 and "'--tolerance'" in err, (bad, err)
    code, doc = run(capsys, db, "return", "authorise", ref, "--authorised", "100", "--unit-price", "20",
                    "--tolerance", "0", "--at", "2026-11-06T09:00")  # fmt: skip
    assert code == 0 and doc["return"]["customer_tolerance"] == "0", doc


def test_return_within_and_above_tolerance(capsys: pytest.CaptureFixture[str], db: Path) -> None:
    ref = closed_case(db, RemedyKind.RETURN, "2000.00", Party(PartyKind.GROUP_UNIT, "SMT1", "SMT一班"))
    code, doc = run(capsys, db, "return", "authorise", ref, "--authorised", "100", "--unit-price", "20",
                    "--at", "2026-11-06T09:00")  # fmt: skip
    assert code == 0, doc
    rid = doc["return"]["id"]
    assert doc["return"]["document"]["missing"] == ["manager"]
    assert run(capsys, db, "return", "receive", rid, "--quantity", "10", "--at", "2026-11-06T10:00")[0] == 4
    run(capsys, db, "return", "sign", rid, "--as", "manager", "--signer", "王磊", "--at", "2026-11-06T11:00")
    code, _ = run(capsys, db, "return", "receive", rid, "--quantity", "110", "--at", "2026-11-07T09:00")
    assert code == 4  # above the authorised quantity: the warehouse asks first (P1-RET-06)
    run(capsys, db, "return", "over-receipt", rid, "--up-to", "110", "--approver", "S01", "--reason", "多退",
        "--at", "2026-11-07T10:00")  # fmt: skip
    code, doc = run(capsys, db, "return", "receive", rid, "--quantity", "110", "--at", "2026-11-07T11:00")
    assert code == 0 and doc["return"]["reconciliation"]["within"] is False and doc["return"]["blocked"] is True
    run(capsys, db, "return", "inspect", rid, "--accepted", "108", "--rejected", "2", "--at", "2026-11-07T12:00")
    args = ("return", "book", rid, "--proof", "original_invoice", "--reference", "INV-1")
    assert run(capsys, db, *args, "--at", "2026-11-08T09:00")[0] == 4  # P1-RET-05
    code, doc = run(capsys, db, *args, "--approver", "GM01", "--reason", "客户同意", "--at", "2026-11-08T10:00")
    assert code == 0 and doc["return"]["booking"]["amount"] == "2200.00"
    code, doc = run(capsys, db, "return", "show", ref)
    assert code == 0 and [r["status"] for r in doc["returns"]] == ["booked"]
    # in words: English throughout under --lang en, Chinese labels (not codes) under zh
    with pytest.raises(SystemExit):
        main(["--db", str(db), "--lang", "en", "return", "show", ref])
    words = capsys.readouterr().out
    assert "booked" in words and "original invoice" in words
    assert not any("\u4e00" <= c <= "\u9fff" for c in words.replace("王磊", "")), words
    with pytest.raises(SystemExit):
        main(["--db", str(db), "return", "show", ref])
    words = capsys.readouterr().out
    assert "已入账" in words and "原始发票" in words and "退货" in words and "original_invoice" not in words


def test_allowance_issue_and_book(capsys: pytest.CaptureFixture[str], db: Path) -> None:
    ref = closed_case(db, RemedyKind.ALLOWANCE, "700.00", Party(PartyKind.DEPARTMENT, "sales", "销售部"))
    code, doc = run(capsys, db, "allowance", "issue", ref, "--manager", "王磊", "--gm", "周建国",
                    "--at", "2026-11-06T09:00")  # fmt: skip
    assert code == 0 and doc["return"]["document"]["missing"] == ["customer"]
    rid = doc["return"]["id"]
    args = ("allowance", "book", rid, "--proof", "signed_certificate", "--reference", "ZR-1")
    assert run(capsys, db, *args, "--at", "2026-11-06T10:00")[0] == 4  # the customer's seal is missing
    run(capsys, db, "allowance", "sign", rid, "--as", "customer", "--signer", "华东", "--at", "2026-11-07T09:00")
    code, doc = run(capsys, db, *args, "--at", "2026-11-07T10:00")
    assert code == 0 and doc["return"]["booking"]["amount"] == "700.00" and doc["return"]["kind"] == "allowance"


def test_followup_due_is_empty_under_manufacturing(capsys: pytest.CaptureFixture[str], db: Path) -> None:
    ref = closed_case(db, RemedyKind.EXPLANATION, "0.00", Party(PartyKind.DEPARTMENT, "sales", "销售部"))
    assert run(capsys, db, "followup", "schedule", ref, "--at", "2026-11-06T09:00")[0] == 4  # no visits planned
    code, doc = run(capsys, db, "followup", "due", "--on", "2026-12-31")
    assert code == 0 and doc == {"on": "2026-12-31", "due": []}


def test_a_database_locked_by_another_process_is_a_clear_conflict(
    capsys: pytest.CaptureFixture[str], db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer that holds the SQLite lock past the busy timeout: a write is exit 5 with one line, not an
    unexpected error; a listing reads the last commit meanwhile (WAL), without waiting."""
    import sqlite3

    from adapters.sql import engine

    run(capsys, db, "init")
    monkeypatch.setattr(engine, "BUSY_TIMEOUT_MS", 200)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        listed = run(capsys, db, "case", "list")
        with pytest.raises(SystemExit) as done:
            main(["--db", str(db), "--json", "case", "open", "--customer", "华东电子", "--category", "quality",
                  "--channel", "phone"])  # fmt: skip
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    out, err = capsys.readouterr()
    assert (done.value.code, out) == (5, "")
    assert "busy" in err and "unexpected" not in err
    assert listed[0] == 0 and listed[1]["count"] == 0
    assert run(capsys, db, "case", "list")[0] == 0


def test_followup_show_and_case_history_read_while_another_process_writes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both opened a writing transaction (BEGIN IMMEDIATE) to read, so they waited out a writer and failed (exit 5);
    a case without visits is not found (exit 3), named by its number."""
    import sqlite3

    from adapters.sql import engine

    db = tmp_path / "s.db"
    ref = service_case(capsys, db, close_on=3)  # an external ticket: its closure scheduled the visits (P4-FU-04)
    monkeypatch.setattr(engine, "BUSY_TIMEOUT_MS", 200)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        shown = run(capsys, db, "followup", "show", ref)
        history = run(capsys, db, "case", "history", ref)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert shown[0] == 0 and [v["kind"] for v in shown[1]["followup"]["visits"]][-1] == "monthly"
    assert history[0] == 0 and history[1]["events"][-1]["type"] == "case.closed"
    other = service_case(capsys, tmp_path / "t.db")  # attributed, never closed
    code, err = refused(capsys, tmp_path / "t.db", "followup", "show", other)
    assert code == 3 and f"case {other} has no follow-up" in err


def test_no_line_reads_capped_under_a_policy_without_a_cap(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service policy has no monthly cap, yet every line printed 受上限 是 (capped: yes)."""
    monkeypatch.setenv("COLUMNS", "200")
    db = tmp_path / "s.db"
    ref = service_case(capsys, db, severity="light")
    with pytest.raises(SystemExit):
        main(["--db", str(db), "--lang", "en", "penalty", "assess", ref, "--tier", "S02", "--at", "2026-11-02T13:00"])
    out = capsys.readouterr().out
    assert "capped" in out
    rows = [line for line in out.splitlines() if "(person)" in line]
    assert len(rows) == 2 and all("yes" not in line and "│ -      │" in line for line in rows)  # tier, supervisor


def test_f4_pn_count_tiers_charged_through_the_cli(
    capsys: pytest.CaptureFixture[str], db: Path, tmp_path: Path
) -> None:
    """F4-PN-01..03 under a policy that adds count tiers to the service preset: the decision on a case charges the
    tier of its month's count against the person, less what the month charged; the supervisor bears 20% of it
    (P4-PEN-04) like any penalty of the person's."""
    from entrypoints.app import open_app

    text = (ROOT / "src" / "adapters" / "presets" / "service.toml").read_text(encoding="utf-8")
    text = text.replace('policy_id = "service"', 'policy_id = "counted"', 1).replace("version = 6", "version = 1", 1)
    tiers = [(2, "100.00", "F4-PN-01"), (3, "200.00", "F4-PN-02"), (4, "300.00", "F4-PN-03")]
    for at_least, amount, rule in tiers:
        text += f'\n[[penalties.count_tiers]]\nat_least = {at_least}\namount = "{amount}"\nrule_id = "{rule}"\n'
    policy = tmp_path / "counted.toml"
    policy.write_text(text, encoding="utf-8")
    assert run(capsys, db, "init", "--policy", str(policy))[0] == 0
    assert run(capsys, db, "org", "import", str(ROOT / "examples" / "organisation.toml"))[0] == 0
    app = open_app(str(db))
    try:
        refs = []
        for day in (2, 3, 4):
            s = app.cases
            case_id = s.receive(
                Intake(customer="甲", channel=Channel.PHONE, category="quality"), actor="cs", at=sh(day)
            ).case_id
            ref = s.register(case_id, actor="gm", at=sh(day, 10)).reference
            s.start_investigation(ref, actor="qa", at=sh(day, 11))
            s.attribute(ref, actor="qa", at=sh(day, 12), causer=Responsibility.sole(Party(PartyKind.PERSON, "S02")))
            refs.append(ref)
    finally:
        app.close()

    def count_lines(doc: Any) -> list[tuple[str, str, str]]:
        return [(line["party"]["id"], line["kind"], line["amount"]) for line in doc["assessment"]["lines"]]

    code, doc = run(capsys, db, "penalty", "assess", refs[0], "--count-tier", "S02", "--at", "2026-11-05T09:00")
    assert code == 0, doc
    assert count_lines(doc) == [("S02", "count_tier", "200.00"), ("S01", "supervisor", "40.00")]  # 3 → 200
    first = doc["assessment"]["id"]
    code, doc = run(capsys, db, "penalty", "assess", refs[1], "--count-tier", "S02", "--at", "2026-11-05T09:30")
    assert code == 0 and count_lines(doc)[0] == ("S02", "count_tier", "200.00"), doc  # proposals charge nothing
    stale = doc["assessment"]["id"]
    approve = ("--role", "gm", "--by", "GM01", "--at", "2026-11-05T09:40")
    assert run(capsys, db, "penalty", "approve", first, *approve)[0] == 0
    code, err = refused(capsys, db, "penalty", "approve", stale, *approve)
    assert code == 4 and "[F4-PN-01]" in err and "the month owes 0.00 now" in err
    assert run(capsys, db, "penalty", "withdraw", stale, "--reason", "重算", "--at", "2026-11-05T09:50")[0] == 0
    code, doc = run(capsys, db, "penalty", "assess", refs[1], "--count-tier", "S02", "--at", "2026-11-05T10:00")
    assert code == 0 and count_lines(doc) == [("S02", "count_tier", "0.00")], doc  # charged in full already
    words = words_of(capsys, db, "--lang", "zh", "penalty", "show", refs[1])
    assert "次数处罚" in words and "被投诉 3 次" in words and "减已计 200.00" in words
    code, err = refused(capsys, db, "penalty", "assess", refs[2], "--count-tier", "S01", "--at", "2026-11-05T11:00")
    assert code == 4 and "[F4-PN-01]" in err and "does not hold 'S01' at fault" in err
    code, err = refused(capsys, db, "penalty", "assess", refs[2], "--count-tier", "S02", "--count-tier", "S02")
    assert code == 2 and "'--count-tier'" in err and "given twice" in err
