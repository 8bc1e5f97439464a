"""Inbound mapping, value by value: how each payload value is read, and what a bad one is answered with.

Every bad value is a ``FieldError`` naming its field (never an exception half-way), and a bad mapping file is a
``MappingFileError`` naming its key path (docs/webhooks.md).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from adapters.policy_files import load_preset
from adapters.webhooks.mapping import (
    MAX_EXTERNAL_ID,
    EventKind,
    FieldError,
    InboundMapping,
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
from complaint_core import Channel, Market, Policy
from complaint_core.intake import MAX_PRODUCT_LINES, ProductLine
from complaint_core.money import MAX_QUANTITY

GENERIC = load_bundled_mapping("generic")  # zone Asia/Shanghai; external_id required; channel defaults to web


def complaint(**fields: object) -> dict[str, Any]:
    """A generic ``complaint.created`` payload that maps, with ``fields`` replaced (None removes one)."""
    payload: dict[str, Any] = {
        "type": "complaint.created",
        "id": "T-1",
        "customer": {"name": "ACME"},
        "category": "quality",
    }
    payload.update(fields)
    return {k: v for k, v in payload.items() if v is not None}


def mapped(payload: object, mapping: InboundMapping = GENERIC, policy: Policy | None = None) -> MappedIntake:
    result = mapping.apply(payload, policy=policy)
    assert isinstance(result, MappedIntake), result
    return result


def errors(payload: object, mapping: InboundMapping = GENERIC, policy: Policy | None = None) -> dict[str, str]:
    """The field errors of a payload that is rejected, by field."""
    outcome = mapping.apply(payload, policy=policy)
    assert isinstance(outcome, Rejected), outcome
    found = {e.field: e.message for e in outcome.errors}
    assert len(found) == len(outcome.errors), f"a field is named twice: {outcome.errors}"
    return found


# --- the body -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [b"1" * 5000, b"[" * 100_000 + b"]" * 100_000],
    ids=["integer-of-5000-digits", "nested-100000-deep"],
)
def test_json_python_cannot_read_is_refused_as_the_payload(body: bytes) -> None:
    with pytest.raises(PayloadRejected, match="body is JSON this service cannot read") as caught:
        parse_body(body)
    assert str(caught.value).startswith("payload: ")  # the payload as a whole has no field name


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (rb'"\ud800"', "/"),
        (rb'{"a": "x\udc00"}', "/a"),
        (rb'{"a": {"b": ["ok", "\ud800"]}}', "/a/b/1"),
        (rb'{"\ud800": 1}', "/'\\ud800'"),
        (rb'[{"k": "ok"}, {"k": "\udfff"}]', "/1/k"),
    ],
)
def test_a_lone_surrogate_is_refused_where_it_is(body: bytes, where: str) -> None:
    with pytest.raises(PayloadRejected) as caught:
        parse_body(body)
    assert caught.value.errors == (FieldError(where, "contains a lone UTF-16 surrogate, which is not text"),)


def test_a_surrogate_pair_is_text() -> None:
    assert parse_body(rb'{"note": "\ud83d\ude00", "n": [1, 2.5, null, true]}') == {
        "note": "😀",
        "n": [1, Decimal("2.5"), None, True],
    }


# --- text ---------------------------------------------------------------------------------------------------


def test_numbers_are_text_where_text_is_expected() -> None:
    result = mapped(complaint(id=42, customer={"name": 7}, description=Decimal("1.5")))
    assert (result.external_id, result.customer, result.description) == ("42", "7", "1.5")


@pytest.mark.parametrize("value", [True, ["ACME"], {"x": 1}])
def test_a_value_that_is_no_text_is_named(value: object) -> None:
    found = errors(complaint(description=value))
    assert found == {"description": f"expected text, got {type(value).__name__}"}


def test_an_empty_value_falls_back_to_the_next_pointer() -> None:
    assert mapped(complaint(customer={"name": "", "id": "C-7"})).customer == "C-7"


def test_a_field_with_no_pointer_and_no_default_says_so() -> None:
    mapping = loads_mapping('name = "m"\n[fields]\ncustomer = "/c"\nchannel = "/ch"')
    assert errors({"c": "ACME", "ch": "phone"}, mapping) == {"category": "required: no pointer and no default"}


# --- values tables ------------------------------------------------------------------------------------------

TABLES = loads_mapping(
    """
name = "tables"
[fields]
customer = "/c"
category = "/k"
channel = "/ch"
market = "/m"
severity = "/s"
[defaults]
category = "quality"
channel = "web"
[values.channel]
Phone = "phone"
[values.market]
CN = "domestic"
cn = "foreign"
[values.severity]
"*" = "light"
"""
)


def test_a_default_is_already_our_code_and_skips_the_values_table() -> None:
    result = mapped({"c": "ACME"}, TABLES)
    assert (result.channel, result.severity) == (Channel.WEB, None)  # "web" is not a key of values.channel


def test_an_exact_value_wins_over_a_case_insensitive_one() -> None:
    assert mapped({"c": "ACME", "m": "cn"}, TABLES).market is Market.FOREIGN
    assert mapped({"c": "ACME", "m": "CN"}, TABLES).market is Market.DOMESTIC
    assert mapped({"c": "ACME", "ch": "PHONE"}, TABLES).channel is Channel.PHONE


def test_a_value_that_is_no_text_is_named_before_any_table_is_read() -> None:
    assert errors({"c": "ACME", "m": True}, TABLES) == {"market": "expected text, got bool"}


def test_the_wildcard_catches_every_other_value() -> None:
    assert mapped({"c": "ACME", "s": "whatever"}, TABLES).severity == "light"


# --- amounts ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "amount"),
    [
        (1.1, Decimal("1.1")),
        (12, Decimal(12)),
        (" 12.50 ", Decimal("12.50")),
        ("0", Decimal(0)),
        ("0.5", Decimal("0.5")),
    ],
)
def test_amounts_are_read_exactly(value: object, amount: Decimal) -> None:
    assert mapped(complaint(claimed_amount=value)).amount == amount


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (True, "expected an amount, got a boolean"),
        ([5], "[5] is not a number"),
        ("abc", "'abc' is not a number"),
        ("NaN", "'NaN' is not a non-negative amount"),
        ("Infinity", "'Infinity' is not a non-negative amount"),
        ("-0.01", "'-0.01' is not a non-negative amount"),
        ("1.005", "'1.005' is not an amount in whole fen (two decimal places) up to 999,999,999,999,999.99"),
    ],
)
def test_a_bad_amount_is_named(value: object, message: str) -> None:
    assert errors(complaint(claimed_amount=value)) == {"amount": message}


# --- times --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "at"),
    [
        (" 2026-11-02T09:00:00 ", datetime(2026, 11, 2, 1, tzinfo=UTC)),  # no offset: the mapping's zone (+08:00)
        ("2026-11-02T01:00:00+00:00", datetime(2026, 11, 2, 1, tzinfo=UTC)),  # an offset is kept
        (1_793_582_100, datetime(2026, 11, 2, 1, 15, tzinfo=UTC)),  # epoch seconds
        (1_793_582_100_000, datetime(2026, 11, 2, 1, 15, tzinfo=UTC)),  # epoch milliseconds
        (Decimal("1793582100.5"), datetime(2026, 11, 2, 1, 15, 0, 500000, tzinfo=UTC)),
        (10**11, datetime(1973, 3, 3, 9, 46, 40, tzinfo=UTC)),  # from 10**11 on, milliseconds
    ],
)
def test_times_are_iso_text_or_epoch_numbers(value: object, at: datetime) -> None:
    assert mapped(complaint(occurred_at=value)).received_at == at


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (True, "expected an ISO-8601 text or epoch number, got bool"),
        (["2026-11-02"], "expected an ISO-8601 text or epoch number, got list"),
        ("0999-12-31T00:00:00", "the year must lie between 1000 and 9998, got 999"),
        ("9999-01-01T00:00:00", "the year must lie between 1000 and 9998, got 9999"),
    ],
)
def test_a_bad_time_is_named(value: object, says: str) -> None:
    assert errors(complaint(occurred_at=value)) == {"received_at": f"not a timestamp: {says}"}


def test_the_years_at_the_bounds_are_times() -> None:
    assert mapped(complaint(occurred_at="1000-01-02T00:00:00+00:00")).received_at == datetime(1000, 1, 2, tzinfo=UTC)
    assert mapped(complaint(occurred_at="9998-12-31T00:00:00+00:00")).received_at == datetime(9998, 12, 31, tzinfo=UTC)


# --- events -------------------------------------------------------------------------------------------------

STRICT = loads_mapping(
    'name = "s"\n[event]\npointer = "/t"\nnew_complaint = ["a"]\nunknown = "reject"\n'
    '[fields]\ncustomer = "/c"\ncategory = "/k"\nchannel = "/ch"'
)


def test_a_listed_event_type_maps_under_a_rejecting_mapping() -> None:
    assert mapped({"t": "a", "c": "ACME", "k": "quality", "ch": "phone"}, STRICT).event_type == "a"


def test_a_payload_without_an_event_type_is_rejected_even_when_unknown_types_are_ignored() -> None:
    assert errors(complaint(type=None)) == {"event": "no event type at /type"}


# --- product lines ------------------------------------------------------------------------------------------


def test_one_object_is_one_product_line() -> None:
    result = mapped(complaint(products={"order_no": 123, "part_no": "P-1", "quantity": "5", "defective_quantity": ""}))
    assert result.products == (ProductLine(order_no="123", part_no="P-1", quantity=Decimal(5)),)


def test_no_products_and_null_products_are_no_lines() -> None:
    assert mapped(complaint(products=None)).products == ()
    assert mapped(complaint(products=[])).products == ()


@pytest.mark.parametrize(
    ("products", "found"),
    [
        ("P-1", {"products": "expected an array or an object at /products, got str"}),
        ([{"part_no": "P-1"}, "P-2"], {"products[1]": "expected an object at /products/1, got str"}),
        ([{"order_no": True}], {"products[0].order_no": "expected text, got bool"}),
        ([{"part_no": ["P-1"]}], {"products[0].part_no": "expected text, got list"}),
        (
            [{"quantity": MAX_QUANTITY + 1}],
            {"products[0].quantity": f"at most {MAX_QUANTITY:,}, got {MAX_QUANTITY + 1}"},
        ),
        (
            [{"requested_quantity": "-1"}],
            {"products[0].requested_quantity": "'-1' is not a non-negative amount"},
        ),
    ],
)
def test_a_bad_product_line_is_named_by_its_index(products: object, found: dict[str, str]) -> None:
    assert errors(complaint(products=products)) == found


def test_product_lines_up_to_the_bounds() -> None:
    lines = [{"part_no": f"P-{i}"} for i in range(MAX_PRODUCT_LINES)]
    assert len(mapped(complaint(products=lines)).products) == MAX_PRODUCT_LINES
    assert errors(complaint(products=[*lines, {"part_no": "one more"}])) == {
        "products": f"at most {MAX_PRODUCT_LINES} product lines, got {MAX_PRODUCT_LINES + 1}"
    }
    (line,) = mapped(complaint(products=[{"quantity": MAX_QUANTITY}])).products
    assert line.quantity == MAX_QUANTITY


# --- the policy ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def service() -> Policy:
    return load_preset("service")  # phone, forwarded, letter and on-site only; severities light, medium, severe


def test_a_channel_or_severity_the_policy_does_not_have_is_named(service: Policy) -> None:
    found = errors(complaint(category="quality", channel="web", severity="grave"), policy=service)
    assert found == {
        "channel": "'web' is not a channel of policy service (phone, forwarded, letter, on_site)",
        "severity": "'grave' is not a severity of policy service (light, medium, severe)",
    }
    assert mapped(complaint(channel="phone", severity="medium"), policy=service).severity == "medium"
    assert errors(complaint(severity="light"), policy=load_preset("manufacturing")) == {
        "severity": "'light' is not a severity of policy manufacturing (none defined)"
    }


def test_a_missing_category_is_named_once_with_a_policy(service: Policy) -> None:
    assert errors(complaint(category=None, channel="phone"), policy=service) == {
        "category": "required: nothing at /category"
    }


# --- the CRM's id and updates -------------------------------------------------------------------------------


def test_the_external_id_fits_the_link_table() -> None:
    assert mapped(complaint(id="x" * MAX_EXTERNAL_ID)).external_id == "x" * MAX_EXTERNAL_ID
    too_long = f"must be at most {MAX_EXTERNAL_ID} characters, without NUL characters"
    assert errors(complaint(id="x" * (MAX_EXTERNAL_ID + 1))) == {"external_id": too_long}
    assert errors(complaint(id="T\x001")) == {"external_id": too_long}


def test_an_update_with_a_bad_id_is_named_once() -> None:
    payload = {"type": "complaint.status_changed", "id": "x" * 300, "status": "closed"}
    assert list(errors(payload)) == ["external_id"]


def test_an_update_with_a_bad_value_is_rejected() -> None:
    payload = {"type": "complaint.customer_replied", "id": "T-1", "message": "ok", "occurred_at": "soon"}
    assert list(errors(payload)) == ["received_at"]
    del payload["occurred_at"]
    assert GENERIC.apply(payload) == MappedUpdate(
        event=EventKind.CUSTOMER_REPLY,
        external_id="T-1",
        message="ok",
        event_type="complaint.customer_replied",
    )


def test_what_the_domain_refuses_is_rejected_not_raised() -> None:
    """A ``MappedIntake`` is always usable: the ``Intake``'s own checks run before it is returned."""
    outcome = GENERIC.apply(complaint(products=[{"quantity": "2", "defective_quantity": "3"}]))
    assert outcome == Rejected((FieldError("products[0]", "[INTAKE] defective_quantity cannot exceed quantity"),))


# --- mapping files ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "path", "says"),
    [
        ("name = 5", "name", "expected a string, got 5"),
        ('name = "m"\ndescription = ["x"]', "description", "expected a string, got ['x']"),
        ('name = "m"\nfields = "x"', "fields", "expected a table, got str"),
        ('name = "m"\n[fields]\ncustomer = []', "fields.customer", "expected at least one pointer"),
        ('name = "m"\n[defaults]\namount = true', "defaults.amount", "expected a string, got True"),
        ('name = "m"\n[defaults]\ncustomer = 5', "defaults.customer", "expected a string, got 5"),
        ('name = "m"\n[defaults]\namount = [1]', "defaults.amount", "expected a string, got [1]"),
        ('name = "m"\n[defaults]\nshoe_size = "9"', "defaults.shoe_size", "unknown field 'shoe_size'; known: "),
    ],
)
def test_a_bad_mapping_value_is_named(text: str, path: str, says: str) -> None:
    with pytest.raises(MappingFileError) as caught:
        loads_mapping(text, "crm.toml")
    assert caught.value.path == path
    assert str(caught.value).startswith(f"crm.toml: {path}: {says}"), str(caught.value)


def test_a_numeric_default_amount_is_read_as_text() -> None:
    defaults = 'name = "m"\n[fields]\ncustomer = "/c"\n[defaults]\ncategory = "quality"\nchannel = "web"\namount = '
    assert loads_mapping(defaults + "100").defaults["amount"] == "100"
    assert mapped({"c": "ACME"}, loads_mapping(defaults + "100.5")).amount == Decimal("100.5")


def test_a_file_error_without_a_key_path_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(MappingFileError) as caught:
        loads_mapping("name = ", "crm.toml")
    assert (caught.value.source, caught.value.path) == ("crm.toml", "")
    assert str(caught.value).startswith("crm.toml: not valid TOML: ")
    file = tmp_path / "crm.toml"
    file.write_text('name = "crm"\n[fields]\ncustomer = "/c"', encoding="utf-8")
    assert load_mapping(str(file)).name == "crm"  # a path given as text
