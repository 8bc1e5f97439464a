"""Corrective actions on a case and the check of their effect (P4-LC-03, P3-FU-02/03, P1-CLS-05, P1-FU-01)."""

from collections.abc import Callable
from datetime import datetime
from uuid import uuid4

import attrs
import pytest

from adapters.policy_files import load_preset
from complaint_core import Case, CaseKind, Channel, Intake, Limit, NotFound, RuleViolation, TableCalendar, TimeUnit
from complaint_core.improvement import unfinished
from complaint_core.policy import ImprovementRules

Maker = Callable[..., datetime]


def registered(sh: Maker, **improvements: object) -> tuple[Case, object]:
    policy = load_preset("manufacturing")
    policy = attrs.evolve(policy, improvements=ImprovementRules(**improvements))  # type: ignore[arg-type]
    intake = Intake(customer="华东电子", channel=Channel.PHONE, category="quality", kind=CaseKind.EXTERNAL)
    case, _ = Case.receive(policy, case_id=uuid4(), intake=intake, at=sh(2026, 9, 28), actor="s")
    case, _ = case.register(policy, at=sh(2026, 9, 28, 10), actor="g", number="260901")
    return case, policy


def test_p1_fu_01_the_check_is_due_as_the_policy_says_in_its_kind_of_day(sh: Maker, cn: TableCalendar) -> None:
    """5 working days from Mon 2026-09-28 skip National Day (10-01..07) and land on Sat 10-10, a make-up day."""
    case, policy = registered(sh, verify_within=Limit(5, TimeUnit.WORKING_DAYS))
    planned, (event,) = case.plan_improvement(
        policy, at=sh(2026, 9, 28, 11), actor="qa", measures="来料检验加严", owner="IQC", calendar=cn
    )
    (improvement,) = planned.improvements
    assert improvement.due is not None and improvement.due.astimezone(policy.tz).date().isoformat() == "2026-10-10"
    assert improvement.open and event.EVENT_TYPE == "case.improvement_planned"
    explicit, _ = case.plan_improvement(
        policy, at=sh(2026, 9, 28, 11), actor="qa", measures="m", owner="o", due=sh(2026, 9, 29), calendar=cn
    )
    assert explicit.improvements[0].due == sh(2026, 9, 29)


def test_refusals_name_their_rule(sh: Maker, cn: TableCalendar) -> None:
    case, policy = registered(sh)
    at = sh(2026, 9, 28, 11)
    refusals = [
        ({"measures": "", "owner": "o"}, "P4-LC-03"),
        ({"measures": "m", "owner": " "}, "P4-LC-03"),
        ({"measures": "m", "owner": "o", "due": at}, "P1-FU-01"),  # the check comes after the plan
        ({"measures": "m", "owner": "o", "due": sh(2026, 10, 9), "tracked": False}, "P1-CLS-05"),
    ]
    for kwargs, rule in refusals:
        with pytest.raises(RuleViolation) as refused:
            case.plan_improvement(policy, at=at, actor="qa", calendar=cn, **kwargs)  # type: ignore[arg-type]
        assert refused.value.rule == rule, kwargs
    exempt, _ = case.plan_improvement(policy, at=at, actor="qa", measures="m", owner="o", tracked=False)
    assert not exempt.improvements[0].open and unfinished(exempt.improvements) == ()
    with pytest.raises(RuleViolation, match="not tracked"):
        exempt.verify_improvement(policy, at=at, actor="qa", number=1, effective=True)
    with pytest.raises(NotFound):
        exempt.verify_improvement(policy, at=at, actor="qa", number=2, effective=True)


def test_p1_fu_01_one_check_each_and_an_ineffective_one_keeps_the_case_unfinished(sh: Maker) -> None:
    case, policy = registered(sh)
    case, _ = case.plan_improvement(policy, at=sh(2026, 9, 28, 11), actor="qa", measures="m", owner="o")
    assert unfinished(case.improvements) == ("improvement 1 not verified",)
    checked, _ = case.verify_improvement(policy, at=sh(2026, 9, 29), actor="qa", number=1, effective=False, note="n")
    assert unfinished(checked.improvements) == ("improvement 1 was not effective: plan another",)
    with pytest.raises(RuleViolation, match="verified already"):
        checked.verify_improvement(policy, at=sh(2026, 9, 30), actor="qa", number=1, effective=True)
    (then,) = [i.as_it_was(sh(2026, 9, 28, 12)) for i in checked.improvements]
    assert then is not None and then.open and then.effective is None
    assert checked.improvements[0].as_it_was(sh(2026, 9, 28, 10)) is None
    again, _ = checked.plan_improvement(policy, at=sh(2026, 9, 30), actor="qa", measures="m2", owner="o")
    assert unfinished(again.improvements) == ("improvement 2 not verified",)


def test_p1_fu_01_the_latest_verdict_counts_not_the_highest_number(sh: Maker) -> None:
    """Improvement 2 found effective, then improvement 1 found not effective: the case is not done (it settled)."""
    case, policy = registered(sh)
    for n in (1, 2):
        case, _ = case.plan_improvement(policy, at=sh(2026, 9, 28, 11), actor="qa", measures=f"m{n}", owner="o")
    case, _ = case.verify_improvement(policy, at=sh(2026, 10, 8), actor="qa", number=2, effective=True)
    case, _ = case.verify_improvement(policy, at=sh(2026, 10, 9), actor="qa", number=1, effective=False)
    assert unfinished(case.improvements) == ("improvement 1 was not effective: plan another",)
    exempt, _ = case.plan_improvement(policy, at=sh(2026, 10, 9), actor="qa", measures="m3", owner="o", tracked=False)
    assert unfinished(exempt.improvements) == ()  # an improvement planned since answers it


def test_p1_fu_01_a_verdict_given_the_minute_it_was_planned_still_counts(sh: Maker) -> None:
    case, policy = registered(sh)
    case, _ = case.plan_improvement(policy, at=sh(2026, 9, 28, 11), actor="qa", measures="m", owner="o")
    case, _ = case.verify_improvement(policy, at=sh(2026, 9, 28, 11), actor="qa", number=1, effective=False)
    assert unfinished(case.improvements) == ("improvement 1 was not effective: plan another",)
