"""A stored row that does not load names what it is and its own id (SQL audit; review: a return was named by its
case's id), so it can be found and mended."""

from __future__ import annotations

import pytest

from adapters import serialization
from adapters.serialization import DocumentInvalid


@pytest.mark.parametrize(
    ("what", "head", "ident"),
    [
        ("case", '{"case_id":"c-1","policy_id":"p"', "c-1"),
        ("return", '{"return_id":"r-1","case_id":"c-1"', "r-1"),
        ("assessment", '{"assessment_id":"a-1","case_id":"c-1"', "a-1"),
        ("followup", '{"followup_id":"f-1","case_id":"c-1"', "f-1"),
    ],
)
def test_a_row_that_does_not_load_names_its_own_id(what: str, head: str, ident: str) -> None:
    with pytest.raises(DocumentInvalid) as refused:
        serialization.stored(what, head + ',"x', lambda text: serialization.loads(text, dict))
    assert refused.value.message.startswith(f"{what} {ident}: not valid JSON")


def test_an_unreadable_head_says_so_and_a_given_id_wins() -> None:
    with pytest.raises(DocumentInvalid) as refused:
        serialization.stored("case", "{", lambda text: serialization.loads(text, dict))
    assert "a stored case (its id is unreadable)" in refused.value.message
    with pytest.raises(DocumentInvalid) as refused:
        serialization.stored("event of", '{"x', lambda text: serialization.loads(text, dict), "c-9")
    assert refused.value.message.startswith("event of c-9:")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("null", "an event must be a JSON object, not NoneType"),
        ("[1]", "an event must be a JSON object, not list"),
        ('{"type": "case.nothing"}', "unknown event type 'case.nothing'"),
        ('{"type": "case.reaction_recorded", "extra": 1}', "Extra fields in constructor for ReactionRecorded"),
        ('{"type": "case.reaction_recorded", "timestamp": "x", "data": {"extra": 1}}', "ReactionRecorded"),
    ],
)
def test_an_event_that_does_not_load_is_a_document_error(text: str, says: str) -> None:
    """API audit: ``load_event("null")`` raised a bare TypeError and an extra key cattrs' ForbiddenExtraKeysError."""
    with pytest.raises(DocumentInvalid, match=says):
        serialization.load_event(text)
