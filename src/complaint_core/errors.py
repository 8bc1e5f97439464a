"""One hierarchy of domain errors.

Every error names the rule it enforces (a catalog ID such as ``P1-DL-01`` or a
library rule such as ``CASE-TRANSITION``), so a CLI or HTTP adapter can map the
class to an exit code or status and a user can look the rule up.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import TypeVar


class DomainError(Exception):
    """Base of every refusal by the domain: bad input or a broken rule."""

    rule: str = "DOMAIN"

    def __init__(self, message: str, *, rule: str | None = None) -> None:
        super().__init__(message)
        if rule is not None:
            self.rule = rule
        self.message = message

    def __str__(self) -> str:
        return f"[{self.rule}] {self.message}"


class RuleViolation(DomainError):
    """A command that the policy or an invariant forbids."""

    rule = "RULE"


class InvalidTransition(RuleViolation):
    """A lifecycle command in a state that does not allow it."""

    rule = "CASE-TRANSITION"


class AuthorityExceeded(RuleViolation):
    """An approver whose limit is below the amount (DOMAIN §6.2, P1-APR-02)."""

    rule = "P1-APR-02"


class InvalidInstant(DomainError, ValueError, TypeError):
    """An instant that is no aware ``datetime`` or cannot be placed in UTC (DOMAIN §4: all instants are aware).

    Still a ``ValueError``/``TypeError`` for callers that caught those before it was a domain error."""

    rule = "INSTANT"


class MoneyError(DomainError, ValueError):
    """Malformed money or apportionment input (DOMAIN §7)."""

    rule = "MONEY"


class PolicyInvalid(DomainError, ValueError):
    """An inconsistent policy; ``path`` is the offending key path, e.g. ``approval[1].limit``."""

    rule = "POLICY"

    def __init__(self, path: str, message: str, *, rule: str | None = None) -> None:
        super().__init__(f"{path}: {message}" if path else message, rule=rule)
        self.path = path


class CalendarNotCovered(DomainError, LookupError):
    """A date outside the years a working calendar covers (DOMAIN §4)."""

    rule = "CAL-COVERAGE"

    def __init__(self, day: date, first: date, last: date, *, name: str = "calendar") -> None:
        super().__init__(
            f"{day.isoformat()} is outside the {name} calendar, which covers "
            f"{first.isoformat()}..{last.isoformat()}; load a calendar file with that "
            "year's holidays and make-up working days (see docs/policies.md, 'calendar'), "
            "or let the policy opt into the weekends-only fallback"
        )
        self.day = day
        self.first = first
        self.last = last
        self.calendar = name


def _first_names(pairs: tuple[tuple[str, object], ...]) -> str:
    """The names of the first five (name, reason) pairs, for a message that must stay one line."""
    return ", ".join(name for name, _ in pairs[:5]) + (", …" if len(pairs) > 5 else "")


class SweepIncomplete(CalendarNotCovered):
    """The sweep recorded what it could (``recorded``) and left the cases whose deadlines or ladders need a
    calendar year not loaded (``skipped``: reference and error each); one such case no longer holds back every
    other case's reminders, and the error still says which year to load."""

    def __init__(
        self,
        recorded: tuple[object, ...],
        skipped: tuple[tuple[str, CalendarNotCovered], ...],
        *,
        dry_run: bool = False,
    ) -> None:
        first = skipped[0][1]
        super().__init__(first.day, first.first, first.last)
        cases = _first_names(skipped)
        done = "due (a dry run: nothing recorded)" if dry_run else "recorded"
        self.message = (
            f"{len(skipped)} case(s) not swept ({cases}); {len(recorded)} action(s) {done} for the others: "
            f"{first.message}"
        )
        self.recorded = recorded
        self.skipped = skipped


class CasesUnreadable(DomainError):
    """Stored cases that do not load (edited by hand, or written by a faulty tool). A store's ``sweep_candidates``
    yields every other candidate first and then raises this, so the sweep records the others' reminders before it
    names these (``unreadable``: id and reason each; ``recorded``: the actions recorded for the others)."""

    rule = "DOCUMENT"

    def __init__(
        self,
        unreadable: tuple[tuple[str, str], ...],
        recorded: tuple[object, ...] = (),
        *,
        skipped: tuple[tuple[str, CalendarNotCovered], ...] = (),
        dry_run: bool = False,
    ) -> None:
        ids = _first_names(unreadable)
        done = "due (a dry run: nothing recorded)" if dry_run else "recorded"
        message = (
            f"{len(unreadable)} stored case(s) do not load and were not swept ({ids}); {len(recorded)} action(s) "
            f"{done} for the others: {unreadable[0][1]}"
        )
        if skipped:  # both at once: this error wins (exit 4), and still says which calendar year to load
            message += f"; and {len(skipped)} case(s) left out ({_first_names(skipped)}): {skipped[0][1].message}"
        super().__init__(message)
        self.unreadable = unreadable
        self.recorded = recorded
        self.skipped = skipped


class NotFound(DomainError, LookupError):
    """A referenced case, policy, calendar or clock that does not exist."""

    rule = "NOT-FOUND"


class ConcurrencyConflict(DomainError):
    """Someone else saved the aggregate since it was loaded; retry from a fresh read."""

    rule = "CONCURRENCY"


E = TypeVar("E", bound=StrEnum)


def enum_member(enum: type[E], value: object, what: str, rule: str) -> E:
    """``enum(value)``, or a ``RuleViolation`` naming the field, the allowed values and the rule (not a bare
    ValueError, nor an AttributeError later on a plain string)."""
    try:
        return enum(value)  # type: ignore[arg-type]
    except ValueError:
        allowed = ", ".join(str(m.value) for m in enum)
        raise RuleViolation(f"{what} {value!r} is not one of {allowed}", rule=rule) from None


def exact_member(enum: type[E], value: object, what: str, rule: str) -> None:
    """Refuse anything but a member of ``enum`` in a value object's field: a plain string would pass some checks
    (a ``StrEnum`` compares equal to its text) and crash others later, e.g. when it is stored."""
    if value.__class__ is not enum:
        enum_member(enum, value, what, rule)
        raise RuleViolation(f"{what} must be a {enum.__name__}, not the text {value!r}", rule=rule)
