"""Use cases of penalties: assess a case, approve (which posts to the ledger), appeal, close a month.

Each runs in one unit of work, like the case commands: the assessment, the
ledger journal and the events commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID, uuid4

from .assessment import Assessment, AssessmentStatus, check_undecided
from .case import Case
from .count_tiers import RULE as COUNT_RULE
from .count_tiers import MonthCount, complaint_month, month_count, month_tier_line
from .errors import NotFound, RuleViolation
from .ledger import EntryKind, Ledger, LedgerEntry, MonthClose
from .ledger_journal import LedgerClose, LedgerPost, LedgerReverse, apply_op
from .organisation import OrganisationInvalid
from .penalty import MAJOR_DEMERIT_RULE, LineKind, PenaltyLine, Sanction
from .penalty_orders import PenaltyOrder, assess_lines
from .policy import Policy
from .ports import OrganisationSource, UnitOfWork
from .services import CaseService, in_transaction, within
from .timeutil import is_month, month_key, month_span


class PenaltyService:
    def __init__(
        self,
        cases: CaseService,
        organisation: OrganisationSource,
        *,
        new_id: Callable[[], UUID] = uuid4,
    ) -> None:
        self.cases = cases
        self.organisation = organisation
        self.new_id = new_id

    @property
    def uow(self) -> UnitOfWork:
        return self.cases.uow

    def assess(self, ref: str | UUID, order: PenaltyOrder, *, actor: str, at: datetime | None = None) -> Assessment:
        """Propose the penalties of one case (P1-PEN-09: a proposal until approved)."""
        moment = self.cases.moment(at)
        if order.empty:
            raise RuleViolation("the penalty decision orders nothing", rule="P1-PEN-09")
        org = self.organisation.get()

        def work(uow: UnitOfWork) -> Assessment:
            case = self.cases._load(uow, ref)
            check_undecided(case.case_id, tuple(uow.assessments.for_case(case.case_id)), reference=case.reference)
            when = moment()
            policy = self.cases.policy_of(case)
            month = month_key(when, policy.tz)
            # each person's count takes their turn in a shared store: in one order, or two decisions naming the
            # same two people in opposite orders would wait for each other
            counts = {person_id: _month_count(uow, case, policy, person_id) for person_id in sorted(order.count_tiers)}
            forfeited = _forfeited(uow, case, order, month)
            lines = assess_lines(case, policy, org, order, month=month, counts=counts, forfeited=forfeited)
            assessment, events = Assessment.propose(
                policy, assessment_id=self.new_id(), case_id=case.case_id, lines=lines, at=when, actor=actor
            )
            uow.assessments.add(assessment)
            uow.outbox.add(events)
            uow.commit()
            return assessment

        return in_transaction(self.uow, work, self.cases.conflict_retries)

    def endorse(self, assessment_id: UUID, *, role: str, actor: str, at: datetime | None = None) -> Assessment:
        """P1-APR-04: the supervisor endorses the individual punishments' types; nothing is posted yet."""
        moment = self.cases.moment(at)

        def work(uow: UnitOfWork) -> Assessment:
            assessment = uow.assessments.get(assessment_id)
            when = moment()
            policy = self.cases.policies.get(assessment.policy_id, assessment.policy_version)
            endorsed, events = assessment.endorse(policy, role=role, at=when, actor=actor)
            uow.assessments.save(endorsed)
            uow.outbox.add(events)
            uow.commit()
            return endorsed

        return in_transaction(self.uow, work, self.cases.conflict_retries)

    def approve(self, assessment_id: UUID, *, role: str, actor: str, at: datetime | None = None) -> Assessment:
        """P1-APR-05: approval by a role the policy names; the deductible lines are posted in the month of approval."""
        moment = self.cases.moment(at)

        def work(uow: UnitOfWork) -> Assessment:
            assessment = uow.assessments.get(assessment_id)
            when = moment()
            policy = self.cases.policies.get(assessment.policy_id, assessment.policy_version)
            others = uow.assessments.for_case(assessment.case_id)
            case = uow.cases.get(assessment.case_id)
            approved, events = assessment.approve(
                policy, role=role, at=when, actor=actor, others=others, reference=case.reference
            )
            self._check_count_tiers(uow, case, approved, policy)  # before the ledger: people first, as in assess
            month = month_key(when, policy.tz)
            postings = approved.postings()
            demerits = [line for line in approved.lines if line.kind is LineKind.MAJOR_DEMERIT]
            if postings or demerits:  # the ledger is read only when something needs it
                ledger = uow.ledger.load()
                if demerits:
                    self._check_forfeits(uow, approved.case_id, demerits, ledger, month)
                if postings:
                    op = LedgerPost(month=month, postings=postings)
                    _, entries, _ = apply_op(ledger, op)
                    uow.ledger.append(op, entries)
            uow.assessments.save(approved)
            uow.outbox.add(events)
            uow.commit()
            return approved

        return in_transaction(self.uow, work, self.cases.conflict_retries)

    def _check_count_tiers(self, uow: UnitOfWork, case: Case, assessment: Assessment, policy: Policy) -> None:
        """A count tier's line holds what the month owed the day it was assessed (F4-PN-01..03); approved, it must
        still be what the month owes: another case's may have been approved (or reversed) meanwhile, or a complaint
        come in. Refused at approval, where the proposal can still be withdrawn and assessed again, so the month's
        approved charges add up to its tier."""
        lines = sorted(
            (line for line in assessment.lines if line.kind is LineKind.COUNT_TIER), key=lambda line: line.party.id
        )
        if not lines:
            return
        org = self.organisation.get()
        for line in lines:
            person = line.party.id
            count = _month_count(uow, case, policy, person)
            owed = dict(month_tier_line(org.person(person), rules=policy.penalties, count=count).basis)["charge"]
            held = dict(line.basis).get("charge", str(line.amount))
            if Decimal(held) != Decimal(owed):
                raise RuleViolation(
                    f"the count tier of {person} charges {held}, as assessed; the month owes {owed} now "
                    f"({count.complaints} complaints, {count.charged} charged on its other cases): withdraw the "
                    "assessment and assess it again",
                    rule=COUNT_RULE,
                )

    def _check_forfeits(
        self, uow: UnitOfWork, case_id: UUID, demerits: Sequence[PenaltyLine], ledger: Ledger, month: str
    ) -> None:
        """A major demerit forfeits the month's bonus once, as it stands (P1-PEN-06): its line holds the bonus of
        the day it was assessed, so one assessed before the bonus changed, or a second one in the month, would
        deduct other than the whole bonus (two took 2200.00 of a 1100.00 bonus). A second one assessed as such
        (``forfeited_by``, deducting nothing) needs that forfeit to stand in the month it is approved in. Refused at
        approval, where a proposal can still be withdrawn and assessed again."""
        org = self.organisation.get()
        forfeited = major_demerits(ledger, month)
        for line in demerits:
            person = line.party.id
            before = [c for c in forfeited.get(person, ()) if c != case_id]
            by = dict(line.basis).get("forfeited_by")
            if by is not None:
                if by not in {uow.cases.get(c).reference for c in before}:
                    raise RuleViolation(
                        f"the major demerit of {person} deducts nothing because case {by}'s took the bonus; {month}'s "
                        f"bonus is not forfeited by case {by}'s major demerit now (appealed, or another month): "
                        "withdraw the assessment and assess it again",
                        rule="P1-PEN-06",
                    )
                continue
            assessed = dict(line.basis).get("bonus")
            bonus = org.bonus(person, month)
            if assessed is not None and Decimal(assessed) != bonus:
                raise RuleViolation(
                    f"the major demerit of {person} holds the {month} bonus as {Decimal(assessed):.2f}; it is "
                    f"{bonus:.2f} now: withdraw the assessment and assess it again",
                    rule="P1-PEN-06",
                )
            if before:
                raise RuleViolation(
                    f"{person}'s {month} bonus is forfeited already by the major demerit of case "
                    f"{uow.cases.get(before[0]).reference}: a second one takes nothing more; withdraw this assessment "
                    "and assess it again (it is then recorded, deducting nothing), or appeal that one",
                    rule="P1-PEN-06",
                )

    def withdraw(self, assessment_id: UUID, *, reason: str, actor: str, at: datetime | None = None) -> Assessment:
        """Withdraw a proposal that will not be approved (corrected by another, or refused): nothing was posted."""
        moment = self.cases.moment(at)

        def work(uow: UnitOfWork) -> Assessment:
            withdrawn, events = uow.assessments.get(assessment_id).withdraw(reason=reason, at=moment(), actor=actor)
            uow.assessments.save(withdrawn)
            uow.outbox.add(events)
            uow.commit()
            return withdrawn

        return in_transaction(self.uow, work, self.cases.conflict_retries)

    def appeal(
        self, assessment_id: UUID, *, reason: str, actor: str, month: str | None = None, at: datetime | None = None
    ) -> Assessment:
        """A successful appeal reverses the assessment and its postings (never edits them)."""
        moment = self.cases.moment(at)

        def work(uow: UnitOfWork) -> Assessment:
            assessment = uow.assessments.get(assessment_id)
            when = moment()
            policy = self.cases.policies.get(assessment.policy_id, assessment.policy_version)
            reversed_, events = assessment.reverse(reason=reason, at=when, actor=actor)
            _check_not_relied_on(uow, assessment)
            if assessment.deductible_lines():
                ledger = uow.ledger.load()
                latest = month or month_key(when, policy.tz)  # a payroll month still open before it takes it
                op = LedgerReverse(month=ledger.earliest_open(latest), case_id=assessment.case_id, reason=reason)
                others = [a for a in uow.assessments.for_case(assessment.case_id) if a.assessment_id != assessment_id]
                if any(a.status is AssessmentStatus.APPROVED for a in others):
                    raise RuleViolation(
                        "the ledger reverses a case's postings together; this case has other approved assessments",
                        rule="LEDGER-REVERSE",
                    )
                _, entries, _ = apply_op(ledger, op)
                uow.ledger.append(op, entries)
            uow.assessments.save(reversed_)
            uow.outbox.add(events)
            uow.commit()
            return reversed_

        return in_transaction(self.uow, work, self.cases.conflict_retries)

    def close_month(self, month: str, *, policy_id: str | None = None, cap_ratio: Decimal | None = None) -> MonthClose:
        """P1-PEN-11: deduct up to the cap of each person's bonus (the policy's ratio by default), carry the rest.

        A month after the current one (in the policy's zone) is refused: months close in order, so closing one by
        mistake would shut every month before it to postings for good. The current month may close before it
        ends, as payroll does."""
        pid = policy_id or self.cases.default_policy
        policy = self.cases.policies.get(pid) if pid is not None else None
        if cap_ratio is None:
            if policy is None:
                raise NotFound("no policy given and the service has no default policy")
            cap_ratio = policy.penalties.monthly_cap_ratio
        current = month_key(self.cases.clock.now(), policy.tz if policy is not None else UTC)
        if is_month(month) and month > current:
            raise RuleViolation(
                f"{month} has not begun (it is {current}): a month closes once its bonuses are known, and a "
                f"closed month shuts every month before it to postings",
                rule="LEDGER-FUTURE",
            )

        def work(uow: UnitOfWork) -> MonthClose:
            ledger = uow.ledger.load()  # first: a store shared by writers makes a bonus import wait for the close
            org = self.organisation.get()  # the bonuses as they stand now that no import can change them
            bonuses = {person: amount for (person, m), amount in org.bonuses.items() if m == month}
            op = LedgerClose.of(month, bonuses, cap_ratio)
            again = month in ledger.closed_months  # the same close again: checked and returned, not journaled
            _, entries, close = apply_op(ledger, op)
            if not again:
                uow.ledger.append(op, entries)
                uow.commit()
            assert close is not None
            return close

        return in_transaction(self.uow, work, self.cases.conflict_retries)

    def ledger(self, *, uow: UnitOfWork | None = None) -> Ledger:
        """The ledger; in ``uow`` when given (e.g. a read-only one: a writing one waits for a month's close)."""
        with within(self.uow, uow) as reading:
            return reading.ledger.load()

    def assessments(self, ref: str | UUID, *, uow: UnitOfWork | None = None) -> tuple[Case, tuple[Assessment, ...]]:
        with within(self.uow, uow) as reading:
            case = self.cases._load(reading, ref)
            return case, reading.assessments.for_case(case.case_id)

    def assessment(self, assessment_id: UUID, *, uow: UnitOfWork | None = None) -> Assessment:
        with within(self.uow, uow) as reading:
            try:
                return reading.assessments.get(assessment_id)
            except NotFound:
                raise NotFound(f"no penalty assessment {assessment_id}") from None


def _month_count(uow: UnitOfWork, case: Case, policy: Policy, person_id: str) -> MonthCount:
    """The person's complaints in the month ``case`` was received, and what the month's decisions charged."""
    start, end = month_span(complaint_month(case, policy), policy.tz)
    others = [
        (other, uow.assessments.for_case(other.case_id)) for other in uow.cases.attributed_to(person_id, start, end)
    ]
    return month_count(case, policy, person_id, others)


def _check_not_relied_on(uow: UnitOfWork, assessment: Assessment) -> None:
    """An appeal may not reverse a major demerit that another case's approved one relies on (it deducted nothing
    because this one took the bonus, P1-PEN-06): the month would keep a major demerit and deduct no bonus."""
    people = {line.party.id for line in assessment.lines if line.kind is LineKind.MAJOR_DEMERIT and line.amount}
    if not people:
        return
    reference = uow.cases.get(assessment.case_id).reference
    for other in uow.assessments.all():
        if other.status is not AssessmentStatus.APPROVED or other.case_id == assessment.case_id:
            continue
        for line in other.lines:
            if line.party.id in people and dict(line.basis).get("forfeited_by") == reference:
                raise RuleViolation(
                    f"the major demerit of {line.party.id} in case {uow.cases.get(other.case_id).reference} deducts "
                    f"nothing because this one (case {reference}) takes the month's bonus: reversed alone, the month "
                    "would keep a major demerit and deduct no bonus; appeal that one first",
                    rule="P1-PEN-06",
                )


def _forfeited(uow: UnitOfWork, case: Case, order: PenaltyOrder, month: str) -> dict[str, str]:
    """Per person the order gives a major demerit, the number of another case whose major demerit takes ``month``'s
    bonus already (P1-PEN-06); the ledger is read only when the order gives one."""
    people = {s.person_id for s in order.sanctions if s.sanction is Sanction.MAJOR_DEMERIT}
    if not people:
        return {}
    standing = major_demerits(uow.ledger.load(), month)
    out: dict[str, str] = {}
    for person in sorted(people):
        before = [c for c in standing.get(person, ()) if c != case.case_id]
        if before:
            out[person] = uow.cases.get(before[0]).reference
    return out


def major_demerits(ledger: Ledger, month: str) -> dict[str, list[UUID]]:
    """Per person, the cases whose major demerit (P1-PEN-06) is posted in ``month`` and not reversed: the bonus of
    that month is forfeited, and may not change while it stands."""
    posted: dict[tuple[UUID, str], LedgerEntry] = {}
    for entry in ledger.entries_in(month):
        key = (entry.case_id, entry.line_id)
        if entry.kind is EntryKind.POSTED and entry.rule_id == MAJOR_DEMERIT_RULE:
            posted[key] = entry
        elif entry.kind is EntryKind.REVERSED:
            posted.pop(key, None)
    out: dict[str, list[UUID]] = {}
    for entry in posted.values():
        cases = out.setdefault(entry.person_id, [])
        if entry.case_id not in cases:
            cases.append(entry.case_id)
    return out


def check_forfeited(ledger: Ledger, person: str, month: str, before: Decimal, after: Decimal, where: str) -> None:
    """A bonus a posted major demerit forfeits (P1-PEN-06) does not change while the demerit stands: its line
    holds the bonus it was assessed on, and the month would deduct that, not the bonus."""
    if after == before:
        return
    cases = major_demerits(ledger, month).get(person)
    if cases:
        raise OrganisationInvalid(
            where,
            f"{person}'s {month} bonus of {before:.2f} is forfeited by a major demerit (case {cases[0]}): it does "
            "not change while the demerit stands; appeal the demerit first",
            rule="P1-PEN-06",
        )
