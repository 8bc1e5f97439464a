"""Use cases of returned goods and allowances (P1 §十三), one unit of work each."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from uuid import UUID, uuid4

from .errors import RuleViolation
from .events import DomainEvent
from .ports import UnitOfWork
from .returns import Proof, Return, Signatory
from .services import CaseService, in_transaction

ReturnCommand = Callable[[Return, datetime], tuple[Return, tuple[DomainEvent, ...]]]


class ReturnService:
    def __init__(self, cases: CaseService, *, new_id: Callable[[], UUID] = uuid4) -> None:
        self.cases = cases
        self.new_id = new_id

    def authorise(
        self,
        ref: str | UUID,
        *,
        actor: str,
        authorised: int | None = None,
        claimed: int | None = None,
        unit_price: Decimal | None = None,
        customer_tolerance: Decimal | None = None,
        document_number: str = "",
        signatures: Sequence[tuple[Signatory, str]] = (),
        at: datetime | None = None,
    ) -> Return:
        """Open the return (or allowance) of a closed case's approved remedy (P1-RET-01), with the ``signatures``
        (signatory, signer) given at once: all in one transaction, so a refused signature leaves nothing behind.

        A remedy is executed once: a case that has its return or allowance already is refused.
        """
        moment = self.cases.moment(at)

        def work(uow: UnitOfWork) -> Return:
            case = self.cases._load(uow, ref)
            existing = uow.returns.for_case(case.case_id)
            when = moment()
            if existing:
                raise RuleViolation(
                    f"case {case.reference} has its {existing[0].document.kind.value} already "
                    f"({existing[0].return_id}): a remedy is executed once",
                    rule="P1-RET-01",
                )
            policy = self.cases.policy_of(case)
            item, events = Return.for_case(
                policy,
                case,
                return_id=self.new_id(),
                at=when,
                actor=actor,
                authorised=authorised,
                claimed=claimed,
                unit_price=unit_price,
                customer_tolerance=customer_tolerance,
                document_number=document_number,
            )
            for signatory, signer in signatures:
                item, signed = item.sign(signatory=signatory, signer=signer, at=when, actor=actor)
                events += signed
            uow.returns.add(item)
            uow.outbox.add(events)
            uow.commit()
            return item

        return in_transaction(self.cases.uow, work, self.cases.conflict_retries)

    def _run(self, return_id: UUID, at: datetime | None, command: ReturnCommand) -> Return:
        moment = self.cases.moment(at)

        def work(uow: UnitOfWork) -> Return:
            item = uow.returns.get(return_id)
            new, events = command(item, moment())
            uow.returns.save(new)
            uow.outbox.add(events)
            uow.commit()
            return new

        return in_transaction(self.cases.uow, work, self.cases.conflict_retries)

    def sign(
        self, return_id: UUID, signatory: Signatory, *, signer: str, actor: str, at: datetime | None = None
    ) -> Return:
        return self._run(return_id, at, lambda r, t: r.sign(signatory=signatory, signer=signer, at=t, actor=actor))

    def receive(
        self, return_id: UUID, *, quantity: int, actor: str, batch: str = "", at: datetime | None = None
    ) -> Return:
        return self._run(return_id, at, lambda r, t: r.receive(quantity=quantity, at=t, actor=actor, batch=batch))

    def approve_over_receipt(
        self, return_id: UUID, *, up_to: int, approver: str, reason: str, actor: str, at: datetime | None = None
    ) -> Return:
        return self._run(
            return_id,
            at,
            lambda r, t: r.approve_over_receipt(up_to=up_to, approver=approver, reason=reason, at=t, actor=actor),
        )

    def inspect(
        self, return_id: UUID, *, accepted: int, rejected: int, actor: str, at: datetime | None = None
    ) -> Return:
        return self._run(return_id, at, lambda r, t: r.inspect(accepted=accepted, rejected=rejected, at=t, actor=actor))

    def refund(
        self, return_id: UUID, *, quantity: int, reference: str, actor: str, at: datetime | None = None
    ) -> Return:
        return self._run(
            return_id, at, lambda r, t: r.refund(quantity=quantity, reference=reference, at=t, actor=actor)
        )

    def book(
        self,
        return_id: UUID,
        *,
        proof: Proof | None,
        actor: str,
        approver: str | None = None,
        reason: str = "",
        at: datetime | None = None,
    ) -> Return:
        """The accounting voucher: within tolerance, or above it with an approver and a reason."""

        def command(item: Return, when: datetime) -> tuple[Return, tuple[DomainEvent, ...]]:
            policy = self.cases.policies.get(item.policy_id, item.policy_version)
            return item.book(policy, proof=proof, at=when, actor=actor, approver=approver, reason=reason)

        return self._run(return_id, at, command)

    def get(self, return_id: UUID) -> Return:
        with self.cases.uow as uow:
            return uow.returns.get(return_id)

    def for_case(self, ref: str | UUID) -> tuple[Return, ...]:
        with self.cases.uow as uow:
            case = self.cases._load(uow, ref)
            return uow.returns.for_case(case.case_id)
