"""The inbound ASGI app: signatures, deduplication, limits, mapping errors; fuzzed; and once through uvicorn."""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import uvicorn
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from whkit import call

from adapters.clock import FixedClock, SystemClock
from adapters.sql import tables as t
from adapters.webhooks.mapping import bundled_mapping_text, load_bundled_mapping
from adapters.webhooks.signing import Signer, new_secret
from entrypoints.asgi import SourcesFileError, WebhookApp, load_sources, make_app

NOW = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
SECRET = new_secret()
EXAMPLES = Path(__file__).resolve().parents[3] / "src/adapters/webhooks/mappings/examples"
CREATED = (EXAMPLES / "generic-complaint-created.json").read_bytes()


def signed(body: bytes, msg_id: str = "msg_1", *, at: datetime = NOW, secret: str = SECRET) -> dict[str, str]:
    return {
        **Signer.from_secrets([secret]).headers(msg_id, int(at.timestamp()), body),
        "content-type": "application/json",
    }


def counts(app: WebhookApp) -> tuple[int, int]:
    with app.app().database.engine.connect() as conn:
        cases = conn.execute(select(func.count()).select_from(t.cases)).scalar_one()
        inbound = conn.execute(select(func.count()).select_from(t.inbound_requests)).scalar_one()
    return int(cases), int(inbound)


@pytest.fixture
def app(db_url: str):  # type: ignore[no-untyped-def]
    found = make_app(db_url, {"crm": (SECRET, load_bundled_mapping("generic"))}, FixedClock(NOW), max_body=4096)
    yield found
    found.close()


def test_signed_intake_creates_one_case_and_a_replay_creates_none(app: WebhookApp) -> None:
    status, _, doc = call(app, "POST", "/webhooks/crm", signed(CREATED), CREATED)
    assert status == 202 and "number" in doc and doc["id"] and doc["external_id"] == "CRM-2026-0042"
    assert counts(app) == (1, 1)
    again, headers, doc2 = call(app, "POST", "/webhooks/crm", signed(CREATED), CREATED)
    assert (again, doc2) == (202, doc) and headers[b"webhook-replayed"] == b"true"
    assert counts(app) == (1, 1)
    other = CREATED.replace(b"CRM-2026-0042", b"CRM-2026-0043")  # a new id for another ticket: a new case
    status3, _, doc3 = call(app, "POST", "/webhooks/crm", signed(other, "msg_2"), other)
    assert status3 == 202 and doc3["id"] != doc["id"] and counts(app) == (2, 2)
    # a new webhook-id for a ticket that has its case already: that case, nothing created or stored
    status4, _, doc4 = call(app, "POST", "/webhooks/crm", signed(CREATED, "msg_3"), CREATED)
    assert status4 == 200 and doc4 == {**doc, "created": False} and counts(app) == (2, 2)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("expired", 401),
        ("future", 401),
        ("wrong_secret", 401),
        ("tampered", 401),
        ("unsigned", 401),
        ("unknown_source", 404),
        ("text_plain", 415),
        ("too_big_declared", 413),
        ("too_big_streamed", 413),
        ("get", 405),
    ],
)
def test_refusals_write_nothing(app: WebhookApp, case: str, expected: int) -> None:
    body, path, headers, chunk = CREATED, "/webhooks/crm", signed(CREATED), 0
    if case == "expired":
        headers = signed(body, at=datetime.fromtimestamp(NOW.timestamp() - 301, UTC))
    elif case == "future":
        headers = signed(body, at=datetime.fromtimestamp(NOW.timestamp() + 301, UTC))
    elif case == "wrong_secret":
        headers = signed(body, secret=new_secret())
    elif case == "tampered":
        body = body.replace(b"2400.00", b"9400.00")
    elif case == "unsigned":
        headers = {"content-type": "application/json"}
    elif case == "unknown_source":
        path = "/webhooks/other"
    elif case == "text_plain":
        headers = {**headers, "content-type": "text/plain"}
    elif case == "too_big_declared":
        body = b" " * 5000 + CREATED
        headers = {**signed(body), "content-length": str(len(body))}
    elif case == "too_big_streamed":
        body, chunk = b" " * 5000 + CREATED, 1000
        headers = signed(body)
    status, _, doc = call(app, "GET" if case == "get" else "POST", path, headers, body, chunk)
    assert status == expected, doc
    assert counts(app) == (0, 0)


def test_a_repeated_signature_line_is_one_list_of_signatures(app: WebhookApp) -> None:
    """Webhook audit: a proxy that appends a second ``webhook-signature`` line hid the valid one (the last line
    won: 401). Repeated lines are one space-separated list, as one line with both would be."""
    good = signed(CREATED)
    junk = ("webhook-signature", "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
    pairs = list(good.items())
    status, _, doc = call(app, "POST", "/webhooks/crm", [*pairs, junk], CREATED)
    assert status == 202, doc
    wrong = [(k, v) for k, v in pairs if k != "webhook-signature"] + [junk, junk]
    status, _, doc = call(app, "POST", "/webhooks/crm", wrong, CREATED)
    assert status == 401 and counts(app) == (1, 1)


def test_mapping_errors_are_400_with_the_fields_and_other_events(app: WebhookApp) -> None:
    payload = json.loads(CREATED)
    del payload["customer"]
    payload["category"] = "nonsense"
    body = json.dumps(payload).encode()
    status, _, doc = call(app, "POST", "/webhooks/crm", signed(body, "msg_bad"), body)
    assert status == 400
    assert {"customer", "category"} <= {e["field"] for e in doc["errors"]}
    status, _, doc = call(app, "POST", "/webhooks/crm", signed(b"{nope", "msg_junk"), b"{nope")
    assert status == 400 and doc["errors"]
    ignored = json.dumps({"type": "complaint.archived", "id": "X"}).encode()
    assert call(app, "POST", "/webhooks/crm", signed(ignored, "msg_ign"), ignored)[0] == 200
    reply = (EXAMPLES / "generic-customer-replied.json").read_bytes()
    status, _, doc = call(app, "POST", "/webhooks/crm", signed(reply, "msg_reply"), reply)
    assert status == 404 and doc["external_id"] == "CRM-2026-0042"  # no case was created from that ticket
    assert counts(app) == (0, 0)  # answers that depend on nothing stored are not stored: a retry is re-evaluated
    assert call(app, "GET", "/healthz")[0] == 200
    assert call(app, "GET", "/nowhere")[0] == 404


def test_odd_json_gets_a_4xx_naming_the_field_never_a_500(db_url: str) -> None:
    """JSON that Python cannot take whole (a lone surrogate, a 5000-digit number, deep nesting, an instant
    before year 1 in UTC, products that are no objects): a 4xx with the field, or the usual answer."""
    app = make_app(db_url, {"crm": (SECRET, load_bundled_mapping("generic"))}, FixedClock(NOW), max_body=100_000)
    payload = json.loads(CREATED)
    cases = {
        "surrogate_type": b'{"type":"\\ud800","id":"X"}',  # an ignored event type was echoed: a 500
        "surrogate_customer": CREATED.replace(b'"customer"', b'"customer_x"').rstrip()[:-1]
        + b', "customer": "\\udc80"}',  # refused by the store with a traceback
        "digits": CREATED.rstrip()[:-1] + b', "extra": ' + b"1" * 5000 + b"}",  # an integer, not a string
        "nesting": b"[" * 20_000 + b"]" * 20_000,
        "instant": json.dumps({**payload, "occurred_at": "0001-01-01T00:00:00+14:00"}).encode(),
        "products": json.dumps({**payload, "products": [[1], None, "s", 5]}).encode(),
    }
    for name, body in cases.items():
        status, _, doc = call(app, "POST", "/webhooks/crm", signed(body, f"msg_{name}"), body)
        assert status == 400 and doc.get("errors"), (name, doc)
        assert name != "surrogate_customer" or doc["errors"][0]["field"] == "/customer"
    assert {e["field"] for e in doc["errors"]} >= {"products[0]", "products[3]"}
    assert counts(app) == (0, 0)
    app.close()


def test_product_lines_are_bounded_in_number_and_quantity(db_url: str) -> None:
    """Security audit: 17,000 product lines in one signed request were accepted (a 1.9 MB case body every later
    listing loads), and a quantity of 1e999999999, which `--product` refuses, was stored."""
    app = make_app(db_url, {"crm": (SECRET, load_bundled_mapping("generic"))}, FixedClock(NOW), max_body=400_000)
    payload = json.loads(CREATED)
    cases = {
        "many": {**payload, "products": [{"quantity": 1}] * 1001},
        "huge": {**payload, "products": [{"quantity": "1e999999999"}]},
        "above": {**payload, "products": [{"quantity": 10**12 + 1}]},
    }
    for name, doc in cases.items():
        body = json.dumps(doc).encode()
        status, _, answer = call(app, "POST", "/webhooks/crm", signed(body, f"msg_{name}"), body)
        assert status == 400 and answer["errors"][0]["field"].startswith("products"), (name, answer)
    assert counts(app) == (0, 0)
    fine = json.dumps({**payload, "products": [{"quantity": 10**12}] * 1000}).encode()
    status, _, answer = call(app, "POST", "/webhooks/crm", signed(fine, "msg_fine"), fine)
    assert status == 202, answer
    app.close()


def test_mapping_and_sources_files_nested_too_deeply_are_their_files_errors(tmp_path: Path) -> None:
    """Security audit: "unexpected RecursionError" instead of the file's error."""
    from adapters.webhooks.mapping import MappingFileError, loads_mapping

    deep = "x = " + "[" * 5000 + "]" * 5000 + "\n"
    with pytest.raises(MappingFileError, match="nested too deeply"):
        loads_mapping(deep, "deep.toml")
    sources = tmp_path / "sources.toml"
    sources.write_text(deep, encoding="utf-8")
    with pytest.raises(SourcesFileError, match="nested too deeply"):
        load_sources(sources)


_headers = st.dictionaries(
    st.sampled_from(["webhook-id", "webhook-timestamp", "webhook-signature", "content-type", "content-length", "x"]),
    st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=40),
    max_size=6,
)


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, dict[str, str], bytes, bool]:
    kind = draw(st.sampled_from(["example", "json", "bytes"]))
    if kind == "example":
        payload = json.loads(CREATED)
        for key in draw(st.lists(st.sampled_from(list(payload)), max_size=3)):
            payload[key] = draw(st.none() | st.integers() | st.text(max_size=20) | st.lists(st.integers(), max_size=2))
        body = json.dumps(payload, ensure_ascii=draw(st.booleans())).encode()
    elif kind == "json":
        body = json.dumps(
            draw(st.recursive(st.none() | st.text(max_size=10) | st.integers(), st.lists, max_leaves=8))
        ).encode()
    else:
        body = draw(st.binary(max_size=6000))
    sign = draw(st.booleans())
    headers = draw(_headers)
    msg_id = draw(
        st.text(st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="."), min_size=1, max_size=12)
    )
    if sign:
        skew = draw(st.sampled_from([0, 0, 250, -250, 400, -400]))
        headers.update(signed(body, msg_id, at=datetime.fromtimestamp(NOW.timestamp() + skew, UTC)))
        if draw(st.booleans()):
            headers["content-type"] = draw(st.sampled_from(["application/json; charset=utf-8", "text/json", ""]))
    path = draw(st.sampled_from(["/webhooks/crm", "/webhooks/crm", "/webhooks/x", "/webhooks/", "/"]))
    return path, headers, body, sign


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(request=requests(), chunk=st.sampled_from([0, 1000]))
def test_fuzz_only_2xx_4xx_and_nothing_written_unless_signed(
    app: WebhookApp, request: tuple[str, dict[str, str], bytes, bool], chunk: int
) -> None:
    path, headers, body, sign = request
    before = counts(app)
    status, _, doc = call(app, "POST", path, headers, body, chunk)
    assert 200 <= status < 500, (status, doc)
    event(f"status {status}")
    after = counts(app)
    if status in (401, 404, 405, 413, 415):
        assert after == before
    if not sign:
        assert status != 202 and after == before
    if after[0] > before[0]:
        assert status == 202 and "number" in doc and after[0] == before[0] + 1


def test_sources_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "mine.toml").write_text(bundled_mapping_text("generic"), encoding="utf-8")
    monkeypatch.setenv("CRM_SECRET", SECRET)
    file = tmp_path / "sources.toml"
    file.write_text(
        '[sources.crm]\nsecret_env = "CRM_SECRET"\nmapping = "mine.toml"\n'
        f'[sources.hub]\nsecrets = ["{SECRET}"]\nmapping = "hubspot-tickets"\n',
        encoding="utf-8",
    )
    sources = load_sources(file)
    assert sorted(sources) == ["crm", "hub"] and sources["crm"].mapping.name == "generic"
    assert SECRET not in repr(sources)
    file.write_text('[sources.crm]\nsecret = "whsec_short"\nmapping = "generic"\n', encoding="utf-8")
    with pytest.raises(SourcesFileError) as refused:
        load_sources(file)
    assert "whsec_short" not in str(refused.value)
    # webhook audit: secrets = [1, 2] was ignored (the error said only "needs secret"), and a source named "a/b"
    # loaded but could never be reached
    for text, words in (
        ('[sources.crm]\nsecrets = [1, 2]\nmapping = "generic"\n', "sources.crm.secrets: must be a list of texts"),
        (f'[sources."a/b"]\nsecret = "{SECRET}"\nmapping = "generic"\n', "a source name is 1-64 characters"),
        (f'[sources.{"n" * 65}]\nsecret = "{SECRET}"\nmapping = "generic"\n', "a source name is 1-64 characters"),
        (f'[sources."a\\u0000b"]\nsecret = "{SECRET}"\nmapping = "generic"\n', "a source name is 1-64 characters"),
    ):
        file.write_text(text, encoding="utf-8")
        with pytest.raises(SourcesFileError) as refused:
            load_sources(file)
        assert words in str(refused.value)
    file.write_text(f'[sources."crm.eu"]\nsecret = "{SECRET}"\nmapping = "generic"\n', encoding="utf-8")
    assert sorted(load_sources(file)) == ["crm.eu"]  # review: a name with a dot worked before and still does


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_through_uvicorn_on_loopback(db_url: str) -> None:
    app = make_app(db_url, {"crm": ([new_secret(), SECRET], load_bundled_mapping("generic"))}, SystemClock())
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        base = f"http://127.0.0.1:{port}"
        with httpx.Client() as client:
            assert client.get(f"{base}/healthz").status_code == 200
            headers = signed(CREATED, "msg_uv", at=datetime.now(UTC))
            first = client.post(f"{base}/webhooks/crm", content=CREATED, headers=headers)
            assert first.status_code == 202, first.text
            second = client.post(f"{base}/webhooks/crm", content=CREATED, headers=headers)
            assert second.json() == first.json()
            big = client.post(f"{base}/webhooks/crm", content=b" " * 300_000, headers=headers)
            assert big.status_code == 413
    finally:
        server.should_exit = True
        thread.join(10)
    assert counts(app)[0] == 1
    app.close()


@pytest.mark.parametrize("host", ["127.0.0.1", ""])
def test_complaint_serve_listens_and_a_port_in_use_is_a_usage_error(tmp_path: Path, host: str) -> None:
    """``complaint serve`` end to end: /healthz answers on the port it was given (``--host ''``: every interface),
    the log says where, and Ctrl-C stops it with exit 0. A port already taken, or a host that does not resolve,
    exited 3 ("not found", uvicorn's start-up failure) with uvicorn's log lines; now exit 2 naming the option. A
    database that cannot be used is the usual one line, exit 1, before any socket."""
    import os
    import signal
    import subprocess
    import sys

    src = str(Path(__file__).resolve().parents[3] / "src")
    env = {**os.environ, "PYTHONPATH": src}
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[sources.crm]\nsecrets = ["{SECRET}"]\nmapping = "generic"\n', encoding="utf-8")
    db = str(tmp_path / "c.db")
    command = [sys.executable, "-m", "entrypoints.cli.main", "--db", db]
    assert subprocess.run([*command, "init"], env=env, capture_output=True, timeout=60).returncode == 0
    port = free_port()
    serving = ["serve", "--sources", str(sources), "--port", str(port), "--host", host]
    server = subprocess.Popen([*command, *serving], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline, healthy = time.monotonic() + 30, False
        while not healthy and time.monotonic() < deadline and server.poll() is None:
            try:
                healthy = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
            except httpx.TransportError:
                time.sleep(0.1)
        assert healthy, server.stderr.read().decode() if server.poll() is not None else "no answer"
        taken = subprocess.run([*command, *serving], env=env, capture_output=True, text=True, timeout=60)
        assert taken.returncode == 2 and "--port" in taken.stderr and f":{port}" in taken.stderr, taken
        server.send_signal(signal.SIGINT)
        assert server.wait(20) == 0
        log = server.stderr.read().decode()
        assert "listening on http://" in log and (f"{host}:{port}" if host else f":{port}") in log, log
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(20)
    nowhere = subprocess.run([*command, "serve", "--sources", str(sources), "--host", "nowhere.invalid"], env=env,
                             capture_output=True, text=True, timeout=60)  # fmt: skip
    assert nowhere.returncode == 2 and "--host" in nowhere.stderr and "nowhere.invalid" in nowhere.stderr, nowhere
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database" * 100)
    bad = subprocess.run([sys.executable, "-m", "entrypoints.cli.main", "--db", str(garbage), *serving], env=env,
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert bad.returncode == 1 and "unexpected" not in bad.stderr and bad.stderr.count("\n") == 1, bad


def test_a_ticket_dated_outside_the_calendar_is_400_before_it_and_503_after_it(db_url: str) -> None:
    """Tickets dated 2003, 1970 or year 1 were stored (202) with clocks that no deadline could be computed for,
    where `case open --at` refuses them (webhook audit). Before the calendar's first day the ticket is wrong: 400
    naming received_at, kept as the answer. After its last day this server lacks next year's calendar: 503, not
    kept, so the CRM's retry succeeds once `calendar import` has run."""
    from adapters.sql import documents as docs

    in_2027 = datetime(2027, 1, 4, 2, 0, tzinfo=UTC)
    app = make_app(db_url, {"crm": (SECRET, load_bundled_mapping("generic"))}, FixedClock(in_2027))
    payload = json.loads(CREATED)
    try:
        for n, when in enumerate(["2003-06-01T10:00:00+08:00", 0, "0001-01-01T00:00:00+00:00", "0999-12-31"]):
            body = json.dumps({**payload, "id": f"OLD-{n}", "occurred_at": when}).encode()
            status, _, doc = call(app, "POST", "/webhooks/crm", signed(body, f"old-{n}", at=in_2027), body)
            assert status == 400 and doc["errors"][0]["field"] == "received_at", (when, doc)
        assert counts(app)[0] == 0

        body = json.dumps({**payload, "id": "NEW-1", "occurred_at": "2027-01-04T09:00:00+08:00"}).encode()
        status, headers, doc = call(app, "POST", "/webhooks/crm", signed(body, "new-1", at=in_2027), body)
        assert status == 503 and doc["rule"] == "CAL-COVERAGE" and headers[b"retry-after"] == b"3600"
        assert counts(app)[0] == 0
        calendar = 'name = "cn"\n[years.2027]\nholidays = ["2027-01-01"]\n'
        docs.store(app.app().database.engine, kind="calendar", name="cn", source=calendar, fmt="toml", at=in_2027)
        # the same running server: it reads the calendars again (review: it answered 503 until restarted)
        status, _, doc = call(app, "POST", "/webhooks/crm", signed(body, "new-1", at=in_2027), body)
        assert status == 202 and counts(app)[0] == 1
    finally:
        app.close()


def test_ids_longer_than_the_database_keeps_are_refused_naming_them(app: WebhookApp) -> None:
    """SQL audit: a 300-character external id was a 202 on SQLite and "the request could not be processed" (400,
    naming nothing) on PostgreSQL; a 300-character webhook-id likewise. Both are refused alike now."""
    payload = json.loads(CREATED)
    body = json.dumps({**payload, "id": "x" * 256}).encode()
    status, _, doc = call(app, "POST", "/webhooks/crm", signed(body, "long-external-id"), body)
    assert status == 400 and doc["errors"][0]["field"] == "external_id"
    body = json.dumps({**payload, "id": "x" * 255}).encode()
    assert call(app, "POST", "/webhooks/crm", signed(body, "x" * 256), body)[0] == 401
    assert call(app, "POST", "/webhooks/crm", signed(body, "x" * 255), body)[0] == 202
    body = json.dumps({**payload, "id": "NUL-1", "customer": {"name": "A\u0000B"}}).encode()
    status, _, doc = call(app, "POST", "/webhooks/crm", signed(body, "nul-customer"), body)
    assert status == 422 and doc["rule"] == "STORE-LIMIT" and "customer" in doc["error"]
    assert counts(app)[0] == 1


def test_the_id_bounds_are_the_columns(db_url: str) -> None:
    from adapters.webhooks.mapping import MAX_EXTERNAL_ID
    from adapters.webhooks.signing import MAX_ID_CHARS

    assert t.inbound_links.c.external_id.type.length == MAX_EXTERNAL_ID
    assert t.inbound_requests.c.webhook_id.type.length == MAX_ID_CHARS


def test_an_amount_in_parts_of_a_fen_or_too_large_is_a_400_naming_amount(app: WebhookApp) -> None:
    """webhook audit: "1.005" or "1e30" passed the mapping and the domain refused the intake: a 422 MONEY for
    `claimed_amount`, stored as the answer, so the CRM's corrected retry of the same webhook-id got it again."""
    payload = json.loads(CREATED)
    for n, amount in enumerate(("1.005", "1e30")):
        body = json.dumps({**payload, "id": f"AMT-{n}", "claimed_amount": amount}).encode()
        status, _, doc = call(app, "POST", "/webhooks/crm", signed(body, f"amount-{n}"), body)
        assert status == 400 and doc["errors"][0]["field"] == "amount", doc
    assert counts(app) == (0, 0)


def test_serve_without_the_server_extra_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Packaging audit: without uvicorn, ``complaint serve`` exited 1 as an unexpected ModuleNotFoundError."""
    import sys

    from entrypoints.cli.main import main

    monkeypatch.setitem(sys.modules, "uvicorn", None)  # an import of it fails, as when it is not installed
    with pytest.raises(SystemExit) as done:
        main(["--db", str(tmp_path / "c.db"), "serve", "--sources", str(tmp_path / "sources.toml")])
    err = capsys.readouterr().err
    assert done.value.code == 1 and "pip install 'complaint-core[server]'" in err and "unexpected" not in err
    assert len(err.strip().splitlines()) == 1
