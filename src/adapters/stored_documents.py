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
    """The presets plus every stored policy version (a stored policy replacing a preset of the same id),
    loaded on demand: the stored versions on the first ``get``,
    a preset when its id is asked for (its file has the id's name; any other id loads them all).

    ``read_versions()`` gives every stored policy version (``documents.all_versions(engine, "policy")``,
    or the read-only SQLite reader of ``case show``)."""

    def __init__(self, read_versions: Callable[[], Iterable[Doc]]) -> None:
        self._read_versions = read_versions
        self._source: MemoryPolicies | None = None
        self._stored_ids: frozenset[str] = frozenset()
        self._presets_for: set[str] = set()
        self._all_presets = False

    def _loaded(self) -> MemoryPolicies:
        if self._source is None:
            from adapters.policy_files import loads_policy

            stored = [
                loads_policy(src, f"database policy {name} v{version}", stored=True)
                for name, version, _, src in self._read_versions()
            ]
            self._source = MemoryPolicies(stored)
            self._stored_ids = frozenset(p.policy_id for p in stored)
        return self._source

    def _add_presets(self, policy_id: str) -> None:
        from adapters.policy_files import PRESETS, load_preset

        source = self._loaded()
        if self._all_presets or policy_id in self._stored_ids or policy_id in self._presets_for:
            return
        self._presets_for.add(policy_id)
        if policy_id in PRESETS:
            preset = load_preset(policy_id)
            if preset.policy_id == policy_id:
                source.add(preset)
                return
        self._all_presets = True
        for name in PRESETS:
            preset = load_preset(name)
            if preset.policy_id not in self._stored_ids:
                source.add(preset)

    def get(self, policy_id: str, version: int | None = None) -> Policy:
        self._add_presets(policy_id)
        return self._loaded().get(policy_id, version)


def parse_document(fmt: str, source: str) -> dict[str, Any]:
    """A stored TOML or JSON document as a table."""
    if fmt == "json":
        import json

        data = json.loads(source)
    else:
        import tomllib

        data = tomllib.loads(source)
    if not isinstance(data, dict):
        raise ValueError("a document must hold a table")
    return data


def stored_calendars(latest: Iterable[Doc]) -> CalendarRegistry:
    """The calendars: the bundled ones plus the latest version of every stored calendar document."""
    from adapters.calendars import CalendarRegistry

    docs = [(f"database calendar {name} v{version}", parse_document(fmt, src)) for name, version, fmt, src in latest]
    return CalendarRegistry(documents=docs)
