"""Malformed policy files give one clear error with the key path (issue: foundation §4)."""

import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from adapters import policy_files
from adapters.policy_files import (
    PRESETS,
    bundled_preset,
    load_policy,
    load_preset,
    loads_policy,
    policy_from_dict,
    policy_to_dict,
    preset_text,
    preset_versions,
)
from complaint_core import PolicyInvalid

GOOD = """
policy_id = "acme"
version = 2
name = { zh = "测试", en = "test" }
categories = [{ code = "quality", label = { zh = "质量", en = "quality" } }]
channels = ["phone"]
[[clocks]]
name = "reply"
label = { zh = "答复", en = "reply" }
start = "received"
stop = "replied"
limit = "3 calendar_days"
[[approval]]
role = "manager"
limit = "1000"
[[approval]]
role = "gm"
"""


def error(text: str, **kw: object) -> PolicyInvalid:
    with pytest.raises(PolicyInvalid) as err:
        loads_policy(text, "test.toml", **kw)  # type: ignore[arg-type]
    return err.value


def test_a_good_file_loads() -> None:
    policy = loads_policy(GOOD)
    assert policy.policy_id == "acme" and policy.version == 2
    assert str(policy.clocks[0].limit) == "3 calendar_days"


def test_unknown_nested_key_is_named() -> None:
    err = error(GOOD + "[calendar]\nname = 'cn'\ncolour = 'red'\n")
    assert err.path == "calendar.colour" and "unknown key" in str(err)


def test_unknown_top_level_key() -> None:
    err = error('flavour = "x"\n' + GOOD)
    assert err.path == "flavour" and "test.toml" in str(err)


def test_wrong_type_names_the_path() -> None:
    err = error(GOOD.replace("version = 2", 'version = "two"'))
    assert err.path == "version" and "int" in str(err)


@pytest.mark.parametrize(
    ("old", "new", "path", "says"),
    [
        # a string for a list was split into letters: approver_roles "gm" became {"g", "m"}
        ('channels = ["phone"]', 'channels = ["phone"]\nskip_states = "investigating"', "skip_states", "a list"),
        ('channels = ["phone"]', 'channels = "phone"', "channels", "a list"),
        (
            'limit = "3 calendar_days"',
            'limit = "3 calendar_days"\nwhen = { categories = "quality" }',
            "clocks[0].when.categories",
            "a list",
        ),
        # other values were turned into text: 5 → "5", ["a"] → "['a']", true → "True"
        ('code = "quality"', "code = 5", "categories[0].code", "a string"),
        ('{ zh = "质量", en = "quality" }', '{ zh = true, en = "quality" }', "categories[0].label.zh", "a string"),
        ('role = "gm"', 'role = ["gm"]', "approval[1].role", "a string"),
        # a string for a table failed with "unknown error ('str' object has no attribute 'keys')"
        ('name = { zh = "测试", en = "test" }', 'name = "test"', "name", "a table"),
        (
            'categories = [{ code = "quality", label = { zh = "质量", en = "quality" } }]',
            'categories = ["quality"]',
            "categories[0]",
            "a table",
        ),
        # an enum names the values it takes
        ('channels = ["phone"]', 'channels = ["pigeon"]', "channels[0]", "not one of"),
        # time-zone audit: the host's own zone, another on each machine that reads the policy
        ("version = 2", 'version = 2\nzone = "localtime"', "zone", "no IANA time zone"),
        ("version = 2", 'version = 2\nzone = "posix/Asia/Shanghai"', "zone", "no IANA time zone"),
        ("version = 2", 'version = 2\nzone = "Factory"', "zone", "no IANA time zone"),
        # policy audit: the language said "unknown error (fr not in literal typing.Literal['zh', 'en'])"
        ("version = 2", 'version = 2\nlanguage = "fr"', "language", "value 'fr' is not one of zh, en"),
        ("version = 2", "version = 2\nlanguage = 1", "language", "value 1 is not one of zh, en"),
        # decimals, booleans and limits read by the converter's own hooks
        ('limit = "1000"', "limit = true", "approval[0].limit", "expected a number or a numeric string, got True"),
        ('limit = "1000"', 'limit = "1,000"', "approval[0].limit", "'1,000' is not a number"),
        ('limit = "1000"', "limit = [1000]", "approval[0].limit", "expected a number or a numeric string, got [1000]"),
        ('limit = "1000"', 'limit = "NaN"', "approval[0].limit", "'NaN' is not a finite number"),
        (
            'role = "gm"',
            'role = "gm"\n[calendar]\nweekend_fallback = "yes"',
            "calendar.weekend_fallback",
            "true or false",
        ),
        ('limit = "3 calendar_days"', "limit = 3", "clocks[0].limit", "a string such as '13 calendar_days', got 3"),
        (
            'limit = "3 calendar_days"',
            'limit = "3days"',
            "clocks[0].limit",
            "is not '<amount> <unit>' with unit one of",
        ),
    ],
)
def test_values_of_the_wrong_shape_are_refused_not_coerced(old: str, new: str, path: str, says: str) -> None:
    """docs/policies.md: values must have the right type; one PolicyInvalid naming the key path."""
    assert old in GOOD
    err = error(GOOD.replace(old, new, 1))
    assert err.path == path and says in err.message, (err.path, err.message)


@pytest.mark.parametrize("data", [[], None, "policy", 5])
def test_a_document_that_is_no_table_is_refused(data: object) -> None:
    with pytest.raises(PolicyInvalid, match="expected a table") as err:
        policy_from_dict(data, "doc.json")  # type: ignore[arg-type]
    assert err.value.path == ""


def test_missing_required_key() -> None:
    assert error(GOOD.replace('role = "manager"', "")).path == "approval[0].role"


def test_negative_limit() -> None:
    err = error(GOOD.replace('"3 calendar_days"', '"-3 calendar_days"'))
    assert err.path == "clocks[0].limit.amount"


@pytest.mark.parametrize("limit", ["3661 calendar_days", "121 calendar_months", "87841 hours", "99999999999 hours"])
def test_a_limit_longer_than_ten_years_is_refused(limit: str) -> None:
    """Beyond ten years dates overflow (a sweep would crash); no complaint duty runs that long."""
    err = error(GOOD.replace('"3 calendar_days"', f'"{limit}"'))
    assert err.path == "clocks[0].limit.amount" and "ten years" in str(err)


def test_a_limit_of_ten_years_loads() -> None:
    assert str(loads_policy(GOOD.replace('"3 calendar_days"', '"120 calendar_months"')).clocks[0].limit) == (
        "120 calendar_months"
    )


def test_bad_unit() -> None:
    err = error(GOOD.replace('"3 calendar_days"', '"3 fortnights"'))
    assert err.path == "clocks[0].limit" and "fortnights" in str(err)


def test_descending_approval_limits() -> None:
    text = GOOD.replace('role = "gm"', 'role = "gm"\nlimit = "500"')
    assert error(text).path == "approval[1].limit"


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        ('role = "manager"', 'role = ""', "approval[0]"),
        ('code = "quality"', 'code = " "', "categories[0]"),
        ('channels = ["phone"]', 'channels = ["phone"]\nroles = ["", "x"]', "roles[0]"),
    ],
)
def test_empty_identifiers_are_refused(old: str, new: str, path: str) -> None:
    err = error(GOOD.replace(old, new))
    assert err.path == path and "empty" in str(err)


@pytest.mark.parametrize(("key", "value"), [("same_issue_count", 0), ("delay_days", -2)])
def test_severity_raise_counts_are_positive(key: str, value: int) -> None:
    """P4-CLS-04: a count below 1 would raise the severity of every case."""
    raise_ = f'severity_raise = {{ to = "s", {key} = {value} }}'
    severities = 'severities = [{ code = "s", label = { zh = "重", en = "severe" } }]'
    text = GOOD.replace('channels = ["phone"]', f'channels = ["phone"]\n{severities}') + f"[penalties]\n{raise_}\n"
    err = error(text)
    assert err.path == f"penalties.severity_raise.{key}" and "at least 1" in str(err)
    assert loads_policy(text.replace(f"{key} = {value}", f"{key} = 3")).penalties.severity_raise is not None


def test_unknown_calendar() -> None:
    text = GOOD + '[calendar]\nname = "mars"\n'
    err = error(text, known_calendars={"cn"})
    assert err.path == "calendar.name" and "mars" in str(err)
    assert loads_policy(text, known_calendars={"cn", "mars"}).calendar.name == "mars"


def test_not_toml() -> None:
    assert "not valid TOML" in str(error("policy_id = "))


def test_missing_file_and_unknown_preset(tmp_path: Path) -> None:
    with pytest.raises(PolicyInvalid, match="cannot read"):
        load_policy(tmp_path / "none.toml")
    with pytest.raises(PolicyInvalid, match="no preset"):
        preset_text("bakery")


def test_file_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "acme.toml"
    path.write_text(GOOD, encoding="utf-8")
    assert load_policy(path).policy_id == "acme"
    assert load_policy(str(path)).policy_id == "acme"  # a path given as text


def test_json_policies_and_exports_load(tmp_path: Path) -> None:
    """A ``.json`` file is read as JSON (a capitalised suffix too), and what ``complaint --json policy show`` prints
    (``preset``, ``file``, ``policy``) loads as its ``policy`` member."""
    table = policy_to_dict(loads_policy(GOOD))
    exported = tmp_path / "acme.JSON"
    exported.write_text(json.dumps({"preset": None, "file": "acme.toml", "policy": table}), encoding="utf-8")
    assert load_policy(exported) == loads_policy(GOOD)
    assert loads_policy(json.dumps(table), fmt="json") == loads_policy(GOOD)
    with pytest.raises(PolicyInvalid, match=r"x\.json is not valid JSON"):
        loads_policy("{", "x.json", fmt="json")
    with pytest.raises(PolicyInvalid, match="must hold a JSON object"):
        loads_policy(json.dumps([table]), "x.json", fmt="json")
    with pytest.raises(PolicyInvalid, match="must hold a JSON object"):
        loads_policy(json.dumps({"preset": None, "file": "f", "policy": 5}), "x.json", fmt="json")


def test_a_policy_file_in_another_encoding_or_with_a_bom(tmp_path: Path) -> None:
    gbk = tmp_path / "gbk.toml"
    gbk.write_bytes(GOOD.encode("gbk"))
    with pytest.raises(PolicyInvalid, match="is not UTF-8 text"):
        load_policy(gbk)
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + GOOD.encode("utf-8"))
    assert load_policy(bom) == loads_policy(GOOD)


def test_a_stored_policy_keeps_a_host_zone_a_new_file_may_not_name() -> None:
    """Policies stored by an older version with ``zone = "localtime"`` still load (``stored``)."""
    text = GOOD.replace("version = 2", 'version = 2\nzone = "localtime"')
    assert error(text).path == "zone"
    assert loads_policy(text, stored=True).zone == "localtime"


def test_a_stored_policy_keeps_the_number_an_older_version_turned_into_text() -> None:
    """Older versions stored ``code = 101`` as the text "101"; a new file must write a string, but a database that
    holds such a policy still loads it (``policy_converter(stored=True)``)."""
    text = GOOD.replace('code = "quality"', "code = 101")
    err = error(text)
    assert err.path == "categories[0].code" and "expected a string, got 101" in err.message, err
    assert [c.code for c in loads_policy(text, stored=True).categories] == ["101"]


@pytest.mark.parametrize("name", PRESETS)
def test_presets_load_and_round_trip(name: str) -> None:
    """DOMAIN §11: the five presets ship as package data and validate on load."""
    policy = load_preset(name)
    assert policy.policy_id == name
    assert policy_from_dict(policy_to_dict(policy)) == policy
    assert policy.categories and policy.approval


@pytest.mark.parametrize("value", ["true", "1.5", '"2"'])
def test_integers_are_not_coerced(value: str) -> None:
    err = error(GOOD.replace("version = 2", f"version = {value}"))
    assert err.path == "version" and "integer" in str(err)


def test_promised_clock_may_omit_its_limit() -> None:
    """P4-DL-06: the promised reply time is case data, so the rule has no limit."""
    text = GOOD.replace('limit = "3 calendar_days"', 'promise = "promised"')
    assert loads_policy(text).clocks[0].limit is None
    assert error(GOOD.replace('limit = "3 calendar_days"\n', "")).path == "clocks[0].limit"


def test_approval_limit_in_fen_and_channels_required() -> None:
    assert error(GOOD.replace('limit = "1000"', 'limit = "1000.001"')).path == "approval[0].limit"
    assert error(GOOD.replace('channels = ["phone"]', "channels = []")).path == "channels"


def test_docs_policies_md_documents_every_key_of_the_policy_format() -> None:
    """Foundation §1: docs/policies.md documents every key. Walks every attrs class a policy file reaches and
    looks for each field as a key in the document (`` `name` ``, ``name =`` or `` .name` ``); a key added without
    its documentation fails here. ``Limit`` is written as one string ("3 calendar_days"), not a table."""
    import typing

    import attrs

    from complaint_core.policy import Limit, Policy

    doc = (Path(__file__).resolve().parents[2] / "docs" / "policies.md").read_text("utf-8")
    written_as_strings = {Limit}
    seen: set[type] = set()
    missing: list[str] = []

    def walk(cls: type) -> None:
        if cls in seen or cls in written_as_strings:
            return
        seen.add(cls)
        hints = typing.get_type_hints(cls)
        for field in attrs.fields(cls):  # type: ignore[arg-type]
            if not field.init:
                continue
            if not any(form in doc for form in (f"`{field.name}`", f"{field.name} =", f".{field.name}`")):
                missing.append(f"{cls.__name__}.{field.name}")
            kinds = [hints[field.name]]
            while kinds:
                kind = kinds.pop()
                if isinstance(kind, type) and attrs.has(kind):
                    walk(kind)
                kinds.extend(typing.get_args(kind))

    walk(Policy)
    assert len(seen) > 10 and not missing, missing


def test_each_bundled_version_is_found_on_its_own() -> None:
    """``case show`` reads the one preset version its case runs (``bundled_preset``), not every version bundled:
    each ``presets/vN/`` folder must hold version N, and the current file its own."""
    from adapters.policy_files import bundled_preset, preset_versions

    for name in PRESETS:
        versions = preset_versions(name)
        assert [bundled_preset(name, p.version) for p in versions] == list(versions)
        assert bundled_preset(name) == versions[-1] == load_preset(name)
        assert bundled_preset(name, versions[-1].version + 1) is None and bundled_preset(name, 0) is None


@pytest.fixture
def preset_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A package's ``presets`` folder to lay out by hand; the preset caches are emptied before and after."""
    caches = (load_preset, bundled_preset, preset_versions)
    for cached in caches:
        cached.cache_clear()
    folder = tmp_path / "presets"
    folder.mkdir()
    monkeypatch.setattr(policy_files, "resources", SimpleNamespace(files=lambda package: tmp_path))
    yield folder
    for cached in caches:
        cached.cache_clear()


FURNITURE = preset_text("furniture")


def write_furniture(path: Path, version: int) -> None:
    """The bundled furniture preset, saying it is ``version``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"version = {version}" if line.startswith("version = ") else line for line in FURNITURE.splitlines()]
    path.write_text("\n".join(lines), encoding="utf-8")


def test_earlier_preset_versions_are_read_from_v_folders_only(preset_folder: Path) -> None:
    """``presets/v<N>/NAME.toml`` holds version N; other folders and files are not versions."""
    write_furniture(preset_folder / "furniture.toml", 7)
    write_furniture(preset_folder / "v1" / "furniture.toml", 1)
    write_furniture(preset_folder / "old" / "furniture.toml", 2)  # not a version folder
    (preset_folder / "v2").write_text("a file, not a folder", encoding="utf-8")
    assert [p.version for p in preset_versions("furniture")] == [1, 7]
    assert bundled_preset("furniture", 2) is None
    assert bundled_preset("furniture", None) is bundled_preset("furniture", 7) is load_preset("furniture")


def test_a_version_folder_holding_another_version_is_refused(preset_folder: Path) -> None:
    write_furniture(preset_folder / "furniture.toml", 7)
    write_furniture(preset_folder / "v3" / "furniture.toml", 1)
    assert bundled_preset("furniture", 3) is None
    with pytest.raises(PolicyInvalid, match=r"presets/v3/furniture\.toml does not hold version 3"):
        preset_versions("furniture")
