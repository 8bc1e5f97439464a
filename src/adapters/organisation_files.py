"""Organisation files: one TOML file or a directory of CSV files (DOMAIN §2 Organisation).

Both formats hold the same four tables with the same keys: departments, group
units (班组), people and monthly bonuses (效益奖金). docs/organisation.md
documents them. A bad file gives one ``OrganisationInvalid`` whose ``row`` names
the file and the row (``people.csv line 4 (id E07)`` for CSV, ``people[2] (id
E07)`` for TOML) and whose message says what is wrong. The checks the core
makes (unknown department, unit or supervisor, a supervisor cycle, a person
listed twice, negative basis points or bonuses) are reported against the same
rows. Money is read as ``Decimal`` yuan with at most two places; floats never
touch it.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from complaint_core.errors import MoneyError
from complaint_core.money import yuan
from complaint_core.organisation import (
    Department,
    DepartmentKind,
    GroupUnit,
    Organisation,
    OrganisationInvalid,
    Person,
)
from complaint_core.timeutil import is_month

from .text_formats import loads_toml

__all__ = [
    "CSV_FILES",
    "TABLES",
    "dumps_organisation",
    "load_organisation",
    "loads_organisation",
    "organisation_from_dict",
]


@attrs.frozen
class _Table:
    name: str
    keys: tuple[str, ...]  # in the documented column order
    optional: tuple[str, ...]
    # the keys that identify a row in error messages: ("id",) gives "(id E07)"
    identity: tuple[str, ...]
    # a CSV directory must have this table's file; a TOML file must have the table
    mandatory: bool

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(k for k in self.keys if k not in self.optional)

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"


_TABLES = (
    _Table("departments", ("code", "name", "kind"), (), ("code",), mandatory=True),
    _Table("units", ("code", "name", "department"), (), ("code",), mandatory=False),
    _Table(
        "people",
        ("id", "name", "department", "unit", "supervisor", "basis_points"),
        ("unit", "supervisor"),
        ("id",),
        mandatory=True,
    ),
    _Table("bonuses", ("person", "month", "amount"), (), ("person", "month"), mandatory=False),
)
TABLES: Mapping[str, _Table] = {t.name: t for t in _TABLES}
CSV_FILES = tuple(t.file_name for t in _TABLES)

_INTEGER = re.compile(r"[+-]?[0-9]+")
_AMOUNT = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")
_CORE_ROW = re.compile(r"(departments|units|people)\[([0-9]+)\]")
_UNPRINTABLE = re.compile("[\x00-\x08\x0a-\x1f\x7f\ud800-\udfff]")  # not allowed in a TOML comment, or not UTF-8


@attrs.frozen
class _Row:
    """One record as read, before conversion: where it is and its non-empty values."""

    table: _Table
    where: str  # "people[3]" (TOML, dict) or "people.csv line 5" (CSV)
    values: Mapping[str, Any]
    from_csv: bool

    @property
    def label(self) -> str:
        parts = []
        for key in self.table.identity:
            value = self.values.get(key)
            if isinstance(value, str) and value.strip():
                parts.append(f"{key} {value.strip()}")
        return f"{self.where} ({', '.join(parts)})" if parts else self.where


class _Reader:
    """Converts rows to domain values; every error names the row and the source."""

    def __init__(self, source: str) -> None:
        self.source = source

    def error(self, row: _Row | str, message: str, *, rule: str | None = None) -> OrganisationInvalid:
        where = row.label if isinstance(row, _Row) else row
        return OrganisationInvalid(where, f"{message} (in {self.source})", rule=rule)

    # -- fields -------------------------------------------------------------------------------------

    def text(self, row: _Row, key: str) -> str | None:
        """A string value, stripped; ``None`` when absent or empty and optional."""
        value = row.values.get(key)
        required = key in row.table.required
        if value is not None and not isinstance(value, str):
            raise self.error(row, f"{key} must be a string, not {_describe(value)}")
        value = value.strip() if value is not None else None
        if value:
            return value
        if not required:
            return None
        if row.from_csv:
            raise self.error(row, f"{key} is required but the cell is empty")
        if value is None:
            raise self.error(row, f"missing required key {key!r}")
        raise self.error(row, f"{key} must not be empty")

    def required(self, row: _Row, key: str) -> str:
        value = self.text(row, key)
        assert value is not None  # text() raises for a missing required key
        return value

    def integer(self, row: _Row, key: str) -> int:
        value = row.values.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            self.text(row, key)  # raises the "required" error
        if isinstance(value, str) and row.from_csv:
            if not _INTEGER.fullmatch(value.strip()):
                raise self.error(row, f"{key} must be a whole number, not {value.strip()!r}")
            return int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(row, f"{key} must be a whole number, not {_describe(value)}")
        return value

    def kind(self, row: _Row) -> DepartmentKind:
        value = self.required(row, "kind")
        try:
            return DepartmentKind(value)
        except ValueError:
            kinds = ", ".join(k.value for k in DepartmentKind)
            raise self.error(row, f"kind {value!r} is not one of {kinds}") from None

    def month(self, row: _Row) -> str:
        value = row.values.get("month")
        if isinstance(value, date | datetime | time):
            raise self.error(row, f'month must be a string "YYYY-MM", not {_describe(value)}')
        month = self.required(row, "month")
        if not is_month(month):
            raise self.error(row, f"month {month!r} is not YYYY-MM (for example 2026-10)")
        return month

    def amount(self, row: _Row) -> Decimal:
        value = row.values.get("amount")
        if isinstance(value, str) or value is None:
            text = self.required(row, "amount")
            if not _AMOUNT.fullmatch(text):
                raise self.error(row, f"amount {text!r} is not an amount in yuan such as 1600.00")
            value = text
        elif isinstance(value, float):
            raise self.error(row, f'amount must be a string or an integer, not a float ({value!r}); write "{value}"')
        elif isinstance(value, bool) or not isinstance(value, int | Decimal):
            raise self.error(row, f"amount must be a string or a number, not {_describe(value)}")
        try:
            return yuan(value if isinstance(value, int) else str(value))  # str: errors quote '1.005', not Decimal(...)
        except MoneyError as exc:
            raise self.error(row, exc.message) from None

    # -- records ------------------------------------------------------------------------------------

    def check_keys(self, row: _Row) -> None:
        for key in row.values:
            if key not in row.table.keys:
                raise self.error(row, f"unknown key {key!r} (keys: {', '.join(row.table.keys)})")

    def department(self, row: _Row) -> Department:
        self.check_keys(row)
        return Department(self.required(row, "code"), self.required(row, "name"), self.kind(row))

    def unit(self, row: _Row) -> GroupUnit:
        self.check_keys(row)
        return GroupUnit(self.required(row, "code"), self.required(row, "name"), self.required(row, "department"))

    def person(self, row: _Row) -> Person:
        self.check_keys(row)
        return Person(
            id=self.required(row, "id"),
            name=self.required(row, "name"),
            department=self.required(row, "department"),
            unit=self.text(row, "unit"),
            supervisor=self.text(row, "supervisor"),
            basis_points=self.integer(row, "basis_points"),
        )

    def organisation(self, rows: Mapping[str, Sequence[_Row]]) -> Organisation:
        departments = tuple(self.department(r) for r in rows.get("departments", ()))
        units = tuple(self.unit(r) for r in rows.get("units", ()))
        people = tuple(self.person(r) for r in rows.get("people", ()))
        bonuses: dict[tuple[str, str], Decimal] = {}
        bonus_rows: dict[tuple[str, str], _Row] = {}
        for row in rows.get("bonuses", ()):
            self.check_keys(row)
            key = (self.required(row, "person"), self.month(row))
            amount = self.amount(row)
            if key in bonus_rows:
                raise self.error(row, f"listed twice (the same person and month as {bonus_rows[key].where})")
            bonuses[key] = amount
            bonus_rows[key] = row
        try:
            return Organisation(departments=departments, units=units, people=people, bonuses=bonuses)
        except OrganisationInvalid as exc:
            raise self.remap(exc, rows, bonus_rows) from None

    def remap(
        self, exc: OrganisationInvalid, rows: Mapping[str, Sequence[_Row]], bonus_rows: Mapping[tuple[str, str], _Row]
    ) -> OrganisationInvalid:
        """The core names rows by index (``people[3] (id E07)``); name the file row instead."""
        message = exc.message.removeprefix(f"{exc.row}: ") if exc.row else exc.message
        where: _Row | str = exc.row
        match = _CORE_ROW.match(exc.row)
        if match is not None:
            table, index = rows.get(match.group(1), ()), int(match.group(2))
            if index < len(table):
                where = table[index]
        else:
            for (person, month), row in bonus_rows.items():
                if exc.row == f"bonuses ({person}, {month})":
                    where = row
                    break
        return self.error(where, message, rule=exc.rule)


def _describe(value: object) -> str:
    kinds: tuple[tuple[type | tuple[type, ...], str], ...] = (
        (bool, "a boolean"),
        (int, "an integer"),
        ((float, Decimal), "a number"),
        (str, "a string"),
        ((datetime, date, time), "a date or time"),
        (list, "an array"),
        (dict, "a table"),
    )
    for kind, name in kinds:
        if isinstance(value, kind):
            if isinstance(value, list | dict):
                return name
            return f"{name} ({value!r})" if isinstance(value, str) else f"{name} ({value})"
    return type(value).__name__


# -- TOML and mappings --------------------------------------------------------------------------------


def organisation_from_dict(data: Mapping[str, Any], source: str = "organisation") -> Organisation:
    """An organisation from an already-parsed mapping (TOML, or JSON parsed with ``parse_float=Decimal``).

    Tables are lists of mappings; rows are named ``people[3] (id E07)`` (indices from 0).
    Amounts may be strings, integers or Decimals, never floats.
    """
    reader = _Reader(source)
    if not isinstance(data, Mapping):
        raise reader.error("", f"expected a table of tables, not {_describe(data)}")
    for key in data:
        if key not in TABLES:
            raise reader.error(str(key), f"unknown table {key!r} (tables: {', '.join(TABLES)})")
    rows: dict[str, list[_Row]] = {}
    for table in _TABLES:
        if table.name not in data:
            if table.mandatory:
                raise reader.error(table.name, f"missing required table [[{table.name}]]")
            continue
        items = data[table.name]
        if not isinstance(items, list | tuple):
            raise reader.error(table.name, f"must be an array of tables ([[{table.name}]]), not {_describe(items)}")
        rows[table.name] = []
        for index, item in enumerate(items):
            where = f"{table.name}[{index}]"
            if not isinstance(item, Mapping):
                raise reader.error(where, f"must be a table, not {_describe(item)}")
            rows[table.name].append(_Row(table, where, dict(item), from_csv=False))
    return reader.organisation(rows)


def loads_organisation(text: str, source: str = "organisation") -> Organisation:
    """An organisation from TOML text; TOML floats are read as exact Decimals."""
    try:
        data = loads_toml(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise OrganisationInvalid("", f"{source} is not valid TOML: {exc}") from None
    return organisation_from_dict(data, source)


def dumps_organisation(org: Organisation, *, comment: str = "") -> str:
    """The organisation as TOML in the documented format; ``loads_organisation`` reads back an equal value.

    So an organisation read from CSV files can be stored, and shown, as one document.
    """
    lines = [f"# {_UNPRINTABLE.sub('?', line)}".rstrip() for line in comment.splitlines()]
    for d in org.departments:
        lines += [
            "",
            "[[departments]]",
            f"code = {_toml(d.code)}",
            f"name = {_toml(d.name)}",
            f"kind = {_toml(d.kind)}",
        ]
    for u in org.units:
        lines += ["", "[[units]]", f"code = {_toml(u.code)}", f"name = {_toml(u.name)}"]
        lines.append(f"department = {_toml(u.department)}")
    for p in org.people:
        lines += ["", "[[people]]", f"id = {_toml(p.id)}", f"name = {_toml(p.name)}"]
        lines.append(f"department = {_toml(p.department)}")
        lines += [f"{key} = {_toml(value)}" for key, value in (("unit", p.unit), ("supervisor", p.supervisor)) if value]
        lines.append(f"basis_points = {p.basis_points}")
    for (person, month), amount in org.bonuses.items():
        lines += [
            "",
            "[[bonuses]]",
            f"person = {_toml(person)}",
            f"month = {_toml(month)}",
            f"amount = {_toml(amount)}",
        ]
    return "\n".join(lines).lstrip("\n") + "\n"


def _toml(value: object) -> str:
    """A TOML basic string: JSON's escapes are TOML's, except that TOML also wants DEL escaped."""
    return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007f")


# -- CSV ----------------------------------------------------------------------------------------------


def _read_csv(path: Path, table: _Table, reader: _Reader) -> list[_Row]:
    name = path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise reader.error(name, f"cannot read {path}: {exc.strerror}") from None
    try:
        text = data.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a BOM
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise reader.error(
            f"{name} line {line}",
            'is not UTF-8 text (GBK?); save it as "CSV UTF-8" (CSV UTF-8（逗号分隔）) in Excel',
        ) from None
    lines = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    rows: list[_Row] = []
    end = 0
    try:
        for cells in lines:
            start, end = end + 1, lines.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if header is None:
                header = _check_header(cells, table, f"{name} line {start}", reader)
                continue
            rows.append(_csv_row(cells, header, table, f"{name} line {start}", reader))
    except csv.Error as exc:
        raise reader.error(f"{name} line {lines.line_num}", f"is not valid CSV: {exc}") from None
    if header is None:
        raise reader.error(name, f"is empty; the first line must be the header ({', '.join(table.keys)})")
    return rows


def _check_header(cells: list[str], table: _Table, where: str, reader: _Reader) -> list[str]:
    names = [cell.strip() for cell in cells]
    seen: dict[str, int] = {}
    for column, name in enumerate(names, start=1):
        if not name:
            continue
        if name in seen:
            raise reader.error(where, f"column {name!r} appears twice (columns {seen[name]} and {column})")
        if name not in table.keys:
            hint = " (the file must be comma-separated)" if ";" in name or "\t" in name else ""
            raise reader.error(where, f"unknown column {name!r}{hint} (columns: {', '.join(table.keys)})")
        seen[name] = column
    for key in table.required:
        if key not in seen:
            raise reader.error(where, f"missing required column {key!r} (required: {', '.join(table.required)})")
    return names


def _csv_row(cells: list[str], header: list[str], table: _Table, where: str, reader: _Reader) -> _Row:
    values: dict[str, str] = {}
    stray: list[tuple[int, str]] = []  # values beyond the header or under a column with no name
    for column, cell in enumerate(cells, start=1):
        cell = cell.strip()
        if not cell:
            continue
        if column > len(header) or not header[column - 1]:
            stray.append((column, cell))
        else:
            values[header[column - 1]] = cell
    row = _Row(table, where, values, from_csv=True)
    if stray:
        column, cell = stray[0]
        why = f"the header has {len(header)} columns" if column > len(header) else "it has no name in the header"
        raise reader.error(row, f"has a value ({cell!r}) in column {column}, but {why}")
    return row


def _load_csv_directory(directory: Path) -> Organisation:
    reader = _Reader(str(directory))
    present = {p.name for p in directory.iterdir() if p.is_file() and p.suffix.lower() == ".csv"}
    for name in sorted(present):
        if name not in CSV_FILES:
            raise reader.error(name, f"unknown file (expected {', '.join(CSV_FILES)})")
    rows: dict[str, list[_Row]] = {}
    for table in _TABLES:
        if table.file_name not in present:
            if table.mandatory:
                raise reader.error(
                    table.file_name, "no such file; a CSV organisation needs departments.csv and people.csv"
                )
            continue
        rows[table.name] = _read_csv(directory / table.file_name, table, reader)
    return reader.organisation(rows)


def load_organisation(path: Path | str) -> Organisation:
    """An organisation from a directory of CSV files or from a ``.toml`` file (docs/organisation.md)."""
    path = Path(path)
    if path.is_dir():
        return _load_csv_directory(path)
    if path.suffix.lower() == ".toml":
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except OSError as exc:
            raise OrganisationInvalid("", f"cannot read organisation file {path}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise OrganisationInvalid("", f"{path} is not UTF-8 text") from None
        return loads_organisation(text, str(path))
    if not path.exists():
        raise OrganisationInvalid("", f"cannot read organisation {path}: no such file or directory")
    raise OrganisationInvalid(
        "", f"{path} is neither a directory of CSV files ({', '.join(CSV_FILES)}) nor a .toml file"
    )
