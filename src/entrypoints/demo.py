"""`make demo`: a scripted complaint lifecycle through the service layer.

Walks a manufacturing (P1) complaint from intake to closure, shows a refused
approval beyond authority, and prints the case with its deadlines in the
policy's language (``--lang zh|en`` overrides it).
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta
from decimal import Decimal
from typing import IO
from zoneinfo import ZoneInfo

from complaint_core import (
    STATUS_LABELS,
    Case,
    CaseService,
    Channel,
    DomainError,
    Intake,
    Market,
    Party,
    PartyKind,
    ProductLine,
    RemedyKind,
    Responsibility,
)
from complaint_core.labels import Language

SHANGHAI = ZoneInfo("Asia/Shanghai")

TEXT: dict[str, tuple[str, str]] = {
    "title": ("投诉案件 {number}({status})", "Complaint case {number} ({status})"),
    "clock": ("时限", "Clock"),
    "rule": ("条款", "Rule"),
    "started": ("起算", "Started"),
    "due": ("到期", "Due"),
    "stopped": ("停止", "Stopped"),
    "met": ("按时", "On time"),
    "refused": ("已拒绝:{error}", "Refused: {error}"),
    "steps": ("处理经过", "Steps"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "running": ("进行中", "running"),
}


def t(key: str, lang: Language) -> str:
    zh, en = TEXT[key]
    return zh if lang == "zh" else en


def run_demo(
    service: CaseService, start: datetime, *, lang: Language | None = None, out: IO[str] | None = None
) -> Case:
    """The scripted lifecycle; returns the closed case. ``start`` is the intake time."""
    from rich.console import Console
    from rich.table import Table

    console = Console(file=out if out is not None else sys.stdout, width=110)
    err = Console(stderr=True)
    step = timedelta(hours=5)
    at = start

    def later() -> datetime:
        nonlocal at
        at += step
        return at

    intake = Intake(
        customer="华东电子有限公司",
        channel=Channel.PHONE,
        category="quality",
        market=Market.DOMESTIC,
        description="PCB 板翘曲, 客户加工中发现 / warped boards found during the customer's processing",
        lines=(
            ProductLine(
                order_no="SO-2611-07", part_no="PCB-4L-220", quantity=Decimal(5000), defective_quantity=Decimal(320)
            ),
        ),
        claimed_amount=Decimal("3200.00"),
        flags=frozenset({"caused_loss"}),
    )
    err.print("[dim]receiving, registering and investigating…[/dim]")
    case = service.receive(intake, actor="sales.wang", at=at)
    case = service.register(case.case_id, actor="gm_office.li", at=later())
    case = service.start_investigation(case.reference, actor="qa.zhao", at=later())
    case = service.reach_milestone(case.reference, "investigation_done", actor="qa.zhao", at=later())
    case = service.reach_milestone(case.reference, "report_submitted", actor="qa.zhao", at=later())
    causer = Responsibility.sole(Party(PartyKind.GROUP_UNIT, "smt-2", "SMT 二班"))
    case = service.attribute(case.reference, actor="qa.zhao", at=later(), causer=causer)
    case = service.propose(
        case.reference, actor="sales.wang", kind=RemedyKind.ALLOWANCE, amount=Decimal("8200.00"), at=later()
    )
    policy = service.policy_of(case)
    lang = lang or policy.language
    try:
        service.approve(case.reference, actor="sales.manager", role="sales_manager", at=later())
    except DomainError as exc:
        console.print(t("refused", lang).format(error=exc))
    case = service.approve(case.reference, actor="deputy.gm", role="deputy_gm", at=later())
    case = service.reply(
        case.reference, actor="sales.wang", message="同意折让 8,200.00 元", reaction="accepted", at=later()
    )
    case = service.close(case.reference, actor="gm_office.li", at=later())

    status = STATUS_LABELS[case.status][0 if lang == "zh" else 1]
    steps = Table(title=t("title", lang).format(number=case.reference, status=status))
    steps.add_column(t("steps", lang))
    steps.add_column("")
    steps.add_column("")
    for s in case.steps:
        steps.add_row(
            STATUS_LABELS[s.status][0 if lang == "zh" else 1],
            s.at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"),
            s.actor,
        )
    console.print(steps)

    table = Table()
    for key in ("clock", "rule", "started", "due", "stopped", "met"):
        table.add_column(t(key, lang))
    for d in service.deadlines(case.case_id):
        rule = next(r for r in policy.clocks if r.name == d.clock)
        fmt = "%Y-%m-%d %H:%M"
        table.add_row(
            rule.label(lang),
            d.rule_id,
            d.started_at.astimezone(SHANGHAI).strftime(fmt),
            d.due.astimezone(SHANGHAI).strftime(fmt + ":%S") if d.due else "-",
            d.stopped_at.astimezone(SHANGHAI).strftime(fmt) if d.stopped_at else t("running", lang),
            "-" if d.met is None else t("yes" if d.met else "no", lang),
        )
    console.print(table)
    return case


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="complaint-demo", description=__doc__)
    parser.add_argument("--lang", choices=["zh", "en"], default=None)
    parser.add_argument("--start", default="2026-11-02T09:00:00+08:00", help="intake time, ISO-8601 with offset")
    args = parser.parse_args(argv)
    from adapters.clock import FixedClock
    from adapters.terminal_text import tolerate_encodings
    from entrypoints.bootstrap import bootstrap

    start = datetime.fromisoformat(args.start)
    if start.tzinfo is None:
        parser.error("--start needs a UTC offset, e.g. 2026-11-02T09:00:00+08:00")
    tolerate_encodings()
    service = bootstrap(clock=FixedClock(start))
    try:
        run_demo(service, start, lang=args.lang)
    except DomainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 4
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
