"""The root of ``complaint``: global options, the areas, and ``main()`` (the console script).

Adding an area is one line in ``AREAS``: a module with ``build() -> typer.Typer``
(made with ``context.area(name, help)``). Nothing is built at import time.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Annotated

import typer

from .context import DB_ENV, DEFAULT_DB, TYPER_OPTIONS, Lang, Settings
from .errors import HandledGroup

AREAS: tuple[str, ...] = (
    "entrypoints.cli.policy_cmd",
    "entrypoints.cli.calendar_cmd",
    "entrypoints.cli.init_cmd",
    "entrypoints.cli.db_cmd",
    "entrypoints.cli.org_cmd",
    "entrypoints.cli.bonus_cmd",
    "entrypoints.cli.case_cmd",
    "entrypoints.cli.sweep_cmd",
    "entrypoints.cli.penalty_cmd",
    "entrypoints.cli.ledger_cmd",
    "entrypoints.cli.returns_cmd",
    "entrypoints.cli.allowance_cmd",
    "entrypoints.cli.followup_cmd",
    "entrypoints.cli.report_cmd",
    "entrypoints.cli.demo_cmd",
    "entrypoints.cli.webhook_cmd",
    "entrypoints.cli.outbox_cmd",
    "entrypoints.cli.serve_cmd",
)

HELP = """Customer-complaint policy as code (投诉管理制度).

Exit codes: 0 ok, 1 unexpected, 2 usage or invalid input file, 3 not found, 4 rule violation,
5 concurrency conflict, 6 calendar not covered, 7 delivery failure (docs/cli.md).
"""


def root(
    ctx: typer.Context,
    db: Annotated[
        str, typer.Option("--db", envvar=DB_ENV, metavar="URL", help="Database URL or SQLite file.")
    ] = DEFAULT_DB,
    json: Annotated[bool, typer.Option("--json", help="Print exactly one JSON document on stdout.")] = False,
    lang: Annotated[
        Lang | None, typer.Option("--lang", help="Label language (default: the policy's, else zh).")
    ] = None,
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="Tracebacks for unexpected errors.")] = False,
) -> None:
    """Store the global options as the immutable ``Settings`` of this invocation."""
    ctx.obj = Settings(db=db, json=json, lang=None if lang is None else lang.value, verbose=verbose)


def build_app(areas: Sequence[str] = AREAS) -> typer.Typer:
    """The root app with one sub-app per area module (each module's ``build()``)."""
    app = typer.Typer(name="complaint", help=HELP, cls=HandledGroup, **TYPER_OPTIONS)
    app.callback()(root)
    for module in areas:
        app.add_typer(importlib.import_module(module).build())
    return app


def main(argv: Sequence[str] | None = None) -> None:
    """The ``complaint`` console script; exits with the documented code."""
    build_app()(args=list(argv) if argv is not None else None, prog_name="complaint")


if __name__ == "__main__":
    main()
