"""The deduction ledger: per person, per month, append-only (DOMAIN §7; P1-PEN-06, P1-PEN-09, P1-PEN-11).

Approved penalty amounts arrive as ``Posting`` values, one per (case, line,
person); each case is assessed on its own and the ledger sums them per person
(P1-PEN-09). Closing a month deducts from each person what is due, at most
``cap_ratio`` × that month's efficiency bonus for capped amounts, and carries the
excess to the following months in order (P1-PEN-11: 1900 against a cap of 800
→ 800, 800, 300). A major demerit takes the whole month's bonus and is not
capped (P1-PEN-06), so it is deducted in full and does not use up the cap. A
successful appeal posts reversing entries; nothing is ever edited or deleted.

Like ``Case``, the ``Ledger`` is a frozen aggregate: every command returns the
new ledger and what it recorded, and a refused command raises a domain error
naming its rule and leaves the ledger as it was.

Money inside is integer fen (exact, cheap); everything that leaves the module
is ``Decimal`` yuan with two places.

Cost model. Each person keeps a running balance and a FIFO queue of what is
carried, in chunks (one per month that left something open) with their total.
A close reads the month's pending postings and reversals and, per person, only
as much of the carried queue as the cap reaches (the rest is passed on as is),
so it costs O(entries in that month + deductions + people log people), not a
scan of earlier months; only a person with a reversal in the month has their
queue read whole, once. The entry log is a chain of per-command segments
(appending is O(1), not a copy of a growing tuple); per-person mappings are
rebuilt per command (O(people)); the case index is split into shards so a
command copies only the shards of the cases it touches. Post in batches: each
command pays the O(people) rebuild once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import NamedTuple
from uuid import UUID

import attrs

from .errors import MoneyError, NotFound, RuleViolation
from .money import MAX_AMOUNT, MAX_RATIO_PLACES, ratio_is_plain, to_fen
from .timeutil import is_month


class LedgerError(RuleViolation):
    """A ledger command that the ledger's rules refuse (closed month, duplicate, order, reversal)."""

    rule = "LEDGER"


class EntryKind(StrEnum):
    """What a ledger entry records.

    ``posted`` and ``reversed`` come from commands; ``deducted``, ``refunded`` and
    ``offset`` from closing a month. Only ``deducted`` and ``refunded`` move money
    on the payslip; ``offset`` records that a posting was settled against a refund
    owed for a reversed posting (so every posting line reconciles: posted =
    deducted + offset + the reversal of what was still open).
    """

    POSTED = "posted"
    REVERSED = "reversed"
    DEDUCTED = "deducted"
    REFUNDED = "refunded"
    OFFSET = "offset"


@attrs.frozen(kw_only=True)
class Posting:
    """One approved penalty amount for one person, computed elsewhere (penalty/assessment)."""

    person_id: str
    case_id: UUID
    line_id: str
    """Identifies the penalty line within the case (e.g. "0", "1")."""
    rule_id: str
    """The rule that produced the amount, e.g. "P1-PEN-10"; kept on every entry so each yuan can be explained."""
    amount: Decimal
    """Yuan, > 0, at most 2 places."""
    capped: bool = True
    """False for a major demerit (大过: the whole month's bonus), not capped by default (P1-PEN-06)."""
    points: int = 0
    """Performance points, reported only; they never change a money amount."""


@attrs.frozen(kw_only=True)
class LedgerEntry:
    """One immutable line of the ledger.

    ``seq`` is global and strictly increasing in the order entries were recorded.
    ``month`` is the month the entry belongs to ("YYYY-MM"). ``case_id``,
    ``line_id`` and ``rule_id`` always name the posting the amount belongs to: for
    a deduction, the posting it was attributed to (oldest first); for a refund,
    the reversed posting whose earlier deduction is paid back. ``amount`` is
    positive; ``kind`` says its direction. ``points`` repeats the posting's points
    for reference (on ``posted``/``reversed`` entries they count; on the others they
    only describe the posting). ``note`` carries a reversal's reason or what an
    offset was set against.
    """

    seq: int
    kind: EntryKind
    person_id: str
    month: str
    case_id: UUID
    line_id: str
    rule_id: str
    amount: Decimal
    points: int = 0
    capped: bool = True
    note: str = ""


@attrs.frozen(kw_only=True)
class PersonMonth:
    """One person's line of a month close; every amount is Decimal yuan with two places.

    ``due = carry_in + posted - reversed``. When ``due >= 0``:
    ``carry_out = due - deducted - deducted_uncapped`` and nothing is refunded;
    when it is negative (a reversal of amounts already deducted in closed months
    exceeds what is still open), ``refunded = -due`` and nothing is deducted or
    carried. ``deducted`` is the capped part and never exceeds ``cap``;
    ``deducted_uncapped`` (major demerits, P1-PEN-06) is always deducted in full.
    ``cap`` is ``None`` when the month was closed without a cap; ``bonus`` is
    ``None`` when none was given for the person (the cap is then 0). ``points`` is
    the net of the points posted and reversed in the month.
    """

    person_id: str
    carry_in: Decimal
    posted: Decimal
    reversed: Decimal
    due: Decimal
    bonus: Decimal | None
    cap: Decimal | None
    deducted: Decimal
    deducted_uncapped: Decimal
    refunded: Decimal
    carry_out: Decimal
    points: int = 0

    @property
    def deducted_total(self) -> Decimal:
        """What leaves this person's pay this month: capped plus uncapped deductions."""
        return self.deducted + self.deducted_uncapped


@attrs.frozen(kw_only=True)
class MonthClose:
    """The result of closing a month: one row per person with anything carried in or recorded in the
    month (sorted by person id), and the attribution lines (``deducted``, ``refunded`` and ``offset``
    entries) saying which case, line and rule each yuan came from."""

    month: str
    cap_ratio: Decimal | None
    people: tuple[PersonMonth, ...]
    lines: tuple[LedgerEntry, ...]

    def person(self, person_id: str) -> PersonMonth | None:
        """The row of ``person_id``, or None when nothing concerned them this month (binary search)."""
        rows = self.people
        lo, hi = 0, len(rows)
        while lo < hi:
            mid = (lo + hi) // 2
            if rows[mid].person_id < person_id:
                lo = mid + 1
            else:
                hi = mid
        if lo < len(rows) and rows[lo].person_id == person_id:
            return rows[lo]
        return None

    def lines_for(self, person_id: str) -> tuple[LedgerEntry, ...]:
        return tuple(line for line in self.lines if line.person_id == person_id)


# ----- internals ---------------------------------------------------------------------------------
_SHARDS = 256


def _d(fen: int) -> Decimal:
    """Integer fen → Decimal yuan with exactly two places (exact; faster than ``from_fen``)."""
    return Decimal(fen).scaleb(-2)


def _check_month(month: str) -> str:
    if not is_month(month):
        raise LedgerError(f"month must be 'YYYY-MM', got {month!r}", rule="LEDGER-MONTH")
    return month


def _next_month(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:])
    return f"{year + 1:04d}-01" if mon == 12 else f"{year:04d}-{mon + 1:02d}"


class _Lot(NamedTuple):
    """An open part of one posting (``fen`` not yet deducted), or a pending reversal (``fen`` = its amount).

    It points at the entry that recorded it, which names the case, line, rule,
    points and whether the amount is capped: nothing is copied per lot.
    """

    fen: int
    entry: LedgerEntry


class _Carry(NamedTuple):
    """A person's capped amounts carried out of the last closed month, oldest first, in chunks (one per
    month that left something open), with their total; a close reads only as far as the cap reaches."""

    total: int
    chunks: tuple[tuple[_Lot, ...], ...]


@attrs.frozen
class _CaseRecord:
    """The posted entries of one case (for duplicates and reversals) and whether it was reversed."""

    lines: tuple[LedgerEntry, ...]
    reversed: bool = False


_MAX_CHUNKS = 24


@attrs.frozen
class _MonthBook:
    """What is pending in an open month, per person, in the order it was recorded."""

    posts: Mapping[str, tuple[_Lot, ...]]
    reversals: Mapping[str, tuple[_Lot, ...]]


_EMPTY_BOOK = _MonthBook(MappingProxyType({}), MappingProxyType({}))


@attrs.frozen
class _Chain:
    """An append-only log as a chain of segments: appending a command's entries is O(1)."""

    items: tuple[LedgerEntry, ...]
    prev: _Chain | None

    def flatten(self) -> tuple[LedgerEntry, ...]:
        segments: list[tuple[LedgerEntry, ...]] = []
        node: _Chain | None = self
        while node is not None:
            segments.append(node.items)
            node = node.prev
        out: list[LedgerEntry] = []
        for segment in reversed(segments):
            out.extend(segment)
        return tuple(out)


def _append_logs(
    log: _Chain | None, person_logs: Mapping[str, _Chain], month_logs: Mapping[str, _Chain], new: list[LedgerEntry]
) -> tuple[_Chain | None, Mapping[str, _Chain], Mapping[str, _Chain]]:
    """Append a command's entries to the global log and to the per-person and per-month indexes."""
    if not new:
        return log, person_logs, month_logs
    return _Chain(tuple(new), log), _append_by(person_logs, new, "person_id"), _append_by(month_logs, new, "month")


def _append_by(logs: Mapping[str, _Chain], new: list[LedgerEntry], key: str) -> Mapping[str, _Chain]:
    groups: dict[str, list[LedgerEntry]] = {}
    for entry in new:
        groups.setdefault(getattr(entry, key), []).append(entry)
    out = dict(logs)
    for name, items in groups.items():
        out[name] = _Chain(tuple(items), out.get(name))
    return MappingProxyType(out)


def _add_pending(
    pending: Mapping[str, _MonthBook],
    month: str,
    posts: Mapping[str, list[_Lot]] | None = None,
    reversals: Mapping[str, list[_Lot]] | None = None,
) -> dict[str, _MonthBook]:
    book = pending.get(month, _EMPTY_BOOK)
    new_posts = book.posts
    if posts:
        merged = dict(book.posts)
        for person, lots in posts.items():
            merged[person] = merged.get(person, ()) + tuple(lots)
        new_posts = MappingProxyType(merged)
    new_revs = book.reversals
    if reversals:
        merged = dict(book.reversals)
        for person, lots in reversals.items():
            merged[person] = merged.get(person, ()) + tuple(lots)
        new_revs = MappingProxyType(merged)
    out = dict(pending)
    out[month] = _MonthBook(new_posts, new_revs)
    return out


def _empty_shards() -> tuple[Mapping[UUID, _CaseRecord], ...]:
    empty: Mapping[UUID, _CaseRecord] = MappingProxyType({})
    return (empty,) * _SHARDS


# ----- the aggregate -----------------------------------------------------------------------------
@attrs.frozen(kw_only=True, eq=False, repr=False)
class Ledger:
    """The bonus-deduction ledger of all people (P1-PEN-06, P1-PEN-09, P1-PEN-11).

    ``Ledger()`` is the empty ledger. Its fields are internal indexes kept so that
    each command costs what it touches (see the module docstring); read it
    through the queries. Ledgers compare by identity: a command either returns a
    new ledger or, when it changes nothing (closing a closed month again), ``self``.
    """

    _seq: int = 0
    _log: _Chain | None = None
    _person_logs: Mapping[str, _Chain] = attrs.field(factory=lambda: MappingProxyType({}))
    _month_logs: Mapping[str, _Chain] = attrs.field(factory=lambda: MappingProxyType({}))
    _balances: Mapping[str, int] = attrs.field(factory=lambda: MappingProxyType({}))
    """Per person, in fen: posted - reversed - deducted + refunded (what is still owed; < 0 = refund owed)."""
    _carried: Mapping[str, _Carry] = attrs.field(factory=lambda: MappingProxyType({}))
    """Per person with something carried, the capped amounts carried out of the last closed month."""
    _pending: Mapping[str, _MonthBook] = attrs.field(factory=lambda: MappingProxyType({}))
    """Per open month with anything recorded in it, what waits for its close."""
    _cases: tuple[Mapping[UUID, _CaseRecord], ...] = attrs.field(factory=_empty_shards)
    _closes: Mapping[str, MonthClose] = attrs.field(factory=lambda: MappingProxyType({}))
    _closed: tuple[str, ...] = ()

    def __repr__(self) -> str:
        last = self._closed[-1] if self._closed else None
        return f"Ledger(entries={self._seq}, people={len(self._person_logs)}, closed_through={last!r})"

    # ----- queries ---------------------------------------------------------------------------
    @property
    def closed_months(self) -> tuple[str, ...]:
        """The closed months, oldest first; always consecutive calendar months."""
        return self._closed

    @property
    def entries(self) -> tuple[LedgerEntry, ...]:
        """Every entry, in sequence order (O(entries): for exports and audits, not for hot paths)."""
        return self._log.flatten() if self._log is not None else ()

    def entries_for(self, person_id: str) -> tuple[LedgerEntry, ...]:
        """One person's entries in sequence order; costs only that person's entries."""
        chain = self._person_logs.get(person_id)
        return chain.flatten() if chain is not None else ()

    def entries_in(self, month: str) -> tuple[LedgerEntry, ...]:
        """The entries recorded in ``month`` (posted, reversed, and once closed its attribution lines), in
        sequence order; costs only that month's entries (for notices and reports)."""
        chain = self._month_logs.get(_check_month(month))
        return chain.flatten() if chain is not None else ()

    def outstanding(self, person_id: str) -> Decimal:
        """What the person still owes: posted - reversed - deducted + refunded over all months.

        It includes postings into months not yet closed; it is negative when a
        reversal of amounts already deducted waits for its month's close to be refunded.
        """
        return _d(self._balances.get(person_id, 0))

    def carried(self, person_id: str) -> Decimal:
        """What was carried out of the last closed month for the person (capped amounts not yet deducted)."""
        carry = self._carried.get(person_id)
        return _d(carry.total if carry is not None else 0)

    def month_close(self, month: str) -> MonthClose:
        """The stored result of closing ``month``."""
        result = self._closes.get(_check_month(month))
        if result is None:
            raise NotFound(f"month {month} is not closed (closed: {', '.join(self._closed) or 'none'})")
        return result

    def earliest_open(self, month: str) -> str:
        """``month``, or the first open month when that is earlier: where an appeal decided in ``month`` reverses."""
        _check_month(month)
        return min(month, _next_month(self._closed[-1])) if self._closed else month

    def is_open(self, month: str) -> bool:
        """Whether entries may still be recorded in ``month``: any month after the last closed one."""
        _check_month(month)
        return not self._closed or month > self._closed[-1]

    # ----- commands --------------------------------------------------------------------------
    def post(self, postings: Iterable[Posting], *, month: str) -> tuple[Ledger, tuple[LedgerEntry, ...]]:
        """Record approved penalty amounts in an open month (P1-PEN-09: each case on its own lines).

        Refuses, changing nothing: a closed month (``LEDGER-CLOSED``), an amount
        that is not positive or has more than two places (``MONEY``), a (case,
        line, person) already posted or repeated in the batch (``LEDGER-DUPLICATE``),
        and lines for a case already reversed on appeal (``LEDGER-REVERSE``: post
        a second complaint's penalties under its own case).
        """
        month = self._check_open(month, "post into")
        checked: list[tuple[Posting, int, Decimal]] = []
        for index, posting in enumerate(postings):
            if not isinstance(posting, Posting):
                raise LedgerError(
                    f"postings[{index}] is a {type(posting).__name__}, not a Posting", rule="LEDGER-POSTING"
                )
            for name in ("person_id", "line_id", "rule_id"):
                value = getattr(posting, name)
                if not isinstance(value, str) or not value.strip():
                    raise LedgerError(f"postings[{index}].{name} must be a non-empty string", rule="LEDGER-POSTING")
            if not isinstance(posting.case_id, UUID):
                raise LedgerError(f"postings[{index}].case_id must be a UUID", rule="LEDGER-POSTING")
            if isinstance(posting.points, bool) or not isinstance(posting.points, int):
                raise LedgerError(f"postings[{index}].points must be an int", rule="LEDGER-POSTING")
            amount = posting.amount
            if type(amount) is Decimal and amount.as_tuple().exponent == -2 and amount <= MAX_AMOUNT:  # yuan already
                fen = int(amount.scaleb(2))
            else:
                fen = to_fen(amount)
                amount = _d(fen)
            if fen <= 0:
                raise MoneyError(f"postings[{index}].amount is {posting.amount}; a posted amount must be positive")
            checked.append((posting, fen, amount))
        if not checked:
            return self, ()

        # Duplicates and reversed cases, per case (P1-PEN-09: a case's lines are its own).
        by_case: dict[UUID, list[Posting]] = {}
        for posting, _, _ in checked:
            by_case.setdefault(posting.case_id, []).append(posting)
        shards = list(self._cases)
        for case_id, items in by_case.items():
            record = shards[case_id.int % _SHARDS].get(case_id)
            if record is not None and record.reversed:
                raise LedgerError(
                    f"case {case_id} was reversed on appeal; its penalties cannot be posted again",
                    rule="LEDGER-REVERSE",
                )
            if record is None and len(items) == 1:
                continue
            seen = {(line.line_id, line.person_id) for line in record.lines} if record is not None else set()
            for posting in items:
                key = (posting.line_id, posting.person_id)
                if key in seen:
                    raise LedgerError(
                        f"case {case_id} line {posting.line_id!r} is already posted for {posting.person_id}",
                        rule="LEDGER-DUPLICATE",
                    )
                seen.add(key)

        # Accepted: assign sequence numbers in the given order and build every index.
        seq = self._seq
        entries: list[LedgerEntry] = []
        lots: dict[str, list[_Lot]] = {}
        deltas: dict[str, int] = {}
        for posting, fen, amount in checked:
            seq += 1
            person = posting.person_id
            entry = LedgerEntry(
                seq=seq,
                kind=EntryKind.POSTED,
                person_id=person,
                month=month,
                case_id=posting.case_id,
                line_id=posting.line_id,
                rule_id=posting.rule_id,
                amount=amount,
                points=posting.points,
                capped=posting.capped,
            )
            entries.append(entry)
            if person in lots:
                lots[person].append(_Lot(fen, entry))
                deltas[person] += fen
            else:
                lots[person] = [_Lot(fen, entry)]
                deltas[person] = fen
        by_case_entries: dict[UUID, list[LedgerEntry]] = {}
        for entry in entries:
            by_case_entries.setdefault(entry.case_id, []).append(entry)
        touched: dict[int, dict[UUID, _CaseRecord]] = {}
        for case_id, lines in by_case_entries.items():
            shard = case_id.int % _SHARDS
            if shard not in touched:
                touched[shard] = dict(shards[shard])
            old = touched[shard].get(case_id)
            touched[shard][case_id] = _CaseRecord((*old.lines, *lines) if old else tuple(lines))
        for shard, mapping in touched.items():
            shards[shard] = MappingProxyType(mapping)

        log, person_logs, month_logs = _append_logs(self._log, self._person_logs, self._month_logs, entries)
        return (
            attrs.evolve(
                self,
                seq=seq,
                log=log,
                person_logs=person_logs,
                month_logs=month_logs,
                balances=_apply_deltas(self._balances, deltas),
                pending=MappingProxyType(_add_pending(self._pending, month, posts=lots)),
                cases=tuple(shards),
            ),
            tuple(entries),
        )

    def reverse(self, case_id: UUID, *, month: str, reason: str) -> tuple[Ledger, tuple[LedgerEntry, ...]]:
        """A successful appeal: post a reversing entry for every line of the case, for every person.

        Nothing is edited or deleted. A line whose month is still open is reversed
        in that same month, so an overturned penalty is never deducted; a line
        from a closed month is reversed in ``month`` (an open month), where at
        its close the part still carried is dropped and the part already
        deducted is set against what the person owes, the rest refunded. Pass
        ``earliest_open(month)``: reversed later than the first open month, the
        carried part is deducted once more at the close of every month between.
        Refuses (``LEDGER-REVERSE``) a case with nothing posted or already
        reversed, or a missing reason; a closed ``month`` is ``LEDGER-CLOSED``.
        """
        month = self._check_open(month, "reverse into")
        if not isinstance(reason, str) or not reason.strip():
            raise LedgerError("a reversal needs the appeal's reason", rule="LEDGER-REVERSE")
        shard = case_id.int % _SHARDS if isinstance(case_id, UUID) else 0
        record = self._cases[shard].get(case_id)
        if record is None or not record.lines:
            raise LedgerError(f"case {case_id} has nothing posted to reverse", rule="LEDGER-REVERSE")
        if record.reversed:
            raise LedgerError(f"case {case_id} is already reversed", rule="LEDGER-REVERSE")

        seq = self._seq
        entries: list[LedgerEntry] = []
        deltas: dict[str, int] = {}
        by_month: dict[str, dict[str, list[_Lot]]] = {}
        for line in record.lines:
            target = line.month if self.is_open(line.month) else month
            fen = to_fen(line.amount)
            seq += 1
            entry = LedgerEntry(
                seq=seq,
                kind=EntryKind.REVERSED,
                person_id=line.person_id,
                month=target,
                case_id=case_id,
                line_id=line.line_id,
                rule_id=line.rule_id,
                amount=line.amount,
                points=line.points,
                capped=line.capped,
                note=reason,
            )
            entries.append(entry)
            by_month.setdefault(target, {}).setdefault(line.person_id, []).append(_Lot(fen, entry))
            deltas[line.person_id] = deltas.get(line.person_id, 0) - fen
        pending: Mapping[str, _MonthBook] = self._pending
        for target, revs in by_month.items():
            pending = _add_pending(pending, target, reversals=revs)
        shards = list(self._cases)
        mapping = dict(shards[shard])
        mapping[case_id] = _CaseRecord(record.lines, reversed=True)
        shards[shard] = MappingProxyType(mapping)
        log, person_logs, month_logs = _append_logs(self._log, self._person_logs, self._month_logs, entries)
        return (
            attrs.evolve(
                self,
                seq=seq,
                log=log,
                person_logs=person_logs,
                month_logs=month_logs,
                balances=_apply_deltas(self._balances, deltas),
                pending=MappingProxyType(dict(pending)),
                cases=tuple(shards),
            ),
            tuple(entries),
        )

    def close_month(
        self, month: str, *, bonuses: Mapping[str, Decimal], cap_ratio: Decimal | None
    ) -> tuple[Ledger, MonthClose]:
        """Close a month: deduct what is due, capped at ``cap_ratio`` × bonus, and carry the rest (P1-PEN-11).

        Per person: ``due = carry_in + posted - reversed``. A reversal of amounts
        already deducted is first set against the capped open amounts, then the
        uncapped ones (oldest first); what remains of it is refunded (not capped).
        Uncapped amounts (major demerit, P1-PEN-06) are deducted in full and do
        not use up the cap; capped amounts are deducted oldest first up to
        ``cap = floor_to_fen(cap_ratio × bonus)`` (a missing or zero bonus gives a
        cap of 0; ``cap_ratio=None`` means no cap); the rest carries to the
        following months in order.

        The first close may be any month no later than the earliest month with
        something recorded in it; each later close must be the next calendar
        month (``LEDGER-ORDER``). Closing a closed month again with the same
        inputs returns the stored result and this very ledger; with a different
        cap ratio, or a bonus giving someone in it another cap, it is refused
        (``LEDGER-CLOSED``): a closed month is never recomputed.
        """
        month = _check_month(month)
        ratio = _check_ratio(cap_ratio)
        done = self._closes.get(month)
        if done is not None:
            self._check_same_close(done, bonuses, ratio)
            return self, done
        if self._closed:
            expected = _next_month(self._closed[-1])
            if month != expected:
                raise LedgerError(
                    f"months close in order: {self._closed[-1]} is the last closed month, so the next is {expected},"
                    f" not {month}",
                    rule="LEDGER-ORDER",
                )
        elif self._pending:
            earliest = min(self._pending)
            if earliest < month:
                raise LedgerError(
                    f"{earliest} has entries and would never be closed; close it before {month}",
                    rule="LEDGER-ORDER",
                )

        book = self._pending.get(month, _EMPTY_BOOK)
        people = sorted(set(self._carried) | set(book.posts) | set(book.reversals))
        checked_bonus: dict[str, int] = {}
        for person, bonus in bonuses.items():
            fen = to_fen(bonus)
            if fen < 0:
                raise MoneyError(f"bonus of {person} is {bonus}; a bonus cannot be negative")
            checked_bonus[person] = fen

        seq = self._seq
        rows: list[PersonMonth] = []
        lines: list[LedgerEntry] = []
        carried = dict(self._carried)
        deltas: dict[str, int] = {}
        for person in people:
            bonus_fen = checked_bonus.get(person)
            cap = None if ratio is None else (_cap(ratio, bonus_fen) if bonus_fen else 0)
            row, seq, carry, delta = _close_person(
                person,
                month,
                carried.get(person),
                book.posts.get(person, ()),
                book.reversals.get(person, ()),
                bonus_fen,
                cap,
                seq,
                lines,
            )
            rows.append(row)
            if carry is not None:
                carried[person] = carry
            else:
                carried.pop(person, None)
            if delta:
                deltas[person] = delta

        result = MonthClose(month=month, cap_ratio=ratio, people=tuple(rows), lines=tuple(lines))
        pending = dict(self._pending)
        pending.pop(month, None)
        closes = dict(self._closes)
        closes[month] = result
        log, person_logs, month_logs = _append_logs(self._log, self._person_logs, self._month_logs, lines)
        new = attrs.evolve(
            self,
            seq=seq,
            log=log,
            person_logs=person_logs,
            month_logs=month_logs,
            balances=_apply_deltas(self._balances, deltas),
            carried=MappingProxyType(carried),
            pending=MappingProxyType(pending),
            closes=MappingProxyType(closes),
            closed=(*self._closed, month),
        )
        return new, result

    # ----- guards ----------------------------------------------------------------------------
    def _check_open(self, month: str, what: str) -> str:
        month = _check_month(month)
        if not self.is_open(month):
            raise LedgerError(
                f"cannot {what} {month}: every month up to {self._closed[-1]} is closed", rule="LEDGER-CLOSED"
            )
        return month

    def _check_same_close(self, done: MonthClose, bonuses: Mapping[str, Decimal], ratio: Decimal | None) -> None:
        if ratio != done.cap_ratio:
            raise LedgerError(
                f"{done.month} is already closed with cap ratio {done.cap_ratio}, not {ratio}", rule="LEDGER-CLOSED"
            )
        if ratio is None:
            return
        for row in done.people:
            given = bonuses.get(row.person_id)
            cap = _d(_cap(ratio, to_fen(given))) if given is not None else _d(0)
            if cap != row.cap:
                raise LedgerError(
                    f"{done.month} is already closed with a cap of {row.cap} for {row.person_id}"
                    f" (bonus {row.bonus}), not {cap} (bonus {given})",
                    rule="LEDGER-CLOSED",
                )


def _check_ratio(cap_ratio: Decimal | None) -> Decimal | None:
    if cap_ratio is None:
        return None
    if isinstance(cap_ratio, bool) or not isinstance(cap_ratio, Decimal | int):
        raise MoneyError(f"cap_ratio must be a Decimal, not {type(cap_ratio).__name__}", rule="P1-PEN-11")
    ratio = Decimal(cap_ratio)
    if not ratio.is_finite() or not 0 <= ratio <= 1:
        raise MoneyError(f"cap_ratio must lie between 0 and 1, got {cap_ratio}", rule="P1-PEN-11")
    if not ratio_is_plain(ratio):
        raise MoneyError(f"cap_ratio {cap_ratio} has more than {MAX_RATIO_PLACES} decimal places", rule="P1-PEN-11")
    return ratio


def _cap(ratio: Decimal, bonus_fen: int) -> int:
    """floor(ratio × bonus) in fen, exactly: ``int(ratio * bonus_fen)`` rounds to 28 digits first, and a
    rounded-up product would give a cap above the ratio (P1-PEN-11)."""
    numerator, denominator = ratio.as_integer_ratio()
    return bonus_fen * numerator // denominator


def _apply_deltas(balances: Mapping[str, int], deltas: Mapping[str, int]) -> Mapping[str, int]:
    if not deltas:
        return balances
    out = dict(balances)
    for person, delta in deltas.items():
        value = out.get(person, 0) + delta
        if value:
            out[person] = value
        else:
            out.pop(person, None)
    return MappingProxyType(out)


def _entry_of(
    src: LedgerEntry, *, seq: int, kind: EntryKind, person: str, month: str, fen: int, note: str = ""
) -> LedgerEntry:
    """An entry of a month close for ``fen`` of the posting (or reversal) ``src``: it names that posting."""
    return LedgerEntry(
        seq=seq,
        kind=kind,
        person_id=person,
        month=month,
        case_id=src.case_id,
        line_id=src.line_id,
        rule_id=src.rule_id,
        amount=_d(fen),
        points=src.points,
        capped=src.capped,
        note=note,
    )


def _close_person(
    person: str,
    month: str,
    carry: _Carry | None,
    posts: tuple[_Lot, ...],
    revs: tuple[_Lot, ...],
    bonus_fen: int | None,
    cap: int | None,
    seq: int,
    out: list[LedgerEntry],
) -> tuple[PersonMonth, int, _Carry | None, int]:
    """One person's close: appends the attribution entries to ``out``; returns the row, the last sequence
    number used, what is carried out and the change of the person's balance in fen.

    Without reversals only the carried chunks the cap reaches are read (the rest is passed on as is);
    a month with reversals for the person reads the person's whole open queue once.
    """
    carry_in = carry.total if carry is not None else 0
    chunks = carry.chunks if carry is not None else ()
    posted = sum(lot.fen for lot in posts)
    reversed_ = sum(rev.fen for rev in revs)
    points = sum(lot.entry.points for lot in posts) - sum(rev.entry.points for rev in revs)
    refunded = 0
    if revs:
        queue, seq, refunded = _apply_reversals(
            person, month, [lot for c in chunks for lot in c], posts, revs, seq, out
        )
        chunks, posts = (), tuple(queue)

    # Deductions, oldest first: carried chunks (all capped) as far as the cap reaches, then the month's
    # own lots: uncapped in full (P1-PEN-06), capped up to what is left of the cap (P1-PEN-11).
    room = cap
    deducted = deducted_uncapped = 0
    chunks_left = carry_in if chunks else 0
    keep: list[tuple[_Lot, ...]] = []
    for ci, chunk in enumerate(chunks):
        if room == 0:
            keep.extend(chunks[ci:])
            break
        for j, lot in enumerate(chunk):
            take = lot.fen if room is None else min(lot.fen, room)
            seq += 1
            out.append(_entry_of(lot.entry, seq=seq, kind=EntryKind.DEDUCTED, person=person, month=month, fen=take))
            deducted += take
            chunks_left -= take
            if room is not None:
                room -= take
            if take < lot.fen:
                keep.append((lot._replace(fen=lot.fen - take), *chunk[j + 1 :]))
                break
            if room == 0:
                if j + 1 < len(chunk):
                    keep.append(chunk[j + 1 :])
                break
    fresh: list[_Lot] = []
    for lot in posts:
        if not lot.entry.capped:
            take = lot.fen
            deducted_uncapped += take
        elif room is None:
            take = lot.fen
            deducted += take
        else:
            take = min(lot.fen, room)
            room -= take
            deducted += take
            if take < lot.fen:
                fresh.append(lot if take == 0 else lot._replace(fen=lot.fen - take))
        if take:
            seq += 1
            out.append(_entry_of(lot.entry, seq=seq, kind=EntryKind.DEDUCTED, person=person, month=month, fen=take))
    carry_out = chunks_left + sum(lot.fen for lot in fresh)
    new_carry: _Carry | None = None
    if fresh:
        keep.append(tuple(fresh))
    if keep:
        if len(keep) > _MAX_CHUNKS:
            keep = [tuple(lot for chunk in keep for lot in chunk)]
        new_carry = _Carry(carry_out, tuple(keep))
    row = PersonMonth(
        person_id=person,
        carry_in=_d(carry_in),
        posted=_d(posted),
        reversed=_d(reversed_),
        due=_d(carry_in + posted - reversed_),
        bonus=None if bonus_fen is None else _d(bonus_fen),
        cap=None if cap is None else _d(cap),
        deducted=_d(deducted),
        deducted_uncapped=_d(deducted_uncapped),
        refunded=_d(refunded),
        carry_out=_d(carry_out),
        points=points,
    )
    return row, seq, new_carry, refunded - deducted - deducted_uncapped


def _apply_reversals(
    person: str,
    month: str,
    carried: list[_Lot],
    posts: tuple[_Lot, ...],
    revs: tuple[_Lot, ...],
    seq: int,
    out: list[LedgerEntry],
) -> tuple[list[_Lot], int, int]:
    """Reversals recorded in the month: drop what is still open of each reversed line; what was already
    deducted (or offset) is owed back: it is set against the open amounts, capped first (they would
    otherwise wait for the cap), then uncapped, oldest first within each, so the totals do not depend on
    the order postings were made; the rest is refunded. Returns (open lots in FIFO order, seq, refunded)."""
    lots = [*carried, *posts]
    where = {(lot.entry.case_id, lot.entry.line_id): i for i, lot in enumerate(lots)}
    gone: set[int] = set()
    credit_revs: list[_Lot] = []
    credit_left: list[int] = []
    for reversal in revs:
        i = where.get((reversal.entry.case_id, reversal.entry.line_id))
        still_open = 0
        if i is not None:
            still_open = lots[i].fen
            gone.add(i)
        if reversal.fen > still_open:
            credit_revs.append(reversal)
            credit_left.append(reversal.fen - still_open)
    if gone:
        lots = [lot for i, lot in enumerate(lots) if i not in gone]
    if not credit_revs:
        return lots, seq, 0

    left = [lot.fen for lot in lots]
    order = [i for i, lot in enumerate(lots) if lot.entry.capped] + [
        i for i, lot in enumerate(lots) if not lot.entry.capped
    ]
    c = 0
    for i in order:
        if c == len(credit_revs):
            break
        src = lots[i].entry
        while c < len(credit_revs) and left[i] > 0:
            against = credit_revs[c].entry
            take = min(credit_left[c], left[i])
            left[i] -= take
            credit_left[c] -= take
            if credit_left[c] == 0:
                c += 1
            seq += 1
            note = f"set against the reversal of case {against.case_id} line {against.line_id}"
            out.append(_entry_of(src, seq=seq, kind=EntryKind.OFFSET, person=person, month=month, fen=take, note=note))
    refunded = 0
    for credit, avail in zip(credit_revs[c:], credit_left[c:], strict=True):
        rev = credit.entry
        refunded += avail
        seq += 1
        note = "refund of an amount deducted before the appeal succeeded"
        out.append(_entry_of(rev, seq=seq, kind=EntryKind.REFUNDED, person=person, month=month, fen=avail, note=note))
    return [lot._replace(fen=f) for lot, f in zip(lots, left, strict=True) if f > 0], seq, refunded
