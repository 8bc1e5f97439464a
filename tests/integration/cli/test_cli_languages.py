"""What the CLI prints for people speaks the policy's language, or ``--lang``'s (i18n audit).

A database whose default policy is English got Chinese from the commands about no one case (``org``, ``bonus``,
``calendar import``); ``case history`` printed wire names (``case.registered``) in both languages; ``org show``
printed department kinds as codes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from entrypoints.cli.main import main

ROOT = Path(__file__).resolve().parents[3]
ORG = ROOT / "examples" / "organisation.toml"
BONUSES = ROOT / "examples" / "organisation" / "bonuses.csv"


def words(capsys: pytest.CaptureFixture[str], db: Path, *args: str) -> str:
    """What a command prints for people, exit 0."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        main(["--db", str(db), *args])
    out = capsys.readouterr().out
    assert done.value.code == 0, out
    return out


@pytest.fixture
def english_db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A database whose default policy is the manufacturing preset in English."""
    text = (ROOT / "src" / "adapters" / "presets" / "manufacturing.toml").read_text(encoding="utf-8")
    text = text.replace('policy_id = "manufacturing"', 'policy_id = "mfg-en"', 1).replace(
        'language = "zh"', 'language = "en"', 1
    )
    policy = tmp_path / "mfg-en.toml"
    policy.write_text(text, encoding="utf-8")
    db = tmp_path / "en.db"
    words(capsys, db, "init", "--policy", str(policy))
    return db


def test_commands_about_no_one_case_speak_the_default_policys_language(
    capsys: pytest.CaptureFixture[str], english_db: Path, tmp_path: Path
) -> None:
    assert "organisation v1 imported: 4 departments" in words(capsys, english_db, "org", "import", str(ORG))
    shown = words(capsys, english_db, "org", "show")
    assert "Departments" in shown and "部门" not in shown
    assert "bonus row(s) imported" in words(capsys, english_db, "bonus", "import", str(BONUSES))
    calendar = tmp_path / "2027.toml"
    calendar.write_text('name = "cn"\n[years.2027]\nholidays = ["2027-01-01"]\n', encoding="utf-8")
    imported = words(capsys, english_db, "calendar", "import", str(calendar))
    assert imported.isascii(), imported
    shown = words(capsys, english_db, "--lang", "zh", "org", "show")  # --lang still decides
    assert "部门" in shown and "Departments" not in shown


def test_org_show_names_department_kinds(capsys: pytest.CaptureFixture[str], english_db: Path) -> None:
    words(capsys, english_db, "org", "import", str(ORG))
    zh = words(capsys, english_db, "--lang", "zh", "org", "show")
    row = next(line for line in zh.splitlines() if "总经理办公室" in line)  # code, name, kind
    assert row.split("│")[1:4] == [" gm_office     ", " 总经理办公室 ", " 总经理室 "], row
    en = words(capsys, english_db, "org", "show")
    assert "GM's office" in en


def test_case_history_names_each_event(capsys: pytest.CaptureFixture[str], english_db: Path) -> None:
    opened = words(
        capsys, english_db, "--json", "case", "open", "--customer", "ACME", "--category", "quality",
        "--at", "2026-11-02T09:00",
    )  # fmt: skip
    words(capsys, english_db, "case", "register", json.loads(opened)["id"], "--at", "2026-11-02T10:00")
    en = words(capsys, english_db, "case", "history", "261101")
    assert "complaint received" in en and "registered" in en and "case.received" not in en
    zh = words(capsys, english_db, "--lang", "zh", "case", "history", "261101")
    assert "受理投诉" in zh and "登记立案" in zh and "case.registered" not in zh


def test_a_shifted_rest_day_is_called_one_in_english_too(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """2026-10-07 (a Wednesday of the National Day week): zh said 法定节假日或调休, en only "statutory holiday"."""
    en = words(capsys, tmp_path / "x.db", "--lang", "en", "calendar", "is-workday", "2026-10-07")
    assert "statutory holiday or shifted rest day" in en


def test_policy_show_says_when_a_clock_applies_in_words(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """``policy show`` printed a clock rule's condition as ``markets=domestic`` in Chinese too."""
    from adapters.policy_files import load_preset
    from complaint_core.policy import CaseKind, Channel, ClockCondition, Market
    from entrypoints.cli.policy_cmd import _condition

    zh = words(capsys, tmp_path / "x.db", "policy", "show", "manufacturing")
    assert "市场: 国内" in zh and "markets=" not in zh
    assert "market: domestic" in words(capsys, tmp_path / "x.db", "--lang", "en", "policy", "show", "manufacturing")
    assert "类型: 内部投诉" in words(capsys, tmp_path / "x.db", "policy", "show", "service")
    policy = load_preset("service")
    everything = ClockCondition(
        markets=frozenset({Market.FOREIGN}),
        kinds=frozenset({CaseKind.EXTERNAL}),
        categories=frozenset({"quality"}),
        severities=frozenset({"severe", "light"}),
        channels=frozenset({Channel.PHONE, Channel.FORWARDED}),
    )
    said = _condition(everything, policy, "zh")
    assert said.startswith("市场: 国外; 类型: 外部投诉; 类别: ") and "渠道: 他部门转来、电话" in said
    assert "等级: " in said and "(light)" in said and "(severe)" in said
    assert _condition(everything, policy, "en").startswith("market: foreign; kind: external; category: ")
    assert _condition(ClockCondition(), policy, "en") == "always"
