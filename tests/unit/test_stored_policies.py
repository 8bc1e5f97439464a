"""Policies chosen from a database's documents and the bundled presets (``StoredPolicies``), with no database:
the documents come from a function, as ``documents.all_versions`` or ``case show``'s read-only reader give them."""

from __future__ import annotations

import json
import re

import pytest

from adapters import policy_files
from adapters.policy_files import PRESETS, load_preset, policy_to_dict, preset_text, preset_versions
from adapters.stored_documents import Doc, StoredPolicies, parse_document
from complaint_core.errors import NotFound
from complaint_core.policy import Policy

CURRENT = load_preset("manufacturing").version


def manufacturing(version: int, name: str = "stored") -> str:
    """The manufacturing preset's TOML, saying it is ``version`` and named ``name`` (to tell copies apart)."""
    text = re.sub(r"(?m)^version = \d+$", f"version = {version}", preset_text("manufacturing"), count=1)
    return re.sub(r'(?m)^name = \{ zh = "[^"]*", en = "[^"]*" \}$', f'name = {{ zh = "{name}", en = "{name}" }}', text, count=1)  # fmt: skip


class Documents:
    """A database's policy documents, counting how often they are read."""

    def __init__(self, *docs: Doc) -> None:
        self.docs = list(docs)
        self.reads = 0

    def __call__(self) -> list[Doc]:
        self.reads += 1
        return self.docs


def test_a_stored_later_version_is_the_latest_and_the_presets_stay_for_older_cases() -> None:
    documents = Documents(("manufacturing", CURRENT + 1, "toml", manufacturing(CURRENT + 1)))
    policies = StoredPolicies(documents)
    assert documents.reads == 0  # nothing is read before it is asked for
    latest = policies.get("manufacturing")
    assert (latest.version, latest.name.en) == (CURRENT + 1, "stored")
    assert policies.get("manufacturing", CURRENT) == load_preset("manufacturing")
    older = preset_versions("manufacturing")[0]
    assert policies.get("manufacturing", older.version) == older
    assert documents.reads == 1
    assert policies.stored("manufacturing", CURRENT + 1) and not policies.stored("manufacturing", CURRENT)


def test_a_stored_copy_of_a_preset_version_is_the_one_its_cases_ran_under() -> None:
    policies = StoredPolicies(Documents(("manufacturing", CURRENT, "toml", manufacturing(CURRENT, "edited"))))
    assert policies.get("manufacturing", CURRENT).name.en == "edited"
    assert policies.get("manufacturing").name.en == "edited"
    # an id that names no preset adds every preset version: the stored copy stays
    with pytest.raises(NotFound):
        policies.get("acme")
    assert policies.get("manufacturing", CURRENT).name.en == "edited"
    assert policies.get("service") == load_preset("service")


def test_of_one_version_stored_twice_the_first_stored_counts() -> None:
    policies = StoredPolicies(
        Documents(
            ("manufacturing", CURRENT + 1, "toml", manufacturing(CURRENT + 1, "first")),
            ("manufacturing", CURRENT + 1, "toml", manufacturing(CURRENT + 1, "second")),
        )
    )
    assert policies.get("manufacturing", CURRENT + 1).name.en == "first"


def test_stored_documents_are_read_as_stored_policies() -> None:
    """A database holds what an older version accepted: a number for text, JSON documents."""
    lenient = manufacturing(CURRENT + 1).replace('code = "quality"', "code = 101", 1)
    as_json = json.dumps(policy_to_dict(load_preset("service")) | {"policy_id": "acme", "version": 3})
    policies = StoredPolicies(Documents(("manufacturing", CURRENT + 1, "toml", lenient), ("acme", 3, "json", as_json)))
    assert "101" in [c.code for c in policies.get("manufacturing").categories]
    assert policies.get("acme").version == 3 and policies.stored("acme", 3)


def test_an_unknown_policy_or_version_is_not_found() -> None:
    policies = StoredPolicies(Documents())
    with pytest.raises(NotFound, match="no policy 'nope'"):
        policies.get("nope")
    with pytest.raises(NotFound, match="no policy 'manufacturing' version 999"):
        policies.get("manufacturing", 999)
    assert policies.get("bank-branch") == load_preset("bank-branch")  # after a miss, presets still load


def test_a_preset_version_is_read_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """``case show`` pays for one parse: asking for a preset's version reads that file, not every version of every
    preset, and asking again reads nothing."""
    asked: list[tuple[str, int | None]] = []
    real = policy_files.bundled_preset

    def bundled(name: str, version: int | None = None) -> Policy | None:
        asked.append((name, version))
        return real(name, version)

    def every_version(name: str) -> tuple[Policy, ...]:
        raise AssertionError(f"every version of {name} was read")

    monkeypatch.setattr(policy_files, "bundled_preset", bundled)
    monkeypatch.setattr(policy_files, "preset_versions", every_version)
    policies = StoredPolicies(Documents())
    older = preset_versions("service")[0]
    for _ in range(2):
        assert policies.get("manufacturing") == load_preset("manufacturing")
        assert policies.get("service", older.version) == older
    assert asked == [("manufacturing", None), ("service", older.version)]
    with pytest.raises(NotFound):
        policies.get("service", 999)  # not bundled: no other file is read for it


def test_every_preset_version_is_added_once_for_an_id_that_names_no_preset(monkeypatch: pytest.MonkeyPatch) -> None:
    read: list[str] = []
    real = policy_files.preset_versions

    def versions(name: str) -> tuple[Policy, ...]:
        read.append(name)
        return real(name)

    monkeypatch.setattr(policy_files, "preset_versions", versions)
    policies = StoredPolicies(Documents())
    for unknown in ("acme", "acme", "other"):
        with pytest.raises(NotFound):
            policies.get(unknown)
    assert read == list(PRESETS)
    assert policies.get("furniture", preset_versions("furniture")[0].version) == preset_versions("furniture")[0]


@pytest.mark.parametrize("source", ["[1, 2]", '"text"', "null"])
def test_a_stored_document_must_hold_a_table(source: str) -> None:
    with pytest.raises(ValueError, match="a document must hold a table"):
        parse_document("json", source)
    assert parse_document("toml", "") == {}  # an empty TOML document is an empty table
