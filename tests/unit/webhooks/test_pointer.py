"""JSON Pointer (RFC 6901), including the examples of its section 5."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.webhooks.pointer import JsonPointer, PointerNotFound, PointerSyntaxError, escape, unescape

RFC_DOC = {
    "foo": ["bar", "baz"],
    "": 0,
    "a/b": 1,
    "c%d": 2,
    "e^f": 3,
    "g|h": 4,
    "i\\j": 5,
    'k"l': 6,
    " ": 7,
    "m~n": 8,
}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("", RFC_DOC),
        ("/foo", ["bar", "baz"]),
        ("/foo/0", "bar"),
        ("/", 0),
        ("/a~1b", 1),
        ("/c%d", 2),
        ("/e^f", 3),
        ("/g|h", 4),
        ("/i\\j", 5),
        ('/k"l', 6),
        ("/ ", 7),
        ("/m~0n", 8),
    ],
)
def test_rfc_6901_section_5(text: str, value: object) -> None:
    pointer = JsonPointer.parse(text)
    assert pointer.resolve(RFC_DOC) == value
    assert str(pointer) == text


def test_escape_order() -> None:
    assert unescape("~01") == "~1"  # not "/"
    assert escape("~1") == "~01"
    assert JsonPointer.parse("/~01").tokens == ("~1",)


@pytest.mark.parametrize("text", ["foo", "#/foo", "/a~2b", "/a~", "/~x"])
def test_syntax_errors(text: str) -> None:
    with pytest.raises(PointerSyntaxError):
        JsonPointer.parse(text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("/foo/2", "index 2 beyond 2 elements"),
        ("/foo/-", "not an array index"),
        ("/foo/01", "not an array index"),
        ("/foo/+1", "not an array index"),
        ("/nope", "no member 'nope'"),
        ("/foo/0/x", "cannot step into a str"),
        ("/a~1b/x", "cannot step into a int"),
    ],
)
def test_not_found(text: str, reason: str) -> None:
    pointer = JsonPointer.parse(text)
    with pytest.raises(PointerNotFound, match=reason):
        pointer.resolve(RFC_DOC)
    assert pointer.get(RFC_DOC, "dflt") == "dflt"


def test_null_is_a_value_not_absence() -> None:
    assert JsonPointer.parse("/x").resolve({"x": None}) is None
    assert JsonPointer.parse("/x").get({"x": None}, "dflt") is None


json_leaf = st.none() | st.booleans() | st.integers() | st.text(max_size=10)
keys = st.text(max_size=8)  # any text: "/", "~", "", "~1" must all survive escaping


@st.composite
def doc_and_path(draw: st.DrawFn) -> tuple[object, list[str | int], object]:
    """A random nested document and a path into it, built outside-in."""
    target: object = draw(json_leaf | st.dictionaries(keys, json_leaf, max_size=3))
    value: object = target
    path: list[str | int] = []
    for _ in range(draw(st.integers(0, 6))):
        if draw(st.booleans()):
            key = draw(keys)
            siblings: dict[str, object] = dict(draw(st.dictionaries(keys, json_leaf, max_size=3)))
            siblings[key] = value
            value = siblings
            path.insert(0, key)
        else:
            before = draw(st.lists(json_leaf, max_size=3))
            after = draw(st.lists(json_leaf, max_size=3))
            value = [*before, value, *after]
            path.insert(0, len(before))
    return value, path, target


@settings(max_examples=300, deadline=None)
@given(doc_and_path())
def test_round_trip_property(case: tuple[object, list[str | int], object]) -> None:
    document, path, target = case
    pointer = JsonPointer.from_tokens(path)
    assert JsonPointer.parse(str(pointer)) == pointer
    assert pointer.resolve(document) == target


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=20))
def test_escape_round_trip(token: str) -> None:
    assert unescape(escape(token)) == token
    assert JsonPointer.parse("/" + escape(token)).tokens == (token,)


@pytest.mark.parametrize(
    ("text", "at", "message"),
    [
        ("/nope", "", "/nope: no member 'nope' at (root)"),
        ("/foo/2", "/foo", "/foo/2: index 2 beyond 2 elements at /foo"),
        ("/foo/0/x", "/foo/0", "/foo/0/x: cannot step into a str at /foo/0"),
    ],
)
def test_not_found_says_how_far_the_pointer_resolved(text: str, at: str, message: str) -> None:
    pointer = JsonPointer.parse(text)
    with pytest.raises(PointerNotFound) as caught:
        pointer.resolve(RFC_DOC)
    assert (str(caught.value), caught.value.pointer, caught.value.at) == (message, pointer, JsonPointer.parse(at))


@pytest.mark.parametrize("value", [3, None, b"/a", ["/a"]])
def test_a_pointer_is_text(value: object) -> None:
    with pytest.raises(PointerSyntaxError, match=f"a JSON pointer is a string, got {type(value).__name__}"):
        JsonPointer.parse(value)  # type: ignore[arg-type]
