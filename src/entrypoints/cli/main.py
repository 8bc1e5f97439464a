"""The root of ``complaint``: global options, the areas, and ``main()`` (the console script).

Adding an area is one line in ``AREAS``: a module with ``build() -> typer.Typer``
(made with ``context.area(name, help)``), plus its name and help in ``AREA_INDEX``.
Nothing is built at import time, and ``main()`` builds only what the command line
names (``invoked``): ``complaint --help`` lists the areas from ``AREA_INDEX``
without importing them; ``complaint case show 1`` imports ``case_cmd`` alone and
makes only its ``show`` command (importing and making all eighteen areas costs
~150-250 ms); anything unrecognised, and shell completion, get every area.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from typing import Annotated

import typer
from typer.models import CommandInfo

from adapters.terminal_text import tolerate_encodings

from .context import ACTOR_ENV, ALLOW_FUTURE_ENV, DB_ENV, DEFAULT_DB, TYPER_OPTIONS, Lang, Settings, area
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
    "entrypoints.cli.duty_cmd",
    "entrypoints.cli.report_cmd",
    "entrypoints.cli.demo_cmd",
    "entrypoints.cli.webhook_cmd",
    "entrypoints.cli.outbox_cmd",
    "entrypoints.cli.serve_cmd",
)

# Each area's command name, module and help, so that ``complaint --help`` lists the areas without
# importing them; tests/integration/cli/test_startup.py checks all three against each module's build().
AREA_INDEX: dict[str, tuple[str, str]] = {
    "policy": (
        "entrypoints.cli.policy_cmd",
        "Policy presets and policy files: list, show, check. | 策略预设与策略文件。",
    ),
    "calendar": ("entrypoints.cli.calendar_cmd", "Working days and calendar coverage. | 工作日计算与日历覆盖范围。"),
    "init": ("entrypoints.cli.init_cmd", "Create the database and choose its policy. | 初始化数据库并选定制度。"),
    "db": ("entrypoints.cli.db_cmd", "The database schema. | 数据库结构。"),
    "org": ("entrypoints.cli.org_cmd", "The organisation: departments, group units, people. | 组织架构。"),
    "bonus": ("entrypoints.cli.bonus_cmd", "Monthly efficiency bonuses. | 效益奖金。"),
    "case": (
        "entrypoints.cli.case_cmd",
        "Complaint cases: intake, lifecycle, queries. | 投诉案件:受理、处理流程与查询。",
    ),
    "sweep": ("entrypoints.cli.sweep_cmd", "Run the escalation sweep (--dry-run: compute only). | 时限升级巡检。"),
    "penalty": (
        "entrypoints.cli.penalty_cmd",
        "Penalty assessments: assess, endorse, approve, withdraw, appeal, show. | 处罚建议、批示、核准、撤回与申诉。",
    ),
    "ledger": (
        "entrypoints.cli.ledger_cmd",
        "The bonus-deduction ledger: close, show, notice, sanctions. | 奖金扣款台账。",
    ),
    "return": (
        "entrypoints.cli.returns_cmd",
        "Returned goods: authorise, sign, receive, inspect, book, show. | 退货。",
    ),
    "allowance": ("entrypoints.cli.allowance_cmd", "Sales allowances: issue, sign, book, show. | 销货折让。"),
    "followup": ("entrypoints.cli.followup_cmd", "Follow-up visits: schedule, show, due, record. | 回访。"),
    "duty": ("entrypoints.cli.duty_cmd", "Periodic duties: open, done. | 周期性工作。"),
    "report": (
        "entrypoints.cli.report_cmd",
        "Reports: monthly, overdue, timeliness, improvements. | 月报、超期、时效稽核与改善对策。",
    ),
    "demo": ("entrypoints.cli.demo_cmd", "A simulated month ending in the HTML monthly report. | 演示。"),
    "webhook": ("entrypoints.cli.webhook_cmd", "Outbound webhook endpoints. | 出站 Webhook 端点。"),
    "outbox": ("entrypoints.cli.outbox_cmd", "Relay domain events to webhook endpoints. | 事件发件箱与投递。"),
    "serve": (
        "entrypoints.cli.serve_cmd",
        "Receive CRM webhooks on POST /webhooks/{source} (GET /healthz for probes).",
    ),
}
# Global options that take a value (the next argument, unless given as --db=URL).
_VALUE_OPTIONS = frozenset({"--db", "--lang"})
_FLAG_OPTIONS = frozenset({"--json", "-v", "--verbose"})

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
    allow_future: Annotated[
        bool,
        typer.Option(
            "--allow-future",
            envvar=ALLOW_FUTURE_ENV,
            help="Record at an --at later than now (a rehearsal on a scratch database); a case then refuses any "
            "step dated before it.",
        ),
    ] = False,
) -> None:
    """Store the global options as the immutable ``Settings`` of this invocation."""
    if not db.strip():  # else a blank --db would quietly fall back to ./complaints.db
        raise typer.BadParameter("a database URL or SQLite file is needed", param_hint="'--db'")
    if db != db.strip() or any(c < " " or c == "\x7f" for c in db):  # a CRLF env file's \r: a second database
        raise typer.BadParameter(
            f"{db!r} has a space at its ends or a control character: a new, empty database would be opened beside "
            "yours",
            param_hint="'--db' / COMPLAINT_DB",
        )
    ctx.obj = Settings(
        db=db, json=json, lang=None if lang is None else lang.value, verbose=verbose, allow_future=allow_future
    )


def build_index() -> typer.Typer:
    """The root app for ``complaint --help``: each area an empty sub-app with its name and help (no imports)."""
    app = typer.Typer(name="complaint", help=HELP, cls=HandledGroup, **TYPER_OPTIONS)
    app.callback()(root)
    for name, (module, help) in AREA_INDEX.items():
        if module in AREAS:
            app.add_typer(area(name, help))
    return app


def build_app(areas: Sequence[str] = AREAS, *, command: str | None = None) -> typer.Typer:
    """The root app with one sub-app per area module (each module's ``build()``).

    With ``command`` (one area, whose command that is) only that command of the area is made: typer
    reads the signature of every command it makes, ~5 ms each. An unknown name keeps them all.
    """
    app = typer.Typer(name="complaint", help=HELP, cls=HandledGroup, **TYPER_OPTIONS)
    app.callback()(root)
    for module in areas:
        sub = importlib.import_module(module).build()
        if command is not None and len(areas) == 1:
            only = [info for info in sub.registered_commands if _command_name(info) == command]
            if only:
                sub.registered_commands = only
        app.add_typer(sub)
    return app


def _command_name(info: CommandInfo) -> str | None:
    if info.name:
        return info.name
    return None if info.callback is None else info.callback.__name__.lower().replace("_", "-")


def invoked(argv: Sequence[str]) -> tuple[tuple[str, ...] | None, str | None]:
    """What a command line needs built: (area modules, command name or None).

    The named area's module alone, with the word after it (a command of that area, or not); None for
    the root help (no command, or ``--help`` among the global options); every area for anything else
    (an unknown command, shell completion, ...), exactly as before.
    """
    if any(name.endswith("_COMPLETE") for name in os.environ):  # shell completion walks the whole tree
        return AREAS, None
    args = iter(argv)
    for arg in args:
        if arg in _VALUE_OPTIONS:
            next(args, None)
        elif arg in _FLAG_OPTIONS or arg.split("=", 1)[0] in _VALUE_OPTIONS:
            continue
        elif arg == "--help":
            return None, None
        else:
            entry = AREA_INDEX.get(arg)
            if entry is None or entry[0] not in AREAS:
                return AREAS, None
            after = next(args, None)
            return (entry[0],), (after if after is not None and not after.startswith("-") else None)
    return None, None


def _utf8_in_a_locale_without_it(value: str) -> str | None:
    """Bytes a locale that is not UTF-8 (C, POSIX) could not decode reach Python as lone surrogates: the text,
    when they are UTF-8 (to name it in the message), else None (not UTF-8 at all: a GBK terminal?)."""
    try:
        return value.encode(sys.getfilesystemencoding(), "surrogateescape").decode("utf-8")
    except UnicodeError:
        return None


def _refuse_undecoded(value: str, what: str) -> None:
    """Exit 2 for text no store can keep (lone surrogates), saying whether the locale or the bytes are to blame."""
    if value.isascii() or not any("\ud800" <= c <= "\udfff" for c in value):
        return
    text = _utf8_in_a_locale_without_it(value)
    if text is not None:
        sys.stderr.write(f"error: {what} {text!r} is UTF-8 but the locale is not: use one (e.g. LC_ALL=C.UTF-8)\n")
    else:
        shown = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        sys.stderr.write(f"error: {what} {shown!r} is not UTF-8 text; use a UTF-8 terminal or locale\n")
    raise SystemExit(2)


def main(argv: Sequence[str] | None = None) -> None:
    """The ``complaint`` console script; exits with the documented code. A closed stdout or stderr (``>&-``) is
    the null device while it runs: the command runs, and its exit code says how."""
    closed = [name for name in ("stdout", "stderr") if getattr(sys, name) is None]
    for name in closed:
        setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115 - closed in the finally
    try:
        _main(argv)
    finally:
        for name in closed:
            getattr(sys, name).close()
            setattr(sys, name, None)


def _main(argv: Sequence[str] | None) -> None:
    args = list(argv) if argv is not None else sys.argv[1:]
    for arg in args:
        _refuse_undecoded(arg, "the argument")
    for name in (DB_ENV, ACTOR_ENV, ALLOW_FUTURE_ENV):
        _refuse_undecoded(os.environ.get(name, ""), f"${name}")
    tolerate_encodings()
    areas, command = invoked(args)
    app = build_index() if areas is None else build_app(areas, command=command)
    app(args=args, prog_name="complaint")


if __name__ == "__main__":
    main()
