"""Parsers for option and argument values, and the option types shared by several commands.

Each ``parse_*`` is a pure function raising ``ValueError`` with a message for
the user; ``param(parse_*)`` turns it into a typer ``parser=`` that raises
``typer.BadParameter``, so a bad value exits 2 with Click's message naming the
option (``Invalid value for '--at': …``). Only standard-library types here:
typer reads these annotations for ``--help``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

if TYPE_CHECKING:
    from decimal import Decimal

T = TypeVar("T")

_MONEY = re.compile(r"\d+(?:\.\d{1,2})?", re.ASCII)
_FRACTION = re.compile(r"(\d+)\s*/\s*(\d+)", re.ASCII)
_DECIMAL = re.compile(r"\d+(?:\.\d+)?|\.\d+", re.ASCII)


def parse_date(text: str) -> date:
    """A calendar date, ``YYYY-MM-DD`` (2026-02-30 is refused, not rolled over)."""
    value = text.strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError(f"{text!r} is not a date in the form YYYY-MM-DD")
    try:
        parsed = date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a valid date: {exc}") from None
    from complaint_core.timeutil import FIRST_YEAR, LAST_YEAR

    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:  # as for date-times: year 1 or 9999 overflows in a zone
        raise ValueError(f"{text!r}: the year must lie between {FIRST_YEAR} and {LAST_YEAR}")
    return parsed


def parse_datetime(text: str, tz: tzinfo | None = None) -> datetime:
    """An ISO-8601 date-time (``2026-11-02T09:00``, ``…+08:00``, ``…Z``); a date alone means its midnight.

    Without an offset it is local time in ``tz`` (the policy's zone); with
    ``tz=None`` such a value is returned naive, to be placed later by ``localize``.
    """
    value = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        value += "T00:00"
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?", value):
        raise ValueError(f"{text!r} is not an ISO-8601 date-time such as 2026-11-02T09:00 or 2026-11-02T09:00+08:00")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a valid date-time: {exc}") from None
    from complaint_core.timeutil import FIRST_YEAR, LAST_YEAR

    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:  # year 1 or 9999 in a zone overflows on the way to UTC
        raise ValueError(f"{text!r}: the year must lie between {FIRST_YEAR} and {LAST_YEAR}")
    return localize(parsed, tz) if tz is not None else parsed


def localize(value: datetime, tz: tzinfo) -> datetime:
    """``value`` if it is aware, else the same wall-clock time in ``tz``. A wall-clock time that ``tz`` skips or
    repeats (a daylight-saving change) is refused: which instant it means is the user's to say, with an offset."""
    if value.tzinfo is not None:
        return value
    first, second = value.replace(tzinfo=tz, fold=0), value.replace(tzinfo=tz, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first
    # a date alone means its start, or its end for a due time (parse_due): each one instant, as the core reads days
    from complaint_core.timeutil import END_OF_DAY

    if value.time() == time():
        return first.astimezone(UTC)  # the day's first instant, as month_span
    if value.time() == END_OF_DAY:
        return second.astimezone(UTC)  # the later 23:59:59.999999 where it repeats, as end_of_day
    offsets = " or ".join(sorted({_offset(first), _offset(second)}))
    shown = value.isoformat(timespec="minutes")
    if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != value:
        raise typer.BadParameter(f"{shown} does not exist in {tz} (the clocks skip it): give an offset, {offsets}")
    raise typer.BadParameter(f"{shown} happens twice in {tz} (the clocks go back): give the offset, {offsets}")


def _offset(value: datetime) -> str:
    minutes = int(value.utcoffset().total_seconds()) // 60  # type: ignore[union-attr]
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def at_or_now(value: datetime | None, tz: tzinfo, now: Callable[[], datetime] | None = None) -> datetime:
    """The instant of an ``--at`` option: naive values are in ``tz``; absent means ``now()`` (default: the system clock)."""
    if value is not None:
        return localize(value, tz)
    if now is not None:
        return now()
    return datetime.now(tz)


def parse_money(text: str) -> Decimal:
    """A non-negative amount in yuan with at most two decimals, e.g. ``700`` or ``700.5``; no commas, no sign."""
    from decimal import Decimal

    value = text.strip()
    if "," in value or "，" in value:
        raise ValueError(f"{text!r}: write amounts with a dot for decimals and no thousands separators, e.g. 1200.50")
    if value.startswith("-"):
        raise ValueError(f"{text!r}: an amount cannot be negative")
    if not _MONEY.fullmatch(value):
        raise ValueError(f"{text!r} is not an amount in yuan with at most two decimals, e.g. 700 or 700.50")
    from complaint_core.money import MAX_AMOUNT

    amount = Decimal(value)
    if amount > MAX_AMOUNT:  # before quantize, which fails beyond 28 digits
        raise ValueError(f"{text!r} is too large: at most {MAX_AMOUNT}")
    return amount.quantize(Decimal("0.01"))


def _exact_fraction(num: int, den: int, text: str, advice: str) -> Decimal:
    from decimal import Decimal

    if den == 0:
        raise ValueError(f"{text!r}: division by zero")
    rest = den
    for p in (2, 5):
        while rest % p == 0:
            rest //= p
    if rest != 1:
        raise ValueError(f"{text!r} has no exact decimal form; give {advice}")
    return Decimal(num) / Decimal(den)


def _ratio(text: str, what: str, advice: str) -> Decimal:
    """``0.25``, ``25%`` or a fraction with an exact decimal form such as ``1/4``, as a Decimal; ``advice`` says what
    to give instead of a fraction without one."""
    from decimal import Decimal, InvalidOperation

    value = text.strip()
    try:
        if (match := _FRACTION.fullmatch(value)) is not None:
            return _exact_fraction(int(match.group(1)), int(match.group(2)), text, advice)
        if value.endswith("%") and _DECIMAL.fullmatch(value[:-1].strip()):
            return Decimal(value[:-1].strip()) / 100
        if _DECIMAL.fullmatch(value):
            return Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a number") from None
    raise ValueError(f"{text!r} is not {what} such as 0.5, 50% or 1/2")


def parse_tolerance(text: str) -> Decimal:
    """A customer's over-quantity ratio (P1-RET-05): 0 (none over) up to the core's limit, ``0.05``, ``5%``,
    ``1/20``."""
    from complaint_core.policy import MAX_TOLERANCE, TOLERANCE_PLACES, tolerance_is_plain

    tolerance = _ratio(text, "a ratio", "a ratio as a decimal, e.g. 0.05")
    if not 0 <= tolerance <= MAX_TOLERANCE:
        raise ValueError(f"{text!r}: a tolerance lies between 0 and {MAX_TOLERANCE}")
    if not tolerance_is_plain(tolerance):
        raise ValueError(f"{text!r}: a tolerance has at most {TOLERANCE_PLACES} decimal places")
    return tolerance


def parse_share(text: str) -> Decimal:
    """A fault share in (0, 1]: ``0.25``, ``25%`` or a fraction with an exact decimal form such as ``1/4``."""
    share = _ratio(text, "a share", "decimal shares that sum to exactly 1, e.g. 0.34, 0.33, 0.33")
    if not 0 < share <= 1:
        raise ValueError(f"{text!r}: a share must be more than 0 and at most 1")
    from complaint_core.money import MAX_RATIO_PLACES, ratio_is_plain

    if not ratio_is_plain(share):  # 1/1048576 has 20: refused here, not later as a rule (exit 4)
        raise ValueError(f"{text!r}: a share has at most {MAX_RATIO_PLACES} decimal places")
    return share.normalize() if share == share.to_integral_value() else share


def parse_id_share(text: str) -> tuple[str, Decimal]:
    """``ID=SHARE``, e.g. ``smt-2=0.6``: a party or person id and its share (see ``parse_share``)."""
    ident, sep, share = text.rpartition("=")
    if not sep or not ident.strip():
        raise ValueError(f"{text!r} is not ID=SHARE, e.g. smt-2=0.6")
    return ident.strip(), parse_share(share)


def parse_name(text: str) -> str:
    """Who did it (``--by``, ``--actor``): the audit trail and the approvals name them, so not blank."""
    name = text.strip()
    if not name:
        raise ValueError("a name is needed: the audit trail records who did it")
    return name


def param(parse: Callable[[str], T]) -> Callable[[str], T]:
    """``parse`` as a typer ``parser=``: a ``ValueError`` becomes a usage error (exit 2) naming the option."""

    def parser(text: str) -> T:
        try:
            return parse(text)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None

    parser.__name__ = parse.__name__
    parser.__doc__ = parse.__doc__
    return parser


def read_text_file(path: Path, param_hint: str, *, hint: str = "save it as UTF-8") -> str:
    """A UTF-8 file given as an argument (a BOM, as Windows editors and Excel write it, is dropped); a file that
    cannot be read, or is not UTF-8 (GBK?), is a usage error naming it."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {path}: {exc.strerror}", param_hint=param_hint) from None
    except UnicodeDecodeError:
        raise typer.BadParameter(f"{path} is not UTF-8 text (GBK?); {hint}", param_hint=param_hint) from None


def parse_month(text: str) -> str:
    """A month, ``YYYY-MM``: the key of bonuses, the ledger and the reports."""
    from complaint_core.timeutil import is_month

    value = text.strip()
    if not is_month(value):
        raise ValueError(f"{text!r} is not a month in the form YYYY-MM")
    return value


month_param = param(parse_month)


date_param = param(parse_date)
datetime_param = param(parse_datetime)  # naive stays naive: place it with at_or_now(value, policy.tz)


def parse_due(text: str) -> datetime:
    """A due time: as ``parse_datetime``, but a date alone means the end of that day (23:59:59.999999), as every
    deadline counted in days does (DOMAIN §4): a date promised to the customer is kept through its last minute."""
    from complaint_core.timeutil import END_OF_DAY

    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        return datetime.combine(parse_datetime(text).date(), END_OF_DAY)
    return parse_datetime(text)


due_param = param(parse_due)
money_param = param(parse_money)
share_param = param(parse_share)
tolerance_param = param(parse_tolerance)
id_share_param = param(parse_id_share)
name_param = param(parse_name)

# complaint_core.money.MAX_QUANTITY, as a bound typer checks when it parses (exit 2, like any bad option); the CLI
# does not import the core to build its options (tests/integration/cli/test_startup.py checks both)
MAX_QUANTITY = 10**12

# ----- options shared by several commands ---------------------------------------------------------
PolicyOption = Annotated[
    str,
    typer.Option(
        "--policy",
        "-p",
        metavar="PRESET|FILE",
        help="Policy preset name or policy TOML file (its calendar settings are used).",
    ),
]
CalendarFilesOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--calendar-file",
        "-c",
        metavar="FILE",
        exists=True,  # checked even where no working day is counted: a mistyped path is never silently ignored
        dir_okay=False,
        help="Calendar file (TOML/JSON) adding or replacing years; repeatable.",
    ),
]
AtOption = Annotated[
    datetime | None,
    typer.Option(
        "--at",
        parser=datetime_param,
        metavar="DATETIME",
        help="When it happened, ISO-8601; without an offset it is in the policy's zone. Default: now.",
    ),
]


# ----- value coercion without pydantic ------------------------------------------------------------
# typer 0.29 converts every parameter value through a pydantic TypeAdapter built on first use; importing
# pydantic and building the adapters costs ~150 ms per command run, more than typer itself. The values of
# this CLI are almost all plain: a str, a bool, a choice, a str list, a small int, or a ``parser=`` that
# does its own conversion. ``install_fast_coercion`` gives such parameters a coercion that accepts exactly
# the values that are unambiguous (a str for a str, a decimal literal for an int, ...) and hands anything
# else, including every invalid value, to typer's own pydantic coercion: results and error messages stay
# typer's, only the common valid case skips pydantic. tests/integration/cli/test_startup.py compares both.
_INT = re.compile(r"-?(0|[1-9][0-9]{0,17})")


def _fast_kind(param: Any) -> str | None:
    """Which fast coercion fits a typer parameter, None to leave it to typer (paths, files, floats, ...)."""
    from enum import Enum

    desc = param.type_descriptor
    info, annotation = desc.parameter_info, desc.annotation
    if desc.is_file:
        return None
    if info.parser is not None:
        return None if desc.is_list or desc.is_tuple else "parser"
    if desc.is_list:
        return "str_list" if annotation == list[str] else None
    if desc.is_tuple or desc.is_path:
        return None
    if annotation is str:
        return "str"
    if annotation is bool:
        return "bool"
    if annotation is int and info.min is None and info.max is None and not info.clamp:
        return "int"
    if isinstance(annotation, type) and issubclass(annotation, Enum) and desc.choices is not None:
        return "choice"
    return None


def install_fast_coercion(command: Any) -> int:
    """Give every plain parameter of ``command`` and its sub-commands the pydantic-free coercion; how many.

    Parameters that already have a coercion, or that this does not recognise, keep typer's. If typer's
    internals are not the expected ones (another typer version) nothing is changed.
    """
    try:
        from typer._coercion import RuntimeParam, build_runtime_param
        from typer._param_types import coerce_cli_choice
        from typer.core import _TyperParameter
    except ImportError:  # pragma: no cover - a typer without these internals keeps its own coercion
        return 0

    class FastRuntimeParam(RuntimeParam):
        _kind: str
        _fallback: RuntimeParam | None
        _descriptor: Any

        def __init__(self, param: Any, kind: str) -> None:
            desc = param.type_descriptor
            super().__init__(parameter_info=desc.parameter_info, annotation=desc.annotation)
            object.__setattr__(self, "_kind", kind)
            object.__setattr__(self, "_fallback", None)
            object.__setattr__(self, "_descriptor", param.type_descriptor)

        def typer_coercion(self) -> RuntimeParam:
            fallback = self._fallback
            if fallback is None:
                fallback = build_runtime_param(self._descriptor)
                object.__setattr__(self, "_fallback", fallback)
            return fallback

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            kind = self._kind
            parser = self.parameter_info.parser
            if kind == "parser" and parser is not None:
                try:
                    return parser(value)
                except (ValueError, AssertionError):
                    pass  # typer's coercion reports it in its own words
            elif kind == "str":
                if isinstance(value, str):
                    return value
            elif kind == "bool":
                if isinstance(value, bool):
                    return value
            elif kind == "int":
                if isinstance(value, int) and not isinstance(value, bool):
                    return value
                if isinstance(value, str) and _INT.fullmatch(value):
                    return int(value)
            elif kind == "str_list":
                if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
                    return list(value)
            elif kind == "choice":
                try:
                    return coerce_cli_choice(
                        value,
                        choices=self._descriptor.choices,
                        case_sensitive=self._descriptor.case_sensitive,
                        ctx=ctx,
                    )
                except ValueError:
                    pass
            return self.typer_coercion()._coerce_value(value, param=param, ctx=ctx)

    def install(param: Any) -> bool:
        if not isinstance(param, _TyperParameter) or getattr(param, "_runtime_param", True) is not None:
            return False
        kind = _fast_kind(param)
        if kind is None:
            return False
        param._runtime_param = FastRuntimeParam(param, kind)
        return True

    def fast_help(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
        # Each command makes its --help option when it parses; give that one the fast coercion too.
        def get_help_option(ctx: Any) -> Any:
            option = original(ctx)
            if option is not None:
                install(option)
            return option

        return get_help_option

    installed = 0
    stack = [command]
    while stack:
        cmd = stack.pop()
        stack.extend(getattr(cmd, "commands", {}).values())
        installed += sum(install(param) for param in cmd.params)
        if callable(getattr(cmd, "get_help_option", None)):
            cmd.get_help_option = fast_help(cmd.get_help_option)
    return installed
