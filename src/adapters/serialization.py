"""JSON documents for aggregates and events, through one cattrs converter.

Storage (SQL bodies, history rows, outbox payloads) and webhooks share this one
mapping, so an event reads the same in the database and on the wire. Loading
goes through the domain constructors, so every invariant is checked again.
Datetimes are ISO-8601 with their offset, ``Z`` for UTC (instants are UTC in the core; documents stored
with ``+00:00`` read the same), money is a decimal string, ids are
strings; events carry their stable ``EVENT_TYPE`` as ``type``. Keys come in the
classes' field order (deterministic, so the same object always gives the same
bytes) rather than sorted, which would cost a fifth of the encoding time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar, get_origin
from uuid import UUID

import cattrs
from cattrs.preconf.json import make_converter

from complaint_core.errors import DomainError
from complaint_core.timeutil import utc_z

if TYPE_CHECKING:
    from complaint_core.events import DomainEvent

T = TypeVar("T")
# an aggregate's own id is its first field: case_id, return_id, assessment_id, followup_id
_ID_AT_HEAD = re.compile(r'"(?:[a-z]+_)?id"\s*:\s*"([^"]{1,64})"')


class DocumentInvalid(DomainError, ValueError):
    """A stored or received document does not make a valid domain object."""

    def __init__(self, message: str) -> None:
        super().__init__(message, rule="DOCUMENT")


def _aware(value: object, _: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO-8601 string, got {value!r}")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"datetime {value!r} has no UTC offset")
    return parsed


def _decimal(value: object, _: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"expected a decimal string, got {value!r}")
    return Decimal(value)


def _is_frozenset(hint: Any) -> bool:
    return hint is frozenset or get_origin(hint) is frozenset


@cache
def converter() -> cattrs.Converter:
    """Built once per process on first use (no work at import time)."""
    conv = make_converter(forbid_extra_keys=True, detailed_validation=False)
    conv.register_unstructure_hook(datetime, utc_z)  # instants are UTC in the core: "…Z", as every JSON output
    conv.register_structure_hook(datetime, _aware)
    conv.register_unstructure_hook(date, lambda d: d.isoformat())
    conv.register_structure_hook(date, lambda v, _: date.fromisoformat(v))
    conv.register_unstructure_hook(Decimal, str)
    conv.register_structure_hook(Decimal, _decimal)
    conv.register_unstructure_hook(UUID, str)
    conv.register_structure_hook(UUID, lambda v, _: UUID(v))
    # sorted, so a set gives the same bytes in every process (string hashing is randomised); a hook on the class
    # alone would miss fields typed ``frozenset[str]``, which cattrs dispatches by their generic type
    conv.register_unstructure_hook_func(_is_frozenset, sorted)
    return conv


@cache
def event_types() -> dict[str, type[DomainEvent]]:
    """Every concrete event class by its wire name (the modules of returns and follow-ups are imported here,
    not with this module: reading a case needs neither). The bases (``DomainEvent``, ``Transitioned``) name no
    type of their own, so no document loads as one."""
    from complaint_core import events as core_events
    from complaint_core import followup as core_followup
    from complaint_core import returns as core_returns
    from complaint_core.events import DomainEvent

    found: dict[str, type[DomainEvent]] = {}
    for module in (core_events, core_returns, core_followup):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, DomainEvent) and "EVENT_TYPE" in vars(value):
                found[value.EVENT_TYPE] = value
    return found


# One encoder for every document: json.dumps with options builds a new encoder per call.
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def encode(data: Any) -> str:
    """Plain JSON data as compact UTF-8-friendly text (non-ASCII kept as is)."""
    return _encode(data)


def to_data(obj: Any) -> Any:
    """An aggregate or value object as plain JSON data."""
    return converter().unstructure(obj)


def from_data(data: Any, cls: type[T]) -> T:
    try:
        return converter().structure(data, cls)
    except DomainError:
        raise
    except (cattrs.BaseValidationError, cattrs.ForbiddenExtraKeysError, ValueError, TypeError, KeyError) as exc:
        raise DocumentInvalid(f"not a valid {cls.__name__}: {_reason(exc)}") from exc


def dumps(obj: Any) -> str:
    return _encode(to_data(obj))


def _json(text: str | bytes) -> Any:
    """The JSON value of a stored or received text; a text that is not JSON is a ``DocumentInvalid``."""
    try:
        return json.loads(text)
    except ValueError as exc:  # JSONDecodeError, or bytes that are not UTF-8
        raise DocumentInvalid(f"not valid JSON: {exc}") from None


def loads(text: str | bytes, cls: type[T]) -> T:
    return from_data(_json(text), cls)


def stored(what: str, text: str | bytes, load: Callable[[str | bytes], T], ident: object = None) -> T:
    """``load(text)`` for a row read back from storage: a row that does not load (edited by hand, or written by a
    faulty tool) names ``what`` and its id (``ident``, else the id at the head of its text), so it can be found
    and mended."""
    try:
        return load(text)
    except DomainError as exc:  # a value the domain refuses (a blank customer) is as unreadable as bad JSON
        if ident is None:
            head = text[:200] if isinstance(text, str) else text[:200].decode("utf-8", "replace")
            found = _ID_AT_HEAD.search(head)
            ident = found.group(1) if found else None
        where = f"{what} {ident}" if ident is not None else f"a stored {what} (its id is unreadable)"
        reason = exc.message if isinstance(exc, DocumentInvalid) else f"[{exc.rule}] {exc.message}"
        raise DocumentInvalid(f"{where}: {reason}") from exc


def event_data(event: DomainEvent) -> dict[str, Any]:
    data: dict[str, Any] = converter().unstructure(event)
    data["type"] = event.EVENT_TYPE
    return data


def event_from_data(data: dict[str, Any]) -> DomainEvent:
    """An event from its flat data (``event_data``) or from the message the outbox stores and webhooks send,
    ``{"type", "timestamp", "data"}`` (docs/webhooks.md)."""
    if not isinstance(data, dict):
        raise DocumentInvalid(f"an event must be a JSON object, not {type(data).__name__}")
    if data.keys() == _MESSAGE_KEYS and isinstance(data["data"], dict):
        data = {**data["data"], "type": data["type"]}
    body = dict(data)
    name = body.pop("type", None)
    cls = event_types().get(name) if isinstance(name, str) else None
    if cls is None:
        raise DocumentInvalid(f"unknown event type {name!r}")
    return from_data(body, cls)


_MESSAGE_KEYS = frozenset({"type", "timestamp", "data"})


def dump_event(event: DomainEvent) -> str:
    return _encode(event_data(event))


def load_event(text: str | bytes) -> DomainEvent:
    return event_from_data(_json(text))


def load_typed_event(event_type: str, text: str | bytes) -> DomainEvent:
    """An event whose type is kept beside its body (the history table)."""
    data = _json(text)
    if not isinstance(data, dict):
        raise DocumentInvalid("an event body must be a JSON object")
    return event_from_data({**data, "type": event_type})


def _reason(exc: BaseException) -> str:
    if isinstance(exc, cattrs.BaseValidationError):
        return "; ".join(cattrs.transform_error(exc))
    return str(exc)
