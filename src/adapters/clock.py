"""The system clock: the one place that reads the time."""

from __future__ import annotations

from datetime import UTC, datetime

import attrs


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@attrs.define
class FixedClock:
    """A clock that says what it is told; for scripts, demos and tests."""

    current: datetime

    def now(self) -> datetime:
        return self.current

    def advance_to(self, instant: datetime) -> None:
        self.current = instant
