"""``complaint calendar …``: working-day arithmetic and calendar coverage.

The calendar is the one the policy's ``[calendar]`` settings name (default
preset ``manufacturing``), built as the case commands get it: the bundled China
table plus any ``--calendar-file``, or without one the calendars the database
stores (``calendar import FILE``), so a calendar imported for 2027 answers here
too. The database is only read: never created or migrated by a calendar question.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NamedTuple

import typer

from .context import area, settings_of
from .options import CalendarFilesOption, PolicyOption, date_param
from .output import Texts, emit, progress, table

if TYPE_CHECKING:
    from rich.console import Console
    from sqlalchemy.engine import Connection, Engine

    from adapters.stored_documents import Doc
    from complaint_core.calendar import WorkingCalendar

DEFAULT_POLICY = "manufacturing"

TEXT = Texts(
    {
        "add_working": (
            "{start} 之后第 {days} 个工作日是 {result}(日历 {calendar})",
            "{days} working day(s) after {start} is {result} (calendar {calendar})",
        ),
        "add_calendar": ("{start} 加 {days} 天是 {result}", "{start} plus {days} calendar day(s) is {result}"),
        "estimated": ("(按周末推算,非官方数据)", " (estimated: weekends only, not an official table)"),
        "weekday": ("{day} 是工作日(周{dow})", "{day} is a working day ({dow})"),
        "makeup_workday": ("{day} 是工作日(调休上班,周{dow})", "{day} is a working day (make-up working day, {dow})"),
        "weekend": ("{day} 是休息日(周末,周{dow})", "{day} is a rest day (weekend, {dow})"),
        "holiday": (
            "{day} 是休息日(法定节假日或调休,周{dow})",
            "{day} is a rest day (statutory holiday or shifted rest day, {dow})",
        ),
        "coverage": ("日历覆盖范围", "Calendar coverage"),
        "name": ("日历", "calendar"),
        "first": ("起", "first"),
        "last": ("止", "last"),
        "estimated_from": ("推算自", "estimated from"),
        "sources": ("来源", "sources"),
        "refreshing": ("重新计算到期时间", "Computing due times again"),
        "imported": (
            "已导入日历 {name} v{version}({first} 至 {last});重新计算了 {refreshed} 个案件的到期时间",
            "calendar {name} v{version} imported ({first}..{last}); due times of {refreshed} case(s) computed again",
        ),
    }
)
_DOW = {"zh": "一二三四五六日", "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}


def stored_calendar_docs(ctx: typer.Context, calendar_files: list[Path] | None) -> list[Doc]:
    """The calendars the database stores (latest version of each), unless ``--calendar-file``s replace them as
    they do for the case commands. Read only: a database that does not exist or is no complaint-core database is
    neither created nor migrated, and the bundled table answers alone; one written by a newer version is refused,
    as by every command."""
    from adapters.sql.readonly import sqlite_path, stored_calendar_documents

    if calendar_files:
        return []
    db = settings_of(ctx).db
    if sqlite_path(db) is not None:
        return stored_calendar_documents(db)
    from sqlalchemy.exc import ProgrammingError

    from adapters.sql import documents, open_database

    database = open_database(db, migrate=False)  # connects (a clear error if it cannot), refuses a newer schema
    try:
        return list(documents.latest(database.engine, "calendar"))
    except ProgrammingError:
        return []  # no tables yet: nothing stored
    finally:
        database.dispose()


def add_days(
    ctx: typer.Context,
    start: Annotated[date, typer.Argument(parser=date_param, metavar="DATE", help="Start day (day 0), YYYY-MM-DD.")],
    days: Annotated[int, typer.Argument(metavar="N", min=0, help="How many days to add (>= 0).")],
    working: Annotated[bool, typer.Option("--working", help="Count working days instead of calendar days.")] = False,
    policy: PolicyOption = DEFAULT_POLICY,
    calendar_files: CalendarFilesOption = None,
) -> None:
    """The date N calendar days, or with --working the N-th working day, after DATE."""
    from entrypoints.jsonshapes import add_days_json

    from .loaders import calendar_of, load_policy_arg

    settings = settings_of(ctx)
    files = calendar_files or ()
    loaded = load_policy_arg(policy, param_hint="'--policy'", calendar_files=files)
    lang = settings.language(loaded.language)
    if working:
        from complaint_core.calendar import add_working_days

        calendar = calendar_of(loaded, files, stored_calendar_docs(ctx, calendar_files))
        result = add_working_days(calendar, start, days)
        name, estimated = calendar.name, calendar.is_estimated(result)
    else:
        try:
            result = start + timedelta(days=days)
        except OverflowError:
            raise typer.BadParameter(f"{start} + {days} days is past the year 9999", param_hint="'N'") from None
        name, estimated = loaded.calendar.name, False
    doc = add_days_json(start, days, result, working=working, calendar=name, estimated=estimated)
    key = "add_working" if working else "add_calendar"
    message = TEXT(key, lang, start=start, days=days, result=result, calendar=name)
    if estimated:
        message += TEXT("estimated", lang)
    emit(settings, doc, lambda console: console.print(message, markup=False, highlight=False))


def is_workday(
    ctx: typer.Context,
    day: Annotated[date, typer.Argument(parser=date_param, metavar="DATE", help="The day, YYYY-MM-DD.")],
    policy: PolicyOption = DEFAULT_POLICY,
    calendar_files: CalendarFilesOption = None,
) -> None:
    """Whether DATE is a working day in the policy's calendar, and why (weekday, weekend, holiday, 调休)."""
    from entrypoints.jsonshapes import workday_json

    from .loaders import calendar_of, load_policy_arg

    settings = settings_of(ctx)
    files = calendar_files or ()
    loaded = load_policy_arg(policy, param_hint="'--policy'", calendar_files=files)
    lang = settings.language(loaded.language)
    doc = workday_json(calendar_of(loaded, files, stored_calendar_docs(ctx, calendar_files)), day)
    message = TEXT(doc["kind"], lang, day=day, dow=_DOW[lang][day.weekday()])
    if doc["estimated"]:
        message += TEXT("estimated", lang)
    emit(settings, doc, lambda console: console.print(message, markup=False, highlight=False))


def coverage(ctx: typer.Context, calendar_files: CalendarFilesOption = None) -> None:
    """The years each known calendar covers: the bundled China calendar and the calendar files, or those stored."""
    from entrypoints.jsonshapes import calendar_json

    from .loaders import registry_calendars

    settings = settings_of(ctx)
    lang = settings.language()
    calendars = registry_calendars(calendar_files or (), stored_calendar_docs(ctx, calendar_files))
    doc = {"calendars": [calendar_json(cal, sources) for cal, sources in calendars]}

    def human(console: Console) -> None:
        rows = [
            (c["name"], c["first"], c["last"], c["estimated_from"], ", ".join(c["sources"])) for c in doc["calendars"]
        ]
        columns = [TEXT(k, lang) for k in ("name", "first", "last", "estimated_from", "sources")]
        console.print(table(TEXT("coverage", lang), columns, rows))

    emit(settings, doc, human)


class CalendarFile(NamedTuple):
    """A calendar file read and checked, ready to store."""

    path: Path
    fmt: str
    source: str
    name: str
    calendar: WorkingCalendar
    first_year: int  # the file's own first year (``calendar`` adds the bundled years before it)


def read_calendar_file(file: Path) -> CalendarFile:
    """Read, parse and build the calendar a file defines; exit 2 naming the file if it cannot be."""
    from adapters.calendars import CalendarRegistry, file_calendar_name, read_calendar_document
    from complaint_core.policy import CalendarSettings

    fmt, source, data = read_calendar_document(file)
    name = file_calendar_name(data, str(file))
    calendar = CalendarRegistry(documents=[(str(file), data)]).get(CalendarSettings(name=name))
    return CalendarFile(file, fmt, source, name, calendar, min(int(year) for year in data["years"]))


def store_calendar_file(target: Engine | Connection, checked: CalendarFile) -> int:
    """Store a checked calendar file as a new version of the calendar it names (on a connection, in the caller's
    transaction); returns the version."""
    from datetime import UTC, datetime

    from adapters.sql import documents as docs

    return docs.store(
        target, kind="calendar", name=checked.name, source=checked.source, fmt=checked.fmt, at=datetime.now(UTC)
    )


def import_calendar(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE", help="Calendar file, TOML or JSON (docs/policies.md).")],
) -> None:
    """Validate a calendar file and store it in the database (a new version of the calendar it names)."""
    from datetime import UTC, datetime

    from .appctx import app_language, open_for

    settings = settings_of(ctx)
    checked = read_calendar_file(file)
    app = open_for(ctx)
    name, calendar = checked.name, checked.calendar
    # due times computed before (or stored without one) now come from this version: the sweep reads them. A clock
    # started in the year before the file's first may end in it; closed cases judged on the old days are judged again
    since = datetime(checked.first_year - 1, 1, 1, tzinfo=UTC)
    with progress(TEXT("refreshing", app_language(ctx, app))) as bar:
        version, refreshed, unreadable = app.import_calendar(
            name=name, source=checked.source, fmt=checked.fmt, since=since, progress=bar.update
        )
    doc = {
        "name": name,
        "version": version,
        "file": str(file),
        "first": calendar.first.isoformat(),
        "last": calendar.last.isoformat(),
        "refreshed": refreshed,
        "unreadable": list(unreadable),
    }
    message = TEXT(
        "imported",
        app_language(ctx, app),
        name=name,
        version=version,
        first=doc["first"],
        last=doc["last"],
        refreshed=refreshed,
    )
    emit(settings, doc, lambda console: console.print(message, markup=False, highlight=False))


def build() -> typer.Typer:
    app = area("calendar", "Working days and calendar coverage. | 工作日计算与日历覆盖范围。")
    app.command("add-days")(add_days)
    app.command("is-workday")(is_workday)
    app.command("coverage")(coverage)
    app.command("import")(import_calendar)
    return app
