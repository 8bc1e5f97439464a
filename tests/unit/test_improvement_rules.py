"""Improvement.overdue and Improvement.as_it_was at their edges (P1-FU-01, P1-CLS-05).

``overdue`` feeds the ``overdue`` flag of the improvement JSON and ``as_it_was`` the ``report improvements`` listing;
their boundaries follow the clocks' (late strictly after due; what happened at ``at`` has happened by ``at``).
"""

from collections.abc import Callable
from datetime import datetime

from complaint_core.improvement import Improvement

Maker = Callable[..., datetime]


def improvement(sh: Maker, **kw: object) -> Improvement:
    base: dict[str, object] = {
        "number": 1,
        "measures": "来料检验加严",
        "owner": "IQC",
        "planned_at": sh(2026, 9, 28, 11),
        "planned_by": "qa",
    }
    return Improvement(**(base | kw))  # type: ignore[arg-type]


def test_p1_fu_01_an_open_improvement_is_overdue_only_strictly_after_its_due(sh: Maker) -> None:
    """P1-FU-01: the effect check is late once its due has passed, not at the due minute nor before it."""
    i = improvement(sh, due=sh(2026, 10, 9, 17))
    assert not i.overdue(sh(2026, 10, 9, 16))
    assert not i.overdue(sh(2026, 10, 9, 17))
    assert i.overdue(sh(2026, 10, 9, 17, 1))


def test_p1_fu_01_an_open_improvement_without_a_due_is_never_overdue(sh: Maker) -> None:
    """P1-FU-01: with no ``due`` there is nothing to be late for."""
    assert not improvement(sh).overdue(sh(2027, 1, 1))


def test_p1_fu_01_a_verified_or_untracked_improvement_is_not_overdue(sh: Maker) -> None:
    """P1-FU-01 / P1-CLS-05: only an open (tracked, unverified) improvement can be late, however far past due."""
    due = sh(2026, 10, 9)
    verified = improvement(sh, due=due, verified_at=sh(2026, 10, 12), verified_by="qa", effective=True)
    untracked = improvement(sh, due=due, tracked=False)
    assert not verified.overdue(sh(2026, 10, 20))
    assert not untracked.overdue(sh(2026, 10, 20))


def test_p1_fu_01_as_it_was_exists_from_the_minute_it_was_planned(sh: Maker) -> None:
    """P1-FU-01: an improvement planned at ``at`` stands at ``at`` (None only strictly before)."""
    i = improvement(sh)
    assert i.as_it_was(sh(2026, 9, 28, 11)) == i
    assert i.as_it_was(sh(2026, 9, 28, 10, 59)) is None


def test_p1_fu_01_as_it_was_of_an_unverified_improvement_is_itself(sh: Maker) -> None:
    """P1-FU-01: an improvement not yet checked is the same at any later time."""
    i = improvement(sh, due=sh(2026, 10, 9))
    assert i.as_it_was(sh(2026, 10, 20)) == i


def test_p1_fu_01_as_it_was_keeps_the_verdict_from_the_minute_it_was_given(sh: Maker) -> None:
    """P1-FU-01: the check is undone only strictly before it was given; at or after it the verdict stands."""
    checked = improvement(sh, verified_at=sh(2026, 10, 9), verified_by="qa", effective=False, note="复发")
    assert checked.as_it_was(sh(2026, 10, 9)) == checked
    assert checked.as_it_was(sh(2026, 10, 20)) == checked
    before = checked.as_it_was(sh(2026, 10, 8, 23, 59))
    assert before is not None and before.open
    assert (before.verified_by, before.effective, before.note) == ("", None, "")
