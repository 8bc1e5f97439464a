"""A stateful property test of the ``Return`` aggregate (DOMAIN §8).

Random sequences of signatures, receipts, over-receipt approvals, inspections,
refunds, replacements, scraps, claims and bookings (valid, invalid and
malformed) run against a return of a random kind, authorised quantity and
tolerance, next to a small model that predicts which commands are accepted.

Invariants: a refused command (DomainError) leaves the return unchanged; an
accepted one returns exactly one event and the version rises by one;
accepted + rejected = inspected ≤ received ≤ the receipt ceiling (the
authorised quantity unless an over-receipt was approved, P1-RET-06);
refunded + replaced ≤ accepted and scrapped ≤ rejected (nothing refunded twice,
no refund reference reused); a booked quantity is the received one and is at
most authorised × (1 + tolerance) unless an approver booked it (P1-RET-05);
booking needs an accepted, stamped proof (P1-RET-08/09) and the document's
signatures (P1-APR-06/07); totals are never negative; folding the events
reproduces the return.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from adapters.policy_files import load_preset
from complaint_core.case import RemedyKind
from complaint_core.errors import DomainError
from complaint_core.policy import Policy, ProofKind, ReturnRules
from complaint_core.returns import (
    GOODS_KINDS,
    Proof,
    Return,
    Signatory,
    replay,
    within_tolerance,
)

D = Decimal
MANUFACTURING = load_preset("manufacturing")
T0 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)

PROOFS = [
    None,
    Proof(kind=ProofKind.ORIGINAL_INVOICE, reference="INV-1", buyer_stamped=True),
    Proof(kind=ProofKind.STAMPED_COPY, reference="COPY-1", buyer_stamped=True),
    Proof(kind=ProofKind.SIGNED_CERTIFICATE, reference="CERT-1", buyer_stamped=True),
    Proof(kind=ProofKind.ORIGINAL_INVOICE, reference="INV-2", buyer_stamped=False),
]
TOLERANCES = [None, D("0"), D("0.05"), D("0.1"), D("0.15"), D("0.333"), D("1")]
BAD = st.sampled_from([-3, -1, 0, 1.5, 2.0, D("2"), D("0.5"), True, False, "4", None])
QTY = st.integers(min_value=-2, max_value=25)


class ReturnMachine(RuleBasedStateMachine):
    policy: Policy
    ret: Return

    @initialize(
        kind=st.sampled_from([RemedyKind.RETURN, RemedyKind.REWORK, RemedyKind.EXCHANGE, RemedyKind.ALLOWANCE]),
        authorised=st.integers(min_value=1, max_value=60),
        customer_tolerance=st.sampled_from(TOLERANCES),
        default_tolerance=st.sampled_from([D("0"), D("0.05"), D("0.2")]),
        proofs=st.sampled_from(
            [frozenset(ProofKind), frozenset({ProofKind.ORIGINAL_INVOICE}), frozenset({ProofKind.SIGNED_CERTIFICATE})]
        ),
        price=st.sampled_from([D("0.00"), D("0.35"), D("12.50"), D("999.99")]),
        claimed=st.none() | st.integers(min_value=1, max_value=80),
        presigned=st.booleans(),
    )
    def start(
        self,
        kind: RemedyKind,
        authorised: int,
        customer_tolerance: Decimal | None,
        default_tolerance: Decimal,
        proofs: frozenset[ProofKind],
        price: Decimal,
        claimed: int | None,
        presigned: bool,
    ) -> None:
        self.policy = attrs.evolve(
            MANUFACTURING,
            returns=ReturnRules(default_tolerance=default_tolerance, accepted_proofs=proofs),
        )
        self.goods = kind in GOODS_KINDS
        extra: dict[str, Any] = (
            {"authorised": authorised, "unit_price": price, "claimed": claimed}
            if self.goods
            else {"agreed_amount": D("500.00")}
        )
        self.ret, events = Return.open(
            self.policy,
            return_id=uuid4(),
            case_id=uuid4(),
            customer="华东电子",
            kind=kind,
            at=T0,
            actor="sales",
            customer_tolerance=customer_tolerance,
            **extra,
        )
        self.events = list(events)
        self.at = T0
        self.accepted_commands = 0
        self.refund_refs: list[str] = []
        if presigned:  # half the runs start with the document signed, so the deep states come often
            for signatory in self.ret.document.missing:
                self.run("sign", True, signatory=signatory, signer="签字人")

    # ----- the harness -----------------------------------------------------------------------------
    def run(self, command: str, expect: bool | None, **kw: Any) -> bool:
        """Run ``command``; ``expect`` is the model's prediction (None: no prediction)."""
        self.at += timedelta(minutes=7)
        before = self.ret
        if command == "book":
            kw = {"policy": self.policy, **kw}
        try:
            after, events = getattr(before, command)(at=kw.pop("at", self.at), actor="u", **kw)
        except DomainError:
            assert self.ret is before
            assert expect is not True, f"{command}({kw}) was refused, but the model accepts it"
            return False
        assert expect is not False, f"{command}({kw}) was accepted, but the model refuses it"
        assert len(events) == 1
        assert after.version == before.version + 1 == events[0].version
        assert events[0].aggregate_id == before.return_id and events[0].EVENT_TYPE.startswith("return.")
        self.ret = after
        self.events.extend(events)
        self.accepted_commands += 1
        return True

    @property
    def open(self) -> bool:
        return self.ret.booking is None

    # ----- rules -----------------------------------------------------------------------------------
    @rule(signatory=st.sampled_from(list(Signatory)), signer=st.sampled_from(["王经理", "李总", "华东电子(章)", ""]))
    def sign(self, signatory: Signatory, signer: str) -> None:
        doc = self.ret.document
        expect = signatory in doc.missing and bool(signer)
        self.run("sign", expect, signatory=signatory, signer=signer)

    @rule(data=st.data())
    def receive(self, data: st.DataObject) -> None:
        r = self.ret
        quantity = data.draw(st.integers(min_value=-1, max_value=max(1, r.receipt_ceiling - r.received + 2)))
        expect = (
            self.goods
            and self.open
            and r.document.complete
            and quantity >= 1
            and r.received + quantity <= r.receipt_ceiling
        )
        self.run("receive", expect, quantity=quantity, batch=f"B{len(r.receipts) + 1}")

    @rule(extra=st.integers(min_value=-3, max_value=40), approver=st.sampled_from(["张经理", ""]))
    def approve_over_receipt(self, extra: int, approver: str) -> None:
        r = self.ret
        up_to = r.receipt_ceiling + extra
        expect = self.goods and self.open and extra >= 1 and bool(approver)
        self.run("approve_over_receipt", expect, up_to=up_to, approver=approver, reason="依实际签收")

    @rule(data=st.data())
    def inspect(self, data: st.DataObject) -> None:
        r = self.ret
        accepted = data.draw(st.integers(min_value=-1, max_value=r.uninspected + 1))
        rejected = data.draw(st.integers(min_value=-1, max_value=max(0, r.uninspected - accepted) + 1))
        expect = self.goods and accepted >= 0 and rejected >= 0 and 1 <= accepted + rejected <= r.uninspected
        self.run("inspect", expect, accepted=accepted, rejected=rejected)

    @rule(data=st.data(), reference=st.sampled_from(["CN-1", "CN-2", "CN-3", "CN-4", "CN-5", ""]))
    def refund(self, data: st.DataObject, reference: str) -> None:
        r = self.ret
        quantity = data.draw(st.integers(min_value=-1, max_value=r.settleable + 1))
        expect = (
            self.goods
            and quantity >= 1
            and bool(reference)
            and reference not in self.refund_refs
            and quantity <= r.settleable
        )
        if self.run("refund", expect, quantity=quantity, reference=reference):
            self.refund_refs.append(reference)
            assert r.unit_price is not None
            assert self.ret.refunds[-1].amount == quantity * r.unit_price

    @rule(data=st.data())
    def replace(self, data: st.DataObject) -> None:
        quantity = data.draw(st.integers(min_value=-1, max_value=self.ret.settleable + 1))
        expect = self.goods and 1 <= quantity <= self.ret.settleable
        self.run("replace", expect, quantity=quantity)

    @rule(data=st.data())
    def scrap(self, data: st.DataObject) -> None:
        r = self.ret
        quantity = data.draw(st.integers(min_value=-1, max_value=r.rejected - r.scrapped + 1))
        expect = self.goods and 1 <= quantity <= r.rejected - r.scrapped
        self.run("scrap", expect, quantity=quantity)

    @rule(quantity=QTY)
    def record_claim(self, quantity: int) -> None:
        expect = self.goods and self.open and self.ret.claimed is None and quantity >= 1
        self.run("record_claim", expect, quantity=quantity)

    @rule(proof=st.sampled_from(PROOFS), approved=st.booleans())
    def book(self, proof: Proof | None, approved: bool) -> None:
        r = self.ret
        proof_ok = proof is not None and proof.buyer_stamped and proof.kind in self.policy.returns.accepted_proofs
        if self.goods:
            assert r.authorised is not None
            within = within_tolerance(r.received, r.authorised, r.tolerance(self.policy))
            quantities_ok = r.received >= 1 and (within or approved)
        else:
            quantities_ok = True
        expect = self.open and proof_ok and r.document.complete and quantities_ok
        extra = {"approver": "陈总", "reason": "签呈核准"} if approved else {}
        if self.run("book", expect, proof=proof, **extra):
            booking = self.ret.booking
            assert booking is not None and booking.proof == proof
            if self.goods:
                assert booking.quantity == r.received and booking.tolerance == r.tolerance(self.policy)

    def _drive(self, data: st.DataObject) -> None:
        """A valid next step, so that receipts, inspections, settlements and bookings happen often."""
        r = self.ret
        missing = r.document.missing
        if missing:
            self.run("sign", True, signatory=missing[0], signer="签字人")
            return
        options = []
        if self.goods and self.open and r.received < r.receipt_ceiling:
            options.append("receive")
        if self.goods and self.open:
            options.append("over_receipt")
        if r.uninspected:
            options.append("inspect")
        if r.settleable:
            options += ["refund", "replace"]
        if r.rejected > r.scrapped:
            options.append("scrap")
        if self.open and (r.received or not self.goods):
            options.append("book")
        if not options:
            return
        step = data.draw(st.sampled_from(options))
        if step == "receive":
            quantity = data.draw(st.integers(min_value=1, max_value=r.receipt_ceiling - r.received))
            self.run("receive", True, quantity=quantity)
        elif step == "over_receipt":
            up_to = r.receipt_ceiling + data.draw(st.integers(min_value=1, max_value=10))
            self.run("approve_over_receipt", True, up_to=up_to, approver="张经理", reason="依实际签收")
        elif step == "inspect":
            accepted = data.draw(st.integers(min_value=0, max_value=r.uninspected))
            rejected = data.draw(st.integers(min_value=1 if accepted == 0 else 0, max_value=r.uninspected - accepted))
            self.run("inspect", True, accepted=accepted, rejected=rejected)
        elif step in ("refund", "replace"):
            quantity = data.draw(st.integers(min_value=1, max_value=r.settleable))
            if step == "replace":
                self.run("replace", True, quantity=quantity)
            else:
                reference = f"CN-D{len(self.refund_refs)}"
                self.run("refund", True, quantity=quantity, reference=reference)
                self.refund_refs.append(reference)
        elif step == "scrap":
            self.run("scrap", True, quantity=data.draw(st.integers(min_value=1, max_value=r.rejected - r.scrapped)))
        else:
            proof = Proof(kind=min(self.policy.returns.accepted_proofs), reference="P-1", buyer_stamped=True)
            over = self.goods and not r.reconciliation(self.policy).within
            approval = {"approver": "陈总", "reason": "签呈核准"} if over or data.draw(st.booleans()) else {}
            self.run("book", True, proof=proof, **approval)

    @rule(data=st.data())
    def drive(self, data: st.DataObject) -> None:
        self._drive(data)

    @rule(data=st.data())
    def drive_more(self, data: st.DataObject) -> None:
        self._drive(data)

    @rule(bad=BAD, command=st.sampled_from(["receive", "refund", "replace", "scrap", "record_claim", "inspect"]))
    def malformed_quantity(self, bad: Any, command: str) -> None:
        kw: dict[str, Any] = {"quantity": bad}
        if command == "refund":
            kw["reference"] = "CN-X"
        if command == "inspect":
            kw = {"accepted": -1 if type(bad) is int and bad == 0 else bad, "rejected": 1}  # 0 is a valid half
        self.run(command, False, **kw)

    @precondition(lambda self: self.accepted_commands > 0)
    @rule(quantity=st.integers(min_value=1, max_value=5))
    def backdated(self, quantity: int) -> None:
        self.run("receive", False, quantity=quantity, at=self.ret.last_event_at - timedelta(seconds=1))

    # ----- invariants -------------------------------------------------------------------------------
    @invariant()
    def version_counts_accepted_commands(self) -> None:
        assert self.ret.version == 1 + self.accepted_commands == len(self.events)

    @invariant()
    def quantities(self) -> None:
        r = self.ret
        totals = (r.received, r.accepted, r.rejected, r.inspected, r.refunded, r.replaced, r.scrapped)
        assert all(t >= 0 for t in totals)
        assert r.accepted + r.rejected == r.inspected <= r.received
        assert r.received <= r.receipt_ceiling
        if not r.over_receipts:
            assert r.received <= (r.authorised or 0)
        assert r.refunded + r.replaced <= r.accepted
        assert r.scrapped <= r.rejected
        refs = [f.reference for f in r.refunds]
        assert len(refs) == len(set(refs)), "no refund is made twice"
        assert r.refunded_amount >= 0 and r.booked_amount >= 0
        if not self.goods:
            assert r.received == r.inspected == r.refunded == r.replaced == r.scrapped == 0

    @invariant()
    def booking(self) -> None:
        r = self.ret
        if r.booking is None:
            assert r.booked_amount == 0 and r.booked_quantity == 0
            return
        assert r.document.complete
        assert r.booking.proof.kind in self.policy.returns.accepted_proofs
        if self.goods:
            assert r.authorised is not None and r.unit_price is not None
            assert r.booked_quantity == r.received, "no goods come in after booking"
            tolerance = r.tolerance(self.policy)
            if r.booking.approver is None:
                assert within_tolerance(r.booked_quantity, r.authorised, tolerance)
                assert Decimal(r.booked_quantity) <= Decimal(r.authorised) * (1 + tolerance)
            assert r.booked_amount == r.booked_quantity * r.unit_price
        else:
            assert r.booked_amount == r.agreed_amount

    @invariant()
    def events_fold_back(self) -> None:
        assert replay(self.events) == self.ret


TestReturnMachine = ReturnMachine.TestCase
