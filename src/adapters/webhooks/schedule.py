"""When to try a webhook delivery again, when to give up, and when an endpoint is unhealthy. Pure functions.

The schedule is Svix's (the one the Standard Webhooks spec cites): attempt 1 immediately, then 5 s,
5 min, 30 min, 2 h, 5 h, 10 h and 10 h after each failure, 8 attempts over about 27.5 hours. Each
delay gets +-20 % jitter so that endpoints recovering from an outage are not hit by a synchronised
wave. Randomness is injected (a ``random.Random`` or a float in [0, 1)) so tests are deterministic.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum

import attrs

SCHEDULE: tuple[timedelta, ...] = (
    timedelta(0),
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
"""``SCHEDULE[n - 1]`` is the delay before attempt ``n``, counted from the failure of attempt ``n - 1``."""

MAX_ATTEMPTS = len(SCHEDULE)
JITTER = 0.2
MAX_RETRY_AFTER = timedelta(hours=24)
"""A ``Retry-After`` longer than this is cut to it: a receiver asking for a week would otherwise park the
message far beyond the whole 27.5 h schedule; a day keeps the message alive and bounded."""


def _unit(rng: random.Random | float) -> float:
    if isinstance(rng, random.Random):
        return rng.random()
    if isinstance(rng, bool) or not isinstance(rng, int | float) or not 0.0 <= rng < 1.0:
        raise ValueError(f"jitter must be a random.Random or a float in [0, 1), got {rng!r}")
    return float(rng)


def jittered(delay: timedelta, rng: random.Random | float) -> timedelta:
    """``delay`` scaled by a factor in [0.8, 1.2): 0 -> 0.8, 0.5 -> 1.0."""
    return delay * (1.0 + JITTER * (2.0 * _unit(rng) - 1.0))


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """A ``Retry-After`` header as a delay: delta-seconds (``"120"``) or an HTTP-date; ``None`` if absent or junk.

    A date in the past gives ``timedelta(0)``; anything beyond ``MAX_RETRY_AFTER`` is capped to it.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isascii() and text.isdigit():
        # Cap before converting: "9" * 30 seconds overflows timedelta, 5000 digits exceed int()'s limit.
        return MAX_RETRY_AFTER if len(text) > 9 else min(timedelta(seconds=int(text)), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000" means UTC in RFC 5322 and HTTP-dates are always GMT
        when = when.replace(tzinfo=UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware to compare with an HTTP-date")
    return min(max(when - now, timedelta(0)), MAX_RETRY_AFTER)


def next_attempt_at(
    attempt_number: int,
    now: datetime,
    *,
    retry_after: timedelta | None = None,
    rng: random.Random | float,
) -> datetime | None:
    """When to make attempt ``attempt_number + 1`` after attempt ``attempt_number`` (1-based) failed at ``now``.

    ``None`` means the message is dead: attempt ``MAX_ATTEMPTS`` was the last. A ``retry_after`` longer
    than the jittered delay wins (capped at ``MAX_RETRY_AFTER``); a shorter one never hurries a retry.
    """
    if isinstance(attempt_number, bool) or not isinstance(attempt_number, int) or attempt_number < 1:
        raise ValueError(f"attempt_number counts from 1, got {attempt_number!r}")
    if attempt_number >= MAX_ATTEMPTS:
        return None
    delay = jittered(SCHEDULE[attempt_number], rng)
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return now + delay


class Outcome(StrEnum):
    """What one HTTP attempt means for the message and its endpoint."""

    DELIVERED = "delivered"  # any 2xx
    RETRY = "retry"  # 1xx, 3xx (redirects are not followed), 4xx except 410, 5xx, timeouts, connection errors
    DISABLE_ENDPOINT = "disable_endpoint"  # 410 Gone: the receiver asks us to stop


def classify(status: int | None) -> Outcome:
    """Classify an attempt by its HTTP status; ``None`` stands for a timeout or a connection error."""
    if status is None:
        return Outcome.RETRY
    if 200 <= status <= 299:
        return Outcome.DELIVERED
    if status == 410:
        return Outcome.DISABLE_ENDPOINT
    return Outcome.RETRY


class Fate(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    DEAD = "dead"  # schedule exhausted
    ENDPOINT_DISABLED = "endpoint_disabled"


@attrs.frozen(kw_only=True)
class Decision:
    """What the relay records after one attempt; ``retry_at`` is set exactly when ``fate`` is RETRY."""

    fate: Fate
    retry_at: datetime | None = None


def decide(
    attempt_number: int,
    now: datetime,
    status: int | None,
    *,
    retry_after: str | None = None,
    rng: random.Random | float,
) -> Decision:
    """Classification plus schedule in one call: the relay's only question after an attempt."""
    outcome = classify(status)
    if outcome is Outcome.DELIVERED:
        return Decision(fate=Fate.DELIVERED)
    if outcome is Outcome.DISABLE_ENDPOINT:
        return Decision(fate=Fate.ENDPOINT_DISABLED)
    at = next_attempt_at(attempt_number, now, retry_after=parse_retry_after(retry_after, now), rng=rng)
    return Decision(fate=Fate.DEAD) if at is None else Decision(fate=Fate.RETRY, retry_at=at)


class BreakerState(StrEnum):
    CLOSED = "closed"  # deliver normally
    OPEN = "open"  # skip the endpoint until the cool-down has passed
    HALF_OPEN = "half_open"  # cool-down over: send one trial message


@attrs.frozen(kw_only=True)
class CircuitBreaker:
    """Per-endpoint breaker: after ``threshold`` consecutive failures stop sending for ``cool_down``.

    Why: a dead endpoint would otherwise take a timeout for every pending message on every relay pass.
    Values only; the relay stores ``consecutive_failures`` and ``opened_at`` with the endpoint. In
    HALF_OPEN the relay sends one message: a success closes the breaker, a failure reopens it from now.
    """

    threshold: int = attrs.field(default=5, validator=attrs.validators.ge(1))
    cool_down: timedelta = timedelta(minutes=5)
    consecutive_failures: int = attrs.field(default=0, validator=attrs.validators.ge(0))
    opened_at: datetime | None = None

    def state(self, now: datetime) -> BreakerState:
        if self.opened_at is None:
            return BreakerState.CLOSED
        return BreakerState.OPEN if now < self.opened_at + self.cool_down else BreakerState.HALF_OPEN

    def allows(self, now: datetime) -> bool:
        """May the relay send to this endpoint at ``now``?"""
        return self.state(now) is not BreakerState.OPEN

    def record_success(self) -> CircuitBreaker:
        return attrs.evolve(self, consecutive_failures=0, opened_at=None)

    def record_failure(self, now: datetime) -> CircuitBreaker:
        failures = self.consecutive_failures + 1
        if self.opened_at is not None or failures >= self.threshold:
            # a failed half-open trial (or the threshold reached) opens the breaker for a full cool-down from now
            return attrs.evolve(self, consecutive_failures=failures, opened_at=now)
        return attrs.evolve(self, consecutive_failures=failures)

    def record(self, outcome: Outcome, now: datetime) -> CircuitBreaker:
        """Fold one attempt's outcome in; 410 counts as a failure (the endpoint is disabled elsewhere)."""
        return self.record_success() if outcome is Outcome.DELIVERED else self.record_failure(now)
