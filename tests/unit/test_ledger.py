"""DOMAIN §7: the monthly deduction ledger (P1-PEN-06 major demerit uncapped, P1-PEN-09 cases summed,
P1-PEN-11 50% cap with carry-over), reversals on appeal, and the ledger's own rules (LEDGER-*)."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

import attrs
import pytest

from complaint_core.errors import DomainError, MoneyError, NotFound
from complaint_core.ledger import EntryKind, Ledger, LedgerEntry, LedgerError, MonthClose, PersonMonth, Posting

D = Decimal
HALF = D("0.5")
A, B, C = UUID(int=0xA), UUID(int=0xB), UUID(int=0xC)


def posting(
    person: str,
    case: UUID,
    amount: str,
    *,
    line: str = "0",
    rule: str = "P1-PEN-10",
    capped: bool = True,
    points: int = 0,
) -> Posting:
    return Posting(
        person_id=person, case_id=case, line_id=line, rule_id=rule, amount=D(amount), capped=capped, points=points
    )


def close(ledger: Ledger, month: str, bonus: str | None = "1600", person: str = "wang") -> tuple[Ledger, PersonMonth]:
    bonuses = {} if bonus is None else {person: D(bonus)}
    ledger, result = ledger.close_month(month, bonuses=bonuses, cap_ratio=HALF)
    row = result.person(person)
    assert row is not None
    check_row(row)
    return ledger, row


def check_row(row: PersonMonth) -> None:
    """The identities every row keeps, whatever happened."""
    assert row.due == row.carry_in + row.posted - row.reversed
    assert row.carry_out == row.due - row.deducted - row.deducted_uncapped + row.refunded
    assert row.carry_out >= 0 and row.refunded >= 0 and row.deducted >= 0 and row.deducted_uncapped >= 0
    if row.cap is not None:
        assert row.deducted <= row.cap
    for amount in (row.carry_in, row.posted, row.reversed, row.due, row.deducted, row.refunded, row.carry_out):
        assert amount.as_tuple().exponent == -2


def lines(result: MonthClose, kind: EntryKind) -> list[tuple[str, UUID, str, Decimal]]:
    return [(e.person_id, e.case_id, e.line_id, e.amount) for e in result.lines if e.kind is kind]


# ----- P1-PEN-11: the 50% cap with carry-over ------------------------------------------------------
def test_p1_pen_11_1900_against_a_cap_of_800_is_deducted_800_800_300() -> None:
    """P1-PEN-11: 1900 against a cap of 800 (50% of a 1600 bonus) → 800, 800, 300 over three months."""
    ledger, (entry,) = Ledger().post([posting("wang", A, "1900")], month="2026-10")
    assert (entry.kind, entry.amount, entry.month, entry.seq) == (EntryKind.POSTED, D("1900.00"), "2026-10", 1)
    deducted, carried = [], []
    for month in ("2026-10", "2026-11", "2026-12"):
        ledger, row = close(ledger, month)
        assert row.cap == D("800.00")
        deducted.append(row.deducted)
        carried.append(row.carry_out)
    assert deducted == [D("800.00"), D("800.00"), D("300.00")]
    assert carried == [D("1100.00"), D("300.00"), D("0.00")]
    assert ledger.outstanding("wang") == D("0.00")
    assert ledger.closed_months == ("2026-10", "2026-11", "2026-12")
    # every deducted yuan names the case, the line and the rule it came from
    deductions = [e for e in ledger.entries_for("wang") if e.kind is EntryKind.DEDUCTED]
    assert [(e.month, e.case_id, e.rule_id, e.amount) for e in deductions] == [
        ("2026-10", A, "P1-PEN-10", D("800.00")),
        ("2026-11", A, "P1-PEN-10", D("800.00")),
        ("2026-12", A, "P1-PEN-10", D("300.00")),
    ]


def test_p1_pen_11_carry_in_is_reported_and_outstanding_tracks_it() -> None:
    ledger, _ = Ledger().post([posting("wang", A, "1900")], month="2026-10")
    assert ledger.outstanding("wang") == D("1900.00")
    ledger, _ = close(ledger, "2026-10")
    assert ledger.outstanding("wang") == ledger.carried("wang") == D("1100.00")
    ledger, row = close(ledger, "2026-11")
    assert (row.carry_in, row.posted, row.due) == (D("1100.00"), D("0.00"), D("1100.00"))


def test_p1_pen_11_exactly_half_the_bonus_is_deducted_in_full() -> None:
    """P1-PEN-11: a due of exactly 50% of the bonus fits the cap; one fen more carries."""
    ledger, _ = Ledger().post([posting("wang", A, "800.00")], month="2026-10")
    _, row = close(ledger, "2026-10", bonus="1600.00")
    assert (row.deducted, row.carry_out) == (D("800.00"), D("0.00"))

    ledger, _ = Ledger().post([posting("wang", A, "800.01")], month="2026-10")
    _, row = close(ledger, "2026-10", bonus="1600.00")
    assert (row.deducted, row.carry_out) == (D("800.00"), D("0.01"))


def test_p1_pen_11_a_cap_with_half_a_fen_is_rounded_down() -> None:
    """P1-PEN-11: 50% of 1600.01 is 800.005; the cap is a maximum, so it is 800.00, never more."""
    ledger, _ = Ledger().post([posting("wang", A, "900")], month="2026-10")
    _, row = close(ledger, "2026-10", bonus="1600.01")
    assert (row.cap, row.deducted, row.carry_out) == (D("800.00"), D("800.00"), D("100.00"))


def test_p1_pen_11_the_cap_is_floor_of_ratio_times_bonus_exactly() -> None:
    """P1-PEN-11: ratio × bonus has 35 digits here; rounded to 28 first, it came out a whole fen above the exact
    99999999999999.989999..., so the cap exceeded the ratio of the bonus."""
    bonus_fen = 10**17 - 1  # the largest bonus an amount can hold
    ratio_fen = (-pow(bonus_fen, -1, 10**18)) % 10**18  # ratio × bonus falls just below a whole fen
    ratio = D(ratio_fen).scaleb(-18)
    expected = D(bonus_fen * ratio_fen // 10**18).scaleb(-2)
    ledger, _ = Ledger().post([posting("wang", A, "999999999999999.99")], month="2026-10")
    ledger, result = ledger.close_month("2026-10", bonuses={"wang": D(bonus_fen).scaleb(-2)}, cap_ratio=ratio)
    (row,) = result.people
    assert row.cap == expected == D("99999999999999.99")
    assert row.deducted == expected


def test_a_cap_ratio_finer_than_18_places_is_refused() -> None:
    with pytest.raises(MoneyError, match="18 decimal places") as error:
        Ledger().close_month("2026-10", bonuses={}, cap_ratio=D("0.5000000000000000000000000000001"))
    assert error.value.rule == "P1-PEN-11"


@pytest.mark.parametrize("bonus", ["0", None])
def test_p1_pen_11_zero_or_missing_bonus_carries_everything(bonus: str | None) -> None:
    """P1-PEN-11: no bonus this month → a cap of 0 → every capped yuan carries to the next month."""
    ledger, _ = Ledger().post([posting("wang", A, "1900")], month="2026-10")
    ledger, row = close(ledger, "2026-10", bonus=bonus)
    assert (row.cap, row.deducted, row.carry_out) == (D("0.00"), D("0.00"), D("1900.00"))
    assert row.bonus == (None if bonus is None else D("0.00"))
    ledger, row = close(ledger, "2026-11", bonus="4000")
    assert (row.carry_in, row.deducted, row.carry_out) == (D("1900.00"), D("1900.00"), D("0.00"))


def test_no_cap_ratio_deducts_everything_due() -> None:
    ledger, _ = Ledger().post([posting("wang", A, "1900")], month="2026-10")
    ledger, result = ledger.close_month("2026-10", bonuses={}, cap_ratio=None)
    (row,) = result.people
    assert (row.cap, row.deducted, row.carry_out) == (None, D("1900.00"), D("0.00"))


# ----- P1-PEN-06: a major demerit is not capped ----------------------------------------------------
def test_p1_pen_06_major_demerit_is_deducted_in_full_and_does_not_use_the_cap() -> None:
    """P1-PEN-06: a major demerit (大过) takes the whole month's bonus, outside the 50% cap; the capped
    penalties still get their full 800 of room."""
    ledger, _ = Ledger().post(
        [
            posting("wang", A, "1000.00", rule="P1-PEN-10"),
            posting("wang", B, "1600.00", rule="P1-PEN-06", capped=False),
        ],
        month="2026-10",
    )
    ledger, row = close(ledger, "2026-10", bonus="1600")
    assert (row.deducted_uncapped, row.deducted, row.carry_out) == (D("1600.00"), D("800.00"), D("200.00"))
    assert row.deducted_total == D("2400.00")
    result = ledger.month_close("2026-10")
    assert lines(result, EntryKind.DEDUCTED) == [
        ("wang", A, "0", D("800.00")),
        ("wang", B, "0", D("1600.00")),
    ]
    assert [e.capped for e in result.lines] == [True, False]


def test_p1_pen_06_major_demerit_is_deducted_even_with_a_zero_bonus() -> None:
    ledger, _ = Ledger().post([posting("wang", B, "1600", rule="P1-PEN-06", capped=False)], month="2026-10")
    ledger, row = close(ledger, "2026-10", bonus="0")
    assert (row.deducted_uncapped, row.deducted, row.carry_out) == (D("1600.00"), D("0.00"), D("0.00"))


# ----- P1-PEN-09: cases are assessed separately and summed -----------------------------------------
def test_p1_pen_09_cases_are_posted_separately_summed_and_deducted_oldest_first() -> None:
    """P1-PEN-09: two cases for one person are two postings; the month sums them (600 + 700 = 1300 due),
    and the 800 deducted is attributed oldest first: 600 to case A, 200 to case B, B's 500 carries."""
    ledger, _ = Ledger().post([posting("wang", A, "600", rule="P1-PEN-04")], month="2026-10")
    ledger, _ = ledger.post([posting("wang", B, "700", rule="P1-PEN-10")], month="2026-10")
    ledger, row = close(ledger, "2026-10")
    assert (row.posted, row.due, row.deducted, row.carry_out) == (
        D("1300.00"),
        D("1300.00"),
        D("800.00"),
        D("500.00"),
    )
    first = ledger.month_close("2026-10")
    assert [(e.case_id, e.rule_id, e.amount) for e in first.lines] == [
        (A, "P1-PEN-04", D("600.00")),
        (B, "P1-PEN-10", D("200.00")),
    ]
    ledger, row = close(ledger, "2026-11")
    assert lines(ledger.month_close("2026-11"), EntryKind.DEDUCTED) == [("wang", B, "0", D("500.00"))]


def test_p1_pen_09_several_people_and_lines_of_one_case() -> None:
    ledger, entries = Ledger().post(
        [posting("wang", A, "500", line="0", points=-2), posting("li", A, "300", line="1", points=-5)],
        month="2026-10",
    )
    assert [e.seq for e in entries] == [1, 2]
    ledger, result = ledger.close_month("2026-10", bonuses={"wang": D("600"), "li": D("2000")}, cap_ratio=HALF)
    assert [r.person_id for r in result.people] == ["li", "wang"]
    li, wang = result.people
    assert (li.deducted, li.carry_out, li.points) == (D("300.00"), D("0.00"), -5)
    assert (wang.deducted, wang.carry_out, wang.points) == (D("300.00"), D("200.00"), -2)
    assert result.person("zhao") is None


# ----- reversals on appeal -------------------------------------------------------------------------
def test_reversal_before_any_deduction_means_nothing_is_deducted() -> None:
    """A successful appeal before the month closes: the reversing entry cancels the posting; nothing
    is edited or deleted, and nothing is deducted."""
    ledger, _ = Ledger().post([posting("wang", A, "1900"), posting("wang", B, "100")], month="2026-10")
    ledger, (rev,) = ledger.reverse(A, month="2026-10", reason="appeal upheld")
    assert (rev.kind, rev.amount, rev.case_id, rev.note) == (EntryKind.REVERSED, D("1900.00"), A, "appeal upheld")
    assert ledger.outstanding("wang") == D("100.00")
    ledger, row = close(ledger, "2026-10")
    assert (row.posted, row.reversed, row.due, row.deducted, row.carry_out) == (
        D("2000.00"),
        D("1900.00"),
        D("100.00"),
        D("100.00"),
        D("0.00"),
    )
    kinds = [e.kind for e in ledger.entries_for("wang")]
    assert kinds == [EntryKind.POSTED, EntryKind.POSTED, EntryKind.REVERSED, EntryKind.DEDUCTED]


def test_reversal_into_a_later_month_of_a_line_whose_month_is_still_open_is_recorded_in_that_month() -> None:
    """An overturned penalty is never deducted: its month is still open, so the reversal goes there."""
    ledger, _ = Ledger().post([posting("wang", A, "500")], month="2026-10")
    ledger, (rev,) = ledger.reverse(A, month="2026-11", reason="appeal upheld")
    assert rev.month == "2026-10"
    ledger, row = close(ledger, "2026-10")
    assert (row.reversed, row.deducted, row.carry_out) == (D("500.00"), D("0.00"), D("0.00"))


def test_reversal_after_deductions_drops_the_carry_and_refunds_what_was_deducted() -> None:
    """1900 against a cap of 800: 800 deducted in October, 1100 carried; the appeal succeeds in
    November: the 1100 is never deducted and the 800 comes back as a refund (not capped)."""
    ledger, _ = Ledger().post([posting("wang", A, "1900")], month="2026-10")
    ledger, _ = close(ledger, "2026-10")
    ledger, (rev,) = ledger.reverse(A, month="2026-11", reason="appeal upheld")
    assert (rev.month, rev.amount) == ("2026-11", D("1900.00"))
    assert ledger.outstanding("wang") == D("-800.00")  # a refund is owed at November's close
    ledger, row = close(ledger, "2026-11", bonus="0")
    assert (row.carry_in, row.reversed, row.due, row.refunded, row.deducted, row.carry_out) == (
        D("1100.00"),
        D("1900.00"),
        D("-800.00"),
        D("800.00"),
        D("0.00"),
        D("0.00"),
    )
    assert lines(ledger.month_close("2026-11"), EntryKind.REFUNDED) == [("wang", A, "0", D("800.00"))]
    assert ledger.outstanding("wang") == D("0.00")
    ledger, _ = ledger.close_month("2026-12", bonuses={}, cap_ratio=HALF)
    assert ledger.month_close("2026-12").people == ()


def test_reversal_decided_after_a_month_left_open_lands_in_that_month() -> None:
    """October closed (800 deducted, 1100 carried); November's payroll is still open when the appeal succeeds in
    December: the reversal lands in November, so November does not deduct another 800 of an overturned penalty
    only to refund it a month later."""
    ledger, _ = Ledger().post([posting("wang", A, "1900")], month="2026-10")
    ledger, _ = close(ledger, "2026-10")
    assert ledger.earliest_open("2026-12") == "2026-11" and ledger.earliest_open("2026-11") == "2026-11"
    _, (as_asked,) = ledger.reverse(A, month="2026-12", reason="appeal upheld")
    assert as_asked.month == "2026-12"  # reverse() records the month it is given: stored ops replay unchanged
    ledger, (rev,) = ledger.reverse(A, month=ledger.earliest_open("2026-12"), reason="appeal upheld")
    assert rev.month == "2026-11"
    ledger, row = close(ledger, "2026-11")
    assert (row.carry_in, row.reversed, row.deducted, row.refunded, row.carry_out) == (
        D("1100.00"),
        D("1900.00"),
        D("0.00"),
        D("800.00"),
        D("0.00"),
    )
    assert ledger.outstanding("wang") == D("0.00")


def test_reversal_after_deductions_is_set_against_other_open_amounts_first() -> None:
    """Case A (800) was deducted in October; case B (500) is posted in November; A's appeal succeeds
    in November. due = 0 + 500 - 800 = -300: B's 500 is settled against the 800 owed back (an offset,
    no payslip movement) and 300 is refunded."""
    ledger, _ = Ledger().post([posting("wang", A, "800")], month="2026-10")
    ledger, _ = close(ledger, "2026-10")
    ledger, _ = ledger.post([posting("wang", B, "500")], month="2026-11")
    ledger, _ = ledger.reverse(A, month="2026-11", reason="appeal upheld")
    ledger, row = close(ledger, "2026-11")
    assert (row.due, row.deducted, row.refunded, row.carry_out) == (
        D("-300.00"),
        D("0.00"),
        D("300.00"),
        D("0.00"),
    )
    result = ledger.month_close("2026-11")
    assert lines(result, EntryKind.OFFSET) == [("wang", B, "0", D("500.00"))]
    assert lines(result, EntryKind.REFUNDED) == [("wang", A, "0", D("300.00"))]


def test_a_partial_refund_owed_reduces_what_is_deducted_under_the_cap() -> None:
    """A (300) deducted in October, reversed in November while B (1000) is due: due = 700 → 700 is
    within the 800 cap: 300 of B is offset, 700 deducted, nothing refunded."""
    ledger, _ = Ledger().post([posting("wang", A, "300")], month="2026-10")
    ledger, _ = close(ledger, "2026-10")
    ledger, _ = ledger.post([posting("wang", B, "1000")], month="2026-11")
    ledger, _ = ledger.reverse(A, month="2026-11", reason="appeal upheld")
    ledger, row = close(ledger, "2026-11")
    assert (row.due, row.deducted, row.refunded, row.carry_out) == (D("700.00"), D("700.00"), D("0.00"), D("0.00"))


def test_a_refund_owed_is_set_against_capped_amounts_before_uncapped_ones() -> None:
    """The credit from a reversed, already deducted case settles capped amounts first (they would wait
    for the cap), then uncapped ones (P1-PEN-06), whatever order they were posted in: A (500) deducted in
    October; November brings B (major demerit, 300) and C (capped, 300); A is reversed: C is settled in
    full, 200 of B, and the remaining 100 of B is deducted."""
    for order in ((B, C), (C, B)):
        ledger, _ = Ledger().post([posting("wang", A, "500")], month="2026-10")
        ledger, _ = ledger.close_month("2026-10", bonuses={}, cap_ratio=None)
        new = {B: posting("wang", B, "300", rule="P1-PEN-06", capped=False), C: posting("wang", C, "300")}
        ledger, _ = ledger.post([new[case] for case in order], month="2026-11")
        ledger, _ = ledger.reverse(A, month="2026-11", reason="appeal upheld")
        ledger, row = close(ledger, "2026-11")
        assert (row.due, row.deducted, row.deducted_uncapped, row.refunded) == (
            D("100.00"),
            D("0.00"),
            D("100.00"),
            D("0.00"),
        )
        result = ledger.month_close("2026-11")
        assert lines(result, EntryKind.OFFSET) == [("wang", C, "0", D("300.00")), ("wang", B, "0", D("200.00"))]
        assert lines(result, EntryKind.DEDUCTED) == [("wang", B, "0", D("100.00"))]


def test_reversing_nothing_or_twice_is_refused() -> None:
    ledger, _ = Ledger().post([posting("wang", A, "100")], month="2026-10")
    with pytest.raises(LedgerError) as refused:
        ledger.reverse(B, month="2026-10", reason="appeal upheld")
    assert refused.value.rule == "LEDGER-REVERSE"
    ledger, _ = ledger.reverse(A, month="2026-10", reason="appeal upheld")
    with pytest.raises(LedgerError) as twice:
        ledger.reverse(A, month="2026-10", reason="again")
    assert twice.value.rule == "LEDGER-REVERSE"
    with pytest.raises(LedgerError) as repost:
        ledger.post([posting("wang", A, "100", line="1")], month="2026-10")
    assert repost.value.rule == "LEDGER-REVERSE"
    with pytest.raises(LedgerError) as no_reason:
        Ledger().post([posting("wang", C, "1")], month="2026-10")[0].reverse(C, month="2026-10", reason=" ")
    assert no_reason.value.rule == "LEDGER-REVERSE"


def test_reversing_into_a_closed_month_is_refused() -> None:
    ledger, _ = Ledger().post([posting("wang", A, "100")], month="2026-10")
    ledger, _ = close(ledger, "2026-10")
    with pytest.raises(LedgerError) as refused:
        ledger.reverse(A, month="2026-10", reason="appeal upheld")
    assert refused.value.rule == "LEDGER-CLOSED"


# ----- closing: idempotent, in order ----------------------------------------------------------------
def test_closing_a_closed_month_again_changes_nothing() -> None:
    ledger, _ = Ledger().post([posting("wang", A, "1900")], month="2026-10")
    ledger, first = ledger.close_month("2026-10", bonuses={"wang": D("1600")}, cap_ratio=HALF)
    again, second = ledger.close_month("2026-10", bonuses={"wang": D("1600.00")}, cap_ratio=D("0.50"))
    assert again is ledger
    assert second == first
    assert len(ledger.entries) == 2
    # a bonus left out, or given as 0, gives the same cap of 0: the same close
    ledger, _ = Ledger().post([posting("wang", A, "100"), posting("li", B, "100")], month="2026-10")
    ledger, first = ledger.close_month("2026-10", bonuses={"wang": D("1000")}, cap_ratio=HALF)
    again, second = ledger.close_month("2026-10", bonuses={"wang": D("1000"), "li": D("0")}, cap_ratio=HALF)
    assert (again, second) == (ledger, first)


def test_closing_a_closed_month_with_other_inputs_is_refused() -> None:
    ledger, _ = Ledger().post([posting("wang", A, "1900")], month="2026-10")
    ledger, _ = ledger.close_month("2026-10", bonuses={"wang": D("1600")}, cap_ratio=HALF)
    with pytest.raises(LedgerError) as bonus:
        ledger.close_month("2026-10", bonuses={"wang": D("2000")}, cap_ratio=HALF)
    assert bonus.value.rule == "LEDGER-CLOSED"
    with pytest.raises(LedgerError) as ratio:
        ledger.close_month("2026-10", bonuses={"wang": D("1600")}, cap_ratio=None)
    assert ratio.value.rule == "LEDGER-CLOSED"


def test_closing_out_of_order_is_refused() -> None:
    """Months close in order: 2026-12 after 2026-10 skips November."""
    ledger, _ = Ledger().close_month("2026-10", bonuses={}, cap_ratio=HALF)
    with pytest.raises(LedgerError) as skipped:
        ledger.close_month("2026-12", bonuses={}, cap_ratio=HALF)
    assert skipped.value.rule == "LEDGER-ORDER"
    with pytest.raises(LedgerError) as backwards:
        ledger.close_month("2026-09", bonuses={}, cap_ratio=HALF)
    assert backwards.value.rule == "LEDGER-ORDER"
    ledger, _ = ledger.close_month("2026-11", bonuses={}, cap_ratio=HALF)
    assert ledger.closed_months == ("2026-10", "2026-11")


def test_the_first_close_cannot_skip_a_month_with_postings() -> None:
    ledger, _ = Ledger().post([posting("wang", A, "100")], month="2026-09")
    with pytest.raises(LedgerError) as refused:
        ledger.close_month("2026-10", bonuses={}, cap_ratio=HALF)
    assert refused.value.rule == "LEDGER-ORDER"
    ledger, _ = ledger.close_month("2026-08", bonuses={}, cap_ratio=HALF)  # an earlier, empty month is fine
    assert ledger.closed_months == ("2026-08",)


def test_p1_pen_11_a_long_carry_is_deducted_oldest_first() -> None:
    """P1-PEN-11: thirty months of postings against a zero bonus all carry, in order; a month without a cap
    then deducts them oldest first, and a partial cap takes the oldest yuan first."""
    ledger = Ledger()
    months = [f"{2024 + i // 12}-{i % 12 + 1:02d}" for i in range(32)]
    for i, month in enumerate(months[:30]):
        ledger, _ = ledger.post([posting("wang", UUID(int=100 + i), f"{100 + i}")], month=month)
        ledger, row = close(ledger, month, bonus="0")
        assert row.carry_out == sum(D(100 + k) for k in range(i + 1))
    ledger, row = close(ledger, months[30], bonus="410")  # cap 205: 100 from the first month, 101 + 4 of the next
    assert (row.deducted, row.carry_out) == (D("205.00"), D(sum(range(100, 130))) - 205)
    assert lines(ledger.month_close(months[30]), EntryKind.DEDUCTED) == [
        ("wang", UUID(int=100), "0", D("100.00")),
        ("wang", UUID(int=101), "0", D("101.00")),
        ("wang", UUID(int=102), "0", D("4.00")),
    ]
    ledger, result = ledger.close_month(months[31], bonuses={}, cap_ratio=None)
    deducted = lines(result, EntryKind.DEDUCTED)
    assert deducted[0] == ("wang", UUID(int=102), "0", D("98.00"))
    assert [case for _, case, _, _ in deducted] == [UUID(int=100 + k) for k in range(2, 30)]
    assert ledger.outstanding("wang") == ledger.carried("wang") == D("0.00")


def test_p1_pen_11_a_cap_that_exactly_uses_up_a_carried_posting_carries_the_next_one() -> None:
    ledger, _ = Ledger().post([posting("wang", A, "500"), posting("wang", B, "300")], month="2026-10")
    ledger, _ = close(ledger, "2026-10", bonus="0")
    ledger, row = close(ledger, "2026-11", bonus="1000")
    assert (row.deducted, row.carry_out) == (D("500.00"), D("300.00"))
    ledger, row = close(ledger, "2026-12", bonus="1000")
    assert (row.deducted, row.carry_out) == (D("300.00"), D("0.00"))
    assert lines(ledger.month_close("2026-12"), EntryKind.DEDUCTED) == [("wang", B, "0", D("300.00"))]


def test_months_roll_over_the_year() -> None:
    ledger, _ = Ledger().post([posting("wang", A, "1900")], month="2026-12")
    ledger, _ = close(ledger, "2026-12")
    ledger, row = close(ledger, "2027-01")
    assert (row.carry_in, row.deducted) == (D("1100.00"), D("800.00"))


def test_postings_into_a_future_month_wait_for_that_month() -> None:
    ledger, _ = Ledger().post([posting("wang", A, "100")], month="2026-10")
    ledger, _ = ledger.post([posting("wang", B, "200")], month="2026-11")
    ledger, row = close(ledger, "2026-10")
    assert (row.posted, row.deducted) == (D("100.00"), D("100.00"))
    assert ledger.outstanding("wang") == D("200.00")
    ledger, row = close(ledger, "2026-11")
    assert (row.posted, row.deducted) == (D("200.00"), D("200.00"))


# ----- refusals ------------------------------------------------------------------------------------
def test_posting_into_a_closed_month_is_refused() -> None:
    ledger, _ = Ledger().close_month("2026-10", bonuses={}, cap_ratio=HALF)
    for month in ("2026-10", "2026-09"):
        with pytest.raises(LedgerError) as refused:
            ledger.post([posting("wang", A, "100")], month=month)
        assert refused.value.rule == "LEDGER-CLOSED"
    ledger, _ = ledger.post([posting("wang", A, "100")], month="2026-11")


def test_a_duplicate_posting_is_refused() -> None:
    ledger, _ = Ledger().post([posting("wang", A, "100")], month="2026-10")
    for batch, month in (
        ([posting("wang", A, "100")], "2026-10"),
        ([posting("wang", A, "200")], "2026-11"),  # the same line in another month is still the same line
        ([posting("li", B, "1"), posting("li", B, "2")], "2026-10"),  # twice in one batch
    ):
        with pytest.raises(LedgerError) as refused:
            ledger.post(batch, month=month)
        assert refused.value.rule == "LEDGER-DUPLICATE"
    # the same line for another person, or another line of the case, is not a duplicate
    ledger, entries = ledger.post([posting("li", A, "100"), posting("wang", A, "100", line="1")], month="2026-10")
    assert len(entries) == 2


@pytest.mark.parametrize("amount", [D("0"), D("-5"), D("1.005"), 1.5, D("1000000000000000.00")])
def test_a_non_positive_or_sub_fen_amount_is_refused(amount: object) -> None:
    bad = Posting(person_id="wang", case_id=A, line_id="0", rule_id="P1-PEN-10", amount=amount)  # type: ignore[arg-type]
    with pytest.raises(MoneyError) as refused:
        Ledger().post([bad], month="2026-10")
    assert refused.value.rule == "MONEY"


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "26-10", "2026/10", "2026-00"])
def test_a_malformed_month_is_refused(month: str) -> None:
    with pytest.raises(LedgerError) as refused:
        Ledger().post([posting("wang", A, "1")], month=month)
    assert refused.value.rule == "LEDGER-MONTH"


def test_bad_cap_ratio_or_bonus_is_refused() -> None:
    with pytest.raises(MoneyError) as ratio:
        Ledger().close_month("2026-10", bonuses={}, cap_ratio=D("1.5"))
    assert ratio.value.rule == "P1-PEN-11"
    with pytest.raises(MoneyError) as bonus:
        Ledger().close_month("2026-10", bonuses={"wang": D("-1")}, cap_ratio=HALF)
    assert bonus.value.rule == "MONEY"


def test_errors_leave_the_ledger_unchanged() -> None:
    """A refused command changes nothing: a batch with one bad posting posts none of it."""
    ledger, _ = Ledger().post([posting("wang", A, "1900")], month="2026-10")
    ledger, _ = close(ledger, "2026-10")
    before = (ledger.entries, ledger.outstanding("wang"), ledger.closed_months, ledger.carried("wang"), repr(ledger))
    refusals = [
        lambda: ledger.post([posting("wang", B, "100"), posting("wang", B, "0", line="1")], month="2026-11"),
        lambda: ledger.post([posting("wang", B, "100"), posting("wang", A, "5")], month="2026-11"),
        lambda: ledger.post([posting("wang", B, "100")], month="2026-10"),
        lambda: ledger.reverse(C, month="2026-11", reason="appeal"),
        lambda: ledger.reverse(A, month="2026-10", reason="appeal"),
        lambda: ledger.close_month("2026-12", bonuses={}, cap_ratio=HALF),
        lambda: ledger.close_month("2026-11", bonuses={"wang": D("0.001")}, cap_ratio=HALF),
    ]
    for refuse in refusals:
        with pytest.raises(DomainError):
            refuse()
        assert (
            ledger.entries,
            ledger.outstanding("wang"),
            ledger.closed_months,
            ledger.carried("wang"),
            repr(ledger),
        ) == before
    # and the ledger still works as if nothing had been tried
    ledger, row = close(ledger, "2026-11")
    assert (row.carry_in, row.deducted, row.carry_out) == (D("1100.00"), D("800.00"), D("300.00"))


# ----- queries -------------------------------------------------------------------------------------
def test_queries() -> None:
    ledger = Ledger()
    assert (ledger.entries, ledger.entries_for("wang"), ledger.closed_months) == ((), (), ())
    assert ledger.outstanding("wang") == D("0.00")
    ledger, _ = ledger.post([posting("wang", A, "100"), posting("li", B, "50")], month="2026-10")
    ledger, _ = ledger.close_month("2026-10", bonuses={"wang": D("1000"), "li": D("1000")}, cap_ratio=HALF)
    entries = ledger.entries
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert all(isinstance(e, LedgerEntry) for e in entries)
    assert [e.kind for e in ledger.entries_for("li")] == [EntryKind.POSTED, EntryKind.DEDUCTED]
    assert ledger.is_open("2026-11") and not ledger.is_open("2026-10")
    ledger, _ = ledger.post([posting("wang", C, "7")], month="2026-11")
    assert [e.seq for e in ledger.entries_in("2026-10")] == [e.seq for e in entries]
    assert [(e.kind, e.case_id) for e in ledger.entries_in("2026-11")] == [(EntryKind.POSTED, C)]
    assert ledger.entries_in("2026-12") == ()
    with pytest.raises(NotFound):
        ledger.month_close("2026-11")
    assert "closed_through='2026-10'" in repr(ledger)


# ----- P1-PEN-11: where a cap ends inside a carried chunk ---------------------------------------------
def test_p1_pen_11_a_cap_ending_on_a_middle_carried_posting_carries_only_the_ones_after_it() -> None:
    """DOMAIN §7 / P1-PEN-11: three capped postings of 100 carried together; a cap of 200 ends exactly on the middle
    one, so only the third carries, and the next month deducts it alone: nothing is deducted twice."""
    a, b, c = UUID(int=1), UUID(int=2), UUID(int=3)
    bonus = {"p": D("1000.00")}
    ledger, _ = Ledger().post([posting("p", case, "100.00") for case in (a, b, c)], month="2024-01")
    ledger, jan = ledger.close_month("2024-01", bonuses=bonus, cap_ratio=D("0"))
    ledger, feb = ledger.close_month("2024-02", bonuses=bonus, cap_ratio=D("0.2"))
    assert lines(feb, EntryKind.DEDUCTED) == [("p", a, "0", D("100.00")), ("p", b, "0", D("100.00"))]
    assert ledger.carried("p") == D("100.00")
    ledger, mar = ledger.close_month("2024-03", bonuses=bonus, cap_ratio=D("1"))
    assert lines(mar, EntryKind.DEDUCTED) == [("p", c, "0", D("100.00"))]
    for result in (jan, feb, mar):
        (row,) = result.people
        check_row(row)
    (row,) = mar.people
    assert (row.carry_in, row.deducted, row.carry_out) == (D("100.00"), D("100.00"), D("0.00"))
    assert ledger.carried("p") == ledger.outstanding("p") == D("0.00")


def test_p1_pen_11_caps_ending_on_carried_postings_keep_the_entry_sequence_gapless() -> None:
    """P1-PEN-11: 900 + 100 against caps of 500, 400, 100 → 500, 400, 100; each deduction of a carried posting
    gets the next sequence number (LedgerEntry: ``seq`` is global and strictly increasing)."""
    ledger, _ = Ledger().post([posting("p", A, "900.00"), posting("p", B, "100.00")], month="2024-01")
    bonus = {"p": D("1000.00")}
    deducted = []
    for month, ratio in (("2024-01", "0.5"), ("2024-02", "0.4"), ("2024-03", "0.1")):
        ledger, result = ledger.close_month(month, bonuses=bonus, cap_ratio=D(ratio))
        deducted.append(lines(result, EntryKind.DEDUCTED))
    assert deducted == [[("p", A, "0", D("500.00"))], [("p", A, "0", D("400.00"))], [("p", B, "0", D("100.00"))]]
    assert [e.seq for e in ledger.entries] == [1, 2, 3, 4, 5]
    assert [e.seq for e in ledger.entries_for("p")] == [1, 2, 3, 4, 5]


def test_p1_pen_11_a_carry_used_up_exactly_at_its_last_posting_leaves_nothing_to_carry() -> None:
    """P1-PEN-11: 500 + 300 carried, then a cap of 800 takes both exactly: nothing is carried, so the month after
    has no row for the person at all (an empty carry is no carry)."""
    ledger, _ = Ledger().post([posting("wang", A, "500"), posting("wang", B, "300")], month="2026-10")
    ledger, _ = close(ledger, "2026-10", bonus="0")
    ledger, row = close(ledger, "2026-11", bonus="1600")
    assert (row.carry_in, row.deducted, row.carry_out) == (D("800.00"), D("800.00"), D("0.00"))
    assert ledger.carried("wang") == D("0.00")
    ledger, result = ledger.close_month("2026-12", bonuses={"wang": D("1600")}, cap_ratio=HALF)
    assert result.people == () and result.lines == ()
    assert ledger.carried("wang") == ledger.outstanding("wang") == D("0.00")


def test_points_of_a_posting_reversed_in_its_own_month_net_to_zero() -> None:
    """PersonMonth.points is the net of the points posted and reversed in the month: an appeal upheld before the
    close takes the points back with the money."""
    ledger, _ = Ledger().post([posting("wang", A, "100.00", points=10)], month="2026-10")
    ledger, _ = ledger.reverse(A, month="2026-10", reason="appeal upheld")
    ledger, row = close(ledger, "2026-10")
    assert (row.posted, row.reversed, row.deducted, row.points) == (D("100.00"), D("100.00"), D("0.00"), 0)
    both = [posting("wang", A, "100.00", points=10), posting("wang", B, "50", points=3)]
    ledger, _ = Ledger().post(both, month="2026-10")
    ledger, _ = ledger.reverse(B, month="2026-10", reason="appeal upheld")
    _, row = close(ledger, "2026-10")
    assert row.points == 10


def test_month_close_person_finds_every_row_and_only_those() -> None:
    """MonthClose.person is a binary search over the rows sorted by person id: it must find each of seven."""
    people = [f"p{i:02d}" for i in range(7)]
    ledger, _ = Ledger().post([posting(p, UUID(int=10 + i), "1.00") for i, p in enumerate(people)], month="2026-10")
    _, result = ledger.close_month("2026-10", bonuses={}, cap_ratio=None)
    assert [r.person_id for r in result.people] == people
    for row in result.people:
        assert result.person(row.person_id) is row
    for unknown in ("", "a", "p", "p00a", "p03a", "p07", "q"):
        assert result.person(unknown) is None


# ----- the ledger's own guards (LEDGER-POSTING, LEDGER-MONTH, P1-PEN-11's ratio) -------------------
def bad(**change: object) -> Posting:
    """A good posting with fields replaced: ``Posting`` itself checks nothing, so the ledger must."""
    return attrs.evolve(posting("wang", A, "100"), **change)


@pytest.mark.parametrize(
    ("second", "field"),
    [
        ({"person_id": " "}, "person_id"),
        ({"person_id": 7}, "person_id"),
        ({"line_id": ""}, "line_id"),
        ({"rule_id": None}, "rule_id"),
        ({"case_id": str(B)}, "case_id"),
        ({"points": True}, "points"),
        ({"points": 1.5}, "points"),
    ],
)
def test_a_malformed_posting_is_refused_by_index_and_field(second: dict[str, object], field: str) -> None:
    """The batch is refused as a whole; the error names the posting's place in it and the field."""
    with pytest.raises(LedgerError, match=rf"\] postings\[1\]\.{field} ") as err:
        Ledger().post([posting("wang", A, "100"), bad(**{"case_id": B, **second})], month="2026-10")
    assert err.value.rule == "LEDGER-POSTING"


def test_a_posting_must_be_a_posting_with_a_positive_amount_in_fen() -> None:
    with pytest.raises(LedgerError, match=r"postings\[0\] is a dict, not a Posting"):
        Ledger().post([{"person_id": "wang"}], month="2026-10")  # type: ignore[list-item]
    for amount in (D("0"), D("-1.00"), D("0.001"), D("1000000000000000.00")):
        with pytest.raises(MoneyError):
            Ledger().post([bad(amount=amount)], month="2026-10")


def test_amounts_are_kept_with_two_places_however_they_are_given() -> None:
    _, entries = Ledger().post([bad(amount=D("12.5")), bad(case_id=B, amount=12), bad(case_id=C)], month="2026-10")
    assert [str(e.amount) for e in entries] == ["12.50", "12.00", "100.00"]


def test_posting_nothing_returns_the_same_ledger() -> None:
    ledger = Ledger()
    same, entries = ledger.post([], month="2026-10")
    assert same is ledger and entries == ()


def test_cases_in_one_batch_and_in_later_batches_keep_all_their_lines() -> None:
    """Case ids 1 and 257 share an index shard; A's second line comes in a later batch: a reversal finds every
    line of each."""
    first, second = UUID(int=1), UUID(int=257)
    ledger, _ = Ledger().post([posting("wang", first, "10"), posting("li", second, "20")], month="2026-10")
    ledger, _ = ledger.post([posting("wang", A, "30")], month="2026-10")
    ledger, _ = ledger.post([posting("li", A, "40", line="1")], month="2026-10")
    for case, expected in ((first, ["wang"]), (second, ["li"]), (A, ["wang", "li"])):
        ledger, reversed_ = ledger.reverse(case, month="2026-10", reason="appeal upheld")
        assert [e.person_id for e in reversed_] == expected
    assert ledger.outstanding("wang") == ledger.outstanding("li") == D("0.00")


def test_months_are_checked_where_they_are_read() -> None:
    for read in (Ledger().earliest_open, Ledger().is_open, Ledger().month_close):
        with pytest.raises(LedgerError) as err:
            read("2026-1")
        assert err.value.rule == "LEDGER-MONTH"


def test_the_last_closed_month_decides_what_is_open() -> None:
    ledger = Ledger()
    assert repr(ledger) == "Ledger(entries=0, people=0, closed_through=None)"
    with pytest.raises(NotFound, match=r"month 2026-10 is not closed \(closed: none\)"):
        ledger.month_close("2026-10")
    ledger, _ = ledger.post([posting("wang", A, "100")], month="2026-10")
    ledger, _ = close(ledger, "2026-10")
    ledger, _ = ledger.close_month("2026-11", bonuses={}, cap_ratio=HALF)
    assert repr(ledger) == "Ledger(entries=2, people=1, closed_through='2026-11')"  # posted, deducted
    assert ledger.earliest_open("2027-02") == "2026-12"
    assert not ledger.is_open("2026-11") and ledger.is_open("2026-12")
    with pytest.raises(NotFound, match=r"\(closed: 2026-10, 2026-11\)"):
        ledger.month_close("2026-12")


def test_the_first_close_may_not_skip_the_earliest_month_with_entries() -> None:
    ledger, _ = Ledger().post([posting("wang", A, "100")], month="2026-10")
    ledger, _ = ledger.post([posting("wang", B, "100")], month="2026-11")
    with pytest.raises(LedgerError, match="2026-10 has entries") as err:
        ledger.close_month("2026-11", bonuses={}, cap_ratio=HALF)
    assert err.value.rule == "LEDGER-ORDER"


def test_an_uncapped_month_closed_again_is_the_same_close() -> None:
    ledger, _ = Ledger().post([posting("wang", A, "100")], month="2026-10")
    ledger, first = ledger.close_month("2026-10", bonuses={"wang": D("1000")}, cap_ratio=None)
    assert ledger.close_month("2026-10", bonuses={"wang": D("1000")}, cap_ratio=None) == (ledger, first)


@pytest.mark.parametrize("ratio", [True, 0.5, "0.5", D("NaN"), D("Infinity"), D("1.01"), D("-0.1")])
def test_a_cap_ratio_is_a_decimal_between_0_and_1(ratio: object) -> None:
    with pytest.raises(MoneyError) as err:
        Ledger().close_month("2026-10", bonuses={}, cap_ratio=ratio)  # type: ignore[arg-type]
    assert err.value.rule == "P1-PEN-11"


def test_a_reversal_without_reason_or_with_a_text_case_id_is_refused() -> None:
    ledger, _ = Ledger().post([posting("wang", A, "100")], month="2026-10")
    with pytest.raises(LedgerError, match="needs the appeal's reason"):
        ledger.reverse(A, month="2026-10", reason=None)  # type: ignore[arg-type]
    with pytest.raises(LedgerError, match="has nothing posted") as err:
        ledger.reverse(str(A), month="2026-10", reason="appeal upheld")  # type: ignore[arg-type]
    assert err.value.rule == "LEDGER-REVERSE"


def test_offsets_and_refunds_take_the_next_sequence_numbers() -> None:
    """After a reversal of deducted amounts, the month's offset and refund entries follow on without gaps."""
    ledger, _ = Ledger().post([posting("wang", A, "800"), posting("wang", B, "100", line="1")], month="2026-10")
    ledger, _ = ledger.close_month("2026-10", bonuses={}, cap_ratio=None)
    ledger, _ = ledger.post([posting("wang", C, "300"), posting("wang", UUID(int=0xD), "200")], month="2026-11")
    ledger, _ = ledger.reverse(A, month="2026-11", reason="appeal upheld")
    ledger, _ = close(ledger, "2026-11")
    kinds = [e.kind for e in ledger.month_close("2026-11").lines]
    assert kinds == [EntryKind.OFFSET, EntryKind.OFFSET, EntryKind.REFUNDED]
    assert [e.seq for e in ledger.entries] == list(range(1, len(ledger.entries) + 1))
