"""``complaint case …``: a complaint's lifecycle on the database, one command per step.

A case is referred to by its number or its id. Every write command takes
``--at`` (default now; without an offset it is in the case's policy zone) and
``--actor`` (default ``$COMPLAINT_ACTOR``, else ``cli``), and prints the case
(``--json``: ``jsonshapes.case_json``). Domain refusals exit 4 naming the rule,
an unknown case exits 3, a bad option value exits 2 before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .context import ACTOR_ENV, Language, area, settings_of
from .options import (
    AtOption,
    at_or_now,
    due_param,
    localize,
    money_param,
    month_param,
    name_param,
    parse_date,
    parse_share,
)
from .output import Texts, emit, lines, local_minute, table

if TYPE_CHECKING:
    from rich.console import Console

    from complaint_core.case import Case
    from complaint_core.organisation import Organisation
    from complaint_core.policy import Policy
    from complaint_core.responsibility import Party
    from complaint_core.validity import Validity
    from entrypoints.app import App

    from .context import Settings

TEXT = Texts(
    {
        # a due counted on a weekends-only estimate of the year (the policy's weekend_fallback): not official
        "estimated_due": (" (推算)", " (estimated)"),
        "done": ("案件 {ref}:{status}(版本 {version})", "case {ref}: {status} (version {version})"),
        "opened": ("已受理投诉,案件 {ref}(版本 {version})", "complaint received as case {ref} (version {version})"),
        "second": (
            "客户不接受处理结果:二次投诉 {ref},原案件 {parent}",
            "the customer rejected the outcome: second complaint {ref} of {parent}",
        ),
        "field": ("项目", "field"),
        "value": ("内容", "value"),
        "clock": ("时限", "clock"),
        "rule": ("条款", "rule"),
        "started": ("起算", "started"),
        "due": ("到期", "due"),
        "stopped": ("停止", "stopped"),
        "level": ("升级", "level"),
        "overdue": ("逾期", "overdue"),
        "status": ("状态", "status"),
        "number": ("编号", "number"),
        "customer": ("客户", "customer"),
        "category": ("类别", "category"),
        "received": ("受理时间", "received"),
        "amount": ("索赔金额", "claimed"),
        "handler": ("处理人", "handler"),
        "causer": ("责任方", "causer"),
        "remedy": ("处理方案", "remedy"),
        "cases": ("投诉案件({count})", "Cases ({count})"),
        "history": ("案件 {ref} 的记录", "History of case {ref}"),
        "type": ("事件", "event"),
        "at": ("时间", "at"),
        "actor": ("操作人", "actor"),
        "version": ("版本", "version"),
        "severity": ("严重程度", "severity"),
        "major": ("重大投诉", "major"),
        "parent": ("原投诉", "second complaint of"),
        "repeats": ("此前同一问题投诉", "earlier on the same issue"),
        "delay_days": ("延误天数", "days of delay"),
        "products": ("产品", "products"),
        "product_order": ("订单", "order"),
        "product_part": ("料号", "part"),
        "product_shipped": ("出货", "shipped"),
        "product_qty": ("数量", "qty"),
        "product_defective": ("不良", "defective"),
        "product_requested": ("要求处理", "requested"),
        "not_established_reason": ("不成立原因", "not established because"),
        "milestones": ("节点", "milestones"),
        "meeting": ("紧急会议", "meeting"),
        "improvements": ("改善对策", "improvements"),
        "flags": ("标记", "flags"),
        "cause": ("原因", "cause"),
        "validity": ("投诉性质", "validity"),
        "reason_sufficient": ("理由充分", "reason sufficient"),
        "reason_insufficient": ("理由不充分", "reason insufficient"),
        "request_reasonable": ("要求合理", "request reasonable"),
        "request_unreasonable": ("要求不合理", "request unreasonable"),
        "caused_loss": ("造成损失", "caused a loss"),
        "needs_joint_inspection": ("需会勘", "needs a joint inspection"),
        "hq_produced": ("总部生产", "produced by HQ"),
        "improvement_open": ("待确认 {due}", "to check by {due}"),
        "improvement_untracked": ("免追踪", "not tracked"),
        "improvement_effective": ("有效({by})", "effective ({by})"),
        "improvement_ineffective": ("无效({by})", "not effective ({by})"),
        "yes": ("是", "yes"),
        "no": ("否", "no"),
    }
)

PARTY_KINDS = ("person", "group_unit", "department", "supplier", "carrier", "customer")
CHANNELS = ("phone", "letter", "on_site", "opinion_book", "email", "web", "forwarded", "regulator")
STATUSES = (
    "received",
    "registered",
    "investigating",
    "attributed",
    "proposed",
    "approved",
    "replied",
    "closed",
    "settled",
    "not_established",
)
REMEDIES = ("explanation", "allowance", "compensation", "return", "rework", "exchange")
_PRODUCT_KEYS = {"order", "part", "shipped", "qty", "defective", "requested"}
_QUANTITY = re.compile(r"\d+(?:\.\d+)?", re.ASCII)


# ----- value parsers (pure: ValueError → exit 2 naming the option) --------------------------------
def parse_party_ref(text: str) -> tuple[str | None, str]:
    """``[KIND:]ID``: a known party kind before the first colon, else the whole text is the id (it may hold a colon)."""
    head, colon, rest = text.partition(":")
    if colon and head.strip() in PARTY_KINDS:
        return head.strip(), rest.strip()
    return None, text.strip()


def parse_party_share(text: str) -> tuple[str | None, str, Decimal]:
    """``[KIND:]ID=SHARE`` (``smt-2=0.6``, ``supplier:acme=0.4``); without a share it is ``1``."""
    ident, sep, share_text = text.rpartition("=")
    if not sep:
        ident, share_text = text, "1"
    kind, ident = parse_party_ref(ident)
    if not ident:
        raise ValueError(f"{text!r} is not [KIND:]ID=SHARE, e.g. smt-2=0.6 or supplier:acme=0.4")
    return kind, ident, parse_share(share_text)


def parse_product(text: str) -> dict[str, Any]:
    """``order=SO-1,part=PCB-4L,shipped=2026-10-20,qty=5000,defective=320,requested=320`` (every key optional)."""
    from complaint_core.money import MAX_QUANTITY

    out: dict[str, Any] = {}
    for item in (p for p in text.split(",") if p.strip()):
        key, sep, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or key not in _PRODUCT_KEYS:
            raise ValueError(f"{item!r}: a product is key=value pairs with keys {', '.join(sorted(_PRODUCT_KEYS))}")
        if key == "shipped":
            out["shipped_on"] = parse_date(value)
        elif key in ("qty", "defective", "requested"):
            quantity = Decimal(value) if _QUANTITY.fullmatch(value) else None
            if quantity is None or quantity > MAX_QUANTITY:
                raise ValueError(
                    f"{key}={value!r} is not a non-negative quantity such as 320 or 12.5 (at most {MAX_QUANTITY:,})"
                )
            out[{"qty": "quantity", "defective": "defective_quantity", "requested": "requested_quantity"}[key]] = (
                quantity
            )
        else:
            out["order_no" if key == "order" else "part_no"] = value
    if not out:
        raise ValueError(f"{text!r} names no product field")
    if "quantity" in out and "defective_quantity" in out and out["defective_quantity"] > out["quantity"]:
        raise ValueError(f"{text!r}: defective exceeds qty")
    return out


def intake_details(policy: Policy, texts: list[str]) -> tuple[tuple[str, str], ...]:
    """``FIELD=VALUE`` options as intake details: fields of the policy, each once, values not blank (else exit 2)."""
    fields = [f.name for f in policy.intake.fields]
    out: dict[str, str] = {}
    for text in texts:
        name, sep, value = text.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not value:
            raise typer.BadParameter(f"{text!r} is not FIELD=VALUE", param_hint="'--detail'")
        if name not in fields:
            known = ", ".join(fields) or "none"
            raise typer.BadParameter(
                f"{name!r} is not an intake field of the policy ({known})", param_hint="'--detail'"
            )
        if name in out:
            raise typer.BadParameter(f"{name} is given twice", param_hint="'--detail'")
        out[name] = value
    return tuple(out.items())


def parse_each(values: list[str] | None, parse: Callable[[str], Any], hint: str) -> list[Any]:
    """Each repeated option value through ``parse``; a bad one is a usage error naming the option (exit 2)."""
    out = []
    for value in values or ():
        try:
            out.append(parse(value))
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint=hint) from None
    return out


# ----- shared options -----------------------------------------------------------------------------
CaseArg = Annotated[str, typer.Argument(metavar="CASE", help="Case number or id.")]
ActorOption = Annotated[
    str,
    typer.Option(
        "--actor", envvar=ACTOR_ENV, parser=name_param, help="Who does it (default $COMPLAINT_ACTOR, else cli)."
    ),
]
DEFAULT_ACTOR = "cli"
ReasonOption = Annotated[
    bool | None,
    typer.Option(
        "--reason-sufficient/--reason-insufficient",
        help="Finding: the customer's reason is sufficient, or not (P3-CLS-03; give with the request finding).",
        show_default=False,
    ),
]
RequestOption = Annotated[
    bool | None,
    typer.Option(
        "--request-reasonable/--request-unreasonable",
        help="Finding: the customer's request is reasonable, or not (P3-CLS-03; give with the reason finding).",
        show_default=False,
    ),
]


def validity_of(reason: bool | None, request: bool | None) -> Validity | None:
    """The two P3-CLS-03 findings, both or neither: one alone is a usage error naming the missing option."""
    if reason is None and request is None:
        return None
    if reason is None:
        raise typer.BadParameter(
            "the request finding needs the reason finding too", param_hint="'--reason-sufficient/--reason-insufficient'"
        )
    if request is None:
        raise typer.BadParameter(
            "the reason finding needs the request finding too",
            param_hint="'--request-reasonable/--request-unreasonable'",
        )
    from complaint_core.validity import Validity

    return Validity(reason_sufficient=reason, request_reasonable=request)


# ----- machinery ----------------------------------------------------------------------------------
def localize_at(app: App, at: datetime | None, ref: str | None = None, policy_id: str | None = None) -> datetime | None:
    """``--at`` as an aware instant (naive: in the policy's zone; the case's when ``ref`` is given); None = now."""
    if at is None or at.tzinfo is not None:
        return at
    if ref is not None:
        policy = app.cases.policy_of(app.cases.get(ref))
    else:
        pid = policy_id or app.cases.default_policy or "manufacturing"
        policy = app.cases.policies.get(pid)
    return localize(at, policy.tz)


def check_when(app: App, policy: Policy, when: datetime | None) -> None:
    """Refuse before writing anything a ``when`` ahead of now (exit 4, ``CaseService.recorded_at``) or outside the
    calendar of a policy that counts working days (exit 6, ``CaseService.check_covered``)."""
    if when is not None:
        app.cases.recorded_at(when)
    app.cases.check_covered(policy, when or now_utc())


def now_utc() -> datetime:
    from datetime import UTC

    return datetime.now(UTC)


def case_doc(app: App, case: Case, as_of: datetime, numbers: dict[Any, str | None] | None = None) -> dict[str, Any]:
    """``case_json`` with the case's policy, calendar and parent number."""
    from entrypoints.jsonshapes import case_json

    policy = app.cases.policy_of(case)
    parent_number = None
    if case.parent_case_id is not None:
        if numbers is not None and case.parent_case_id in numbers:
            parent_number = numbers[case.parent_case_id]
        else:
            parent_number = app.cases.get(case.parent_case_id).number
    return case_json(case, policy, app.cases.calendar_for(policy), as_of=as_of, parent_number=parent_number)


def category_label(policy: Policy, code: str, lang: Language) -> str:
    """The policy's label of a category (质量异常 for ``quality``); the code itself if the policy lost it."""
    found = next((c for c in policy.categories if c.code == code), None)
    return found.label(lang) if found is not None else code


def clock_label(policy: Policy, name: str, lang: Language) -> str:
    """The label of a clock's rule (结案期限 for ``close``); the name itself where the policy has no rule for it."""
    rules = policy.clock_rules(name)
    return rules[0].label(lang) if rules else name


def remedy_label(kind: str, lang: Language) -> str:
    from complaint_core.case import REMEDY_LABELS, RemedyKind

    zh, en = REMEDY_LABELS[RemedyKind(kind)]
    return zh if lang == "zh" else en


def status_label(status: str, lang: Language) -> str:
    from complaint_core.case import STATUS_LABELS, CaseStatus

    zh, en = STATUS_LABELS[CaseStatus(status)]
    return zh if lang == "zh" else en


def step_label(name: str, policy: Policy, lang: Language) -> str:
    """A lifecycle status or a policy milestone by its label, with the name the policy file uses."""
    if name in STATUSES:
        label = status_label(name, lang)
    else:
        found = policy.milestone_rule(name)
        label = found.label(lang) if found is not None else name
    return name if label == name else f"{label} ({name})"


def severity_label(policy: Policy, code: str, lang: Language) -> str:
    found = next((s for s in policy.severities if s.code == code), None)
    return code if found is None else f"{found.label(lang)} ({code})"


def policy_lang(app: App, case: Case, settings: Settings) -> Language:
    return settings.language(app.cases.policy_of(case).language)


def emit_case(settings: Settings, app: App, case: Case, when: datetime | None, message: str | None = None) -> None:
    doc = case_doc(app, case, when or now_utc())
    lang = policy_lang(app, case, settings)
    line = message or TEXT(
        "done", lang, ref=case.reference, status=status_label(doc["status"], lang), version=case.version
    )
    emit(settings, doc, lambda console: console.print(line, markup=False, highlight=False))


def case_at(app: App, ref: str, at: datetime | None) -> tuple[Case, datetime | None]:
    """The case, and ``--at`` placed in its policy's zone (None = now) and checked (``check_when``): one read."""
    case = app.cases.get(ref)
    policy = app.cases.policy_of(case)
    when = None if at is None else localize(at, policy.tz)
    check_when(app, policy, when)
    return case, when


def check_severity(policy: Policy, severity: str, hint: str) -> None:
    severities = [s.code for s in policy.severities]
    if severity not in severities:
        raise typer.BadParameter(
            f"{severity!r} is not a severity of policy {policy.policy_id} ({', '.join(severities) or 'none'})",
            param_hint=hint,
        )


def product_text(product: dict[str, Any], lang: Language) -> str:
    """One product line as ``key value`` pairs in the language, the unknown ones left out."""
    keys = ("order", "part", "shipped", "qty", "defective", "requested")
    return ", ".join(f"{TEXT('product_' + k, lang)} {product[k]}" for k in keys if product[k] not in (None, ""))


def run_step(
    ctx: typer.Context,
    ref: str,
    at: datetime | None,
    step: Callable[[App, datetime | None], Case],
    check: Callable[[Policy], None] | None = None,
) -> None:
    """Open the app, place ``--at`` in the case's zone, run one service command, print the case. ``check`` sees the
    case's policy first: a value the policy does not have is a usage error (exit 2), as for ``case open``."""
    settings = settings_of(ctx)
    from .appctx import open_for

    app = open_for(ctx)
    found, when = case_at(app, ref, at)
    if check is not None:
        check(app.cases.policy_of(found))
    case = step(app, when)
    emit_case(settings, app, case, when)


def organisation_or_none(app: App) -> Organisation | None:
    from complaint_core.errors import NotFound

    try:
        return app.organisation.get()
    except NotFound:
        return None


def resolve_party(org: Organisation | None, kind: str | None, ident: str, option: str) -> Party:
    """A party from ``[KIND:]ID``: the kind from the prefix, else looked up in the stored organisation."""
    from complaint_core.responsibility import Party, PartyKind

    if not ident:
        raise typer.BadParameter("an id is required: [KIND:]ID, e.g. person:S1 or smt-2", param_hint=option)
    people = {p.id: p for p in org.people} if org else {}
    units = {u.code: u for u in org.units} if org else {}
    departments = {d.code: d for d in org.departments} if org else {}
    if kind is not None:
        pk = PartyKind(kind)
        names: dict[PartyKind, dict[str, str]] = {
            PartyKind.PERSON: {k: v.name for k, v in people.items()},
            PartyKind.GROUP_UNIT: {k: v.name for k, v in units.items()},
            PartyKind.DEPARTMENT: {k: v.name for k, v in departments.items()},
        }
        found = names.get(pk)
        if found is not None and org is not None and ident not in found:
            raise typer.BadParameter(f"no {kind} {ident!r} in the stored organisation", param_hint=option)
        name = found.get(ident, "") if found else ""
        return Party(pk, ident, name)
    if org is None:
        raise typer.BadParameter(
            f"{ident!r}: no organisation loaded to tell its kind; run `complaint org import FILE` "
            f"or write KIND:{ident} (kinds: {', '.join(PARTY_KINDS)})",
            param_hint=option,
        )
    if ident in people:
        return Party(PartyKind.PERSON, ident, people[ident].name)
    if ident in units:
        return Party(PartyKind.GROUP_UNIT, ident, units[ident].name)
    if ident in departments:
        return Party(PartyKind.DEPARTMENT, ident, departments[ident].name)
    raise typer.BadParameter(
        f"{ident!r} is no person, group unit or department of the stored organisation "
        f"(write KIND:{ident} for an external party)",
        param_hint=option,
    )


# ----- commands: intake and lifecycle -------------------------------------------------------------
def open_case(
    ctx: typer.Context,
    customer: Annotated[str, typer.Option("--customer", help="The complaining customer.")],
    category: Annotated[str, typer.Option("--category", help="A category code of the policy.")],
    channel: Annotated[str, typer.Option("--channel", help=f"How it came in: {', '.join(CHANNELS)}.")] = "phone",
    kind: Annotated[str, typer.Option("--kind", help="external or internal.")] = "external",
    market: Annotated[str, typer.Option("--market", help="domestic or foreign.")] = "domestic",
    severity: Annotated[str | None, typer.Option("--severity", help="A severity code of the policy.")] = None,
    description: Annotated[str, typer.Option("--description", help="What the customer said.")] = "",
    amount: Annotated[
        Decimal | None, typer.Option("--amount", parser=money_param, metavar="YUAN", help="The amount claimed.")
    ] = None,
    product: Annotated[
        list[str] | None,
        typer.Option(
            "--product",
            metavar="K=V,…",
            help="A product line: order=,part=,shipped=YYYY-MM-DD,qty=,defective=,requested= (repeatable).",
        ),
    ] = None,
    detail: Annotated[
        list[str] | None,
        typer.Option(
            "--detail",
            metavar="FIELD=VALUE",
            help="One of the policy's own intake fields, e.g. plate=沪A12345 (repeatable; `policy show` lists them).",
        ),
    ] = None,
    flag: Annotated[
        list[str] | None,
        typer.Option(
            "--flag",
            metavar="FLAG",
            help="caused_loss, needs_joint_inspection (会勘, P1-CLS-07) or hq_produced (P2-CLS-07); repeatable.",
        ),
    ] = None,
    policy: Annotated[
        str | None, typer.Option("--policy", help="Policy id (default: the one `complaint init` chose).")
    ] = None,
    at: AtOption = None,
    actor: ActorOption = DEFAULT_ACTOR,
) -> None:
    """Take in a complaint (受理): a new case with its clocks running."""
    from complaint_core.intake import CASE_FLAGS, MAX_PRODUCT_LINES, Intake, ProductLine, missing_datum
    from complaint_core.policy import CaseKind, Channel, Market

    from .appctx import open_for

    lines = parse_each(product, parse_product, "'--product'")
    if len(lines) > MAX_PRODUCT_LINES:
        raise typer.BadParameter(
            f"at most {MAX_PRODUCT_LINES} product lines, got {len(lines)}", param_hint="'--product'"
        )
    settings = settings_of(ctx)
    app = open_for(ctx)
    pid = policy or app.cases.default_policy or "manufacturing"
    loaded = app.cases.policies.get(pid)
    codes = [c.code for c in loaded.categories]
    if category not in codes:
        raise typer.BadParameter(
            f"{category!r} is not a category of policy {pid} ({', '.join(codes)})", param_hint="'--category'"
        )
    channels = [c.value for c in loaded.channels]
    if channel not in channels:
        raise typer.BadParameter(
            f"{channel!r} is not a channel of policy {pid} ({', '.join(channels)})", param_hint="'--channel'"
        )
    if severity is not None:
        check_severity(loaded, severity, "'--severity'")
    for value, enum, hint in ((kind, CaseKind, "'--kind'"), (market, Market, "'--market'")):
        if value not in [e.value for e in enum]:
            raise typer.BadParameter(f"{value!r} is not one of {', '.join(e.value for e in enum)}", param_hint=hint)
    if not customer.strip():
        raise typer.BadParameter("a customer is required", param_hint="'--customer'")
    for value in flag or ():
        if value not in CASE_FLAGS:
            raise typer.BadParameter(f"{value!r} is not one of {', '.join(sorted(CASE_FLAGS))}", param_hint="'--flag'")
    intake = Intake(
        customer=customer,
        channel=Channel(channel),
        category=category,
        description=description,
        market=Market(market),
        kind=CaseKind(kind),
        lines=tuple(ProductLine(**line) for line in lines),
        claimed_amount=amount,
        flags=frozenset(flag or ()),
        details=intake_details(loaded, detail or []),
    )
    missing = missing_datum(loaded.intake, intake)
    if missing is not None:  # refused here as an option (exit 2), not by receive (exit 4)
        name, rule = missing
        options = {"description": "--description", "claimed_amount": "--amount", "lines": "--product"}
        what = name if name in options else f"{name}=…"
        raise typer.BadParameter(f"policy {pid} needs {what} ({rule})", param_hint=f"'{options.get(name, '--detail')}'")
    when = localize_at(app, at, policy_id=pid)
    check_when(app, loaded, when)
    case = app.cases.receive(intake, actor=actor, at=when, policy_id=pid, severity=severity)
    lang = settings.language(loaded.language)
    emit_case(settings, app, case, when, TEXT("opened", lang, ref=case.reference, version=case.version))


def register(ctx: typer.Context, case: CaseArg, at: AtOption = None, actor: ActorOption = DEFAULT_ACTOR) -> None:
    """Register the case (立案); policies numbering at registration give it its number."""
    run_step(ctx, case, at, lambda app, when: app.cases.register(case, actor=actor, at=when))


def investigate(ctx: typer.Context, case: CaseArg, at: AtOption = None, actor: ActorOption = DEFAULT_ACTOR) -> None:
    """Start the investigation (调查)."""
    run_step(ctx, case, at, lambda app, when: app.cases.start_investigation(case, actor=actor, at=when))


def attribute(
    ctx: typer.Context,
    case: CaseArg,
    party: Annotated[
        list[str] | None,
        typer.Option(
            "--party",
            metavar="[KIND:]ID=SHARE",
            help="A causer and its fault share (repeatable; shares sum to 1). KIND: " + ", ".join(PARTY_KINDS),
        ),
    ] = None,
    delay: Annotated[
        list[str] | None,
        typer.Option("--delay", metavar="[KIND:]ID[=SHARE]", help="Who delayed it (repeatable)."),
    ] = None,
    handler: Annotated[
        str | None, typer.Option("--handler", metavar="[KIND:]ID", help="Who handles the case (a person).")
    ] = None,
    no_fault: Annotated[bool, typer.Option("--no-fault", help="Finding: no fault of ours (no causer).")] = False,
    cause: Annotated[
        str | None, typer.Option("--cause", metavar="CODE", help="The root cause found (counted in the Pareto).")
    ] = None,
    reason: ReasonOption = None,
    request: RequestOption = None,
    at: AtOption = None,
    actor: ActorOption = DEFAULT_ACTOR,
) -> None:
    """Record the findings (责任认定): causers with fault shares, the delay, the handler, the cause (P1-LC-08),
    and the validity where the policy asks (P3-CLS-03)."""
    from complaint_core.responsibility import FaultShare, Responsibility

    from .appctx import open_for

    validity = validity_of(reason, request)
    parties = parse_each(party, parse_party_share, "'--party'")
    delays = parse_each(delay, parse_party_share, "'--delay'")
    settings = settings_of(ctx)
    app = open_for(ctx)
    handler_ref = None if handler is None else parse_party_ref(handler)
    org = organisation_or_none(app)  # also checks a KIND:ID against it

    def responsibility(items: list[tuple[str | None, str, Decimal]] | None, option: str) -> Responsibility | None:
        if not items:
            return None
        return Responsibility(tuple(FaultShare(resolve_party(org, k, i, option), s) for k, i, s in items))

    causer = responsibility(parties, "'--party'")
    delayed = responsibility(delays, "'--delay'")
    handler_party = None if handler_ref is None else resolve_party(org, *handler_ref, "'--handler'")
    _, when = case_at(app, case, at)
    found = app.cases.attribute(
        case,
        actor=actor,
        at=when,
        handler=handler_party,
        causer=causer,
        delay=delayed,
        no_fault=no_fault,
        cause_code=cause,
        validity=validity,
    )
    emit_case(settings, app, found, when)


def assign(
    ctx: typer.Context,
    case: CaseArg,
    handler: Annotated[str, typer.Option("--handler", metavar="[KIND:]ID", help="Who handles the case.")],
    at: AtOption = None,
    actor: ActorOption = DEFAULT_ACTOR,
) -> None:
    """Name the handler before the findings (经办人); the accused may not handle their case (F8-RO-01)."""
    from .appctx import open_for

    app = open_for(ctx)
    kind, ident = parse_party_ref(handler)
    party = resolve_party(organisation_or_none(app), kind, ident, "'--handler'")
    when = localize_at(app, at, case)
    emit_case(settings_of(ctx), app, app.cases.assign(case, party, actor=actor, at=when), when)


def propose(
    ctx: typer.Context,
    case: CaseArg,
    remedy: Annotated[str, typer.Option("--remedy", help=f"The remedy: {', '.join(REMEDIES)}.")],
    amount: Annotated[
        Decimal | None,
        typer.Option("--amount", parser=money_param, metavar="YUAN", help="Its amount (an explanation: 0)."),
    ] = None,
    note: Annotated[str, typer.Option("--note", help="A note on the remedy.")] = "",
    at: AtOption = None,
    actor: ActorOption = DEFAULT_ACTOR,
) -> None:
    """Propose the remedy (拟处理意见)."""
    if remedy not in REMEDIES:
        raise typer.BadParameter(f"{remedy!r} is not one of {', '.join(REMEDIES)}", param_hint="'--remedy'")
    if amount is None and remedy != "explanation":
        raise typer.BadParameter(f"a {remedy} needs its amount", param_hint="'--amount'")
    from complaint_core.case import RemedyKind

    value = amount if amount is not None else Decimal("0.00")

    run_step(
        ctx,
        case,
        at,
        lambda app, when: app.cases.propose(
            case, actor=actor, kind=RemedyKind(remedy), amount=value, note=note, at=when
        ),
    )


def approve(
    ctx: typer.Context,
    case: CaseArg,
    by: Annotated[str, typer.Option("--by", metavar="PERSON", parser=name_param, help="Who approves.")],
    role: Annotated[str, typer.Option("--role", help="The approver's role in the policy's approval table.")],
    remedy: Annotated[
        str | None, typer.Option("--remedy", help="Approve another remedy than proposed (default: the proposed kind).")
    ] = None,
    amount: Annotated[
        Decimal | None,
        typer.Option("--amount", parser=money_param, metavar="YUAN", help="Approve another amount than proposed."),
    ] = None,
    at: AtOption = None,
) -> None:
    """Approve the proposed remedy (核决), or a revised one (--remedy, --amount); the role's limit must cover the
    approved amount (DOMAIN §6.2; a refusal names the policy's approval rule, P1-APR-02 in manufacturing)."""
    if remedy is not None and remedy not in REMEDIES:
        raise typer.BadParameter(f"{remedy!r} is not one of {', '.join(REMEDIES)}", param_hint="'--remedy'")

    def step(app: App, when: datetime | None) -> Case:
        from complaint_core.case import Remedy, RemedyKind

        revised = None
        if remedy is not None or amount is not None:
            proposed = app.cases.get(case).remedy
            kind = RemedyKind(remedy) if remedy is not None else proposed.kind if proposed else None
            value = amount if amount is not None else proposed.amount if proposed else None
            if kind is None or value is None:
                raise typer.BadParameter("nothing was proposed: give --remedy and --amount", param_hint="'--amount'")
            revised = Remedy(kind, value)
        return app.cases.approve(case, actor=by, role=role, remedy=revised, at=when)

    run_step(ctx, case, at, step)


def reply(
    ctx: typer.Context,
    case: CaseArg,
    message: Annotated[str, typer.Option("--message", help="What the customer was told.")],
    reaction: Annotated[str, typer.Option("--reaction", help="How the customer took it.")] = "",
    at: AtOption = None,
    actor: ActorOption = DEFAULT_ACTOR,
) -> None:
    """Record the reply to the customer (答复)."""
    run_step(
        ctx, case, at, lambda app, when: app.cases.reply(case, actor=actor, message=message, reaction=reaction, at=when)
    )


def close(ctx: typer.Context, case: CaseArg, at: AtOption = None, actor: ActorOption = DEFAULT_ACTOR) -> None:
    """Close the case (结案)."""
    run_step(ctx, case, at, lambda app, when: app.cases.close(case, actor=actor, at=when))


def settle(ctx: typer.Context, case: CaseArg, at: AtOption = None, actor: ActorOption = DEFAULT_ACTOR) -> None:
    """Settle the closed case (结清)."""
    run_step(ctx, case, at, lambda app, when: app.cases.settle(case, actor=actor, at=when))


def reject(
    ctx: typer.Context,
    case: CaseArg,
    reason: Annotated[str, typer.Option("--reason", help="Why the complaint is not established.")],
    sufficient: ReasonOption = None,
    request: RequestOption = None,
    at: AtOption = None,
    actor: ActorOption = DEFAULT_ACTOR,
) -> None:
    """Find the complaint not established (投诉不成立), with the reason (P1-LC-14) and, where the policy asks, the
    validity (P3-CLS-03: the reason insufficient)."""
    validity = validity_of(sufficient, request)
    run_step(
        ctx,
        case,
        at,
        lambda app, when: app.cases.find_not_established(case, actor=actor, reason=reason, validity=validity, at=when),
    )


def second(
    ctx: typer.Context,
    case: CaseArg,
    description: Annotated[str, typer.Option("--description", help="What the customer objects to.")] = "",
    at: AtOption = None,
    actor: ActorOption = DEFAULT_ACTOR,
) -> None:
    """The customer rejects the outcome: open a linked second complaint (P1-LC-10)."""
    from .appctx import open_for

    settings = settings_of(ctx)
    app = open_for(ctx)
    parent, when = case_at(app, case, at)
    new = app.cases.open_second_complaint(parent.case_id, actor=actor, at=when, description=description)
    lang = policy_lang(app, new, settings)
    emit_case(settings, app, new, when, TEXT("second", lang, ref=new.reference, parent=parent.reference))


def pause(
    ctx: typer.Context,
    case: CaseArg,
    clock: Annotated[str, typer.Option("--clock", help="The clock to pause.")],
    reason: Annotated[str, typer.Option("--reason", help="A pause reason the clock's rule allows.")],
    at: AtOption = None,
    actor: ActorOption = DEFAULT_ACTOR,
) -> None:
    """Pause a clock for a reason its rule allows (waiting for the customer, say)."""
    run_step(ctx, case, at, lambda app, when: app.cases.pause_clock(case, clock, actor=actor, reason=reason, at=when))


def resume(
    ctx: typer.Context,
    case: CaseArg,
    clock: Annotated[str, typer.Option("--clock", help="The paused clock.")],
    at: AtOption = None,
    actor: ActorOption = DEFAULT_ACTOR,
) -> None:
    """Resume a paused clock."""
    run_step(ctx, case, at, lambda app, when: app.cases.resume_clock(case, clock, actor=actor, at=when))


def extend(
    ctx: typer.Context,
    case: CaseArg,
    clock: Annotated[str, typer.Option("--clock", help="The clock to extend.")],
    reason: Annotated[str, typer.Option("--reason", help="The special circumstance.")],
    by: Annotated[str, typer.Option("--by", metavar="PERSON", parser=name_param, help="Who approved the extension.")],
    at: AtOption = None,
    actor: ActorOption = DEFAULT_ACTOR,
) -> None:
    """Declare a special circumstance: the clock runs on its extended limit (F2-DL-06)."""
    run_step(
        ctx,
        case,
        at,
        lambda app, when: app.cases.declare_special_circumstance(
            case, clock, actor=actor, reason=reason, approver=by, at=when
        ),
    )


def promise(
    ctx: typer.Context,
    case: CaseArg,
    clock: Annotated[str, typer.Option("--clock", help="The clock that takes a promised date.")],
    due: Annotated[
        datetime,
        typer.Option(
            "--due", parser=due_param, metavar="DATETIME", help="The promised time, ISO-8601 (a date: its end)."
        ),
    ],
    at: AtOption = None,
    actor: ActorOption = DEFAULT_ACTOR,
) -> None:
    """Record a promised time, which becomes the clock's deadline (to the customer, P4-DL-06; on the memo, P2-DL-08)."""

    def step(app: App, when: datetime | None) -> Case:
        promised = due if due.tzinfo is not None else localize_at(app, due, case)
        assert promised is not None
        return app.cases.record_promise(case, clock, actor=actor, due=promised, at=when)

    run_step(ctx, case, at, step)


def petition(
    ctx: typer.Context,
    case: CaseArg,
    department: Annotated[str, typer.Option("--department", help="The objecting department.")],
    reason: Annotated[str, typer.Option("--reason", help="Its reason.")],
    at: AtOption = None,
    actor: ActorOption = DEFAULT_ACTOR,
) -> None:
    """A department objects to the decision (签呈): attribution re-opens (P1-LC-12)."""

    def known(app: App) -> str:  # with an organisation stored, one of its departments (as --causer checks)
        return resolve_party(organisation_or_none(app), "department", department.strip(), "'--department'").id

    run_step(
        ctx,
        case,
        at,
        lambda app, when: app.cases.petition(case, actor=actor, department=known(app), reason=reason, at=when),
    )


# ----- commands: queries --------------------------------------------------------------------------
def _show_doc(ctx: typer.Context, ref: str, at: datetime | None) -> tuple[dict[str, Any], Policy]:
    """``case_doc`` of the case and its policy's language: read-only with ``sqlite3`` alone when the database
    is a SQLite file at the current schema (no SQLAlchemy: a quick start), else through ``open_for``."""
    from adapters.sql.readonly import ReadOnlyCases

    store = ReadOnlyCases.open(settings_of(ctx).db)
    if store is None:
        from .appctx import open_for

        app = open_for(ctx)
        found = app.cases.get(ref)
        policy = app.cases.policy_of(found)
        return case_doc(app, found, at_or_now(at, policy.tz, now_utc)), policy
    from entrypoints.jsonshapes import case_json

    try:
        found = store.get(ref)
        policy = store.policy_of(found)
        when = at_or_now(at, policy.tz, now_utc)
        parent = None if found.parent_case_id is None else store.number_of(found.parent_case_id)
        return case_json(found, policy, store.calendar_for(policy), as_of=when, parent_number=parent), policy
    finally:
        store.close()


def improvement_line(doc: dict[str, Any], lang: Language, tz: tzinfo) -> str:
    """``1 measures (owner): where its check stands``, for tables."""
    if not doc["tracked"]:
        state = TEXT("improvement_untracked", lang)
    elif doc["verified_at"] is None:
        state = TEXT("improvement_open", lang, due=local_minute(doc["due_at"], tz) or "-")
    else:
        key = "improvement_effective" if doc["effective"] else "improvement_ineffective"
        state = TEXT(key, lang, by=doc["verified_by"])
    return f"{doc['number']} {doc['measures']} ({doc['owner']}): {state}"


def show(ctx: typer.Context, case: CaseArg, at: AtOption = None) -> None:
    """One case with its clocks and deadlines (overdue as of --at, default now)."""
    settings = settings_of(ctx)
    doc, policy = _show_doc(ctx, case, at)
    lang = settings.language(policy.language)
    tz = policy.tz

    def human(console: Console) -> None:
        causer = doc["responsibility"]["causer"] or []
        remedy = doc["remedy"]
        rows = [
            (TEXT("number", lang), doc["number"] or doc["id"]),
            (TEXT("status", lang), status_label(doc["status"], lang)),
            (TEXT("customer", lang), doc["customer"]),
            (TEXT("category", lang), category_label(policy, doc["category"], lang)),
            (TEXT("received", lang), local_minute(doc["received_at"], tz)),
            (TEXT("amount", lang), doc["amount"]),
            (TEXT("handler", lang), doc["handler"]["id"] if doc["handler"] else None),
            (TEXT("causer", lang), ", ".join(f"{c['party']['id']}={c['share']}" for c in causer) or None),
            (TEXT("remedy", lang), f"{remedy_label(remedy['kind'], lang)} {remedy['amount']}" if remedy else None),
            (TEXT("severity", lang), severity_label(policy, doc["severity"], lang) if doc["severity"] else None),
            (TEXT("major", lang), TEXT("yes" if doc["major"] else "no", lang)),
        ]
        if doc["parent_number"]:  # a parent is closed, so registered and numbered
            rows.append((TEXT("parent", lang), doc["parent_number"]))
        if doc["products"]:
            rows.append((TEXT("products", lang), lines(*(product_text(p, lang) for p in doc["products"]))))
        if doc["repeat_count"]:
            rows.append((TEXT("repeats", lang), str(doc["repeat_count"])))
        if doc["delay_days"]:
            rows.append((TEXT("delay_days", lang), str(doc["delay_days"])))
        if doc["not_established_reason"]:
            rows.append((TEXT("not_established_reason", lang), doc["not_established_reason"]))
        if doc["milestones"]:
            reached = [f"{local_minute(m['at'], tz)} {step_label(m['name'], policy, lang)}" for m in doc["milestones"]]
            rows.append((TEXT("milestones", lang), lines(*reached)))
        if doc["meeting"]:
            meeting = doc["meeting"]
            held = f"{local_minute(meeting['at'], tz)} {', '.join(meeting['attendees'])}"
            rows.append((TEXT("meeting", lang), lines(held, meeting["minutes"])))
        if doc["cause"]:
            causes = {c.code: c.label(lang) for c in policy.penalties.sanction_causes}
            rows.append((TEXT("cause", lang), causes.get(doc["cause"], doc["cause"])))
        if doc["validity"]:
            found = doc["validity"]
            reason = TEXT("reason_sufficient" if found["reason_sufficient"] else "reason_insufficient", lang)
            request = TEXT("request_reasonable" if found["request_reasonable"] else "request_unreasonable", lang)
            rows.append((TEXT("validity", lang), f"{reason}, {request}" if lang == "en" else f"{reason},{request}"))
        if doc["flags"]:
            rows.append((TEXT("flags", lang), ", ".join(TEXT(f, lang) for f in doc["flags"])))
        labels = {f.name: f.label(lang) for f in policy.intake.fields}
        rows.extend((labels.get(name, name), value) for name, value in doc["details"].items())
        if doc["improvements"]:
            rows.append(
                (TEXT("improvements", lang), lines(*(improvement_line(i, lang, tz) for i in doc["improvements"])))
            )
        console.print(table(None, [TEXT("field", lang), TEXT("value", lang)], rows))
        clock_rows = [
            (
                (c["label"] or {}).get(lang, c["name"]) if c["label"] else c["name"],
                c["rule"],
                local_minute(c["started_at"], tz),
                f"{local_minute(c['due_at'], tz)}{TEXT('estimated_due', lang)}"
                if c["warnings"] and c["due_at"]
                else local_minute(c["due_at"], tz),
                local_minute(c["stopped_at"], tz),
                c["level"],
                TEXT("yes" if c["overdue"] else "no", lang),
            )
            for c in doc["clocks"]
        ]
        keys = ("clock", "rule", "started", "due", "stopped", "level", "overdue")
        console.print(table(None, [TEXT(k, lang) for k in keys], clock_rows))

    emit(settings, doc, human)


def list_cases(
    ctx: typer.Context,
    status: Annotated[
        list[str] | None, typer.Option("--status", help=f"Only these statuses (repeatable): {', '.join(STATUSES)}.")
    ] = None,
    customer: Annotated[str | None, typer.Option("--customer", help="Only this customer.")] = None,
    department: Annotated[
        str | None, typer.Option("--department", help="Only cases naming this party (department, unit or person).")
    ] = None,
    overdue: Annotated[
        bool, typer.Option("--overdue", help="Only cases with a running clock overdue at --at.")
    ] = False,
    month: Annotated[
        str | None, typer.Option("--month", parser=month_param, metavar="YYYY-MM", help="Received in this month.")
    ] = None,
    at: AtOption = None,
) -> None:
    """The cases, oldest first, with filters."""
    from complaint_core.case import CaseStatus
    from complaint_core.timeutil import month_span

    from .appctx import open_for

    for value in status or ():
        if value not in STATUSES:
            raise typer.BadParameter(f"{value!r} is not one of {', '.join(STATUSES)}", param_hint="'--status'")
    settings = settings_of(ctx)
    app = open_for(ctx)
    default = app.default_policy()
    tz = default.tz
    when = localize_at(app, at) or now_utc()
    received_from, received_before = month_span(month, tz) if month is not None else (None, None)
    with app.uow.read_only() as uow:
        cases = uow.cases.list(
            status=[CaseStatus(s) for s in status or ()],
            customer=customer,
            party=department,
            received_from=received_from,
            received_before=received_before,
        )
        if overdue:  # decided as `report overdue` decides it (a case found not established is not listed)
            from complaint_core.escalation import overdue_deadlines

            def late_then(case: Case) -> bool:
                policy = app.cases.policy_of(case)
                return bool(overdue_deadlines(case, policy, app.cases.calendar_for(policy), when))

            if at is None:  # now: the clocks' index finds the candidates
                late = {cid for cid, _, _ in uow.cases.overdue(when)}
                cases = [c for c in cases if str(c.case_id) in late]
            cases = [c for c in cases if late_then(c)]  # the clocks as they ran at --at (one stopped since ran)
        numbers: dict[Any, str | None] = {c.case_id: c.number for c in cases}
        parents = {c.parent_case_id for c in cases if c.parent_case_id is not None} - set(numbers)
        numbers.update({parent: uow.cases.get(parent).number for parent in parents})  # in this one transaction
    docs = [case_doc(app, c, when, numbers) for c in cases]
    policies = [app.cases.policy_of(c) for c in cases]
    doc = {"as_of": when, "count": len(docs), "cases": docs}
    lang = settings.language(default.language)

    def human(console: Console) -> None:
        keys = ("number", "status", "customer", "category", "received", "amount", "overdue")
        rows = [
            (
                d["number"] or d["id"],
                status_label(d["status"], lang),
                d["customer"],
                category_label(policy, d["category"], lang),
                local_minute(d["received_at"], policy.tz),
                d["amount"],
                TEXT("yes" if any(c["overdue"] for c in d["clocks"]) else "no", lang),
            )
            for d, policy in zip(docs, policies, strict=True)
        ]
        console.print(table(TEXT("cases", lang, count=len(docs)), [TEXT(k, lang) for k in keys], rows))

    emit(settings, doc, human)


def history(ctx: typer.Context, case: CaseArg) -> None:
    """The audit trail of the case: every recorded event, oldest first."""
    from adapters.serialization import event_data
    from complaint_core.events import EVENT_LABELS
    from entrypoints.jsonshapes import utc_iso

    from .appctx import open_for

    settings = settings_of(ctx)
    app = open_for(ctx)
    with app.uow.read_only() as uow:  # reads the last commit, waiting for no writer
        found = app.cases.get(case, uow=uow)
        events = uow.history(found.case_id)
    rows: list[dict[str, Any]] = []
    for event in events:
        data = event_data(event)
        for key in ("type", "aggregate_id", "version", "occurred_at", "actor"):
            data.pop(key, None)
        rows.append(
            {
                "version": event.version,
                "type": event.EVENT_TYPE,
                "at": utc_iso(event.occurred_at),
                "actor": event.actor,
                "data": data,
            }
        )
    doc = {"case": {"id": str(found.case_id), "number": found.number}, "events": rows}
    lang = policy_lang(app, found, settings)

    def human(console: Console) -> None:
        keys = ("version", "type", "at", "actor")
        tz = app.cases.policy_of(found).tz
        lines = [(r["version"], EVENT_LABELS[r["type"]](lang), local_minute(r["at"], tz), r["actor"]) for r in rows]
        console.print(table(TEXT("history", lang, ref=found.reference), [TEXT(k, lang) for k in keys], lines))

    emit(settings, doc, human)


def build() -> typer.Typer:
    from . import case_steps_cmd

    app = area("case", "Complaint cases: intake, lifecycle, queries. | 投诉案件:受理、处理流程与查询。")
    app.command("open")(open_case)
    for name, command in (
        ("register", register),
        ("assign", assign),
        ("investigate", investigate),
        ("attribute", attribute),
        ("propose", propose),
        ("approve", approve),
        ("reply", reply),
        ("close", close),
        ("settle", settle),
        ("reject", reject),
        ("second", second),
        ("pause", pause),
        ("resume", resume),
        ("extend", extend),
        ("promise", promise),
        ("petition", petition),
        *case_steps_cmd.COMMANDS,
        ("show", show),
        ("list", list_cases),
        ("history", history),
    ):
        app.command(name)(command)
    return app
