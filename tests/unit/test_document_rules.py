"""The rules of the one document mapping (``adapters.serialization``) that storage and webhooks share: instants
carry an offset, money never passes through a float, sets are written in order, the domain's own refusals come
through, and a malformed event or stored row is a ``DocumentInvalid`` naming what it is."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from adapters import serialization
from adapters.serialization import DocumentInvalid
from complaint_core import Channel, Intake, Responsibility, RuleViolation
from complaint_core.case import Step
from complaint_core.responsibility import FaultShare

STEP = {"status": "received", "at": "2026-11-02T01:30:00Z", "actor": "s", "reason": ""}
SHARE = {"party": {"kind": "department", "id": "smt", "name": ""}, "share": "1"}


@pytest.mark.parametrize(
    ("at", "says"),
    [
        ("2026-11-02T09:30:00", "datetime '2026-11-02T09:30:00' has no UTC offset"),
        (1762047000, "expected an ISO-8601 string, got 1762047000"),
    ],
)
def test_an_instant_is_an_iso_string_with_its_offset(at: object, says: str) -> None:
    with pytest.raises(DocumentInvalid, match=says):
        serialization.from_data({**STEP, "at": at}, Step)


@pytest.mark.parametrize("share", [0.5, True, None])
def test_money_and_ratios_never_come_from_a_float_or_a_boolean(share: object) -> None:
    with pytest.raises(DocumentInvalid, match=f"expected a decimal string, got {share}"):
        serialization.from_data({**SHARE, "share": share}, FaultShare)


def test_a_decimal_may_be_given_as_an_integer() -> None:
    assert serialization.from_data({**SHARE, "share": 1}, FaultShare).share == Decimal(1)


def test_a_set_is_written_sorted_so_the_same_object_gives_the_same_bytes() -> None:
    flags = frozenset({"needs_joint_inspection", "caused_loss", "hq_produced"})
    intake = Intake(customer="甲", channel=Channel.PHONE, category="quality", flags=flags)
    assert serialization.to_data(intake)["flags"] == ["caused_loss", "hq_produced", "needs_joint_inspection"]
    assert serialization.loads(serialization.dumps(intake), Intake) == intake


def test_a_refusal_of_the_domain_comes_through_as_itself() -> None:
    """Shares summing to a half are the domain's P1-ROLE-07, not a malformed document; a stored row that holds
    them names its id and the rule."""
    half = {"shares": [{**SHARE, "share": "0.5"}]}
    with pytest.raises(RuleViolation) as err:
        serialization.from_data(half, Responsibility)
    assert err.value.rule == "P1-ROLE-07"
    body = serialization.encode({"case_id": "c-7", "causer": half}).encode()  # as bytes, as a driver may return
    with pytest.raises(DocumentInvalid, match=r"^\[DOCUMENT\] case c-7: \[P1-ROLE-07\] ") as stored:
        serialization.stored(
            "case", body, lambda text: serialization.from_data(json.loads(text)["causer"], Responsibility)
        )
    assert isinstance(stored.value.__cause__, RuleViolation)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('{"type": "event", "aggregate_id": "00000000-0000-0000-0000-000000000001"}', "unknown event type 'event'"),
        ('{"type": ["case.closed"]}', r"unknown event type \['case.closed'\]"),
        ('{"type": "case.reaction_recorded", "timestamp": "t", "data": "oops"}', "ReactionRecorded"),
    ],
)
def test_more_events_that_do_not_load(text: str, says: str) -> None:
    with pytest.raises(DocumentInvalid, match=says):
        serialization.load_event(text)


def test_a_history_row_body_must_be_an_object() -> None:
    with pytest.raises(DocumentInvalid, match="an event body must be a JSON object"):
        serialization.load_typed_event("case.closed", "[1]")
