"""The CLI frame in-process (typer's CliRunner): every command's --json, the exit-code mapping, parsers, output."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import pytest
import typer
from typer.testing import CliRunner

from adapters.policy_files import load_preset
from complaint_core import (
    AuthorityExceeded,
    CalendarNotCovered,
    ConcurrencyConflict,
    DomainError,
    InvalidTransition,
    MoneyError,
    NotFound,
    OrganisationInvalid,
    PolicyInvalid,
    RuleViolation,
)
from complaint_core.timeutil import end_of_day
from entrypoints.cli.context import Settings, area, settings_of
from entrypoints.cli.errors import DeliveryFailed, ExitCode, exit_code_for, is_typer_signal, report
from entrypoints.cli.main import build_app
from entrypoints.cli.options import (
    at_or_now,
    localize,
    money_param,
    param,
    parse_date,
    parse_datetime,
    parse_due,
    parse_id_share,
    parse_money,
    parse_month,
    parse_name,
    parse_share,
    parse_tolerance,
    read_text_file,
)
from entrypoints.cli.output import Texts, dumps, emit, progress

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    return build_app()


def invoke(app: typer.Typer, *args: str) -> Any:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "120"})


def as_json(app: typer.Typer, *args: str) -> Any:
    result = invoke(app, "--json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


# ----- every command's --json -------------------------------------------------------------------
def test_policy_presets_json(app: typer.Typer) -> None:
    doc = as_json(app, "policy", "presets")
    assert [p["name"] for p in doc["presets"]] == [
        "manufacturing",
        "furniture",
        "auto-dealer",
        "service",
        "bank-branch",
    ]
    assert doc["presets"][0]["description"]["en"] == "Manufacturing customer-complaint policy"
    assert doc["presets"][0]["policy"] == {"id": "manufacturing", "version": load_preset("manufacturing").version}


def test_policy_show_json_is_the_full_policy(app: typer.Typer) -> None:
    doc = as_json(app, "policy", "show", "furniture")
    assert doc["preset"] == "furniture" and doc["file"] is None
    assert doc["policy"]["policy_id"] == "furniture"
    assert {"categories", "clocks", "approval", "calendar", "penalties"} <= set(doc["policy"])


def test_policy_show_defaults_to_manufacturing_and_accepts_a_file(app: typer.Typer, tmp_path: Path) -> None:
    from adapters.policy_files import preset_text

    assert as_json(app, "policy", "show")["policy"]["policy_id"] == "manufacturing"
    path = tmp_path / "mine.toml"
    path.write_text(preset_text("service"), "utf-8")
    doc = as_json(app, "policy", "show", str(path))
    assert doc["file"] == str(path) and doc["policy"]["policy_id"] == "service"


def test_policy_show_in_words(app: typer.Typer) -> None:
    """Statuses and limits by their labels, with the names the policy file uses; a cell's own line breaks stay
    line breaks (escaping control characters in table cells printed them as a literal \\n)."""
    zh = invoke(app, "policy", "show", "manufacturing").stdout
    assert "13 个日历日" in zh and "已立案" in zh and "(registered)" in zh and "\\n" not in zh
    en = invoke(app, "--lang", "en", "policy", "show", "service").stdout
    assert "1 working days" in en and "\\n" not in en and "working_days" not in en


def test_policy_show_lists_what_case_commands_take(app: typer.Typer) -> None:
    """docs audit: `case open --help` sent users to `policy show` for the intake fields, and `case milestone` needs
    the milestone names, but the summary showed neither, nor the severities."""
    bank = invoke(app, "--lang", "en", "policy", "show", "bank-branch").stdout
    assert "Milestones (case milestone)" in bank and "outlet_head_confirmed" in bank
    assert "Confirmed by the outlet head" in bank
    dealer = invoke(app, "--lang", "en", "policy", "show", "auto-dealer").stdout
    assert "Intake fields (case open --detail)" in dealer and "plate" in dealer and "P3-LC-01" in dealer
    assert "Severities" in dealer and "major complaint" in dealer
    assert "Severities" not in invoke(app, "--lang", "en", "policy", "show", "manufacturing").stdout  # it has none


def test_policy_show_unknown_name_is_a_usage_error(app: typer.Typer) -> None:
    result = invoke(app, "policy", "show", "no-such-preset")
    assert result.exit_code == 2
    assert "no-such-preset" in result.stderr and "manufacturing" in result.stderr


def test_policy_check_json(app: typer.Typer, tmp_path: Path) -> None:
    from adapters.policy_files import preset_text

    path = tmp_path / "ok.toml"
    path.write_text(preset_text("bank-branch"), "utf-8")
    doc = as_json(app, "policy", "check", str(path))
    assert doc["valid"] is True and doc["policy"] == {"id": "bank-branch", "version": 4}


def test_policy_check_unknown_key_names_it(app: typer.Typer, tmp_path: Path) -> None:
    from adapters.policy_files import preset_text

    path = tmp_path / "bad.toml"
    path.write_text(preset_text("manufacturing").replace("[numbering]", "[numbering]\ncolour = 1"), "utf-8")
    result = invoke(app, "--json", "policy", "check", str(path))
    assert result.exit_code == 2 and result.stdout == ""
    assert "numbering.colour" in result.stderr


def test_calendar_add_days_json_both_modes(app: typer.Typer) -> None:
    doc = as_json(app, "calendar", "add-days", "2026-09-30", "3")
    assert doc == {
        "date": "2026-10-03",
        "start": "2026-09-30",
        "days": 3,
        "working": False,
        "calendar": "cn",
        "estimated": False,
    }
    assert as_json(app, "calendar", "add-days", "2026-10-01", "5", "--working")["date"] == "2026-10-13"
    for start, days, name in (("2026-09-30", "99999999", "'N'"), ("9999-12-31", "1", "'DATE'")):  # was exit 1
        result = invoke(app, "calendar", "add-days", start, days)
        assert result.exit_code == 2 and name in result.stderr and "9999" in result.stderr, result.stderr


def test_calendar_is_workday_json(app: typer.Typer) -> None:
    assert as_json(app, "calendar", "is-workday", "2026-10-10") == {
        "date": "2026-10-10",
        "workday": True,
        "kind": "makeup_workday",
        "calendar": "cn",
        "estimated": False,
    }
    assert as_json(app, "calendar", "is-workday", "2026-10-01")["kind"] == "holiday"
    assert as_json(app, "calendar", "is-workday", "2026-11-07")["kind"] == "weekend"


def test_calendar_coverage_json_with_a_calendar_file(app: typer.Typer, tmp_path: Path) -> None:
    base = as_json(app, "calendar", "coverage")["calendars"]
    assert [c["name"] for c in base] == ["cn"] and base[0]["first"] == "2004-01-01"
    extra = tmp_path / "cn-next.toml"
    year = int(base[0]["last"][:4]) + 1
    extra.write_text(f'name = "cn"\n[years.{year}]\nholidays = ["{year}-01-01"]\n', "utf-8")
    doc = as_json(app, "calendar", "coverage", "--calendar-file", str(extra))
    assert doc["calendars"][0]["last"] == f"{year}-12-31"
    assert doc["calendars"][0]["sources"][-1] == str(extra)
    assert as_json(app, "calendar", "is-workday", f"{year}-01-01", "-c", str(extra))["kind"] in ("holiday", "weekend")


def test_policy_with_weekend_fallback_marks_estimates(app: typer.Typer, tmp_path: Path) -> None:
    from adapters.policy_files import preset_text

    text = preset_text("manufacturing").replace("weekend_fallback = false", "weekend_fallback = true")
    assert "weekend_fallback = true" in text
    path = tmp_path / "fallback.toml"
    path.write_text(text, "utf-8")
    last = as_json(app, "calendar", "coverage")["calendars"][0]["last"]
    later = date.fromisoformat(last) + timedelta(days=40)
    doc = as_json(app, "calendar", "is-workday", later.isoformat(), "--policy", str(path))
    assert doc["estimated"] is True


# ----- human output -------------------------------------------------------------------------------
def test_lang_en_and_zh_differ(app: typer.Typer) -> None:
    zh = invoke(app, "calendar", "is-workday", "2026-10-01")
    en = invoke(app, "--lang", "en", "calendar", "is-workday", "2026-10-01")
    assert "休息日" in zh.stdout
    assert "rest day" in en.stdout
    assert zh.exit_code == en.exit_code == 0


def test_human_presets_table(app: typer.Typer) -> None:
    result = invoke(app, "--lang", "en", "policy", "presets")
    assert result.exit_code == 0 and "bank-branch" in result.stdout and "preset" in result.stdout


# ----- exit codes ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (NotFound("no case 261199"), ExitCode.NOT_FOUND),
        (RuleViolation("nope", rule="P1-LC-08"), ExitCode.RULE_VIOLATION),
        (InvalidTransition("nope"), ExitCode.RULE_VIOLATION),
        (AuthorityExceeded("too much"), ExitCode.RULE_VIOLATION),
        (MoneyError("bad amount"), ExitCode.RULE_VIOLATION),
        (DomainError("x"), ExitCode.RULE_VIOLATION),
        (ConcurrencyConflict("stale"), ExitCode.CONFLICT),
        (CalendarNotCovered(date(2099, 1, 1), date(2004, 1, 1), date(2026, 12, 31)), ExitCode.CALENDAR_NOT_COVERED),
        (PolicyInvalid("approval[1].limit", "descending"), ExitCode.USAGE),
        (OrganisationInvalid("people[3]", "no department"), ExitCode.USAGE),
        (DeliveryFailed("503 after 8 attempts", target="https://crm.example"), ExitCode.DELIVERY_FAILED),
        (ValueError("boom"), ExitCode.UNEXPECTED),
        (KeyError("k"), ExitCode.UNEXPECTED),
    ],
)
def test_exit_code_for_each_exception(exc: BaseException, code: ExitCode) -> None:
    assert exit_code_for(exc) is code


def test_report_domain_error_is_one_line_naming_the_rule() -> None:
    out = io.StringIO()
    code = report(
        AuthorityExceeded("sales_manager may approve up to 5000.00;\n8200.00 needs deputy_gm"), Settings(), out
    )
    assert code is ExitCode.RULE_VIOLATION
    assert out.getvalue() == "错误: [P1-APR-02] sales_manager may approve up to 5000.00; 8200.00 needs deputy_gm\n"


def test_report_unexpected_error_traceback_only_with_verbose() -> None:
    def fail() -> None:
        raise ValueError("boom")

    try:
        fail()
    except ValueError as exc:
        quiet, loud = io.StringIO(), io.StringIO()
        assert report(exc, Settings(lang="en"), quiet) is ExitCode.UNEXPECTED
        assert report(exc, Settings(lang="en", verbose=True), loud) is ExitCode.UNEXPECTED
    assert quiet.getvalue() == "error: unexpected ValueError: boom (run with -v for the traceback)\n"
    assert "Traceback" in loud.getvalue() and "in fail" in loud.getvalue()
    assert loud.getvalue().splitlines()[-1] == "error: unexpected ValueError: boom"


def test_typer_signals_pass_through() -> None:
    assert (
        is_typer_signal(typer.Exit(3)) and is_typer_signal(typer.BadParameter("x")) and is_typer_signal(typer.Abort())
    )
    assert not is_typer_signal(NotFound("x"))


def _app_raising(exc: BaseException) -> typer.Typer:
    """A throw-away root with one area whose command raises ``exc``: exercises the group's handler."""
    from entrypoints.cli import main

    def boom() -> None:
        raise exc

    sub = area("boom", "raises")
    sub.command("now")(boom)
    root = main.build_app(areas=())
    root.add_typer(sub)
    return root


@pytest.mark.parametrize(
    ("exc", "code"),
    [(NotFound("no case"), 3), (ConcurrencyConflict("stale"), 5), (DeliveryFailed("gone"), 7), (RuntimeError("x"), 1)],
)
def test_group_maps_exceptions_to_exit_codes_with_empty_stdout(exc: BaseException, code: int) -> None:
    result = invoke(_app_raising(exc), "--json", "boom", "now")
    assert result.exit_code == code
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1


def test_verbose_shows_the_traceback_of_an_unexpected_error() -> None:
    result = invoke(_app_raising(RuntimeError("kaputt")), "-v", "boom", "now")
    assert result.exit_code == 1
    assert "Traceback" in result.stderr and "kaputt" in result.stderr


# ----- settings -----------------------------------------------------------------------------------
def test_global_options_reach_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from entrypoints.cli import main

    seen: list[Settings] = []

    def probe(ctx: typer.Context) -> None:
        seen.append(settings_of(ctx))

    sub = area("probe", "records the settings")
    sub.command("it")(probe)
    root = main.build_app(areas=())
    root.add_typer(sub)
    runner = CliRunner()
    assert runner.invoke(root, ["probe", "it"], env={"COMPLAINT_DB": "sqlite:///x.db"}).exit_code == 0
    assert runner.invoke(root, ["--db", "y.db", "--json", "--lang", "en", "-v", "probe", "it"]).exit_code == 0
    assert seen == [
        Settings(db="sqlite:///x.db"),
        Settings(db="y.db", json=True, lang="en", verbose=True),
    ]
    assert seen[0].language("en") == "en" and seen[0].language(None) == "zh" and seen[1].language("zh") == "en"


# ----- parsers ------------------------------------------------------------------------------------
def test_parse_date() -> None:
    assert parse_date("2026-02-28") == date(2026, 2, 28)
    for bad in ("2026-02-30", "2026-2-3", "20260203", "tomorrow"):
        with pytest.raises(ValueError):
            parse_date(bad)


def test_parse_datetime_naive_means_the_policy_zone() -> None:
    assert parse_datetime("2026-11-02T09:00", SHANGHAI) == datetime(2026, 11, 2, 9, tzinfo=SHANGHAI)
    assert parse_datetime("2026-11-02 09:00:30", SHANGHAI).second == 30
    assert parse_datetime("2026-11-02T01:00Z", SHANGHAI) == datetime(2026, 11, 2, 1, tzinfo=UTC)
    plus8 = parse_datetime("2026-11-02T09:00+08:00")
    assert plus8.utcoffset() == timedelta(hours=8)
    assert parse_datetime("2026-11-02").tzinfo is None
    for bad in ("2026-11-02T25:00", "2026-02-30T09:00", "9am", "2026-11-02T09"):
        with pytest.raises(ValueError):
            parse_datetime(bad, SHANGHAI)


def test_a_local_time_a_daylight_saving_change_skips_or_repeats_is_refused() -> None:
    """Time-zone audit: in a policy zone with daylight saving, 02:30 on the spring day (which does not exist) was
    moved an hour on, and 01:30 on the autumn day (which happens twice) always meant the first, so the second could
    not be entered without an offset nobody was asked for. Both are refused, naming the offsets to choose from."""
    new_york = ZoneInfo("America/New_York")
    with pytest.raises(typer.BadParameter, match=r"does not exist in America/New_York .* -04:00 or -05:00"):
        localize(datetime(2026, 3, 8, 2, 30), new_york)
    with pytest.raises(typer.BadParameter, match=r"happens twice in America/New_York .* -04:00 or -05:00"):
        parse_datetime("2026-11-01T01:30", new_york)
    assert parse_datetime("2026-11-01T01:30-05:00", new_york).utcoffset() == timedelta(hours=-5)
    assert localize(datetime(2026, 11, 1, 2, 30), new_york).utcoffset() == timedelta(hours=-5)
    assert localize(datetime(2026, 11, 1, 1, 30), SHANGHAI) == datetime(2026, 11, 1, 1, 30, tzinfo=SHANGHAI)
    # review: a date alone is one instant even where the clocks change at midnight (America/Santiago): its start,
    # the first instant of the day; its end as a due time, the later 23:59:59.999999 where it repeats (end_of_day)
    santiago = ZoneInfo("America/Santiago")
    assert localize(parse_due("2026-04-04"), santiago) == end_of_day(date(2026, 4, 4), santiago)
    assert localize(parse_datetime("2026-09-06"), santiago) == month_start(santiago, date(2026, 9, 6))


def month_start(tz: ZoneInfo, day: date) -> datetime:
    """The first instant of ``day`` in ``tz`` (where midnight is skipped, the instant the clocks jump)."""
    return datetime.combine(day, datetime.min.time(), tzinfo=tz).astimezone(UTC)


def test_a_due_date_without_a_time_lasts_to_the_end_of_that_day() -> None:
    """Time-zone audit: ``case promise --due 2026-11-10`` was due at 00:00, overdue from the promised day's first
    minute; a date promised is kept through its end, as every deadline counted in days (DOMAIN §4)."""
    assert parse_due("2026-11-10") == datetime(2026, 11, 10, 23, 59, 59, 999999)
    assert parse_due("2026-11-10T17:00") == datetime(2026, 11, 10, 17)
    assert parse_datetime("2026-11-10") == datetime(2026, 11, 10)  # an --at on a date is its start


def test_at_or_now() -> None:
    fixed = datetime(2026, 1, 1, tzinfo=UTC)
    assert at_or_now(None, SHANGHAI, lambda: fixed) is fixed
    assert at_or_now(datetime(2026, 1, 1, 9), SHANGHAI) == datetime(2026, 1, 1, 9, tzinfo=SHANGHAI)
    aware = datetime(2026, 1, 1, 9, tzinfo=timezone(timedelta(hours=-5)))
    assert at_or_now(aware, SHANGHAI) is aware
    assert at_or_now(None, SHANGHAI).tzinfo is SHANGHAI


def test_parse_money() -> None:
    assert parse_money("700") == Decimal("700.00")
    assert str(parse_money("12.5")) == "12.50"
    assert parse_money("0") == Decimal("0.00")
    for bad in ("12,5", "1,200.00", "-1", "1.234", "1e3", "", "abc", "NaN"):
        with pytest.raises(ValueError):
            parse_money(bad)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("12,5", "no thousands separators"),
        ("1，200", "no thousands separators"),  # a full-width comma
        ("-1", "an amount cannot be negative"),
        (" -0.5 ", "an amount cannot be negative"),
        ("1.234", "is not an amount in yuan with at most two decimals"),
        ("１２", "is not an amount in yuan with at most two decimals"),  # full-width digits
        ("1000000000000000.00", "is too large: at most 999999999999999.99"),
    ],
)
def test_a_bad_amount_says_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_money(text)


def test_the_largest_amount_is_an_amount() -> None:
    assert parse_money("999999999999999.99") == Decimal("999999999999999.99")
    assert parse_money(" 5 ") == Decimal("5.00")


@pytest.mark.parametrize("parse", [parse_date, parse_datetime])
def test_dates_lie_between_the_years_1000_and_9998(parse: Any) -> None:
    assert parse("1000-01-01").year == 1000 and parse("9998-12-31").year == 9998
    for text in ("0999-12-31", "9999-01-01"):
        with pytest.raises(ValueError, match="the year must lie between 1000 and 9998"):
            parse(text)


@pytest.mark.parametrize(
    ("offset", "shown"),
    [(timedelta(0), "+00:00"), (timedelta(hours=5, minutes=45), "+05:45"), (-timedelta(hours=3, minutes=30), "-03:30")],
)
def test_an_offset_is_shown_with_its_sign(offset: timedelta, shown: str) -> None:
    from entrypoints.cli.options import _offset

    assert _offset(datetime(2026, 1, 1, tzinfo=timezone(offset))) == shown


def test_parse_share() -> None:
    assert parse_share("0.5") == Decimal("0.5")
    assert parse_share("1") == Decimal(1)
    assert parse_share("1/4") == Decimal("0.25")
    assert parse_share("40%") == Decimal("0.4")
    for bad in ("0", "1.01", "1/3", "-0.5", "1/0", "half"):
        with pytest.raises(ValueError):
            parse_share(bad)


@pytest.mark.parametrize(
    ("parse", "text", "value"),
    [
        (parse_share, "3/8", Decimal("0.375")),
        (parse_share, " 50 % ", Decimal("0.5")),
        (parse_share, ".5", Decimal("0.5")),
        (parse_share, "1.0", Decimal(1)),
        (parse_share, "100%", Decimal(1)),
        (parse_share, "0.000000000000000001", Decimal("1E-18")),
        (parse_tolerance, "0", Decimal(0)),
        (parse_tolerance, "5%", Decimal("0.05")),
        (parse_tolerance, "1/20", Decimal("0.05")),
        (parse_tolerance, "100", Decimal(100)),
        (parse_tolerance, "0.125", Decimal("0.125")),
        (parse_month, " 2026-11 ", "2026-11"),
        (parse_name, "  qa.li ", "qa.li"),
    ],
)
def test_ratios_months_and_names_read(parse: Any, text: str, value: object) -> None:
    assert parse(text) == value


@pytest.mark.parametrize(
    ("parse", "text", "says"),
    [
        (parse_share, "1/3", "has no exact decimal form; give decimal shares that sum to exactly 1"),
        (parse_share, "1/0", "division by zero"),
        (parse_share, "1e3", "is not a share such as 0.5, 50% or 1/2"),
        (parse_share, "50%%", "is not a share such as 0.5, 50% or 1/2"),
        (parse_share, "0", "a share must be more than 0 and at most 1"),
        (parse_share, "101%", "a share must be more than 0 and at most 1"),
        (parse_share, "0.0000000000000000001", "a share has at most 18 decimal places"),
        (parse_share, "1/1048576", "a share has at most 18 decimal places"),
        (parse_tolerance, "100.5", "a tolerance lies between 0 and 100"),
        (parse_tolerance, "0.1234567", "a tolerance has at most 6 decimal places"),
        (parse_tolerance, "-1", "is not a ratio such as 0.5, 50% or 1/2"),
        (parse_tolerance, "1/3", "'1/3' has no exact decimal form; give a ratio as a decimal, e.g. 0.05"),
        (parse_id_share, "smt=", "is not a share such as"),
        (parse_id_share, " =0.5", "is not ID=SHARE"),
        (parse_month, "2026-13", "is not a month in the form YYYY-MM"),
        (parse_month, "0999-01", "is not a month in the form YYYY-MM"),
        (parse_name, "   ", "a name is needed: the audit trail records who did it"),
    ],
)
def test_a_bad_ratio_month_or_name_says_what_is_wrong(parse: Any, text: str, says: str) -> None:
    with pytest.raises(ValueError, match=re.escape(says)):
        parse(text)


def test_a_whole_share_is_written_as_a_whole_number() -> None:
    assert [str(parse_share(t)) for t in ("1.0", "100%", "1", "0.50", "1/4")] == ["1", "1", "1", "0.50", "0.25"]


def test_an_id_may_hold_an_equals_sign() -> None:
    assert parse_id_share("a=b=0.5") == ("a=b", Decimal("0.5"))  # the share follows the last "="
    assert parse_id_share(" smt = 0.5") == ("smt", Decimal("0.5"))


def test_a_parser_as_an_option_keeps_its_name_and_help_and_turns_errors_into_usage_errors() -> None:
    parser = param(parse_money)
    assert (parser.__name__, parser.__doc__) == ("parse_money", parse_money.__doc__)
    with pytest.raises(typer.BadParameter, match="cannot be negative"):
        parser("-1")


def test_a_text_file_argument_is_utf_8(tmp_path: Path) -> None:
    good = tmp_path / "bom.csv"
    good.write_bytes("\ufeff客户,金额\n".encode())
    assert read_text_file(good, "FILE") == "客户,金额\n"  # the BOM is dropped
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("客户".encode("gbk"))
    with pytest.raises(typer.BadParameter, match="is not UTF-8 text \\(GBK\\?\\); save it as UTF-8") as caught:
        read_text_file(gbk, "FILE")
    assert caught.value.param_hint == "FILE"
    with pytest.raises(typer.BadParameter, match=r"cannot read .*missing\.csv: No such file or directory"):
        read_text_file(tmp_path / "missing.csv", "FILE", hint="unused")


def test_parse_id_share() -> None:
    assert parse_id_share("smt-2=0.6") == ("smt-2", Decimal("0.6"))
    for bad in ("smt-2", "=0.5", "smt-2=2"):
        with pytest.raises(ValueError):
            parse_id_share(bad)


def test_bad_money_option_is_a_usage_error_naming_the_option() -> None:
    from entrypoints.cli import main

    def pay(amount: Annotated[Decimal, typer.Option("--amount", parser=money_param)]) -> None:
        print(amount)

    sub = area("pay", "pays")
    sub.command("it")(pay)
    root = main.build_app(areas=())
    root.add_typer(sub)
    result = invoke(root, "pay", "it", "--amount", "12,5")
    assert result.exit_code == 2 and "--amount" in result.stderr and "12,5" in result.stderr
    assert invoke(root, "pay", "it", "--amount", "12.5").stdout == "12.50\n"


# ----- output -------------------------------------------------------------------------------------
def test_emit_json_and_human() -> None:
    doc = {"amount": "700.00", "at": datetime(2026, 11, 2, 9, tzinfo=SHANGHAI), "day": date(2026, 11, 2), "名": "张"}
    out = io.StringIO()
    emit(Settings(json=True), doc, lambda console: console.print("never"), file=out)
    assert json.loads(out.getvalue()) == {
        "amount": "700.00",
        "at": "2026-11-02T01:00:00Z",
        "day": "2026-11-02",
        "名": "张",
    }
    human = io.StringIO()
    emit(Settings(), doc, lambda console: console.print("a table"), file=human)
    assert human.getvalue() == "a table\n"
    with pytest.raises(TypeError):
        dumps({"x": object()})


def test_progress_is_silent_off_a_terminal() -> None:
    err = io.StringIO()
    with progress("importing", 3, stream=err) as bar:
        for _ in range(3):
            bar.advance()
    assert err.getvalue() == ""


def test_texts() -> None:
    text = Texts({"hello": ("你好,{name}", "hello, {name}")})
    assert text("hello", "zh", name="王") == "你好,王"
    assert text("hello", "en", name="Wang") == "hello, Wang"


def test_party_references_keep_ids_that_hold_a_colon() -> None:
    """``[KIND:]ID``: only a known kind before the first colon is a kind; ``--handler a:b`` is the id ``a:b``."""
    from entrypoints.cli.case_cmd import parse_party_ref, parse_party_share

    assert parse_party_ref("person:p1") == ("person", "p1")
    assert parse_party_ref("erp:p1") == (None, "erp:p1")
    assert parse_party_ref(" smt-2 ") == (None, "smt-2")
    assert parse_party_share("supplier:acme=0.4")[:2] == ("supplier", "acme")
    assert parse_party_share("erp:7=0.5")[:2] == (None, "erp:7")


def test_a_table_is_as_wide_as_its_title_so_an_id_in_it_is_not_split() -> None:
    """``return show`` titles a table with the return's id; the table was as narrow as its two columns and the
    title wrapped in the middle of the id, piped or not."""
    import io

    from entrypoints.cli.output import stdout_console, table

    title = "销货折让证明单 ff80864a-2795-40f3-a496-89c17dd2f6eb(案件 261179,折让,已入账)"
    buffer = io.StringIO()
    stdout_console(buffer).print(table(title, ["项目", "值"], [("数量", "3")]))
    assert buffer.getvalue().splitlines()[0].rstrip() == title
