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
from complaint_core.policy import LadderLevel, PenaltyRules, ReturnRules

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
