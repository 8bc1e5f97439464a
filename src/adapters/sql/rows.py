"""The rows an aggregate and its events become: one definition for the unit of work and the bulk import.

Both write exactly these dictionaries (the bulk path only converts them to
driver tuples), so a case imported in bulk and a case saved by a command are
stored byte for byte alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from adapters import serialization
from complaint_core.case import FINISHED, Case, CaseStatus
from complaint_core.events import DomainEvent
from complaint_core.intake import customer_key
from complaint_core.money import to_fen
from complaint_core.timeutil import utc_z

from .indexing import ClockIndex

# What the reports count as done in a month: a finished case, or one found not established.
REPORTED_DONE = FINISHED | {CaseStatus.NOT_ESTABLISHED}


def finished_at(case: Case) -> datetime | None:
    """When the case reached its current outcome (closed, settled, not established); None while open."""
    if case.status not in REPORTED_DONE:
        return None
    for step in reversed(case.steps):
        if step.status is case.status:
            return step.at
    return None


def case_row(case: Case) -> dict[str, Any]:
    intake = case.intake
    amount = intake.claimed_amount
    return {
        "id": str(case.case_id),
        "number": case.number,
        "policy_id": case.policy_id,
        "policy_version": case.policy_version,
        "status": case.status.value,
        "customer": customer_key(intake.customer),
        "category": intake.category,
        "kind": intake.kind.value,
        "market": intake.market.value,
        "channel": intake.channel.value,
        "severity": case.severity,
        "received_at": case.received_at,
        "closed_at": finished_at(case),
        "amount_fen": None if amount is None else to_fen(amount),
        "parent_id": None if case.parent_case_id is None else str(case.parent_case_id),
        "version": case.version,
        "body": serialization.dumps(case),
    }


def clock_rows(case: Case, index: Mapping[str, ClockIndex]) -> list[dict[str, Any]]:
    cid = str(case.case_id)
    rows = []
    for state in case.clocks:
        found = index.get(state.name)
        rows.append(
            {
                "case_id": cid,
                "name": state.name,
                "started_at": state.started_at,
                "due_at": found.due_at if found else None,
                "stopped_at": state.stopped_at,
                "level": state.level,
                "inquiry_pending": bool(found and found.inquiry_pending),
            }
        )
    return rows


def party_rows(case: Case) -> list[dict[str, Any]]:
    cid = str(case.case_id)
    rows: list[dict[str, Any]] = []
    if case.handler is not None:
        rows.append(
            {"case_id": cid, "role": "handler", "party_kind": case.handler.kind.value, "party_id": case.handler.id}
            | {"share": "1"}
        )
    for role, responsibility in (("causer", case.causer), ("delay", case.delay)):
        if responsibility is None:
            continue
        for item in responsibility.shares:
            rows.append(
                {
                    "case_id": cid,
                    "role": role,
                    "party_kind": item.party.kind.value,
                    "party_id": item.party.id,
                    "share": str(item.share),
                }
            )
    return rows


def message_id(event: DomainEvent) -> str:
    """Stable per event: the same ``webhook-id`` on every delivery attempt and every replay."""
    return f"msg_{event.aggregate_id.hex}_{event.version}"


def aggregate_type(event: DomainEvent) -> str:
    return event.EVENT_TYPE.split(".", 1)[0]


def outbox_payload(event: DomainEvent, data_json: str) -> bytes:
    """``{"type": …, "timestamp": …, "data": …}``, serialised once and stored as the bytes sent."""
    # the type is an ASCII constant and the timestamp ISO-8601: both are JSON strings as they stand
    return f'{{"type":"{event.EVENT_TYPE}","timestamp":"{utc_z(event.occurred_at)}","data":{data_json}}}'.encode()


def event_rows(event: DomainEvent) -> tuple[dict[str, Any], dict[str, Any]]:
    """The history row (the audit trail) and the outbox row of one event; the event is serialised once."""
    data = serialization.event_data(event)
    data.pop("type")
    data_json = serialization.encode(data)
    aggregate_id = str(event.aggregate_id)
    history = {
        "aggregate_id": aggregate_id,
        "aggregate_type": aggregate_type(event),
        "version": event.version,
        "type": event.EVENT_TYPE,
        "occurred_at": event.occurred_at,
        "actor": event.actor,
        "body": data_json,
    }
    outbox = {
        "message_id": message_id(event),
        "aggregate_id": aggregate_id,
        "type": event.EVENT_TYPE,
        "created_at": event.occurred_at,
        "payload": outbox_payload(event, data_json),
    }
    return history, outbox
