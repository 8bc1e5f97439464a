"""What an outbound endpoint may be: its URL, its event filters, and how a URL is shown (no database needed)."""

from __future__ import annotations

import re

import pytest

from adapters.webhooks.endpoints import InvalidEndpoint, _ascii_form, check_filters, check_url, matches, redact_url


@pytest.mark.parametrize(
    "url",
    [
        "https://crm.example.com:8443/hooks/complaints?tenant=7",
        "http://127.0.0.1:9000/x",
        "http://[::1]:8080/",
        "HTTPS://CRM.example.com/x",
        "http://a:1/",
        "http://a:65535/",
    ],
)
def test_a_deliverable_url_is_kept_as_written(url: str) -> None:
    assert check_url(url) == url


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("ftp://crm.example.com/", "must be http(s)://host/..."),
        ("crm.example.com/hooks", "must be http(s)://host/..."),
        ("http:///hooks", "must be http(s)://host/..."),
        ("http://[::1/", "cannot be read (Invalid IPv6 URL)"),
        ("http://crm.example.com/a b", "holds a space or a control character"),
        ("http://crm.example.com/\x7f", "holds a space or a control character"),
        ("http://crm.example.com/\u2028", "holds a space or a control character"),
        ("http://crm.example.com:99999/", "has a port that is not 1-65535"),
        ("http://crm.example.com:port/", "has a port that is not 1-65535"),
        ("http://crm.example.com:0/", "has a port that is not 1-65535"),
        ("http://例子.cn/", "must be ASCII"),
        ("http://crm.example.com/投诉", "must be ASCII"),
    ],
)
def test_an_undeliverable_url_is_refused_by_what_is_wrong(url: str, says: str) -> None:
    with pytest.raises(InvalidEndpoint, match=f"^endpoint URL {re.escape(says)}"):
        check_url(url)


@pytest.mark.parametrize("url", ["https://bot:s3cret@crm.example.com/h?token=t0k", "https://bot@crm.example.com/h"])
def test_credentials_in_a_url_are_refused_without_repeating_them(url: str) -> None:
    with pytest.raises(InvalidEndpoint, match="user name or password") as caught:
        check_url(url)
    assert "s3cret" not in str(caught.value) and "bot" not in str(caught.value) and "t0k" not in str(caught.value)
    assert "'https://crm.example.com/h'" in str(caught.value)


def test_a_non_ascii_url_is_answered_with_its_ascii_form() -> None:
    with pytest.raises(InvalidEndpoint) as caught:
        check_url("http://例子.cn:8080/路径?q=值")
    assert str(caught.value).endswith("e.g. 'http://xn--fsqu00a.cn:8080/%E8%B7%AF%E5%BE%84?q=%E5%80%BC'")


def test_the_ascii_form_keeps_what_is_already_safe_and_gives_up_on_an_impossible_host() -> None:
    assert _ascii_form("https://例子.cn/a-b_c.d~e/%20?x=1&y=(2)") == "https://xn--fsqu00a.cn/a-b_c.d~e/%20?x=1&y=(2)"
    assert _ascii_form("http://例子.cn/") == "http://xn--fsqu00a.cn/"  # no port: none added
    too_long = "http://" + "例" * 70 + ".cn/"  # a label over 63 characters has no IDNA form
    assert _ascii_form(too_long) == too_long


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://bot:pw@crm.example.com:8443/h?token=1#top", "https://crm.example.com:8443/h"),
        ("http://crm.example.com/h?token=1", "http://crm.example.com/h"),
        ("http://[::1/", "<unparseable url>"),
        ("http://crm.example.com:x/", "<unparseable url>"),
        ("/hooks?token=1", "/hooks"),  # no host: none made up
    ],
)
def test_a_url_is_shown_without_credentials_or_query(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_event_filters_are_trimmed_globs() -> None:
    assert check_filters([" case.* ", "assessment.approved"]) == ("case.*", "assessment.approved")
    assert check_filters([]) == ()
    for bad in ("", "  ", "case. closed", "case.\tclosed"):
        with pytest.raises(InvalidEndpoint, match="non-empty glob without spaces"):
            check_filters(["case.*", bad])


@pytest.mark.parametrize(
    ("filters", "event_type", "accepted"),
    [
        ((), "case.closed", True),
        (("*",), "assessment.approved", True),
        (("case.*",), "case.closed", True),
        (("case.*",), "assessment.approved", False),
        (("Case.*",), "case.closed", False),  # case-sensitive
        (("assessment.approved", "case.closed"), "case.closed", True),
        (("case.?losed",), "case.closed", True),
    ],
)
def test_an_endpoint_takes_the_events_its_filters_match(
    filters: tuple[str, ...], event_type: str, accepted: bool
) -> None:
    assert matches(filters, event_type) is accepted
