"""Organisation files, TOML and CSV (DOMAIN §2): one error naming the file, the row and what is wrong."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from adapters.organisation_files import (
    TABLES,
    load_organisation,
    loads_organisation,
    organisation_from_dict,
)
from complaint_core.organisation import DepartmentKind, OrganisationInvalid

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

Tables = dict[str, list[dict[str, str]]]


def base() -> Tables:
    """A small company as CSV-like strings; writers below turn it into TOML or CSV."""
    return {
        "departments": [
            {"code": "sales", "name": "销售部", "kind": "sales"},
            {"code": "mfg", "name": "制造部", "kind": "manufacturing"},
        ],
        "units": [
            {"code": "SMT1", "name": "SMT一班", "department": "mfg"},
            {"code": "SMT2", "name": "SMT二班", "department": "mfg"},
        ],
        "people": [
            {"id": "E01", "name": "张伟", "department": "mfg", "basis_points": "5"},
            {
                "id": "E02",
                "name": "刘洋",
                "department": "mfg",
                "unit": "SMT1",
                "supervisor": "E01",
                "basis_points": "2",
            },
            {"id": "E03", "name": "王磊", "department": "sales", "supervisor": "E01", "basis_points": "3"},
        ],
        "bonuses": [
            {"person": "E01", "month": "2026-10", "amount": "2400.00"},
            {"person": "E02", "month": "2026-10", "amount": "800"},
        ],
    }


_TOML_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


def toml_text(tables: Tables) -> str:
    lines = []
    for table, rows in tables.items():
        for row in rows:
            lines.append(f"[[{table}]]")
            for key, value in row.items():
                raw = key == "basis_points" and _TOML_NUMBER.fullmatch(value)
                lines.append(f"{key} = {value}" if raw else f'{key} = "{value}"')
    return "\n".join(lines) + "\n"


def write_toml(tmp_path: Path, tables: Tables) -> Path:
    path = tmp_path / "org.toml"
    path.write_text(toml_text(tables), encoding="utf-8")
    return path


def csv_text(table: str, rows: list[dict[str, str]]) -> str:
    columns = TABLES[table].keys
    lines = [",".join(columns)] + [",".join(row.get(c, "") for c in columns) for row in rows]
    return "\n".join(lines) + "\n"


def write_csv(tmp_path: Path, tables: Tables) -> Path:
    directory = tmp_path / "org"
    directory.mkdir()
    for table, rows in tables.items():
        (directory / f"{table}.csv").write_text(csv_text(table, rows), encoding="utf-8")
    return directory


def refused(path: Path) -> OrganisationInvalid:
    with pytest.raises(OrganisationInvalid) as err:
        load_organisation(path)
    return err.value


# -- good files ---------------------------------------------------------------------------------------


def test_the_two_example_formats_describe_the_same_company() -> None:
    from_toml = load_organisation(EXAMPLES / "organisation.toml")
    from_csv = load_organisation(EXAMPLES / "organisation")
    assert from_toml == from_csv
    assert {d.code for d in from_toml.departments} == {"sales", "manufacturing", "quality", "gm_office"}


def test_the_example_company() -> None:
    o = load_organisation(str(EXAMPLES / "organisation.toml"))
    assert [u.name for u in o.units] == ["SMT一班", "SMT二班"]
    assert [(p.id, p.basis_points) for p in o.members_of_unit("SMT1")] == [("M02", 4), ("M03", 2), ("M04", 3)]
    assert o.department("manufacturing").kind is DepartmentKind.MANUFACTURING
    assert o.person("M03").supervisor == "M02" and o.person("GM01").supervisor is None
    assert o.bonus("S02", "2026-10") == Decimal("1600.00")
    assert o.bonus("Q02", "2026-11") == Decimal("1250.50")  # written as a TOML number
    assert o.bonus("M06", "2026-11") == Decimal("0.00")  # no November bonus
    assert {month for _, month in o.bonuses} == {"2026-10", "2026-11"}


@pytest.mark.parametrize("fmt", ["toml", "csv"])
def test_a_good_organisation_loads(tmp_path: Path, fmt: str) -> None:
    write = write_toml if fmt == "toml" else write_csv
    o = load_organisation(write(tmp_path, base()))
    assert o.person("E01").unit is None and o.person("E01").supervisor is None
    assert o.person("E02").unit == "SMT1" and o.person("E02").basis_points == 2
    assert o.bonus("E02", "2026-10") == Decimal("800.00") and str(o.bonus("E02", "2026-10")) == "800.00"
    assert all(isinstance(amount, Decimal) for amount in o.bonuses.values())


def test_toml_and_csv_of_the_same_tables_are_equal(tmp_path: Path) -> None:
    assert load_organisation(write_toml(tmp_path, base())) == load_organisation(write_csv(tmp_path, base()))


def test_units_and_bonuses_are_optional(tmp_path: Path) -> None:
    tables = base()
    del tables["units"], tables["bonuses"]
    del tables["people"][1]["unit"]
    assert load_organisation(write_toml(tmp_path, tables)).units == ()
    o = load_organisation(write_csv(tmp_path, tables))
    assert o.units == () and o.bonuses == {} and o.bonus("E01", "2026-10") == Decimal("0.00")


def test_toml_amounts_may_be_strings_integers_or_exact_numbers() -> None:
    text = toml_text({k: v for k, v in base().items() if k != "bonuses"})
    text += '[[bonuses]]\nperson = "E01"\nmonth = "2026-10"\namount = 1600\n'
    text += '[[bonuses]]\nperson = "E01"\nmonth = "2026-11"\namount = 0.1\n'
    text += '[[bonuses]]\nperson = "E02"\nmonth = "2026-11"\namount = "1600.5"\n'
    o = loads_organisation(text)
    assert o.bonus("E01", "2026-10") == Decimal("1600.00")
    assert str(o.bonus("E01", "2026-11")) == "0.10"  # read as Decimal("0.1"), never through a float
    assert str(o.bonus("E02", "2026-11")) == "1600.50"


def test_empty_optional_strings_mean_none_in_toml() -> None:
    text = toml_text(base()).replace('unit = "SMT1"', 'unit = ""')
    assert loads_organisation(text).person("E02").unit is None


def test_from_dict_refuses_floats_but_takes_decimals() -> None:
    data: dict[str, object] = {
        "departments": [{"code": "sales", "name": "销售部", "kind": "sales"}],
        "people": [{"id": "E01", "name": "王磊", "department": "sales", "basis_points": 1}],
        "bonuses": [{"person": "E01", "month": "2026-10", "amount": Decimal("12.5")}],
    }
    assert organisation_from_dict(data).bonus("E01", "2026-10") == Decimal("12.50")
    data["bonuses"] = [{"person": "E01", "month": "2026-10", "amount": 12.5}]
    with pytest.raises(OrganisationInvalid, match="not a float") as err:
        organisation_from_dict(data, "payroll.json")
    assert err.value.row == "bonuses[0] (person E01, month 2026-10)" and "payroll.json" in str(err.value)


# -- CSV details --------------------------------------------------------------------------------------


def test_csv_with_bom_crlf_spaces_and_excel_leftovers(tmp_path: Path) -> None:
    directory = write_csv(tmp_path, base())
    people = "\r\n".join(
        [
            "id , name ,department,unit,supervisor,basis_points,,",  # Excel keeps empty trailing columns
            "E01, 张伟 ,mfg,,,5,,",
            ",,,,,,,",  # an empty row
            "E02,刘洋,mfg,SMT1,E01, 2 ",
            "E03,王磊,sales,,E01,3",
            "",
        ]
    )
    (directory / "people.csv").write_bytes(b"\xef\xbb\xbf" + people.encode("utf-8"))
    (directory / "departments.csv").write_bytes(
        b"\xef\xbb\xbf" + csv_text("departments", base()["departments"]).encode()
    )
    assert load_organisation(directory) == load_organisation(write_toml(tmp_path, base()))


def test_csv_line_numbers_count_blank_lines_and_multi_line_cells(tmp_path: Path) -> None:
    directory = write_csv(tmp_path, base())
    people = (
        "id,name,department,unit,supervisor,basis_points\n"
        '\nE01,"张伟\n(manager)",mfg,,,5\n'  # line 2 blank, the record spans lines 3-4
        "E02,刘洋,mfg,SMT1,E99,2\n"  # line 5
    )
    (directory / "people.csv").write_text(people, encoding="utf-8")
    err = refused(directory)
    assert err.row == "people.csv line 5 (id E02)" and "unknown supervisor 'E99'" in str(err)


def test_csv_unknown_column(tmp_path: Path) -> None:
    directory = write_csv(tmp_path, base())
    (directory / "people.csv").write_text("id,name,department,title,basis_points\nE01,张伟,mfg,经理,5\n")
    err = refused(directory)
    assert err.row == "people.csv line 1" and "unknown column 'title'" in str(err) and str(directory) in str(err)


def test_csv_missing_required_column(tmp_path: Path) -> None:
    directory = write_csv(tmp_path, base())
    (directory / "people.csv").write_text("id,name,department\nE01,张伟,mfg\n")
    err = refused(directory)
    assert err.row == "people.csv line 1" and "missing required column 'basis_points'" in str(err)


def test_csv_duplicate_column(tmp_path: Path) -> None:
    directory = write_csv(tmp_path, base())
    (directory / "units.csv").write_text("code,name,department,code\n")
    err = refused(directory)
    assert err.row == "units.csv line 1" and "'code' appears twice" in str(err)


def test_csv_semicolons_get_a_hint(tmp_path: Path) -> None:
    directory = write_csv(tmp_path, base())
    (directory / "units.csv").write_text("code;name;department\nSMT1;SMT一班;mfg\n")
    assert "comma-separated" in str(refused(directory))


def test_csv_empty_required_cell(tmp_path: Path) -> None:
    tables = base()
    tables["people"][2]["name"] = ""
    err = refused(write_csv(tmp_path, tables))
    assert err.row == "people.csv line 4 (id E03)" and "name is required but the cell is empty" in str(err)


def test_csv_value_outside_the_header(tmp_path: Path) -> None:
    directory = write_csv(tmp_path, base())
    (directory / "units.csv").write_text("code,name,department\nSMT1,SMT一班,mfg,extra\n")
    err = refused(directory)
    assert err.row == "units.csv line 2 (code SMT1)" and "('extra') in column 4" in str(err)


def test_csv_not_utf8(tmp_path: Path) -> None:
    directory = write_csv(tmp_path, base())
    (directory / "departments.csv").write_bytes("code,name,kind\nsales,销售部,sales\n".encode("gbk"))
    err = refused(directory)
    assert err.row == "departments.csv line 2" and "UTF-8" in str(err)


def test_csv_empty_file(tmp_path: Path) -> None:
    directory = write_csv(tmp_path, base())
    (directory / "bonuses.csv").write_text("")
    err = refused(directory)
    assert err.row == "bonuses.csv" and "header" in str(err)


def test_csv_missing_required_file(tmp_path: Path) -> None:
    tables = base()
    del tables["people"]
    err = refused(write_csv(tmp_path, tables))
    assert err.row == "people.csv" and "no such file; a CSV organisation needs" in str(err)


def test_csv_unknown_file_is_an_error(tmp_path: Path) -> None:
    directory = write_csv(tmp_path, base())
    (directory / "bonuses.csv").rename(directory / "bonus.csv")
    (directory / "README.txt").write_text("not a table")  # other files are ignored
    err = refused(directory)
    assert err.row == "bonus.csv" and "unknown file" in str(err)


# -- TOML details -------------------------------------------------------------------------------------


def toml_refused(text: str, source: str = "org.toml") -> OrganisationInvalid:
    with pytest.raises(OrganisationInvalid) as err:
        loads_organisation(text, source)
    assert source in str(err.value)
    return err.value


def test_toml_unknown_key() -> None:
    err = toml_refused(toml_text(base()).replace('id = "E02"', 'id = "E02"\ntitle = "班长"'))
    assert err.row == "people[1] (id E02)" and "unknown key 'title'" in str(err)


def test_toml_unknown_table() -> None:
    err = toml_refused(toml_text(base()) + '[[roles]]\ncode = "gm"\n')
    assert err.row == "roles" and "unknown table 'roles'" in str(err)


def test_toml_missing_required_key() -> None:
    err = toml_refused(toml_text(base()).replace("basis_points = 3", ""))
    assert err.row == "people[2] (id E03)" and "missing required key 'basis_points'" in str(err)


def test_toml_missing_required_table() -> None:
    tables = base()
    del tables["departments"]
    err = toml_refused(toml_text(tables))
    assert err.row == "departments" and "missing required table" in str(err)


@pytest.mark.parametrize(
    ("value", "described"), [("2.5", "a number (2.5)"), ('"3"', "a string ('3')"), ("true", "a boolean")]
)
def test_toml_basis_points_must_be_an_integer(value: str, described: str) -> None:
    err = toml_refused(toml_text(base()).replace("basis_points = 2", f"basis_points = {value}"))
    assert err.row == "people[1] (id E02)" and f"must be a whole number, not {described}" in str(err)


def test_toml_strings_must_be_strings() -> None:
    err = toml_refused(toml_text(base()).replace('id = "E03"', "id = 3"))
    assert err.row == "people[2]" and "id must be a string, not an integer (3)" in str(err)


def test_toml_required_string_must_not_be_empty() -> None:
    err = toml_refused(toml_text(base()).replace('name = "王磊"', 'name = ""'))
    assert err.row == "people[2] (id E03)" and "name must not be empty" in str(err)


def test_toml_month_written_as_a_date() -> None:
    err = toml_refused(toml_text(base()).replace('month = "2026-10"', "month = 2026-10-01", 1))
    assert err.row == "bonuses[0] (person E01)" and "YYYY-MM" in str(err)


@pytest.mark.parametrize("amount", ["true", "nan", "inf", '"-inf"', "[1]"])
def test_toml_odd_amounts(amount: str) -> None:
    err = toml_refused(toml_text(base()).replace('amount = "800"', f"amount = {amount}"))
    assert err.row == "bonuses[1] (person E02, month 2026-10)"


def test_toml_table_shapes() -> None:
    assert toml_refused('people = "E01"\n[[departments]]\ncode="a"\n').row == "people"
    assert toml_refused("departments = [1]\npeople = []\n").row == "departments[0]"


def test_not_toml() -> None:
    assert "not valid TOML" in str(toml_refused("[[people]\n"))


def test_toml_file_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "org.toml"
    path.write_bytes(b"\xef\xbb\xbf" + toml_text(base()).encode("utf-8"))
    assert load_organisation(path) == load_organisation(write_csv(tmp_path, base()))


# -- paths --------------------------------------------------------------------------------------------


def test_missing_file_or_directory(tmp_path: Path) -> None:
    err = refused(tmp_path / "none.toml")
    assert "cannot read organisation file" in str(err) and "none.toml" in str(err)
    err = refused(tmp_path / "no-such-dir")
    assert "no such file or directory" in str(err)


def test_neither_a_directory_nor_toml(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("id\n")
    assert "neither a directory" in str(refused(path))


# -- the same mistakes in both formats name the same row ----------------------------------------------

Change = Callable[[Tables], None]


def _set(table: str, index: int, **values: str) -> Change:
    def change(tables: Tables) -> None:
        tables[table][index].update(values)

    return change


def _append(table: str, **values: str) -> Change:
    def change(tables: Tables) -> None:
        tables[table].append(values)

    return change


# (change, table, index, identity, message fragment); TOML row "people[2] (id E03)" = CSV "people.csv line 4 (id E03)"
CASES: dict[str, tuple[Change, str, int, str, str]] = {
    "unknown supervisor": (_set("people", 2, supervisor="E99"), "people", 2, "id E03", "unknown supervisor 'E99'"),
    "supervisor cycle": (_set("people", 0, supervisor="E02"), "people", 0, "id E01", "loops back to 'E01'"),
    "listed twice (two units)": (
        _append("people", id="E02", name="刘洋", department="mfg", unit="SMT2", basis_points="2"),
        "people",
        3,
        "id E02",
        "listed twice (a person may belong to one unit only)",
    ),
    "unit in another department": (
        _set("people", 2, unit="SMT1"),
        "people",
        2,
        "id E03",
        "unit 'SMT1' belongs to 'mfg', not 'sales'",
    ),
    "unknown unit": (_set("people", 1, unit="SMT9"), "people", 1, "id E02", "unknown unit 'SMT9'"),
    "unknown department": (_set("people", 2, department="hr"), "people", 2, "id E03", "unknown department 'hr'"),
    "unit of unknown department": (
        _set("units", 1, department="hr"),
        "units",
        1,
        "code SMT2",
        "unknown department 'hr'",
    ),
    "department listed twice": (
        _append("departments", code="sales", name="二部", kind="sales"),
        "departments",
        2,
        "code sales",
        "listed twice",
    ),
    "unknown kind": (_set("departments", 1, kind="factory"), "departments", 1, "code mfg", "kind 'factory' is not"),
    "negative basis points": (
        _set("people", 1, basis_points="-2"),
        "people",
        1,
        "id E02",
        "basis points cannot be negative (-2)",
    ),
    "non-integer basis points": (
        _set("people", 1, basis_points="two"),
        "people",
        1,
        "id E02",
        "basis_points must be a whole number",
    ),
    "negative bonus": (
        _set("bonuses", 1, amount="-5.00"),
        "bonuses",
        1,
        "person E02, month 2026-10",
        "a bonus cannot be negative (-5.00)",
    ),
    "bonus of unknown person": (
        _set("bonuses", 1, person="E99"),
        "bonuses",
        1,
        "person E99, month 2026-10",
        "unknown person 'E99'",
    ),
    "bad month": (
        _set("bonuses", 0, month="2026-13"),
        "bonuses",
        0,
        "person E01, month 2026-13",
        "month '2026-13' is not YYYY-MM",
    ),
    "bad month format": (
        _set("bonuses", 0, month="2026/10"),
        "bonuses",
        0,
        "person E01, month 2026/10",
        "is not YYYY-MM",
    ),
    "full-width month": (
        _set("bonuses", 0, month="２０２６-１０"),
        "bonuses",
        0,
        "person E01, month ２０２６-１０",
        "is not YYYY-MM",
    ),
    "amount with three places": (
        _set("bonuses", 0, amount="1600.005"),
        "bonuses",
        0,
        "person E01, month 2026-10",
        "more than two decimal places",
    ),
    "amount with a thousands separator": (
        _set("bonuses", 0, amount="1，600.00"),
        "bonuses",
        0,
        "person E01, month 2026-10",
        "is not an amount in yuan",
    ),
    "amount in exponent form": (
        _set("bonuses", 0, amount="1e3"),
        "bonuses",
        0,
        "person E01, month 2026-10",
        "is not an amount in yuan",
    ),
    "bonus listed twice": (
        _append("bonuses", person="E01", month="2026-10", amount="1.00"),
        "bonuses",
        2,
        "person E01, month 2026-10",
        "listed twice",
    ),
}


@pytest.mark.parametrize("fmt", ["toml", "csv"])
@pytest.mark.parametrize("case", list(CASES))
def test_each_mistake_names_its_row(tmp_path: Path, fmt: str, case: str) -> None:
    change, table, index, identity, fragment = CASES[case]
    tables = base()
    change(tables)
    if fmt == "toml":
        path, row = write_toml(tmp_path, tables), f"{table}[{index}] ({identity})"
    else:
        path, row = write_csv(tmp_path, tables), f"{table}.csv line {index + 2} ({identity})"
    err = refused(path)
    assert err.row == row
    assert fragment in str(err)
    assert str(path) in str(err)  # the file (TOML) or the directory (CSV)
    assert err.rule == "ORG"


def test_the_first_mistake_wins(tmp_path: Path) -> None:
    tables = base()
    tables["people"][1]["supervisor"] = "E98"
    tables["people"][2]["supervisor"] = "E99"
    assert refused(write_csv(tmp_path, tables)).row == "people.csv line 3 (id E02)"


# -- more of what each reader checks ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "row", "says"),
    [
        ('code = "sales"', 'code = "sales"\nhead = "E01"', "departments[0] (code sales)", "unknown key 'head'"),
        ('code = "SMT1"', 'code = "SMT1"\nshift = "night"', "units[0] (code SMT1)", "unknown key 'shift'"),
        ('amount = "800"', 'amount = "800"\ncurrency = "CNY"', "bonuses[1] (person E02, month 2026-10)", "'currency'"),
        ('id = "E03"', 'id = "   "', "people[2]", "id must not be empty"),  # blank: no identity to show
        ("basis_points = 3", 'basis_points = ""', "people[2] (id E03)", "basis_points must not be empty"),
        ('amount = "800"', 'person2 = ""', "bonuses[1] (person E02, month 2026-10)", "unknown key 'person2'"),
        ('month = "2026-10"', 'month = "2026-13"', "bonuses[0] (person E01, month 2026-13)", "(for example 2026-10)"),
        ('amount = "800"', "amount = true", "bonuses[1] (person E02, month 2026-10)", "not a boolean (True) (in"),
        ('amount = "800"', "amount = [1]", "bonuses[1] (person E02, month 2026-10)", "not an array (in"),
    ],
)
def test_toml_rows_refused_by_their_reader(old: str, new: str, row: str, says: str) -> None:
    err = toml_refused(toml_text(base()).replace(old, new, 1))
    assert err.row == row and says in str(err), str(err)


def test_a_bonus_needs_its_amount() -> None:
    tables = base()
    del tables["bonuses"][1]["amount"]
    err = toml_refused(toml_text(tables))
    assert err.row == "bonuses[1] (person E02, month 2026-10)" and "missing required key 'amount'" in str(err)


def test_values_are_stripped_and_amounts_quoted_as_written() -> None:
    text = toml_text(base()).replace('name = "王磊"', 'name = " 王磊 "').replace('amount = "800"', 'amount = " 800 "')
    org = loads_organisation(text)
    assert (org.person("E03").name, org.bonus("E02", "2026-10")) == ("王磊", Decimal("800.00"))
    data = {
        "departments": [{"code": "sales", "name": "销售部", "kind": "sales"}],
        "people": [{"id": "E01", "name": "王磊", "department": "sales", "basis_points": 1}],
        "bonuses": [{"person": "E01", "month": "2026-10", "amount": Decimal("1.005")}],
    }
    with pytest.raises(OrganisationInvalid, match=r"'1\.005'") as err:
        organisation_from_dict(data)
    assert "Decimal(" not in str(err.value)


def test_from_dict_needs_a_table_of_tables() -> None:
    with pytest.raises(OrganisationInvalid, match="expected a table of tables, not an array"):
        organisation_from_dict([base()])  # type: ignore[arg-type]


def test_a_core_error_names_the_file_row_once(tmp_path: Path) -> None:
    """The core names the row by index (``people[2] (id E03)``); a CSV error names the line instead, and only it."""
    tables = base()
    tables["people"][2]["supervisor"] = "E99"
    err = refused(write_csv(tmp_path, tables))
    assert err.row == "people.csv line 4 (id E03)"
    assert str(err).startswith("[ORG] people.csv line 4 (id E03): unknown supervisor 'E99' (in ")


def test_csv_header_mistakes_say_where(tmp_path: Path) -> None:
    directory = write_csv(tmp_path, base())
    (directory / "units.csv").write_text("code,name,department,code\n")
    assert "(columns 1 and 4)" in str(refused(directory))
    (directory / "units.csv").write_text("code\tname\tdepartment\nSMT1\tSMT一班\tmfg\n")
    assert "(the file must be comma-separated)" in str(refused(directory))
    (directory / "units.csv").write_text("code,name,department\nSMT1,SMT一班,mfg,extra\n")
    assert "but the header has 3 columns" in str(refused(directory))
    (directory / "units.csv").write_text("code,name,department,\nSMT1,SMT一班,mfg,x\n")
    err = refused(directory)
    assert err.row == "units.csv line 2 (code SMT1)"
    assert "('x') in column 4, but it has no name in the header" in str(err)
    (directory / "units.csv").write_text("code,name,department,shift\n")
    assert "unknown column 'shift' (columns: " in str(refused(directory))  # no separator hint here


def test_csv_cells_of_spaces_are_empty_and_folders_are_not_files(tmp_path: Path) -> None:
    directory = write_csv(tmp_path, base())
    (directory / "old.csv").mkdir()  # a folder named like a file is not an unknown file
    units = csv_text("units", base()["units"]).replace("SMT二班,mfg", "SMT二班,mfg,   ")
    (directory / "units.csv").write_text(units)
    assert load_organisation(directory) == load_organisation(write_toml(tmp_path, base()))


def test_csv_that_the_csv_module_refuses(tmp_path: Path) -> None:
    """A cell beyond the csv module's field limit (a binary file saved as .csv, say)."""
    directory = write_csv(tmp_path, base())
    (directory / "units.csv").write_text("code,name,department\nSMT1," + "x" * 200_000 + ",mfg\n")
    err = refused(directory)
    assert err.row == "units.csv line 2" and "is not valid CSV" in str(err)
