"""The inbound server's one transaction per request: CRM updates applied to the linked case, concurrent duplicates,
and crashes (an exception in the commit hook, and a server process killed just before its commit)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from whkit import call

from adapters.clock import FixedClock
from adapters.sql import tables as t
from adapters.webhooks.mapping import load_bundled_mapping
from adapters.webhooks.signing import Signer, new_secret
from complaint_core.case import CaseStatus, RemedyKind
from entrypoints import asgi
from entrypoints.asgi import WebhookApp, make_app

NOW = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
SECRET = new_secret()
ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "src/adapters/webhooks/mappings/examples"
CREATED = (EXAMPLES / "generic-complaint-created.json").read_bytes()
REPLIED = (EXAMPLES / "generic-customer-replied.json").read_bytes()
EXTERNAL = "CRM-2026-0042"


def signed(body: bytes, msg_id: str, *, at: datetime = NOW) -> dict[str, str]:
    return {
        **Signer.from_secrets([SECRET]).headers(msg_id, int(at.timestamp()), body),
        "content-type": "application/json",
    }


def status_changed(status: str, external_id: str = EXTERNAL) -> bytes:
    doc = {"type": "complaint.status_changed", "id": external_id, "occurred_at": "2026-11-02T10:30:00+08:00"}
    return json.dumps({**doc, "status": status}).encode()


def post(app: WebhookApp, body: bytes, msg_id: str, source: str = "crm") -> tuple[int, dict[bytes, bytes], Any]:
    return call(app, "POST", f"/webhooks/{source}", signed(body, msg_id), body)  # type: ignore[no-any-return]


def table_rows(app: WebhookApp, table: Any) -> list[dict[str, Any]]:
    with app.app().database.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(table))]


def check_consistent(app: WebhookApp) -> tuple[int, int, int]:
    """Every case has the 202 record that names it and its link, and every record and link names an existing case."""
    cases = {r["id"] for r in table_rows(app, t.cases)}
    created = {
        json.loads(r["result"])["id"]
        for r in table_rows(app, t.inbound_requests)
        if r["status_code"] == 202 and "number" in json.loads(r["result"]) and "applied" not in r["result"]
    }
    links = {r["case_id"] for r in table_rows(app, t.inbound_links)}
    assert cases == created == links, (cases, created, links)
    return len(cases), len(table_rows(app, t.inbound_requests)), len(links)


def make(db_url: str, clock: Any = None) -> WebhookApp:
    sources = {
        "crm": (SECRET, load_bundled_mapping("generic")),
        "hub": (SECRET, load_bundled_mapping("hubspot-tickets")),
    }
    return make_app(db_url, sources, clock or FixedClock(NOW))  # type: ignore[arg-type]


@pytest.fixture
def app(db_url: str) -> Iterator[WebhookApp]:
    found = make(db_url)
    yield found
    found.close()


def approve(app: WebhookApp, case_id: str) -> None:
    """Take a case to approved in complaint-core (the CRM only reports what the customer does)."""
    cases = app.app().cases
    cases.register(case_id, actor="gm_office")
    cases.start_investigation(case_id, actor="qa")
    cases.attribute(case_id, actor="qa", no_fault=True)
    cases.propose(case_id, actor="sales", kind=RemedyKind.ALLOWANCE, amount=Decimal("100.00"))
    cases.approve(case_id, actor="mgr", role="sales_manager")


# --- CRM updates --------------------------------------------------------------------------------------------------
def test_customer_reply_records_the_reaction_and_closed_closes_the_case(app: WebhookApp) -> None:
    status, _, created = post(app, CREATED, "msg_created")
    assert status == 202
    case_id = created["id"]

    # before a decision, a customer's message is no reaction to one: refused with the rule, and stored, so that a
    # retry of this old message is never attached to a decision made later
    status, _, early = post(app, REPLIED, "msg_early")
    assert status == 422 and early["rule"] == "CASE-TRANSITION" and early["external_id"] == EXTERNAL
    approve(app, case_id)
    again, headers, early2 = post(app, REPLIED, "msg_early")
    assert (again, early2, headers[b"webhook-replayed"]) == (422, early, b"true")

    status, headers, doc = post(app, REPLIED, "msg_reply")
    assert status == 202 and b"webhook-replayed" not in headers
    assert doc == {
        "event": "customer_reply",
        "external_id": EXTERNAL,
        "applied": True,
        "command": "reply",
        "number": app.app().cases.get(case_id).number,  # manufacturing numbers a case at registration
        "id": case_id,
        "status": "replied",
    }
    case = app.app().cases.get(case_id)
    assert case.status is CaseStatus.REPLIED
    assert case.reply is not None and case.reply.reaction == json.loads(REPLIED)["message"]
    assert "allowance 100.00" in case.reply.message and EXTERNAL in case.reply.message
    assert case.steps[-1].actor == "webhook:crm"

    status, _, closed = post(app, status_changed("closed"), "msg_close")
    assert status == 202 and closed["applied"] is True and closed["command"] == "close" and closed["status"] == "closed"
    version = app.app().cases.get(case_id).version
    again, headers, closed2 = post(app, status_changed("closed"), "msg_close")
    assert (again, closed2, headers[b"webhook-replayed"]) == (202, closed, b"true")
    assert app.app().cases.get(case_id).version == version  # the replay changed nothing
    assert check_consistent(app) == (1, 4, 1)  # created, early (422), reply, close


def test_closing_too_early_is_422_with_the_rule_and_other_statuses_are_not_applied(app: WebhookApp) -> None:
    assert post(app, CREATED, "msg_created")[0] == 202
    status, _, doc = post(app, status_changed("closed"), "msg_close")
    assert status == 422 and doc["rule"] == "CASE-TRANSITION" and "received" in doc["error"]
    status, _, doc = post(app, status_changed("waiting_on_us"), "msg_waiting")
    assert status == 202 and doc["applied"] is False and "waiting_on_us" in doc["reason"]
    status, _, doc = post(app, status_changed("registered"), "msg_registered")
    assert status == 202 and doc["applied"] is True and doc["command"] == "register" and doc["number"]
    assert check_consistent(app) == (1, 3, 1)  # created, the 422 and the registration; not the unapplied status


def test_unknown_external_id_is_404_and_nothing_is_stored(app: WebhookApp) -> None:
    status, _, doc = post(app, status_changed("closed", "CRM-UNKNOWN"), "msg_unknown")
    assert status == 404 and doc["external_id"] == "CRM-UNKNOWN"
    assert check_consistent(app) == (0, 0, 0)
    reply = json.loads(REPLIED)
    reply["message"] = "  "
    body = json.dumps(reply).encode()
    assert post(app, CREATED, "msg_created")[0] == 202
    status, _, doc = post(app, body, "msg_blank")
    assert status == 400 and doc["errors"][0]["field"] == "message"


def test_hubspot_stage_closed_is_a_close_command(app: WebhookApp) -> None:
    created = (EXAMPLES / "hubspot-ticket-created.json").read_bytes()
    changed = (EXAMPLES / "hubspot-ticket-stage-changed.json").read_bytes()  # stage "4" → closed
    status, _, doc = post(app, created, "hub_1", "hub")
    assert status == 202 and doc["external_id"] == "5120012"
    status, _, refused = post(app, changed, "hub_2", "hub")
    assert status == 422 and refused["rule"] == "CASE-TRANSITION"  # not replied yet: the domain refuses
    status, _, _ = post(app, status_changed("closed", "5120012"), "hub_3", "crm")  # links are per source
    assert status == 404


# --- concurrent duplicates ----------------------------------------------------------------------------------------
def test_a_duplicate_that_loses_the_race_gets_the_first_answer(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = make(db_url), make(db_url)  # two server processes on one database
    try:
        status, _, doc = post(first, CREATED, "msg_1")
        assert status == 202
        looked = asgi._Store.answer
        misses = [1]

        def stale(self: Any, source: str, webhook_id: str) -> Any:  # the replay's read ran before the first commit
            if misses:
                misses.pop()
                return None
            return looked(self, source, webhook_id)

        monkeypatch.setattr(asgi._Store, "answer", stale)
        status, headers, again = post(second, CREATED, "msg_1")
        assert (status, again, headers[b"webhook-replayed"]) == (202, doc, b"true")
        assert not misses and check_consistent(first) == (1, 1, 1)  # the loser's case was rolled back with it
    finally:
        first.close()
        second.close()


def test_concurrent_duplicates_create_one_case(db_url: str) -> None:
    apps = [make(db_url), make(db_url), make(db_url)]
    try:
        for n in range(4):
            body = CREATED.replace(EXTERNAL.encode(), f"CRM-RACE-{n}".encode())
            answers: list[tuple[int, Any]] = []
            barrier = threading.Barrier(len(apps))

            def send(
                app: WebhookApp,
                body: bytes = body,
                msg: str = f"msg_race_{n}",
                barrier: threading.Barrier = barrier,
                answers: list[tuple[int, Any]] = answers,
            ) -> None:
                barrier.wait()
                status, _, doc = post(app, body, msg)
                answers.append((status, doc))

            threads = [threading.Thread(target=send, args=(a,)) for a in apps]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
            assert len(answers) == len(apps)
            assert {status for status, _ in answers} == {202} and len({doc["id"] for _, doc in answers}) == 1
        assert check_consistent(apps[0]) == (4, 4, 4)
    finally:
        for a in apps:
            a.close()


# --- crashes --------------------------------------------------------------------------------------------------
def crash_in_hook(crash: Callable[[], None]) -> Callable[..., Any]:
    """``_Store.hook`` whose ``before_commit`` writes every row, then crashes before the commit."""
    original = asgi._Store.hook

    def hook(self: Any, *args: Any, **kwargs: Any) -> Any:
        inner = original(self, *args, **kwargs)

        def before_commit(uow: Any, case: Any) -> None:
            inner(uow, case)
            crash()

        return before_commit

    return hook


def test_an_error_just_before_the_commit_leaves_neither_case_nor_record(
    app: WebhookApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom() -> None:
        raise RuntimeError("crash")

    monkeypatch.setattr(asgi._Store, "hook", crash_in_hook(boom))
    status, _, _ = post(app, CREATED, "msg_1")
    assert status == 400  # unexpected: logged, never a 500
    assert check_consistent(app) == (0, 0, 0)
    monkeypatch.undo()
    status, headers, doc = post(app, CREATED, "msg_1")  # the CRM's retry creates the case, once
    assert status == 202 and b"webhook-replayed" not in headers
    assert post(app, CREATED, "msg_1")[2] == doc
    assert check_consistent(app) == (1, 1, 1)


CHILD = """
import os, signal, sys
import uvicorn
from adapters.webhooks.mapping import load_bundled_mapping
from entrypoints import asgi
db, port, secret, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
if mode == "crash":
    original = asgi._Store.hook
    def hook(self, *args, **kwargs):
        inner = original(self, *args, **kwargs)
        def before_commit(uow, case):
            inner(uow, case)
            os.kill(os.getpid(), signal.SIGKILL)  # every row written, nothing committed
        return before_commit
    asgi._Store.hook = hook
app = asgi.make_app(db, {"crm": (secret, load_bundled_mapping("generic"))})
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
"""


def serve(tmp_path: Path, db_url: str, mode: str) -> tuple[subprocess.Popen[bytes], str]:
    from test_inbound import free_port

    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    child = subprocess.Popen([sys.executable, str(script), db_url, str(port), SECRET, mode], env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return child, base
        except httpx.TransportError:
            time.sleep(0.05)
    child.kill()
    raise RuntimeError("the server did not start")


def test_a_server_killed_before_its_commit_leaves_neither_and_the_retry_creates_one_case(
    tmp_path: Path, db_url: str
) -> None:
    now = datetime.now(UTC)
    headers = signed(CREATED, "msg_killed", at=now)
    child, base = serve(tmp_path, db_url, "crash")
    try:
        with pytest.raises(httpx.TransportError):
            httpx.post(f"{base}/webhooks/crm", content=CREATED, headers=headers, timeout=30)
        assert child.wait(10) == -signal.SIGKILL
    finally:
        child.kill()
    checker = make(db_url)
    try:
        assert check_consistent(checker) == (0, 0, 0)
        child, base = serve(tmp_path, db_url, "normal")
        try:
            first = httpx.post(f"{base}/webhooks/crm", content=CREATED, headers=headers, timeout=30)
            again = httpx.post(f"{base}/webhooks/crm", content=CREATED, headers=headers, timeout=30)
        finally:
            child.terminate()
            child.wait(10)
        assert first.status_code == 202 and again.json() == first.json()
        assert again.headers["webhook-replayed"] == "true"
        assert check_consistent(checker) == (1, 1, 1)
    finally:
        checker.close()


def test_a_reply_to_a_case_found_not_established_after_a_petition_tells_why_not_the_old_remedy(
    app: WebhookApp,
) -> None:
    """P1-LC-12: a petition (签呈) leaves the approved allowance's proposal on the case; found not established, the
    reply the CRM reports told the customer that, not "the approved remedy: allowance 100.00"."""
    case_id = post(app, CREATED, "msg_created")[2]["id"]
    approve(app, case_id)
    cases = app.app().cases
    cases.petition(case_id, actor="qa", department="production", reason="非本部门责任")
    cases.find_not_established(case_id, actor="qa", reason="客户误用")
    assert post(app, REPLIED, "msg_reply")[0] == 202
    case = cases.get(case_id)
    assert case.remedy is not None and case.reply is not None
    assert "found not established: 客户误用" in case.reply.message and "allowance" not in case.reply.message


def test_a_later_customer_message_updates_the_reaction_of_a_replied_case(app: WebhookApp) -> None:
    """The reply is on record: a further customer message is its reaction (``record_reaction``), not a new reply."""
    status, _, created = post(app, CREATED, "msg_created")
    assert status == 202
    case_id = created["id"]
    approve(app, case_id)
    assert post(app, REPLIED, "msg_reply")[0] == 202
    replied = app.app().cases.get(case_id)
    later = json.loads(REPLIED) | {"message": "客户改口:仍不满意,要求退货"}
    status, _, doc = post(app, json.dumps(later).encode(), "msg_later")
    assert status == 202 and doc["applied"] is True and doc["status"] == "replied"
    case = app.app().cases.get(case_id)
    assert case.version == replied.version + 1
    assert case.reply is not None and case.reply.reaction == later["message"]
    assert replied.reply is not None and case.reply.message == replied.reply.message  # what we told them is kept


def test_a_ticket_with_a_severity_is_received_and_classified_in_one_transaction(db_url: str) -> None:
    """The mapping checked a ticket's severity against the policy and then dropped it: a `severe` ticket under
    `service` was stored unclassified, and its severity's clocks never started. The case is now received and
    classified in the same transaction; a severity the policy does not have is still a 400 and writes nothing."""
    from adapters.sql import documents as docs
    from entrypoints.app import open_app

    setup = open_app(db_url)
    docs.store(setup.database.engine, kind="setting", name="default_policy", source="service", fmt="text", at=NOW)
    setup.close()
    app = make(db_url)
    try:
        ticket = {"type": "complaint.created", "customer": {"name": "ACME"}, "category": "quality", "channel": "phone"}
        status, _, answer = post(app, json.dumps({**ticket, "id": "SEV-1", "severity": "severe"}).encode(), "sev-1")
        assert status == 202, answer
        case = app.app().cases.get(answer["id"])
        assert (case.severity, case.version, case.policy_id) == ("severe", 2, "service")
        rows = table_rows(app, t.history)
        assert [r["type"] for r in rows] == ["case.received", "case.severity_classified"]

        status, _, answer = post(app, json.dumps({**ticket, "id": "SEV-2", "severity": "bogus"}).encode(), "sev-2")
        assert status == 400 and "severity" in json.dumps(answer)
        assert check_consistent(app)[0] == 1
    finally:
        app.close()
