"""Publishing a new version of a policy through the CLI (``init --policy FILE``) and moving cases to it
(``case adopt``): cases keep the version they were opened under, and a later edit never rewrites them (DOMAIN §2).

Before: storing v2 of a preset made every v1 case unreadable (exit 3 on show, sweep and reports); an edited
file under an existing version number silently moved deadlines (a preset) or bricked the database (a stored
policy: exit 5 on every command); ``init`` did not know the calendars the database holds; an exported policy
(``policy show --json``) could not be loaded back."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from adapters.policy_files import preset_text

from .cli_cases_support import as_json, count, invoke, make_app


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    return make_app()


def edited(tmp_path: Path, name: str, *changes: tuple[str, str], preset: str = "manufacturing") -> Path:
    text = preset_text(preset)
    for old, new in changes:
        assert old in text
        text = text.replace(old, new, 1)
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def close_due(app: typer.Typer, db: Path, ref: str) -> str:
    (clock,) = as_json(app, db, "case", "show", ref, "--at", "2026-11-03T09:00")["clocks"]
    return str(clock["due_at"])


def test_a_new_version_leaves_open_cases_on_theirs_until_they_adopt_it(app: typer.Typer, tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    as_json(app, db, "init", "--policy", "manufacturing")
    ref = as_json(app, db, "case", "open", "--customer", "甲", "--category", "quality", "--at", "2026-11-02T09:00")[
        "id"
    ]
    as_json(app, db, "case", "register", ref, "--at", "2026-11-02T10:00")
    assert close_due(app, db, ref) == "2026-11-15T15:59:59.999999Z"  # P1-DL-01: 13 calendar days

    newer = edited(tmp_path, "newer.toml", ("version = 6", "version = 7"), ('"13 calendar_days"', '"10 calendar_days"'))
    published = as_json(app, db, "init", "--policy", str(newer))
    assert published["policy"] == {"id": "manufacturing", "version": 7} and published["stored"] is True
    assert close_due(app, db, ref) == "2026-11-15T15:59:59.999999Z"  # still the bundled version's
    for command in (("sweep", "--at", "2026-11-20T09:00"), ("report", "overdue"), ("report", "monthly", "2026-11")):
        assert invoke(app, db, "--json", *command).exit_code == 0, command
    new = as_json(app, db, "case", "open", "--customer", "乙", "--category", "quality", "--at", "2026-11-02T11:00")
    assert new["policy"] == {"id": "manufacturing", "version": 7}
    assert as_json(app, db, "init", "--policy", str(newer))["stored"] is False  # the same version again: a no-op
    assert count(db, "documents") == 1 + 3  # the new version once, and the default_policy setting each time
    # policy audit: init named the preset's version, under which no case opens any more
    preset = as_json(app, db, "init", "--policy", "manufacturing")
    assert preset["policy"]["version"] == 6 and preset["new_cases_version"] == 7
    said = invoke(app, db, "--lang", "en", "init", "--policy", "manufacturing")
    assert said.exit_code == 0 and "manufacturing v7" in " ".join(said.stdout.split()), said.output

    adopted = as_json(app, db, "case", "adopt", ref, "--at", "2026-11-20T10:00")
    assert adopted["policy"] == {"id": "manufacturing", "version": 7}
    assert close_due(app, db, ref) == "2026-11-12T15:59:59.999999Z"  # 10 days from the same start
    again = invoke(app, db, "case", "adopt", ref, "--version", "1", "--at", "2026-11-20T10:00")
    assert again.exit_code == 4 and "[CASE-POLICY]" in again.stderr


@pytest.mark.parametrize("stored_first", [False, True])
def test_an_edit_under_a_known_version_is_refused_and_nothing_is_written(
    app: typer.Typer, tmp_path: Path, stored_first: bool
) -> None:
    db = tmp_path / "c.db"
    policy_id = "acme" if stored_first else "manufacturing"
    rename = ('policy_id = "manufacturing"', f'policy_id = "{policy_id}"')
    first = edited(tmp_path, "first.toml", rename)
    as_json(app, db, "init", "--policy", str(first) if stored_first else "manufacturing")
    documents = count(db, "documents")
    changed = edited(tmp_path, "changed.toml", rename, ('"13 calendar_days"', '"5 calendar_days"'))
    result = invoke(app, db, "init", "--policy", str(changed))
    assert result.exit_code == 2 and "[POLICY] version:" in result.stderr
    assert f"policy {policy_id} v6 is" in result.stderr and "give the changed policy a new version" in result.stderr
    assert ("stored in the database" if stored_first else "the bundled preset") in result.stderr
    assert count(db, "documents") == documents
    assert invoke(app, db, "case", "list").exit_code == 0


def acme_with_its_calendar(tmp_path: Path) -> tuple[Path, Path]:
    """A calendar file ``acmecal`` and a policy ``acme`` (the manufacturing preset) that counts on it."""
    calendar = tmp_path / "acmecal.toml"
    calendar.write_text('name = "acmecal"\n[years.2026]\nholidays = ["2026-11-11"]\n', "utf-8")
    uses = edited(tmp_path, "acme.toml", ('policy_id = "manufacturing"', 'policy_id = "acme"'))
    uses.write_text(uses.read_text("utf-8").replace('name = "cn"', 'name = "acmecal"', 1), "utf-8")
    return calendar, uses


def test_init_knows_stored_calendars_and_stores_the_calendar_files_it_is_given(
    app: typer.Typer, tmp_path: Path
) -> None:
    calendar, uses = acme_with_its_calendar(tmp_path)

    db = tmp_path / "a.db"
    as_json(app, db, "init", "--policy", "manufacturing")
    as_json(app, db, "calendar", "import", str(calendar))
    assert as_json(app, db, "init", "--policy", str(uses))["calendars"] == []  # the stored calendar is known

    fresh = tmp_path / "b.db"
    unknown = invoke(app, fresh, "init", "--policy", str(uses))
    assert (
        unknown.exit_code == 2
        and "unknown calendar 'acmecal'" in unknown.stderr
        and "calendar import" in unknown.stderr
    )
    given = as_json(app, fresh, "init", "--policy", str(uses), "--calendar-file", str(calendar))
    assert given["calendars"] == [{"name": "acmecal", "version": 1}] and given["stored"] is True
    opened = as_json(
        app, fresh, "case", "open", "--customer", "丙", "--category", "quality", "--at", "2026-11-10T09:00"
    )
    assert opened["policy"]["id"] == "acme"  # its calendar is there for the case commands


def test_an_exported_policy_loads_back_as_json(app: typer.Typer, tmp_path: Path) -> None:
    exported = invoke(app, tmp_path / "unused.db", "--json", "policy", "show", "bank-branch")
    assert exported.exit_code == 0
    path = tmp_path / "bank.json"
    assert '"version": 4,' in exported.stdout
    path.write_text(exported.stdout.replace('"version": 4,', '"version": 5,', 1), "utf-8")
    checked = invoke(app, tmp_path / "unused.db", "policy", "check", str(path))
    assert checked.exit_code == 0, checked.stderr
    db = tmp_path / "c.db"
    assert as_json(app, db, "init", "--policy", str(path))["policy"] == {"id": "bank-branch", "version": 5}
    doc = as_json(app, db, "case", "open", "--customer", "丁", "--category", "service", "--at", "2026-11-02T09:00")
    assert doc["policy"] == {"id": "bank-branch", "version": 5}
    broken = tmp_path / "broken.json"
    broken.write_text('{"policy_id": ', "utf-8")
    bad = invoke(app, db, "policy", "check", str(broken))
    assert bad.exit_code == 2 and "not valid JSON" in bad.stderr


def test_init_says_when_the_database_s_own_policy_takes_a_bundled_version_s_place(
    app: typer.Typer, tmp_path: Path
) -> None:
    """Review: a database that stored its own bank-branch v4 (exported and renumbered, as above) before a release
    bundled another v4 keeps its own for the cases opened under it; `init --policy bank-branch` said nothing and
    printed v4, while refusals and deadlines followed the stored one. It says so now (exit 0, a note on stderr)."""
    from datetime import UTC, datetime

    from adapters.sql import documents as docs
    from adapters.sql import open_database

    db = tmp_path / "c.db"
    as_json(app, db, "init", "--policy", "manufacturing")
    assert invoke(app, db, "init", "--policy", "bank-branch").stderr == ""
    own = preset_text("bank-branch").replace('limit = "2000.00"', 'limit = "3000.00"', 1)
    assert 'limit = "3000.00"' in own
    database = open_database(str(db))
    try:  # as a library before the release stored it
        docs.store(database.engine, kind="policy", name="bank-branch", source=own, fmt="toml", at=datetime.now(UTC))
    finally:
        database.dispose()
    result = invoke(app, db, "--lang", "en", "init", "--policy", "bank-branch")
    assert result.exit_code == 0, result.stderr
    assert "this database stores its own bank-branch v4, with other content than the bundled preset's" in " ".join(
        result.stderr.split()
    )


def test_policy_show_names_the_milestones_an_approval_tier_follows(app: typer.Typer, tmp_path: Path) -> None:
    shown = invoke(app, tmp_path / "unused.db", "--lang", "en", "policy", "show", "bank-branch")
    assert shown.exit_code == 0 and "only after" in shown.stdout
    assert "Sent to the head office (sent_to_head_office)" in shown.stdout


def test_a_case_opened_under_a_presets_earlier_version_keeps_it(app: typer.Typer, tmp_path: Path) -> None:
    """The presets changed under version 1 (bank-branch: head office only after the outlet head; furniture: the
    GM's transfer approval; manufacturing: duties): cases opened before would have followed the new rules. The
    earlier versions stay bundled, the changed ones are version 2, and an open case moves only by adopting."""
    from datetime import datetime
    from decimal import Decimal
    from uuid import uuid4
    from zoneinfo import ZoneInfo

    from adapters.policy_files import preset_versions
    from complaint_core import Case, Channel, Intake, Party, PartyKind, RemedyKind, Responsibility
    from entrypoints.app import open_app

    v1, v2, _, current = preset_versions("bank-branch")  # v3: loss_share = false; v4: its approval rules
    assert (v1.version, v2.version, current.version) == (1, 2, 4)
    assert v1.approval[1].after == () and v2.approval[1].after == current.approval[1].after != ()
    db = tmp_path / "b.db"
    as_json(app, db, "init", "--policy", "bank-branch")
    at = datetime(2026, 11, 2, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
    case, events = Case.receive(
        v1,
        case_id=uuid4(),
        intake=Intake(customer="储户", channel=Channel.ON_SITE, category="service"),
        at=at,
        actor="s",
    )
    application = open_app(str(db))
    try:
        with application.uow as uow:  # as an earlier version of the library stored it
            uow.cases.add(case)
            uow.outbox.add(events)
            uow.commit()
        s = application.cases
        ref = s.register(case.case_id, actor="m", at=at).case_id
        s.start_investigation(ref, actor="m", at=at)
        s.attribute(ref, actor="m", at=at, causer=Responsibility.sole(Party(PartyKind.PERSON, "S03")))
        s.propose(ref, actor="m", kind=RemedyKind.COMPENSATION, amount=Decimal("5000.00"), at=at)
    finally:
        application.close()
    approved = as_json(app, db, "case", "approve", str(ref), "--by", "ho", "--role", "head_office",
                       "--at", "2026-11-02T10:00")  # fmt: skip
    assert approved["status"] == "approved" and approved["policy"] == {"id": "bank-branch", "version": 1}
    moved = as_json(app, db, "case", "adopt", str(ref), "--at", "2026-11-02T11:00")
    assert moved["policy"] == {"id": "bank-branch", "version": 4}


def test_init_stores_its_policy_calendars_and_setting_together_or_not_at_all(
    app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQL audit: `init` stored the policy, then each calendar, then the setting, each in its own transaction; a
    failure after the first (there, a calendar name too long for PostgreSQL) left a published policy whose calendar
    the database lacked. One transaction now: a failure while storing the setting leaves none of them."""
    from adapters.sql import documents

    calendar, uses = acme_with_its_calendar(tmp_path)
    db = tmp_path / "a.db"
    as_json(app, db, "init", "--policy", "manufacturing")
    store = documents.store

    def failing(target: object, **kw: object) -> int:
        if kw["kind"] == "setting":
            raise OSError("disk full")
        return store(target, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(documents, "store", failing)
    assert invoke(app, db, "init", "--policy", str(uses), "--calendar-file", str(calendar)).exit_code == 1
    monkeypatch.undo()
    assert count(db, "documents") == 1  # the first init's setting alone
    assert as_json(app, db, "calendar", "coverage")["calendars"][0]["name"] == "cn"


def test_an_interrupted_first_init_leaves_an_empty_database_not_a_schema_without_its_policy(
    app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Atomicity audit: init created the schema in a transaction of its own; stopped before its documents were
    stored, it left a schema without a default policy, and the next case opened under manufacturing without a
    word, whatever --policy had said. The schema is created in init's one transaction now."""
    from adapters.sql import documents, open_database
    from adapters.sql.migrate import current

    db = tmp_path / "a.db"
    store = documents.store

    def interrupted(target: object, **kw: object) -> int:
        if kw["kind"] == "setting":
            raise KeyboardInterrupt  # as Ctrl-C would, after the schema and before the setting
        return store(target, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(documents, "store", interrupted)
    assert invoke(app, db, "init", "--policy", "service").exit_code != 0
    monkeypatch.undo()
    database = open_database(str(db), migrate=False)
    try:
        assert current(database.engine) is None  # nothing: the schema went with the rest
    finally:
        database.dispose()
    assert as_json(app, db, "init", "--policy", "service")["default_policy"] == "service"
    opened = as_json(app, db, "case", "open", "--customer", "甲", "--category", "quality", "--kind", "internal",
                     "--at", "2026-11-02T09:00")  # fmt: skip
    assert opened["policy"]["id"] == "service"
