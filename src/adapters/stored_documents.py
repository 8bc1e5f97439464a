"""Choosing policies and calendars from documents stored in a database.

Both ways of reading the database use this: the SQL store (``open_app``) and the
read-only SQLite path of ``case show`` (``adapters.sql.readonly``). Nothing here
imports SQLAlchemy; the caller passes a function that reads the documents.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from .policy_table import MemoryPolicies

if TYPE_CHECKING:
    from adapters.calendars import CalendarRegistry
    from complaint_core.policy import Policy

Doc = tuple[str, int, str, str]
"""A stored document: (name, version, format, source)."""


class StoredPolicies:
    """The presets (every bundled version) plus every stored policy version, loaded on demand: the stored versions on the first
    ``get``, a preset's version when it is asked for (its file has the id's name; any other id loads them all).

    Versions are merged by (id, version): a stored v2 of a preset leaves the preset's v1 to the cases
    opened under it. A stored version replaces a preset of the same id and version, and where a database
    holds one (id, version) twice (``init`` refuses that now), the first stored is the one its cases ran
    under.

    ``read_versions()`` gives every stored policy version (``documents.all_versions(engine, "policy")``,
    or the read-only SQLite reader of ``case show``)."""

    def __init__(self, read_versions: Callable[[], Iterable[Doc]]) -> None:
        self._read_versions = read_versions
        self._source: MemoryPolicies | None = None
        self._stored: set[tuple[str, int]] = set()
        self._presets_for: set[tuple[str, int | None]] = set()
        self._all_presets = False

    def _loaded(self) -> MemoryPolicies:
        if self._source is None:
            from adapters.policy_files import loads_policy

            source = MemoryPolicies()
            for name, version, fmt, src in self._read_versions():
                policy = loads_policy(src, f"database policy {name} v{version}", stored=True, fmt=fmt)
                key = (policy.policy_id, policy.version)
                if key not in self._stored:
                    self._stored.add(key)
                    source.add(policy)
            self._source = source
        return self._source

    def _add_preset(self, source: MemoryPolicies, preset: Policy) -> None:
        if (preset.policy_id, preset.version) not in self._stored:
            source.add(preset)

    def _add_presets(self, policy_id: str, version: int | None) -> None:
        from adapters.policy_files import PRESETS, bundled_preset, preset_versions

        source = self._loaded()
        if self._all_presets or (policy_id, version) in self._presets_for:
            return
        self._presets_for.add((policy_id, version))
        if policy_id in PRESETS:
            preset = bundled_preset(policy_id, version)  # the version asked for only: each costs a parse
            if preset is None:
                return  # not bundled: a stored version or none
            if preset.policy_id == policy_id:
                self._add_preset(source, preset)
                return
        self._all_presets = True
        for name in PRESETS:
            for preset in preset_versions(name):
                self._add_preset(source, preset)  # one added before is equal: adding it again is a no-op

    def get(self, policy_id: str, version: int | None = None) -> Policy:
        self._add_presets(policy_id, version)
        return self._loaded().get(policy_id, version)

    def stored(self, policy_id: str, version: int) -> bool:
        """Whether the database holds this version (else it is a preset's, or unknown)."""
        self._loaded()
        return (policy_id, version) in self._stored


def parse_document(fmt: str, source: str) -> dict[str, Any]:
    """A stored TOML or JSON document as a table."""
    from .text_formats import loads_document  # read when a document is, not at start-up

    data = loads_document(fmt, source)
    if not isinstance(data, dict):
        raise ValueError("a document must hold a table")
    return data


def stored_calendars(latest: Iterable[Doc]) -> CalendarRegistry:
    """The calendars: the bundled ones plus the latest version of every stored calendar document."""
    from adapters.calendars import CalendarRegistry

    docs = [(stored_calendar_source(name, version), parse_document(fmt, src)) for name, version, fmt, src in latest]
    return CalendarRegistry(documents=docs)


def stored_calendar_source(name: str, version: int) -> str:
    """How a stored calendar is named in messages and in ``calendar coverage``."""
    return f"database calendar {name} v{version}"
