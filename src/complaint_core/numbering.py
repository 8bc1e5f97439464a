"""Case numbers from a policy template (DOMAIN §6.1).

P1-NUM-01/02: ``{yy}{mm}{seq:02}``, reset monthly (5th case of March 2023 →
``230305``). P2-NUM-01/02: ``{yy}{mm}{dd}{seq:03}``, reset yearly
(``230912099``). A serial that outgrows its width widens instead of
overflowing. The serial itself comes from a port (``SerialSource``), so
uniqueness under concurrency is the repository's job.
"""

from __future__ import annotations

from datetime import date

from .policy import NumberingRule, NumberReset


def period_key(rule: NumberingRule, day: date) -> str:
    """The period whose serials restart together: ``2023-03`` monthly, ``2023`` yearly, ``all`` never."""
    if rule.reset is NumberReset.MONTHLY:
        return f"{day.year:04d}-{day.month:02d}"
    if rule.reset is NumberReset.YEARLY:
        return f"{day.year:04d}"
    return "all"


def format_number(rule: NumberingRule, day: date, seq: int) -> str:
    if seq < 1:
        raise ValueError(f"serial must be >= 1, got {seq}")
    return rule.template.format(
        yyyy=f"{day.year:04d}",
        yy=f"{day.year % 100:02d}",
        mm=f"{day.month:02d}",
        dd=f"{day.day:02d}",
        seq=seq,
    )
