"""Loading what the DB-less commands work on: a policy (preset or file) and its working calendar.

Imported only inside command bodies: it pulls in the domain, cattrs and (for
the China calendar) chinese_calendar.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import typer

from adapters.calendars import CalendarRegistry, read_calendar_document
from adapters.policy_files import PRESETS, load_policy, load_preset
from adapters.stored_documents import Doc
from complaint_core.calendar import WorkingCalendar
from complaint_core.policy import CalendarSettings, Policy

BUNDLED_CALENDAR = "cn"


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


def command_calendars(
    calendar_files: Sequence[Path] = (), stored: Sequence[Doc] = ()
) -> tuple[CalendarRegistry, dict[str, list[str]]]:
    """The calendars as ``open_app`` gives them to the case commands: the bundled table with the
    ``--calendar-file``s when any are given, else with the calendars the database stores (``calendar import``);
    and where each calendar, by name, came from."""
    from importlib import metadata

    from adapters.stored_documents import stored_calendar_source, stored_calendars

    try:
        bundled = f"chinese_calendar {metadata.version('chinesecalendar')}"
    except metadata.PackageNotFoundError:
        bundled = "chinese_calendar"
    sources: dict[str, list[str]] = {BUNDLED_CALENDAR: [bundled]}
    if calendar_files:
        for name, paths in calendar_file_names(calendar_files).items():
            sources.setdefault(name, []).extend(str(p) for p in paths)
        return CalendarRegistry(calendar_files), sources
    for name, version, _, _ in stored:
        sources.setdefault(name, []).append(stored_calendar_source(name, version))
    return stored_calendars(stored), sources


def calendar_of(policy: Policy, calendar_files: Sequence[Path] = (), stored: Sequence[Doc] = ()) -> WorkingCalendar:
    """The policy's working calendar (with its weekends-only fallback if it opts in)."""
    return command_calendars(calendar_files, stored)[0].get(policy.calendar)


def registry_calendars(
    calendar_files: Sequence[Path] = (), stored: Sequence[Doc] = ()
) -> list[tuple[WorkingCalendar, list[str]]]:
    """Every calendar the bundled table and the files, or the stored calendars, define, with where each came from."""
    registry, sources = command_calendars(calendar_files, stored)
    return [(registry.get(CalendarSettings(name=name)), sources[name]) for name in sorted(sources)]
