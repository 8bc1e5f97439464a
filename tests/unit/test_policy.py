"""Policy validation: inconsistent policies are refused with the key path (issue: foundation §2)."""

from decimal import Decimal

import attrs
import pytest

from complaint_core import (
    ApprovalTier,
    ClockCondition,
    ClockRule,
    Labels,
    Limit,
    Policy,
    PolicyInvalid,
    PromiseMode,
    TimeUnit,
)
from complaint_core.errors import NotFound
from complaint_core.policy import (
    CaseKind,
    Channel,
    EscalationAction,
    LadderLevel,
    Market,
    PenaltyRules,
    RestDayRule,
    ReturnRules,
    SanctionCause,
    SeverityRaise,
    offsets_ascend,
    tolerance_is_plain,
)

D = Decimal


def tiers(*limits: str | None) -> tuple[ApprovalTier, ...]:
    return tuple(ApprovalTier(role=f"r{i}", limit=None if x is None else D(x)) for i, x in enumerate(limits))


def clock(**kw: object) -> ClockRule:
    args: dict[str, object] = {
        "name": "close",
        "label": Labels("结案", "close"),
        "start": "registered",
        "stop": "closed",
        "limit": Limit(3, TimeUnit.WORKING_DAYS),
    }
    args.update(kw)
    return ClockRule(**args)  # type: ignore[arg-type]


def broken(manufacturing: Policy, **changes: object) -> PolicyInvalid:
    with pytest.raises(PolicyInvalid) as err:
        attrs.evolve(manufacturing, **changes)
    return err.value


def test_p1_apr_02_approver_for_amount(manufacturing: Policy) -> None:
    assert manufacturing.approver_for(D("5000.00")) == "sales_manager"
    assert manufacturing.approver_for(D("5000.01")) == "deputy_gm"
    assert manufacturing.approver_for(D("999999999")) == "gm"
    assert manufacturing.approval_limit("gm") is None
    with pytest.raises(PolicyInvalid, match="no approval authority"):
        manufacturing.approval_limit("janitor")


@pytest.mark.parametrize(
    ("limits", "path"),
    [
        (("5000", "1000", None), "approval[1].limit"),  # descending
        (("5000", "5000", None), "approval[1].limit"),  # overlapping
        (("-1", None), "approval[0].limit"),  # negative
        ((None, "5000"), "approval[0].limit"),  # unlimited not last
        ((), "approval"),
    ],
)
def test_approval_table_must_ascend(manufacturing: Policy, limits: tuple[str | None, ...], path: str) -> None:
    assert broken(manufacturing, approval=tiers(*limits)).path == path


def test_duplicate_roles_are_refused(manufacturing: Policy) -> None:
    dup = (ApprovalTier(role="gm", limit=D(1)), ApprovalTier(role="gm"))
    assert broken(manufacturing, approval=dup).path == "approval[1]"


@pytest.mark.parametrize(
    ("rule", "path"),
    [
        (clock(limit=Limit(-1, TimeUnit.HOURS)), "clocks[0].limit.amount"),
        (clock(when=ClockCondition(categories=frozenset({"nope"}))), "clocks[0].when.categories"),
        (clock(when=ClockCondition(severities=frozenset({"major"}))), "clocks[0].when.severities"),
        (clock(start="Registered!"), "clocks[0].start"),
        (clock(stop="registered"), "clocks[0].stop"),
        (clock(limit=None), "clocks[0].limit"),
        (clock(promise=PromiseMode.TWO_STAGE), "clocks[0].limit"),
        (clock(special_limit=Limit(2, TimeUnit.WORKING_DAYS)), "clocks[0].special_limit"),
        (clock(special_limit=Limit(7, TimeUnit.CALENDAR_DAYS)), "clocks[0].special_limit"),
        (
            clock(
                ladder=(
                    LadderLevel(after=Limit(2, TimeUnit.WORKING_DAYS), action="reminder", target="gm"),  # type: ignore[arg-type]
                    LadderLevel(after=Limit(1, TimeUnit.WORKING_DAYS), action="escalate", target="gm"),  # type: ignore[arg-type]
                )
            ),
            "clocks[0].ladder[1].after",
        ),
    ],
)
def test_bad_clocks_name_their_key_path(manufacturing: Policy, rule: ClockRule, path: str) -> None:
    assert broken(manufacturing, clocks=(rule,)).path == path


def test_skipped_state_cannot_start_a_clock(manufacturing: Policy) -> None:
    err = broken(manufacturing, skip_states=frozenset({"investigating"}), clocks=(clock(start="investigating"),))
    assert err.path == "clocks[0].start"


def test_other_fields(manufacturing: Policy) -> None:
    assert broken(manufacturing, zone="Mars/Olympus").path == "zone"
    assert broken(manufacturing, policy_id="Bad Id").path == "policy_id"
    assert broken(manufacturing, version=0).path == "version"
    assert broken(manufacturing, skip_states=frozenset({"closed"})).path == "skip_states"
    assert broken(manufacturing, categories=()).path == "categories"
    assert broken(manufacturing, returns=ReturnRules(default_tolerance=D("-0.1"))).path == "returns.default_tolerance"
    assert (
        broken(manufacturing, penalties=PenaltyRules(monthly_cap_ratio=D("1.5"))).path == "penalties.monthly_cap_ratio"
    )
    fine = D("0.5000000000000000001")  # 19 places: the ledger's exact arithmetic refuses it, so the policy does
    assert broken(manufacturing, penalties=PenaltyRules(monthly_cap_ratio=fine)).path == "penalties.monthly_cap_ratio"
    assert broken(manufacturing, penalties=PenaltyRules(supervisor_share=fine)).path == "penalties.supervisor_share"


def test_rules_sharing_a_name_select_by_condition(manufacturing: Policy) -> None:
    """P1-DL-01: the close clock has a domestic and a foreign rule."""
    rules = manufacturing.clock_rules("close")
    assert [r.limit for r in rules] == [Limit(13, TimeUnit.CALENDAR_DAYS), Limit(17, TimeUnit.CALENDAR_DAYS)]
    assert manufacturing.clock_names()[0] == "close"


def test_ladders_refuse_unknown_roles_and_descending_offsets_across_units(manufacturing: Policy) -> None:
    """Issue: escalation, bad input: refused when the policy is loaded, with the key path."""
    ladder = (
        LadderLevel(after=Limit(1, TimeUnit.WORKING_DAYS), action="reminder", target="late_department"),  # type: ignore[arg-type]
        LadderLevel(after=Limit(2, TimeUnit.HOURS), action="escalate", target="gm"),  # type: ignore[arg-type]
    )
    assert broken(manufacturing, clocks=(clock(ladder=ladder),)).path == "clocks[0].ladder[1].after"
    stranger = (LadderLevel(after=Limit(0, TimeUnit.MINUTES), action="alert", target="janitor"),)  # type: ignore[arg-type]
    err = broken(manufacturing, clocks=(clock(ladder=stranger),))
    assert err.path == "clocks[0].ladder[0].target" and "janitor" in str(err)
    ok = (
        LadderLevel(after=Limit(0, TimeUnit.MINUTES), action="alert", target="janitor"),  # type: ignore[arg-type]
        LadderLevel(after=Limit(24, TimeUnit.HOURS), action="escalate", target="gm"),  # type: ignore[arg-type]
    )
    declared = attrs.evolve(manufacturing, roles=(*manufacturing.roles, "janitor"), clocks=(clock(ladder=ok),))
    assert "janitor" in declared.roles
    assert broken(manufacturing, calendar=attrs.evolve(manufacturing.calendar, work_starts=18)).path == (
        "calendar.work_starts"
    )


# -- Found by mutation testing: each dimension of a clock condition, and the policy's derived views.

SUBJECT: dict[str, object] = {"market": None, "kind": None, "category": None, "severity": None, "channel": None}


@pytest.mark.parametrize(
    ("dimension", "field", "value", "other"),
    [
        ("markets", "market", Market.DOMESTIC, Market.FOREIGN),  # P1-DL-01: 13 days domestic, 17 foreign
        ("kinds", "kind", CaseKind.EXTERNAL, CaseKind.INTERNAL),
        ("categories", "category", "quality", "delivery"),
        ("severities", "severity", "major", "minor"),
        ("channels", "channel", Channel.PHONE, Channel.LETTER),
    ],
)
def test_a_clock_condition_on_one_dimension_reads_only_that_one(
    dimension: str, field: str, value: object, other: object
) -> None:
    when = ClockCondition(**{dimension: frozenset({value})})  # type: ignore[arg-type]
    assert not when.unconditional and ClockCondition().unconditional
    assert when.matches(**{**SUBJECT, field: value})  # type: ignore[arg-type]
    assert not when.matches(**{**SUBJECT, field: other})  # type: ignore[arg-type]
    assert not when.matches(**SUBJECT)  # type: ignore[arg-type]  # a value not known yet matches no condition
    assert ClockCondition().matches(**SUBJECT)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "dated"),
    [
        ({"limit": Limit(3, TimeUnit.WORKING_DAYS)}, True),
        ({"limit": Limit(13, TimeUnit.CALENDAR_DAYS)}, False),
        ({"limit": Limit(13, TimeUnit.CALENDAR_DAYS), "on_rest_day": RestDayRule.STATUTORY}, True),  # moved off
        ({"limit": Limit(1, TimeUnit.CALENDAR_DAYS), "special_limit": Limit(2, TimeUnit.CALENDAR_DAYS)}, False),
        ({"limit": None, "promise": PromiseMode.PROMISED}, False),  # the promised date is the deadline
        ({"limit": None, "promise": PromiseMode.PROMISED, "special_limit": Limit(2, TimeUnit.WORKING_DAYS)}, True),
    ],
)
def test_a_deadline_is_dated_by_the_calendar_when_it_counts_working_days_or_moves_off_rest_days(
    manufacturing: Policy, changes: dict[str, object], dated: bool
) -> None:
    """Only such a deadline can need a year the calendar does not cover (``CaseService.check_deadlines``)."""
    rule = clock(**changes)
    assert rule.dated_by_calendar is dated
    others = tuple(r for r in manufacturing.clocks if not r.dated_by_calendar and not r.ladder)
    policy = attrs.evolve(manufacturing, clocks=(*others, rule))
    assert policy.deadlines_need_calendar is dated


def test_a_policy_counts_working_days_in_a_limit_an_extension_or_a_ladder(manufacturing: Policy) -> None:
    calendar_days = Limit(13, TimeUnit.CALENDAR_DAYS)
    plain = clock(limit=calendar_days)
    assert not attrs.evolve(manufacturing, clocks=(plain,)).counts_working_days
    for rule in (
        clock(limit=Limit(3, TimeUnit.WORKING_DAYS)),
        clock(limit=None, promise=PromiseMode.PROMISED, special_limit=Limit(2, TimeUnit.WORKING_DAYS)),
        clock(
            limit=calendar_days,
            ladder=(LadderLevel(after=Limit(1, TimeUnit.WORKING_DAYS), action=EscalationAction.ALERT, target="gm"),),
        ),
    ):
        assert attrs.evolve(manufacturing, clocks=(plain, rule)).counts_working_days


def test_a_sanction_cause_list_allows_its_causes_only() -> None:
    """P1-CLS-08: without a list any cause (or none) may draw a sanction; with one, only the causes listed."""
    assert PenaltyRules().allows_sanction(None) and PenaltyRules().allows_sanction("anything")
    rules = PenaltyRules(
        sanction_causes=(SanctionCause(code="late_delivery", label=Labels("交期延误", "late delivery")),)
    )
    assert rules.allows_sanction("late_delivery")
    assert not rules.allows_sanction("other") and not rules.allows_sanction(None)


def test_a_category_is_found_by_its_code(manufacturing: Policy) -> None:
    first, second = manufacturing.categories[:2]
    assert manufacturing.category(second.code) is second and manufacturing.category(first.code) is first
    with pytest.raises(PolicyInvalid, match="no category 'nope' in policy manufacturing"):
        manufacturing.category("nope")


def raising(service: Policy, **rule: int | None) -> Policy:
    penalties = attrs.evolve(service.penalties, severity_raise=SeverityRaise(to="medium", **rule))
    return attrs.evolve(service, penalties=penalties)


def test_p4_cls_04_a_raise_on_one_ground_only_ignores_the_other(service: Policy) -> None:
    by_delay = raising(service, delay_days=3)
    assert by_delay.raised_severity("light", same_issue_count=9) == "light"
    assert by_delay.raised_severity("light", delay_days=3) == "medium"
    by_count = raising(service, same_issue_count=2)
    assert by_count.raised_severity("light", delay_days=9) == "light"
    assert by_count.raised_severity("light", same_issue_count=2) == "medium"


def test_p4_cls_04_by_default_a_first_complaint_without_delay(service: Policy) -> None:
    """The defaults describe a first complaint on time: a rule of one day's delay does not fire, a rule counting
    every complaint does (``CaseService.receive`` passes no delay)."""
    assert raising(service, delay_days=1).raised_severity("light") == "light"
    assert raising(service, same_issue_count=1).raised_severity("light") == "medium"
    assert attrs.evolve(service, penalties=PenaltyRules()).raised_severity("light", same_issue_count=9) == "light"


def test_an_unknown_severity_is_not_raised(service: Policy) -> None:
    with pytest.raises(PolicyInvalid, match="unknown severity 'grave'"):
        service.raised_severity("grave", same_issue_count=3)


def test_p4_dl_03_waiver_clocks_are_those_with_a_waiving_rung(manufacturing: Policy, service: Policy) -> None:
    """Every command checks them (deemed waivers are caught up first): a ladder of reminders is not one."""
    assert any(rule.ladder for rule in manufacturing.clocks) and manufacturing.waiver_clocks == frozenset()
    assert service.waiver_clocks == {"head_reply"}


def test_an_unknown_duty_is_named_with_the_policys_duties(manufacturing: Policy, service: Policy) -> None:
    with pytest.raises(NotFound, match=r"no duty 'audit' \(duties: monthly_statistics, sanction_review, "):
        manufacturing.duty("audit")
    with pytest.raises(NotFound, match=r"no duty 'audit' \(duties: none\)"):
        service.duty("audit")
    assert manufacturing.duty("sanction_review").name == "sanction_review"


def test_milestone_names_include_where_clocks_start_and_stop(manufacturing: Policy) -> None:
    sampled = clock(name="sample", start="sample_received", stop="sample_tested", limit=Limit(2, TimeUnit.HOURS))
    names = attrs.evolve(manufacturing, clocks=(*manufacturing.clocks, sampled)).milestone_names()
    assert {"sample_received", "sample_tested"} <= set(names) and list(names) == sorted(names)
    assert not {"registered", "closed"} & set(names)  # lifecycle states are not milestones


def test_a_table_without_an_unlimited_tier_names_an_amount_above_it(manufacturing: Policy) -> None:
    capped = attrs.evolve(manufacturing, approval=tiers("5000"))
    assert capped.approver_for(D("5000.00")) == "r0"
    with pytest.raises(PolicyInvalid, match=r"no role may approve 5000\.01"):
        capped.approver_for(D("5000.01"))


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{yy}{mm}{seq!r}", "{seq} takes only a zero-padded width"),
        ("{yy}{mm}{seq!s:03}", "{seq} takes only a zero-padded width"),
        ("{yyyy!r}-{seq:03}", "field {yyyy} takes no format spec"),
        ("{mm:02}{seq}", "field {mm} takes no format spec"),
    ],
)
def test_p1_num_a_template_field_takes_no_conversion(manufacturing: Policy, template: str, message: str) -> None:
    numbering = attrs.evolve(manufacturing.numbering, template=template)
    err = broken(manufacturing, numbering=numbering)
    assert err.path == "numbering.template" and message in str(err)


@pytest.mark.parametrize(
    ("this", "previous", "ascends"),
    [
        (Limit(2, TimeUnit.HOURS), Limit(2, TimeUnit.HOURS), False),  # the same offset twice
        (Limit(3, TimeUnit.HOURS), Limit(2, TimeUnit.HOURS), True),
        (Limit(1, TimeUnit.HOURS), Limit(60, TimeUnit.MINUTES), False),  # the same instant in two units
        (Limit(1, TimeUnit.HOURS), Limit(59, TimeUnit.MINUTES), True),
        (Limit(1, TimeUnit.WORKING_DAYS), Limit(24, TimeUnit.HOURS), True),  # may come later (a weekend)
        (Limit(1, TimeUnit.CALENDAR_DAYS), Limit(24, TimeUnit.HOURS), False),
    ],
)
def test_ladder_offsets_ascend_strictly_or_by_bounds_across_units(this: Limit, previous: Limit, ascends: bool) -> None:
    assert offsets_ascend(this, previous) is ascends


@pytest.mark.parametrize(
    ("value", "plain"),
    [
        (D("0.000001"), True),  # six places
        (D("0.0000001"), False),
        (D("100"), True),  # MAX_TOLERANCE
        (D("100.000001"), False),
        (D("Infinity"), False),
        (D("NaN"), False),
    ],
)
def test_p1_ret_05_a_plain_tolerance(value: Decimal, plain: bool) -> None:
    assert tolerance_is_plain(value) is plain


@pytest.mark.parametrize("template", ["{yy}{mm}{seq}", "{yyyy}-{mm}-{dd}-{seq:04}", "TS{seq:03}"])
def test_p1_num_a_plain_or_zero_padded_seq_is_accepted(manufacturing: Policy, template: str) -> None:
    numbering = attrs.evolve(manufacturing.numbering, template=template)
    assert attrs.evolve(manufacturing, numbering=numbering).numbering.template == template
