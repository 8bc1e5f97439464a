"""Money as Decimal yuan with two places (fen), and exact apportionment.

Floats never touch money (DOMAIN §7). ``apportion`` uses the largest-remainder
method on whole fen so the parts always add up to the total.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

from .errors import MoneyError

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
# No complaint moves a quadrillion yuan; the bound keeps every amount, and sums of many, storable as 64-bit fen
MAX_AMOUNT = Decimal("999999999999999.99")
MAX_QUANTITY = 10**12  # pieces: so quantity × a unit price stays an amount (returns, loss valuation)
# Fault shares, basis points and ratios: finer than this is no one's intent, and it keeps their sums exact
# in the default 28-digit context and their scaled integers small (a 1E-999999999 weight would hang)
MAX_RATIO_PLACES = 18


def ratio_is_plain(value: Decimal) -> bool:
    """At most ``MAX_RATIO_PLACES`` decimal places: a share, weight or ratio whose sums stay exact."""
    return decimal_places(value) <= MAX_RATIO_PLACES


def decimal_places(value: Decimal) -> int:
    """How many digits ``value`` needs after the point: ``0.50`` needs 1, ``2`` and ``2.00`` none.

    Trailing zeros say nothing about the value, and ``normalize()`` would round to the context's 28 digits."""
    _, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int) or exponent >= 0:
        return 0
    zeros = 0
    for digit in reversed(digits):
        if digit:
            break
        zeros += 1
    return max(0, -exponent - zeros) if zeros < len(digits) else 0


def yuan(value: Decimal | int | str) -> Decimal:
    """Parse an amount in yuan; more than two decimal places is an error, never rounded away."""
    if value.__class__ is Decimal:
        return _whole_fen(value, value)
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise MoneyError(f"amount must be Decimal, int or str, not {type(value).__name__}")
    if isinstance(value, str) and not _AMOUNT_TEXT.fullmatch(value):  # Decimal() also takes '1_000', '١٢', 'NaN'
        raise MoneyError(f"amount {value!r} is not a number written with the digits 0-9, e.g. 1200.50")
    try:
        parsed = Decimal(value)
    except InvalidOperation:
        raise MoneyError(f"amount {value!r} is not a number") from None
    return _whole_fen(parsed, value)


_AMOUNT_TEXT = re.compile(r"\s*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*", re.ASCII)


def _whole_fen(amount: Decimal, given: object) -> Decimal:
    """``amount`` with exactly two places, refusing what is not finite, too large, or finer than a fen."""
    if not amount.is_finite():
        raise MoneyError(f"amount {given!r} is not finite")
    try:
        quantized = amount.quantize(FEN)
    except InvalidOperation:  # more digits than the decimal context holds
        raise MoneyError(f"amount {given!r} is too large") from None
    if quantized != amount:
        raise MoneyError(f"amount {given!r} has more than two decimal places (fen)")
    if abs(quantized) > MAX_AMOUNT:
        raise MoneyError(f"amount {given!r} is too large (at most {MAX_AMOUNT:,})")
    if quantized.is_zero() and quantized.is_signed():
        return ZERO  # -0.00 is zero
    return quantized


def amount(value: object, field: str = "amount", *, positive: bool = False) -> Decimal:
    """A money amount handed over as a Decimal (never parsed from text or float): whole fen, not negative."""
    if not isinstance(value, Decimal):
        raise MoneyError(f"{field} must be a Decimal amount in yuan, not {type(value).__name__}")
    try:
        result = _whole_fen(value, value)
    except MoneyError as error:
        raise MoneyError(f"{field}: {error.message}") from None
    if result < 0 or (positive and not result):
        raise MoneyError(f"{field} must be {'positive' if positive else 'non-negative'}, got {result}")
    return result


def value_of(quantity: Decimal | int, unit_price: Decimal) -> Decimal:
    """Quantity × unit price, rounded half up to the fen, exactly (in a context wide enough for every allowed
    quantity and price), or a ``MoneyError`` when the result is no storable amount."""
    with localcontext() as ctx:
        ctx.prec = 60
        return yuan((quantity * unit_price).quantize(FEN, ROUND_HALF_UP))


def to_fen(amount: Decimal | int | str) -> int:
    """Yuan → integer fen, as stored in databases."""
    return int(yuan(amount) * 100)


def from_fen(fen: int) -> Decimal:
    """Integer fen → Decimal yuan with two places."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise MoneyError(f"fen must be an int, not {type(fen).__name__}")
    return Decimal(fen).scaleb(-2)  # exact: 1234 → 12.34, 0 → 0.00


def apportion(total: Decimal | int | str, weights: Sequence[Decimal | int]) -> tuple[Decimal, ...]:
    """Split ``total`` by ``weights`` by largest remainder on fen (DOMAIN §7, P1-PEN-02, P1-PEN-10).

    The parts sum exactly to the total, each is within one fen of its exact
    share, and ties in the remainder go to the earlier weight.
    """
    total_fen = to_fen(total)
    if total_fen < 0:
        raise MoneyError(f"cannot apportion a negative total {total}")
    if not weights:
        raise MoneyError("cannot apportion over an empty list of weights")
    scale = 0
    for index, weight in enumerate(weights):
        if isinstance(weight, bool) or not isinstance(weight, Decimal | int):
            raise MoneyError(f"weights[{index}] must be Decimal or int, not {type(weight).__name__}")
        if isinstance(weight, Decimal):
            if not weight.is_finite():
                raise MoneyError(f"weights[{index}] is not finite")
            if not ratio_is_plain(weight):
                raise MoneyError(f"weights[{index}] {weight} has more than {MAX_RATIO_PLACES} decimal places")
            scale = max(scale, decimal_places(weight))
        if weight <= 0:
            raise MoneyError(f"weights[{index}] is {weight}; every weight must be positive")
    # Integers only: scale the weights to whole numbers exactly (``w * factor`` would round a weight of more
    # than 28 digits), then each share is total × w / W exactly.
    factor = 10**scale
    ints = [w * factor if isinstance(w, int) else _scaled(w, factor) for w in weights]
    whole = sum(ints)
    floors: list[int] = []
    remainders: list[int] = []
    for w in ints:
        quotient, remainder = divmod(total_fen * w, whole)
        floors.append(quotient)
        remainders.append(remainder)
    left = total_fen - sum(floors)
    # Largest remainder first; sorted() is stable, so ties keep the given order.
    order = sorted(range(len(ints)), key=remainders.__getitem__, reverse=True)
    for i in order[:left]:
        floors[i] += 1
    return tuple(Decimal(f).scaleb(-2) for f in floors)


def _scaled(weight: Decimal, factor: int) -> int:
    numerator, denominator = weight.as_integer_ratio()  # exact; the denominator divides ``factor``
    return numerator * (factor // denominator)
