"""``complaint allowance …``: the area of allowances; its commands live in ``returns_cmd`` (one area per module)."""

from __future__ import annotations

import typer


def build() -> typer.Typer:
    from .returns_cmd import build_allowance

    return build_allowance()
