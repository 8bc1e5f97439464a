"""``complaint duty …``: periodic duties (DOMAIN §4): what is open or overdue, and recording one done.

The duties are the default policy's (``init``): P1-DL-05..07 by the 10th of each month for the previous month,
P5-DL-03 every day. Each is owed once per period and recorded once.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .appctx import open_for
from .context import area, settings_of
from .options import AtOption, at_or_now, date_param, name_param
from .output import Texts, emit, local_minute, table

if TYPE_CHECKING:
    from complaint_core.duties import DutyDue, DutyRecord

TEXT = Texts(
    {
        "open": ("{at} 待办的周期性工作({policy})", "Periodic duties open at {at} ({policy})"),
        "none": ("没有待办的周期性工作", "no periodic duty is open"),
        "no_duties": ("制度 {policy} 未规定周期性工作", "policy {policy} defines no periodic duties"),
        "duty": ("工作", "duty"),
        "rule": ("条款", "rule"),
        "period": ("期间", "period"),
        "due": ("到期", "due"),
        "target": ("负责", "owed by"),
        "overdue": ("逾期", "overdue"),
        "yes": ("是", "yes"),
        "no": ("否", "no"),
        "done": ("已记录:{duty}({period}),{actor}", "recorded: {duty} ({period}) by {actor}"),
    }
)


def duty_json(due: DutyDue) -> dict[str, Any]:
    from entrypoints.jsonshapes import labels_json, utc_iso

    return {
        "name": due.name,
        "label": labels_json(due.label),
        "rule": due.rule_id,
        "target": due.target,
        "period": due.period,
        "opens": due.opens.isoformat(),
        "due_on": due.due_on.isoformat(),
        "due_at": utc_iso(due.due_at),
        "overdue": due.overdue,
    }


def record_json(record: DutyRecord) -> dict[str, Any]:
    from entrypoints.jsonshapes import utc_iso

    return {
        "policy": record.policy_id,
        "name": record.name,
        "period": record.period,
        "done_at": utc_iso(record.done_at),
        "actor": record.actor,
        "note": record.note,
    }


def open_(
    ctx: typer.Context,
    at: AtOption = None,
    since: Annotated[
        date | None,
        typer.Option(
            "--since", parser=date_param, metavar="DATE", help="Due on or after (default: the month before --at's)."
        ),
    ] = None,
) -> None:
    """The periodic duties open at --at (default now) and not recorded done; overdue ones are flagged."""
    settings = settings_of(ctx)
    app = open_for(ctx)
    policy = app.default_policy()
    when = at_or_now(at, policy.tz)
    found = app.duties.open(policy_id=policy.policy_id, as_of=when, since=since)
    lang = settings.language(policy.language)
    from entrypoints.jsonshapes import utc_iso

    doc = {"at": utc_iso(when), "policy": policy.policy_id, "duties": [duty_json(d) for d in found]}
    rows = [
        (
            f"{d.label(lang)} ({d.name})",
            d.rule_id,
            d.period,
            local_minute(d.due_at, policy.tz),
            d.target,
            TEXT("yes" if d.overdue else "no", lang),
        )
        for d in found
    ]
    columns = [TEXT(k, lang) for k in ("duty", "rule", "period", "due", "target", "overdue")]
    title = TEXT("open", lang, at=local_minute(when, policy.tz), policy=policy.policy_id)
    empty = TEXT("none", lang) if policy.duties else TEXT("no_duties", lang, policy=policy.policy_id)
    emit(settings, doc, lambda console: console.print(table(title, columns, rows) if rows else empty, highlight=False))


def done(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="DUTY", help="The duty's name in the policy.")],
    period: Annotated[
        str | None,
        typer.Option("--period", help="2026-11, 2026-W48 or 2026-11-30 (default: the latest open period)."),
    ] = None,
    by: Annotated[str, typer.Option("--by", metavar="PERSON", parser=name_param, help="Who did it.")] = "cli",
    note: Annotated[str, typer.Option("--note", help="A note, e.g. where the statistics are filed.")] = "",
    at: AtOption = None,
) -> None:
    """Record a periodic duty done for one period, once."""
    settings = settings_of(ctx)
    app = open_for(ctx)
    policy = app.default_policy()
    when = at_or_now(at, policy.tz)
    record = app.duties.record(name, actor=by, period=period, note=note, policy_id=policy.policy_id, at=when)
    lang = settings.language(policy.language)
    line = TEXT("done", lang, duty=policy.duty(name).label(lang), period=record.period, actor=record.actor)
    emit(settings, {"duty": record_json(record)}, lambda console: console.print(line, markup=False, highlight=False))


def build() -> typer.Typer:
    app = area("duty", "Periodic duties: open, done. | 周期性工作。")
    app.command("open")(open_)
    app.command("done")(done)
    return app
