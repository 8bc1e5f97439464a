"""Inbound mapping files: bundled examples map to valid intakes; bad payloads report every field at once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest

from adapters.policy_files import load_preset
from adapters.webhooks.mapping import (
    BUNDLED,
    EventKind,
    FieldError,
    Ignored,
    MappedIntake,
    MappedUpdate,
    MappingFileError,
    PayloadRejected,
    Rejected,
    load_bundled_mapping,
    load_mapping,
    loads_mapping,
    parse_body,
)
from complaint_core import Channel, Intake, Market, Policy
from complaint_core.intake import ProductLine

EXAMPLES = Path(str(resources.files("adapters.webhooks").joinpath("mappings", "examples")))


@pytest.fixture(scope="module")
def manufacturing() -> Policy:
    return load_preset("manufacturing")


def example(name: str) -> object:
    return parse_body((EXAMPLES / f"{name}.json").read_bytes())


@pytest.mark.parametrize(
    ("mapping", "payload"),
    [
        ("generic", "generic-complaint-created"),
        ("hubspot-tickets", "hubspot-ticket-created"),
        ("salesforce-cases", "salesforce-case-created"),
    ],
)
def test_example_payloads_map_to_valid_manufacturing_intakes(mapping: str, payload: str, manufacturing: Policy) -> None:
    result = load_bundled_mapping(mapping).map(example(payload), policy=manufacturing)
    assert isinstance(result, MappedIntake)
    intake = result.to_intake()
    assert isinstance(intake, Intake)
    assert intake.category in {c.code for c in manufacturing.categories}
    assert intake.channel in manufacturing.channels
    assert intake.customer.strip() and intake.description
    assert result.external_id and result.received_at is not None and result.received_at.tzinfo is not None
    assert intake.claimed_amount is not None and intake.lines


def test_hubspot_ticket_created_in_detail(manufacturing: Policy) -> None:
    result = load_bundled_mapping("hubspot-tickets").map(example("hubspot-ticket-created"), policy=manufacturing)
    assert result == MappedIntake(
        external_id="5120012",
        customer="Rheinland Elektronik GmbH",
        category="quality",
        channel=Channel.EMAIL,
        market=Market.FOREIGN,  # "Germany" falls to the "*" entry of values.market
        description="Lot 2610-17: 35 of 1000 boards show solder mask blistering after reflow. "
        "Incoming inspection rejected the lot.",
        amount=Decimal("2400.00"),
        products=(
            ProductLine(
                order_no="SO-26-0917", part_no="PCB-8L-001", quantity=Decimal(1000), defective_quantity=Decimal(35)
            ),
        ),
        received_at=datetime(2026, 11, 2, 1, 15, tzinfo=UTC),
        event_type="ticket.creation",
    )


def test_salesforce_case_created_in_detail(manufacturing: Policy) -> None:
    result = load_bundled_mapping("salesforce-cases").map(example("salesforce-case-created"), policy=manufacturing)
    assert isinstance(result, MappedIntake)
    assert (result.external_id, result.customer, result.category, result.channel, result.market) == (
        "5005g00000ABCDeAAF",
        "华东电子有限公司",
        "quality",
        Channel.PHONE,
        Market.DOMESTIC,
    )
    assert result.amount == Decimal("8200.0")  # parse_body keeps JSON decimals exact
    assert result.products[0].defective_quantity == Decimal(120)


@pytest.mark.parametrize(
    ("mapping", "payload", "expected"),
    [
        (
            "generic",
            "generic-customer-replied",
            MappedUpdate(
                event=EventKind.CUSTOMER_REPLY,
                external_id="CRM-2026-0042",
                message="已收到 8D 报告，请于周五前补充切片照片。",
                received_at=datetime(2026, 11, 3, 10, 2, tzinfo=timezone(timedelta(hours=8))),
                event_type="complaint.customer_replied",
            ),
        ),
        (
            "hubspot-tickets",
            "hubspot-ticket-stage-changed",
            MappedUpdate(
                event=EventKind.STATUS_UPDATE,
                external_id="5120012",
                status="closed",
                received_at=datetime.fromtimestamp(1793841300, UTC),  # epoch milliseconds
                event_type="ticket.propertyChange",
            ),
        ),
        (
            "salesforce-cases",
            "salesforce-case-updated",
            MappedUpdate(
                event=EventKind.STATUS_UPDATE,
                external_id="5005g00000ABCDeAAF",
                status="escalated",
                received_at=datetime.fromtimestamp(1793844720, UTC),
                event_type="UPDATE",
            ),
        ),
    ],
)
def test_update_examples(mapping: str, payload: str, expected: MappedUpdate) -> None:
    assert load_bundled_mapping(mapping).map(example(payload)) == expected


def test_every_example_file_is_used_and_every_bundled_mapping_loads() -> None:
    assert {p.stem for p in EXAMPLES.glob("*.json")} == {
        "generic-complaint-created",
        "generic-customer-replied",
        "hubspot-ticket-created",
        "hubspot-ticket-stage-changed",
        "salesforce-case-created",
        "salesforce-case-updated",
    }
    for name in BUNDLED:
        assert load_bundled_mapping(name).name == name


def test_unknown_event_is_ignored_or_rejected() -> None:
    mapping = load_bundled_mapping("salesforce-cases")
    payload = {"data": {"payload": {"ChangeEventHeader": {"changeType": "DELETE", "recordIds": ["x"]}}}}
    assert mapping.apply(payload) == Ignored(event_type="DELETE", reason="event type 'DELETE' is not mapped")
    strict = loads_mapping(
        'name = "s"\n[event]\npointer = "/t"\nnew_complaint = ["a"]\nunknown = "reject"\n[fields]\ncustomer = "/c"'
    )
    outcome = strict.apply({"t": "b"})
    assert isinstance(outcome, Rejected) and outcome.errors[0].field == "event"
    assert isinstance(strict.apply({}), Rejected)  # no event type at all


def test_all_field_errors_come_back_together(manufacturing: Policy) -> None:
    payload = {
        "type": "complaint.created",
        "customer": {"name": "  "},
        "category": "weather",
        "channel": "pigeon",
        "market": "moon",
        "claimed_amount": "-3",
        "occurred_at": "yesterday",
        "severity": "major",
        "products": [{"part_no": "P1", "quantity": 5, "defective_quantity": 9}, {"quantity": "many"}],
    }
    mapping = load_bundled_mapping("generic")
    outcome = mapping.apply(payload, policy=manufacturing)
    assert isinstance(outcome, Rejected)
    fields = [e.field for e in outcome.errors]
    assert set(fields) == {
        "external_id",
        "customer",
        "category",
        "channel",
        "market",
        "amount",
        "received_at",
        "severity",
        "products[0]",
        "products[1].quantity",
    }
    with pytest.raises(PayloadRejected) as caught:
        mapping.map(payload, policy=manufacturing)
    assert caught.value.errors == outcome.errors
    assert "customer: required" in str(caught.value)


def test_policy_check_is_optional() -> None:
    payload = {"id": "1", "type": "complaint.created", "customer": {"name": "A"}, "category": "weather"}
    assert isinstance(load_bundled_mapping("generic").apply(payload), MappedIntake)
    assert load_bundled_mapping("generic").apply(payload, policy=load_preset("manufacturing")) == Rejected(
        (FieldError("category", "'weather' is not a category of policy manufacturing (quality, non_quality)"),)
    )


def test_unmapped_crm_value_names_the_known_values() -> None:
    payload = json.loads(json.dumps(example("salesforce-case-created"), default=str))
    payload["data"]["payload"]["Origin"] = "Fax"
    outcome = load_bundled_mapping("salesforce-cases").apply(payload)
    assert outcome == Rejected(
        (FieldError("channel", "value 'Fax' is not in values.channel (known: 'Phone', 'Email', 'Web')"),)
    )


def test_values_match_case_insensitively_after_exact() -> None:
    payload = json.loads(json.dumps(example("salesforce-case-created"), default=str))
    payload["data"]["payload"]["Origin"] = "EMAIL"
    outcome = load_bundled_mapping("salesforce-cases").apply(payload)
    assert isinstance(outcome, MappedIntake) and outcome.channel is Channel.EMAIL


def test_fallback_pointers_defaults_and_naive_times() -> None:
    mapping = load_bundled_mapping("generic")
    payload = {
        "type": "complaint.created",
        "id": 42,
        "customer": {"id": "C-7"},
        "category": "quality",
        "occurred_at": "2026-11-02T09:00:00",
    }
    result = mapping.map(payload)
    assert isinstance(result, MappedIntake)
    assert result.external_id == "42" and result.customer == "C-7"
    assert result.channel is Channel.WEB and result.market is Market.DOMESTIC  # [defaults]
    assert result.received_at == datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # naive -> mapping timezone (+08:00)


def test_update_without_external_id_is_rejected() -> None:
    outcome = load_bundled_mapping("generic").apply({"type": "complaint.status_changed", "status": "closed"})
    assert outcome == Rejected((FieldError("external_id", "required to find the case: nothing at /id"),))


def test_no_event_selector_means_every_payload_is_a_new_complaint() -> None:
    mapping = loads_mapping('name = "m"\n[fields]\ncustomer = "/c"\ncategory = "/k"\nchannel = "/ch"')
    result = mapping.map({"c": "ACME", "k": "quality", "ch": "phone"})
    assert isinstance(result, MappedIntake) and result.event is EventKind.NEW_COMPLAINT


def test_body_that_is_not_json() -> None:
    with pytest.raises(PayloadRejected, match="not UTF-8 JSON"):
        parse_body(b"\xff{")
    assert parse_body(b'{"a": 1.10}') == {"a": Decimal("1.10")}


# --- mapping file errors name the key path -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ('name = "m"\ncolour = "red"', "colour"),
        ('description = "no name"', "name"),
        ('name = "m"\n[fields]\ncustomer = "customer/name"', "fields.customer"),
        ('name = "m"\n[fields]\ncustomer = ["/a", "b~2"]', "fields.customer[1]"),
        ('name = "m"\n[fields]\ncustomer = 3', "fields.customer"),
        ('name = "m"\n[fields]\nshoe_size = "/s"', "fields.shoe_size"),
        ('name = "m"\n[event]\nnew_complaint = ["x"]', "event.pointer"),
        ('name = "m"\n[event]\npointer = "/t"\nnew_complaints = ["x"]', "event.new_complaints"),
        ('name = "m"\n[event]\npointer = "/t"\nnew_complaint = ["x"]\nstatus_update = ["x"]', "event.status_update[0]"),
        ('name = "m"\n[event]\npointer = "/t"\nunknown = "shrug"', "event.unknown"),
        ('name = "m"\n[values.channel]\nFax = "fax"', "values.channel.Fax"),
        ('name = "m"\n[values.customer]\nA = "b"', "values.customer"),
        ('name = "m"\n[defaults]\nmarket = "moon"', "defaults.market"),
        ('name = "m"\nrequired = ["shoe_size"]', "required[0]"),
        ('name = "m"\ntimezone = "Mars/Olympus"', "timezone"),
        ('name = "m"\n[products]\npart_no = "/p"', "products.pointer"),
        ('name = "m"\n[products]\npointer = "/p"\ncolour = "/c"', "products.colour"),
        ('name = "m"\n[products]\npointer = "/p"\npart_no = "p"', "products.part_no"),
    ],
)
def test_mapping_file_errors_name_the_key_path(text: str, path: str) -> None:
    with pytest.raises(MappingFileError) as caught:
        loads_mapping(text, "crm.toml")
    assert caught.value.path == path
    assert str(caught.value).startswith(f"crm.toml: {path}: ")


def test_toml_syntax_error_and_load_from_file(tmp_path: Path) -> None:
    with pytest.raises(MappingFileError, match="not valid TOML"):
        loads_mapping("name = ", "crm.toml")
    file = tmp_path / "crm.toml"
    file.write_text('name = "crm"\n[fields]\ncustomer = "/c"', encoding="utf-8")
    assert load_mapping(file).name == "crm"
    with pytest.raises(MappingFileError, match="no bundled mapping"):
        load_bundled_mapping("nope")
