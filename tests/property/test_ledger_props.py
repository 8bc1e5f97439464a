"""Property tests for the deduction ledger (DOMAIN §7; P1-PEN-06, P1-PEN-09, P1-PEN-11).

Scripts of months are generated: each month some cases are posted (a case's
lines for one or more people, some uncapped major demerits), some earlier
cases are reversed on appeal, and the month is closed against random bonuses
(including 0 and missing). Then, where a property needs it, further months are
closed with positive bonuses until nothing is carried.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal
from uuid import UUID

import attrs
from hypothesis import given
from hypothesis import strategies as st

from complaint_core.ledger import EntryKind, Ledger, MonthClose, PersonMonth, Posting

PEOPLE = ("li", "wang", "zhao")
MONTHS = ("2026-11", "2026-12", "2027-01", "2027-02")
HALF = Decimal("0.5")
ZERO = Decimal("0.00")
DRAIN_BONUS = Decimal("20000")  # cap 10000 a month: any script below drains within a few dozen months


def fen(n: int) -> Decimal:
    return Decimal(n).scaleb(-2)


@attrs.frozen
class Month:
    postings: tuple[Posting, ...]
    reversals: tuple[UUID, ...]
    bonuses: Mapping[str, Decimal]


# one case: its lines (person, amount in fen, capped, points); round amounts and bonuses make a cap that
# exactly uses up a posting common
case_lines = st.lists(
    st.tuples(
        st.sampled_from(PEOPLE),
        st.one_of(st.integers(1, 500), st.integers(1, 300_000), st.sampled_from((50_000, 80_000, 100_000))),
        st.sampled_from((True, True, True, False)),  # capped; False is a major demerit (P1-PEN-06)
        st.integers(-20, 0),
    ),
    min_size=1,
    max_size=3,
)
bonus_maps = st.dictionaries(
    st.sampled_from(PEOPLE),
    st.one_of(st.just(0), st.integers(0, 400_000), st.sampled_from((100_000, 160_000, 200_000))).map(fen),
    max_size=len(PEOPLE),
)


@st.composite
def scripts(
    draw: st.DrawFn, *, reversals: bool = True, months: int = len(MONTHS), min_cases: int = 0
) -> tuple[Month, ...]:
    counter = 0
    posted: list[UUID] = []
    out = []
    for _ in range(draw(st.integers(1, months))):
        postings = []
        for lines in draw(st.lists(case_lines, min_size=min_cases, max_size=max(3, min_cases))):
            counter += 1
            case_id = UUID(int=counter)
            posted.append(case_id)
            for i, (person, amount, capped, points) in enumerate(lines):
                postings.append(
                    Posting(
                        person_id=person,
                        case_id=case_id,
                        line_id=str(i),
                        rule_id="P1-PEN-06" if not capped else "P1-PEN-10",
                        amount=fen(amount),
                        capped=capped,
                        points=points,
                    )
                )
        undone: tuple[UUID, ...] = ()
        if reversals and posted:
            undone = tuple(draw(st.lists(st.sampled_from(posted), unique=True, max_size=2)))
            posted = [c for c in posted if c not in undone]
        out.append(Month(tuple(postings), undone, draw(bonus_maps)))
    return tuple(out)


def run(script: Sequence[Month], *, drain: bool = False) -> tuple[Ledger, list[MonthClose]]:
    ledger = Ledger()
    closes = []
    for month, step in zip(MONTHS, script, strict=False):
        ledger, _ = ledger.post(step.postings, month=month)
        for case_id in step.reversals:
            ledger, _ = ledger.reverse(case_id, month=month, reason="appeal upheld")
        ledger, result = ledger.close_month(month, bonuses=step.bonuses, cap_ratio=HALF)
        closes.append(result)
    if drain:
        month = MONTHS[len(script) - 1]
        for _ in range(100):
            if all(ledger.carried(p) == 0 for p in PEOPLE):
                break
            month = next_month(month)
            ledger, result = ledger.close_month(month, bonuses=dict.fromkeys(PEOPLE, DRAIN_BONUS), cap_ratio=HALF)
            closes.append(result)
    return ledger, closes


def next_month(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:])
    return f"{year + 1}-01" if mon == 12 else f"{year}-{mon + 1:02d}"


def totals(row: PersonMonth | None) -> tuple[Decimal, ...]:
    """The money a row decides (posted and reversed only through their difference)."""
    if row is None:
        return (ZERO,) * 7
    return (
        row.carry_in,
        row.posted - row.reversed,
        row.due,
        row.deducted,
        row.deducted_uncapped,
        row.refunded,
        row.carry_out,
    )


# ----- properties ----------------------------------------------------------------------------------
@given(scripts())
def test_conservation_deducted_minus_refunded_is_posted_minus_reversed(script: tuple[Month, ...]) -> None:
    """After enough months with positive bonuses, every fen posted and not reversed was deducted
    (net of refunds) — in total, per person, and in the entries; every row keeps its identities."""
    ledger, closes = run(script, drain=True)
    sums: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for result in closes:
        for row in result.people:
            assert row.due == row.carry_in + row.posted - row.reversed
            assert row.carry_out == row.due - row.deducted - row.deducted_uncapped + row.refunded
            assert row.refunded == (-row.due if row.due < 0 else ZERO)
            by_kind: dict[EntryKind, Decimal] = defaultdict(lambda: ZERO)
            for line in result.lines_for(row.person_id):
                by_kind[line.kind] += line.amount
            assert by_kind[EntryKind.DEDUCTED] == row.deducted + row.deducted_uncapped
            assert by_kind[EntryKind.REFUNDED] == row.refunded
            for name in ("posted", "reversed", "deducted", "deducted_uncapped", "refunded"):
                sums[row.person_id][name] += getattr(row, name)
    for person in PEOPLE:
        s = sums[person]
        assert s["deducted"] + s["deducted_uncapped"] - s["refunded"] == s["posted"] - s["reversed"]
        assert ledger.outstanding(person) == ZERO
        assert ledger.carried(person) == ZERO
        kinds: dict[EntryKind, Decimal] = defaultdict(lambda: ZERO)
        for entry in ledger.entries_for(person):
            kinds[entry.kind] += entry.amount
        assert (
            kinds[EntryKind.DEDUCTED] - kinds[EntryKind.REFUNDED] == kinds[EntryKind.POSTED] - kinds[EntryKind.REVERSED]
        )
    posted = sum((p.amount for step in script for p in step.postings), ZERO)
    assert sum(s["posted"] for s in sums.values()) == posted


@given(scripts())
def test_the_capped_deduction_never_exceeds_the_cap(script: tuple[Month, ...]) -> None:
    """P1-PEN-11: cap = 50% of the month's bonus (0 when none is given); only uncapped amounts exceed it."""
    _, closes = run(script)
    for step, result in zip(script, closes, strict=True):
        for row in result.people:
            bonus = step.bonuses.get(row.person_id, ZERO)
            assert row.cap is not None and row.cap <= bonus * HALF
            assert ZERO <= row.deducted <= row.cap


@given(scripts(reversals=False))
def test_carry_over_is_never_negative_without_reversals(script: tuple[Month, ...]) -> None:
    _, closes = run(script)
    for result in closes:
        for row in result.people:
            assert row.carry_out >= 0 and row.refunded == 0
            assert row.carry_out == row.due - row.deducted - row.deducted_uncapped


@given(scripts())
def test_closing_a_month_twice_changes_nothing(script: tuple[Month, ...]) -> None:
    ledger, closes = run(script)
    month = closes[-1].month
    again, result = ledger.close_month(month, bonuses=script[-1].bonuses, cap_ratio=HALF)
    assert again is ledger
    assert result == closes[-1]
    assert again.entries == ledger.entries


@given(scripts(reversals=False, months=1), st.data())
def test_the_order_of_a_months_postings_does_not_change_any_persons_totals(
    script: tuple[Month, ...], data: st.DataObject
) -> None:
    """P1-PEN-09: cases are summed, so posting them in any order (one at a time or in one batch) gives
    every person the same month totals, also after a first month that leaves something carried or
    deducted a case that is then reversed (its refund is set against the new postings)."""
    first = script[0]
    second = data.draw(scripts(reversals=False, months=1, min_cases=3))[0]
    shifted = [attrs.evolve(p, case_id=UUID(int=p.case_id.int + 1000)) for p in second.postings]
    # a reversal of a first-month case, now already deducted or carried, exercises offsets and refunds
    reversal = data.draw(st.sampled_from(sorted({p.case_id for p in first.postings}) or [None]))
    permuted = data.draw(st.permutations(shifted))
    one_by_one = data.draw(st.booleans())
    first_ratio = data.draw(st.sampled_from((HALF, None)))  # None: everything deducted, a reversal is all credit

    def month_two(postings: Sequence[Posting]) -> MonthClose:
        ledger, _ = Ledger().post(first.postings, month=MONTHS[0])
        ledger, _ = ledger.close_month(MONTHS[0], bonuses=first.bonuses, cap_ratio=first_ratio)
        if reversal is not None:
            ledger, _ = ledger.reverse(reversal, month=MONTHS[1], reason="appeal upheld")
        if one_by_one:
            for posting in postings:
                ledger, _ = ledger.post([posting], month=MONTHS[1])
        else:
            ledger, _ = ledger.post(postings, month=MONTHS[1])
        _, result = ledger.close_month(MONTHS[1], bonuses=second.bonuses, cap_ratio=HALF)
        return result

    base = month_two(shifted)
    other = month_two(permuted)
    assert base.people == other.people
    for person in PEOPLE:
        assert sum(e.amount for e in base.lines_for(person) if e.kind is EntryKind.DEDUCTED) == sum(
            e.amount for e in other.lines_for(person) if e.kind is EntryKind.DEDUCTED
        )


@given(scripts(reversals=False), st.data())
def test_a_reversal_before_any_close_is_as_if_the_case_was_never_posted(
    script: tuple[Month, ...], data: st.DataObject
) -> None:
    """A case overturned before any month closed is never deducted: every month's per-person totals
    (and which posting each deducted yuan is attributed to) are those of a ledger without that case."""
    cases = sorted({p.case_id for step in script for p in step.postings})
    if not cases:
        return
    gone = data.draw(st.sampled_from(cases))
    reversal_month = data.draw(st.sampled_from(MONTHS[: len(script)]))

    with_reversal = Ledger()
    without = Ledger()
    for month, step in zip(MONTHS, script, strict=False):
        with_reversal, _ = with_reversal.post(step.postings, month=month)
        kept = [p for p in step.postings if p.case_id != gone]
        without, _ = without.post(kept, month=month)
    with_reversal, _ = with_reversal.reverse(gone, month=reversal_month, reason="appeal upheld")

    for month, step in zip(MONTHS, script, strict=False):
        with_reversal, a = with_reversal.close_month(month, bonuses=step.bonuses, cap_ratio=HALF)
        without, b = without.close_month(month, bonuses=step.bonuses, cap_ratio=HALF)
        for person in PEOPLE:
            assert totals(a.person(person)) == totals(b.person(person)), (month, person)
        assert [
            (e.kind, e.person_id, e.case_id, e.line_id, e.amount) for e in a.lines if e.kind is not EntryKind.OFFSET
        ] == [(e.kind, e.person_id, e.case_id, e.line_id, e.amount) for e in b.lines]
        assert not any(e.case_id == gone for e in a.lines)
    for person in PEOPLE:
        assert with_reversal.outstanding(person) == without.outstanding(person)


# ----- carried chunks where a cap ends on a posting (P1-PEN-11) --------------------------------------
# Round amounts against caps that are multiples of 100.00, or exactly what is carried: a cap often ends exactly on a
# posting inside a chunk of three or more carried together, or on the chunk's last one.
chunk_amounts = st.sampled_from((10_000, 10_000, 10_000, 20_000, 30_000, 5_000, 1))  # fen
round_caps = st.sampled_from(tuple(fen(n * 10_000) for n in range(11)))  # 0.00, 100.00, ..., 1000.00


@attrs.frozen
class ChunkMonth:
    postings: tuple[Posting, ...]
    reversed: tuple[UUID, ...]
    """Cases reversed in the month they were posted, before its close: never deducted."""


@st.composite
def chunk_scripts(draw: st.DrawFn) -> tuple[ChunkMonth, ...]:
    """A first month of at least three postings per person (closed against a cap of 0, so they carry as one chunk),
    then months with a few more postings or, often, none."""
    counter = 0
    out = []
    for index in range(draw(st.integers(2, 6))):
        postings = []
        for person in ("li", "wang"):
            some = st.lists(st.tuples(chunk_amounts, st.integers(-3, 3)), min_size=3 if index == 0 else 1, max_size=5)
            for amount, points in draw(some if index == 0 else st.one_of(st.just([]), some)):
                counter += 1
                postings.append(
                    Posting(
                        person_id=person,
                        case_id=UUID(int=counter),
                        line_id="0",
                        rule_id="P1-PEN-11",
                        amount=fen(amount),
                        points=points,
                    )
                )
        cases = [p.case_id for p in postings]
        undone = tuple(draw(st.lists(st.sampled_from(cases), unique=True, max_size=1))) if cases else ()
        out.append(ChunkMonth(tuple(postings), undone))
    return tuple(out)


@given(chunk_scripts(), st.data())
def test_p1_pen_11_carried_chunks_deduct_each_posting_at_most_once_oldest_first(
    script: tuple[ChunkMonth, ...], data: st.DataObject
) -> None:
    """DOMAIN §7 / P1-PEN-11: whatever posting a cap ends on, per posting deducted + still carried + reversed =
    posted: no posting is deducted beyond its amount, nothing carried is negative, the ledger carries exactly what
    is left of each posting (a final close without a cap deducts precisely that), and deductions go oldest first.
    Every attribution line moves money, a row is there only for someone with something carried in or recorded in
    the month, its points are the month's net, and the entries' sequence numbers run 1, 2, 3, ... without a gap."""
    ledger = Ledger()
    month = "2026-10"
    posted: dict[UUID, Decimal] = {}
    owner: dict[UUID, str] = {}
    order: dict[UUID, int] = {}
    deducted: dict[UUID, Decimal] = defaultdict(lambda: ZERO)
    undone: set[UUID] = set()
    taken: dict[str, list[int]] = defaultdict(list)  # per person, the posting order of each deduction, as made

    def close(caps: Mapping[str, Decimal] | None, step: ChunkMonth | None = None) -> MonthClose:
        nonlocal ledger
        ratio = None if caps is None else Decimal(1)  # the cap is the bonus itself
        ledger, result = ledger.close_month(month, bonuses=caps or {}, cap_ratio=ratio)
        for line in result.lines:
            assert line.kind is EntryKind.DEDUCTED and line.amount > 0, line
            deducted[line.case_id] += line.amount
            taken[line.person_id].append(order[line.case_id])
        for row in result.people:
            assert row.carry_out >= 0 and row.carry_out == ledger.carried(row.person_id)
            assert row.carry_in > 0 or row.posted > 0, row
            kept = () if step is None else tuple(p for p in step.postings if p.case_id not in step.reversed)
            assert row.points == sum(p.points for p in kept if p.person_id == row.person_id)
        for case, amount in posted.items():
            assert deducted[case] <= (ZERO if case in undone else amount), case
        for person in ("li", "wang"):
            still = sum((posted[c] - deducted[c] for c in posted if owner[c] == person and c not in undone), ZERO)
            assert ledger.carried(person) == ledger.outstanding(person) == still
            assert taken[person] == sorted(taken[person])  # oldest first
        assert [e.seq for e in ledger.entries] == list(range(1, len(ledger.entries) + 1))
        return result

    for index, step in enumerate(script):
        month = next_month(month)
        caps = {
            person: ZERO if index == 0 else data.draw(st.one_of(round_caps, st.just(ledger.carried(person))))
            for person in ("li", "wang")
        }
        ledger, _ = ledger.post(step.postings, month=month)
        for p in step.postings:
            posted[p.case_id], owner[p.case_id], order[p.case_id] = p.amount, p.person_id, len(order)
        for case_id in step.reversed:
            ledger, _ = ledger.reverse(case_id, month=month, reason="appeal upheld")
            undone.add(case_id)
        close(caps, step)
    left = {c: posted[c] - deducted[c] for c in posted if c not in undone and deducted[c] < posted[c]}
    month = next_month(month)
    final = close(None)
    assert {line.case_id: line.amount for line in final.lines} == left
    for case, amount in posted.items():
        assert deducted[case] == (ZERO if case in undone else amount)
