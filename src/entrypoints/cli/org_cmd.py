"""``complaint org import FILE`` / ``org show``: the organisation (departments, group units, people).

The file (TOML, docs/organisation.md) is validated by the same loader as
everywhere else and stored as a new version of the ``organisation`` document.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .context import area, settings_of
from .options import read_text_file
from .output import Texts, emit, table

if TYPE_CHECKING:
    from rich.console import Console

    from complaint_core.organisation import Organisation

TEXT = Texts(
    {
        "imported": (
            "已导入组织架构 v{version}:{departments} 个部门,{units} 个班组,{people} 人",
            "organisation v{version} imported: {departments} departments, {units} units, {people} people",
        ),
        "departments": ("部门", "Departments"),
        "units": ("班组", "Group units"),
        "people": ("人员", "People"),
        "code": ("代码", "code"),
        "name": ("名称", "name"),
        "kind": ("类型", "kind"),
        "department": ("部门", "department"),
        "unit": ("班组", "unit"),
        "supervisor": ("上级", "supervisor"),
        "basis_points": ("基点数", "basis points"),
    }
)

FileArg = Annotated[
    Path,
    typer.Argument(metavar="PATH", help="Organisation TOML file, or a directory of CSV files (docs/organisation.md)."),
]


def organisation_json(org: Organisation) -> dict[str, Any]:
    return {
        "departments": [{"code": d.code, "name": d.name, "kind": d.kind.value} for d in org.departments],
        "units": [{"code": u.code, "name": u.name, "department": u.department} for u in org.units],
        "people": [
            {
                "id": p.id,
                "name": p.name,
                "department": p.department,
                "unit": p.unit,
                "supervisor": p.supervisor,
                "basis_points": p.basis_points,
            }
            for p in org.people
        ],
    }


def import_org(ctx: typer.Context, file: FileArg) -> None:
    """Validate an organisation (a TOML file or a directory of CSV files) and store it as the current one.

    A TOML file is stored as written; CSV files are stored as the equivalent TOML.
    """
    from adapters.organisation_files import dumps_organisation, load_organisation, loads_organisation

    from .appctx import app_language, open_for

    settings = settings_of(ctx)
    if file.is_dir():
        org = load_organisation(file)
        source = dumps_organisation(org, comment=f"Imported from the CSV files in {file.name}/ (docs/organisation.md)")
    else:
        source = read_text_file(file, "'PATH'")
        org = loads_organisation(source, str(file))
    app = open_for(ctx)
    version = app.import_organisation(org, text=source, source=str(file))
    doc = {"version": version, "file": str(file), **organisation_json(org)}
    counts = {"departments": len(org.departments), "units": len(org.units), "people": len(org.people)}
    message = TEXT("imported", app_language(ctx, app), version=version, **counts)
    emit(settings, doc, lambda console: console.print(message, markup=False, highlight=False))


def show(ctx: typer.Context) -> None:
    """The stored organisation (exit 3 if none was imported)."""
    from complaint_core.organisation import DEPARTMENT_KIND_LABELS, DepartmentKind

    from .appctx import app_language, open_for

    settings = settings_of(ctx)
    app = open_for(ctx)
    doc = organisation_json(app.organisation.get())
    lang = app_language(ctx, app)

    def human(console: Console) -> None:
        def cols(*keys: str) -> list[str]:
            return [TEXT(k, lang) for k in keys]

        kinds = [DEPARTMENT_KIND_LABELS[DepartmentKind(d["kind"])](lang) for d in doc["departments"]]
        departments = [(d["code"], d["name"], kind) for d, kind in zip(doc["departments"], kinds, strict=True)]
        console.print(table(TEXT("departments", lang), cols("code", "name", "kind"), departments))
        console.print(
            table(TEXT("units", lang), cols("code", "name", "department"), [tuple(u.values()) for u in doc["units"]])
        )
        keys = ("code", "name", "department", "unit", "supervisor", "basis_points")
        console.print(table(TEXT("people", lang), cols(*keys), [tuple(p.values()) for p in doc["people"]]))

    emit(settings, doc, human)


def build() -> typer.Typer:
    app = area("org", "The organisation: departments, group units, people. | 组织架构。")
    app.command("import")(import_org)
    app.command("show")(show)
    return app
