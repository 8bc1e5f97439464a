"""``complaint case milestone|classify|major|meeting|react|adopt``: the steps of a case outside its lifecycle.

A policy's own milestones start and stop its clocks (P4: ``forwarded_to_head`` and ``head_replied``, the head's
one working day and the deemed waiver); severity decides the clocks and the penalties; a major complaint needs
its emergency-meeting record before it can close (P3-ESC-01); a case moves to a newer version of its policy
only when asked (``adopt``). Same conventions as the other case commands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from .case_cmd import DEFAULT_ACTOR, ActorOption, CaseArg, run_step
from .options import AtOption

if TYPE_CHECKING:
    from datetime import datetime

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
        int, typer.Option("--delay-days", min=0, help="Days the work was delayed (a long delay raises it, P4-DL-08).")
    ] = 0,
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


COMMANDS = (
    ("milestone", milestone),
    ("classify", classify),
    ("major", major),
    ("meeting", meeting),
    ("react", react),
    ("adopt", adopt),
)
