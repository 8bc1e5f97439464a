"""``complaint ledger …``: close a month (P1-PEN-11), show closed months, the notices and the sanction list."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .appctx import app_language, open_for
from .context import area, settings_of
from .options import month_param, share_param
from .output import Texts, emit, table

if TYPE_CHECKING:
    from rich.console import Console

    from complaint_core.assessment import Assessment
    from complaint_core.ledger import Ledger
    from entrypoints.app import App

TEXT = Texts(
    {
        "closed": (
            "{month} 已结账:扣款上限比例 {ratio},{people} 人",
            "{month} closed: cap ratio {ratio}, {people} people",
        ),
        "rows": ("奖金扣款台账", "Bonus-deduction ledger"),
        "person": ("人员", "person"),
        "month": ("月份", "month"),
        "bonus": ("效益奖金", "bonus"),
        "cap": ("扣款上限", "cap"),
        "carried_in": ("上月结转", "carried in"),
        "posted": ("本月入账", "posted"),
        "deducted": ("本月扣款", "deducted"),
        "carried_out": ("结转下月", "carried out"),
        "points": ("扣分", "points"),
        "notice": (
            "奖罚通知单 {month} — {unit} {name}(合计 {total} 元)",
            "Penalty notice {month} — {unit} {name} (total {total})",
        ),
        "case": ("案件", "case"),
        "rule": ("条款", "rule"),
        "amount": ("金额(元)", "amount"),
        "sanctions": ("人事公布单 {month}", "Administrative sanctions {month}"),
        "department": ("部门", "department"),
        "sanction": ("处分", "sanction"),
        "count": ("次数", "count"),
        "none": ("无", "none"),
    }
)


MonthArg = Annotated[str, typer.Argument(metavar="YYYY-MM", parser=month_param, help="The month.")]


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:,.2f}"


def close(
    ctx: typer.Context,
    month: MonthArg,
    cap_ratio: Annotated[
        Decimal | None,
        typer.Option("--cap-ratio", parser=share_param, metavar="RATIO", help="Override the policy's cap ratio."),
    ] = None,
    policy: Annotated[
        str | None, typer.Option("--policy", "-p", metavar="POLICY", help="Policy whose cap ratio applies.")
    ] = None,
) -> None:
    """Close a month: deduct up to the cap of each person's bonus, carry the rest (P1-PEN-11)."""
    from entrypoints.jsonshapes import month_close_json

    settings = settings_of(ctx)
    app = open_for(ctx)
    lang = app_language(ctx, app)
    result = app.penalties.close_month(month, policy_id=policy, cap_ratio=cap_ratio)

    def human(console: Console) -> None:
        ratio = "-" if result.cap_ratio is None else str(result.cap_ratio)
        console.print(TEXT("closed", lang, month=month, ratio=ratio, people=len(result.people)))
        console.print(_rows_table([(month, row) for row in result.people], lang))

    emit(settings, month_close_json(result), human)


def _rows_table(rows: list[tuple[str, Any]], lang: Any) -> Any:
    keys = ("person", "month", "bonus", "cap", "carried_in", "posted", "deducted", "carried_out", "points")
    return table(
        TEXT("rows", lang),
        [TEXT(k, lang) for k in keys],
        [
            (
                r.person_id,
                m,
                _money(r.bonus),
                _money(r.cap),
                _money(r.carry_in),
                _money(r.posted),
                _money(r.deducted_total),
                _money(r.carry_out),
                r.points,
            )
            for m, r in rows
        ],
    )


def show(
    ctx: typer.Context,
    person: Annotated[str | None, typer.Option("--person", metavar="PERSON", help="Only this person.")] = None,
    month: Annotated[
        str | None, typer.Option("--month", parser=month_param, metavar="YYYY-MM", help="Only this closed month.")
    ] = None,
) -> None:
    """The rows of closed months (all closed months unless --month), one per person and month."""
    from entrypoints.jsonshapes import ledger_row_json

    settings = settings_of(ctx)
    app = open_for(ctx)
    lang = app_language(ctx, app)
    ledger = last_ledger(app)
    months = [month] if month is not None else list(ledger.closed_months)
    rows: list[tuple[str, Any]] = []
    for m in months:
        close_ = ledger.month_close(m)  # NotFound (exit 3) for a month not closed
        rows.extend((m, row) for row in close_.people if person is None or row.person_id == person)
    doc = {"rows": [ledger_row_json(row, m) for m, row in rows]}
    emit(settings, doc, lambda console: console.print(_rows_table(rows, lang)))


def notice(ctx: typer.Context, month: MonthArg) -> None:
    """The reward/penalty notices (奖罚通知单) of a month, one per unit (P1-PEN-14)."""
    from complaint_core.monthly import penalty_notices
    from entrypoints.jsonshapes import money_str

    from .penalty_cmd import case_numbers

    settings = settings_of(ctx)
    app = open_for(ctx)
    lang = app_language(ctx, app)
    notices = penalty_notices(last_ledger(app), month, app.organisation.get())
    numbers = case_numbers(app, {row.case_id for n in notices for row in n.rows})
    doc = {
        "month": month,
        "notices": [
            {
                "unit": n.unit,
                "unit_name": n.unit_name,
                "total": money_str(n.total),
                "rows": [
                    {
                        "person": r.person_id,
                        "person_name": r.person_name,
                        "case_id": str(r.case_id),
                        "case_number": numbers[r.case_id],
                        "rule": r.rule_id,
                        "amount": money_str(r.amount),
                        "points": r.points,
                    }
                    for r in n.rows
                ],
            }
            for n in notices
        ],
    }

    def human(console: Console) -> None:
        if not notices:
            console.print(TEXT("none", lang))
        cols = [TEXT(k, lang) for k in ("person", "case", "rule", "amount", "points")]
        for n in notices:
            title = TEXT("notice", lang, month=month, unit=n.unit, name=n.unit_name, total=f"{n.total:,.2f}")
            rows = [
                (f"{r.person_name} {r.person_id}", numbers[r.case_id], r.rule_id, f"{r.amount:,.2f}", r.points)
                for r in n.rows
            ]
            console.print(table(title, cols, rows))

    emit(settings, doc, human)


def last_ledger(app: App) -> Ledger:
    """The ledger as last committed, for a listing: it waits for no close or approval under way."""
    with app.uow.read_only() as uow:
        return uow.ledger.load()


def approved_in(app: App, month: str) -> list[Assessment]:
    """The assessments approved in ``month`` (in their policy's zone), in case order."""
    from complaint_core.timeutil import month_key

    out = []
    with app.uow.read_only() as uow:  # one read, not one per case
        for assessment in uow.assessments.all():
            if assessment.approved_at is None:
                continue
            policy = app.cases.policies.get(assessment.policy_id, assessment.policy_version)
            if month_key(assessment.approved_at, policy.tz) == month:
                out.append(assessment)
    return sorted(out, key=lambda a: str(a.case_id))


def sanctions(ctx: typer.Context, month: MonthArg) -> None:
    """The administrative-sanction list (人事公布单) of the assessments approved in a month (P1-APR-08)."""
    from complaint_core.monthly import sanction_list
    from entrypoints.jsonshapes import money_str

    from .penalty_cmd import case_numbers

    settings = settings_of(ctx)
    app = open_for(ctx)
    lang = app_language(ctx, app)
    org = app.organisation.get()
    rows = sanction_list(approved_in(app, month), org)
    numbers = case_numbers(app, {r.case_id for r in rows})
    doc = {
        "month": month,
        "sanctions": [
            {
                "person": r.person_id,
                "person_name": r.person_name,
                "department": r.department,
                "case_id": str(r.case_id),
                "case_number": numbers[r.case_id],
                "sanction": r.sanction,
                "count": r.count,
                "amount": money_str(r.amount),
            }
            for r in rows
        ],
    }
    from .penalty_cmd import TEXT as PENALTY_TEXT  # the sanction names (警告, 小过, 大过)

    cols = [TEXT(k, lang) for k in ("person", "department", "case", "sanction", "count", "amount")]
    body = [
        (
            f"{r.person_name} {r.person_id}",
            org.department(r.department).name,
            numbers[r.case_id],
            PENALTY_TEXT(str(r.sanction), lang),
            r.count,
            f"{r.amount:,.2f}",
        )
        for r in rows
    ]
    emit(settings, doc, lambda console: console.print(table(TEXT("sanctions", lang, month=month), cols, body)))


def build() -> typer.Typer:
    app = area("ledger", "The bonus-deduction ledger: close, show, notice, sanctions. | 奖金扣款台账。")
    app.command("close")(close)
    app.command("show")(show)
    app.command("notice")(notice)
    app.command("sanctions")(sanctions)
    return app
