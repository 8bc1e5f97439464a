"""``complaint webhook …`` / ``outbox …`` in-process (typer's CliRunner) against a real loopback receiver."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text
from test_relay import make_cases
from typer.testing import CliRunner
from whkit import Answer, Receiver, engine_of

from adapters.webhooks.signing import verify
from entrypoints.cli.main import build_app


def run(db: str, *args: str) -> Any:
    return CliRunner().invoke(build_app(), ["--db", db, "--json", *args], env={"COLUMNS": "120"})


def test_webhook_and_outbox_commands(db_url: str, receiver: Receiver) -> None:
    ids = make_cases(db_url, 2)
    added = run(db_url, "webhook", "add", receiver.url, "--event", "case.*", "--description", "crm")
    assert added.exit_code == 0, added.output
    endpoint = json.loads(added.stdout)
    secret = endpoint["secret"]
    listed = run(db_url, "webhook", "list")
    assert listed.exit_code == 0 and secret not in listed.stdout
    assert json.loads(listed.stdout)["endpoints"][0]["events"] == ["case.*"]
    relayed = run(db_url, "outbox", "relay", "--once")
    assert relayed.exit_code == 0, relayed.output
    assert json.loads(relayed.stdout)["delivered"] == 2
    assert sorted(receiver.ids()) == sorted(ids)
    for request in receiver.requests:
        verify(request.headers, request.body, [secret], now=int(request.headers["webhook-timestamp"]))
    delivered = json.loads(run(db_url, "outbox", "list", "--status", "delivered").stdout)["deliveries"]
    assert len(delivered) == 2
    shown = json.loads(run(db_url, "outbox", "show", ids[0]).stdout)
    assert shown["deliveries"][0]["attempts_made"][0]["status_code"] == 204
    assert json.loads(run(db_url, "outbox", "replay", ids[0]).stdout)["queued"] == 1
    assert json.loads(run(db_url, "outbox", "relay", "--once").stdout)["delivered"] == 1
    rotated = json.loads(run(db_url, "webhook", "rotate-secret", str(endpoint["id"])).stdout)
    assert rotated["secret"] != secret
    assert run(db_url, "webhook", "test", str(endpoint["id"])).exit_code == 0
    assert len(receiver.requests[-1].headers["webhook-signature"].split()) == 2
    assert run(db_url, "webhook", "remove", "99").exit_code == 3
    assert run(db_url, "outbox", "show", "msg_nope").exit_code == 3
    assert run(db_url, "outbox", "list", "--status", "weird").exit_code == 2
    assert run(db_url, "webhook", "add", "ftp://x").exit_code == 2


def test_relay_exits_7_when_an_endpoint_is_gone(db_url: str) -> None:
    gone = Receiver(lambda r, n: Answer(410))
    try:
        make_cases(db_url, 1)
        assert run(db_url, "webhook", "add", gone.url).exit_code == 0
        result = run(db_url, "outbox", "relay", "--once")
        assert result.exit_code == 7 and result.stdout == ""
        assert run(db_url, "webhook", "test", "1").exit_code == 7
        listed = json.loads(run(db_url, "webhook", "list").stdout)["endpoints"][0]
        assert listed["enabled"] is False and "410" in listed["disabled_reason"]
        assert json.loads(run(db_url, "webhook", "enable", "1").stdout)["enabled"] is True
    finally:
        gone.stop()


def test_relay_options_out_of_range_are_usage_errors(db_url: str) -> None:
    """Webhook audit: `--timeout inf`, `--timeout 1e11` or a 20-digit `--batch` exited 1, "unexpected
    OverflowError"; a bad option value is exit 2 naming the option."""
    make_cases(db_url, 1)
    for option, value in [("--timeout", "inf"), ("--timeout", "1e11"), ("--batch", "9" * 20), ("--poll", "1e300")]:
        result = run(db_url, "outbox", "relay", "--once", option, value)
        assert result.exit_code == 2 and option in result.output, (option, value, result.output)
    listed = run(db_url, "outbox", "list", "--limit", "9" * 20)  # review: the same fix, missed here
    assert listed.exit_code == 2 and "--limit" in listed.output, listed.output


def test_ctrl_c_stops_the_relay_loop_and_prints_what_it_did(db_url: str) -> None:
    """Atomicity audit: `outbox relay` stopped by Ctrl-C printed all-zero counts after delivering thousands: the
    loop's running total was lost with the interrupt. The counts now fill as each batch is recorded."""

    def slow(request: object, n: int) -> Answer:
        time.sleep(0.05)
        return Answer(200)

    receiver = Receiver(slow)
    child: subprocess.Popen[bytes] | None = None
    try:
        make_cases(db_url, 8)
        assert run(db_url, "webhook", "add", receiver.url).exit_code == 0
        src = str(Path(__file__).resolve().parents[3] / "src")
        env = {**os.environ, "PYTHONPATH": src}
        argv = [sys.executable, "-m", "entrypoints.cli", "--db", db_url, "--json", "outbox", "relay"]
        child = subprocess.Popen(
            [*argv, "--batch", "1", "--poll", "0.05"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            # Ctrl-C as at a terminal, even where the tests run with SIGINT ignored (a background job: Python then
            # installs no KeyboardInterrupt, and the relay would run on after the test)
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        deadline = time.monotonic() + 60
        while len(receiver.requests) < 4 and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.02)
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=60)
        assert child.returncode == 0, err
        with engine_of(db_url).connect() as conn:
            done = conn.execute(text("SELECT count(*) FROM webhook_deliveries WHERE status = 'delivered'")).scalar()
        counts = json.loads(out)
        assert counts["fanned_out"] == 8 and counts["delivered"] >= 1, (counts, done)
        assert done - 2 <= counts["delivered"] <= done, (counts, done)  # a batch being recorded as it stopped
    finally:
        if child is not None and child.poll() is None:  # a failed test leaves no relay running
            child.kill()
            child.communicate(timeout=20)
        receiver.stop()
