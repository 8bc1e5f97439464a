"""The composition root: builds a ``CaseService`` from its dependencies.

Every dependency is a parameter with a default built here, never at import
time; tests and embedders pass their own (fakes, a SQL unit of work, a fixed
clock, extra calendar files).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from complaint_core.policy import Policy
from complaint_core.ports import CalendarSource, Clock, PolicySource, UnitOfWork
from complaint_core.services import CaseService


def bootstrap(
    *,
    uow: UnitOfWork | None = None,
    policies: PolicySource | None = None,
    calendars: CalendarSource | None = None,
    clock: Clock | None = None,
    default_policy: str | None = "manufacturing",
    extra_policies: Sequence[Policy] = (),
    calendar_files: Sequence[Path] = (),
) -> CaseService:
    from adapters.calendars import CalendarRegistry
    from adapters.clock import SystemClock
    from adapters.memory import MemoryPolicies, MemoryUnitOfWork
    from adapters.policy_files import PRESETS, preset_versions

    if policies is None:  # every bundled version: cases stay on the one they were opened under
        policies = MemoryPolicies([*(p for name in PRESETS for p in preset_versions(name)), *extra_policies])
    return CaseService(
        uow=uow if uow is not None else MemoryUnitOfWork(),
        policies=policies,
        calendars=calendars if calendars is not None else CalendarRegistry(calendar_files),
        clock=clock if clock is not None else SystemClock(),
        default_policy=default_policy,
    )
