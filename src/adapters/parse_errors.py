"""What a TOML or JSON parser said about a file, in words a user can act on.

Both parsers recurse: a file nested thousands of levels deep raised ``RecursionError``, which no reader caught, so
the CLI said "unexpected RecursionError" (exit 1) instead of naming the file (exit 2).
"""

from __future__ import annotations


def parse_error(error: BaseException) -> str:
    if isinstance(error, RecursionError):
        return "nested too deeply to read"
    return str(error)
