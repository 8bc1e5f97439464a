"""``complaint followup …``: follow-up visits after closure (DOMAIN §9); a dissatisfied visit opens a second complaint."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .appctx import open_for
from .context import Settings, area, settings_of
from .options import AtOption, date_param, name_param
from .output import Texts, emit, table

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from uuid import UUID

    from rich.console import Console

    from complaint_core.followup import FollowUp
    from complaint_core.policy import Policy
    from entrypoints.app import App

TEXT = Texts(
    {
        "due": ("{on} 前到期的回访", "Visits due by {on}"),
        "case": ("案件", "case"),
        "visit": ("回访", "visit"),
        "kind": ("类型", "kind"),
        "due_on": ("到期日", "due on"),
        "status": ("状态", "status"),
        "attempts": ("尝试次数", "attempts"),
        "satisfaction": ("满意度", "satisfaction"),
        "second": ("二次投诉", "second complaint"),
        "followup": ("案件 {number} 的回访", "Follow-up of case {number}"),
        # visit kinds and statuses as a clerk reads them
        "rework_delivery": ("返工交货后回访", "after the rework delivery"),
        "after_reply": ("答复后回访", "after the reply"),
        "monthly": ("月度回访", "monthly"),
        "same_day_call": ("当日电话回访", "same-day call"),
        "secondary_check": ("二次核查", "secondary check"),
        "open": ("待回访", "open"),
        "reached": ("已回访", "reached"),
        "unreachable": ("无法联系", "unreachable"),
    }
)


def followup_json(
    followup: FollowUp, policy: Policy, *, case_number: str | None, numbers: Mapping[UUID, str] | None = None
) -> dict[str, Any]:
    """The follow-up as JSON; ``numbers`` names the second complaints its visits opened (id → number)."""
    from entrypoints.jsonshapes import utc_iso

    return {
        "id": str(followup.followup_id),
        "case_id": str(followup.case_id),
        "case_number": case_number,
        "policy": {"id": followup.policy_id, "version": followup.policy_version},
        "visits": [
            {
                "number": v.number,
                "kind": v.kind.value,
                "rule": v.rule_id,
                "due_on": v.due_on(policy.tz).isoformat(),
                "due_at": utc_iso(v.due),
                "status": v.status.value,
                "attempts": len(v.attempts),
                "satisfaction": v.satisfaction,
                "dissatisfied": v.dissatisfied,
                "second_case_id": None if v.second_case_id is None else str(v.second_case_id),
                "second_case_number": None if v.second_case_id is None else (numbers or {}).get(v.second_case_id),
            }
            for v in followup.visits
        ],
        "version": followup.version,
    }


def due(
    ctx: typer.Context,
    on: Annotated[
        date | None, typer.Option("--on", parser=date_param, metavar="DATE", help="Due on or before (default today).")
    ] = None,
) -> None:
    """Open visits due on or before a day (in each policy's zone)."""
    from .penalty_cmd import case_numbers

    settings = settings_of(ctx)
    app = open_for(ctx)
    policy = app.default_policy()
    lang = settings.language(policy.language)
    day = on if on is not None else datetime.now(policy.tz).date()
    found = app.followups.due(day)
    numbers = case_numbers(app, {f.case_id for f, _ in found})
    rows = []
    for followup, number in found:
        visit = followup.visit(number)
        tz = app.cases.policies.get(followup.policy_id, followup.policy_version).tz
        rows.append(
            {
                "case_id": str(followup.case_id),
                "case_number": numbers[followup.case_id],
                "visit": number,
                "kind": visit.kind.value,
                "rule": visit.rule_id,
                "due_on": visit.due_on(tz).isoformat(),
                "attempts": len(visit.attempts),
            }
        )
    doc = {"on": day.isoformat(), "due": rows}
    cols = [TEXT(k, lang) for k in ("case", "visit", "kind", "due_on", "attempts")]
    body = [(r["case_number"], r["visit"], TEXT(str(r["kind"]), lang), r["due_on"], r["attempts"]) for r in rows]
    emit(settings, doc, lambda console: console.print(table(TEXT("due", lang, on=day), cols, body)))


def _print(console: Console, doc: dict[str, Any], lang: Any, policy: Policy) -> None:
    levels = {level.code: level.label(lang) for level in policy.followups.satisfaction}
    cols = [TEXT(k, lang) for k in ("visit", "kind", "due_on", "status", "attempts", "satisfaction", "second")]
    body = [
        (
            v["number"],
            TEXT(v["kind"], lang),
            v["due_on"],
            TEXT(v["status"], lang),
            v["attempts"],
            levels.get(v["satisfaction"], v["satisfaction"]),
            v["second_case_number"] or v["second_case_id"],
        )
        for v in doc["visits"]
    ]
    console.print(table(TEXT("followup", lang, number=doc["case_number"]), cols, body))


def schedule(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(metavar="CASE", help="A closed case.")],
    rework_delivered_on: Annotated[
        date | None,
        typer.Option(
            "--rework-delivered-on",
            parser=date_param,
            metavar="DATE",
            help="The reworked goods' delivery day (P2-DL-05); default: the day of the policy's delivery milestone.",
        ),
    ] = None,
    by: Annotated[str, typer.Option("--by", metavar="PERSON", parser=name_param)] = "cli",
    at: AtOption = None,
) -> None:
    """Schedule the visits the policy plans for a closed case."""
    _change(
        ctx, case, at,
        lambda app, case_id, when: app.followups.schedule(
            case_id, actor=by, rework_delivered_on=rework_delivered_on, at=when
        ),
    )  # fmt: skip


def record(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(metavar="CASE", help="The case visited.")],
    visit: Annotated[int, typer.Option("--visit", min=1, metavar="N", help="Visit number.")],
    reached: Annotated[bool, typer.Option("--reached/--unreached", help="Whether the customer was reached.")],
    satisfaction: Annotated[
        str | None, typer.Option("--satisfaction", metavar="CODE", help="On the policy's scale (reached only).")
    ] = None,
    notes: Annotated[str, typer.Option("--notes")] = "",
    by: Annotated[str, typer.Option("--by", metavar="PERSON", parser=name_param)] = "cli",
    at: AtOption = None,
) -> None:
    """Record a visit attempt; a dissatisfied visit opens a second complaint at once (P4-ESC-04)."""
    _change(
        ctx, case, at,
        lambda app, case_id, when: app.followups.record(
            case_id, visit=visit, reached=reached, satisfaction=satisfaction, notes=notes, actor=by, at=when
        ),
        lambda policy: _check_satisfaction(policy, satisfaction),
    )  # fmt: skip


def _check_satisfaction(policy: Policy, satisfaction: str | None) -> None:
    codes = [level.code for level in policy.followups.satisfaction]
    if satisfaction is not None and satisfaction not in codes:
        raise typer.BadParameter(
            f"{satisfaction!r} is not on the satisfaction scale of policy {policy.policy_id} "
            f"({', '.join(codes) or 'none'})",
            param_hint="'--satisfaction'",
        )


def show(ctx: typer.Context, case: Annotated[str, typer.Argument(metavar="CASE", help="A case with visits.")]) -> None:
    """The follow-up visits of a case (scheduled by `followup schedule`, or at closure under P4-FU-04)."""
    from complaint_core.errors import NotFound

    settings = settings_of(ctx)
    app = open_for(ctx)
    with app.uow.read_only() as uow:  # reads the last commit, waiting for no writer
        found = app.cases.get(case, uow=uow)
        followups = uow.followups.for_case(found.case_id)
    if not followups:
        raise NotFound(f"case {found.reference} has no follow-up visits scheduled")
    _emit(settings, app, followups[-1], app.cases.policy_of(found), found.reference)


def _change(
    ctx: typer.Context,
    case: str,
    at: datetime | None,
    change: Callable[[App, UUID, datetime], FollowUp],
    check: Callable[[Policy], None] | None = None,
) -> None:
    """Run ``change`` on the follow-up of ``case`` at ``--at`` in its policy's zone and print the visits; ``check``
    sees the case's policy first (a value it does not have is a usage error)."""
    from .penalty_cmd import instant

    settings = settings_of(ctx)
    app = open_for(ctx)
    found = app.cases.get(case)
    policy = app.cases.policy_of(found)
    if check is not None:
        check(policy)
    _emit(settings, app, change(app, found.case_id, instant(at, policy)), policy, found.reference)


def _emit(settings: Settings, app: App, followup: FollowUp, policy: Policy, reference: str) -> None:
    """``{"followup": …}``, or its table of visits in the policy's language (second complaints by number)."""
    from .penalty_cmd import case_numbers

    lang = settings.language(policy.language)
    seconds = {v.second_case_id for v in followup.visits if v.second_case_id is not None}
    numbers = case_numbers(app, seconds) if seconds else {}
    doc = followup_json(followup, policy, case_number=reference, numbers=numbers)
    emit(settings, {"followup": doc}, lambda console: _print(console, doc, lang, policy))


def build() -> typer.Typer:
    app = area("followup", "Follow-up visits: schedule, show, due, record. | 回访。")
    app.command("schedule")(schedule)
    app.command("show")(show)
    app.command("due")(due)
    app.command("record")(record)
    return app
