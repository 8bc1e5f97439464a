from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from adapters.calendars import china_calendar
from adapters.policy_files import load_preset
from complaint_core import Policy, TableCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="session")
def cn() -> TableCalendar:
    return china_calendar()


@pytest.fixture(scope="session")
def manufacturing() -> Policy:
    return load_preset("manufacturing")


@pytest.fixture(scope="session")
def sh() -> Callable[..., datetime]:
    """sh(2026, 11, 2, 9) → 2026-11-02 09:00 in Asia/Shanghai."""

    def make(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> datetime:
        return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)

    return make
