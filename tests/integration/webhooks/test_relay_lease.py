"""The relay's leases: renewed while deliveries are in flight, so they can be short and a crash is
recovered from within one lease (real SQLite and PostgreSQL, a real receiver on 127.0.0.1)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, update
from whkit import T0, Answer, Receiver, engine_of, make_cases, rows

from adapters.clock import FixedClock, SystemClock
from adapters.sql import tables as t
from adapters.webhooks import endpoints as ep
from adapters.webhooks.relay import Relay

LEASE = timedelta(seconds=60)


def leases(engine: Engine) -> dict[int, datetime]:
    return {d["id"]: d["next_attempt_at"] for d in rows(engine, t.webhook_deliveries) if d["status"] == "pending"}


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, db_url: str) -> str:
    return db_url if request.param == "sqlite" else request.getfixturevalue("pg_url")


def test_the_default_lease_is_three_request_timeouts_and_at_least_a_minute(db_url: str) -> None:
    engine = engine_of(db_url)
    with Relay(engine, clock=SystemClock(), rng=0.5) as relay:
        assert relay.lease == timedelta(seconds=60)  # 3 x (15 + 5)
    with Relay(engine, clock=SystemClock(), rng=0.5, timeout=30, connect=10, batch=500) as relay:
        assert relay.lease == timedelta(seconds=120)  # no longer grows with the batch
    with pytest.raises(ValueError, match="lease"):
        Relay(engine, clock=SystemClock(), rng=0.5, lease=timedelta(0))


def test_renew_extends_only_what_is_in_flight_and_never_a_recorded_fate(url: str, receiver: Receiver) -> None:
    make_cases(url, 3)
    engine = engine_of(url)
    ep.add_endpoint(engine, receiver.url, now=T0)
    clock = FixedClock(T0)
    with Relay(engine, clock=clock, rng=0.5, lease=LEASE, batch=2) as relay:
        relay.fan_out()
        jobs = relay.claim()
        claimed = {job.delivery_id for job in jobs}
        before = leases(engine)
        assert len(claimed) == 2 and all(before[i] == T0 + LEASE for i in claimed)
        (waiting,) = set(before) - claimed
        assert before[waiting] == T0  # due, not leased

        clock.advance_to(T0 + timedelta(seconds=50))
        assert relay.renew() == 2
        after = leases(engine)
        assert {i: after[i] for i in claimed} == dict.fromkeys(claimed, T0 + timedelta(seconds=110))
        assert after[waiting] == T0  # another relay's (or nobody's) delivery is left alone

        receiver.behaviour = lambda r, n: Answer(500)  # a retry: its due time must survive later renewals
        relay.record(relay.send(jobs))
        retry_times = leases(engine)
        clock.advance_to(T0 + timedelta(seconds=55))
        assert relay.renew() == 0
        assert leases(engine) == retry_times
        assert all(retry_times[i] < T0 + timedelta(seconds=110) for i in claimed)


def test_a_batch_longer_than_its_lease_is_not_taken_by_a_second_relay(pg_url: str) -> None:
    """PostgreSQL, two relays: A's batch takes two lease lengths; B polls all along and must get none of it.

    The renewal comes every 0.8 s of a 2.4 s lease, so a heartbeat held up by a loaded machine for 1.6 s still lands
    in time (a 1.2 s lease failed once under the whole suite's load)."""
    receiver = Receiver(lambda r, n: Answer(204, delay=0.6))
    try:
        ids = make_cases(pg_url, 8)
        engine = engine_of(pg_url)
        ep.add_endpoint(engine, receiver.url, now=T0)
        lease = timedelta(seconds=2.4)  # renewed every 0.8 s
        a = Relay(engine, clock=SystemClock(), rng=0.5, batch=8, lease=lease)
        b = Relay(engine, clock=SystemClock(), rng=0.5, batch=8, lease=lease)
        stolen = []
        a.fan_out()
        jobs = a.claim()
        assert len(jobs) == 8
        done = threading.Event()

        def poll() -> None:
            while not done.is_set():
                stolen.extend(b.claim())
                time.sleep(0.1)

        poller = threading.Thread(target=poll)
        poller.start()
        try:
            a.record(a.send(jobs))  # ~4.8 s, sequentially
        finally:
            done.set()
            poller.join(30)
            a.close()
            b.close()
        assert stolen == []
        assert sorted(receiver.ids()) == sorted(ids)  # each message exactly once
        assert {d["status"] for d in rows(engine, t.webhook_deliveries)} == {"delivered"}
    finally:
        receiver.stop()


def test_deliveries_of_a_failed_run_are_no_longer_renewed(db_url: str, receiver: Receiver) -> None:
    make_cases(db_url, 2)
    engine = engine_of(db_url)
    ep.add_endpoint(engine, receiver.url, now=T0)
    clock = FixedClock(T0)

    class Broken(Relay):
        def record(self, results):  # type: ignore[no-untyped-def]
            raise RuntimeError("the database went away")

    with Broken(engine, clock=clock, rng=0.5, lease=LEASE) as relay:
        with pytest.raises(RuntimeError):
            relay.run_once()
        clock.advance_to(T0 + timedelta(seconds=30))
        assert relay.renew() == 0  # the leases lapse at T0 + 60 s and the messages go out again
    assert set(leases(engine).values()) == {T0 + LEASE}
    with pytest.raises(ValueError, match="max_batches"):
        Relay(engine, clock=clock, rng=0.5).run_once(max_batches=0)


def test_a_failed_renewal_is_tried_again_within_a_second(db_url: str) -> None:
    """A busy SQLite may take 30 s of a 60 s lease before the renewal fails: the next try must not wait 20 s more."""

    class Waits:
        def __init__(self, beats: int) -> None:
            self.asked: list[float] = []
            self.beats = beats

        def wait(self, timeout: float) -> bool:
            self.asked.append(timeout)
            return len(self.asked) > self.beats  # True: stopped

    relay = Relay(engine_of(db_url), clock=SystemClock(), rng=0.5, lease=LEASE)
    outcomes: Iterator[Exception | int] = iter([RuntimeError("database is busy"), 3, 2])

    def renew() -> int:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    waits = Waits(beats=3)
    relay.renew = renew  # type: ignore[method-assign]
    relay._stop_heartbeat = waits  # type: ignore[assignment]
    relay._beat()
    assert waits.asked == [20.0, 1.0, 20.0, 20.0]  # (the relay is not closed: its stop event is the fake)


def test_record_takes_any_iterable_and_releases_what_it_recorded(db_url: str, receiver: Receiver) -> None:
    """``record`` is public: given a generator of results it still ends their leases, so a retry is not renewed
    past its due time and the relay claims it again when it is due."""
    make_cases(db_url, 2)
    engine = engine_of(db_url)
    ep.add_endpoint(engine, receiver.url, now=T0)
    receiver.behaviour = lambda r, n: Answer(500)
    clock = FixedClock(T0)
    with Relay(engine, clock=clock, rng=0.5, lease=LEASE) as relay:
        relay.fan_out()
        jobs = relay.claim()
        assert relay.record(result for result in relay.send(jobs)).retried == 2
        assert relay.renew() == 0
        clock.advance_to(max(leases(engine).values()))
        assert sorted(job.delivery_id for job in relay.claim()) == sorted(job.delivery_id for job in jobs)


def test_the_jobs_a_batch_skipped_are_released_at_once(db_url: str, receiver: Receiver) -> None:
    """The breaker opened on the batch's first answer: the jobs behind it were not sent, so their lease ends at
    once (due again now, for whichever relay finds the breaker closed), not a lease later."""
    make_cases(db_url, 3)
    engine = engine_of(db_url)
    ep.add_endpoint(engine, receiver.url, now=T0)
    receiver.behaviour = lambda r, n: Answer(500)
    with Relay(engine, clock=FixedClock(T0), rng=0.5, lease=LEASE, breaker_threshold=1, batch=3) as relay:
        relay.fan_out()
        jobs = relay.claim()
        assert len(jobs) == 3 and set(leases(engine).values()) == {T0 + LEASE}
        results = relay.send(jobs)
        assert [r.response is None for r in results] == [False, True, True]
        counts = relay.record(results)
    assert (counts.attempted, counts.retried) == (1, 1)
    after = leases(engine)
    assert [after[r.job.delivery_id] for r in results[1:]] == [T0, T0]
    assert after[results[0].job.delivery_id] > T0  # the retry's own due time


def test_renew_counts_only_the_leases_it_extended(db_url: str, receiver: Receiver) -> None:
    """Deliveries in flight that were cancelled meanwhile (a 410 another relay received) are not renewed, nor
    counted."""
    make_cases(db_url, 2)
    engine = engine_of(db_url)
    ep.add_endpoint(engine, receiver.url, now=T0)
    clock = FixedClock(T0)
    with Relay(engine, clock=clock, rng=0.5, lease=LEASE) as relay:
        relay.fan_out()
        assert len(relay.claim()) == 2
        with engine.begin() as conn:
            conn.execute(update(t.webhook_deliveries).values(status="cancelled"))
        clock.advance_to(T0 + timedelta(seconds=30))
        assert relay.renew() == 0
    assert {d["next_attempt_at"] for d in rows(engine, t.webhook_deliveries)} == {T0 + LEASE}
