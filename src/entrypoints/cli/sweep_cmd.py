"""``complaint sweep``: the escalation sweep (DOMAIN §5) over every case, or a dry run of it.

The sweep records each due ladder level on its case (``ClockEscalated`` events,
delivered by the outbox); ``--dry-run`` computes the same actions in a unit of
work that is rolled back, so nothing is written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from .context import settings_of, single
from .options import AtOption, at_or_now
from .output import Texts, emit, local_minute, progress, table

if TYPE_CHECKING:
    from rich.console import Console

    from complaint_core.escalation import SweepAction
    from complaint_core.policy import Policy

TEXT = Texts(
    {
        "title": ("升级巡检 {at}:{count} 项", "Escalation sweep at {at}: {count} action(s)"),
        "dry_title": (
            "升级巡检(试运行,未写入){at}:{count} 项",
            "Escalation sweep (dry run, nothing written) at {at}: {count} action(s)",
        ),
        "progress": ("升级巡检", "Escalation sweep"),
        "case": ("案件", "case"),
        "clock": ("时限", "clock"),
        "level": ("级别", "level"),
        "kind": ("动作", "kind"),
        "addressee": ("对象", "addressee"),
        "due": ("到期", "due"),
        "rule": ("条款", "rule"),
        # the ladder's actions, and the addressees named relative to the case (a policy's roles print as named)
        "reminder": ("催办", "reminder"),
        "escalate": ("升级", "escalate"),
        "alert": ("通报", "alert"),
        "waive": ("视为放弃", "deemed waiver"),
        "late_department": ("逾期部门", "late department"),
        "department_head": ("部门负责人", "department head"),
        "accused_department": ("被投诉部门", "accused department"),
        "handler": ("经办人", "handler"),
    }
)


def action_json(action: SweepAction) -> dict[str, Any]:
    from entrypoints.jsonshapes import labels_json, utc_iso

    return {
        "case_id": str(action.case_id),
        "case_number": action.reference,
        "clock": action.clock,
        "label": labels_json(action.label),
        "level": action.level,
        "kind": action.action.value,
        "addressee": action.target,
        "rule": action.rule_id,
        "due": utc_iso(action.due),
        "fires_at": utc_iso(action.fires_at),
        "deliver_at": utc_iso(action.deliver_at),
    }


def sweep(
    ctx: typer.Context,
    at: AtOption = None,
    dry: bool = typer.Option(False, "--dry-run", help="Compute the actions without recording them."),
) -> None:
    """Run the escalation sweep: record every due reminder, escalation and alert; print what was done."""

    from entrypoints.jsonshapes import utc_iso

    from .appctx import open_for

    settings = settings_of(ctx)
    app = open_for(ctx)
    policy = app.default_policy()
    tz = policy.tz
    when = at_or_now(at, tz)
    with progress(TEXT("progress", settings.language(policy.language)), total=None) as bar:
        if dry:
            actions = app.cases.preview_sweep(app.uow.read_only(), now=when, progress=bar.update)
        else:
            actions = app.cases.sweep(now=when, progress=bar.update)
    items = [action_json(a) for a in actions]
    doc = {"at": utc_iso(when), "dry_run": dry, "actions": items}
    lang = settings.language(policy.language)

    def human(console: Console) -> None:
        from complaint_core.policy import CASE_TARGETS

        from .case_cmd import clock_label

        def policy_of(action: SweepAction) -> Policy:
            return app.cases.policies.get(action.policy_id, action.policy_version)

        stamp = local_minute(when, tz)
        title = TEXT("dry_title" if dry else "title", lang, at=stamp, count=len(actions))
        keys = ("case", "clock", "level", "kind", "addressee", "due", "rule")
        rows = [
            (
                a["case_number"],
                clock_label(policy_of(action), action.clock, lang),
                a["level"],
                a["label"][lang] if a["label"] else TEXT(a["kind"], lang),  # the rung's own name, e.g. 催办单
                TEXT(a["addressee"], lang) if a["addressee"] in CASE_TARGETS else a["addressee"],
                local_minute(a["due"], policy_of(action).tz),  # as case show has it, in the case's zone
                a["rule"],
            )
            for a, action in zip(items, actions, strict=True)
        ]
        console.print(table(title, [TEXT(k, lang) for k in keys], rows))

    emit(settings, doc, human)


def build() -> typer.Typer:
    return single("sweep", "Run the escalation sweep (--dry-run: compute only). | 时限升级巡检。", sweep)
