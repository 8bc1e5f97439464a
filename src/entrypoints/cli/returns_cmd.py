"""``complaint return …`` and ``complaint allowance …``: executing a closed case's remedy (P1 §十三).

A goods return (return, rework, exchange) is authorised with quantities and a unit price, signed by
the manager, received (within the authorised quantity or an approved over-receipt), inspected and
booked within the tolerance. An allowance (allowance, compensation) is a ``Return`` that moves no
goods: issued for the agreed amount, signed by manager, GM and customer, and booked on a proof.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .appctx import open_for
from .context import area, settings_of
from .options import MAX_QUANTITY, AtOption, money_param, name_param, tolerance_param
from .output import Texts, emit, table

if TYPE_CHECKING:
    from rich.console import Console

    from complaint_core.policy import Policy
    from complaint_core.returns import Return
    from entrypoints.app import App

TEXT = Texts(
    {
        "title": ("{doc} {id}(案件 {number},{kind},{status})", "{doc} {id} (case {number}, {kind}, {status})"),
        "field": ("项目", "field"),
        "value": ("值", "value"),
        "authorised": ("核准数量", "authorised"),
        "claimed": ("客户要求数量", "claimed"),
        "unit_price": ("单价", "unit price"),
        "agreed_amount": ("折让金额", "agreed amount"),
        "received": ("已收货", "received"),
        "accepted": ("检验合格", "accepted"),
        "rejected": ("检验不合格", "rejected"),
        "missing": ("待签章", "signatures missing"),
        "limit": ("容许上限", "tolerance limit"),
        "within": ("在容许范围内", "within tolerance"),
        "booked": ("已入账", "booked"),
        "yes": ("是", "yes"),
        "no": ("否", "no"),
        "none": ("无", "none"),
        "open": ("未入账", "open"),
        "undetermined": ("客户加工中未确定", "not known yet (the customer is still processing)"),
        "original_invoice": ("原始发票", "original invoice"),
        "stamped_copy": ("盖章复印件", "stamped copy"),
        "signed_certificate": ("签章证明单", "signed certificate"),
        "manager": ("经(副)理", "manager"),
        "general_manager": ("总(副)经理", "general manager"),
        "customer": ("客户签章", "customer's seal"),
    }
)

SIGNATORIES = ("manager", "general_manager", "customer")
PROOFS = ("original_invoice", "stamped_copy", "signed_certificate")

ByOption = Annotated[str, typer.Option("--by", metavar="PERSON", parser=name_param, help="Who records it.")]
ReturnArg = Annotated[str, typer.Argument(metavar="RETURN", help="Return or allowance id.")]


# ----- JSON and display ---------------------------------------------------------------------------
def return_json(item: Return, policy: Policy, *, case_number: str | None) -> dict[str, Any]:
    from entrypoints.jsonshapes import money_str, utc_iso

    reconciliation = None
    if item.moves_goods and item.authorised is not None:
        check = item.reconciliation(policy)
        reconciliation = {
            "authorised": check.authorised,
            "actual": check.actual,
            "tolerance": str(check.tolerance),
            "limit": str(check.limit),
            "within": check.within,
        }
    booking = item.booking
    return {
        "id": str(item.return_id),
        "case_id": str(item.case_id),
        "case_number": case_number,
        "customer": item.customer,
        "kind": item.kind.value,
        "status": item.status.value,
        "policy": {"id": item.policy_id, "version": item.policy_version},
        "document": {
            "kind": item.document.kind.value,
            "form": item.document.spec.form_id,
            "number": item.document.number,
            "signatures": [
                {"signatory": s.signatory.value, "signer": s.signer, "at": utc_iso(s.at)}
                for s in item.document.signatures
            ],
            "missing": [s.value for s in item.document.missing],
        },
        "claimed": item.claimed,
        "authorised": item.authorised,
        "unit_price": money_str(item.unit_price),
        "agreed_amount": money_str(item.agreed_amount),
        "customer_tolerance": None if item.customer_tolerance is None else str(item.customer_tolerance),
        "received": item.received,
        "accepted": item.accepted,
        "rejected": item.rejected,
        "refunded": item.refunded,
        "over_receipt_up_to": item.receipt_ceiling if item.over_receipts else None,
        "reconciliation": reconciliation,
        "blocked": item.blocked(policy) if item.moves_goods and item.authorised is not None else False,
        "booking": None
        if booking is None
        else {
            "quantity": booking.quantity,
            "amount": money_str(booking.amount),
            "proof": {
                "kind": booking.proof.kind.value,
                "reference": booking.proof.reference,
                "buyer_stamped": booking.proof.buyer_stamped,
            },
            "tolerance": None if booking.tolerance is None else str(booking.tolerance),
            "limit": None if booking.limit is None else str(booking.limit),
            "approver": booking.approver,
            "reason": booking.reason,
            "at": utc_iso(booking.at),
        },
        "version": item.version,
    }


def _human(item: Return, policy: Policy, number: str, lang: Any) -> Any:
    from .case_cmd import remedy_label

    doc = item.document.spec.label.zh if lang == "zh" else item.document.spec.label.en
    rows: list[tuple[str, object]] = []
    if item.moves_goods:
        rows += [
            (TEXT("authorised", lang), item.authorised),
            (TEXT("claimed", lang), item.claimed if item.claimed is not None else _note(item.claim_note, lang)),
            (TEXT("unit_price", lang), item.unit_price),
            (TEXT("received", lang), item.received),
            (TEXT("accepted", lang), item.accepted),
            (TEXT("rejected", lang), item.rejected),
        ]
        if item.authorised is not None:
            check = item.reconciliation(policy)
            rows += [
                (TEXT("limit", lang), f"{check.limit} (t = {check.tolerance})"),
                (TEXT("within", lang), TEXT("yes" if check.within else "no", lang)),
            ]
    else:
        rows.append((TEXT("agreed_amount", lang), f"{item.agreed_amount:,.2f}"))
    missing = ", ".join(TEXT(s.value, lang) for s in item.document.missing)
    rows.append((TEXT("missing", lang), missing or TEXT("none", lang)))
    if item.booking is not None:
        rows.append((TEXT("booked", lang), f"{item.booking.amount:,.2f} ({TEXT(item.booking.proof.kind.value, lang)})"))
    title = TEXT("title", lang, doc=doc, id=item.return_id, number=number, kind=remedy_label(item.kind.value, lang),
                 status=TEXT(item.status.value, lang))  # fmt: skip
    return table(title, [TEXT("field", lang), TEXT("value", lang)], rows)


def _note(note: str, lang: Any) -> str | None:
    from complaint_core.returns import UNDETERMINED

    return TEXT("undetermined", lang) if note == UNDETERMINED else note or None


def _emit(ctx: typer.Context, app: App, items: list[Return], *, many: bool = False) -> None:
    from .penalty_cmd import case_numbers

    settings = settings_of(ctx)
    numbers = case_numbers(app, {i.case_id for i in items})
    policies = {i.return_id: app.cases.policies.get(i.policy_id, i.policy_version) for i in items}
    lang = settings.language(next(iter(policies.values())).language if policies else None)
    docs = [return_json(i, policies[i.return_id], case_number=numbers[i.case_id]) for i in items]
    doc: dict[str, Any] = {"returns": docs} if many else {"return": docs[0]}

    def human(console: Console) -> None:
        for i in items:
            console.print(_human(i, policies[i.return_id], numbers[i.case_id], lang))

    emit(settings, doc, human)


def _load(app: App, return_id: str) -> tuple[Return, Policy]:
    from .penalty_cmd import parse_uuid

    item = app.returns.get(parse_uuid(return_id, "a return"))
    return item, app.cases.policies.get(item.policy_id, item.policy_version)


def _when(at: datetime | None, policy: Policy) -> datetime:
    from .penalty_cmd import instant

    return instant(at, policy)


# ----- return commands ----------------------------------------------------------------------------
def authorise(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(metavar="CASE", help="A closed case whose remedy moves goods.")],
    authorised: Annotated[
        int, typer.Option("--authorised", min=1, max=MAX_QUANTITY, help="Authorised quantity (closed form).")
    ],
    unit_price: Annotated[
        Decimal, typer.Option("--unit-price", parser=money_param, metavar="YUAN", help="Unit price.")
    ],
    claimed: Annotated[
        int | None, typer.Option("--claimed", min=1, max=MAX_QUANTITY, help="Quantity the customer claims.")
    ] = None,
    tolerance: Annotated[
        Decimal | None,
        typer.Option(
            "--tolerance", parser=tolerance_param, metavar="RATIO", help="Customer's over-quantity ratio, 0 for none."
        ),
    ] = None,
    document_number: Annotated[str, typer.Option("--document-number", help="Return slip number.")] = "",
    by: ByOption = "cli",
    at: AtOption = None,
) -> None:
    """Open the return slip of a closed case's approved return/rework/exchange (P1-RET-01)."""
    app = open_for(ctx)
    found = app.cases.get(case)
    policy = app.cases.policy_of(found)
    item = app.returns.authorise(
        found.case_id, actor=by, authorised=authorised, claimed=claimed, unit_price=unit_price,
        customer_tolerance=tolerance, document_number=document_number, at=_when(at, policy),
    )  # fmt: skip
    _emit(ctx, app, [item])


def sign(
    ctx: typer.Context,
    return_id: ReturnArg,
    signatory: Annotated[str, typer.Option("--as", metavar="|".join(SIGNATORIES), help="Who signs or seals.")],
    signer: Annotated[str, typer.Option("--signer", metavar="NAME", help="The signer's name.")],
    by: ByOption = "cli",
    at: AtOption = None,
) -> None:
    """A signature or seal the document needs (return slip: manager; allowance: manager, GM, customer)."""
    from complaint_core.returns import Signatory

    if signatory not in SIGNATORIES:
        raise typer.BadParameter(f"{signatory!r} is not one of {', '.join(SIGNATORIES)}", param_hint="'--as'")
    app = open_for(ctx)
    item, policy = _load(app, return_id)
    item = app.returns.sign(item.return_id, Signatory(signatory), signer=signer, actor=by, at=_when(at, policy))
    _emit(ctx, app, [item])


def receive(
    ctx: typer.Context,
    return_id: ReturnArg,
    quantity: Annotated[
        int, typer.Option("--quantity", min=1, max=MAX_QUANTITY, help="Pieces the warehouse signs for.")
    ],
    batch: Annotated[str, typer.Option("--batch", help="Batch reference.")] = "",
    by: ByOption = "warehouse",
    at: AtOption = None,
) -> None:
    """The warehouse signs for returned goods (P1-RET-06); above the ceiling it asks for instructions."""
    app = open_for(ctx)
    item, policy = _load(app, return_id)
    item = app.returns.receive(item.return_id, quantity=quantity, batch=batch, actor=by, at=_when(at, policy))
    _emit(ctx, app, [item])


def over_receipt(
    ctx: typer.Context,
    return_id: ReturnArg,
    up_to: Annotated[int, typer.Option("--up-to", min=1, max=MAX_QUANTITY, help="New receipt ceiling.")],
    approver: Annotated[str, typer.Option("--approver", metavar="PERSON")],
    reason: Annotated[str, typer.Option("--reason")],
    by: ByOption = "cli",
    at: AtOption = None,
) -> None:
    """Approve receiving more than authorised, after the warehouse asked (P1-RET-06)."""
    app = open_for(ctx)
    item, policy = _load(app, return_id)
    item = app.returns.approve_over_receipt(
        item.return_id, up_to=up_to, approver=approver, reason=reason, actor=by, at=_when(at, policy)
    )
    _emit(ctx, app, [item])


def inspect(
    ctx: typer.Context,
    return_id: ReturnArg,
    accepted: Annotated[int, typer.Option("--accepted", min=0, max=MAX_QUANTITY)] = 0,
    rejected: Annotated[int, typer.Option("--rejected", min=0, max=MAX_QUANTITY)] = 0,
    by: ByOption = "quality",
    at: AtOption = None,
) -> None:
    """Inspect received pieces: accepted + rejected ≤ received and not yet inspected."""
    app = open_for(ctx)
    item, policy = _load(app, return_id)
    item = app.returns.inspect(item.return_id, accepted=accepted, rejected=rejected, actor=by, at=_when(at, policy))
    _emit(ctx, app, [item])


def _proof(kind: str, reference: str, stamped: bool) -> Any:
    from complaint_core.policy import ProofKind
    from complaint_core.returns import Proof

    if kind not in PROOFS:
        raise typer.BadParameter(f"{kind!r} is not one of {', '.join(PROOFS)}", param_hint="'--proof'")
    return Proof(kind=ProofKind(kind), reference=reference, buyer_stamped=stamped)


def book(
    ctx: typer.Context,
    return_id: ReturnArg,
    proof: Annotated[str, typer.Option("--proof", metavar="|".join(PROOFS), help="The proof (P1-RET-08/09).")],
    reference: Annotated[str, typer.Option("--reference", metavar="REF", help="The proof's reference.")],
    stamped: Annotated[bool, typer.Option("--stamped/--not-stamped", help="The buyer stamped the proof.")] = True,
    approver: Annotated[
        str | None, typer.Option("--approver", metavar="PERSON", help="Books above the tolerance (P1-RET-05).")
    ] = None,
    reason: Annotated[str, typer.Option("--reason", help="Why, when booking above the tolerance.")] = "",
    by: ByOption = "accounting",
    at: AtOption = None,
) -> None:
    """The accounting voucher: received × unit price within tolerance (else with --approver and --reason)."""
    app = open_for(ctx)
    item, policy = _load(app, return_id)
    item = app.returns.book(
        item.return_id, proof=_proof(proof, reference, stamped), actor=by, approver=approver, reason=reason,
        at=_when(at, policy),
    )  # fmt: skip
    _emit(ctx, app, [item])


def show(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(metavar="RETURN|CASE", help="A return id, or a case number or id.")],
) -> None:
    """One return or allowance, or every one of a case."""
    from uuid import UUID

    from complaint_core.errors import NotFound

    app = open_for(ctx)
    try:
        item = app.returns.get(UUID(ref.strip()))
    except (ValueError, NotFound):
        _emit(ctx, app, list(app.returns.for_case(ref)), many=True)
        return
    _emit(ctx, app, [item], many=True)


# ----- allowance commands -------------------------------------------------------------------------
def issue(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(metavar="CASE", help="A closed case whose remedy is an allowance.")],
    document_number: Annotated[str, typer.Option("--document-number", help="Certificate number.")] = "",
    manager: Annotated[str | None, typer.Option("--manager", metavar="NAME", help="Signs as manager.")] = None,
    gm: Annotated[str | None, typer.Option("--gm", metavar="NAME", help="Signs as general manager.")] = None,
    customer: Annotated[str | None, typer.Option("--customer", metavar="NAME", help="The customer's seal.")] = None,
    by: ByOption = "sales",
    at: AtOption = None,
) -> None:
    """Issue the allowance certificate (销货折让证明单) for the agreed amount; signatures may be given at once."""
    from complaint_core.returns import Signatory

    app = open_for(ctx)
    found = app.cases.get(case)
    policy = app.cases.policy_of(found)
    when = _when(at, policy)
    given = ((Signatory.MANAGER, manager), (Signatory.GENERAL_MANAGER, gm), (Signatory.CUSTOMER, customer))
    signatures = [(signatory, signer) for signatory, signer in given if signer is not None]
    item = app.returns.authorise(
        found.case_id, actor=by, document_number=document_number, signatures=signatures, at=when
    )
    _emit(ctx, app, [item])


def build() -> typer.Typer:
    app = area("return", "Returned goods: authorise, sign, receive, inspect, book, show. | 退货。")
    app.command("authorise")(authorise)
    app.command("sign")(sign)
    app.command("receive")(receive)
    app.command("over-receipt")(over_receipt)
    app.command("inspect")(inspect)
    app.command("book")(book)
    app.command("show")(show)
    return app


def build_allowance() -> typer.Typer:
    app = area("allowance", "Sales allowances: issue, sign, book, show. | 销货折让。")
    app.command("issue")(issue)
    app.command("sign")(sign)
    app.command("book")(book)
    app.command("show")(show)
    return app
