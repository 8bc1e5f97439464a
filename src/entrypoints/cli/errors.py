"""Exit codes and the one place that maps exceptions to them.

The root group (``HandledGroup``) catches every exception a command raises,
prints one line on stderr and exits with the code of the first matching class
in ``EXIT_CODES``. Classes are named, not imported: a class whose module was
never imported cannot have been raised, so the mapping costs no start-up time
and an adapter's exception (e.g. a SQL stale-row error) is added with one line.
Typer's own signals (usage errors, ``typer.Exit``, ``typer.Abort``) pass through
untouched: usage errors exit 2 with Click's message naming the option.
"""

from __future__ import annotations

import sys
import traceback
from enum import IntEnum
from typing import Any, TextIO

import typer
from typer.core import TyperGroup

from .context import Settings, settings_of
from .output import diag


class ExitCode(IntEnum):
    """The documented exit codes of ``complaint`` (docs/cli.md)."""

    OK = 0
    UNEXPECTED = 1
    USAGE = 2
    NOT_FOUND = 3
    RULE_VIOLATION = 4
    CONFLICT = 5
    CALENDAR_NOT_COVERED = 6
    DELIVERY_FAILED = 7


class DeliveryFailed(Exception):
    """An outbound delivery (a webhook) that failed for good: exit 7.

    Raised by the webhook commands once retries are exhausted; ``target`` is
    where it went and ``status`` the last HTTP status, if any.
    """

    def __init__(self, message: str, *, target: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.target = target
        self.status = status


class OutputLost(Exception):
    """The result could not be written to stdout (a full disk, a closed pipe) after the command ran: exit 1, saying
    that what it recorded is kept, so that it is looked up rather than run again."""


class MissingExtra(Exception):
    """A command that needs an optional dependency not installed (``serve`` without the ``server`` extra): exit 1,
    naming what to install."""


# First match wins: most specific first. "module.Class" → exit code.
EXIT_CODES: tuple[tuple[str, ExitCode], ...] = (
    ("entrypoints.cli.errors.DeliveryFailed", ExitCode.DELIVERY_FAILED),
    ("entrypoints.cli.errors.MissingExtra", ExitCode.UNEXPECTED),  # one line saying what to install
    ("entrypoints.cli.errors.OutputLost", ExitCode.UNEXPECTED),  # one line: recorded, but not printed
    ("complaint_core.errors.CalendarNotCovered", ExitCode.CALENDAR_NOT_COVERED),
    ("complaint_core.errors.NotFound", ExitCode.NOT_FOUND),
    ("complaint_core.errors.ConcurrencyConflict", ExitCode.CONFLICT),
    ("adapters.sql.errors.StorageBusy", ExitCode.CONFLICT),  # another process holds the SQLite write lock
    ("complaint_core.errors.PolicyInvalid", ExitCode.USAGE),  # a malformed policy/calendar file: input error
    ("complaint_core.organisation.OrganisationInvalid", ExitCode.USAGE),  # a malformed organisation file
    ("adapters.sql.errors.StorageError", ExitCode.UNEXPECTED),  # bad --db, read-only file, newer schema: one line
    ("complaint_core.errors.DomainError", ExitCode.RULE_VIOLATION),  # every other refusal names its rule
)

_PREFIX = {"zh": "错误", "en": "error"}
# the core's message says what to load; the command that loads it is the CLI's to name
_CALENDAR_HINT = " (store one with: complaint calendar import FILE)"
_AHEAD_HINT = " (leave --at out for now; a rehearsal on a scratch database: complaint --allow-future …)"


def _resolve(qualified: str) -> type[BaseException] | None:
    module_name, _, name = qualified.rpartition(".")
    module = sys.modules.get(module_name)
    found = getattr(module, name, None) if module is not None else None
    return found if isinstance(found, type) and issubclass(found, BaseException) else None


def _mapped(exc: BaseException, table: tuple[tuple[str, ExitCode], ...] = EXIT_CODES) -> ExitCode | None:
    """The code of the first class in ``table`` that ``exc`` is an instance of; None for an unforeseen error."""
    for qualified, code in table:
        cls = _resolve(qualified)
        if cls is not None and isinstance(exc, cls):
            return code
    return None


def exit_code_for(exc: BaseException, table: tuple[tuple[str, ExitCode], ...] = EXIT_CODES) -> ExitCode:
    """The exit code of ``exc``: the first class in ``table`` it is an instance of, else 1 (unexpected)."""
    found = _mapped(exc, table)
    return ExitCode.UNEXPECTED if found is None else found


def one_line(text: str) -> str:
    return " ".join(text.split())


def report(exc: BaseException, settings: Settings, stream: TextIO | None = None) -> ExitCode:
    """Print ``exc`` as one line on stderr (plus the traceback of an unexpected error with ``-v``); its exit code.

    In ``--json`` mode too the error goes to stderr as text and stdout stays empty:
    a non-zero exit code always means "no document".
    """
    out = stream if stream is not None else sys.stderr
    found = _mapped(exc)
    code = ExitCode.UNEXPECTED if found is None else found
    prefix = _PREFIX[settings.language()]
    if found is None:  # a mapped error (e.g. a database that cannot be used, code 1 too) is its message alone
        if settings.verbose:
            diag("".join(traceback.format_exception(exc)).rstrip("\n"), out)
        hint = "" if settings.verbose else " (run with -v for the traceback)"
        diag(f"{prefix}: unexpected {type(exc).__name__}: {one_line(str(exc))}{hint}", out)
    else:
        hint = _CALENDAR_HINT if code is ExitCode.CALENDAR_NOT_COVERED else ""
        if getattr(exc, "rule", None) == "TIME-AHEAD":
            hint = _AHEAD_HINT
        diag(f"{prefix}: {one_line(str(exc))}{hint}", out)
    return code


def is_typer_signal(exc: BaseException) -> bool:
    """Typer's (vendored Click's) own exceptions: usage errors, Exit, Abort. They keep their own handling."""
    return type(exc).__module__.split(".", 1)[0] == "typer"


class HandledGroup(TyperGroup):
    """The root group: runs the whole command chain and turns exceptions into exit codes (see ``report``).

    Before parsing it gives the parameters of the whole tree the pydantic-free value coercion
    (``options.install_fast_coercion``), so a command run does not import pydantic.
    """

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        if not getattr(self, "_fast_coercion", False):
            from .options import install_fast_coercion

            install_fast_coercion(self)
            self._fast_coercion = True
        return super().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            if is_typer_signal(exc):
                raise
            raise typer.Exit(report(exc, settings_of(ctx))) from exc
