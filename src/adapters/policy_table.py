"""Policies by id and version, held in a dictionary: the ``PolicySource`` of presets and loaded files.

Kept apart from the in-memory storage so a read-only tool can look policies up
without importing every aggregate's module.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from complaint_core.errors import ConcurrencyConflict, NotFound

if TYPE_CHECKING:
    from complaint_core.policy import Policy


class MemoryPolicies:
    """Policies by id and version, e.g. the presets or files loaded at start-up."""

    def __init__(self, policies: Iterable[Policy] = ()) -> None:
        self._by_key: dict[tuple[str, int], Policy] = {}
        self._latest: dict[str, int] = {}
        for policy in policies:
            self.add(policy)

    def add(self, policy: Policy) -> None:
        key = (policy.policy_id, policy.version)
        if key in self._by_key and self._by_key[key] != policy:
            raise ConcurrencyConflict(f"policy {policy.policy_id} v{policy.version} exists with other content")
        self._by_key[key] = policy
        self._latest[policy.policy_id] = max(policy.version, self._latest.get(policy.policy_id, policy.version))

    def get(self, policy_id: str, version: int | None = None) -> Policy:
        if version is None:
            version = self._latest.get(policy_id)
            if version is None:
                raise NotFound(f"no policy {policy_id!r} (known: {sorted(self._latest)})")
        try:
            return self._by_key[(policy_id, version)]
        except KeyError:
            raise NotFound(f"no policy {policy_id!r} version {version}") from None
