"""``complaint penalty repair-split CASE --budget YUAN``: the rework budget shared by factory and customer.

P2-ROLE-03 / P2-PEN-05: the liability ratio of the findings splits the repair budget between the factory and the
customer. It is a cost, not a bonus deduction, so it is computed from the case and printed, never posted: the
customer's fault shares are the customer's part, every other share (our units, a supplier, a carrier) the
factory's; a finding of no fault of ours leaves it all to the customer.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import typer

from .context import settings_of
from .options import money_param
from .output import Texts, emit

if TYPE_CHECKING:
    from rich.console import Console

TEXT = Texts(
    {
        "split": (
            "案件 {ref} 返修费用 {budget} 元:工厂 {factory} 元({ratio}),客户 {customer} 元",
            "case {ref}: repair budget {budget} → factory {factory} ({ratio}), customer {customer}",
        ),
    }
)


def repair_split(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(metavar="CASE", help="Case number or id.")],
    budget: Annotated[
        Decimal, typer.Option("--budget", parser=money_param, metavar="YUAN", help="The repair (rework) budget.")
    ],
) -> None:
    """Split a repair budget between factory and customer by the findings' fault shares (P2-ROLE-03)."""
    from complaint_core.errors import RuleViolation
    from complaint_core.penalty import repair_split as split
    from complaint_core.responsibility import PartyKind
    from entrypoints.jsonshapes import money_str

    from .appctx import open_for

    settings = settings_of(ctx)
    app = open_for(ctx)
    found = app.cases.get(case)
    if found.causer is None and not found.no_fault:
        raise RuleViolation("the budget is split by the findings: attribute the case first", rule="P2-ROLE-03")
    shares = found.causer.shares if found.causer is not None else ()
    customer_share = sum((s.share for s in shares if s.party.kind is PartyKind.CUSTOMER), Decimal(0))
    ratio = Decimal(1) - customer_share if found.causer is not None else Decimal(0)
    factory, customer = split(budget, ratio)
    doc = {
        "case_id": str(found.case_id),
        "case_number": found.number,
        "budget": money_str(budget),
        "factory_ratio": str(ratio),
        "factory": money_str(factory),
        "customer": money_str(customer),
    }
    lang = settings.language(app.cases.policy_of(found).language)
    line = TEXT(
        "split", lang, ref=found.reference, budget=doc["budget"], factory=doc["factory"], ratio=doc["factory_ratio"],
        customer=doc["customer"],
    )  # fmt: skip

    def human(console: Console) -> None:
        console.print(line, markup=False, highlight=False)

    emit(settings, doc, human)
