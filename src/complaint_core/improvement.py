"""Corrective actions decided on a case (改善对策) and the check of their effect (效果确认).

P4-LC-03: an internal investigation ends with improvement measures or a way to avoid a repeat. P3-FU-02/03: the
measures are carried out under a supervisor, who checks them. P1-CLS-05: an improvement is tracked unless the
cause was human negligence (人为疏忽免列案追踪). P1-FU-01: the effect is confirmed. A tracked improvement is
verified once; until then, or while the last verified one was not effective, the case does not settle.
"""

from __future__ import annotations

from datetime import datetime

import attrs

RULE = "P1-FU-01"


@attrs.frozen(kw_only=True)
class Improvement:
    """One corrective action, numbered from 1 on its case. ``due`` is when its effect is to be checked."""

    number: int
    measures: str
    owner: str
    planned_at: datetime
    planned_by: str
    supervisor: str = ""
    due: datetime | None = None
    tracked: bool = True
    verified_at: datetime | None = None
    verified_by: str = ""
    effective: bool | None = None
    note: str = ""

    @property
    def open(self) -> bool:
        """Tracked and not yet verified."""
        return self.tracked and self.verified_at is None

    def overdue(self, at: datetime) -> bool:
        return self.open and self.due is not None and self.due < at

    def as_it_was(self, at: datetime) -> Improvement | None:
        """The improvement as it stood at ``at``: None before it was planned, unchecked before its check."""
        if self.planned_at > at:
            return None
        if self.verified_at is not None and self.verified_at > at:
            return attrs.evolve(self, verified_at=None, verified_by="", effective=None, note="")
        return self


def unfinished(improvements: tuple[Improvement, ...]) -> tuple[str, ...]:
    """What keeps the improvements from being done: open ones, or a latest verdict of "not effective" with no
    improvement planned since."""
    items = [f"improvement {i.number} not verified" for i in improvements if i.open]
    verdicts = [i for i in improvements if i.verified_at is not None]
    if verdicts:
        last = max(verdicts, key=lambda i: (i.verified_at, i.number))
        assert last.verified_at is not None
        answered = any(i.number != last.number and i.planned_at >= last.verified_at for i in improvements)
        if last.effective is False and not answered:
            items.append(f"improvement {last.number} was not effective: plan another")
    return tuple(items)
