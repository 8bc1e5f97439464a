"""The operator's outbox actions (``complaint outbox replay | retry-dead | list | show``, ``webhook test``) on a real
SQLite file and a real PostgreSQL server: what each one picks, what it changes, and what it leaves alone."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, delete, select, update
from whkit import OK, T0, Receiver, Scripted, make_cases, rows

from adapters.clock import FixedClock
from adapters.sql import open_database
from adapters.sql import tables as t
from adapters.webhooks import endpoints as ep
from adapters.webhooks import relay
from adapters.webhooks.relay import (
    Relay,
    Response,
    StdlibTransport,
    list_deliveries,
    ping,
    replay,
    retry_dead,
    show_message,
)
from adapters.webhooks.signing import verify

LATER = T0 + timedelta(hours=5)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "complaints.db")
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    make_cases(db_url, 2)  # creates the schema and two outbox messages (one per case)
    database = open_database(db_url)
    yield database.engine
    database.dispose()


def messages(engine: Engine) -> list[tuple[int, str]]:
    o = t.outbox.c
    with engine.connect() as conn:
        return [(r.seq, r.message_id) for r in conn.execute(select(o.seq, o.message_id).order_by(o.seq))]


def deliveries(engine: Engine) -> list[dict[str, Any]]:
    return [
        {k: r[k] for k in ("outbox_seq", "endpoint_id", "status", "attempts", "next_attempt_at", "delivered_at")}
        for r in rows(engine, t.webhook_deliveries)
    ]


def delivered_once(engine: Engine, receiver: Receiver) -> None:
    with Relay(engine, clock=FixedClock(T0), rng=0.5) as relay:
        relay.run_once()
    assert {d["status"] for d in deliveries(engine)} == {"delivered"}


def test_replay_finds_a_message_by_sequence_number_or_id_and_refuses_what_is_not_there(
    engine: Engine, receiver: Receiver
) -> None:
    endpoint, _ = ep.add_endpoint(engine, receiver.url, now=T0)
    (first, first_id), (second, _) = messages(engine)
    for message in (first, str(first), first_id):
        assert replay(engine, message, now=LATER) == 1
    assert [(d["outbox_seq"], d["endpoint_id"]) for d in deliveries(engine)] == [(first, endpoint.id)]  # once
    for missing in ("msg_nope", str(second + 100), "99999999999999999999", "１", ""):
        with pytest.raises(LookupError, match="no outbox message"):
            replay(engine, missing, now=LATER)
    with pytest.raises(LookupError, match=f"no webhook endpoint with id {endpoint.id + 1}"):
        replay(engine, first, now=LATER, endpoint_id=endpoint.id + 1)
    assert len(deliveries(engine)) == 1


def test_replay_requeues_a_delivered_message_from_its_first_attempt(engine: Engine, receiver: Receiver) -> None:
    endpoint, _ = ep.add_endpoint(engine, receiver.url, now=T0)
    delivered_once(engine, receiver)
    (first, _), (second, _) = messages(engine)
    assert replay(engine, first, now=LATER, endpoint_id=endpoint.id) == 1
    by_seq = {d["outbox_seq"]: d for d in deliveries(engine)}
    assert {k: by_seq[first][k] for k in ("status", "attempts", "next_attempt_at", "delivered_at")} == {
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": LATER,
        "delivered_at": None,
    }
    assert (by_seq[second]["status"], by_seq[second]["attempts"]) == ("delivered", 1)  # the other one is left alone
    assert len(by_seq) == 2


def test_replay_without_an_endpoint_goes_to_every_enabled_endpoint_that_takes_the_type(
    engine: Engine, receiver: Receiver
) -> None:
    """A message not fanned out yet gets its deliveries at once and is marked relayed, so fan-out adds none."""
    every, _ = ep.add_endpoint(engine, receiver.url, now=T0)
    received, _ = ep.add_endpoint(engine, receiver.url, events=["case.received"], now=T0)
    other, _ = ep.add_endpoint(engine, receiver.url, events=["return.*"], now=T0)
    disabled, _ = ep.add_endpoint(engine, receiver.url, now=T0)
    ep.set_enabled(engine, disabled.id, False, reason="maintenance")
    (first, _), (second, _) = messages(engine)
    assert replay(engine, first, now=LATER) == 2
    queued = [
        (d["outbox_seq"], d["endpoint_id"], d["status"], d["attempts"], d["next_attempt_at"])
        for d in deliveries(engine)
    ]
    assert sorted(queued) == [(first, every.id, "pending", 0, LATER), (first, received.id, "pending", 0, LATER)]
    with engine.connect() as conn:
        relayed = dict(conn.execute(select(t.outbox.c.seq, t.outbox.c.relayed_at)).all())
    assert relayed == {first: LATER, second: None}
    with Relay(engine, clock=FixedClock(LATER), rng=0.5) as relay:
        assert relay.fan_out() == 2  # the second message only
    # the operator may name an endpoint that does not take the type, or is disabled: it is queued all the same
    assert replay(engine, first, now=LATER, endpoint_id=other.id) == 1
    assert replay(engine, first, now=LATER, endpoint_id=disabled.id) == 1
    assert sorted(d["endpoint_id"] for d in deliveries(engine) if d["outbox_seq"] == first) == sorted(
        [every.id, received.id, other.id, disabled.id]
    )


def test_retry_dead_puts_back_the_dead_deliveries_only_of_the_endpoint_named(
    engine: Engine, receiver: Receiver
) -> None:
    one, _ = ep.add_endpoint(engine, receiver.url, now=T0)
    two, _ = ep.add_endpoint(engine, receiver.url, now=T0)
    delivered_once(engine, receiver)
    d = t.webhook_deliveries.c
    (first, _), (second, _) = messages(engine)
    with engine.begin() as conn:
        conn.execute(update(t.webhook_deliveries).where(d.outbox_seq == first).values(status="dead", attempts=7))
    assert retry_dead(engine, now=LATER, endpoint_id=two.id) == 1
    state = {(x["outbox_seq"], x["endpoint_id"]): (x["status"], x["attempts"]) for x in deliveries(engine)}
    assert state == {
        (first, one.id): ("dead", 7),
        (first, two.id): ("pending", 0),
        (second, one.id): ("delivered", 1),
        (second, two.id): ("delivered", 1),
    }
    assert retry_dead(engine, now=LATER) == 1
    assert retry_dead(engine, now=LATER) == 0
    assert [x["next_attempt_at"] for x in deliveries(engine) if x["outbox_seq"] == first] == [LATER, LATER]


def test_list_deliveries_newest_first_by_status_and_endpoint(engine: Engine, receiver: Receiver) -> None:
    one, _ = ep.add_endpoint(engine, receiver.url, now=T0)
    two, _ = ep.add_endpoint(engine, receiver.url, now=T0)
    with Relay(engine, clock=FixedClock(T0), rng=0.5) as relay:
        relay.fan_out()
    ids = [r["id"] for r in rows(engine, t.webhook_deliveries)]
    with engine.begin() as conn:
        conn.execute(update(t.webhook_deliveries).where(t.webhook_deliveries.c.id == ids[0]).values(status="dead"))
    listed = list_deliveries(engine)
    assert [r["id"] for r in listed] == ids[::-1]
    assert [r["id"] for r in list_deliveries(engine, limit=2)] == ids[::-1][:2]
    assert [r["id"] for r in list_deliveries(engine, status="dead")] == [ids[0]]
    assert [r["id"] for r in list_deliveries(engine, status="pending", endpoint_id=two.id)] == [
        r["id"] for r in listed if r["endpoint_id"] == two.id and r["status"] == "pending"
    ]
    seqs = dict(messages(engine))
    stored = {r["id"]: r["outbox_seq"] for r in rows(engine, t.webhook_deliveries)}
    assert [(r["id"], r["outbox_seq"], r["message_id"]) for r in listed] == [
        (i, stored[i], seqs[stored[i]]) for i in ids[::-1]
    ]
    assert {r["type"] for r in listed} == {"case.received"} and {r["endpoint_id"] for r in listed} == {one.id, two.id}


def test_show_message_lists_its_deliveries_and_their_attempts_in_order(engine: Engine, receiver: Receiver) -> None:
    one, _ = ep.add_endpoint(engine, receiver.url, now=T0)
    two, _ = ep.add_endpoint(engine, receiver.url, now=T0)
    (first, first_id), (second, _) = messages(engine)
    delivered_once(engine, receiver)
    replay(engine, first, now=T0)
    delivered_once(engine, receiver)
    shown = show_message(engine, first_id)
    assert (shown["seq"], shown["message_id"], shown["type"]) == (first, first_id, "case.received")
    assert shown["payload"]["type"] == "case.received"
    assert [d["endpoint_id"] for d in shown["deliveries"]] == [one.id, two.id]
    for delivery in shown["deliveries"]:
        made = delivery["attempts_made"]
        assert len(made) == 2 and [a["status_code"] for a in made] == [204, 204]
        assert made[0]["id"] < made[1]["id"]
    assert show_message(engine, second)["deliveries"][0]["attempts_made"][0]["delivery_id"] == min(
        r["id"] for r in rows(engine, t.webhook_deliveries) if r["outbox_seq"] == second
    )
    with engine.begin() as conn:  # written by an older version, or by hand: shown as text, not refused
        conn.execute(update(t.outbox).where(t.outbox.c.seq == second).values(payload=b"not json \xff"))
    assert show_message(engine, second)["payload"] == "not json \ufffd"
    with pytest.raises(LookupError, match="no outbox message 'msg_nope'"):
        show_message(engine, "msg_nope")


class Recording:
    """A transport that records each post and whether it was closed."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, bytes, dict[str, str]]] = []
        self.closed = False

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Response:
        self.posts.append((url, body, dict(headers)))
        return Response(202)

    def close(self) -> None:
        self.closed = True


def test_ping_posts_one_signed_test_message_and_stores_nothing(engine: Engine, receiver: Receiver) -> None:
    endpoint, secret = ep.add_endpoint(engine, receiver.url, now=T0)
    before = (messages(engine), rows(engine, t.webhook_deliveries))
    transport = Recording()
    assert ping(engine, endpoint.id, clock=FixedClock(LATER), transport=transport).status == 202
    assert not transport.closed  # the caller's transport stays the caller's
    ((url, body, headers),) = transport.posts
    assert url == receiver.url
    assert json.loads(body) == {
        "type": "webhook.test",
        "timestamp": "2026-11-02T06:00:00Z",
        "data": {"endpoint_id": endpoint.id},
    }
    assert headers["webhook-id"] == f"msg_test_{int(LATER.timestamp() * 1000)}"
    verify(headers, body, [secret.secret], now=int(LATER.timestamp()))
    assert (messages(engine), rows(engine, t.webhook_deliveries)) == before
    with pytest.raises(LookupError, match=f"no webhook endpoint with id {endpoint.id + 1}"):
        ping(engine, endpoint.id + 1, clock=FixedClock(LATER), transport=transport)
    with engine.begin() as conn:
        conn.execute(delete(t.webhook_secrets))
    refused = ping(engine, endpoint.id, clock=FixedClock(LATER), transport=transport)
    assert (refused.status, refused.error) == (None, "endpoint has no valid secret")
    assert len(transport.posts) == 1 and receiver.requests == []


def test_ping_without_a_transport_closes_the_one_it_opened(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its own ``StdlibTransport``, closed at once: a CLI ``webhook test`` leaves no connection open."""
    opened: list[Closing] = []

    class Closing(StdlibTransport):
        def __init__(self) -> None:
            super().__init__()
            self.closed = 0
            opened.append(self)

        def close(self) -> None:
            self.closed += 1
            super().close()

    monkeypatch.setattr(relay, "StdlibTransport", Closing)
    endpoint = Scripted([OK])
    try:
        added, _ = ep.add_endpoint(engine, endpoint.url, now=T0)
        assert ping(engine, added.id, clock=FixedClock(LATER)).status == 200
        assert [x.closed for x in opened] == [1]
        assert endpoint.client_closed_a_connection()
    finally:
        endpoint.stop()
