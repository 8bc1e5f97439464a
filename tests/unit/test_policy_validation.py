"""Policy validation: every inconsistent policy is refused with the key path of what is wrong (issue 2, DOMAIN §11).

One row per check of ``policy._validate`` that mutation testing found no test reaching; each row fails when its
check is removed, and each valid edge (the last allowed value) passes.
"""

from collections.abc import Callable
from decimal import Decimal

import attrs
import pytest

from adapters.policy_files import load_preset
from complaint_core import Channel, Labels, Limit, PolicyInvalid, PromiseMode, TimeUnit
from complaint_core.policy import (
    MAX_VERSION,
    ApprovalTier,
    CountTier,
    DutyPeriod,
    MilestoneRule,
    PenaltyRules,
    Policy,
    SanctionCause,
    SatisfactionLevel,
)

D = Decimal
Change = Callable[[Policy], dict[str, object]]
NEGATIVE = Limit(-1, TimeUnit.CALENDAR_DAYS)
LABEL = Labels("标签", "label")


def followups(**changes: object) -> Change:
    return lambda p: {"followups": attrs.evolve(p.followups, **changes)}


def returns(**changes: object) -> Change:
    return lambda p: {"returns": attrs.evolve(p.returns, **changes)}


def calendar(**changes: object) -> Change:
    return lambda p: {"calendar": attrs.evolve(p.calendar, **changes)}


def first_clock(**changes: object) -> Change:
    return lambda p: {"clocks": (attrs.evolve(p.clocks[0], **changes), *p.clocks[1:])}


def milestones(*rules: MilestoneRule) -> Change:
    return lambda p: {"milestones": rules}


def levels(*dissatisfied: bool) -> tuple[SatisfactionLevel, ...]:
    return tuple(SatisfactionLevel(code=f"l{i}", label=LABEL, dissatisfied=d) for i, d in enumerate(dissatisfied))


REFUSED: dict[str, tuple[Change, str]] = {
    "language": (lambda p: {"language": "fr"}, "language"),
    "duplicate channel": (lambda p: {"channels": (Channel.PHONE, Channel.PHONE)}, "channels[1]"),
    "numbering template": (
        lambda p: {"numbering": attrs.evolve(p.numbering, template="{yy}{mm}")},
        "numbering.template",
    ),
    "number at closure": (
        lambda p: {"numbering": attrs.evolve(p.numbering, assign_at="closed")},
        "numbering.assign_at",
    ),
    "number at a bad name": (
        lambda p: {"numbering": attrs.evolve(p.numbering, assign_at="Registered")},
        "numbering.assign_at",
    ),
    "duplicate milestone": (
        lambda p: {"milestones": (p.milestones[0],) * 2},
        "milestones[1]",
    ),
    "milestone named as a state": (milestones(MilestoneRule(name="closed", label=LABEL)), "milestones[0].name"),
    "milestone badly named": (milestones(MilestoneRule(name="Sent On", label=LABEL)), "milestones[0].name"),
    "milestone after itself": (
        milestones(MilestoneRule(name="sent", label=LABEL, after=("sent",))),
        "milestones[0].after[0]",
    ),
    "milestone after a bad name": (
        milestones(MilestoneRule(name="sent", label=LABEL, after=("Not A Name",))),
        "milestones[0].after[0]",
    ),
    "clock badly named": (first_clock(name="Close"), "clocks[0].name"),
    "clock stopping at received": (first_clock(stop="received"), "clocks[0].stop"),
    "too long a special limit": (
        first_clock(special_limit=Limit(99_999, TimeUnit.CALENDAR_DAYS)),
        "clocks[0].special_limit.amount",
    ),
    "two-stage clock in days": (first_clock(promise=PromiseMode.TWO_STAGE), "clocks[0].limit"),
    "special limit in another unit": (
        first_clock(special_limit=Limit(400, TimeUnit.HOURS)),
        "clocks[0].special_limit",
    ),
    "clock for an unknown channel": (
        lambda p: {
            "channels": (Channel.PHONE,),
            "clocks": (
                attrs.evolve(p.clocks[0], when=attrs.evolve(p.clocks[0].when, channels=frozenset({Channel.LETTER}))),
                *p.clocks[1:],
            ),
        },
        "clocks[0].when.channels",
    ),
    "negative ladder offset": (
        lambda p: {
            "clocks": (
                attrs.evolve(p.clocks[0], ladder=(attrs.evolve(p.clocks[0].ladder[0], after=NEGATIVE),)),
                *p.clocks[1:],
            )
        },
        "clocks[0].ladder[0].after.amount",
    ),
    "clock rules disagreeing on the label": (
        lambda p: {"clocks": (p.clocks[0], attrs.evolve(p.clocks[1], label=LABEL), *p.clocks[2:])},
        "clocks",
    ),
    "approval after an unknown milestone": (
        lambda p: {"approval": (attrs.evolve(p.approval[0], after=("nowhere",)), *p.approval[1:])},
        "approval[0].after[0]",
    ),
    "approval limit NaN": (
        lambda p: {"approval": (ApprovalTier(role="sales_manager", limit=D("NaN")), p.approval[-1])},
        "approval[0].limit",
    ),
    "tolerance NaN": (returns(default_tolerance=D("NaN")), "returns.default_tolerance"),
    "tolerance too fine": (returns(default_tolerance=D("0.123456789")), "returns.default_tolerance"),
    "no proof accepted": (returns(accepted_proofs=frozenset()), "returns.accepted_proofs"),
    "duplicate eligibility cause": (
        lambda p: {"returns": attrs.evolve(p.returns, eligibility=(p.returns.eligibility[0],) * 2)},
        "returns.eligibility[1]",
    ),
    "eligibility days negative": (
        lambda p: {
            "returns": attrs.evolve(
                p.returns, eligibility=(attrs.evolve(p.returns.eligibility[0], within_days_of_shipment=-1),)
            )
        },
        "returns.eligibility[0].within_days_of_shipment",
    ),
    "cap ratio 0": (
        lambda p: {"penalties": attrs.evolve(p.penalties, monthly_cap_ratio=D(0))},
        "penalties.monthly_cap_ratio",
    ),
    "cap ratio NaN": (
        lambda p: {"penalties": attrs.evolve(p.penalties, monthly_cap_ratio=D("NaN"))},
        "penalties.monthly_cap_ratio",
    ),
    "visit after reply negative": (followups(after_reply=NEGATIVE), "followups.after_reply.amount"),
    "visit after rework negative": (
        followups(after_rework_delivery=NEGATIVE),
        "followups.after_rework_delivery.amount",
    ),
    "monthly visits negative": (followups(monthly_visits=-1), "followups.monthly_visits"),
    "secondary check negative": (followups(secondary_check=NEGATIVE), "followups.secondary_check.amount"),
    "retry negative": (followups(retry_after=NEGATIVE), "followups.retry_after.amount"),
    "no attempt": (followups(max_attempts=0), "followups.max_attempts"),
    "rework delivery milestone unknown": (
        followups(rework_delivery_milestone="delivered"),
        "followups.rework_delivery_milestone",
    ),
    "rework visit at closure": (
        followups(at_closure=True, after_rework_delivery=Limit(3, TimeUnit.CALENDAR_DAYS)),
        "followups.at_closure",
    ),
    "no satisfaction scale": (followups(satisfaction=()), "followups.satisfaction"),
    "nobody dissatisfied": (followups(satisfaction=levels(False, False)), "followups.satisfaction"),
    "everybody dissatisfied": (followups(satisfaction=levels(True, True)), "followups.satisfaction"),
    "duplicate satisfaction level": (
        followups(satisfaction=(*levels(False, True), levels(False)[0])),
        "followups.satisfaction[2]",
    ),
    "verification negative": (
        lambda p: {"improvements": attrs.evolve(p.improvements, verify_within=NEGATIVE)},
        "improvements.verify_within.amount",
    ),
    "repeat window negative": (lambda p: {"repeat_window": NEGATIVE}, "repeat_window.amount"),
    "duty due out of its period": (
        lambda p: {"duties": (attrs.evolve(p.duties[0], due=99), *p.duties[1:])},
        "duties[0].due",
    ),
    "intake requiring an unknown datum": (
        lambda p: {"intake": attrs.evolve(p.intake, required=frozenset({"shoe_size"}))},
        "intake.required",
    ),
    "no calendar": (calendar(name=""), "calendar.name"),
    "working hours empty": (calendar(work_starts=9, work_ends=9), "calendar.work_starts"),
    "working hours past 23": (calendar(work_ends=24), "calendar.work_starts"),
    "working hours before 0": (calendar(work_starts=-1), "calendar.work_starts"),
}


def refused_path(preset: str, change: Change) -> str:
    """The key path the refusal of ``preset`` changed by ``change`` names."""
    policy = load_preset(preset)
    with pytest.raises(PolicyInvalid) as err:
        attrs.evolve(policy, **change(policy))
    return err.value.path


@pytest.mark.parametrize("name", REFUSED)
def test_an_inconsistent_policy_is_refused_naming_its_key_path(name: str) -> None:
    change, path = REFUSED[name]
    assert refused_path("manufacturing", change) == path


def test_duplicate_severities_name_the_second() -> None:
    assert refused_path("service", lambda p: {"severities": (*p.severities, p.severities[0])}) == "severities[3]"


ACCEPTED: dict[str, Change] = {
    "the first version": lambda p: {"version": 1},
    "the last version": lambda p: {"version": MAX_VERSION},
    "one attempt": followups(max_attempts=1),
    "working hours from 0 to 23": calendar(work_starts=0, work_ends=23),
    "a cap of the whole bonus": lambda p: {"penalties": attrs.evolve(p.penalties, monthly_cap_ratio=D(1))},
    "an approval limit of 0.00": lambda p: {"approval": (ApprovalTier(role="clerk", limit=D("0.00")), *p.approval)},
    "an eligibility on the day of shipment": lambda p: {
        "returns": attrs.evolve(
            p.returns, eligibility=(attrs.evolve(p.returns.eligibility[0], within_days_of_shipment=0),)
        )
    },
    "a special limit equal to the limit": lambda p: {
        "clocks": (attrs.evolve(p.clocks[0], special_limit=p.clocks[0].limit), *p.clocks[1:])
    },
}


@pytest.mark.parametrize("name", ACCEPTED)
def test_the_edges_of_each_range_are_accepted(name: str) -> None:
    policy = load_preset("manufacturing")
    assert attrs.evolve(policy, **ACCEPTED[name](policy))


def penalties(change: Callable[[PenaltyRules], dict[str, object]]) -> Change:
    return lambda p: {"penalties": attrs.evolve(p.penalties, **change(p.penalties))}


def first_tier(**changes: object) -> Change:
    return penalties(lambda r: {"tiers": (attrs.evolve(r.tiers[0], **changes), *r.tiers[1:])})


def count_tiers(*tiers: tuple[int, str]) -> Change:
    return penalties(lambda r: {"count_tiers": tuple(CountTier(at_least=n, amount=D(a)) for n, a in tiers)})


# on the service preset (P4), which has penalty tiers, a fine, a supervisor share and a severity raise
PENALTIES_REFUSED: dict[str, tuple[Change, str]] = {
    "second complaint factor below 1": (
        penalties(lambda r: {"second_complaint_factor": D("0.5")}),
        "penalties.second_complaint_factor",
    ),
    "negative warning": (penalties(lambda r: {"warning_amount": D("-1")}), "penalties.warning_amount"),
    "supervisor share of 1": (penalties(lambda r: {"supervisor_share": D(1)}), "penalties.supervisor_share"),
    "supervisor share of 0": (penalties(lambda r: {"supervisor_share": D(0)}), "penalties.supervisor_share"),
    "supervisor share NaN": (penalties(lambda r: {"supervisor_share": D("NaN")}), "penalties.supervisor_share"),
    "tier of an unknown severity": (first_tier(severity="critical"), "penalties.tiers[0].severity"),
    "tier amount negative": (first_tier(amount=D("-1")), "penalties.tiers[0].amount"),
    "tier maximum in fractions of a fen": (
        first_tier(minimum=True, maximum=D("100.001")),
        "penalties.tiers[0].maximum",
    ),
    "tier maximum without minimum": (first_tier(maximum=D("100.00")), "penalties.tiers[0].maximum"),
    "tier maximum below its amount": (first_tier(minimum=True, maximum=D("49.99")), "penalties.tiers[0].maximum"),
    "second tier for a severity": (penalties(lambda r: {"tiers": (r.tiers[0], r.tiers[0])}), "penalties.tiers[1]"),
    "count tier from 0": (count_tiers((0, "100.00")), "penalties.count_tiers[0].at_least"),
    "count tiers descending": (count_tiers((3, "100.00"), (3, "200.00")), "penalties.count_tiers[1].at_least"),
    "count tier amount negative": (count_tiers((1, "-1")), "penalties.count_tiers[0].amount"),
    "duplicate fine": (penalties(lambda r: {"fines": (r.fines[0], r.fines[0])}), "penalties.fines[1]"),
    "fine amount negative": (
        penalties(lambda r: {"fines": (attrs.evolve(r.fines[0], amount=D("-1")),)}),
        "penalties.fines[0].amount",
    ),
    "sanction cause badly coded": (
        penalties(lambda r: {"sanction_causes": (SanctionCause(code="Human Error", label=LABEL),)}),
        "penalties.sanction_causes[0].code",
    ),
    "duplicate sanction cause": (
        penalties(lambda r: {"sanction_causes": (SanctionCause(code="human", label=LABEL),) * 2}),
        "penalties.sanction_causes[1]",
    ),
    "raise to an unknown severity": (
        penalties(lambda r: {"severity_raise": attrs.evolve(r.severity_raise, to="critical")}),
        "penalties.severity_raise.to",
    ),
    "raise from the 0th complaint": (
        penalties(lambda r: {"severity_raise": attrs.evolve(r.severity_raise, same_issue_count=0)}),
        "penalties.severity_raise.same_issue_count",
    ),
    "raise after 0 days": (
        penalties(lambda r: {"severity_raise": attrs.evolve(r.severity_raise, delay_days=0)}),
        "penalties.severity_raise.delay_days",
    ),
    "nobody approves penalties": (penalties(lambda r: {"approver_roles": frozenset()}), "penalties.approver_roles"),
    "a blank approver": (penalties(lambda r: {"approver_roles": frozenset({"gm", " "})}), "penalties.approver_roles"),
    "a blank endorser": (penalties(lambda r: {"endorser_roles": frozenset({""})}), "penalties.endorser_roles"),
}


@pytest.mark.parametrize("name", PENALTIES_REFUSED)
def test_inconsistent_penalty_rules_are_refused_naming_their_key_path(name: str) -> None:
    change, path = PENALTIES_REFUSED[name]
    assert refused_path("service", change) == path


PENALTIES_ACCEPTED: dict[str, Change] = {
    "a factor of 1": penalties(lambda r: {"second_complaint_factor": D(1)}),
    "a maximum equal to the amount": first_tier(minimum=True, maximum=D("50.00")),
    "count tiers from 1": count_tiers((1, "100.00"), (2, "200.00")),
    "a raise from the first repeat and the first day": penalties(
        lambda r: {"severity_raise": attrs.evolve(r.severity_raise, same_issue_count=1, delay_days=1)}
    ),
}


@pytest.mark.parametrize("name", PENALTIES_ACCEPTED)
def test_the_edges_of_the_penalty_ranges_are_accepted(name: str) -> None:
    policy = load_preset("service")
    assert attrs.evolve(policy, **PENALTIES_ACCEPTED[name](policy))


def duty(**changes: object) -> Change:
    return lambda p: {"duties": (attrs.evolve(p.duties[0], **changes),)}


@pytest.mark.parametrize(
    ("every", "due", "accepted"),
    [
        ("month", 1, True),
        ("month", 28, True),
        ("month", 0, False),
        ("month", 29, False),
        ("week", 1, True),
        ("week", 7, True),
        ("week", 0, False),
        ("week", 8, False),
        ("day", 0, True),
        ("day", 1, False),
    ],
)
def test_p1_dl_05_a_duty_is_due_within_its_period(every: str, due: int, accepted: bool) -> None:
    """A monthly duty falls on days 1-28 of the next month (every month has them), a weekly one on an ISO
    weekday, a daily one on its day."""
    policy = load_preset("manufacturing")
    change = duty(every=DutyPeriod(every), due=due)
    if accepted:
        assert attrs.evolve(policy, **change(policy)).duties[0].due == due
    else:
        assert refused_path("manufacturing", change) == "duties[0].due"


def test_only_a_daily_duty_keeps_to_working_days_and_a_duty_may_name_no_target() -> None:
    policy = load_preset("manufacturing")
    daily = attrs.evolve(policy, **duty(every=DutyPeriod.DAY, due=0, working_days=True)(policy))
    assert daily.duties[0].working_days
    with pytest.raises(PolicyInvalid) as err:
        attrs.evolve(policy, **duty(working_days=True)(policy))
    assert err.value.path == "duties[0].working_days"
    assert attrs.evolve(policy, **duty(target="")(policy)).duties[0].target == ""
    with pytest.raises(PolicyInvalid) as err:
        attrs.evolve(policy, **duty(target="nobody")(policy))
    assert err.value.path == "duties[0].target"
