"""JSON Pointer (RFC 6901): the addressing used by inbound mapping files.

Why not a library: ~60 lines, and we want a syntax error that names the mapping key and a
"not found" that says which token failed, without exceptions for absent data on the hot path.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

import attrs

_INDEX = re.compile(r"0|[1-9][0-9]*")
_BAD_TILDE = re.compile(r"~(?![01])")


class PointerSyntaxError(ValueError):
    """Text that is not a JSON Pointer: it must be empty or start with "/", and "~" must be followed by 0 or 1."""


class PointerNotFound(LookupError):
    """The document has nothing at the pointer; ``at`` is the prefix that did resolve."""

    def __init__(self, pointer: JsonPointer, at: JsonPointer, reason: str) -> None:
        super().__init__(f"{pointer}: {reason} at {str(at) or '(root)'}")
        self.pointer = pointer
        self.at = at


def escape(token: str) -> str:
    """One reference token as it appears in a pointer ("~" first, then "/", per RFC 6901 §3)."""
    return token.replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    """The inverse of ``escape`` ("~1" first, then "~0", per RFC 6901 §4, so "~01" is "~1")."""
    return token.replace("~1", "/").replace("~0", "~")


@attrs.frozen
class JsonPointer:
    """A parsed pointer; ``tokens`` are unescaped. ``JsonPointer(())`` is the whole document."""

    tokens: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> JsonPointer:
        if not isinstance(text, str):
            raise PointerSyntaxError(f"a JSON pointer is a string, got {type(text).__name__}")
        if text == "":
            return cls(())
        if not text.startswith("/"):
            raise PointerSyntaxError(f"{text!r}: a JSON pointer starts with '/' (or is empty for the whole document)")
        if _BAD_TILDE.search(text):
            raise PointerSyntaxError(f"{text!r}: '~' must be followed by 0 or 1 ('~0' is '~', '~1' is '/')")
        return cls(tuple(unescape(t) for t in text[1:].split("/")))

    @classmethod
    def from_tokens(cls, tokens: Iterable[str | int]) -> JsonPointer:
        return cls(tuple(str(t) for t in tokens))

    def __str__(self) -> str:
        return "".join("/" + escape(t) for t in self.tokens)

    def child(self, token: str | int) -> JsonPointer:
        return JsonPointer((*self.tokens, str(token)))

    def resolve(self, document: object) -> object:
        """The value at this pointer; raise ``PointerNotFound`` if there is none."""
        current = document
        for depth, token in enumerate(self.tokens):
            if isinstance(current, Mapping):
                if token not in current:
                    raise PointerNotFound(self, JsonPointer(self.tokens[:depth]), f"no member {token!r}")
                current = current[token]
            elif isinstance(current, Sequence) and not isinstance(current, str | bytes | bytearray):
                if not _INDEX.fullmatch(token):
                    raise PointerNotFound(self, JsonPointer(self.tokens[:depth]), f"{token!r} is not an array index")
                index = int(token)
                if index >= len(current):
                    raise PointerNotFound(
                        self, JsonPointer(self.tokens[:depth]), f"index {index} beyond {len(current)} elements"
                    )
                current = current[index]
            else:
                raise PointerNotFound(
                    self, JsonPointer(self.tokens[:depth]), f"cannot step into a {type(current).__name__}"
                )
        return current

    def get(self, document: object, default: object = None) -> object:
        """The value at this pointer, or ``default`` when there is none (absent data is normal in webhooks)."""
        try:
            return self.resolve(document)
        except PointerNotFound:
            return default
