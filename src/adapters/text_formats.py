"""TOML and JSON text read into Python values, every failure one ``ValueError``.

Both parsers recurse: text nested thousands of levels deep raised ``RecursionError``, which no reader of files
caught, so the CLI said "unexpected RecursionError" (exit 1) instead of naming the file (exit 2). Here it is the
parser's own error (``tomllib.TOMLDecodeError`` is a ``ValueError``), so each reader's handling stays as it was.
"""

from __future__ import annotations

import json
import tomllib
from typing import Any

TOO_DEEP = "nested too deeply to read"


def loads_toml(text: str, **options: Any) -> dict[str, Any]:
    try:
        return tomllib.loads(text, **options)
    except RecursionError:
        raise tomllib.TOMLDecodeError(TOO_DEEP) from None


def loads_json(text: str | bytes, **options: Any) -> Any:
    try:
        return json.loads(text, **options)
    except RecursionError:
        raise ValueError(TOO_DEEP) from None


def loads_document(fmt: str, text: str) -> Any:
    """``text`` in ``fmt`` (``"json"``, else TOML)."""
    return loads_json(text) if fmt == "json" else loads_toml(text)
