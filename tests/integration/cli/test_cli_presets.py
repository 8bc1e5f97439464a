"""A full case lifecycle through the CLI under each of the five presets (in-process): every --json parses."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from .cli_cases_support import as_json, make_app

# preset → (category, channel, approval role covering 500.00, how its numbers look)
PRESETS = {
    "manufacturing": ("quality", "phone", "sales_manager", "261101"),
    "furniture": ("product_quality", "letter", "gm", "261102001"),
    "auto-dealer": ("repair_quality", "on_site", "gm", "2026110001"),
    "service": ("quality", "forwarded", "gm", "2026110001"),
    "bank-branch": ("service", "opinion_book", "outlet_head", "2026110001"),
}


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    return make_app()


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_lifecycle_under_each_preset_ends_closed(app: typer.Typer, tmp_path: Path, preset: str) -> None:
    category, channel, role, number = PRESETS[preset]
    db = tmp_path / "c.db"
    init = as_json(app, db, "init", "--policy", preset)
    assert init["default_policy"] == preset and init["policy"]["id"] == preset
    opened = as_json(
        app, db, "case", "open", "--customer", "华东电子", "--category", category, "--channel", channel,
        "--amount", "320.50", "--description", "翘曲", "--at", "2026-11-02T09:00",
    )  # fmt: skip
    assert opened["status"] == "received" and opened["policy"]["id"] == preset
    assert opened["amount"] == "320.50" and opened["channel"] == channel
    ref = opened["id"]
    steps = [
        ("register",),
        ("investigate",),
        ("attribute", "--party", "supplier:acme=0.5", "--party", "carrier:sf=1/2"),
        ("propose", "--remedy", "allowance", "--amount", "500"),
        ("approve", "--by", "boss", "--role", role),
        ("reply", "--message", "同意折让 500 元", "--reaction", "accepted"),
        ("close",),
    ]
    doc = opened
    for hour, (command, *options) in enumerate(steps, start=10):
        doc = as_json(app, db, "case", command, ref, *options, "--at", f"2026-11-02T{hour}:00")
        assert doc["id"] == ref
    assert doc["status"] == "closed"
    assert doc["number"] == number
    assert [s["status"] for s in doc["steps"]][-1] == "closed"
    assert doc["remedy"] == {"kind": "allowance", "amount": "500.00", "note": ""}
    assert doc["approval"]["role"] == role and doc["approval"]["approver"] == "boss"
    assert {c["share"] for c in doc["responsibility"]["causer"]} == {"0.5"}
    # by number, read back; the history has one event per step
    shown = as_json(app, db, "case", "show", number)
    assert shown["id"] == ref and shown["version"] == doc["version"]
    history = as_json(app, db, "case", "history", number)
    types = [e["type"] for e in history["events"]]
    assert types[0] == "case.received" and types[-1] == "case.closed"
    assert len(types) == doc["version"]
    listed = as_json(app, db, "case", "list", "--status", "closed")
    assert [c["number"] for c in listed["cases"]] == [number]
