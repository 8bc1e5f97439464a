"""Retry schedule, outcome classification and the circuit breaker."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.webhooks.schedule import (
    MAX_ATTEMPTS,
    MAX_RETRY_AFTER,
    SCHEDULE,
    BreakerState,
    CircuitBreaker,
    Decision,
    Fate,
    Outcome,
    classify,
    decide,
    jittered,
    next_attempt_at,
    parse_retry_after,
)

NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
MID = 0.5  # jitter factor exactly 1.0


def test_schedule_is_svix() -> None:
    assert [d.total_seconds() for d in SCHEDULE] == [0, 5, 300, 1800, 7200, 18000, 36000, 36000]
    assert MAX_ATTEMPTS == 8


def test_next_attempt_without_jitter_follows_the_table() -> None:
    got = [next_attempt_at(n, NOW, rng=MID) for n in range(1, MAX_ATTEMPTS)]
    assert got == [NOW + d for d in SCHEDULE[1:]]
    assert next_attempt_at(MAX_ATTEMPTS, NOW, rng=MID) is None  # dead after the 8th attempt
    assert next_attempt_at(MAX_ATTEMPTS + 3, NOW, rng=MID) is None


def test_jitter_bounds() -> None:
    assert next_attempt_at(2, NOW, rng=0.0) == NOW + timedelta(minutes=4)  # -20 %
    upper = next_attempt_at(2, NOW, rng=0.999999)
    assert upper is not None and NOW + timedelta(minutes=5) < upper < NOW + timedelta(minutes=6)
    with pytest.raises(ValueError):
        next_attempt_at(2, NOW, rng=1.0)
    with pytest.raises(ValueError):
        next_attempt_at(0, NOW, rng=MID)


def test_injected_random_is_deterministic() -> None:
    a = [next_attempt_at(n, NOW, rng=random.Random(7)) for n in range(1, 8)]
    b = [next_attempt_at(n, NOW, rng=random.Random(7)) for n in range(1, 8)]
    assert a == b


def test_larger_retry_after_wins_smaller_does_not_hurry() -> None:
    assert next_attempt_at(1, NOW, retry_after=timedelta(minutes=2), rng=MID) == NOW + timedelta(minutes=2)
    assert next_attempt_at(4, NOW, retry_after=timedelta(seconds=1), rng=MID) == NOW + timedelta(hours=2)
    assert next_attempt_at(1, NOW, retry_after=timedelta(days=30), rng=MID) == NOW + MAX_RETRY_AFTER
    assert next_attempt_at(MAX_ATTEMPTS, NOW, retry_after=timedelta(minutes=2), rng=MID) is None


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("120", timedelta(seconds=120)),
        (" 0 ", timedelta(0)),
        ("9" * 30, MAX_RETRY_AFTER),
        ("9" * 5000, MAX_RETRY_AFTER),
        ("Mon, 02 Nov 2026 01:10:00 GMT", timedelta(minutes=10)),
        ("Mon, 02 Nov 2026 01:10:00 -0000", timedelta(minutes=10)),  # RFC 5322's "UTC, zone unknown": naive
        ("Sun, 01 Nov 2026 01:10:00 GMT", timedelta(0)),  # in the past
        ("Mon, 01 Nov 2027 01:00:00 GMT", MAX_RETRY_AFTER),
        ("", None),
        (None, None),
        ("soon", None),
        ("-5", None),
        ("1.5", None),
        ("٣", None),  # a non-ASCII digit
    ],
)
def test_parse_retry_after(header: str | None, expected: timedelta | None) -> None:
    assert parse_retry_after(header, NOW) == expected


@pytest.mark.parametrize("zone", ["GMT", "-0000", "+0800"])
def test_an_http_date_is_read_in_its_own_zone_whatever_now_s_zone(zone: str) -> None:
    """A date in "-0000" (RFC 5322: UTC, source zone unknown) was read in ``now``'s zone: 8 hours off for a
    Shanghai ``now``."""
    shanghai = NOW.astimezone(ZoneInfo("Asia/Shanghai"))
    hour = "09" if zone == "+0800" else "01"
    assert parse_retry_after(f"Mon, 02 Nov 2026 {hour}:10:00 {zone}", shanghai) == timedelta(minutes=10)


def test_an_http_date_needs_an_aware_now() -> None:
    naive = NOW.replace(tzinfo=None)
    assert parse_retry_after("120", naive) == timedelta(seconds=120)  # delta-seconds need no zone
    for header in ("Mon, 02 Nov 2026 01:10:00 GMT", "Mon, 02 Nov 2026 01:10:00 -0000"):
        with pytest.raises(ValueError, match="timezone-aware"):
            parse_retry_after(header, naive)


@pytest.mark.parametrize("attempt", [True, 1.0, "2", None])
def test_an_attempt_number_is_an_integer(attempt: object) -> None:
    with pytest.raises(ValueError, match="counts from 1"):
        next_attempt_at(attempt, NOW, rng=MID)  # type: ignore[arg-type]


@pytest.mark.parametrize("rng", [False, "0.5", Decimal("0.5"), -0.1, None])
def test_jitter_is_a_random_or_a_float_in_the_unit_interval(rng: object) -> None:
    with pytest.raises(ValueError, match="jitter must be"):
        jittered(timedelta(minutes=5), rng)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (199, Outcome.RETRY),
        (200, Outcome.DELIVERED),
        (204, Outcome.DELIVERED),
        (299, Outcome.DELIVERED),
        (None, Outcome.RETRY),
        (100, Outcome.RETRY),
        (300, Outcome.RETRY),
        (301, Outcome.RETRY),
        (308, Outcome.RETRY),
        (400, Outcome.RETRY),
        (404, Outcome.RETRY),
        (429, Outcome.RETRY),
        (500, Outcome.RETRY),
        (503, Outcome.RETRY),
        (410, Outcome.DISABLE_ENDPOINT),
    ],
)
def test_classify(status: int | None, outcome: Outcome) -> None:
    assert classify(status) is outcome


def test_decide() -> None:
    assert decide(1, NOW, 200, rng=MID) == Decision(fate=Fate.DELIVERED)
    assert decide(3, NOW, 410, rng=MID) == Decision(fate=Fate.ENDPOINT_DISABLED)
    assert decide(1, NOW, 503, retry_after="60", rng=MID) == Decision(
        fate=Fate.RETRY, retry_at=NOW + timedelta(seconds=60)
    )
    assert decide(2, NOW, None, rng=MID) == Decision(fate=Fate.RETRY, retry_at=NOW + timedelta(minutes=5))
    assert decide(MAX_ATTEMPTS, NOW, 500, rng=MID) == Decision(fate=Fate.DEAD)


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, MAX_ATTEMPTS - 2))
def test_schedule_is_monotone_ignoring_jitter(n: int) -> None:
    first, second = next_attempt_at(n, NOW, rng=MID), next_attempt_at(n + 1, NOW, rng=MID)
    assert first is not None and second is not None and first <= second


@settings(max_examples=300, deadline=None)
@given(n=st.integers(1, MAX_ATTEMPTS - 1), seed=st.integers(0, 2**32), u=st.floats(0, 1, exclude_max=True))
def test_jitter_stays_within_twenty_percent(n: int, seed: int, u: float) -> None:
    base = SCHEDULE[n]
    for rng in (random.Random(seed), u):
        at = next_attempt_at(n, NOW, rng=rng)
        assert at is not None
        assert base * 0.8 - timedelta(microseconds=1) <= at - NOW <= base * 1.2
    assert jittered(base, u) <= base * 1.2


# --- circuit breaker ---------------------------------------------------------------------------------------


def test_breaker_opens_after_threshold_and_half_opens_after_cool_down() -> None:
    breaker = CircuitBreaker(threshold=3, cool_down=timedelta(minutes=5))
    for i in range(2):
        breaker = breaker.record_failure(NOW + timedelta(seconds=i))
        assert breaker.state(NOW) is BreakerState.CLOSED and breaker.allows(NOW)
    breaker = breaker.record_failure(NOW)
    assert breaker.state(NOW + timedelta(minutes=4)) is BreakerState.OPEN
    assert not breaker.allows(NOW + timedelta(minutes=4))
    assert breaker.state(NOW + timedelta(minutes=5)) is BreakerState.HALF_OPEN
    assert breaker.allows(NOW + timedelta(minutes=5))
    # a failed trial reopens for a full cool-down from the trial
    trial = NOW + timedelta(minutes=6)
    reopened = breaker.record_failure(trial)
    assert reopened.state(trial + timedelta(minutes=4)) is BreakerState.OPEN
    assert reopened.state(trial + timedelta(minutes=5)) is BreakerState.HALF_OPEN
    # a successful trial closes and resets
    closed = reopened.record(Outcome.DELIVERED, trial)
    assert closed.state(trial) is BreakerState.CLOSED and closed.consecutive_failures == 0


def test_breaker_success_resets_the_count_and_is_immutable() -> None:
    breaker = CircuitBreaker(threshold=2)
    once = breaker.record(Outcome.RETRY, NOW)
    assert breaker.consecutive_failures == 0 and once.consecutive_failures == 1
    again = once.record_success().record_failure(NOW)
    assert again.state(NOW) is BreakerState.CLOSED
    assert once.record(Outcome.DISABLE_ENDPOINT, NOW).state(NOW) is BreakerState.OPEN
    with pytest.raises(AttributeError):
        breaker.consecutive_failures = 3  # type: ignore[misc]
    with pytest.raises(ValueError):
        CircuitBreaker(threshold=0)


def test_a_failure_reopens_an_open_breaker_whatever_its_count() -> None:
    """A breaker stored open under a threshold since raised (its count below the new one) still reopens from now
    on a failed trial, as the docstring says: a failure in HALF_OPEN starts a full cool-down."""
    opened = NOW - timedelta(hours=1)
    breaker = CircuitBreaker(threshold=10, consecutive_failures=5, opened_at=opened)
    assert breaker.state(NOW) is BreakerState.HALF_OPEN
    again = breaker.record_failure(NOW)
    assert again.opened_at == NOW and again.consecutive_failures == 6
    assert again.state(NOW) is BreakerState.OPEN
