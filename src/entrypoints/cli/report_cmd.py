"""``complaint report …``: the monthly report (DOMAIN §10), the open overdue clocks, the timeliness audit, and the
improvements whose effect is still to be checked."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo

import typer

from .appctx import open_for
from .context import Settings, area, settings_of
from .ledger_cmd import MonthArg
from .options import AtOption
from .output import Texts, emit, local_minute, table, write_file, write_json

if TYPE_CHECKING:
    from datetime import datetime

    from rich.console import Console

    from complaint_core.case import Case
    from complaint_core.labels import Language
    from complaint_core.policy import Policy
    from complaint_core.report import MonthlyReport
    from entrypoints.app import App

TEXT = Texts(
    {
        "written": ("{month} 月报({format})已写入 {out}", "Monthly report {month} ({format}) written to {out}"),
        "overdue": ("{at} 时超期未完成的时限", "Clocks running past due at {at}"),
        "timeliness": ("{month} 时效稽核(逾期完成的步骤)", "Timeliness audit {month} (steps finished late)"),
        "case": ("案件", "case"),
        "customer": ("客户", "customer"),
        "clock": ("时限", "clock"),
        "rule": ("条款", "rule"),
        "due": ("到期", "due"),
        "stopped": ("完成", "finished"),
        "days_late": ("逾期天数", "days late"),
        "working_days_late": ("逾期工作日", "working days late"),
        "department": ("部门", "department"),
        "delay": ("延误责任", "delay parties"),
        "level": ("催办级别", "level"),
        "improvements": ("{at} 时待确认效果的改善对策", "Improvements to check at {at}"),
        "number": ("序号", "no."),
        "measures": ("改善对策", "measures"),
        "owner": ("负责人", "owner"),
        "supervisor": ("确认人", "checked by"),
        "overdue_flag": ("逾期", "overdue"),
        "yes": ("是", "yes"),
        "no": ("否", "no"),
    }
)


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    html = "html"


def build_monthly(app: App, month: str) -> MonthlyReport:
    """The monthly report of ``month`` from everything in the database: cases, losses valued by approved
    assessments, the ledger's close of the month (when closed), follow-ups and the organisation (when loaded)."""
    from complaint_core.assessment import AssessmentStatus
    from complaint_core.errors import NotFound
    from complaint_core.penalty import LineKind
    from complaint_core.report import monthly_report

    try:
        org = app.organisation.get()
    except NotFound:
        org = None
    losses: dict[Any, Decimal] = {}
    followups: list[Any] = []
    with app.uow.read_only() as uow:  # one read per kind, not one per case
        cases = list(uow.cases.all())
        for assessment in uow.assessments.all():
            if assessment.status is not AssessmentStatus.APPROVED:
                continue
            for line in assessment.lines:
                # the case's loss as valued: a loss share's or reported line's (P1-PEN-01/02), or a tier's (P4-PEN-03)
                if line.kind in (LineKind.LOSS_SHARE, LineKind.REPORTED, LineKind.TIER) and "loss" in dict(line.basis):
                    loss = Decimal(dict(line.basis)["loss"])
                    losses[assessment.case_id] = max(losses.get(assessment.case_id, Decimal("0.00")), loss)
        followups.extend(uow.followups.all())
        ledger = uow.ledger.load()
    close = ledger.month_close(month) if month in ledger.closed_months else None
    return monthly_report(
        cases,
        month=month,
        policy_for=app.cases.policy_of,
        calendar_for=app.cases.calendar_for,
        org=org,
        losses=losses,
        month_close=close,
        followups=followups,
    )


def render(report: MonthlyReport, fmt: Format, lang: Any, tz: Any) -> str:
    """The report as text in ``fmt`` (not ``table``)."""
    from adapters.reports import to_csv, to_html, to_json_dict

    from .output import dumps

    if fmt is Format.json:
        return dumps(to_json_dict(report)) + "\n"
    if fmt is Format.csv:
        return to_csv(report)
    return to_html(report, lang, tz=tz)


def monthly(
    ctx: typer.Context,
    month: MonthArg,
    fmt: Annotated[Format | None, typer.Option("--format", "-f", help="Default: table (json with --json).")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", metavar="FILE", help="Write to FILE.")] = None,
) -> None:
    """The monthly report of the cases closed in a month: counts, clocks, money, Pareto, audit, charts (html)."""
    from adapters.reports import to_json_dict, to_rich_tables

    settings = settings_of(ctx)
    chosen = fmt if fmt is not None else (Format.json if settings.json else Format.table)
    if settings.json and out is None and chosen in (Format.csv, Format.html):  # stdout is one JSON document
        raise typer.BadParameter(
            f"--json prints one JSON document; write {chosen.value} to a file with --out, or drop --json",
            param_hint="'--format'",
        )
    app = open_for(ctx)
    policy = app.default_policy()
    lang = settings.language(policy.language)
    report = build_monthly(app, month)
    if out is not None:
        if chosen is Format.table:
            import io

            from .output import stdout_console

            buffer = io.StringIO()
            console = stdout_console(buffer)
            for part in to_rich_tables(report, lang, tz=policy.tz):
                console.print(part)
            text = buffer.getvalue()
        else:
            text = render(report, chosen, lang, policy.tz)
        write_file(out, text, "--out")
        doc = {"month": month, "format": chosen.value, "out": str(out), "total": report.total}
        message = TEXT("written", lang, month=month, format=chosen.value, out=out)
        emit(settings, doc, lambda console: console.print(message, markup=False, highlight=False))
        return
    if chosen is Format.json or settings.json:  # --json with csv or html needs --out (refused above)
        write_json(to_json_dict(report))
        return
    if chosen is Format.table:

        def human(console: Console) -> None:
            for part in to_rich_tables(report, lang, tz=policy.tz):
                console.print(part)

        emit(settings, None, human)
        return
    import sys

    from adapters.terminal_text import encodes_everything

    from .output import printing

    text = render(report, chosen, lang, policy.tz)
    with printing():
        if not encodes_everything(sys.stdout) and hasattr(sys.stdout, "buffer"):
            # CSV and HTML (which declares UTF-8) are UTF-8 whatever the terminal's encoding: escapes would corrupt
            sys.stdout.flush()
            sys.stdout.buffer.write(text.encode("utf-8"))
            sys.stdout.buffer.flush()
        else:
            sys.stdout.write(text)
            sys.stdout.flush()


def _every_case_at(
    ctx: typer.Context, at: datetime | None
) -> tuple[Settings, App, Policy, Language, datetime, list[Case]]:
    """What a report over every case needs: the settings, the app, the default policy and its language, the moment
    --at (default now) in the policy's zone, and every case as last committed (a read that waits for no writer)."""
    from .penalty_cmd import instant

    settings = settings_of(ctx)
    app = open_for(ctx)
    policy = app.default_policy()
    with app.uow.read_only() as uow:
        cases = list(uow.cases.all())
    return settings, app, policy, settings.language(policy.language), instant(at, policy), cases


def overdue(ctx: typer.Context, at: AtOption = None) -> None:
    """Clocks of open cases running past their deadline at --at (default now)."""
    from complaint_core.escalation import overdue_deadlines
    from entrypoints.jsonshapes import utc_iso

    from .case_cmd import clock_label

    settings, app, policy, lang, when, cases = _every_case_at(ctx, at)
    rows: list[dict[str, Any]] = []
    labels: dict[tuple[str, str], str] = {}  # (case id, clock) → the clock's label under the case's policy
    for case in cases:
        case_policy = app.cases.policy_of(case)
        for d in overdue_deadlines(case, case_policy, app.cases.calendar_for(case_policy), when):
            assert d.due is not None
            labels[str(case.case_id), d.clock] = clock_label(case_policy, d.clock, lang)
            then = case.clock(d.clock).as_it_was(when)
            rows.append(
                {
                    "case_id": str(case.case_id),
                    "case_number": case.number,
                    "customer": case.intake.customer,
                    "status": case.status.value,
                    "clock": d.clock,
                    "rule": d.rule_id,
                    "due_at": utc_iso(d.due),
                    "level": then.level if then is not None else 0,
                    "hours_late": int((when - d.due).total_seconds() // 3600),
                }
            )
    rows.sort(key=lambda r: (r["due_at"], r["case_number"] or ""))
    doc = {"as_of": utc_iso(when), "overdue": rows}
    cols = [TEXT(k, lang) for k in ("case", "customer", "clock", "rule", "due", "level")]
    body = [
        (
            r["case_number"] or r["case_id"],
            r["customer"],
            labels[r["case_id"], r["clock"]],
            r["rule"],
            local_minute(r["due_at"], policy.tz),
            r["level"],
        )
        for r in rows
    ]
    title = TEXT("overdue", lang, at=local_minute(when, policy.tz))
    emit(settings, doc, lambda console: console.print(table(title, cols, body)))


def timeliness(ctx: typer.Context, month: MonthArg) -> None:
    """The timeliness audit of a month: every step finished after its deadline (the 洽办单 lines, P1-ESC-02)."""
    from adapters.reports import to_json_dict

    settings = settings_of(ctx)
    app = open_for(ctx)
    policy = app.default_policy()
    lang = settings.language(policy.language)
    report = build_monthly(app, month)
    doc = {"month": month, "audit": to_json_dict(report)["audit"]}
    departments = {g.key: g.label(lang) for g in report.by_department}  # names, as the monthly report has them
    cols = [TEXT(k, lang) for k in ("case", "clock", "rule", "due", "stopped", "days_late", "department", "delay")]
    body = [
        (
            s.reference,
            s.clock_label(lang),
            s.rule_id,
            local_minute(s.due, ZoneInfo(s.zone) if s.zone else policy.tz),  # in the case's zone
            local_minute(s.stopped_at, ZoneInfo(s.zone) if s.zone else policy.tz),
            s.days_late,
            departments.get(s.department, s.department),
            ", ".join(s.delay_parties) or None,
        )
        for s in report.audit
    ]
    emit(settings, doc, lambda console: console.print(table(TEXT("timeliness", lang, month=month), cols, body)))


def improvements(ctx: typer.Context, at: AtOption = None) -> None:
    """Tracked improvements whose effect was not yet checked at --at (default now), earliest due first (P1-FU-01)."""
    from entrypoints.jsonshapes import improvement_json, utc_iso

    settings, _, policy, lang, when, cases = _every_case_at(ctx, at)
    rows: list[dict[str, Any]] = [
        {"case_id": str(case.case_id), "case_number": case.number, "customer": case.intake.customer}
        | improvement_json(then, when)
        for case in cases
        for then in (i.as_it_was(when) for i in case.improvements)
        if then is not None and then.open
    ]
    rows.sort(key=lambda r: (r["due_at"] is None, r["due_at"] or "", r["case_number"] or "", r["number"]))
    doc = {"as_of": utc_iso(when), "improvements": rows}
    cols = [TEXT(k, lang) for k in ("case", "number", "measures", "owner", "supervisor", "due", "overdue_flag")]
    body = [
        (
            r["case_number"] or r["case_id"],
            r["number"],
            r["measures"],
            r["owner"],
            r["supervisor"] or None,
            local_minute(r["due_at"], policy.tz),
            TEXT("yes" if r["overdue"] else "no", lang),
        )
        for r in rows
    ]
    title = TEXT("improvements", lang, at=local_minute(when, policy.tz))
    emit(settings, doc, lambda console: console.print(table(title, cols, body)))


def build() -> typer.Typer:
    app = area("report", "Reports: monthly, overdue, timeliness, improvements. | 月报、超期、时效稽核与改善对策。")
    app.command("monthly")(monthly)
    app.command("overdue")(overdue)
    app.command("timeliness")(timeliness)
    app.command("improvements")(improvements)
    return app
