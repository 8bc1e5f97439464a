"""docs/webhooks.md lists every event a receiver can get, with every field of its data: a CRM integrator had only
the envelope and two filter examples to go on. This keeps the catalogue whole as events change."""

from __future__ import annotations

import re
from pathlib import Path

import attrs

from adapters import serialization

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"
COMMON = {"aggregate_id", "version", "occurred_at", "actor"}


def catalogue_rows() -> dict[str, str]:
    """Event type → its table row, from the "Event catalogue" section (a row may name several types)."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Event catalogue", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            for name in re.findall(r"`([a-z_.]+)`", first_cell):
                rows[name] = line
    return rows


def test_every_event_type_and_field_is_in_the_catalogue() -> None:
    rows = catalogue_rows()
    events = serialization.event_types()
    assert set(rows) - {"webhook.test"} == set(events)
    for name, cls in events.items():
        fields = {f.name for f in attrs.fields(cls)} - COMMON
        missing = [f for f in sorted(fields) if f"`{f}`" not in rows[name]]
        assert not missing, f"{name}: {missing} are not in docs/webhooks.md"
        assert {f.name for f in attrs.fields(cls)} >= COMMON


def test_every_case_and_assessment_event_has_a_label_in_both_languages() -> None:
    """i18n audit: ``case history`` printed wire names (``case.milestone_reached``) in Chinese output."""
    from complaint_core.events import ASSESSMENT_EVENT_TYPES, CASE_EVENT_TYPES, EVENT_LABELS

    types = {e.EVENT_TYPE for e in (*CASE_EVENT_TYPES, *ASSESSMENT_EVENT_TYPES)}
    assert set(EVENT_LABELS) == types
    for zh, en in ((label.zh, label.en) for label in EVENT_LABELS.values()):
        assert re.search(r"[\u4e00-\u9fff]", zh) and en.strip() and not re.search(r"[\u4e00-\u9fff]", en)
    assert (
        len({label.zh for label in EVENT_LABELS.values()})
        == len(EVENT_LABELS)
        == len({label.en for label in EVENT_LABELS.values()})
    )
