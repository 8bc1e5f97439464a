"""Text from customers, CRMs, clerks and imported files, made safe to print on a terminal.

Control characters (an ESC starts a colour, cursor or hyperlink sequence, a newline splits a row) and bidi
overrides that reorder what is shown print as their escapes. The CLI's tables and the report's rich tables share
it; rich markup in such text (``[link=…]``, ``[/]``) is kept out by handing rich ``Text`` objects, not strings.
A terminal or file whose encoding lacks some of it shows escapes too (``tolerate_encodings``).
"""

from __future__ import annotations

import re
import sys
from typing import TextIO

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def inert(text: str) -> str:
    """``text`` with every control character shown as its escape, e.g. ``\\x1b``, ``\\n``."""
    return _UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def encodes_everything(out: TextIO) -> bool:
    """Whether ``out``'s encoding is a UTF one: any other (cp936, latin-1) lacks some characters a case may hold.
    A stream without one (``io.StringIO``) holds text, not bytes: everything."""
    import codecs

    encoding = getattr(out, "encoding", None)
    if encoding is None:
        return True
    try:
        return codecs.lookup(encoding).name.startswith("utf")
    except LookupError:
        return False


def tolerate_encodings() -> None:
    """Show what stdout's or stderr's encoding lacks as ``\\u`` escapes instead of failing: a command that has
    committed must not then exit 1 over printing a customer's name (a Windows redirect in cp936, an emoji under
    GBK, a latin-1 locale), which invites a retry that records it twice."""
    import io

    for stream in (sys.stdout, sys.stderr):
        if (  # a C or POSIX locale without UTF-8 mode gives surrogateescape, which fails on Chinese as strict does
            isinstance(stream, io.TextIOWrapper)
            and stream.errors in ("strict", "surrogateescape")
            and not encodes_everything(stream)
        ):
            stream.reconfigure(errors="backslashreplace")
