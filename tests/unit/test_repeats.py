"""Repeat complaints on the same issue (DOMAIN §2 Links; P4-CLS-04: the 3rd is at least medium; E4-CL-01: major)."""

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

import pytest

from adapters.clock import FixedClock
from adapters.memory import MemoryUnitOfWork
from adapters.policy_files import load_preset
from complaint_core import CaseKind, Channel, Intake, Limit, ProductLine, RuleViolation, TimeUnit
from complaint_core.repeats import earlier_same_issue, same_issue
from entrypoints.bootstrap import bootstrap

Maker = Callable[..., datetime]


def intake(customer: str = "华东电子", category: str = "quality", *parts: str) -> Intake:
    lines = tuple(ProductLine(part_no=p, quantity=Decimal(1)) for p in parts)
    return Intake(customer=customer, channel=Channel.PHONE, category=category, kind=CaseKind.EXTERNAL, lines=lines)


def test_the_same_issue_is_the_same_customer_and_category_and_a_shared_part_when_both_name_parts() -> None:
    assert same_issue(intake(), intake(" 华东电子 "))
    assert not same_issue(intake(), intake("南方电器")) and not same_issue(intake(), intake(category="delay"))
    assert same_issue(intake("A", "quality", "PCB-4L", "PCB-6L"), intake("A", "quality", "PCB-6L"))
    assert not same_issue(intake("A", "quality", "PCB-4L"), intake("A", "quality", "PCB-6L"))
    assert same_issue(intake("A", "quality", "PCB-4L"), intake("A", "quality"))  # one names no part


def test_p4_cls_04_the_third_complaint_on_the_same_issue_within_the_window_is_at_least_medium(sh: Maker) -> None:
    """The service preset counts earlier complaints within 90 calendar days (EXAMPLE window), not only chains."""
    service = load_preset("service")
    assert service.repeat_window == Limit(90, TimeUnit.CALENDAR_DAYS)
    cases = bootstrap(uow=MemoryUnitOfWork(), clock=FixedClock(sh(2026, 11, 30)), default_policy="service")
    first = cases.receive(intake(), actor="cs", at=sh(2026, 6, 1))
    cases.receive(intake("南方电器"), actor="cs", at=sh(2026, 6, 2))  # another customer
    cases.receive(intake(category="delay"), actor="cs", at=sh(2026, 6, 3))  # another issue
    second = cases.receive(intake(), actor="cs", at=sh(2026, 7, 1))
    third = cases.receive(intake(), actor="cs", at=sh(2026, 8, 30))  # day 90 after 06-01 is 08-30: inside
    later = cases.receive(intake(), actor="cs", at=sh(2026, 9, 29))  # 06-01 is past 90 days; 07-01, 08-30 count
    assert [c.repeat_count for c in (first, second, third, later)] == [0, 1, 2, 2]
    assert cases.classify(third.case_id, "light", actor="cs", at=sh(2026, 8, 30, 10)).severity == "medium"
    assert cases.classify(second.case_id, "light", actor="cs", at=sh(2026, 7, 1, 10)).severity == "light"


def test_the_window_ends_at_the_end_of_its_last_day(sh: Maker) -> None:
    first = bootstrap(uow=MemoryUnitOfWork(), clock=FixedClock(sh(2026, 6, 1)), default_policy="service")
    earlier = first.receive(intake(), actor="cs", at=sh(2026, 6, 1))
    window = Limit(90, TimeUnit.CALENDAR_DAYS)
    policy = load_preset("service")
    count = [
        earlier_same_issue(intake(), at, [earlier], window, calendar=None, tz=policy.tz)
        for at in (sh(2026, 8, 30, 23, 59), sh(2026, 8, 31, 0, 0), sh(2026, 6, 1))  # the same instant: not before
    ]
    assert count == [1, 0, 0]


def test_e4_cl_01_a_repeat_is_a_major_complaint_under_the_auto_dealer_preset(sh: Maker) -> None:
    cases = bootstrap(uow=MemoryUnitOfWork(), clock=FixedClock(sh(2026, 11, 30)), default_policy="auto-dealer")
    car = Intake(customer="王先生", channel=Channel.PHONE, category="repair_quality")
    cases.receive(car, actor="crm", at=sh(2026, 11, 2))
    repeat = cases.receive(car, actor="crm", at=sh(2026, 11, 20))
    classified = cases.classify(repeat.case_id, "general", actor="crm", at=sh(2026, 11, 20, 10))
    assert (repeat.repeat_count, classified.severity, classified.major) == (1, "major", True)


def test_a_policy_without_a_window_counts_only_second_complaints(sh: Maker) -> None:
    assert load_preset("manufacturing").repeat_window is None
    cases = bootstrap(uow=MemoryUnitOfWork(), clock=FixedClock(sh(2026, 11, 30)))
    cases.receive(intake(), actor="s", at=sh(2026, 11, 2))
    assert cases.receive(intake(), actor="s", at=sh(2026, 11, 3)).repeat_count == 0


def test_the_count_given_to_receive_is_checked(sh: Maker) -> None:
    from uuid import uuid4

    from complaint_core import Case

    policy = load_preset("service")
    with pytest.raises(RuleViolation):
        Case.receive(policy, case_id=uuid4(), intake=intake(), at=sh(2026, 11, 2), actor="s", earlier_same_issue=-1)
    case, (event,) = Case.receive(
        policy, case_id=uuid4(), intake=intake(), at=sh(2026, 11, 2), actor="s", earlier_same_issue=3
    )
    assert case.repeat_count == event.repeat_count == 3  # type: ignore[attr-defined]
