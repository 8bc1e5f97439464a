"""``complaint bonus import FILE``: monthly efficiency bonuses (效益奖金) from a CSV ``person,month,amount``.

Each (person, month) is inserted or replaced. A bad row exits 2 naming the line;
nothing is stored unless every row is valid.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer

from .context import area, settings_of
from .options import parse_money, read_text_file
from .output import Texts, emit

TEXT = Texts({"imported": ("已导入 {count} 条奖金记录", "{count} bonus row(s) imported")})
COLUMNS = ("person", "month", "amount")  # as the organisation's bonuses.csv (docs/organisation.md)
HEADERS = (COLUMNS, ("person_id", "month", "amount"))  # the second, documented first, still reads

FileArg = Annotated[Path, typer.Argument(metavar="FILE", help="CSV with the header person,month,amount.")]


def parse_bonus_csv(text: str, source: str) -> list[tuple[int, tuple[str, str, Decimal]]]:
    """The rows of a bonus CSV with their line numbers; ``OrganisationInvalid`` (exit 2) naming the file and line
    of a bad one."""
    from complaint_core.organisation import OrganisationInvalid
    from complaint_core.timeutil import is_month

    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in next(reader, [])]
    if tuple(header) not in HEADERS:
        raise OrganisationInvalid(f"{source} line 1", f"the header must be {','.join(COLUMNS)}, got {','.join(header)}")
    rows: list[tuple[int, tuple[str, str, Decimal]]] = []
    lines: dict[tuple[str, str], int] = {}
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        where = f"{source} line {line}"
        if len(row) != 3:
            raise OrganisationInvalid(where, f"expected 3 columns, got {len(row)}")
        person, month, amount = (cell.strip() for cell in row)
        if not person:
            raise OrganisationInvalid(where, f"{header[0]} is empty")
        if not is_month(month):
            raise OrganisationInvalid(where, f"month {month!r} is not YYYY-MM")
        if (person, month) in lines:
            raise OrganisationInvalid(where, f"{person} {month} is listed twice (also on line {lines[person, month]})")
        lines[person, month] = line
        try:
            value = parse_money(amount)
        except ValueError as exc:
            raise OrganisationInvalid(where, f"amount: {exc}") from None
        rows.append((line, (person, month, value)))
    return rows


def import_bonuses(ctx: typer.Context, file: FileArg) -> None:
    """Store the bonuses of a CSV file (people must be in the stored organisation)."""
    from .appctx import app_language, open_for

    settings = settings_of(ctx)
    text = read_text_file(file, "'FILE'", hint='save it as "CSV UTF-8" in Excel')
    numbered = parse_bonus_csv(text, str(file))
    app = open_for(ctx)
    count = app.import_bonuses([(f"{file} line {line}", row) for line, row in numbered])
    rows = [row for _, row in numbered]
    doc = {
        "file": str(file),
        "count": count,
        "bonuses": [{"person": p, "month": m, "amount": f"{a:.2f}"} for p, m, a in rows],
    }
    message = TEXT("imported", app_language(ctx, app), count=count)
    emit(settings, doc, lambda console: console.print(message, markup=False, highlight=False))


def build() -> typer.Typer:
    app = area("bonus", "Monthly efficiency bonuses. | 效益奖金。")
    app.command("import")(import_bonuses)
    return app
