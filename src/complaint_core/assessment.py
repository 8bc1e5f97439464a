"""The penalty assessment of one case: a proposal until approved, then posted (DOMAIN §7).

Cases are assessed separately (P1-PEN-09). An assessment keeps the lines it
computed, with party names, basis points and amounts, so editing the
organisation later changes no past result. Approval needs a role the policy
allows (P1-APR-05: the GM approves reward/penalty notices), after the
supervisor's endorsement of an individual punishment's type where the policy
asks for one (P1-APR-04); a successful appeal reverses an approved assessment,
and the ledger posts reversing entries.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

import attrs

from . import events as ev
from .errors import InvalidTransition, RuleViolation
from .ledger import Posting
from .penalty import LineKind, PenaltyLine
from .policy import Policy
from .responsibility import PartyKind
from .timeutil import month_key, require_aware

_PUNISHMENTS = frozenset({LineKind.SANCTION, LineKind.MAJOR_DEMERIT})  # 个人惩处: warnings and demerits


class AssessmentStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REVERSED = "reversed"
    WITHDRAWN = "withdrawn"  # a proposal never approved: it decides nothing


DECIDED = frozenset({AssessmentStatus.APPROVED, AssessmentStatus.REVERSED})  # a case's penalty is decided once


@attrs.frozen(kw_only=True)
class Assessment:
    assessment_id: UUID
    case_id: UUID
    policy_id: str
    policy_version: int
    lines: tuple[PenaltyLine, ...]
    status: AssessmentStatus
    version: int
    proposed_at: datetime
    approved_at: datetime | None = None
    approved_by: str | None = None
    role: str | None = None
    reversal_reason: str | None = None
    endorsed_at: datetime | None = None
    endorsed_by: str | None = None
    endorsed_role: str | None = None
    withdrawn_at: datetime | None = None
    withdrawal_reason: str | None = None

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    @property
    def punishes(self) -> bool:
        """Does it give an individual punishment (a warning or demerit), whose type a supervisor endorses
        (P1-APR-04)?"""
        return any(line.kind in _PUNISHMENTS for line in self.lines)

    def person_totals(self) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = {}
        for line in self.lines:
            if line.party.kind is PartyKind.PERSON:
                totals[line.party.id] = totals.get(line.party.id, Decimal("0.00")) + line.amount
        return totals

    def deductible_lines(self) -> tuple[tuple[str, PenaltyLine], ...]:
        """(line id, line) of every line that is deducted from a person's bonus: what the ledger posts."""
        return tuple(
            (str(i), line)
            for i, line in enumerate(self.lines)
            if line.party.kind is PartyKind.PERSON and line.kind is not LineKind.REPORTED and line.amount > 0
        )

    def postings(self) -> tuple[Posting, ...]:
        """What the ledger posts once the assessment is approved (DOMAIN §7: proposals are never posted)."""
        if self.status is not AssessmentStatus.APPROVED:
            raise InvalidTransition(
                f"only an approved assessment is posted; this one is {self.status.value}", rule="PEN-APPROVE"
            )
        return tuple(
            Posting(
                person_id=line.party.id,
                case_id=self.case_id,
                line_id=line_id,
                rule_id=line.rule_id,
                amount=line.amount,
                capped=line.capped,
                points=line.points,
            )
            for line_id, line in self.deductible_lines()
        )

    @classmethod
    def propose(
        cls,
        policy: Policy,
        *,
        assessment_id: UUID,
        case_id: UUID,
        lines: Sequence[PenaltyLine],
        at: datetime,
        actor: str,
    ) -> tuple[Assessment, tuple[ev.DomainEvent, ...]]:
        if not lines:
            raise RuleViolation("an assessment needs at least one line", rule="P1-PEN-09")
        at = require_aware(at)
        assessment = cls(
            assessment_id=assessment_id,
            case_id=case_id,
            policy_id=policy.policy_id,
            policy_version=policy.version,
            lines=tuple(lines),
            status=AssessmentStatus.PROPOSED,
            version=1,
            proposed_at=at,
        )
        event = ev.AssessmentProposed(
            aggregate_id=assessment_id, version=1, occurred_at=at, actor=actor, case_id=case_id, total=assessment.total
        )
        return assessment, (event,)

    def endorse(
        self, policy: Policy, *, role: str, at: datetime, actor: str
    ) -> tuple[Assessment, tuple[ev.DomainEvent, ...]]:
        """P1-APR-04: the supervisor endorses the type of each individual punishment before the approval."""
        if self.status is not AssessmentStatus.PROPOSED:
            raise InvalidTransition(
                f"the assessment is {self.status.value}; only a proposal is endorsed", rule="P1-APR-04"
            )
        endorsers = policy.penalties.endorser_roles
        if not endorsers:
            raise RuleViolation(f"policy {policy.policy_id} asks no endorsement: approve it", rule="P1-APR-04")
        if not self.punishes:
            raise RuleViolation(
                "the assessment gives no warning or demerit, whose type a supervisor endorses: approve it",
                rule="P1-APR-04",
            )
        if self.endorsed_at is not None:
            raise InvalidTransition(
                f"the assessment was endorsed already (by {self.endorsed_by} as {self.endorsed_role})",
                rule="P1-APR-04",
            )
        if role not in endorsers:
            raise RuleViolation(
                f"{role} may not endorse punishments (allowed: {', '.join(sorted(endorsers))})", rule="P1-APR-04"
            )
        at = self._after(at)
        event = ev.AssessmentEndorsed(
            aggregate_id=self.assessment_id, version=self.version + 1, occurred_at=at, actor=actor, role=role
        )
        new = attrs.evolve(self, version=event.version, endorsed_at=at, endorsed_by=actor, endorsed_role=role)
        return new, (event,)

    def approve(
        self,
        policy: Policy,
        *,
        role: str,
        at: datetime,
        actor: str,
        others: Sequence[Assessment] = (),
        reference: str | None = None,
    ) -> tuple[Assessment, tuple[ev.DomainEvent, ...]]:
        """P1-APR-05: penalties are proposals until a role the policy names approves them. ``others`` are the
        case's assessments, ``reference`` its number, to name it by in a refusal."""
        if self.status is not AssessmentStatus.PROPOSED:
            raise InvalidTransition(
                f"the assessment is {self.status.value}; only a proposal is approved", rule="PEN-APPROVE"
            )
        check_undecided(self.case_id, others, self.assessment_id, reference=reference)
        if role not in policy.penalties.approver_roles:
            allowed = ", ".join(sorted(policy.penalties.approver_roles))
            raise RuleViolation(f"{role} may not approve penalties (allowed: {allowed})", rule="P1-APR-05")
        if policy.penalties.endorser_roles and self.punishes and self.endorsed_at is None:
            endorsers = ", ".join(sorted(policy.penalties.endorser_roles))
            raise RuleViolation(
                f"a warning or demerit is approved after its type is endorsed ({endorsers}): "
                f"penalty endorse {self.assessment_id} first",
                rule="P1-APR-04",
            )
        at = self._after(at)
        if any(line.kind is LineKind.MAJOR_DEMERIT for line in self.lines):
            proposed, approved = month_key(self.proposed_at, policy.tz), month_key(at, policy.tz)
            if proposed != approved:  # the line holds the proposal month's bonus; it would be posted in another
                raise RuleViolation(
                    f"a major demerit takes the whole bonus of the month it is posted in: this one holds {proposed}'s "
                    f"bonus, but approval on {approved} posts it there; assess it again in {approved}",
                    rule="P1-PEN-06",
                )
        event = ev.AssessmentApproved(
            aggregate_id=self.assessment_id, version=self.version + 1, occurred_at=at, actor=actor, role=role
        )
        new = attrs.evolve(
            self, status=AssessmentStatus.APPROVED, version=event.version, approved_at=at, approved_by=actor, role=role
        )
        return new, (event,)

    def reverse(self, *, reason: str, at: datetime, actor: str) -> tuple[Assessment, tuple[ev.DomainEvent, ...]]:
        """A successful appeal: the assessment is reversed, never edited (DOMAIN §7)."""
        if self.status is not AssessmentStatus.APPROVED:
            raise InvalidTransition(
                f"only an approved assessment is reversed; this one is {self.status.value}", rule="PEN-REVERSE"
            )
        if not reason.strip():
            raise RuleViolation("a reversal needs the appeal's outcome as its reason", rule="PEN-REVERSE")
        at = self._after(at)
        event = ev.AssessmentReversed(
            aggregate_id=self.assessment_id, version=self.version + 1, occurred_at=at, actor=actor, reason=reason
        )
        return attrs.evolve(self, status=AssessmentStatus.REVERSED, version=event.version, reversal_reason=reason), (
            event,
        )

    def withdraw(self, *, reason: str, at: datetime, actor: str) -> tuple[Assessment, tuple[ev.DomainEvent, ...]]:
        """A proposal that will not be approved, corrected by another or refused: withdrawn, never deleted, it no
        longer keeps the case from being settled (DOMAIN §3: every penalty posted or waived)."""
        if self.status is not AssessmentStatus.PROPOSED:
            raise InvalidTransition(
                f"only a proposal is withdrawn; this one is {self.status.value} (an approved one is appealed)",
                rule="PEN-WITHDRAW",
            )
        if not reason.strip():
            raise RuleViolation("a withdrawal needs its reason", rule="PEN-WITHDRAW")
        at = self._after(at)
        event = ev.AssessmentWithdrawn(
            aggregate_id=self.assessment_id, version=self.version + 1, occurred_at=at, actor=actor, reason=reason
        )
        new = attrs.evolve(
            self, status=AssessmentStatus.WITHDRAWN, version=event.version, withdrawn_at=at, withdrawal_reason=reason
        )
        return new, (event,)

    @property
    def last_at(self) -> datetime:
        """When its last step happened."""
        return self.withdrawn_at or self.approved_at or self.endorsed_at or self.proposed_at

    def _after(self, at: datetime) -> datetime:
        at = require_aware(at)
        last = self.last_at
        if at < last:
            raise RuleViolation(f"{at.isoformat()} is before {last.isoformat()}", rule="CASE-TIME-ORDER")
        return at


def check_undecided(
    case_id: UUID, others: Sequence[Assessment], exclude: UUID | None = None, *, reference: str | None = None
) -> None:
    """A case is assessed once (PEN-APPROVE): the ledger posts and reverses a case's lines together, so a second
    decision is refused by name, and so is a new proposal once one is decided (it could never be approved). The
    case is named by ``reference`` (its number) where the caller has it."""
    decided = [a for a in others if a.assessment_id != exclude and a.status in DECIDED]
    if decided:
        raise RuleViolation(
            f"case {reference or case_id} has a penalty decided already (assessment {decided[0].assessment_id}, "
            f"{decided[0].status.value}): a case is assessed once, and an appeal reverses it",
            rule="PEN-APPROVE",
        )
