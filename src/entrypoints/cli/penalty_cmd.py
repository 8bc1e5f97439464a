"""``complaint penalty …``: assess a case's penalties, approve them (posting to the ledger), appeal."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .appctx import open_for
from .context import Language, area, settings_of
from .options import AtOption, at_or_now, date_param, money_param, month_param, name_param
from .output import Texts, emit, table

if TYPE_CHECKING:
    from collections.abc import Callable
    from uuid import UUID

    from rich.console import Console

    from complaint_core.assessment import Assessment
    from complaint_core.penalty_orders import PenaltyOrder
    from complaint_core.policy import Policy
    from entrypoints.app import App

TEXT = Texts(
    {
        "assessed": (
            "处罚建议 {id}(案件 {number},{status}),合计 {total} 元",
            "Assessment {id} (case {number}, {status}), total {total}",
        ),
        "approved": (
            "处罚已核准 {id}:{role} {by},合计 {total} 元",
            "Assessment {id} approved by {role} {by}, total {total}",
        ),
        "appealed": ("处罚已撤销(申诉成立){id}:{reason}", "Assessment {id} reversed on appeal: {reason}"),
        "withdrawn_done": ("处罚建议已撤回 {id}:{reason}", "Assessment {id} withdrawn: {reason}"),
        "endorsed": (
            "处罚种类已经主管批示 {id}:{role} {by};待核准",
            "Assessment {id}: punishment types endorsed by {role} {by}; awaiting approval",
        ),
        "endorsed_status": ("已批示待核准", "endorsed, awaiting approval"),
        "party": ("责任人/单位", "party"),
        "rule": ("条款", "rule"),
        "kind": ("类型", "kind"),
        "amount": ("金额(元)", "amount"),
        "points": ("扣分", "points"),
        "capped": ("受上限", "capped"),
        "explanation": ("说明", "explanation"),
        "yes": ("是", "yes"),
        "no": ("否", "no"),
        # assessment statuses, line kinds, sanctions and party kinds as a clerk reads them
        "proposed": ("待核准", "proposed"),
        "approved_status": ("已核准", "approved"),
        "reversed": ("已撤销", "reversed"),
        "withdrawn": ("已撤回", "withdrawn"),
        "loss_share": ("损失分摊", "loss share"),
        "sanction": ("行政处分", "sanction"),
        "major_demerit": ("大过", "major demerit"),
        "minor_demerit": ("小过", "minor demerit"),
        "warning": ("警告", "warning"),
        "tier": ("分级处罚", "tier"),
        "count_tier": ("次数处罚", "count tier"),
        "fine": ("罚款", "fine"),
        "overdue": ("压单", "overdue"),
        "supervisor": ("主管连带", "supervisor"),
        "reported": ("外部责任(不扣款)", "reported (not deducted)"),
        "person": ("个人", "person"),
        "group_unit": ("班组", "group unit"),
        "department": ("部门", "department"),
        "supplier": ("供应商", "supplier"),
        "carrier": ("承运商", "carrier"),
        "customer": ("客户", "customer"),
    }
)


def assessment_status(status: str, lang: Language, *, endorsed: bool = False) -> str:
    if status == "proposed" and endorsed:  # P1-APR-04: a supervisor endorsed it; the approval is still to come
        return TEXT("endorsed_status", lang)
    return TEXT("approved_status" if status == "approved" else status, lang)  # "approved" is the headline


SANCTIONS = ("warning", "minor_demerit", "major_demerit")


# ----- shared by the ledger, return and follow-up commands ---------------------------------------
def instant(value: datetime | None, policy: Policy) -> datetime:
    """``--at`` in the policy's zone (naive values are local), or now."""
    return at_or_now(value, policy.tz)


def case_numbers(app: App, case_ids: set[UUID]) -> dict[UUID, str]:
    """Case id → number (the id as text while the case has no number)."""
    out: dict[UUID, str] = {}
    with app.uow.read_only() as uow:
        for case_id in case_ids:
            case = uow.cases.get(case_id)
            out[case_id] = case.reference
    return out


def parse_uuid(text: str, what: str) -> UUID:
    """The id of a ``what`` (an assessment, a return), given as the argument of that name in capitals."""
    from uuid import UUID

    try:
        return UUID(text.strip())
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not the id of {what} (a UUID)", param_hint=f"'{what.split()[-1].upper()}'"
        ) from None


def _pair(text: str, option: str, example: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip() or not value.strip():
        raise typer.BadParameter(f"{text!r} is not KEY=VALUE, e.g. {example}", param_hint=f"'{option}'")
    return key.strip(), value.strip()


def _extras(text: str, option: str, keys: set[str], flags: set[str]) -> tuple[str, dict[str, str], set[str]]:
    """``HEAD[,key=value|,flag]…`` → (HEAD, the values, the flags); an unknown key exits 2 naming the option."""
    head, *parts = text.split(",")
    values: dict[str, str] = {}
    given: set[str] = set()
    for part in parts:
        key, sep, value = (x.strip() for x in part.partition("="))
        if key in values or key in given:
            raise typer.BadParameter(f"{key!r} is given twice in {text!r}", param_hint=f"'{option}'")
        if sep and key in keys and value:
            values[key] = value
        elif not sep and key in flags:
            given.add(key)
        else:
            known = ", ".join([*(f"{k}=…" for k in sorted(keys)), *sorted(flags)])
            raise typer.BadParameter(f"{part.strip()!r} in {text!r}: expected {known}", param_hint=f"'{option}'")
    return head.strip(), values, given


def _count(text: str, option: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 1000:
        raise typer.BadParameter(f"{text!r} is not a whole number from 1 to 1000", param_hint=f"'{option}'")
    return int(text)


def _money(text: str | None, option: str) -> Decimal | None:
    from .options import parse_money

    if text is None:
        return None
    try:
        return parse_money(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=f"'{option}'") from None


# ----- JSON ---------------------------------------------------------------------------------------
def assessment_json(assessment: Assessment, *, case_number: str | None) -> dict[str, Any]:
    from entrypoints.jsonshapes import money_str, penalty_line_json, utc_iso

    return {
        "id": str(assessment.assessment_id),
        "case_id": str(assessment.case_id),
        "case_number": case_number,
        "policy": {"id": assessment.policy_id, "version": assessment.policy_version},
        "status": assessment.status.value,
        "proposed_at": utc_iso(assessment.proposed_at),
        "approved_at": utc_iso(assessment.approved_at),
        "approved_by": assessment.approved_by,
        "role": assessment.role,
        "reversal_reason": assessment.reversal_reason,
        "withdrawal": None
        if assessment.withdrawn_at is None
        else {"reason": assessment.withdrawal_reason, "at": utc_iso(assessment.withdrawn_at)},
        "endorsement": None
        if assessment.endorsed_at is None
        else {"role": assessment.endorsed_role, "by": assessment.endorsed_by, "at": utc_iso(assessment.endorsed_at)},
        "total": money_str(assessment.total),
        "lines": [penalty_line_json(line, case_number=case_number) for line in assessment.lines],
        "version": assessment.version,
    }


def _human(assessment: Assessment, headline: str, lang: Any, policy: Policy) -> Any:
    from rich.console import Group
    from rich.text import Text

    lg: Language = "zh" if lang == "zh" else "en"
    has_cap = policy.penalties.monthly_cap_ratio is not None
    rows = [
        (
            f"{line.party.name or line.party.id} ({TEXT(line.party.kind.value, lg)})",
            line.rule_id,
            TEXT(line.kind.value, lg),
            f"{line.amount:,.2f}",
            line.points,
            TEXT("yes" if line.capped else "no", lg) if has_cap else "-",  # no monthly cap: nothing is capped
            line.explanation.zh if lg == "zh" else line.explanation.en,
        )
        for line in assessment.lines
    ]
    columns = [TEXT(k, lg) for k in ("party", "rule", "kind", "amount", "points", "capped", "explanation")]
    return Group(Text(headline), table(None, columns, rows))


# ----- commands -----------------------------------------------------------------------------------
def _order(
    loss: Decimal | None,
    decided_on: date | None,
    resold_on: date | None,
    a_grade_price: Decimal | None,
    resale_price: Decimal | None,
    quantity: str | None,
    sanctions: list[str],
    tiers: list[str],
    fines: list[str],
    overdue: list[str],
    count_tiers: list[str],
    days_late: Callable[[str], int | None],
) -> PenaltyOrder:
    from decimal import InvalidOperation

    from complaint_core.errors import RuleViolation
    from complaint_core.money import MAX_QUANTITY
    from complaint_core.penalty import Sanction
    from complaint_core.penalty_orders import FineOrder, LossOrder, OverdueOrder, PenaltyOrder, SanctionOrder, TierOrder
    from complaint_core.responsibility import PartyKind

    loss_order = None
    valuation = (decided_on, resold_on, a_grade_price, resale_price, quantity)
    resale = {"--a-grade-price": a_grade_price, "--resale-price": resale_price, "--quantity": quantity}
    for option, value in resale.items():
        if value is not None and (decided_on is None or resold_on is None):  # else it would be silently unused
            raise typer.BadParameter(
                "values a resale (P1-PEN-01): give --decided-on and --resold-on too", param_hint=f"'{option}'"
            )
    if loss is not None or any(v is not None for v in valuation):
        qty = None
        if quantity is not None:
            try:
                qty = Decimal(quantity.strip())
            except InvalidOperation:
                raise typer.BadParameter(f"{quantity!r} is not a number", param_hint="'--quantity'") from None
            if not qty.is_finite() or not 0 <= qty <= MAX_QUANTITY:
                raise typer.BadParameter(
                    f"{quantity!r} is not a quantity between 0 and {MAX_QUANTITY:,}", param_hint="'--quantity'"
                )
        loss_order = LossOrder(
            actual_loss=loss if loss is not None else Decimal("0.00"),
            decided_on=decided_on,
            resold_on=resold_on,
            a_grade_unit_price=a_grade_price,
            resale_unit_price=resale_price,
            quantity=qty,
        )
    sanction_orders = []
    for text in sanctions:
        head, extra, _ = _extras(text, "--sanction", {"count", "amount"}, set())
        person, kind = _pair(head, "--sanction", "M05=warning")
        if kind not in SANCTIONS:
            raise typer.BadParameter(f"{kind!r} is not one of {', '.join(SANCTIONS)}", param_hint="'--sanction'")
        sanction_orders.append(
            SanctionOrder(
                person_id=person,
                sanction=Sanction(kind),
                count=_count(extra.get("count", "1"), "--sanction"),
                amount=_money(extra.get("amount"), "--sanction"),
            )
        )
    tier_orders = []
    for text in tiers:
        person, extra, flags = _extras(text, "--tier", {"loss", "amount"}, {"lost"})
        tier_orders.append(
            TierOrder(
                person_id=person,
                loss=_money(extra.get("loss"), "--tier") or Decimal("0"),
                customer_lost="lost" in flags,
                amount=_money(extra.get("amount"), "--tier"),
            )
        )
    fine_orders = []
    for text in fines:
        head, extra, _ = _extras(text, "--fine", {"times", "kind", "amount"}, set())
        party, code = _pair(head, "--fine", "M05=F01")
        kind = extra.get("kind", "person")
        if kind not in {k.value for k in PartyKind}:
            allowed = ", ".join(k.value for k in PartyKind)
            raise typer.BadParameter(f"kind={kind!r} is not one of {allowed}", param_hint="'--fine'")
        fine_orders.append(
            FineOrder(
                party_id=party,
                code=code,
                occurrences=_count(extra.get("times", "1"), "--fine"),
                party_kind=PartyKind(kind),
                amount=_money(extra.get("amount"), "--fine"),
            )
        )
    overdue_orders = []
    for text in overdue:
        person, days = _pair(text, "--overdue", "S02=3 or S02=close")
        if days.isascii() and days.isdigit():
            late = int(days)
        elif days.isascii() and days.replace("_", "").isalnum() and not days[0].isdigit():
            found = days_late(days)  # a clock of the case: its full days late (P4-PEN-05)
            if found is None:
                raise RuleViolation(f"clock {days!r} was in time: no ticket was sat on", rule="P4-PEN-05")
            late = found
        else:
            raise typer.BadParameter(f"{days!r} is neither a number of days nor a clock", param_hint="'--overdue'")
        overdue_orders.append(OverdueOrder(person_id=person, full_days_late=late))
    for i, person in enumerate(count_tiers):
        if person in count_tiers[:i]:
            raise typer.BadParameter(f"{person!r} is given twice", param_hint="'--count-tier'")
    return PenaltyOrder(
        loss=loss_order,
        sanctions=tuple(sanction_orders),
        tiers=tuple(tier_orders),
        fines=tuple(fine_orders),
        overdue=tuple(overdue_orders),
        count_tiers=tuple(count_tiers),
    )


def assess(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(metavar="CASE", help="Case number or id.")],
    loss: Annotated[
        Decimal | None, typer.Option("--loss", parser=money_param, metavar="YUAN", help="Actual loss (P1-PEN-01).")
    ] = None,
    decided_on: Annotated[
        date | None, typer.Option("--decided-on", parser=date_param, metavar="DATE", help="Day the loss was decided.")
    ] = None,
    resold_on: Annotated[
        date | None, typer.Option("--resold-on", parser=date_param, metavar="DATE", help="Day the goods were resold.")
    ] = None,
    a_grade_price: Annotated[
        Decimal | None, typer.Option("--a-grade-price", parser=money_param, metavar="YUAN", help="A-grade unit price.")
    ] = None,
    resale_price: Annotated[
        Decimal | None, typer.Option("--resale-price", parser=money_param, metavar="YUAN", help="Resale unit price.")
    ] = None,
    quantity: Annotated[str | None, typer.Option("--quantity", metavar="N", help="Resold quantity.")] = None,
    sanction: Annotated[
        list[str] | None,
        typer.Option(
            "--sanction",
            metavar="PERSON=KIND[,count=N][,amount=YUAN]",
            help="warning|minor_demerit|major_demerit; count of bases, an amount above the minimum; repeatable.",
        ),
    ] = None,
    tier: Annotated[
        list[str] | None,
        typer.Option(
            "--tier",
            metavar="PERSON[,loss=YUAN][,lost][,amount=YUAN]",
            help="Tier penalty: the loss, a lost customer (P4-PEN-03), an amount above the minimum; repeatable.",
        ),
    ] = None,
    fine: Annotated[
        list[str] | None,
        typer.Option(
            "--fine",
            metavar="ID=CODE[,times=N][,kind=KIND][,amount=YUAN]",
            help="A fine, occurrences, party kind, amount above a minimum fine; repeatable.",
        ),
    ] = None,
    overdue: Annotated[
        list[str] | None,
        typer.Option(
            "--overdue",
            metavar="PERSON=DAYS|CLOCK",
            help="Sat on a ticket (P4-PEN-05): full days late, or the clock whose lateness counts; repeatable.",
        ),
    ] = None,
    count_tier: Annotated[
        list[str] | None,
        typer.Option(
            "--count-tier",
            metavar="PERSON",
            parser=name_param,
            help="Charge the person's count tier of the month (F4-PN-01..03), less what the month charged; repeatable.",
        ),
    ] = None,
    by: Annotated[
        str, typer.Option("--by", metavar="PERSON", parser=name_param, help="Who decides (the quality department).")
    ] = "cli",
    at: AtOption = None,
) -> None:
    """Propose the penalties of one case (P1-PEN-09); prints the assessment id and its lines."""
    from complaint_core.escalation import clock_days_late

    settings = settings_of(ctx)
    options = (loss, decided_on, resold_on, a_grade_price, resale_price, quantity, sanction or [], tier or [],
               fine or [], overdue or [], count_tier or [])  # fmt: skip
    _order(*options, lambda clock: 1)  # a bad option exits 2 before the database is opened
    app = open_for(ctx)
    found = app.cases.get(case)
    policy = app.cases.policy_of(found)
    when = instant(at, policy)
    order = _order(*options, lambda clock: clock_days_late(found, policy, app.cases.calendar_for(policy), clock, when))
    lang = settings.language(policy.language)
    assessment = app.penalties.assess(found.case_id, order, actor=by, at=when)
    headline = TEXT(
        "assessed", lang, id=assessment.assessment_id, number=found.reference,
        status=assessment_status(assessment.status.value, lang),
        total=f"{assessment.total:,.2f}",
    )  # fmt: skip

    def human(console: Console) -> None:
        console.print(_human(assessment, headline, lang, policy))

    emit(settings, {"assessment": assessment_json(assessment, case_number=found.reference)}, human)


def approve(
    ctx: typer.Context,
    assessment: Annotated[str, typer.Argument(metavar="ASSESSMENT", help="Assessment id.")],
    role: Annotated[str, typer.Option("--role", metavar="ROLE", help="Approving role (P1-APR-05: gm).")],
    by: Annotated[str, typer.Option("--by", metavar="PERSON", parser=name_param, help="Who approves.")],
    at: AtOption = None,
) -> None:
    """Approve an assessment: its deductible lines are posted in the month of approval."""
    _decide(
        ctx, assessment, at,
        lambda app, assessment_id, when: app.penalties.approve(assessment_id, role=role, actor=by, at=when),
        lambda approved, lang: TEXT(
            "approved", lang, id=approved.assessment_id, role=role, by=by, total=f"{approved.total:,.2f}"
        ),
    )  # fmt: skip


def endorse(
    ctx: typer.Context,
    assessment: Annotated[str, typer.Argument(metavar="ASSESSMENT", help="Assessment id.")],
    role: Annotated[str, typer.Option("--role", metavar="ROLE", help="Endorsing role (P1-APR-04: supervisor).")],
    by: Annotated[str, typer.Option("--by", metavar="PERSON", parser=name_param, help="Who endorses.")],
    at: AtOption = None,
) -> None:
    """The supervisor endorses the type of each warning or demerit (P1-APR-04); approval follows."""
    _decide(
        ctx, assessment, at,
        lambda app, assessment_id, when: app.penalties.endorse(assessment_id, role=role, actor=by, at=when),
        lambda endorsed, lang: TEXT("endorsed", lang, id=endorsed.assessment_id, role=role, by=by),
    )  # fmt: skip


def appeal(
    ctx: typer.Context,
    assessment: Annotated[str, typer.Argument(metavar="ASSESSMENT", help="Assessment id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the appeal succeeded.")],
    by: Annotated[str, typer.Option("--by", metavar="PERSON", parser=name_param, help="Who records it.")] = "cli",
    month: Annotated[
        str | None,
        typer.Option(
            "--month",
            parser=month_param,
            metavar="YYYY-MM",
            help="Latest ledger month of the reversal (default: of --at); an earlier open month takes it.",
        ),
    ] = None,
    at: AtOption = None,
) -> None:
    """A successful appeal: the assessment is reversed and its postings with it (never edited)."""
    _decide(
        ctx, assessment, at,
        lambda app, assessment_id, when: app.penalties.appeal(
            assessment_id, reason=reason, actor=by, month=month, at=when
        ),
        lambda reversed_, lang: TEXT("appealed", lang, id=reversed_.assessment_id, reason=reason),
    )  # fmt: skip


def withdraw(
    ctx: typer.Context,
    assessment: Annotated[str, typer.Argument(metavar="ASSESSMENT", help="Assessment id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it will not be approved.")],
    by: Annotated[str, typer.Option("--by", metavar="PERSON", parser=name_param, help="Who records it.")] = "cli",
    at: AtOption = None,
) -> None:
    """Withdraw a proposal that will not be approved (corrected by another, or refused): never posted, it no longer
    keeps the case from being settled."""
    _decide(
        ctx, assessment, at,
        lambda app, assessment_id, when: app.penalties.withdraw(assessment_id, reason=reason, actor=by, at=when),
        lambda withdrawn, lang: TEXT("withdrawn_done", lang, id=withdrawn.assessment_id, reason=reason),
    )  # fmt: skip


def _decide(
    ctx: typer.Context,
    assessment: str,
    at: datetime | None,
    decision: Callable[[App, UUID, datetime], Assessment],
    headline: Callable[[Assessment, Language], str],
) -> None:
    """Run ``decision`` on an assessment at ``--at`` in its policy's zone and print the result."""
    settings = settings_of(ctx)
    assessment_id = parse_uuid(assessment, "an assessment")
    app = open_for(ctx)
    current = app.penalties.assessment(assessment_id)
    policy = app.cases.policies.get(current.policy_id, current.policy_version)
    lang = settings.language(policy.language)
    decided = decision(app, assessment_id, instant(at, policy))
    number = case_numbers(app, {decided.case_id})[decided.case_id]
    text = headline(decided, lang)
    emit(
        settings,
        {"assessment": assessment_json(decided, case_number=number)},
        lambda console: console.print(_human(decided, text, lang, policy)),
    )


def show(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(metavar="CASE", help="Case number or id.")],
) -> None:
    """The penalty assessments of one case."""
    settings = settings_of(ctx)
    app = open_for(ctx)
    found, assessments = app.penalties.assessments(case)
    lang = settings.language(app.cases.policy_of(found).language)
    doc = {"assessments": [assessment_json(a, case_number=found.reference) for a in assessments]}

    def human(console: Console) -> None:
        for a in assessments:
            head = TEXT("assessed", lang, id=a.assessment_id, number=found.reference,
                        status=assessment_status(a.status.value, lang, endorsed=a.endorsed_at is not None),
                        total=f"{a.total:,.2f}")  # fmt: skip
            console.print(_human(a, head, lang, app.cases.policies.get(a.policy_id, a.policy_version)))

    emit(settings, doc, human)


def build() -> typer.Typer:
    app = area(
        "penalty",
        "Penalty assessments: assess, endorse, approve, withdraw, appeal, show. | 处罚建议、批示、核准、撤回与申诉。",
    )
    app.command("assess")(assess)
    app.command("endorse")(endorse)
    app.command("approve")(approve)
    app.command("withdraw")(withdraw)
    app.command("appeal")(appeal)
    app.command("show")(show)
    from .repair_split_cmd import repair_split

    app.command("repair-split")(repair_split)
    return app
