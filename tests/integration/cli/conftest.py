"""Fixtures of the CLI tests."""

from __future__ import annotations

import pytest

from entrypoints.cli.context import ALLOW_FUTURE_ENV


@pytest.fixture
def allow_future(monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands may be dated after today (``--allow-future``): for scenarios set at a year's end or in 2027, which
    must run the same whatever day the suite runs."""
    monkeypatch.setenv(ALLOW_FUTURE_ENV, "1")
