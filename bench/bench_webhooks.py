"""Benchmark: the outbound relay and the inbound webhook server, each against a bare baseline on loopback.

Outbound: N outbox messages (default 5,000; real ``case.received`` payloads, one case each, inserted
straight into the outbox of a fresh SQLite file) are relayed by ``Relay.run_once()`` to a receiver
answering 204 (``http.server`` on HTTP/1.1 keep-alive, in its own process). That includes fan-out, claims,
signing every attempt and recording every attempt. The baseline posts the same bodies to the same receiver
with no database and no signing, in every raw mode (``httpx.Client`` and ``http.client``, keep-alive);
the best raw mode measured in the same run is the reference. Target: relay >= 50 % of it.

Inbound: N signed ``generic`` complaint webhooks (distinct webhook-ids) are posted one after the other over
one keep-alive connection to uvicorn serving ``entrypoints.asgi`` (verify, dedupe, map, create the case in
SQLite, answer 202), vs the same uvicorn serving a bare ASGI app answering 204, in ``--rounds`` alternating rounds
(a fresh database and server each); the median ratio counts. Target: >= 20 %.

Every message must arrive (relay) and every request must answer 202 (inbound), else exit 1.
Timing never fails the script.

Usage (from the project root):

    .venv/bin/python bench/bench_webhooks.py               # 5,000 messages, 1,000 inbound requests
    .venv/bin/python bench/bench_webhooks.py --n 1000 --inbound 300
    .venv/bin/python bench/bench_webhooks.py --only inbound --rounds 5
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))

TARGET_RELAY = 0.50
TARGET_INBOUND = 0.20
T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
SECRET = "whsec_" + "QmVuY2htYXJrIHNlY3JldCBmb3Igd2ViaG9va3MhISE="  # fixed: 32 bytes, bench only


# --- child processes --------------------------------------------------------------------------------------------
def serve_receiver(port: int) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            self.send_response_only(204)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


async def bare_app(scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 204, "headers": [(b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})


def serve_asgi(kind: str, port: int, db: str) -> None:
    import uvicorn

    if kind == "bare":
        app: Any = bare_app
    else:
        from adapters.webhooks.mapping import load_bundled_mapping
        from entrypoints.asgi import make_app

        app = make_app(db, {"crm": (SECRET, load_bundled_mapping("generic"))})
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", access_log=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def spawn(*args: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    child = subprocess.Popen([sys.executable, __file__, "--child", *args, str(port)], env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return child, port
        except OSError:
            time.sleep(0.05)
    child.kill()
    raise RuntimeError(f"child {args} did not start")


# --- outbound ---------------------------------------------------------------------------------------------------
def make_outbox(db: str, n: int) -> list[bytes]:
    """A fresh database with ``n`` outbox rows shaped like real ``case.received`` messages; their payloads."""
    from sqlalchemy import insert, select

    from adapters.clock import FixedClock
    from adapters.sql import tables as t
    from complaint_core.intake import Intake
    from complaint_core.policy import Channel, Market
    from entrypoints.app import open_app

    app = open_app(db, clock=FixedClock(T0))
    intake = Intake(customer="华东电子有限公司", channel=Channel.EMAIL, category="quality", market=Market.DOMESTIC)
    app.cases.receive(intake, actor="bench")
    engine = app.database.engine
    with engine.begin() as conn:
        template = conn.execute(select(t.outbox)).first()
        assert template is not None
        payload = bytes(template.payload)
        old = template.aggregate_id
        rows, bodies = [], []
        for _ in range(n - 1):
            aggregate = str(uuid.uuid4())
            body = payload.replace(old.encode(), aggregate.encode())
            bodies.append(body)
            rows.append(
                {
                    "message_id": f"msg_{uuid.UUID(aggregate).hex}_1",
                    "aggregate_id": aggregate,
                    "type": template.type,
                    "created_at": T0,
                    "payload": body,
                }
            )
        conn.execute(insert(t.outbox), rows)
    app.close()
    return [payload, *bodies]


def raw_httpx(url: str, bodies: Sequence[bytes]) -> int:
    import httpx

    ok = 0
    with httpx.Client(timeout=httpx.Timeout(15.0, connect=5.0), follow_redirects=False) as client:
        for body in bodies:
            ok += client.post(url, content=body, headers={"content-type": "application/json"}).status_code == 204
    return ok


def raw_http_client(url: str, bodies: Sequence[bytes]) -> int:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=15)
    ok = 0
    for body in bodies:
        conn.request("POST", parts.path, body=body, headers={"content-type": "application/json"})
        response = conn.getresponse()
        response.read()
        ok += response.status == 204
    conn.close()
    return ok


def relay_all(db: str, url: str, transport: str, concurrency: int) -> tuple[float, int]:
    from sqlalchemy import func, select

    from adapters.clock import SystemClock
    from adapters.sql import open_database
    from adapters.sql import tables as t
    from adapters.webhooks.endpoints import add_endpoint
    from adapters.webhooks.relay import Relay

    engine = open_database(db).engine
    add_endpoint(engine, url, now=T0)
    client: Any = None
    if transport == "httpx":
        import httpx

        client = httpx.Client(timeout=httpx.Timeout(15.0, connect=5.0), follow_redirects=False)
    relay = Relay(engine, client=client, clock=SystemClock(), rng=random.Random(1), concurrency=concurrency)
    started = time.perf_counter()
    counts = relay.run_once()
    elapsed = time.perf_counter() - started
    relay.close()
    with engine.connect() as conn:
        delivered = conn.execute(
            select(func.count()).select_from(t.webhook_deliveries).where(t.webhook_deliveries.c.status == "delivered")
        ).scalar_one()
    engine.dispose()
    assert counts.delivered == delivered
    return elapsed, int(delivered)


# --- inbound ----------------------------------------------------------------------------------------------------
def inbound_bodies(n: int) -> list[bytes]:
    example = json.loads((SRC / "adapters/webhooks/mappings/examples/generic-complaint-created.json").read_text())
    bodies = []
    for i in range(n):
        example["id"] = f"CRM-BENCH-{i}"
        bodies.append(json.dumps(example, ensure_ascii=False).encode())
    return bodies


def post_signed(port: int, bodies: Sequence[bytes], expect: int) -> tuple[float, int]:
    from adapters.webhooks.signing import Signer

    signer = Signer.from_secrets([SECRET])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    ok = 0
    started = time.perf_counter()
    for i, body in enumerate(bodies):
        headers = signer.headers(f"msg_bench_{i}_{uuid.uuid4().hex[:8]}", int(time.time()), body)
        headers["content-type"] = "application/json"
        conn.request("POST", "/webhooks/crm", body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        ok += response.status == expect
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed, ok


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=5000, help="outbox messages to relay")
    parser.add_argument("--inbound", type=int, default=1000, help="inbound requests")
    parser.add_argument("--rounds", type=int, default=3, help="inbound rounds (bare, then ours); the median counts")
    parser.add_argument("--only", choices=["outbound", "inbound"], help="run one part only")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        if kind == "receiver":
            serve_receiver(int(rest[-1]))
        else:
            serve_asgi(kind, int(rest[-1]), rest[0] if len(rest) > 1 else "")
        return 0

    print("bench_webhooks: outbound relay and inbound server on loopback")
    print(f"  python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cpu(s), SQLite file")
    problems: list[str] = []
    results: list[str] = []
    tmp = Path(tempfile.mkdtemp(prefix="bench_webhooks_"))
    if args.only != "inbound":
        results.append(outbound(tmp, args.n, problems))
    if args.only != "outbound":
        results.append(inbound(tmp, args.inbound, args.rounds, problems))
    print()
    if problems:
        print(f"WRONG RESULTS: {problems}")
        return 1
    for line in results:
        print(line)
    return 0


def outbound(tmp: Path, n: int, problems: list[str]) -> str:
    receiver, port = spawn("receiver")
    url = f"http://127.0.0.1:{port}/hook"
    try:
        bodies = make_outbox(str(tmp / "warm.db"), n)
        print(f"  {n:,} messages of {len(bodies[0])} bytes; receiver: http.server answering 204 (own process)")
        print()
        raw_httpx(url, bodies[:200])  # warm-up
        raw: dict[str, float] = {}
        for name, fn in (("httpx.Client keep-alive", raw_httpx), ("http.client keep-alive", raw_http_client)):
            started = time.perf_counter()
            ok = fn(url, bodies)
            raw[name] = n / (time.perf_counter() - started)
            if ok != n:
                problems.append(f"raw {name}: {ok} of {n} answered 204")
        best_name = max(raw, key=lambda k: raw[k])
        best = raw[best_name]
        relay_rates: dict[str, float] = {}
        for i, (transport, concurrency) in enumerate((("stdlib", 1), ("httpx", 1), ("stdlib", 2))):
            db = str(tmp / f"relay{i}.db")
            make_outbox(db, n)
            elapsed, delivered = relay_all(db, url, transport, concurrency)
            relay_rates[f"Relay ({transport}, concurrency {concurrency})"] = n / elapsed
            if delivered != n:
                problems.append(f"relay {transport}: {delivered} of {n} delivered")
        width = max(map(len, [*raw, *relay_rates])) + 2
        print(f"  {'outbound':<{width}} {'msg/s':>9}  {'vs best raw':>11}")
        for name, rate in [*raw.items(), *relay_rates.items()]:
            print(f"  {name:<{width}} {rate:>9,.0f}  {rate / best:>10.0%}")
        relay_best_name = max(relay_rates, key=lambda k: relay_rates[k])
        relay_ratio = relay_rates[relay_best_name] / best
        default_ratio = relay_rates["Relay (stdlib, concurrency 1)"] / best
    finally:
        receiver.kill()
        receiver.wait()
    verdict = "OK" if default_ratio >= TARGET_RELAY else "BELOW TARGET"
    return (
        f"RESULT outbound: {verdict}: default relay {default_ratio:.0%} of the best raw mode ({best_name}, "
        f"{best:,.0f}/s); best relay variant {relay_best_name} {relay_ratio:.0%}; target >= {TARGET_RELAY:.0%}"
    )


def inbound(tmp: Path, count: int, rounds: int, problems: list[str]) -> str:
    """``rounds`` alternating rounds of bare then ours (fresh database and server each time); the median ratio."""
    print()
    bodies_in = inbound_bodies(count)
    n = len(bodies_in) - 20
    ratios: list[float] = []
    print(f"  {'inbound (uvicorn, one keep-alive connection)':<48} {'bare 204':>9} {'ours 202':>9} {'ratio':>6}")
    for r in range(rounds):
        rates: dict[str, float] = {}
        for kind, expect in (("bare", 204), ("ours", 202)):
            child, port = spawn(kind, str(tmp / f"inbound{r}.db"))
            try:
                post_signed(port, bodies_in[:20], expect)  # warm-up (opens the database, first cases)
                elapsed, ok = post_signed(port, bodies_in[20:], expect)
                rates[kind] = n / elapsed
                if ok != n:
                    problems.append(f"inbound {kind}: {ok} of {n} answered {expect}")
            finally:
                child.terminate()
                child.wait(10)
        ratios.append(rates["ours"] / rates["bare"])
        label = f"round {r + 1}: req/s"
        print(f"  {label:<48} {rates['bare']:>9,.0f} {rates['ours']:>9,.0f} {ratios[-1]:>6.0%}")
    ratio = statistics.median(ratios)
    verdict = "OK" if ratio >= TARGET_INBOUND else "BELOW TARGET"
    spread = f"{min(ratios):.0%}..{max(ratios):.0%}"
    return (
        f"RESULT inbound: {verdict}: entrypoints.asgi (verify+dedupe+map+case, 202) at a median {ratio:.0%} of a bare "
        f"ASGI app answering 204 over {rounds} round(s) (range {spread}); target >= {TARGET_INBOUND:.0%}"
    )


if __name__ == "__main__":
    sys.exit(main())
