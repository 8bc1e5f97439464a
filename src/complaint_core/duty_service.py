"""Use cases of periodic duties (DOMAIN §4): what is open or overdue, and recording one done."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from .duties import RULE_DUTY, DutyDue, DutyRecord, check_period, latest_period, open_duties
from .errors import RuleViolation
from .policy import Policy
from .ports import UnitOfWork
from .services import CaseService, in_transaction
from .timeutil import local_date


class DutyService:
    """Runs on the case service's unit of work, policies, calendars and clock."""

    def __init__(self, cases: CaseService) -> None:
        self.cases = cases

    def _policy(self, policy_id: str | None) -> Policy:
        chosen = policy_id or self.cases.default_policy
        if chosen is None:
            raise RuleViolation("no policy given and no default policy", rule=RULE_DUTY)
        return self.cases.policies.get(chosen)

    def open(
        self, *, policy_id: str | None = None, as_of: datetime | None = None, since: date | None = None
    ) -> tuple[DutyDue, ...]:
        """The duties of the policy (its newest version) open at ``as_of`` and not done, due on or after ``since``
        (default: the first day of the month before ``as_of``'s)."""
        when = self.cases.now_or(as_of, "as_of")
        policy = self._policy(policy_id)
        if since is None:
            today = local_date(when, policy.tz)
            since = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
        calendar = self.cases.calendar_for(policy) if any(d.working_days for d in policy.duties) else None
        with self.cases.uow as uow:  # read only: leaving without commit rolls back
            done = uow.duties.done(policy.policy_id)
        return open_duties(policy.duties, tz=policy.tz, calendar=calendar, done=done, as_of=when, since=since)

    def record(
        self,
        name: str,
        *,
        actor: str,
        period: str | None = None,
        note: str = "",
        policy_id: str | None = None,
        at: datetime | None = None,
    ) -> DutyRecord:
        """Record duty ``name`` done for ``period`` (default: its latest period open at ``at``), once."""
        when = self.cases.recorded_at(at)
        policy = self._policy(policy_id)
        rule = policy.duty(name)
        calendar = self.cases.calendar_for(policy) if rule.working_days else None
        chosen = period if period is not None else latest_period(rule, when, policy.tz, calendar)
        check_period(rule, chosen, when, policy.tz, calendar)
        if not actor.strip() or len(actor) > 255:
            raise RuleViolation("who did the duty is required, in at most 255 characters", rule=RULE_DUTY)
        record = DutyRecord(policy_id=policy.policy_id, name=name, period=chosen, done_at=when, actor=actor, note=note)

        def work(uow: UnitOfWork) -> DutyRecord:
            if record.key in uow.duties.done(policy.policy_id):
                raise RuleViolation(f"duty {name!r} for {chosen} is recorded already", rule=RULE_DUTY)
            uow.duties.record(record)
            uow.commit()
            return record

        return in_transaction(self.cases.uow, work, self.cases.conflict_retries)
