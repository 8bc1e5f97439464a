"""The standard-library transport against raw HTTP/1.1 endpoints on 127.0.0.1: what it sends, which answer it
takes, and when it keeps, replaces or closes a connection."""

from __future__ import annotations

import socket

import pytest
from whkit import OK, Scripted

from adapters.webhooks.relay import MAX_ERROR_CHARS, MAX_RESPONSE_BYTES, USER_AGENT, StdlibTransport, _error_text

NO_CONTENT = b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n"


class Redirected(StdlibTransport):
    """Connects every URL to one local endpoint and records the (scheme, host, port) it was asked for, so the
    request's ``host`` header can be checked for any URL."""

    def __init__(self, port: int) -> None:
        super().__init__(timeout=3, connect=1)
        self.port = port
        self.opened: list[tuple[str, str, int]] = []

    def _open(self, scheme: str, host: str, port: int) -> socket.socket:
        self.opened.append((scheme, host, port))
        return super()._open("http", "127.0.0.1", self.port)


def post_all(endpoint: Scripted, count: int, url: str | None = None) -> list[tuple[int | None, str | None]]:
    transport = StdlibTransport(timeout=3, connect=1)
    try:
        return [(r.status, r.error) for r in (transport.post(url or endpoint.url, b"{}", {}) for _ in range(count))]
    finally:
        transport.close()
        endpoint.stop()


# ----- the request -------------------------------------------------------------------------------------------------
def test_the_request_carries_the_path_the_query_the_headers_and_the_body_in_one_piece() -> None:
    endpoint = Scripted([NO_CONTENT])
    transport = StdlibTransport(timeout=3, connect=1)
    try:
        body = '{"客户":"张三"}'.encode()
        response = transport.post(endpoint.url + "?a=1&b=2", body, {"webhook-id": "msg_1"})
    finally:
        transport.close()
        endpoint.stop()
    assert response.status == 204
    (request,) = endpoint.requests
    head, _, sent = request.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0] == "POST /hook?a=1&b=2 HTTP/1.1"
    assert lines[1] == f"host: 127.0.0.1:{endpoint.port}"
    assert set(lines[2:]) == {
        "webhook-id: msg_1",
        "content-type: application/json",
        f"user-agent: {USER_AGENT}",
        f"content-length: {len(body)}",
    }
    assert sent == body


@pytest.mark.parametrize(
    ("url", "opened", "start", "host"),
    [
        ("http://hooks.example/in", ("http", "hooks.example", 80), "POST /in HTTP/1.1", "hooks.example"),
        ("https://hooks.example", ("https", "hooks.example", 443), "POST / HTTP/1.1", "hooks.example"),
        ("http://hooks.example:8080/", ("http", "hooks.example", 8080), "POST / HTTP/1.1", "hooks.example:8080"),
        ("https://hooks.example:80/x", ("https", "hooks.example", 80), "POST /x HTTP/1.1", "hooks.example:80"),
        ("http://hooks.example:443/x", ("http", "hooks.example", 443), "POST /x HTTP/1.1", "hooks.example:443"),
        ("http://[2001:db8::1]/x?q", ("http", "2001:db8::1", 80), "POST /x?q HTTP/1.1", "[2001:db8::1]"),
        ("https://[2001:db8::1]:8443/", ("https", "2001:db8::1", 8443), "POST / HTTP/1.1", "[2001:db8::1]:8443"),
    ],
)
def test_the_host_header_names_the_port_only_when_it_is_not_the_scheme_s_default(
    url: str, opened: tuple[str, str, int], start: str, host: str
) -> None:
    endpoint = Scripted([OK])
    transport = Redirected(endpoint.port)
    try:
        assert transport.post(url, b"{}", {}).status == 200
    finally:
        transport.close()
        endpoint.stop()
    assert transport.opened == [opened]
    lines = endpoint.requests[0].decode("latin-1").split("\r\n")
    assert lines[:2] == [start, f"host: {host}"]


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("ftp://127.0.0.1/x", "not an http(s) URL"),
        ("mailto:ops@example.com", "not an http(s) URL"),
        ("http:///x", "not an http(s) URL"),
        ("http://[::1/x", "ValueError: Invalid IPv6 URL"),
        ("http://127.0.0.1:99999/x", "ValueError: Port out of range 0-65535"),
    ],
)
def test_a_url_the_transport_cannot_post_to_is_an_error_and_opens_nothing(url: str, error: str) -> None:
    transport = Redirected(1)
    try:
        response = transport.post(url, b"{}", {})
    finally:
        transport.close()
    assert (response.status, response.error) == (None, error)
    assert transport.opened == []


def test_a_header_outside_latin_1_is_an_error_and_opens_nothing() -> None:
    transport = Redirected(1)
    try:
        response = transport.post("http://hooks.example/x", b"{}", {"x-name": "张三"})
    finally:
        transport.close()
    assert response.status is None and (response.error or "").startswith("UnicodeEncodeError: ")
    assert transport.opened == []


# ----- which answer ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("first", "status"),
    [
        (b"HTTP/1.1 100 Continue\r\n\r\n", 204),
        (b"HTTP/1.1 102 Processing\r\n\r\n", 204),
        (b"HTTP/1.1 199 Whatever\r\n\r\n", 204),  # the top of the interim range
        (b"HTTP/1.1 101 Switching Protocols\r\nupgrade: h2c\r\n\r\n", 101),  # final, and not asked for
    ],
)
def test_interim_answers_are_skipped_but_a_101_is_the_answer(first: bytes, status: int) -> None:
    endpoint = Scripted([first + NO_CONTENT])
    assert post_all(endpoint, 1) == [(status, None)]


def test_a_101_s_connection_is_closed_and_not_used_again() -> None:
    """What follows a 101 on its connection is no HTTP answer to us: the next message gets its own connection."""
    endpoint = Scripted([b"HTTP/1.1 101 Switching Protocols\r\n\r\n" + OK, NO_CONTENT])
    assert post_all(endpoint, 2) == [(101, None), (204, None)]
    assert endpoint.connections == 2


# ----- keeping, replacing and closing connections ----------------------------------------------------------------
def test_a_kept_alive_connection_carries_the_next_message() -> None:
    endpoint = Scripted([OK, NO_CONTENT, OK])
    assert post_all(endpoint, 3) == [(200, None), (204, None), (200, None)]
    assert endpoint.connections == 1


def test_an_answer_saying_connection_close_is_the_connection_s_last() -> None:
    """The endpoint here keeps the connection open anyway; the transport must not send on it again."""
    endpoint = Scripted([b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 0\r\n\r\n", NO_CONTENT])
    transport = StdlibTransport(timeout=3, connect=1)
    try:
        assert transport.post(endpoint.url, b"{}", {}).status == 200
        assert endpoint.client_closed_a_connection()
        assert transport.post(endpoint.url, b"{}", {}).status == 204
    finally:
        transport.close()
        endpoint.stop()
    assert endpoint.connections == 2


def test_an_answer_too_long_to_read_closes_its_connection() -> None:
    """Only the first 64 KiB of an answer are read: the rest must not be taken for the next message's answer."""
    big = MAX_RESPONSE_BYTES + 1000
    endpoint = Scripted([b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % big + b"x" * big, NO_CONTENT])
    assert post_all(endpoint, 2) == [(200, None), (204, None)]
    assert endpoint.connections == 2


def test_a_kept_alive_connection_the_endpoint_closed_is_replaced_once() -> None:
    endpoint = Scripted([OK, NO_CONTENT], hang_up=[0])
    assert post_all(endpoint, 2) == [(200, None), (204, None)]
    assert endpoint.connections == 2
    assert len(endpoint.requests) == 2  # the message that met the closed connection was not received twice


def test_a_fresh_connection_closed_without_an_answer_is_an_error_not_a_retry() -> None:
    endpoint = Scripted([None])
    ((status, error),) = post_all(endpoint, 1)
    assert status is None and (error or "").startswith("RemoteDisconnected: ")
    assert endpoint.connections == 1


class Recording(StdlibTransport):
    """Keeps every socket it opens, to see which it closed."""

    def __init__(self) -> None:
        super().__init__(timeout=3, connect=1)
        self.sockets: list[socket.socket] = []

    def _open(self, scheme: str, host: str, port: int) -> socket.socket:
        sock = super()._open(scheme, host, port)
        self.sockets.append(sock)
        return sock


@pytest.mark.parametrize("answer", [None, b"HTTP/1.1 2\x0000 OK\r\n\r\n"], ids=["hang-up", "malformed"])
def test_a_connection_that_failed_is_closed_on_our_side_at_once(answer: bytes | None) -> None:
    endpoint = Scripted([answer])
    transport = Recording()
    try:
        assert transport.post(endpoint.url, b"{}", {}).status is None
        assert [sock.fileno() for sock in transport.sockets] == [-1]
    finally:
        transport.close()
        endpoint.stop()


class ResetOnConnect(StdlibTransport):
    def _open(self, scheme: str, host: str, port: int) -> socket.socket:
        raise ConnectionResetError("reset while connecting")


def test_a_connection_reset_while_connecting_is_an_error() -> None:
    transport = ResetOnConnect(timeout=3, connect=1)
    try:
        response = transport.post("http://hooks.example/x", b"{}", {})
    finally:
        transport.close()
    assert (response.status, response.error) == (None, "ConnectionResetError: reset while connecting")


def test_a_second_hang_up_after_the_fresh_try_is_an_error() -> None:
    endpoint = Scripted([OK, None], hang_up=[0])
    (first, (status, error)) = post_all(endpoint, 2)
    assert first == (200, None) and status is None and "RemoteDisconnected" in (error or "")
    assert endpoint.connections == 2


def test_a_malformed_answer_closes_its_connection_and_the_next_message_gets_a_new_one() -> None:
    endpoint = Scripted([b"HTTP/1.1 2\x0000 OK\r\ncontent-length: 0\r\n\r\n", NO_CONTENT])
    transport = StdlibTransport(timeout=3, connect=1)
    try:
        first = transport.post(endpoint.url, b"{}", {})
        assert endpoint.client_closed_a_connection()
        second = transport.post(endpoint.url, b"{}", {})
    finally:
        transport.close()
        endpoint.stop()
    assert first.status is None and (first.error or "").startswith("BadStatusLine: ")
    assert "\\x00" in (first.error or "") and "\x00" not in (first.error or "")
    assert (second.status, second.error) == (204, None)
    assert endpoint.connections == 2


# ----- past the deadline -------------------------------------------------------------------------------------------
class Expired(StdlibTransport):
    """A transport whose every request is found past its deadline when it ends, as if the deadline thread had shut
    the socket down just then."""

    def __init__(self, timeout: float = 3) -> None:
        super().__init__(timeout=timeout, connect=1)
        self._deadlines.done = lambda token: True  # type: ignore[method-assign]


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (OK, "TimeoutError: timed out: no complete answer within 3 s"),  # it came, but too late
        (None, "TimeoutError: timed out: no answer within 3 s"),  # the shut-down socket reads as a hang-up
        (b"HTTP/1.1 2\x0000 OK\r\n\r\n", "TimeoutError: timed out: no complete answer within 3 s"),  # a cut answer
    ],
)
def test_an_answer_past_the_deadline_is_a_timeout(answer: bytes | None, error: str) -> None:
    endpoint = Scripted([answer])
    transport = Expired()
    try:
        response = transport.post(endpoint.url, b"{}", {})
        assert answer is None or endpoint.client_closed_a_connection()
    finally:
        transport.close()
        endpoint.stop()
    assert (response.status, response.error) == (None, error)


def test_a_socket_timeout_keeps_its_own_words() -> None:
    """A read that timed out says so already; only other errors past the deadline are reworded as timeouts."""
    endpoint = Scripted([b""])  # reads the request and never answers
    transport = Expired(timeout=0.2)
    try:
        response = transport.post(endpoint.url, b"{}", {})
    finally:
        transport.close()
        endpoint.stop()
    assert (response.status, response.error) == (None, "TimeoutError: timed out")


def test_a_refused_connection_is_an_error_not_a_timeout() -> None:
    """No socket was watched, so no deadline decides the message."""
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
    transport = Expired()
    try:
        response = transport.post(f"http://127.0.0.1:{port}/hook", b"{}", {})
    finally:
        transport.close()
    assert response.status is None and (response.error or "").startswith("ConnectionRefusedError: ")


# ----- the recorded error ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("message", "text"),
    [
        ("bad \x00 line\r\n", "ValueError: bad \\x00 line"),  # trailing whitespace stripped, then escaped
        ("tab\there", "ValueError: tab\\x09here"),
        ("\x7f\xa0\xad", "ValueError: \\x7f\\xa0\\xad"),  # not printable, under 256: escaped by code
        ("ā", "ValueError: ā"),  # printable from 256 on: kept
        ("\u2028\u0100", "ValueError: \ufffd\u0100"),  # not printable from 256 on: replaced
        ("投诉 “quoted”", "ValueError: 投诉 “quoted”"),
    ],
)
def test_an_error_is_recorded_as_one_printable_line(message: str, text: str) -> None:
    assert _error_text(ValueError(message)) == text


def test_an_error_is_cut_to_its_limit() -> None:
    text = _error_text(ValueError("x" * 1000))
    assert len(text) == MAX_ERROR_CHARS and text.startswith("ValueError: xxx")
