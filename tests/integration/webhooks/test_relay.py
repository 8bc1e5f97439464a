"""The outbox relay against a real HTTP receiver on 127.0.0.1 (no mocks on the delivery path)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from whkit import INTAKE, T0, Answer, JumpClock, Receiver, Scripted, engine_of, make_cases, rows

from adapters.clock import FixedClock, SystemClock
from adapters.sql import tables as t
from adapters.webhooks import endpoints as ep
from adapters.webhooks.relay import HttpxTransport, Relay, Response, StdlibTransport, ping, replay, retry_dead
from adapters.webhooks.schedule import MAX_ATTEMPTS
from adapters.webhooks.signing import WebhookVerificationError, new_secret, verify
from entrypoints.app import open_app

SRC = str(Path(__file__).resolve().parents[3] / "src")


@pytest.mark.parametrize("transport", ["stdlib", "httpx"])
def test_fails_three_times_then_delivered_once_same_id_signed(db_url: str, transport: str) -> None:
    receiver = Receiver(lambda request, n: Answer(500 if n <= 3 else 204))
    try:
        (msg_id,) = make_cases(db_url)
        engine = engine_of(db_url)
        _, new = ep.add_endpoint(engine, receiver.url, events=["case.*"], now=T0)
        client = httpx.Client(follow_redirects=False) if transport == "httpx" else None
        with Relay(engine, client=client, clock=JumpClock(), rng=random.Random(1)) as relay:
            counts = relay.run_once()
        assert counts.fanned_out == 1
        assert (counts.attempted, counts.delivered, counts.retried, counts.dead) == (4, 1, 3, 0)
        assert receiver.ids() == [msg_id] * 4
        stamps = [r.headers["webhook-timestamp"] for r in receiver.requests]
        assert len(set(stamps)) == 4  # a fresh timestamp per attempt
        for request in receiver.requests:
            verify(request.headers, request.body, [new.secret], now=int(request.headers["webhook-timestamp"]))
            assert json.loads(request.body)["type"] == "case.received"
        (delivery,) = rows(engine, t.webhook_deliveries)
        assert (delivery["status"], delivery["attempts"], delivery["last_status"]) == ("delivered", 4, 204)
        assert [a["status_code"] for a in rows(engine, t.webhook_attempts)] == [500, 500, 500, 204]
        assert Relay(engine, clock=JumpClock(), rng=0.5).run_once().attempted == 0  # nothing left to do
    finally:
        receiver.stop()


def test_signature_verifies_with_the_wall_clock_and_a_wrong_secret_fails(db_url: str, receiver: Receiver) -> None:
    make_cases(db_url)
    engine = engine_of(db_url)
    _, new = ep.add_endpoint(engine, receiver.url, now=T0)
    with Relay(engine, clock=SystemClock(), rng=0.5) as relay:
        assert relay.run_once().delivered == 1
    (request,) = receiver.requests
    verify(request.headers, request.body, [new.secret], now=int(time.time()))
    with pytest.raises(WebhookVerificationError):
        verify(request.headers, request.body, [new_secret()], now=int(time.time()))
    with pytest.raises(WebhookVerificationError):
        verify(request.headers, request.body + b" ", [new.secret], now=int(time.time()))


def test_410_stops_the_batches_already_claimed_behind_it(db_url: str) -> None:
    """410 disables the endpoint: the pipelined relay claims the next batch while this one is being sent, and
    that batch must not go to an endpoint that has said Gone (nor count it as disabled twice)."""
    answered: list[int] = []

    def seven_then_gone(request: object, n: int) -> Answer:
        answered.append(204 if len(answered) < 7 else 410)
        return Answer(answered[-1], delay=0.05)

    gone = Receiver(seven_then_gone)
    try:
        make_cases(db_url, 40)
        engine = engine_of(db_url)
        endpoint, _ = ep.add_endpoint(engine, gone.url, now=T0)
        with Relay(engine, clock=SystemClock(), rng=0.5, batch=5) as relay:
            counts = relay.run_once()
        assert answered == [204] * 7 + [410]  # nothing after the first 410
        assert (counts.delivered, counts.disabled, counts.cancelled) == (7, 1, 32)
        assert not ep.get_endpoint(engine, endpoint.id).enabled
        statuses = sorted(d["status"] for d in rows(engine, t.webhook_deliveries))
        assert statuses == ["cancelled"] * 33 + ["delivered"] * 7
    finally:
        gone.stop()


class _Scripted:
    """A transport answering from a script: ``answer(n)`` for the n-th post (1-based), thread-safe."""

    def __init__(self, answer: Callable[[int], tuple[int, float]]) -> None:
        self.answer, self.posts, self._lock = answer, 0, threading.Lock()

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Response:
        with self._lock:
            self.posts += 1
            status, delay = self.answer(self.posts)
        time.sleep(delay)
        return Response(status)

    def close(self) -> None:
        pass


def test_a_breaker_open_in_one_batch_does_not_make_the_run_spin(db_url: str) -> None:
    """Breakers come from the stored state of each claim: carried across the run's batches, one opened by
    answers in completion order (concurrency 4) while the stored one, folded in job order, stayed closed;
    the run then claimed, skipped and released the same deliveries until the cool-down ended (1,283 claims)."""
    make_cases(db_url, 30)
    engine = engine_of(db_url)
    ep.add_endpoint(engine, "http://127.0.0.1:9/hook", now=T0)
    slow_failures = _Scripted(lambda n: (500, 0.3) if n <= 3 else (204, 0.0))
    relay = Relay(engine, client=slow_failures, clock=SystemClock(), rng=0.5, batch=4, concurrency=4,
                  breaker_threshold=3, breaker_cool_down=timedelta(seconds=4))  # fmt: skip
    claims = 0
    claim = relay.claim

    def counted() -> list[Any]:
        nonlocal claims
        claims += 1
        return claim()

    relay.claim = counted  # type: ignore[method-assign]
    with relay:
        counts = relay.run_once()
    assert counts.attempted == 30 and counts.delivered == 27 and claims <= 12


def test_a_delivery_that_arrived_is_recorded_though_another_relays_410_cancelled_it(db_url: str) -> None:
    """Two relays, one endpoint: A's message gets 410 and A cancels every pending delivery, including the one B
    has in flight, which got 204. B's answer must still count: it was skipped, leaving a 'cancelled' row with
    a 204 attempt and no delivery time."""
    make_cases(db_url, 2)
    engine = engine_of(db_url)
    ep.add_endpoint(engine, "http://127.0.0.1:9/hook", now=T0)
    a = Relay(engine, client=_Scripted(lambda n: (410, 0.0)), clock=SystemClock(), rng=0.5, batch=1)
    b = Relay(engine, client=_Scripted(lambda n: (204, 0.0)), clock=SystemClock(), rng=0.5, batch=1)
    with a, b:
        a.fan_out()
        jobs_a, jobs_b = a.claim(), b.claim()
        results_a, results_b = a.send(jobs_a), b.send(jobs_b)
        assert a.record(results_a).disabled == 1
        assert b.record(results_b).delivered == 1
    by_id = {d["id"]: d for d in rows(engine, t.webhook_deliveries)}
    assert by_id[jobs_a[0].delivery_id]["status"] == "cancelled"
    arrived = by_id[jobs_b[0].delivery_id]
    assert (arrived["status"], arrived["attempts"], arrived["last_status"]) == ("delivered", 1, 204)
    assert arrived["delivered_at"] is not None


def test_an_endpoint_removed_while_its_deliveries_are_in_flight_costs_the_others_nothing(db_url: str) -> None:
    """`webhook remove` during a relay batch deleted the endpoint's deliveries (ON DELETE CASCADE); recording the
    batch then inserted attempts for them, the foreign key failed, and the whole batch's results were lost, so
    deliveries that had arrived were sent again. Now the removed endpoint's results are dropped and the rest kept."""
    make_cases(db_url, 2)
    engine = engine_of(db_url)
    kept, _ = ep.add_endpoint(engine, "http://127.0.0.1:9/kept", now=T0)
    gone, _ = ep.add_endpoint(engine, "http://127.0.0.1:9/gone", now=T0)
    with Relay(engine, client=_Scripted(lambda n: (204, 0.0)), clock=SystemClock(), rng=0.5) as relay:
        relay.fan_out()
        jobs = relay.claim()
        assert {j.endpoint_id for j in jobs} == {kept.id, gone.id}
        results = relay.send(jobs)
        ep.remove_endpoint(engine, gone.id)
        counts = relay.record(results)
    assert counts.delivered == len(jobs)
    deliveries = rows(engine, t.webhook_deliveries)
    assert {(d["endpoint_id"], d["status"]) for d in deliveries} == {(kept.id, "delivered")}
    assert len(deliveries) == 2 and len(rows(engine, t.webhook_attempts)) == 2


def test_410_disables_the_endpoint_and_cancels_its_pending_deliveries(db_url: str) -> None:
    gone, fine = Receiver(lambda r, n: Answer(410)), Receiver()
    try:
        make_cases(db_url, 3)
        engine = engine_of(db_url)
        bad, _ = ep.add_endpoint(engine, gone.url, now=T0)
        good, _ = ep.add_endpoint(engine, fine.url, now=T0)
        with Relay(engine, clock=JumpClock(), rng=0.5) as relay:
            counts = relay.run_once()
        assert counts.disabled == 1
        assert len(gone.requests) == 1  # the first 410 stops everything to that endpoint
        assert len(fine.requests) == 3
        endpoint = ep.get_endpoint(engine, bad.id)
        assert not endpoint.enabled and "410" in (endpoint.disabled_reason or "")
        assert ep.get_endpoint(engine, good.id).enabled
        statuses = sorted((d["endpoint_id"], d["status"]) for d in rows(engine, t.webhook_deliveries))
        assert statuses == [(bad.id, "cancelled")] * 3 + [(good.id, "delivered")] * 3
        make_cases(db_url, 1)  # new messages are not fanned out to a disabled endpoint
        with Relay(engine, clock=JumpClock(), rng=0.5) as relay:
            assert relay.run_once().fanned_out == 1
        assert len(gone.requests) == 1
    finally:
        gone.stop()
        fine.stop()


def test_slow_receiver_times_out_and_is_retried(db_url: str) -> None:
    receiver = Receiver(lambda r, n: Answer(204, delay=1.0 if n == 1 else 0.0))
    try:
        make_cases(db_url)
        engine = engine_of(db_url)
        ep.add_endpoint(engine, receiver.url, now=T0)
        with Relay(engine, clock=JumpClock(), rng=0.5, timeout=0.3, connect=0.3) as relay:
            counts = relay.run_once()
        assert (counts.attempted, counts.delivered, counts.retried) == (2, 1, 1)
        first, second = rows(engine, t.webhook_attempts)
        assert first["status_code"] is None and "timed out" in first["error"].lower()
        assert second["status_code"] == 204
    finally:
        receiver.stop()


class _Trickler:
    """An endpoint on 127.0.0.1 that answers one header line every 0.1 s for ``seconds``: each read is quick, the
    answer never ends in time."""

    def __init__(self, seconds: float) -> None:
        import socket

        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}/hook"
        self.seconds = seconds
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.server.accept()
        with conn:
            conn.recv(65536)
            try:
                conn.sendall(b"HTTP/1.1 200 OK\r\n")
                end = time.monotonic() + self.seconds
                while time.monotonic() < end:
                    conn.sendall(b"x-drip: 1\r\n")
                    time.sleep(0.1)
                conn.sendall(b"content-length: 0\r\n\r\n")
            except OSError:
                pass  # the relay gave up and closed the connection

    def stop(self) -> None:
        self.server.close()
        self.thread.join(timeout=10)


def test_a_malformed_answer_is_recorded_and_retried(db_url: str) -> None:
    """Review: the error text quoted the answer's NUL, which no database may keep, so recording the batch failed
    and the relay stopped (exit 4 on SQLite, a DataError on PostgreSQL), every run. Errors are printable now."""
    garbler = Scripted([b"HTTP/1.1 2\x0000 OK\r\ncontent-length: 0\r\n\r\n"])  # a NUL in its status line
    try:
        make_cases(db_url, 1)
        engine = engine_of(db_url)
        ep.add_endpoint(engine, garbler.url, now=T0)
        with Relay(engine, clock=SystemClock(), rng=0.5) as relay:
            counts = relay.run_once(max_batches=1)
        assert counts.retried == 1
        (attempt,) = rows(engine, t.webhook_attempts)
        assert attempt["status_code"] is None and "\\x00" in attempt["error"] and "\x00" not in attempt["error"]
    finally:
        garbler.stop()


class _Hinter(_Trickler):
    """An endpoint on one kept-alive connection that sends interim answers (``103 Early Hints``, ``102``) before each
    final one: two before 200, 500 and 200 to the first three messages, eight (the most the relay skips) before the
    fourth's 200, nine before the fifth's."""

    ANSWERS = ((b"200 OK", 2), (b"500 Internal Server Error", 2), (b"200 OK", 2), (b"200 OK", 8), (b"200 OK", 9))

    def _serve(self) -> None:
        conn, _ = self.server.accept()
        with conn:
            for final, interim in self.ANSWERS:
                try:
                    if not conn.recv(65536):
                        return
                    for i in range(interim):
                        hint = b"103 Early Hints\r\nlink: </a.css>; rel=preload" if i % 2 == 0 else b"102 Processing"
                        conn.sendall(b"HTTP/1.1 " + hint + b"\r\n\r\n")
                        time.sleep(0.01)
                    conn.sendall(b"HTTP/1.1 " + final + b"\r\ncontent-length: 2\r\n\r\nok")
                except OSError:
                    return  # the relay gave up on the connection


def test_interim_answers_are_skipped_so_each_message_gets_its_own_answer() -> None:
    """Webhook audit: a ``103`` was taken for the answer, and the real one, left on the kept-alive connection, was
    read as the next message's answer: the message the receiver refused was recorded delivered (lost), the two
    it accepted were retried."""
    hinter = _Hinter(seconds=0)
    transport = StdlibTransport(timeout=3, connect=1)
    try:
        answers = [transport.post(hinter.url, b"{}", {}) for _ in range(5)]
    finally:
        transport.close()
        hinter.stop()
    assert [a.status for a in answers] == [200, 500, 200, 200, None]  # review: eight were refused as "more than 8"
    assert "more than 8 interim" in (answers[4].error or "")


def test_timeout_bounds_the_whole_request_not_each_read() -> None:
    """`--timeout 2` let an endpoint that drips its answer a line a second hold a delivery for 30 s (and the relay
    with it): the socket timeout bounded each read. The stdlib transport now bounds the whole request."""
    trickler = _Trickler(seconds=6.0)
    transport = StdlibTransport(timeout=0.5, connect=1.0)
    try:
        started = time.monotonic()
        response = transport.post(trickler.url, b"{}", {})
        took = time.monotonic() - started
    finally:
        transport.close()
        trickler.stop()
    # "timed out", as a socket timeout says it: whichever fires first, the attempt reads the same
    assert response.status is None and "timed out" in (response.error or "")
    assert took < 2.0, took


def test_a_case_s_messages_are_delivered_in_order_per_endpoint(db_url: str) -> None:
    # every message fails its first attempt: a later message of the same case must wait for the earlier one
    receiver = Receiver(lambda r, n: Answer(503 if n == 1 else 200))
    try:
        ids = make_cases(db_url, 2, steps=True)
        assert len(ids) == 6
        engine = engine_of(db_url)
        ep.add_endpoint(engine, receiver.url, now=T0)
        with Relay(engine, clock=JumpClock(), rng=0.5, batch=4) as relay:
            assert relay.run_once().delivered == 6
        for case in {i.rsplit("_", 1)[0] for i in ids}:
            sent = [i for i in receiver.ids() if i.startswith(case + "_")]
            versions = [int(i.rsplit("_", 1)[1]) for i in sent]
            assert versions == sorted(versions)
            assert versions == [1, 1, 2, 2, 3, 3]  # never the next one before the previous succeeded
    finally:
        receiver.stop()


def test_dead_after_the_last_attempt_then_retry_dead_and_replay(db_url: str) -> None:
    receiver = Receiver(lambda r, n: Answer(500))
    try:
        (msg_id,) = make_cases(db_url)
        engine = engine_of(db_url)
        endpoint, _ = ep.add_endpoint(engine, receiver.url, now=T0)
        relay = Relay(engine, clock=JumpClock(), rng=0.5, breaker_threshold=100)
        counts = relay.run_once()
        assert (counts.attempted, counts.dead) == (MAX_ATTEMPTS, 1)
        assert rows(engine, t.webhook_deliveries)[0]["status"] == "dead"
        receiver.behaviour = lambda r, n: Answer(204)
        assert retry_dead(engine, now=relay.clock.now()) == 1
        assert relay.run_once().delivered == 1
        assert replay(engine, msg_id, now=relay.clock.now(), endpoint_id=endpoint.id) == 1
        assert relay.run_once().delivered == 1
        assert receiver.ids() == [msg_id] * (MAX_ATTEMPTS + 2)
        relay.close()
    finally:
        receiver.stop()


def test_breaker_opens_after_consecutive_failures_and_skips_the_endpoint(db_url: str) -> None:
    receiver = Receiver(lambda r, n: Answer(500))
    try:
        make_cases(db_url, 10)
        engine = engine_of(db_url)
        endpoint, _ = ep.add_endpoint(engine, receiver.url, now=T0)
        clock = FixedClock(T0)
        with Relay(engine, clock=clock, rng=0.5, breaker_threshold=3) as relay:
            counts = relay.run_once()
            assert counts.attempted == 3  # the rest of the batch was not sent
            assert ep.get_endpoint(engine, endpoint.id).breaker_opened_at == T0
            assert relay.run_once().attempted == 0  # open
            clock.advance_to(T0 + timedelta(minutes=6))  # half-open: one trial
            assert relay.run_once().attempted == 1
    finally:
        receiver.stop()


def test_breaker_skips_a_failing_endpoint_with_concurrency_too(db_url: str) -> None:
    """The worker threads share the batch's breakers: a dead endpoint does not take every job's timeout."""
    receiver = Receiver(lambda r, n: Answer(500))
    try:
        make_cases(db_url, 10)
        engine = engine_of(db_url)
        endpoint, _ = ep.add_endpoint(engine, receiver.url, now=T0)
        with Relay(engine, clock=FixedClock(T0), rng=0.5, breaker_threshold=3, concurrency=2) as relay:
            counts = relay.run_once()
        assert 3 <= counts.attempted <= 4  # two threads may both send while the third failure is being counted
        assert ep.get_endpoint(engine, endpoint.id).breaker_opened_at == T0
    finally:
        receiver.stop()


def test_rotation_sends_both_signatures_until_the_grace_period_ends(db_url: str, receiver: Receiver) -> None:
    make_cases(db_url, 2)
    engine = engine_of(db_url)
    endpoint, old = ep.add_endpoint(engine, receiver.url, now=T0)
    new = ep.rotate_secret(engine, endpoint.id, now=T0, grace=timedelta(hours=1))
    with Relay(engine, clock=FixedClock(T0 + timedelta(minutes=1)), rng=0.5, batch=1) as relay:
        relay.fan_out()
        relay.record(relay.send(relay.claim()))
        relay.clock = FixedClock(T0 + timedelta(hours=2))
        relay.record(relay.send(relay.claim()))
    first, second = receiver.requests
    assert len(first.headers["webhook-signature"].split()) == 2
    for secret in (old.secret, new.secret):
        verify(first.headers, first.body, [secret], now=int(first.headers["webhook-timestamp"]))
    assert len(second.headers["webhook-signature"].split()) == 1
    verify(second.headers, second.body, [new.secret], now=int(second.headers["webhook-timestamp"]))
    with pytest.raises(WebhookVerificationError):
        verify(second.headers, second.body, [old.secret], now=int(second.headers["webhook-timestamp"]))


def test_event_filters_select_endpoints(db_url: str) -> None:
    cases_rx, other_rx = Receiver(), Receiver()
    try:
        make_cases(db_url, 1, steps=True)
        engine = engine_of(db_url)
        ep.add_endpoint(engine, cases_rx.url, events=["case.registered", "case.investigation_*"], now=T0)
        ep.add_endpoint(engine, other_rx.url, events=["assessment.*"], now=T0)
        with Relay(engine, clock=JumpClock(), rng=0.5) as relay:
            relay.run_once()
        types = [json.loads(r.body)["type"] for r in cases_rx.requests]
        assert "case.received" not in types and "case.registered" in types
        assert other_rx.requests == []
    finally:
        cases_rx.stop()
        other_rx.stop()
    assert ep.matches([], "x.y") and ep.matches(["case.*"], "case.closed") and not ep.matches(["case.*"], "cases")


def test_endpoint_admin_and_secrets_stay_out_of_listings(db_url: str, receiver: Receiver) -> None:
    engine = engine_of(db_url)
    with pytest.raises(ep.InvalidEndpoint):
        ep.add_endpoint(engine, "ftp://x", now=T0)
    endpoint, new = ep.add_endpoint(engine, receiver.url, description="crm", now=T0)
    assert new.secret not in repr(new) and new.secret not in repr(ep.list_endpoints(engine))
    assert ping(engine, endpoint.id, clock=SystemClock()).status == 204
    verify(receiver.requests[0].headers, receiver.requests[0].body, [new.secret], now=int(time.time()))
    ep.remove_endpoint(engine, endpoint.id)
    assert ep.list_endpoints(engine) == []
    with pytest.raises(ep.EndpointNotFound):
        ep.remove_endpoint(engine, endpoint.id)


def test_unreachable_endpoint_error_is_recorded_without_secrets(db_url: str) -> None:
    make_cases(db_url)
    engine = engine_of(db_url)
    endpoint, new = ep.add_endpoint(engine, "http://127.0.0.1:9/x?token=abc", now=T0)
    with engine.begin() as conn:  # stored before `webhook add` refused credentials in a URL
        url = "http://user:pw@127.0.0.1:9/x?token=abc"
        conn.execute(t.webhook_endpoints.update().where(t.webhook_endpoints.c.id == endpoint.id).values(url=url))
    with Relay(engine, clock=JumpClock(), rng=0.5, connect=0.5) as relay:
        counts = relay.run_once(max_batches=1)
    assert counts.retried == 1
    (attempt,) = rows(engine, t.webhook_attempts)
    assert attempt["status_code"] is None and attempt["error"]
    assert new.secret not in attempt["error"] and "pw" not in attempt["error"]
    ep.remove_endpoint(engine, new.endpoint_id)  # its secrets, deliveries and attempts go with it
    assert [rows(engine, table) for table in (t.webhook_secrets, t.webhook_deliveries, t.webhook_attempts)] == [[]] * 3


@pytest.mark.parametrize("kind", [StdlibTransport, HttpxTransport])
def test_transports_do_not_follow_redirects(kind: type, receiver: Receiver) -> None:
    receiver.behaviour = lambda r, n: Answer(302, {"location": "http://127.0.0.1:9/"})
    transport = kind(timeout=2.0, connect=2.0)
    try:
        assert transport.post(receiver.url, b"{}", {}).status == 302
        assert transport.post(receiver.url, b"{}", {}).status == 302  # the kept-alive connection is reused
    finally:
        transport.close()


RELAY_CHILD = textwrap.dedent(
    """
    import random, sys
    from datetime import timedelta
    from adapters.clock import SystemClock
    from adapters.sql import open_database
    from adapters.webhooks.relay import Relay
    engine = open_database(sys.argv[1]).engine
    Relay(engine, clock=SystemClock(), rng=random.Random(), batch=25, lease=timedelta(seconds=2)).run_once()
    """
)


def test_kill_9_mid_batch_then_restart_loses_nothing(db_url: str) -> None:
    receiver = Receiver(lambda r, n: Answer(204, delay=0.01))
    try:
        ids = make_cases(db_url, 150)
        engine = engine_of(db_url)
        ep.add_endpoint(engine, receiver.url, now=T0)
        env = {**os.environ, "PYTHONPATH": SRC}
        child = subprocess.Popen([sys.executable, "-c", RELAY_CHILD, db_url], env=env)
        deadline = time.monotonic() + 60
        while len(receiver.requests) < 40 and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.005)
        child.send_signal(signal.SIGKILL)
        child.wait()
        killed_at = time.monotonic()
        assert child.returncode == -signal.SIGKILL  # killed, not finished
        before = len(receiver.requests)
        assert 40 <= before < len(ids)
        # restarted at once, the relay sends what the killed one had not claimed; what it had leased
        # (no longer renewed) follows as soon as the 2 s lease lapses, not a day later
        with Relay(engine, clock=SystemClock(), rng=0.5) as relay:
            relay.run_once()
            leased = [d for d in rows(engine, t.webhook_deliveries) if d["status"] == "pending"]
            assert len(leased) <= 50  # the interrupted batch and the one claimed next
            time.sleep(max(0.0, killed_at + 2.2 - time.monotonic()))
            relay.run_once()
        got = receiver.ids()
        assert set(got) == set(ids)  # every message at least once
        assert len(got) - len(ids) <= 50  # duplicates only from the interrupted batch and the one claimed next
        assert {d["status"] for d in rows(engine, t.webhook_deliveries)} == {"delivered"}
    finally:
        receiver.stop()


def test_postgres_two_relays_share_the_work_without_duplicates(pg_url: str, receiver: Receiver) -> None:
    import threading

    ids = make_cases(pg_url, 12, steps=True)
    engine = engine_of(pg_url)
    ep.add_endpoint(engine, receiver.url, now=T0)
    relays = [Relay(engine, clock=SystemClock(), rng=0.5, batch=4) for _ in range(2)]
    threads = [threading.Thread(target=r.run_once) for r in relays]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for relay in relays:
        relay.run_once()  # whatever one relay unblocked while the other was finishing
        relay.close()
    got = receiver.ids()
    assert sorted(got) == sorted(ids)  # each message exactly once: leases and SKIP LOCKED
    for case in {i.rsplit("_", 1)[0] for i in ids}:
        versions = [int(i.rsplit("_", 1)[1]) for i in got if i.startswith(case + "_")]
        assert versions == [1, 2, 3]


def test_postgres_a_message_waits_for_an_earlier_one_another_relay_is_still_fanning_out(
    pg_url: str, receiver: Receiver
) -> None:
    """Per endpoint, a case's messages arrive in order, also with several relays: relay A holds the case's
    first message under FOR UPDATE SKIP LOCKED (mid fan-out) while the second is written; relay B skips
    the first, fans out the second, and must not send it before the first."""
    import psycopg

    app = open_app(pg_url, clock=FixedClock(T0))
    try:
        engine = app.database.engine
        ep.add_endpoint(engine, receiver.url, now=T0)
        case = app.cases.receive(INTAKE, actor="clerk")
        relay_a = psycopg.connect(pg_url.replace("postgresql+psycopg://", "postgresql://"))
        try:
            relay_a.execute("SELECT seq FROM outbox WHERE relayed_at IS NULL ORDER BY seq FOR UPDATE SKIP LOCKED")
            app.cases.register(case.case_id, actor="clerk")
            with Relay(engine, clock=SystemClock(), rng=0.5) as relay_b:
                counts = relay_b.run_once()
            assert (counts.fanned_out, counts.attempted) == (1, 0)  # the second is a delivery, held back
        finally:
            relay_a.rollback()
            relay_a.close()
        with Relay(engine, clock=SystemClock(), rng=0.5) as relay:
            assert relay.run_once().delivered == 2
        assert [json.loads(r.body)["type"] for r in receiver.requests] == ["case.received", "case.registered"]
    finally:
        app.close()


def test_run_once_tells_each_recorded_batch(db_url: str, receiver: Receiver) -> None:
    """The CLI's progress for `outbox relay --once`: the running counts after each batch is recorded."""
    make_cases(db_url, 3)
    engine = engine_of(db_url)
    ep.add_endpoint(engine, receiver.url, now=T0)
    seen: list[int] = []
    with Relay(engine, clock=SystemClock(), rng=0.5, batch=1) as relay:
        counts = relay.run_once(on_batch=lambda running: seen.append(running.delivered))
    assert seen == [1, 2, 3] and counts.delivered == 3


def test_a_dead_delivery_is_logged_with_the_url_redacted(db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    """The operator's one signal that a message will not arrive by itself; the query may carry a token."""
    receiver = Receiver(lambda r, n: Answer(500))
    try:
        (msg_id,) = make_cases(db_url)
        engine = engine_of(db_url)
        ep.add_endpoint(engine, receiver.url + "?token=s3cr3t", now=T0)
        with (
            caplog.at_level("WARNING", logger="adapters.webhooks.relay"),
            Relay(engine, clock=JumpClock(), rng=0.5, breaker_threshold=100) as relay,
        ):
            assert relay.run_once().dead == 1
    finally:
        receiver.stop()
    dead = [r.getMessage() for r in caplog.records if "is dead" in r.getMessage()]
    assert dead == [f"webhook {msg_id} to {receiver.url} is dead after {MAX_ATTEMPTS} attempts"]
    assert "s3cr3t" not in caplog.text


def test_a_410_two_relays_received_disables_and_cancels_once(db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    """Two relays each had a message of the endpoint in flight when it answered 410: the first to record disables
    it and cancels the rest (the other relay's delivery too); the second counts nothing again."""
    gone = Receiver(lambda r, n: Answer(410))
    try:
        make_cases(db_url, 3)
        engine = engine_of(db_url)
        endpoint, _ = ep.add_endpoint(engine, gone.url, now=T0)
        with (
            Relay(engine, clock=FixedClock(T0), rng=0.5, batch=1) as a,
            Relay(engine, clock=FixedClock(T0), rng=0.5, batch=1) as b,
        ):
            a.fan_out()
            jobs_a, jobs_b = a.claim(), b.claim()
            assert len(jobs_a) == len(jobs_b) == 1 and jobs_a[0].delivery_id != jobs_b[0].delivery_id
            sent_a, sent_b = a.send(jobs_a), b.send(jobs_b)
            with caplog.at_level("WARNING", logger="adapters.webhooks.relay"):
                first, second = a.record(sent_a), b.record(sent_b)
        assert (first.disabled, first.cancelled) == (1, 2)  # b's delivery and the one nobody had claimed
        assert (second.disabled, second.cancelled, second.attempted) == (0, 0, 1)
        assert not ep.get_endpoint(engine, endpoint.id).enabled
        assert sorted(d["status"] for d in rows(engine, t.webhook_deliveries)) == ["cancelled"] * 3
        # b's answer came after the cancel, which it does not undo: its row keeps the cancel's reason
        by_id = {d["id"]: d for d in rows(engine, t.webhook_deliveries)}
        assert by_id.pop(jobs_a[0].delivery_id)["last_error"] is None
        assert [d["last_error"] for d in by_id.values()] == ["endpoint disabled (410 Gone)"] * 2
        assert caplog.messages == [f"webhook endpoint {endpoint.id} answered 410 Gone: disabled"]
    finally:
        gone.stop()


def test_a_410_with_nothing_else_pending_cancels_nothing(db_url: str) -> None:
    gone = Receiver(lambda r, n: Answer(410))
    try:
        make_cases(db_url, 1)
        engine = engine_of(db_url)
        ep.add_endpoint(engine, gone.url, now=T0)
        with Relay(engine, clock=FixedClock(T0), rng=0.5) as relay:
            counts = relay.run_once()
        assert (counts.attempted, counts.disabled, counts.cancelled) == (1, 1, 0)
        assert [d["status"] for d in rows(engine, t.webhook_deliveries)] == ["cancelled"]
    finally:
        gone.stop()


def test_an_endpoint_without_a_valid_secret_is_not_posted_to(db_url: str, receiver: Receiver) -> None:
    """Every secret expired (rotated with no grace and the new one removed by hand, say): an unsigned message
    would be refused by the receiver anyway, so none is sent; the attempt is recorded as a failure and retried."""
    make_cases(db_url, 1)
    engine = engine_of(db_url)
    ep.add_endpoint(engine, receiver.url, now=T0)
    with engine.begin() as conn:
        conn.execute(t.webhook_secrets.delete())
    with Relay(engine, clock=FixedClock(T0), rng=0.5) as relay:
        counts = relay.run_once(max_batches=1)
    assert (counts.attempted, counts.retried, receiver.requests) == (1, 1, [])
    (attempt,) = rows(engine, t.webhook_attempts)
    assert (attempt["status_code"], attempt["error"], attempt["latency_ms"]) == (
        None,
        "endpoint has no valid secret",
        0,
    )


def test_an_attempt_records_its_latency_and_a_failed_one_is_logged_redacted(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    slow = Receiver(lambda r, n: Answer(204, delay=0.3))
    try:
        make_cases(db_url, 1)
        engine = engine_of(db_url)
        endpoint, _ = ep.add_endpoint(engine, slow.url, now=T0)
        with Relay(engine, clock=FixedClock(T0), rng=0.5) as relay:
            assert relay.run_once().delivered == 1
        (attempt,) = rows(engine, t.webhook_attempts)
        assert 300 <= attempt["latency_ms"] < 10_000
    finally:
        slow.stop()
    closed = f"{slow.url}?token=s3cr3t"  # the receiver is stopped: the connection is refused
    ep.set_enabled(engine, endpoint.id, False)
    ep.add_endpoint(engine, closed, now=T0)
    (msg_id,) = make_cases(db_url, 1)[-1:]
    with (
        caplog.at_level("INFO", logger="adapters.webhooks.relay"),
        Relay(engine, clock=FixedClock(T0), rng=0.5) as relay,
    ):
        assert relay.run_once(max_batches=1).retried == 1
    failed = [m for m in caplog.messages if "failed" in m]
    assert len(failed) == 1 and failed[0].startswith(f"webhook {msg_id} to {slow.url} failed: ")
    assert "s3cr3t" not in caplog.text


def test_with_concurrency_the_batch_is_sent_in_parallel(db_url: str) -> None:
    """Each request waits for the other one at a barrier: sent one after the other, the first would wait in vain."""
    barrier = threading.Barrier(2, timeout=10)

    def together(request: object, n: int) -> Answer:
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            return Answer(500)
        return Answer(204)

    receiver = Receiver(together)
    try:
        make_cases(db_url, 2)
        engine = engine_of(db_url)
        ep.add_endpoint(engine, receiver.url, now=T0)
        with Relay(engine, clock=FixedClock(T0), rng=0.5, concurrency=2, batch=2) as relay:
            counts = relay.run_once(max_batches=1)
        assert (counts.attempted, counts.delivered) == (2, 2)
    finally:
        receiver.stop()
