"""Policy files (TOML) and the five bundled presets (DOMAIN §11).

Loaded through a cattrs converter with ``forbid_extra_keys``: an unknown key, a
wrong type or an inconsistent value gives one ``PolicyInvalid`` whose ``path``
names the key, e.g. ``clocks[2].limit``. Every key is documented in
docs/policies.md.
"""

from __future__ import annotations

import re
import tomllib
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import cattrs
from cattrs.preconf.json import make_converter

from complaint_core.errors import PolicyInvalid
from complaint_core.policy import Limit, Policy, TimeUnit

PRESETS = ("manufacturing", "furniture", "auto-dealer", "service", "bank-branch")
_LIMIT = re.compile(r"^\s*(-?\d+)\s+([a-z_]+)\s*$")


def _structure_decimal(value: Any, _: type) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"expected a number or a numeric string, got {value!r}")
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number") from None
    if not result.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    return result


def _structure_limit(value: Any, _: type) -> Limit:
    if not isinstance(value, str):
        raise ValueError(f"expected a string such as '13 calendar_days', got {value!r}")
    match = _LIMIT.match(value)
    if match is None:
        units = ", ".join(u.value for u in TimeUnit)
        raise ValueError(f"{value!r} is not '<amount> <unit>' with unit one of {units}")
    try:
        unit = TimeUnit(match.group(2))
    except ValueError:
        units = ", ".join(u.value for u in TimeUnit)
        raise ValueError(f"unknown unit {match.group(2)!r}; expected one of {units}") from None
    return Limit(int(match.group(1)), unit)


@cache
def policy_converter() -> cattrs.Converter:
    converter = make_converter(forbid_extra_keys=True)
    converter.register_structure_hook(Decimal, _structure_decimal)
    converter.register_unstructure_hook(Decimal, str)
    converter.register_structure_hook(Limit, _structure_limit)
    converter.register_unstructure_hook(Limit, str)
    return converter


def _path(raw: str) -> str:
    # cattrs says "… @ $.clocks[2].limit"; we say "clocks[2].limit"
    return raw.removeprefix("$").removeprefix(".")


def policy_from_dict(data: dict[str, Any], source: str = "policy") -> Policy:
    try:
        return policy_converter().structure(data, Policy)
    except PolicyInvalid:
        raise
    except cattrs.BaseValidationError as exc:
        messages = cattrs.transform_error(exc)
        inner = _first_policy_error(exc)
        if inner is not None:
            raise inner from None
        first = messages[0] if messages else str(exc)
        message, _, where = first.rpartition(" @ ")
        raise PolicyInvalid(_path(where), f"{message} (in {source})") from None


def _first_policy_error(exc: BaseException) -> PolicyInvalid | None:
    if isinstance(exc, PolicyInvalid):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        for sub in exc.exceptions:
            found = _first_policy_error(sub)
            if found is not None:
                return found
    return None


def policy_to_dict(policy: Policy) -> dict[str, Any]:
    data: dict[str, Any] = policy_converter().unstructure(policy)
    return data


def loads_policy(text: str, source: str = "policy") -> Policy:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyInvalid("", f"{source} is not valid TOML: {exc}") from None
    return policy_from_dict(data, source)


def load_policy(path: Path | str) -> Policy:
    """A policy from a TOML file; errors name the file and the key path."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyInvalid("", f"cannot read policy file {path}: {exc.strerror}") from None
    return loads_policy(text, str(path))


def preset_text(name: str) -> str:
    if name not in PRESETS:
        raise PolicyInvalid("", f"no preset {name!r}; presets: {', '.join(PRESETS)}")
    return resources.files("adapters").joinpath("presets", f"{name}.toml").read_text(encoding="utf-8")


@cache
def load_preset(name: str) -> Policy:
    """One of the five bundled presets: manufacturing, furniture, auto-dealer, service, bank-branch."""
    return loads_policy(preset_text(name), f"preset {name}")
