"""Output helpers: one JSON document or rich tables on stdout, diagnostics and progress on stderr.

A command builds its whole result first and calls ``emit`` once at the end, so
a failure half-way leaves stdout empty. rich is imported when a table is drawn,
not when the CLI starts.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import date, datetime, tzinfo
from enum import Enum
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from adapters.terminal_text import encodes_everything, inert

from .context import Language, Settings

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table


class Texts:
    """User-facing strings of one area in zh and en: ``TEXT("key", lang)``, with ``str.format`` fields."""

    def __init__(self, table: Mapping[str, tuple[str, str]]) -> None:
        self._table = dict(table)

    def __call__(self, key: str, lang: Language, **fields: object) -> str:
        zh, en = self._table[key]
        text = zh if lang == "zh" else en
        return text.format(**fields) if fields else text


def _default(value: Any) -> Any:
    """Fallback encoding; money should already be a string from ``jsonshapes.money_str``."""
    if isinstance(value, datetime):
        from entrypoints.jsonshapes import utc_iso

        return utc_iso(value)
    if isinstance(value, date):
        return value.isoformat()
    from decimal import Decimal
    from uuid import UUID

    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(doc: Any, *, ascii_only: bool = False) -> str:
    """The one JSON document: Chinese kept as is (or as ``\\u`` escapes with ``ascii_only``), two-space indent,
    keys in the shape's order."""
    import json

    return json.dumps(doc, ensure_ascii=ascii_only, indent=2, default=_default)


# A table written to a pipe or file is read by a program or a person later: rich would cut it to 80 columns and
# end long values (a case id) with "…". Without a terminal and without ``COLUMNS`` it may be this wide.
PIPE_WIDTH = 240


# Tables need this many columns at least: rich divides the width among the columns and fails below it.
MIN_WIDTH = 40


def console_width(out: TextIO) -> int:
    """``COLUMNS`` when it is a width, else the terminal's, else (a pipe or file) ``PIPE_WIDTH``; at least
    ``MIN_WIDTH`` (``COLUMNS=1`` or a tiny terminal failed in rich after the command ran, and ``0`` printed nothing)."""
    columns = os.environ.get("COLUMNS", "")
    width = int(columns) if columns.isdecimal() and columns.isascii() else 0
    if not width:
        try:
            width = os.get_terminal_size(out.fileno()).columns if out.isatty() else PIPE_WIDTH
        except (OSError, ValueError, AttributeError):  # no real file behind it (an IDE's console, a test's capture)
            width = PIPE_WIDTH
    return max(width, MIN_WIDTH)


def console_height() -> int:
    """``LINES`` when it is a number, else 25: given, rich does not read a ``COLUMNS`` it cannot parse (``²``)."""
    lines = os.environ.get("LINES", "")
    return int(lines) if lines.isdecimal() and lines.isascii() and int(lines) > 0 else 25


def stdout_console(file: TextIO | None = None) -> Console:
    out = file if file is not None else sys.stdout
    width, height = console_width(out), console_height()
    return _console_class()(file=out, soft_wrap=False, width=width, height=height, markup=False, emoji=False)


@cache
def _console_class() -> type[Console]:
    """rich's Console, but a broken pipe is left to ``printing`` (rich would exit 1 silently, the command recorded)."""
    import errno

    from rich.console import Console

    class ResultConsole(Console):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError(errno.EPIPE, "Broken pipe")

    return ResultConsole


def emit(
    settings: Settings,
    doc: Any,
    human: Callable[[Console], None],
    *,
    file: TextIO | None = None,
) -> None:
    """Print the result: ``doc`` as JSON with ``--json``, else ``human(console)`` draws it with rich."""
    if settings.json:
        write_json(doc, file)
    else:
        with printing():
            human(stdout_console(file))


def write_json(doc: Any, file: TextIO | None = None) -> None:
    """``doc`` as the one JSON document on stdout (or ``file``); escaped where its encoding is not UTF (valid and
    lossless in any encoding)."""
    out = file if file is not None else sys.stdout
    with printing():
        out.write(dumps(doc, ascii_only=not encodes_everything(out)) + "\n")
        out.flush()


@contextmanager
def printing() -> Iterator[None]:
    """Writing the result: a stdout that fails (a full disk, a pipe closed early) is ``OutputLost``, which says that
    what the command recorded is kept, not "unexpected OSError" (run again, it would be recorded twice)."""
    from .errors import OutputLost

    try:
        yield
    except OSError as error:
        with suppress(OSError, ValueError):  # nothing more reaches it, not even Python's last flush at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        reason = error.strerror or type(error).__name__
        raise OutputLost(
            f"the result could not be written to stdout ({reason}); what the command recorded, if anything, is "
            "kept: look it up before running it again"
        ) from None


def local_minute(value: datetime | str | None, tz: tzinfo) -> str | None:
    """An instant (or a wire one, UTC ISO-8601) as the minute it was in the policy's zone, as every table shows
    times. (The report renderers have their own ``local``: importing them here would load rich for every command.)"""
    if value is None:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else value
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> Table:
    """A rich table; ``None`` cells print as "-", text cells with control characters escaped (``inert``).

    A value too long for its column folds onto the next line instead of ending in "…": no character is lost;
    the table is at least as wide as its title, so an id in the title is not split either (where it fits)."""
    from rich.cells import cell_len
    from rich.table import Table
    from rich.text import Text

    head = None if title is None else Text(inert(title))
    out = Table(title=head, title_justify="left", min_width=None if head is None else cell_len(head.plain))
    for column in columns:
        out.add_column(Text(inert(column)), overflow="fold")
    for row in rows:
        out.add_row(
            *(Text("-") if cell is None else cell if isinstance(cell, Text) else Text(inert(str(cell))) for cell in row)
        )
    return out


def lines(*parts: str) -> Any:
    """A table cell of several lines (a rich ``Text``), each part with its control characters escaped."""
    from rich.text import Text

    return Text("\n".join(inert(part) for part in parts))


def write_file(path: Path, text: str, option: str) -> None:
    """``text`` into the file an option names; a path that cannot be written is that option's usage error."""
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise _unwritable(path, error, option) from None


def make_dir(path: Path, option: str) -> None:
    """The directory an option names, created if missing; one that cannot be is that option's usage error (a
    directory that exists but is read-only is the database's own error when it is created there)."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise _unwritable(path, error, option) from None


def _unwritable(path: Path, error: OSError, option: str) -> Exception:
    import typer

    reason = error.strerror or type(error).__name__
    return typer.BadParameter(f"cannot write {str(path)!r}: {reason}", param_hint=f"'{option}'")


def diag(message: str, stream: TextIO | None = None) -> None:
    """A diagnostic line on stderr (never on stdout, which belongs to the result). One that cannot be written
    (stderr closed or full) is dropped: a command that ran is not failed by a note, and an exit code still tells."""
    with suppress(OSError, ValueError):
        out = stream if stream is not None else sys.stderr
        out.write(message + "\n")
        out.flush()


class _NoProgress:
    def advance(self, steps: int = 1) -> None:
        return None

    def update(self, done: int, total: int | None = None) -> None:
        return None


class _RichProgress:
    def __init__(self, progress: Any, task: Any) -> None:
        self._progress = progress
        self._task = task

    def advance(self, steps: int = 1) -> None:
        self._progress.advance(self._task, steps)

    def update(self, done: int, total: int | None = None) -> None:
        """``done`` of ``total`` (once known): for work that counts its own steps."""
        self._progress.update(self._task, completed=done, total=total)


@contextmanager
def progress(description: str, total: int | None = None, *, stream: TextIO | None = None) -> Iterator[Any]:
    """A progress bar on stderr, shown only when stderr is a terminal; yields an object with ``advance(n=1)`` and
    ``update(done, total)``.

    Never on stdout, so ``--json`` output stays one document; silent in pipes, CI and tests.
    """
    err = stream if stream is not None else sys.stderr
    if not err.isatty():
        yield _NoProgress()
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(file=err, width=console_width(err), height=console_height()), transient=True) as bar:
        yield _RichProgress(bar, bar.add_task(description, total=total))
