"""Declarative inbound mapping: a CRM's webhook JSON -> a complaint intake, described in a TOML file.

Why declarative: every CRM (and every CRM admin) shapes tickets differently; a mapping file lets an
integrator point at fields with JSON Pointers and translate picklist values without writing code.
A bad *payload* never raises half-way: every field is checked and all problems come back together
(``Rejected``, or one ``PayloadRejected`` from ``map``). A bad *mapping file* raises
``MappingFileError`` naming the key path. The file format is documented in docs/webhooks.md.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from complaint_core.errors import MoneyError, RuleViolation
from complaint_core.intake import MAX_PRODUCT_LINES, Intake, ProductLine
from complaint_core.money import MAX_AMOUNT, MAX_QUANTITY
from complaint_core.money import amount as money_amount
from complaint_core.policy import CaseKind, Channel, ComplainantKind, Market, Policy
from complaint_core.timeutil import FIRST_YEAR, LAST_YEAR

from ..text_formats import loads_toml
from .pointer import JsonPointer, PointerSyntaxError

BUNDLED = ("generic", "hubspot-tickets", "salesforce-cases")

MAX_EXTERNAL_ID = 255  # the length of inbound_links.external_id
TEXT_FIELDS = ("external_id", "customer", "description", "message", "status")
CHOICE_FIELDS = ("category", "channel", "kind", "market", "complainant_kind", "severity")
FIELDS = (*TEXT_FIELDS, *CHOICE_FIELDS, "amount", "received_at")
ALWAYS_REQUIRED = ("customer", "category", "channel")  # an Intake cannot exist without them
VALUE_MAPPED = (*CHOICE_FIELDS, "status")
PRODUCT_FIELDS = ("order_no", "part_no", "quantity", "defective_quantity", "requested_quantity")
WILDCARD = "*"

_ENUMS: dict[str, type[StrEnum]] = {
    "channel": Channel,
    "kind": CaseKind,
    "market": Market,
    "complainant_kind": ComplainantKind,
}
_MS_THRESHOLD = 10**11  # epoch numbers at or above this are milliseconds (10**11 s is in the year 5138)


class EventKind(StrEnum):
    NEW_COMPLAINT = "new_complaint"
    CUSTOMER_REPLY = "customer_reply"
    STATUS_UPDATE = "status_update"


class UnknownEvents(StrEnum):
    IGNORE = "ignore"  # answer 2xx and drop: CRMs send many event types to one URL
    REJECT = "reject"  # answer 4xx: the CRM should only send the listed types


class MappingFileError(ValueError):
    """A mapping file that cannot be used; ``path`` is the key path, e.g. ``fields.customer``."""

    def __init__(self, source: str, path: str, message: str) -> None:
        super().__init__(f"{source}: {path}: {message}" if path else f"{source}: {message}")
        self.source = source
        self.path = path


@attrs.frozen
class FieldError:
    """One problem with one intake field of a payload; ``field`` is ``""`` for the payload as a whole."""

    field: str
    message: str


class PayloadRejected(ValueError):
    """Every field error of one payload at once, so the CRM admin fixes them in one round."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        self.errors = tuple(errors)
        super().__init__("; ".join(f"{e.field or 'payload'}: {e.message}" for e in self.errors))


@attrs.frozen(kw_only=True)
class MappedIntake:
    """A new complaint, typed and validated; ``to_intake()`` gives the domain's ``Intake``."""

    customer: str
    category: str
    channel: Channel
    external_id: str | None = None
    kind: CaseKind = CaseKind.EXTERNAL
    market: Market = Market.DOMESTIC
    complainant_kind: ComplainantKind = ComplainantKind.CUSTOMER
    severity: str | None = None
    description: str = ""
    amount: Decimal | None = None
    products: tuple[ProductLine, ...] = ()
    received_at: datetime | None = None
    event_type: str | None = None

    @property
    def event(self) -> EventKind:
        return EventKind.NEW_COMPLAINT

    def to_intake(self) -> Intake:
        return Intake(
            customer=self.customer,
            channel=self.channel,
            category=self.category,
            description=self.description,
            complainant_kind=self.complainant_kind,
            market=self.market,
            kind=self.kind,
            lines=self.products,
            claimed_amount=self.amount,
        )


@attrs.frozen(kw_only=True)
class MappedUpdate:
    """The customer replied, or the CRM changed the ticket's status; ``external_id`` finds our case."""

    event: EventKind
    external_id: str
    status: str | None = None
    message: str = ""
    received_at: datetime | None = None
    event_type: str | None = None


@attrs.frozen(kw_only=True)
class Ignored:
    """An event type the mapping does not handle (``unknown = "ignore"``): acknowledge and drop it."""

    event_type: str | None
    reason: str


@attrs.frozen
class Rejected:
    errors: tuple[FieldError, ...]


Mapped = MappedIntake | MappedUpdate | Ignored
MappingOutcome = MappedIntake | MappedUpdate | Ignored | Rejected


@attrs.frozen(kw_only=True)
class EventSelector:
    """Which payload value says what happened; without a pointer every payload is a new complaint."""

    pointer: JsonPointer | None = None
    kinds: Mapping[str, EventKind] = attrs.field(factory=dict)
    unknown: UnknownEvents = UnknownEvents.IGNORE


@attrs.frozen(kw_only=True)
class ProductsSpec:
    """Where the product lines are (an array, or one object) and where each line's fields are inside it."""

    pointer: JsonPointer
    fields: Mapping[str, JsonPointer]


@attrs.frozen(kw_only=True)
class InboundMapping:
    name: str
    description: str = ""
    zone: tzinfo = UTC
    required: frozenset[str] = frozenset()
    event: EventSelector = EventSelector()
    fields: Mapping[str, tuple[JsonPointer, ...]] = attrs.field(factory=dict)
    defaults: Mapping[str, str] = attrs.field(factory=dict)
    values: Mapping[str, Mapping[str, str]] = attrs.field(factory=dict)
    products: ProductsSpec | None = None

    def apply(self, payload: object, *, policy: Policy | None = None) -> MappingOutcome:
        """Map a parsed payload; with ``policy``, also check category, channel and severity against it."""
        return _Run(self, payload, policy).outcome()

    def map(self, payload: object, *, policy: Policy | None = None) -> Mapped:
        """Like ``apply`` but raises one ``PayloadRejected`` carrying all field errors."""
        outcome = self.apply(payload, policy=policy)
        if isinstance(outcome, Rejected):
            raise PayloadRejected(outcome.errors)
        return outcome


_SURROGATE = re.compile("[\ud800-\udfff]")


def parse_body(body: bytes) -> object:
    """Request bytes -> JSON, decimals kept exact (``1.10`` stays ``Decimal("1.10")``)."""
    try:
        data = json.loads(body, parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PayloadRejected([FieldError("", f"body is not UTF-8 JSON: {error}")]) from None
    except (ValueError, RecursionError) as error:  # an integer of over 4300 digits; nesting deeper than Python's stack
        raise PayloadRejected([FieldError("", f"body is JSON this service cannot read: {error}")]) from None
    where = _lone_surrogate(data)
    if where is not None:  # JSON may escape half of a UTF-16 pair ("\ud800"): no text store can keep it
        raise PayloadRejected([FieldError(where, "contains a lone UTF-16 surrogate, which is not text")])
    return data


def _lone_surrogate(data: object) -> str | None:
    """The JSON pointer of the first key or string holding a lone surrogate, if any."""
    todo: list[tuple[str, object]] = [("", data)]
    while todo:
        where, value = todo.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                return where or "/"
        elif isinstance(value, dict):
            for key, item in value.items():
                if _SURROGATE.search(key):
                    return f"{where}/{key!r}"
                todo.append((f"{where}/{key}", item))
        elif isinstance(value, list):
            todo.extend((f"{where}/{i}", item) for i, item in enumerate(value))
    return None


# --- applying a mapping ---------------------------------------------------------------------------------


def _text(value: object) -> str | None:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | Decimal):
        return str(value)
    return None


class _Run:
    """One application of a mapping to one payload, collecting errors instead of raising."""

    def __init__(self, mapping: InboundMapping, payload: object, policy: Policy | None) -> None:
        self.m = mapping
        self.payload = payload
        self.policy = policy
        self.errors: list[FieldError] = []

    def error(self, field: str, message: str) -> None:
        self.errors.append(FieldError(field, message))

    def lookup(self, field: str) -> tuple[object, bool]:
        """The first non-empty value among the field's pointers, else its default; and whether it is the default."""
        for pointer in self.m.fields.get(field, ()):
            value = pointer.get(self.payload)
            if value is not None and value != "":
                return value, False
        return self.m.defaults.get(field), True

    def raw(self, field: str) -> object:
        return self.lookup(field)[0]

    def where(self, field: str) -> str:
        pointers = self.m.fields.get(field, ())
        return f"nothing at {' or '.join(str(p) for p in pointers)}" if pointers else "no pointer and no default"

    def text(self, field: str) -> str | None:
        return self._text_of(field, self.raw(field))

    def _text_of(self, field: str, value: object) -> str | None:
        if value is None:
            return None
        text = _text(value)
        if text is None:
            self.error(field, f"expected text, got {type(value).__name__}")
        return text or None

    def choice(self, field: str) -> str | None:
        """The field's value translated by ``values.<field>``; defaults are already our codes."""
        value, is_default = self.lookup(field)
        text = self._text_of(field, value)
        table = self.m.values.get(field)
        if text is None or is_default or not table:
            return text
        if text in table:
            return table[text]
        folded = {k.casefold(): v for k, v in table.items()}
        if text.casefold() in folded:
            return folded[text.casefold()]
        if WILDCARD in table:
            return table[WILDCARD]
        known = ", ".join(repr(k) for k in table if k != WILDCARD)
        self.error(field, f"value {text!r} is not in values.{field} (known: {known})")
        return None

    def enum(self, field: str, enum: type[StrEnum]) -> Any:
        code = self.choice(field)
        if code is None:
            return None
        try:
            return enum(code)
        except ValueError:
            self.error(field, f"{code!r} is not one of {', '.join(e.value for e in enum)}")
            return None

    def amount(self, field: str, value: object) -> Decimal | None:
        if value is None:
            return None
        if isinstance(value, bool):
            self.error(field, "expected an amount, got a boolean")
            return None
        try:
            if isinstance(value, float):
                number = Decimal(repr(value))
            elif isinstance(value, int | Decimal):
                number = Decimal(value)
            elif isinstance(value, str):
                number = Decimal(value.strip())
            else:
                raise InvalidOperation
        except InvalidOperation:
            self.error(field, f"{value!r} is not a number")
            return None
        if not number.is_finite() or number < 0:
            self.error(field, f"{value!r} is not a non-negative amount")
            return None
        return number

    def money(self, field: str, value: object) -> Decimal | None:
        """An amount in yuan: a number in whole fen within what a ledger stores (the domain's rule, answered here
        as this field's error rather than a 422 for the whole request)."""
        number = self.amount(field, value)
        if number is None:
            return None
        try:
            return money_amount(number, field)
        except MoneyError:
            self.error(field, f"{value!r} is not an amount in whole fen (two decimal places) up to {MAX_AMOUNT:,}")
            return None

    def when(self, field: str) -> datetime | None:
        value = self.raw(field)
        if value is None:
            return None
        try:
            if isinstance(value, str):
                parsed = datetime.fromisoformat(value.strip())
            elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
                number = float(value)
                parsed = datetime.fromtimestamp(number / 1000 if abs(number) >= _MS_THRESHOLD else number, UTC)
            else:
                raise ValueError(f"expected an ISO-8601 text or epoch number, got {type(value).__name__}")
            if not FIRST_YEAR <= parsed.year <= LAST_YEAR:  # as the CLI's --at
                raise ValueError(f"the year must lie between {FIRST_YEAR} and {LAST_YEAR}, got {parsed.year}")
            aware = parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=self.m.zone)
            return aware.astimezone(UTC)
        except (ValueError, OverflowError, OSError) as error:
            self.error(field, f"not a timestamp: {error}")
            return None

    def event(self) -> tuple[EventKind | None, str | None]:
        selector = self.m.event
        if selector.pointer is None:
            return EventKind.NEW_COMPLAINT, None
        raw = selector.pointer.get(self.payload)
        event_type = _text(raw)
        if event_type is None:
            self.error("event", f"no event type at {selector.pointer}")
            return None, None
        kind = selector.kinds.get(event_type)
        if kind is None and selector.unknown is UnknownEvents.REJECT:
            self.error("event", f"event type {event_type!r} is not handled by mapping {self.m.name!r}")
        return kind, event_type

    def product_lines(self) -> tuple[ProductLine, ...]:
        spec = self.m.products
        if spec is None:
            return ()
        found = spec.pointer.get(self.payload)
        if found is None:
            return ()
        items: Sequence[object]
        if isinstance(found, Mapping):
            items = [found]
        elif isinstance(found, list):
            items = found
        else:
            self.error("products", f"expected an array or an object at {spec.pointer}, got {type(found).__name__}")
            return ()
        if len(items) > MAX_PRODUCT_LINES:
            self.error("products", f"at most {MAX_PRODUCT_LINES} product lines, got {len(items)}")
            return ()
        lines = []
        for i, item in enumerate(items):
            where = f"products[{i}]"
            if not isinstance(item, Mapping):
                self.error(where, f"expected an object at {spec.pointer}/{i}, got {type(item).__name__}")
                continue
            values: dict[str, Any] = {}
            for name, pointer in spec.fields.items():
                value = pointer.get(item)
                if value is None or value == "":
                    continue
                if name in ("order_no", "part_no"):
                    text = _text(value)
                    if text is None:
                        self.error(f"{where}.{name}", f"expected text, got {type(value).__name__}")
                    values[name] = text or ""
                else:
                    quantity = values[name] = self.amount(f"{where}.{name}", value)
                    if quantity is not None and quantity > MAX_QUANTITY:
                        self.error(f"{where}.{name}", f"at most {MAX_QUANTITY:,}, got {quantity}")
            try:
                lines.append(ProductLine(**values))
            except RuleViolation as error:
                self.error(where, str(error))
        return tuple(lines)

    def check_policy(self, category: str | None, channel: Channel | None, severity: str | None) -> None:
        policy = self.policy
        if policy is None:
            return
        codes = [c.code for c in policy.categories]
        if category is not None and category not in codes:
            self.error("category", f"{category!r} is not a category of policy {policy.policy_id} ({', '.join(codes)})")
        if channel is not None and channel not in policy.channels:
            allowed = ", ".join(c.value for c in policy.channels)
            self.error("channel", f"{channel.value!r} is not a channel of policy {policy.policy_id} ({allowed})")
        severities = [s.code for s in policy.severities]
        if severity is not None and severity not in severities:
            known = ", ".join(severities) or "none defined"
            self.error("severity", f"{severity!r} is not a severity of policy {policy.policy_id} ({known})")

    def outcome(self) -> MappingOutcome:
        kind, event_type = self.event()
        if self.errors:
            return Rejected(tuple(self.errors))
        if kind is None:
            return Ignored(event_type=event_type, reason=f"event type {event_type!r} is not mapped")
        if kind is EventKind.NEW_COMPLAINT:
            return self.new_complaint(event_type)
        return self.update(kind, event_type)

    def external_id(self) -> str | None:
        """The CRM's ticket id, as the link table keeps it: at most ``MAX_EXTERNAL_ID`` characters, no NUL."""
        found = self.text("external_id")
        if found is not None and (len(found) > MAX_EXTERNAL_ID or "\x00" in found):
            self.error("external_id", f"must be at most {MAX_EXTERNAL_ID} characters, without NUL characters")
            return None
        return found

    def update(self, kind: EventKind, event_type: str | None) -> MappingOutcome:
        external_id = self.external_id()
        status = self.choice("status")
        message = self.text("message") or ""
        received_at = self.when("received_at")
        if external_id is None and not any(e.field == "external_id" for e in self.errors):
            self.error("external_id", f"required to find the case: {self.where('external_id')}")
        if self.errors or external_id is None:
            return Rejected(tuple(self.errors))
        return MappedUpdate(
            event=kind,
            external_id=external_id,
            status=status,
            message=message,
            received_at=received_at,
            event_type=event_type,
        )

    def new_complaint(self, event_type: str | None) -> MappingOutcome:
        got: dict[str, Any] = {
            "external_id": self.external_id(),
            "customer": self.text("customer"),
            "description": self.text("description"),
            "category": self.choice("category"),
            "severity": self.choice("severity"),
            "amount": self.money("amount", self.raw("amount")),
            "received_at": self.when("received_at"),
        }
        for field, enum in _ENUMS.items():
            got[field] = self.enum(field, enum)
        reported = {e.field for e in self.errors}
        for field in sorted(set(ALWAYS_REQUIRED) | self.m.required):
            if got.get(field) is None and field not in reported:
                self.error(field, f"required: {self.where(field)}")
        products = self.product_lines()
        self.check_policy(got["category"], got["channel"], got["severity"])
        if self.errors:
            return Rejected(tuple(self.errors))
        present = {k: v for k, v in got.items() if v is not None}
        try:
            result = MappedIntake(products=products, event_type=event_type, **present)
            result.to_intake()  # the domain's own checks, so a MappedIntake is always usable
        except RuleViolation as error:
            return Rejected((FieldError("", str(error)),))
        return result


# --- loading a mapping file ---------------------------------------------------------------------------

_T = TypeVar("_T")


class _Loader:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, message: str) -> MappingFileError:
        return MappingFileError(self.source, path, message)

    def table(self, data: object, path: str, allowed: Sequence[str] | None = None) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise self.fail(path, f"expected a table, got {type(data).__name__}")
        if allowed is not None:
            for key in data:
                if key not in allowed:
                    raise self.fail(f"{path}.{key}" if path else key, f"unknown key; known: {', '.join(allowed)}")
        return data

    def typed(self, value: object, path: str, kind: type[_T], what: str) -> _T:
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise self.fail(path, f"expected {what}, got {value!r}")
        return value

    def pointer(self, value: object, path: str) -> JsonPointer:
        text = self.typed(value, path, str, "a JSON pointer string")
        try:
            return JsonPointer.parse(text)
        except PointerSyntaxError as error:
            raise self.fail(path, str(error)) from None

    def strings(self, value: object, path: str) -> list[str]:
        items = self.typed(value, path, list, "a list of strings")
        return [self.typed(v, f"{path}[{i}]", str, "a string") for i, v in enumerate(items)]

    def field_name(self, name: str, path: str, allowed: Sequence[str]) -> str:
        if name not in allowed:
            raise self.fail(path, f"unknown field {name!r}; known: {', '.join(allowed)}")
        return name

    def load(self, data: dict[str, Any]) -> InboundMapping:
        top = ("name", "description", "timezone", "required", "event", "fields", "defaults", "values", "products")
        self.table(data, "", top)
        if "name" not in data:
            raise self.fail("name", "required")
        name = self.typed(data["name"], "name", str, "a string")
        description = self.typed(data.get("description", ""), "description", str, "a string")
        zone_name = self.typed(data.get("timezone", "UTC"), "timezone", str, "an IANA zone name")
        try:
            zone: tzinfo = UTC if zone_name == "UTC" else ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise self.fail("timezone", f"unknown time zone {zone_name!r}") from None
        required = frozenset(
            self.field_name(f, f"required[{i}]", FIELDS)
            for i, f in enumerate(self.strings(data.get("required", []), "required"))
        )
        fields: dict[str, tuple[JsonPointer, ...]] = {}
        for key, value in self.table(data.get("fields", {}), "fields").items():
            path = f"fields.{key}"
            self.field_name(key, path, FIELDS)
            if isinstance(value, list):
                if not value:
                    raise self.fail(path, "expected at least one pointer")
                fields[key] = tuple(self.pointer(v, f"{path}[{i}]") for i, v in enumerate(value))
            else:
                fields[key] = (self.pointer(value, path),)
        defaults: dict[str, str] = {}
        for key, value in self.table(data.get("defaults", {}), "defaults").items():
            path = f"defaults.{key}"
            self.field_name(key, path, FIELDS)
            if isinstance(value, int | float) and not isinstance(value, bool) and key == "amount":
                value = str(value)
            defaults[key] = self.typed(value, path, str, "a string")
        values: dict[str, dict[str, str]] = {}
        for key, table in self.table(data.get("values", {}), "values").items():
            path = f"values.{key}"
            self.field_name(key, path, VALUE_MAPPED)
            entries = self.table(table, path)
            values[key] = {k: self.typed(v, f"{path}.{k}", str, "a string") for k, v in entries.items()}
        self.check_codes(values, defaults)
        return InboundMapping(
            name=name,
            description=description,
            zone=zone,
            required=required,
            event=self.event(data.get("event")),
            fields=fields,
            defaults=defaults,
            values=values,
            products=self.products(data.get("products")),
        )

    def check_codes(self, values: Mapping[str, Mapping[str, str]], defaults: Mapping[str, str]) -> None:
        """Enum targets are fixed by the domain, so a typo there is a file error, not a payload error."""
        for field, enum in _ENUMS.items():
            allowed = [e.value for e in enum]
            for crm_value, code in values.get(field, {}).items():
                if code not in allowed:
                    raise self.fail(f"values.{field}.{crm_value}", f"{code!r} is not one of {', '.join(allowed)}")
            if field in defaults and defaults[field] not in allowed:
                raise self.fail(f"defaults.{field}", f"{defaults[field]!r} is not one of {', '.join(allowed)}")

    def event(self, data: object) -> EventSelector:
        if data is None:
            return EventSelector()
        kinds_keys = [k.value for k in EventKind]
        table = self.table(data, "event", ["pointer", "unknown", *kinds_keys])
        if "pointer" not in table:
            raise self.fail("event.pointer", "required when [event] is present")
        kinds: dict[str, EventKind] = {}
        for kind in EventKind:
            for i, value in enumerate(self.strings(table.get(kind.value, []), f"event.{kind.value}")):
                if value in kinds:
                    raise self.fail(f"event.{kind.value}[{i}]", f"{value!r} is already listed under {kinds[value]}")
                kinds[value] = kind
        unknown_text = self.typed(table.get("unknown", "ignore"), "event.unknown", str, "a string")
        try:
            unknown = UnknownEvents(unknown_text)
        except ValueError:
            raise self.fail("event.unknown", f"{unknown_text!r} is not 'ignore' or 'reject'") from None
        return EventSelector(pointer=self.pointer(table["pointer"], "event.pointer"), kinds=kinds, unknown=unknown)

    def products(self, data: object) -> ProductsSpec | None:
        if data is None:
            return None
        table = self.table(data, "products", ["pointer", *PRODUCT_FIELDS])
        if "pointer" not in table:
            raise self.fail("products.pointer", "required when [products] is present")
        fields = {k: self.pointer(v, f"products.{k}") for k, v in table.items() if k != "pointer"}
        return ProductsSpec(pointer=self.pointer(table["pointer"], "products.pointer"), fields=fields)


def loads_mapping(text: str, source: str = "<mapping>") -> InboundMapping:
    """Parse mapping TOML; every problem raises ``MappingFileError`` naming ``source`` and the key path."""
    try:
        data = loads_toml(text)
    except tomllib.TOMLDecodeError as error:
        raise MappingFileError(source, "", f"not valid TOML: {error}") from None
    return _Loader(source).load(data)


def load_mapping(path: str | Path) -> InboundMapping:
    path = Path(path)
    return loads_mapping(path.read_text(encoding="utf-8"), str(path))


def bundled_mapping_text(name: str) -> str:
    if name not in BUNDLED:
        raise MappingFileError(name, "", f"no bundled mapping {name!r}; bundled: {', '.join(BUNDLED)}")
    return resources.files("adapters.webhooks").joinpath("mappings", f"{name}.toml").read_text(encoding="utf-8")


def load_bundled_mapping(name: str) -> InboundMapping:
    """One of the shipped mappings: generic, hubspot-tickets, salesforce-cases."""
    return loads_mapping(bundled_mapping_text(name), f"bundled mapping {name}")
