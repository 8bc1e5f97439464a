"""Policy files (TOML) and the five bundled presets (DOMAIN §11).

Loaded through a cattrs converter with ``forbid_extra_keys``: an unknown key, a
wrong type or an inconsistent value gives one ``PolicyInvalid`` whose ``path``
names the key, e.g. ``clocks[2].limit``. Every key is documented in
docs/policies.md.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Collection
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn
from cattrs.preconf.json import make_converter
from cattrs.v import format_exception

from complaint_core.errors import PolicyInvalid, RuleViolation, enum_member
from complaint_core.policy import Limit, Policy, TimeUnit

from .text_formats import loads_json, loads_toml

PRESETS = ("manufacturing", "furniture", "auto-dealer", "service", "bank-branch")


class _BadValue(ValueError):
    """Raised by our structure hooks; its text is shown as is."""


_LIMIT = re.compile(r"^\s*(-?\d+)\s+([a-z_]+)\s*$", re.ASCII)


def _structure_decimal(value: Any, _: type) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _BadValue(f"expected a number or a numeric string, got {value!r}")
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise _BadValue(f"{value!r} is not a number") from None
    if not result.is_finite():
        raise _BadValue(f"{value!r} is not a finite number")
    return result


def _structure_int(value: Any, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _BadValue(f"expected an integer, got {value!r}")
    return value


def _structure_bool(value: Any, _: type) -> bool:
    if not isinstance(value, bool):
        raise _BadValue(f"expected true or false, got {value!r}")
    return value


def _structure_limit(value: Any, _: type) -> Limit:
    if not isinstance(value, str):
        raise _BadValue(f"expected a string such as '13 calendar_days', got {value!r}")
    match = _LIMIT.match(value)
    if match is None:
        units = ", ".join(u.value for u in TimeUnit)
        raise _BadValue(f"{value!r} is not '<amount> <unit>' with unit one of {units}")
    try:
        unit = TimeUnit(match.group(2))
    except ValueError:
        units = ", ".join(u.value for u in TimeUnit)
        raise _BadValue(f"unknown unit {match.group(2)!r}; expected one of {units}") from None
    return Limit(int(match.group(1)), unit)


def _structure_str(value: Any, _: type) -> str:
    if not isinstance(value, str):  # cattrs would call str() on it: 5 → "5", ["a"] → "['a']"
        raise _BadValue(f"expected a string, got {value!r}")
    return value


def _structure_enum(value: Any, type_: type[StrEnum]) -> StrEnum:
    try:
        return enum_member(type_, value, "value", "POLICY")
    except RuleViolation as error:  # the converter reports it with the key path
        raise _BadValue(error.message) from None


def _structure_literal(value: Any, type_: Any) -> Any:
    """A ``Literal`` (``language``) spelt exactly, reported like an enumerated value (cattrs says "unknown error")."""
    allowed = get_args(type_)
    if value not in allowed or type(value) is not type(allowed[0]):
        raise _BadValue(f"value {value!r} is not one of {', '.join(map(str, allowed))}")
    return value


def _shape_checked(expected: type | tuple[type, ...], what: str, inner: Callable[[Any, Any], Any]) -> Any:
    """``inner`` after a check of the raw value's shape: cattrs would iterate a string given for a list
    ("gm" → {"g", "m"}) or fail on a string given for a table with "unknown error"."""

    def structure(value: Any, type_: Any) -> Any:
        if not isinstance(value, expected):
            raise _BadValue(f"expected {what}, got {value!r}")
        return inner(value, type_)

    return structure


def _is_literal(type_: Any) -> bool:
    origin: object = get_origin(type_)
    return origin is Literal


def _is_collection(type_: Any) -> bool:
    return get_origin(type_) in (tuple, frozenset)


@cache
def policy_converter(*, stored: bool = False, detailed: bool = True) -> cattrs.Converter:
    """The converter of policy files; ``stored`` for policies a database already holds: they were checked when
    they were stored, by the version of the day, which turned a number given for text into text (``101`` →
    ``"101"``). Refusing that now would make every command on that database fail. ``detailed`` collects every
    error with its key path; without it the same hooks stop at the first error, and generating them costs a
    third less of every command's start-up (``_structure`` tries that first)."""
    converter = make_converter(forbid_extra_keys=True, detailed_validation=detailed)
    converter.register_structure_hook(Decimal, _structure_decimal)
    converter.register_structure_hook(int, _structure_int)
    converter.register_structure_hook(bool, _structure_bool)
    converter.register_unstructure_hook(Decimal, str)
    converter.register_structure_hook(Limit, _structure_limit)
    converter.register_unstructure_hook(Limit, str)
    if stored:
        return converter
    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook(StrEnum, _structure_enum)  # more specific than str for a StrEnum
    converter.register_structure_hook_func(_is_literal, _structure_literal)
    # The generic collection hooks, taken before ours wrap them (they structure any element type).
    as_tuple = converter.get_structure_hook(tuple[str, ...])
    as_frozenset = converter.get_structure_hook(frozenset[str])

    def collection(type_: Any) -> Any:
        return _shape_checked((list, tuple), "a list", as_tuple if get_origin(type_) is tuple else as_frozenset)

    converter.register_structure_hook_factory(_is_collection, collection)
    converter.register_structure_hook_factory(
        attrs.has,
        lambda type_: _shape_checked(
            dict, "a table", make_dict_structure_fn(type_, converter, _cattrs_forbid_extra_keys=True)
        ),
    )
    return converter


def _path(raw: str) -> str:
    # cattrs says "… @ $.clocks[2].limit"; we say "clocks[2].limit"
    return raw.removeprefix("$").removeprefix(".")


def policy_from_dict(
    data: dict[str, Any],
    source: str = "policy",
    *,
    known_calendars: Collection[str] | None = None,
    stored: bool = False,
) -> Policy:
    """Structure and validate; ``known_calendars`` also checks that the policy's calendar exists; ``stored``
    reads a policy a database holds (see ``policy_converter``)."""
    policy = _structure(data, source, stored=stored)
    if known_calendars is not None and policy.calendar.name not in known_calendars:
        raise PolicyInvalid(
            "calendar.name",
            f"unknown calendar {policy.calendar.name!r} (known: {', '.join(sorted(known_calendars))}) in {source}",
        )
    return policy


# files of the zone database that are no IANA zone: the host's own, or variants of another, so a policy file naming
# one would mean other local days on each machine that reads it (a policy stored so by an older version still loads)
HOST_ZONES = frozenset({"localtime", "posixrules", "Factory"})


def _structure(data: dict[str, Any], source: str, *, stored: bool = False) -> Policy:
    zone = data.get("zone") if isinstance(data, dict) else None
    if not stored and isinstance(zone, str) and (zone in HOST_ZONES or zone.startswith(("posix/", "right/"))):
        raise PolicyInvalid("zone", f"{zone!r} is no IANA time zone name such as Asia/Shanghai (in {source})")
    try:
        return policy_converter(stored=stored, detailed=False).structure(data, Policy)
    except Exception:  # what is wrong is said below, by the converter that finds every error with its path
        pass
    try:
        return policy_converter(stored=stored).structure(data, Policy)
    except PolicyInvalid:
        raise
    except _BadValue as exc:  # the document itself is no table
        raise PolicyInvalid("", f"{exc} (in {source})") from None
    except cattrs.BaseValidationError as exc:
        messages = cattrs.transform_error(exc, format_exception=_format_exception)
        inner = _first_policy_error(exc)
        if inner is not None:
            raise inner from None
        first = messages[0] if messages else str(exc)
        message, _, where = first.rpartition(" @ ")
        path = _path(where)
        extra = re.fullmatch(r"extra fields found \((.+)\)", message)
        if extra:
            key = extra.group(1).split(", ")[0]
            path = f"{path}.{key}" if path else key
            message = f"unknown key {key!r} (see docs/policies.md for the keys)"
        raise PolicyInvalid(path, f"{message} (in {source})") from None


def _format_exception(exc: BaseException, type_: type | None) -> str:
    # Our hooks raise plain ValueErrors whose text says what is wrong; keep it.
    if isinstance(exc, _BadValue):
        return str(exc)
    return format_exception(exc, type_)


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


def loads_policy(
    text: str,
    source: str = "policy",
    *,
    known_calendars: Collection[str] | None = None,
    stored: bool = False,
    fmt: str = "toml",
) -> Policy:
    """A policy from TOML text, or JSON (``fmt="json"``): the policy table, or what ``complaint --json policy
    show`` prints (its ``policy`` member), so an exported policy can be edited and loaded back."""
    if fmt == "json":
        try:
            data = loads_json(text)
        except ValueError as exc:
            raise PolicyInvalid("", f"{source} is not valid JSON: {exc}") from None
        if isinstance(data, dict) and set(data) == {"preset", "file", "policy"}:
            data = data["policy"]
        if not isinstance(data, dict):
            raise PolicyInvalid("", f"{source} must hold a JSON object (the policy table)")
    else:
        try:
            data = loads_toml(text)
        except tomllib.TOMLDecodeError as exc:
            raise PolicyInvalid("", f"{source} is not valid TOML: {exc}") from None
    return policy_from_dict(data, source, known_calendars=known_calendars, stored=stored)


def policy_format(path: Path | str) -> str:
    """``json`` for a ``.json`` file, else ``toml``."""
    return "json" if Path(path).suffix.lower() == ".json" else "toml"


def load_policy(path: Path | str, *, known_calendars: Collection[str] | None = None) -> Policy:
    """A policy from a TOML file (or a ``.json`` one); errors name the file and the key path."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # Windows editors may add a BOM
    except OSError as exc:
        raise PolicyInvalid("", f"cannot read policy file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise PolicyInvalid("", f"policy file {path} is not UTF-8 text (GBK?): save it as UTF-8") from None
    return loads_policy(text, str(path), known_calendars=known_calendars, fmt=policy_format(path))


def preset_text(name: str) -> str:
    if name not in PRESETS:
        raise PolicyInvalid("", f"no preset {name!r}; presets: {', '.join(PRESETS)}")
    return resources.files("adapters").joinpath("presets", f"{name}.toml").read_text(encoding="utf-8")


@cache
def load_preset(name: str) -> Policy:
    """One of the five bundled presets, at its current version: manufacturing, furniture, auto-dealer, service,
    bank-branch."""
    return loads_policy(preset_text(name), f"preset {name}")


@cache
def bundled_preset(name: str, version: int | None = None) -> Policy | None:
    """One bundled version of a preset without reading the others (``case show`` pays for one parse): the current
    one for ``None`` or its own version, else ``presets/v<version>/NAME.toml``; None if it is not bundled."""
    current = load_preset(name)
    if version is None or version == current.version:
        return current
    entry = resources.files("adapters").joinpath("presets", f"v{version}", f"{name}.toml")
    if not entry.is_file():
        return None
    policy = loads_policy(entry.read_text(encoding="utf-8"), f"preset {name} v{version}")
    return policy if policy.version == version else None  # a folder holds its own version, as preset_versions reads


@cache
def preset_versions(name: str) -> tuple[Policy, ...]:
    """Every bundled version of a preset, oldest first: the earlier ones (``presets/v<N>/NAME.toml``) stay for
    the cases opened under them, since a case keeps its policy version until it adopts another."""
    current = load_preset(name)
    folder = resources.files("adapters").joinpath("presets")
    earlier = []
    for entry in folder.iterdir():
        if entry.is_dir() and re.fullmatch(r"v\d+", entry.name) and entry.joinpath(f"{name}.toml").is_file():
            found = bundled_preset(name, int(entry.name[1:]))  # one parse per version, shared with case show
            if found is None:
                raise PolicyInvalid(
                    "version", f"presets/{entry.name}/{name}.toml does not hold version {entry.name[1:]}"
                )
            earlier.append(found)
    return (*sorted(earlier, key=lambda p: p.version), current)
