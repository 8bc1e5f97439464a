"""Text from customers, CRMs, clerks and imported files, made safe to print on a terminal.

Control characters (an ESC starts a colour, cursor or hyperlink sequence, a newline splits a row) and bidi
overrides that reorder what is shown print as their escapes. The CLI's tables and the report's rich tables share
it; rich markup in such text (``[link=…]``, ``[/]``) is kept out by handing rich ``Text`` objects, not strings.
"""

from __future__ import annotations

import re

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def inert(text: str) -> str:
    """``text`` with every control character shown as its escape, e.g. ``\\x1b``, ``\\n``."""
    return _UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
