"""The edges of "the same issue" and of the repeat window (DOMAIN §2 Links, P4-CLS-04, E4-CL-01)."""

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import uuid4

from adapters.clock import FixedClock
from adapters.memory import MemoryUnitOfWork
from complaint_core import Case, CaseKind, Channel, Intake, Limit, Policy, ProductLine, TimeUnit
from complaint_core.repeats import earlier_same_issue, same_issue
from entrypoints.bootstrap import bootstrap

Maker = Callable[..., datetime]


def intake(customer: str = "华东电子", *parts: str) -> Intake:
    lines = tuple(ProductLine(part_no=p, quantity=Decimal(1)) for p in parts)
    return Intake(customer=customer, channel=Channel.PHONE, category="quality", kind=CaseKind.EXTERNAL, lines=lines)


def received(policy: Policy, at: datetime) -> Case:
    case, _ = Case.receive(policy, case_id=uuid4(), intake=intake(), at=at, actor="cs")
    return case


def test_p4_cls_04_a_new_complaint_naming_no_part_is_the_same_issue_as_one_that_did() -> None:
    """P4-CLS-04: parts narrow the issue only when both complaints name them, whichever of the two names none."""
    assert same_issue(intake("A"), intake("A", "PCB-4L"))
    assert same_issue(intake("A", "PCB-4L"), intake("A"))
    assert same_issue(intake("A"), intake("A"))


def test_p4_cls_04_an_elapsed_window_includes_its_last_instant(service: Policy, sh: Maker) -> None:
    """P4-CLS-04 / E4-CL-01: a complaint exactly 48 hours after the earlier one is within a 48-hour window."""
    earlier = received(service, sh(2026, 6, 1, 9))
    window = Limit(48, TimeUnit.HOURS)
    count = [
        earlier_same_issue(intake(), at, [earlier], window, calendar=None, tz=service.tz)
        for at in (sh(2026, 6, 3, 9), sh(2026, 6, 3, 9) + timedelta(microseconds=1))
    ]
    assert count == [1, 0]


def test_p4_cls_04_a_day_window_includes_the_last_instant_of_its_last_day(service: Policy, sh: Maker) -> None:
    """P4-CLS-04: 90 calendar days from 06-01 end at 08-30 23:59:59.999999 local, which still counts."""
    earlier = received(service, sh(2026, 6, 1, 9))
    window = Limit(90, TimeUnit.CALENDAR_DAYS)
    last = sh(2026, 8, 31, 0, 0) - timedelta(microseconds=1)
    assert earlier_same_issue(intake(), last, [earlier], window, calendar=None, tz=service.tz) == 1


def test_p4_cls_04_the_intake_count_ignores_blanks_around_the_customer_as_same_issue_does(sh: Maker) -> None:
    """P4-CLS-04 / DOMAIN §2: "华东电子 " is the same customer as "华东电子", so its complaint is a repeat. The
    intake's count read the candidates by the exact name, and gave 0."""
    assert same_issue(intake("华东电子 "), intake("华东电子"))
    cases = bootstrap(uow=MemoryUnitOfWork(), clock=FixedClock(sh(2026, 11, 30)), default_policy="service")
    cases.receive(intake("华东电子"), actor="cs", at=sh(2026, 6, 1))
    assert cases.receive(intake("华东电子 "), actor="cs", at=sh(2026, 7, 1)).repeat_count == 1
