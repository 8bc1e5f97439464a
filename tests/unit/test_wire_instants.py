"""Instants in stored documents, event data and webhook payloads are UTC ``…Z``, as every JSON output of the CLI
(docs/cli.md, docs/webhooks.md). They were ``+00:00`` inside ``data`` while the envelope said ``Z``; documents
stored that way still read the same."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from uuid import uuid4
from zoneinfo import ZoneInfo

from adapters import serialization
from adapters.policy_files import load_preset
from adapters.sql.rows import event_rows
from complaint_core import Case, Channel, Intake


def test_event_data_and_payload_use_z_and_old_offsets_still_load() -> None:
    at = datetime(2026, 11, 2, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    intake = Intake(customer="华东电子", channel=Channel.PHONE, category="quality")
    case, (event,) = Case.receive(load_preset("manufacturing"), case_id=uuid4(), intake=intake, at=at, actor="s")
    data = serialization.event_data(event)
    assert data["occurred_at"] == "2026-11-02T01:30:00Z"
    history, outbox = event_rows(event)
    sent = json.loads(outbox["payload"])
    assert json.loads(history["body"])["occurred_at"] == "2026-11-02T01:30:00Z"  # case history --json shows it
    assert sent["timestamp"] == sent["data"]["occurred_at"] == "2026-11-02T01:30:00Z"
    assert serialization.event_from_data(data) == event
    old = {**data, "occurred_at": "2026-11-02T01:30:00+00:00"}  # as earlier versions stored it
    assert serialization.event_from_data(old) == event
    stored = serialization.dumps(case)
    assert "+00:00" not in stored and serialization.loads(stored, Case) == case
    assert serialization.loads(stored.replace("Z", "+00:00"), Case).received_at == datetime(
        2026, 11, 2, 1, 30, tzinfo=UTC
    )
