"""Test data several unit test modules share: policies with extra clocks, and a small sales organisation."""

from __future__ import annotations

import attrs

from complaint_core import ClockRule, Labels, Limit, Policy, PromiseMode, TimeUnit
from complaint_core.organisation import Department, DepartmentKind, Organisation, Person
from complaint_core.policy import EscalationAction, LadderLevel

SALES = Organisation(
    departments=(Department("sales", "业务部", DepartmentKind.SALES),),
    people=(
        Person(id="S0", name="业务经理", department="sales", basis_points=40),
        Person(id="S1", name="销售甲", department="sales", supervisor="S0", basis_points=20),
        Person(id="S2", name="销售乙", department="sales", supervisor="S0", basis_points=20),
    ),
)


def service_policy(manufacturing: Policy) -> Policy:
    """Manufacturing plus a pausable reply clock, a special limit and promise clocks."""
    label = Labels("答复", "reply")
    extra = (
        ClockRule(
            name="reply",
            label=label,
            start="received",
            stop="replied",
            limit=Limit(3, TimeUnit.WORKING_DAYS),
            special_limit=Limit(7, TimeUnit.WORKING_DAYS),
            pause_reasons=frozenset({"waiting_on_customer"}),
            rule_id="F2-DL-06",
        ),
        ClockRule(
            name="first_reply",
            label=label,
            start="received",
            stop="replied",
            limit=Limit(24, TimeUnit.HOURS),
            promise=PromiseMode.TWO_STAGE,
            rule_id="F4-DL-03",
        ),
        ClockRule(
            name="agreed",
            label=label,
            start="received",
            stop="replied",
            limit=Limit(3, TimeUnit.CALENDAR_DAYS),
            promise=PromiseMode.PROMISED,
            rule_id="P5-DL-02",
        ),
    )
    return attrs.evolve(manufacturing, clocks=manufacturing.clocks + extra)


def extended(manufacturing: Policy) -> Policy:
    """``service_policy`` with a reminder on the reply clock, and a promised clock with no limit (``open_date``)
    that shares the reminder."""
    reply, first_reply, agreed = service_policy(manufacturing).clocks[-3:]
    reminder = (LadderLevel(after=Limit(0, TimeUnit.MINUTES), action=EscalationAction.REMINDER, target="handler"),)
    reply = attrs.evolve(reply, ladder=reminder)
    open_date = ClockRule(
        name="open_date",
        label=reply.label,
        start="received",
        stop="replied",
        limit=None,
        promise=PromiseMode.PROMISED,
        ladder=reminder,
    )
    return attrs.evolve(manufacturing, clocks=(*manufacturing.clocks, reply, agreed, open_date, first_reply))
