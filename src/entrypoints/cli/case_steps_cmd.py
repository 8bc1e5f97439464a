"""``complaint case milestone|classify|major|meeting|react|adopt|cause|improve|verify``: steps outside the lifecycle.

A policy's own milestones start and stop its clocks (P4: ``forwarded_to_head`` and ``head_replied``, the head's
one working day and the deemed waiver); severity decides the clocks and the penalties; a major complaint needs
its emergency-meeting record before it can close (P3-ESC-01); a case moves to a newer version of its policy
only when asked (``adopt``); corrective actions and the check of their effect (``improve``, ``verify``) may follow
closure. Same conventions as the other case commands.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from .case_cmd import DEFAULT_ACTOR, ActorOption, CaseArg, check_severity, localize_at, run_step
from .options import AtOption, due_param

if TYPE_CHECKING:
    from complaint_core.case import Case
    from entrypoints.app import App


def milestone(
    ctx: typer.Context,
    case: CaseArg,
    name: Annotated[str, typer.Argument(metavar="MILESTONE", help="A milestone of the case's policy.")],
    at: AtOption = None,
    actor: ActorOption = DEFAULT_ACTOR,
) -> None:
    """Record a milestone of the policy (e.g. forwarded_to_head, head_replied); it starts and stops clocks."""
    run_step(ctx, case, at, lambda app, when: app.cases.reach_milestone(case, name, actor=actor, at=when))


def classify(
    ctx: typer.Context,
    case: CaseArg,
    severity: Annotated[str, typer.Argument(metavar="SEVERITY", help="A severity code of the case's policy.")],
    reason: Annotated[str, typer.Option("--reason", help="Why.")] = "",
    delay_days: Annotated[
        int | None,
        typer.Option(
            "--delay-days",
            min=0,
            help="Days the work was delayed (a long delay raises it, P4-DL-08); without it, the delay given before.",
        ),
    ] = None,
    at: AtOption = None,
    actor: ActorOption = DEFAULT_ACTOR,
) -> None:
    """Set the severity; a repeat complaint or a long delay raises it per policy (P4-CLS-04, E4-CL-01)."""
    run_step(
        ctx,
        case,
        at,
        lambda app, when: app.cases.classify(
            case, severity, actor=actor, reason=reason, delay_days=delay_days, at=when
        ),
        check=lambda policy: check_severity(policy, severity, "'SEVERITY'"),
    )


def major(
    ctx: typer.Context,
    case: CaseArg,
    reason: Annotated[str, typer.Option("--reason", help="Why the complaint is major.")],
    at: AtOption = None,
    actor: ActorOption = DEFAULT_ACTOR,
) -> None:
    """Flag a major complaint (重大投诉): its alert clocks start; it needs an emergency meeting (P3-ESC-01)."""
    run_step(ctx, case, at, lambda app, when: app.cases.flag_major(case, actor=actor, reason=reason, at=when))


def meeting(
    ctx: typer.Context,
    case: CaseArg,
    attendees: Annotated[
        list[str], typer.Option("--attendee", metavar="PERSON", help="Who attended (repeatable; at least one).")
    ],
    minutes: Annotated[str, typer.Option("--minutes", help="What was decided.")],
    at: AtOption = None,
    actor: ActorOption = DEFAULT_ACTOR,
) -> None:
    """Record the emergency meeting of a major complaint (紧急会议), needed before closure (P3-ESC-01)."""

    def step(app: App, when: datetime | None) -> Case:
        return app.cases.record_emergency_meeting(
            case, actor=actor, attendees=tuple(attendees), minutes=minutes, at=when
        )

    run_step(ctx, case, at, step)


def react(
    ctx: typer.Context,
    case: CaseArg,
    reaction: Annotated[str, typer.Option("--reaction", help="How the customer took the reply.")],
    at: AtOption = None,
    actor: ActorOption = DEFAULT_ACTOR,
) -> None:
    """Record the customer's reaction to the reply given (a second reaction replaces the first)."""
    run_step(ctx, case, at, lambda app, when: app.cases.record_reaction(case, actor=actor, reaction=reaction, at=when))


def adopt(
    ctx: typer.Context,
    case: CaseArg,
    version: Annotated[
        int | None, typer.Option("--version", min=1, help="The policy version (default: the newest stored).")
    ] = None,
    at: AtOption = None,
    actor: ActorOption = DEFAULT_ACTOR,
) -> None:
    """Move an open case to a newer version of its policy (published with `init --policy FILE`); clocks and
    pauses are kept. A version that lacks what the case uses (its state, category, a running clock) is refused."""
    run_step(ctx, case, at, lambda app, when: app.cases.adopt_policy(case, actor=actor, version=version, at=when))


def cause(
    ctx: typer.Context,
    case: CaseArg,
    code: Annotated[str, typer.Argument(metavar="CAUSE", help="The root cause found (a code).")],
    at: AtOption = None,
    actor: ActorOption = DEFAULT_ACTOR,
) -> None:
    """Record or correct the root cause found (P1-ROLE-09), also after closure: a warning or demerit needs one of
    the causes the policy lists (P1-CLS-08)."""
    run_step(ctx, case, at, lambda app, when: app.cases.record_cause(case, actor=actor, cause_code=code, at=when))


def improve(
    ctx: typer.Context,
    case: CaseArg,
    measures: Annotated[str, typer.Option("--measures", help="What changes (改进措施或规避方案).")],
    owner: Annotated[str, typer.Option("--owner", metavar="PERSON", help="Who carries it out.")],
    supervisor: Annotated[
        str, typer.Option("--supervisor", metavar="PERSON", help="Who checks it (then only they verify it).")
    ] = "",
    due: Annotated[
        datetime | None,
        typer.Option(
            "--due", parser=due_param, metavar="DATETIME", help="When its effect is to be checked (a date: its end)."
        ),
    ] = None,
    untracked: Annotated[
        bool, typer.Option("--untracked", help="No check of its effect (human negligence, P1-CLS-05).")
    ] = False,
    at: AtOption = None,
    actor: ActorOption = DEFAULT_ACTOR,
) -> None:
    """Record a corrective action (改善对策, P4-LC-03, P3-FU-03), also after closure; its check is due at --due,
    else as the policy's improvements.verify_within says."""

    def step(app: App, when: datetime | None) -> Case:
        return app.cases.plan_improvement(
            case,
            actor=actor,
            measures=measures,
            owner=owner,
            supervisor=supervisor,
            due=localize_at(app, due, case),
            tracked=not untracked,
            at=when,
        )

    run_step(ctx, case, at, step)


def verify(
    ctx: typer.Context,
    case: CaseArg,
    number: Annotated[int, typer.Option("--improvement", min=1, metavar="N", help="The improvement's number.")],
    effective: Annotated[bool, typer.Option("--effective/--ineffective", help="Whether it worked.")],
    note: Annotated[str, typer.Option("--note", help="What the check found.")] = "",
    at: AtOption = None,
    actor: ActorOption = DEFAULT_ACTOR,
) -> None:
    """Record the check of an improvement's effect (效果确认, P1-FU-01), by its supervisor when it names one; an
    ineffective one needs another before the case settles."""
    run_step(
        ctx,
        case,
        at,
        lambda app, when: app.cases.verify_improvement(
            case, actor=actor, number=number, effective=effective, note=note, at=when
        ),
    )


COMMANDS = (
    ("milestone", milestone),
    ("classify", classify),
    ("major", major),
    ("meeting", meeting),
    ("react", react),
    ("adopt", adopt),
    ("cause", cause),
    ("improve", improve),
    ("verify", verify),
)
