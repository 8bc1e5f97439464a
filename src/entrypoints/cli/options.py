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
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

if TYPE_CHECKING:
    from decimal import Decimal

T = TypeVar("T")

_MONEY = re.compile(r"\d+(?:\.\d{1,2})?")
_FRACTION = re.compile(r"(\d+)\s*/\s*(\d+)")
_DECIMAL = re.compile(r"\d+(?:\.\d+)?|\.\d+")


def parse_date(text: str) -> date:
    """A calendar date, ``YYYY-MM-DD`` (2026-02-30 is refused, not rolled over)."""
    value = text.strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError(f"{text!r} is not a date in the form YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a valid date: {exc}") from None


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
    return localize(parsed, tz) if tz is not None else parsed


def localize(value: datetime, tz: tzinfo) -> datetime:
    """``value`` if it is aware, else the same wall-clock time in ``tz``."""
    return value if value.tzinfo is not None else value.replace(tzinfo=tz)


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
    return Decimal(value).quantize(Decimal("0.01"))


def _exact_fraction(num: int, den: int, text: str) -> Decimal:
    from decimal import Decimal

    if den == 0:
        raise ValueError(f"{text!r}: division by zero")
    rest = den
    for p in (2, 5):
        while rest % p == 0:
            rest //= p
    if rest != 1:
        raise ValueError(
            f"{text!r} has no exact decimal form; give decimal shares that sum to exactly 1, e.g. 0.34, 0.33, 0.33"
        )
    return Decimal(num) / Decimal(den)


def parse_share(text: str) -> Decimal:
    """A fault share in (0, 1]: ``0.25``, ``25%`` or a fraction with an exact decimal form such as ``1/4``."""
    from decimal import Decimal, InvalidOperation

    value = text.strip()
    try:
        if (match := _FRACTION.fullmatch(value)) is not None:
            share = _exact_fraction(int(match.group(1)), int(match.group(2)), text)
        elif value.endswith("%") and _DECIMAL.fullmatch(value[:-1].strip()):
            share = Decimal(value[:-1].strip()) / 100
        elif _DECIMAL.fullmatch(value):
            share = Decimal(value)
        else:
            raise ValueError(f"{text!r} is not a share such as 0.5, 50% or 1/2")
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a number") from None
    if not 0 < share <= 1:
        raise ValueError(f"{text!r}: a share must be more than 0 and at most 1")
    return share.normalize() if share == share.to_integral_value() else share


def parse_id_share(text: str) -> tuple[str, Decimal]:
    """``ID=SHARE``, e.g. ``smt-2=0.6``: a party or person id and its share (see ``parse_share``)."""
    ident, sep, share = text.rpartition("=")
    if not sep or not ident.strip():
        raise ValueError(f"{text!r} is not ID=SHARE, e.g. smt-2=0.6")
    return ident.strip(), parse_share(share)


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


date_param = param(parse_date)
datetime_param = param(parse_datetime)  # naive stays naive: place it with at_or_now(value, policy.tz)
money_param = param(parse_money)
share_param = param(parse_share)
id_share_param = param(parse_id_share)

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
