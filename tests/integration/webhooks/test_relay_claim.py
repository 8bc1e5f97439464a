"""The relay's fan-out and claim at their edges: more outbox rows than one fan-out batch, nothing to do, a
half-open endpoint's single trial, rows another transaction holds, the lease heartbeat's one thread, and the
``run_forever`` loop (real SQLite and PostgreSQL, a real receiver on 127.0.0.1)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select
from whkit import T0, Answer, Receiver, engine_of, make_cases, rows

from adapters.clock import FixedClock
from adapters.sql import tables as t
from adapters.webhooks import endpoints as ep
from adapters.webhooks.relay import Relay, RelayCounts

LEASE = timedelta(seconds=60)
HEARTBEAT = "relay-lease"


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, db_url: str) -> str:
    return db_url if request.param == "sqlite" else request.getfixturevalue("pg_url")


def heartbeats() -> list[threading.Thread]:
    return [th for th in threading.enumerate() if th.name == HEARTBEAT]


def test_fan_out_works_through_more_rows_than_its_limit(url: str, receiver: Receiver) -> None:
    """``limit`` bounds one batch (one transaction), not the call: a full batch means there may be more."""
    make_cases(url, 5)
    engine = engine_of(url)
    ep.add_endpoint(engine, receiver.url, now=T0)
    with Relay(engine, clock=FixedClock(T0), rng=0.5) as relay:
        assert relay.fan_out(limit=2) == 5  # batches of 2, 2 and 1
        assert relay.fan_out(limit=2) == 0
    assert len(rows(engine, t.webhook_deliveries)) == 5
    with engine.connect() as conn:
        assert conn.execute(select(t.outbox.c.seq).where(t.outbox.c.relayed_at.is_(None))).all() == []


def test_fan_out_with_nothing_unrelayed_creates_nothing_and_returns(db_url: str, receiver: Receiver) -> None:
    """Nothing to fan out is 0 deliveries from an empty batch, at any limit (a limit of 1 must not loop)."""
    engine = engine_of(db_url)
    ep.add_endpoint(engine, receiver.url, now=T0)
    with Relay(engine, clock=FixedClock(T0), rng=0.5) as relay:
        assert relay.fan_out() == 0
        assert relay.fan_out(limit=1) == 0
        make_cases(db_url, 1)
        assert relay.fan_out(limit=1) == 1
        assert relay.fan_out(limit=1) == 0
    assert len(rows(engine, t.webhook_deliveries)) == 1


def test_claim_with_nothing_due_returns_nothing_and_starts_no_heartbeat(db_url: str, receiver: Receiver) -> None:
    """An idle relay (``run_forever`` polling an empty outbox) holds no lease, so it runs no renewal thread."""
    engine = engine_of(db_url)
    ep.add_endpoint(engine, receiver.url, now=T0)
    before = heartbeats()
    with Relay(engine, clock=FixedClock(T0), rng=0.5, lease=LEASE) as relay:
        assert relay.claim() == []
        assert relay.run_once() == RelayCounts()
        assert heartbeats() == before


def test_a_relay_renews_its_leases_from_one_daemon_thread_until_closed(db_url: str, receiver: Receiver) -> None:
    """Every claim adds to what the same heartbeat renews; a second claim starts no second thread, the thread never
    keeps the interpreter alive, and ``close`` ends it."""
    make_cases(db_url, 3)
    engine = engine_of(db_url)
    ep.add_endpoint(engine, receiver.url, now=T0)
    before = heartbeats()
    relay = Relay(engine, clock=FixedClock(T0), rng=0.5, lease=LEASE, batch=1)
    try:
        relay.fan_out()
        assert len(relay.claim()) == 1
        (started,) = [th for th in heartbeats() if th not in before]
        assert started.daemon
        assert len(relay.claim()) == 1
        assert [th for th in heartbeats() if th not in before] == [started]
        assert relay.renew() == 2  # both claims' deliveries, by the one thread's method
    finally:
        relay.close()
    assert not started.is_alive()


def test_a_half_open_endpoint_gets_one_trial_message_until_it_answers(url: str) -> None:
    """After the cool-down one delivery goes out as a trial; the others wait for its answer, which closes the
    breaker (a success) and lets the rest go in the next claim."""
    receiver = Receiver(lambda r, n: Answer(500))
    try:
        make_cases(url, 4)
        engine = engine_of(url)
        endpoint, _ = ep.add_endpoint(engine, receiver.url, now=T0)
        clock = FixedClock(T0)
        with Relay(engine, clock=clock, rng=0.5, breaker_threshold=1, lease=LEASE) as relay:
            assert relay.run_once().attempted == 1  # the first failure opens the breaker
            assert ep.get_endpoint(engine, endpoint.id).breaker_opened_at == T0

            clock.advance_to(T0 + timedelta(minutes=6))  # half-open, and every delivery is due
            receiver.behaviour = lambda r, n: Answer(204)
            trial = relay.claim()
            assert len(trial) == 1
            assert relay.claim() == []  # the trial is still in flight
            assert relay.record(relay.send(trial)).delivered == 1

            rest = relay.claim()
            assert len(rest) == 3
            assert relay.record(relay.send(rest)).delivered == 3
    finally:
        receiver.stop()


def test_postgres_claim_skips_deliveries_another_transaction_holds(pg_url: str, receiver: Receiver) -> None:
    """Two relays never wait on each other: a delivery locked by another transaction (another relay's claim) is
    skipped, and the claim returns the others at once. A claim that waited would still be blocked when the
    holder gives up, 30 s later."""
    make_cases(pg_url, 3)
    engine = engine_of(pg_url)
    ep.add_endpoint(engine, receiver.url, now=T0)
    d = t.webhook_deliveries
    with Relay(engine, clock=FixedClock(T0), rng=0.5, lease=LEASE) as relay:
        relay.fan_out()
        with engine.connect() as holder:
            txn = holder.begin()
            held = holder.execute(select(d.c.id).order_by(d.c.id).limit(1).with_for_update()).scalar_one()
            claimed: list[int] = []
            claimer = threading.Thread(target=lambda: claimed.extend(job.delivery_id for job in relay.claim()))
            claimer.start()
            claimer.join(30)
            finished = not claimer.is_alive()
            txn.rollback()
            claimer.join()
        assert finished, "claim waited for a row lock instead of skipping the locked delivery"
        assert len(claimed) == 2 and held not in claimed


def test_run_forever_sleeps_only_when_a_pass_did_nothing(db_url: str, receiver: Receiver) -> None:
    """Each pass is a ``run_once``; the loop waits ``poll`` seconds only after a pass that neither fanned out nor
    attempted anything, so a message arriving meanwhile is picked up by the next pass, and ``stop`` ends it."""
    make_cases(db_url, 2)
    engine = engine_of(db_url)
    ep.add_endpoint(engine, receiver.url, now=T0)
    passes: list[int] = []
    waits: list[tuple[float, int, int]] = []

    class Counted(Relay):
        def run_once(self, **kwargs):  # type: ignore[no-untyped-def]
            passes.append(1)
            return super().run_once(**kwargs)

    class Stop(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:
            waits.append((timeout or 0.0, len(passes), total.attempted))
            if len(waits) == 1:
                make_cases(db_url, 1)  # a new complaint while the relay sleeps
            else:
                self.set()
            return self.is_set()

    total = RelayCounts()
    with Counted(engine, clock=FixedClock(T0), rng=0.5) as relay:
        assert relay.run_forever(poll=0.25, stop=Stop(), counts=total) is total
    # pass 1 sends the two messages, pass 2 is idle and sleeps, pass 3 sends the new one, pass 4 sleeps and stops
    assert waits == [(0.25, 2, 2), (0.25, 4, 3)]
    assert (total.fanned_out, total.delivered) == (3, 3)
    assert len(receiver.requests) == 3
