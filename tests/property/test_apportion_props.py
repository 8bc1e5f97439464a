"""Property tests for ``apportion`` (DOMAIN §7; P1-PEN-02 fault shares, P1-PEN-10 basis points).

Largest remainder on whole fen: the parts add up to the total exactly, each is
within one fen of its exact share, every part is a two-place non-negative
amount, and ties in the remainder go to the earlier party.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from complaint_core.errors import MoneyError
from complaint_core.money import apportion

FEN = Fraction(1, 100)


def _fen_to_decimal(fen: int) -> Decimal:
    """Integer fen → Decimal yuan with exactly two places, built without ``money``'s own helpers."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return Decimal(f"{sign}{fen // 100}.{fen % 100:02d}")


totals_fen = st.one_of(st.integers(0, 1_000), st.integers(0, 10**12))
totals = totals_fen.map(_fen_to_decimal)

int_weights = st.integers(min_value=1, max_value=10**6)
decimal_weights = st.builds(
    lambda mantissa, places: Decimal(mantissa).scaleb(-places),
    st.integers(min_value=1, max_value=10**6),
    st.integers(min_value=0, max_value=6),
)
weights_lists = st.lists(st.one_of(int_weights, decimal_weights), min_size=1, max_size=12)


def _exact_shares(total: Decimal, weights: list[Decimal | int]) -> list[Fraction]:
    exact = [Fraction(w) for w in weights]
    s = sum(exact)
    return [Fraction(total) * w / s for w in exact]


@given(total=totals, weights=weights_lists)
@example(total=Decimal("1000.00"), weights=[1, 1, 1])
@example(total=Decimal("0.00"), weights=[1])
@example(total=Decimal("0.01"), weights=[1, 1, 1])
def test_parts_sum_exactly_to_total_p1_pen_02(total: Decimal, weights: list[Decimal | int]) -> None:
    """P1-PEN-02 / P1-PEN-10: the parts always add up to the total, to the fen."""
    parts = apportion(total, weights)
    assert len(parts) == len(weights)
    assert sum(parts, Decimal(0)) == total


@given(total=totals, weights=weights_lists)
def test_each_part_within_one_fen_of_exact_share(total: Decimal, weights: list[Decimal | int]) -> None:
    """DOMAIN §7: every part is within one fen of total·w/Σw (largest remainder: strictly less)."""
    parts = apportion(total, weights)
    for part, share in zip(parts, _exact_shares(total, weights), strict=True):
        assert abs(Fraction(part) - share) < FEN, (part, share)


@given(total=totals, weights=weights_lists)
def test_parts_are_two_place_non_negative_decimals(total: Decimal, weights: list[Decimal | int]) -> None:
    parts = apportion(total, weights)
    for part in parts:
        assert isinstance(part, Decimal)
        assert part.as_tuple().exponent == -2, part
        assert part >= 0


@given(total=totals, weights=weights_lists)
def test_extra_fen_go_to_largest_remainders(total: Decimal, weights: list[Decimal | int]) -> None:
    """Largest remainder: a party that got the extra fen never has a smaller remainder than one that did not,
    and among equal remainders the extra fen go to the earlier parties."""
    parts = apportion(total, weights)
    shares_fen = [s * 100 for s in _exact_shares(total, weights)]
    floors = [s.numerator // s.denominator for s in shares_fen]
    bumped = [int(Fraction(p) * 100) - f for p, f in zip(parts, floors, strict=True)]
    assert all(b in (0, 1) for b in bumped)
    remainders = [s - f for s, f in zip(shares_fen, floors, strict=True)]
    for i, bi in enumerate(bumped):
        for j, bj in enumerate(bumped):
            if bi == 1 and bj == 0:
                assert remainders[i] >= remainders[j]
                if remainders[i] == remainders[j]:
                    assert i < j, f"tie between parties {i} and {j} went to the later one"


@given(
    total=totals,
    weight=st.one_of(int_weights, decimal_weights),
    n=st.integers(min_value=1, max_value=12),
)
@example(total=Decimal("1000.00"), weight=1, n=3)
@example(total=Decimal("0.02"), weight=7, n=3)
def test_equal_weights_ties_go_to_earlier_party(total: Decimal, weight: Decimal | int, n: int) -> None:
    """DOMAIN §7: 1000 split three ways → 333.34, 333.33, 333.33; parts never increase along the list."""
    parts = apportion(total, [weight] * n)
    assert all(a >= b for a, b in itertools.pairwise(parts)), parts
    assert parts[0] - parts[-1] <= Decimal("0.01")
    if total == Decimal("1000.00") and n == 3:
        assert parts == (Decimal("333.34"), Decimal("333.33"), Decimal("333.33"))


@given(
    total=totals,
    weights=weights_lists,
    factor=st.one_of(
        st.integers(min_value=1, max_value=10**4),
        st.builds(
            lambda m, p: Decimal(m).scaleb(-p),
            st.integers(min_value=1, max_value=10**4),
            st.integers(min_value=0, max_value=4),
        ),
    ),
)
def test_scaling_all_weights_changes_nothing(
    total: Decimal, weights: list[Decimal | int], factor: int | Decimal
) -> None:
    """Shares and basis points give the same split (P1-PEN-02 vs P1-PEN-10): only ratios matter."""
    scaled = [w * factor for w in weights]
    assume(all(Fraction(s) == Fraction(w) * Fraction(factor) for s, w in zip(scaled, weights, strict=True)))
    assert apportion(total, scaled) == apportion(total, weights)


@given(total=totals, weights=weights_lists)
def test_int_and_str_totals_agree_with_decimal(total: Decimal, weights: list[Decimal | int]) -> None:
    """``total`` may be given as Decimal, str or (whole yuan) int; the split is the same."""
    assert apportion(str(total), weights) == apportion(total, weights)
    whole = int(total)
    assert apportion(whole, weights) == apportion(Decimal(whole), weights)


# ----- refusals ------------------------------------------------------------------------------------


@given(total=totals)
def test_empty_weights_refused(total: Decimal) -> None:
    with pytest.raises(MoneyError):
        apportion(total, [])


@given(
    total=totals,
    weights=weights_lists,
    bad=st.one_of(
        st.integers(max_value=0),
        st.builds(
            lambda m, p: Decimal(m).scaleb(-p),
            st.integers(max_value=0, min_value=-(10**6)),
            st.integers(min_value=0, max_value=6),
        ),
        st.sampled_from([Decimal("-0"), Decimal("0.000"), Decimal("-0.01")]),
    ),
    data=st.data(),
)
def test_zero_or_negative_weight_refused(
    total: Decimal, weights: list[Decimal | int], bad: Decimal | int, data: st.DataObject
) -> None:
    index = data.draw(st.integers(min_value=0, max_value=len(weights)), label="index")
    with pytest.raises(MoneyError):
        apportion(total, [*weights[:index], bad, *weights[index:]])


@given(total_fen=st.integers(max_value=-1, min_value=-(10**12)), weights=weights_lists)
@example(total_fen=-1, weights=[1])
def test_negative_total_refused(total_fen: int, weights: list[Decimal | int]) -> None:
    with pytest.raises(MoneyError):
        apportion(_fen_to_decimal(total_fen), weights)


@given(
    weights=weights_lists,
    total=st.sampled_from(["0.001", "1.005", "NaN", "Infinity", "-Infinity", "abc", "1e-3"]),
)
def test_malformed_total_refused(weights: list[Decimal | int], total: str) -> None:
    """More than two places is an error, never rounded away (DOMAIN §7)."""
    with pytest.raises(MoneyError):
        apportion(total, weights)
    if total != "abc":  # Decimal("abc") itself raises before apportion is called
        with pytest.raises(MoneyError):
            apportion(Decimal(total), weights)


@given(weights=weights_lists, bad=st.sampled_from([1.0, 0.5, True, "1", None, Decimal("NaN"), Decimal("Infinity")]))
def test_non_decimal_weights_refused(weights: list[Decimal | int], bad: object) -> None:
    """Floats never touch money (DOMAIN §7); nor do bools, strings or non-finite Decimals."""
    with pytest.raises(MoneyError):
        apportion(Decimal("10.00"), [*weights, bad])  # type: ignore[list-item]
