"""Loading what the DB-less commands work on: a policy (preset or file) and its working calendar.

Imported only inside command bodies: it pulls in the domain, cattrs and (for
the China calendar) chinese_calendar.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import typer

from adapters.calendars import CalendarRegistry
from adapters.policy_files import PRESETS, load_policy, load_preset
from complaint_core.calendar import WorkingCalendar
from complaint_core.errors import PolicyInvalid
from complaint_core.policy import CalendarSettings, Policy

BUNDLED_CALENDAR = "cn"


def read_calendar_document(path: Path) -> tuple[str, str, dict[str, Any]]:
    """A calendar file (TOML, or ``.json``) as (format, text, table); ``PolicyInvalid`` (exit 2) if it cannot be."""
    fmt = "json" if path.suffix == ".json" else "toml"
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if fmt == "json" else tomllib.loads(text)
    except (OSError, ValueError) as exc:
        raise PolicyInvalid("", f"cannot read calendar file {path}: {exc}") from None
    if not isinstance(data, dict):
        raise PolicyInvalid("", f"calendar file {path} must hold a table")
    return fmt, text, data


def calendar_file_names(files: Sequence[Path]) -> dict[str, list[Path]]:
    """Calendar name → the files that add years to it (a file without ``name`` extends ``cn``)."""
    from adapters.calendars import file_calendar_name

    names: dict[str, list[Path]] = {}
    for path in files:
        names.setdefault(file_calendar_name(read_calendar_document(path)[2], str(path)), []).append(path)
    return names


def known_calendars(files: Sequence[Path]) -> set[str]:
    return {BUNDLED_CALENDAR, *calendar_file_names(files)}


def load_policy_arg(
    value: str, *, param_hint: str, calendar_files: Sequence[Path] = (), check_calendar: bool = True
) -> Policy:
    """A preset name or a policy file (TOML, or JSON as ``policy show --json`` prints it). Neither → usage error
    naming the parameter; a bad file → ``PolicyInvalid`` (exit 2) naming the key path. ``check_calendar=False``
    leaves the calendar's name to the caller (``init`` also knows the calendars a database holds)."""
    if value in PRESETS:
        return load_preset(value)
    path = Path(value)
    if path.is_file():
        return load_policy(path, known_calendars=known_calendars(calendar_files) if check_calendar else None)
    raise typer.BadParameter(
        f"{value!r} is neither a preset ({', '.join(PRESETS)}) nor a policy file", param_hint=param_hint
    )


def calendar_of(policy: Policy, calendar_files: Sequence[Path] = ()) -> WorkingCalendar:
    """The policy's working calendar (with its weekends-only fallback if it opts in), from the registry."""
    return CalendarRegistry(calendar_files).get(policy.calendar)


def registry_calendars(calendar_files: Sequence[Path]) -> list[tuple[WorkingCalendar, list[str]]]:
    """Every calendar the bundled table and the files define, with where each came from."""
    from importlib import metadata

    registry = CalendarRegistry(calendar_files)
    by_name = calendar_file_names(calendar_files)
    try:
        bundled = f"chinese_calendar {metadata.version('chinesecalendar')}"
    except metadata.PackageNotFoundError:
        bundled = "chinese_calendar"
    out = []
    for name in sorted({BUNDLED_CALENDAR, *by_name}):
        sources = ([bundled] if name == BUNDLED_CALENDAR else []) + [str(p) for p in by_name.get(name, [])]
        out.append((registry.get(CalendarSettings(name=name)), sources))
    return out
