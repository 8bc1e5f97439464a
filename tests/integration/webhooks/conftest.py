"""Fixtures of the webhook tests: a real HTTP receiver on 127.0.0.1 and a database with cases in the outbox."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = str(Path(__file__).parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import whkit  # noqa: E402


@pytest.fixture
def receiver() -> Iterator[whkit.Receiver]:
    found = whkit.Receiver()
    yield found
    found.stop()


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return str(tmp_path / "complaints.db")
