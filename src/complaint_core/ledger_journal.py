"""The ledger as a journal of operations, so a store can keep it and rebuild it.

The ``Ledger`` is one value built by posting, reversing and closing months; a
store appends each operation (with the entries it produced) and rebuilds the
ledger by replaying them in order. Replaying the same operations always gives
the same ledger: every operation is a pure function of the ledger before it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from uuid import UUID

import attrs

from .ledger import Ledger, LedgerEntry, MonthClose, Posting


@attrs.frozen(kw_only=True)
class LedgerPost:
    month: str
    postings: tuple[Posting, ...]


@attrs.frozen(kw_only=True)
class LedgerReverse:
    month: str
    case_id: UUID
    reason: str


@attrs.frozen(kw_only=True)
class LedgerClose:
    month: str
    bonuses: tuple[tuple[str, Decimal], ...]
    cap_ratio: Decimal | None

    @classmethod
    def of(cls, month: str, bonuses: Mapping[str, Decimal], cap_ratio: Decimal | None) -> LedgerClose:
        return cls(month=month, bonuses=tuple(sorted(bonuses.items())), cap_ratio=cap_ratio)


LedgerOp = LedgerPost | LedgerReverse | LedgerClose


def apply_op(ledger: Ledger, op: LedgerOp) -> tuple[Ledger, tuple[LedgerEntry, ...], MonthClose | None]:
    """One operation: the new ledger, the entries it recorded, and the close when it closed a month."""
    if isinstance(op, LedgerPost):
        new, entries = ledger.post(op.postings, month=op.month)
        return new, entries, None
    if isinstance(op, LedgerReverse):
        new, entries = ledger.reverse(op.case_id, month=op.month, reason=op.reason)
        return new, entries, None
    before = len(ledger.entries)
    new, close = ledger.close_month(op.month, bonuses=dict(op.bonuses), cap_ratio=op.cap_ratio)
    return new, new.entries[before:], close


def replay(ops: Iterable[LedgerOp]) -> Ledger:
    ledger = Ledger()
    for op in ops:
        ledger, _, _ = apply_op(ledger, op)
    return ledger
