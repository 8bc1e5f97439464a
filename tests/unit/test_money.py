"""DOMAIN §7: money in fen and largest-remainder apportionment (P1-PEN-02, P1-PEN-10, P2-ROLE-03)."""

from decimal import Decimal

import pytest

from complaint_core import MoneyError, apportion, from_fen, to_fen, yuan
from complaint_core.ledger import Ledger
from complaint_core.money import amount, decimal_places, value_of
from complaint_core.policy import tolerance_is_plain

D = Decimal


def test_yuan_and_fen_round_trip() -> None:
    assert to_fen("1200.50") == 120050
    assert from_fen(120050) == D("1200.50")
    assert yuan(7) == D("7.00")
    assert str(from_fen(5)) == "0.05"


@pytest.mark.parametrize(
    "bad",
    [
        "1.005",
        "abc",
        "NaN",
        "Infinity",
        1.5,
        True,
        None,
        "1e30",
        D("1E+40"),
        D("1.001"),
        "1_000",
        "١٢",
        "３００",
        "1e3",
    ],
)
def test_yuan_refuses_sub_fen_floats_and_junk(bad: object) -> None:
    with pytest.raises(MoneyError):
        yuan(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [D("1E+30"), D("-0.01"), D("sNaN"), D("0.001"), 5, "5.00", True])
def test_amount_refuses_with_a_money_error_never_a_decimal_signal(bad: object) -> None:
    """A huge amount used to escape as ``decimal.InvalidOperation`` from quantize: bad input must not crash."""
    with pytest.raises(MoneyError):
        amount(bad)


def test_negative_zero_is_zero() -> None:
    assert str(yuan(D("-0.00"))) == "0.00"
    assert str(amount(D("-0"))) == "0.00"
    assert amount(D("1E+2")) == D("100.00") and str(amount(D("1.200"))) == "1.20"


def test_three_way_split_gives_the_extra_fen_to_the_first_party() -> None:
    assert apportion(D("1000"), [1, 1, 1]) == (D("333.34"), D("333.33"), D("333.33"))


def test_p2_role_03_factory_customer_split_of_repair_budget() -> None:
    """P2-ROLE-03: a 3000 repair budget at 60% factory liability → 1800 / 1200."""
    assert apportion(D("3000"), [D("0.6"), D("0.4")]) == (D("1800.00"), D("1200.00"))


def test_p1_pen_10_basis_points_inside_a_department() -> None:
    """P1-PEN-10: loss 1,200.00 × basis points 25/60 = 500.00."""
    parts = apportion(D("1200.00"), [25, 20, 15])
    assert parts == (D("500.00"), D("400.00"), D("300.00"))


def test_largest_remainder_not_first_come() -> None:
    # exact shares 0.0333…, 0.0666… of 0.10 → the larger remainder gets the extra fen
    assert apportion(D("0.10"), [1, 2]) == (D("0.03"), D("0.07"))
    assert sum(apportion(D("0.01"), [1, 1, 1])) == D("0.01")
    assert apportion(D("0.01"), [1, 1, 1]) == (D("0.01"), D("0.00"), D("0.00"))


def test_zero_total_is_allowed() -> None:
    assert apportion(D("0"), [3, 1]) == (D("0.00"), D("0.00"))


@pytest.mark.parametrize(
    ("total", "weights"),
    [(D("10"), []), (D("10"), [1, 0]), (D("10"), [1, -2]), (D("-1"), [1]), (D("1.001"), [1])],
)
def test_apportion_refuses_bad_input(total: Decimal, weights: list[int]) -> None:
    with pytest.raises(MoneyError):
        apportion(total, weights)


def test_weights_of_more_than_28_digits_are_scaled_exactly() -> None:
    """DOMAIN §7: the fen goes to the larger exact remainder; ``int(w * 10**scale)`` rounded both weights
    to the same 28 digits, and the tie went to the first party."""
    smaller, larger = D("1234567890123.123456789012345678"), D("1234567890123.123456789012345679")
    assert apportion(D("0.01"), [smaller, larger]) == (D("0.00"), D("0.01"))
    assert apportion(D("0.01"), [larger, smaller]) == (D("0.01"), D("0.00"))


def test_weights_finer_than_18_places_are_refused() -> None:
    """A weight of 1E-999999999 would scale to a billion-digit integer; finer than 18 places is no one's intent."""
    with pytest.raises(MoneyError, match=r"weights\[1\].*18 decimal places"):
        apportion(D("1"), [D("0.5"), D("0.5000000000000000001")])
    assert apportion(D("1"), [D("0.5"), D("0.500000000000000001")]) == (D("0.50"), D("0.50"))
    assert apportion(D("1"), [D("0.5000000000000000000000"), D("0.5")]) == (D("0.50"), D("0.50"))  # zeros: no places


def test_yuan_reads_amounts_written_with_the_digits_0_to_9() -> None:
    """Decimal() also reads '1_000' and Arabic-Indic or full-width digits: they are refused above, these stay."""
    assert [yuan(t) for t in (" 12 ", "12.5", ".5", "-3.00", "+7")] == [D("12.00"), D("12.50"), D("0.50"), D("-3.00"),
                                                                          D("7.00")]  # fmt: skip


@pytest.mark.parametrize("bad", [True, False, 1.5, "5", D("5")])
def test_from_fen_takes_only_whole_int_fen(bad: object) -> None:
    """Fen are stored as integers: a bool or a float is no count of fen, never read as 1 or 1.5 fen."""
    with pytest.raises(MoneyError):
        from_fen(bad)  # type: ignore[arg-type]


def test_p1_pen_01_value_of_rounds_the_exact_product_once_half_up() -> None:
    """P1-PEN-01 value loss: quantity × unit price is rounded half up to the fen once, on the exact product. In the
    default 28-digit context the product would first be rounded to ...5000 and then half up a second time."""
    assert value_of(D("0.00499999999999999999999999999999"), D("1.00")) == D("0.00")
    assert value_of(D("1234.5649999999999999999999999999"), D("1.00")) == D("1234.56")
    assert value_of(D("1234.565"), D("1.00")) == D("1234.57")
    assert value_of(D("3"), D("0.01")) == D("0.03")
    assert str(value_of(7, D("2.50"))) == "17.50"


@pytest.mark.parametrize(
    ("value", "places"),
    [("2", 0), ("2.00", 0), ("1E+2", 0), ("1.0", 0), ("0.000", 0), ("0.00000000", 0), ("0E-30", 0), ("0.50", 1),
     ("0.125", 3), ("-0.0100", 2), ("1.000000000000000000000000000001", 30)],
)  # fmt: skip
def test_decimal_places_count_what_the_value_needs_not_trailing_zeros(value: str, places: int) -> None:
    """Trailing zeros say nothing about the value: a zero written with thirty places needs none (not 29)."""
    assert decimal_places(D(value)) == places


def test_a_zero_written_with_many_places_is_a_plain_tolerance_and_cap_ratio() -> None:
    """P1-RET-05 / P1-PEN-11: a tolerance or cap ratio of zero is zero however many places it is written with."""
    for zero in (D("0E-30"), D("0.00000000")):
        assert tolerance_is_plain(zero)
        ledger, result = Ledger().close_month("2026-10", bonuses={}, cap_ratio=zero)
        assert result.cap_ratio == 0 and ledger.closed_months == ("2026-10",)
    assert not tolerance_is_plain(D("0.0000001"))  # seven places: one more than a tolerance may have
