"""The global options as an immutable settings object, and the factory every area's sub-app uses.

Kept free of domain imports: it is loaded for ``complaint --help``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

import typer

Language = Literal["zh", "en"]
DEFAULT_DB = "./complaints.db"
DB_ENV = "COMPLAINT_DB"
ALLOW_FUTURE_ENV = "COMPLAINT_ALLOW_FUTURE"
ACTOR_ENV = "COMPLAINT_ACTOR"

# Every Typer of the CLI is built with these. rich_markup_mode=None keeps help and usage errors in
# plain Click formatting: typer's rich help imports rich.markdown and friends (~130 ms) and would
# make ``complaint --help`` twice as slow as ``import typer, rich``. Tables in command output still use rich.
TYPER_OPTIONS: dict[str, Any] = {
    "rich_markup_mode": None,
    "pretty_exceptions_enable": False,  # errors are mapped to exit codes by errors.HandledGroup
    "no_args_is_help": True,
}


class Lang(StrEnum):
    """Choices of ``--lang`` (a str Enum so typer shows and validates them)."""

    zh = "zh"
    en = "en"


@dataclass(frozen=True, slots=True)
class Settings:
    """What the global options said; stored on ``ctx.obj`` by the root callback and never changed."""

    db: str = DEFAULT_DB
    json: bool = False
    lang: Language | None = None
    verbose: bool = False
    allow_future: bool = False

    def language(self, policy_language: str | None = None) -> Language:
        """``--lang`` if given, else the policy's language, else zh."""
        if self.lang is not None:
            return self.lang
        return "en" if policy_language == "en" else "zh"


def settings_of(ctx: typer.Context) -> Settings:
    """The settings of this invocation (defaults when a command runs without the root callback, e.g. in tests)."""
    obj = ctx.find_root().obj
    return obj if isinstance(obj, Settings) else Settings(db=os.environ.get(DB_ENV, DEFAULT_DB))


def area(name: str, help: str) -> typer.Typer:
    """A new area sub-app (``complaint NAME …``) configured like the root; register commands on it."""
    return typer.Typer(name=name, help=help, **TYPER_OPTIONS)


def single(name: str, help: str, command: Callable[..., None]) -> typer.Typer:
    """A top-level command (``complaint NAME [OPTIONS]``) as an area: a group that runs its callback itself, and
    whose usage line shows no subcommand slot."""
    options = {**TYPER_OPTIONS, "no_args_is_help": False}
    app = typer.Typer(name=name, help=help, invoke_without_command=True, subcommand_metavar="", **options)
    app.callback()(command)
    return app
