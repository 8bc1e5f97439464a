"""Standard Webhooks signing: our stdlib code against the ``standardwebhooks`` package (test oracle only)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import UTC, datetime

import pytest
import standardwebhooks
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.webhooks.signing import (
    MAX_ID_CHARS,
    InvalidSecret,
    Signer,
    WebhookVerificationError,
    decode_secret,
    headers,
    new_secret,
    sign,
    verify,
)

BODY_ZH = '{"type":"case.closed","data":{"customer":"华东电子","note":"客户满意，结案"}}'.encode()
NOW = 1_793_582_100


def oracle_headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    # Pitfall (research §5): the oracle does ``timestamp.replace(tzinfo=utc)``, so it must get a UTC datetime;
    # an aware +08:00 datetime would be signed as a different (wrong) Unix time.
    when = datetime.fromtimestamp(timestamp, UTC)
    signature = standardwebhooks.Webhook(secret).sign(msg_id, when, body.decode())
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp), "webhook-signature": signature}


# --- interoperability ------------------------------------------------------------------------------------
# The oracle reads the wall clock (5 min tolerance), so these tests sign with the current time.


def test_oracle_accepts_our_signature_of_a_chinese_body() -> None:
    secret = new_secret()
    now = int(time.time())
    sent = headers("msg_2fQ0x7", now, BODY_ZH, [secret])
    assert standardwebhooks.Webhook(secret).verify(BODY_ZH, sent) == {
        "type": "case.closed",
        "data": {"customer": "华东电子", "note": "客户满意，结案"},
    }


def test_we_accept_the_oracle_signature_of_a_chinese_body() -> None:
    secret = new_secret()
    now = int(time.time())
    verify(oracle_headers(secret, "msg_2fQ0x7", now, BODY_ZH), BODY_ZH, [secret], now=now)


def test_signatures_are_identical_to_the_oracle() -> None:
    secret = new_secret()
    ours = sign("msg_1", NOW, BODY_ZH, [secret])
    theirs = oracle_headers(secret, "msg_1", NOW, BODY_ZH)["webhook-signature"]
    assert ours == theirs


def test_rotation_two_secrets_interoperate_both_ways() -> None:
    old, new = new_secret(), new_secret()
    now = int(time.time())
    sent = headers("msg_rot", now, BODY_ZH, [new, old])
    assert len(sent["webhook-signature"].split(" ")) == 2
    # a receiver that still has only the old secret, and one that already has only the new one
    standardwebhooks.Webhook(old).verify(BODY_ZH, sent)
    standardwebhooks.Webhook(new).verify(BODY_ZH, sent)
    # we hold both secrets; the oracle signed with either one
    for secret in (old, new):
        verify(oracle_headers(secret, "msg_rot", now, BODY_ZH), BODY_ZH, [new, old], now=now)
    # two oracle signatures in one header, we hold only the second secret
    both = oracle_headers(old, "msg_rot", now, BODY_ZH)
    both["webhook-signature"] += " " + oracle_headers(new, "msg_rot", now, BODY_ZH)["webhook-signature"]
    verify(both, BODY_ZH, [new], now=now)


def test_oracle_rejects_our_signature_of_a_tampered_body() -> None:
    secret = new_secret()
    now = int(time.time())
    sent = headers("msg_1", now, BODY_ZH, [secret])
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        standardwebhooks.Webhook(secret).verify(BODY_ZH + b" ", sent)


@settings(max_examples=50, deadline=None)
@given(body=st.text(max_size=300), msg_id=st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=40))
def test_oracle_round_trips_with_random_unicode_bodies(body: str, msg_id: str) -> None:
    secret = new_secret()
    now = int(time.time())
    data = body.encode()
    standardwebhooks.Webhook(secret).verify(data, headers(msg_id, now, data, [secret]), json_parse=False)
    verify(oracle_headers(secret, msg_id, now, data), data, [secret], now=now)


# --- our verification ------------------------------------------------------------------------------------


@pytest.fixture
def secret() -> str:
    return new_secret()


@pytest.fixture
def sent(secret: str) -> dict[str, str]:
    return headers("msg_1", NOW, BODY_ZH, [secret])


@pytest.mark.parametrize(
    ("field", "value"),
    [("webhook-id", "msg_2"), ("webhook-timestamp", str(NOW + 1))],
)
def test_tampered_id_or_timestamp_fails(secret: str, sent: dict[str, str], field: str, value: str) -> None:
    with pytest.raises(WebhookVerificationError, match="no matching signature"):
        verify({**sent, field: value}, BODY_ZH, [secret], now=NOW)


def test_tampered_body_fails(secret: str, sent: dict[str, str]) -> None:
    with pytest.raises(WebhookVerificationError, match="no matching signature"):
        verify(sent, BODY_ZH.replace("满意".encode(), "不满".encode()), [secret], now=NOW)


def test_wrong_secret_fails(sent: dict[str, str]) -> None:
    with pytest.raises(WebhookVerificationError):
        verify(sent, BODY_ZH, [new_secret()], now=NOW)


def test_tolerance_edges(secret: str, sent: dict[str, str]) -> None:
    verify(sent, BODY_ZH, [secret], now=NOW + 300)
    verify(sent, BODY_ZH, [secret], now=NOW - 300)
    with pytest.raises(WebhookVerificationError, match="in the past"):
        verify(sent, BODY_ZH, [secret], now=NOW + 301)
    with pytest.raises(WebhookVerificationError, match="in the future"):
        verify(sent, BODY_ZH, [secret], now=NOW - 301)
    verify(sent, BODY_ZH, [secret], now=NOW + 3000, tolerance=3600)


def test_headers_are_case_insensitive(secret: str, sent: dict[str, str]) -> None:
    verify({k.upper(): v for k, v in sent.items()}, BODY_ZH, [secret], now=NOW)
    verify(
        {"Webhook-Id": sent["webhook-id"], **{k: sent[k] for k in ("webhook-timestamp", "webhook-signature")}},
        BODY_ZH,
        [secret],
        now=NOW,
    )


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_header_fails(secret: str, sent: dict[str, str], missing: str) -> None:
    with pytest.raises(WebhookVerificationError, match=missing):
        verify({k: v for k, v in sent.items() if k != missing}, BODY_ZH, [secret], now=NOW)


@pytest.mark.parametrize("stamp", ["", "abc", "1793582100.0", "-1793582100", " 1793582100", "1e9", "１７９３"])
def test_malformed_timestamp_fails_cleanly(secret: str, sent: dict[str, str], stamp: str) -> None:
    with pytest.raises(WebhookVerificationError):
        verify({**sent, "webhook-timestamp": stamp}, BODY_ZH, [secret], now=NOW)


@pytest.mark.parametrize("junk", ["garbage", "v1", "v1,", "v1,!!!notbase64", "v2,AAAA", ",", "v1a,AAAA"])
def test_junk_signatures_are_skipped_not_crashing(secret: str, sent: dict[str, str], junk: str) -> None:
    # the oracle raises ValueError on "garbage" (no comma); we answer with a verification error
    with pytest.raises(WebhookVerificationError, match="no matching signature"):
        verify({**sent, "webhook-signature": junk}, BODY_ZH, [secret], now=NOW)
    # and junk next to a good signature does not hide it
    verify({**sent, "webhook-signature": f"{junk} {sent['webhook-signature']}"}, BODY_ZH, [secret], now=NOW)


@pytest.mark.parametrize("version", ["v1a", "v2", "V1"])
def test_only_v1_signatures_are_checked(secret: str, sent: dict[str, str], version: str) -> None:
    """The right MAC under another version label is not a v1 signature (an ed25519 ``v1a`` is not HMAC)."""
    mac = sent["webhook-signature"].removeprefix("v1,")
    with pytest.raises(WebhookVerificationError, match="no matching signature"):
        verify({**sent, "webhook-signature": f"{version},{mac}"}, BODY_ZH, [secret], now=NOW)


@pytest.mark.parametrize("junk", ["*", "!", "-", "=="])
def test_a_signature_is_strict_base64(secret: str, sent: dict[str, str], junk: str) -> None:
    """Characters outside base64 are not skipped: the right MAC with junk inside does not verify."""
    mac = sent["webhook-signature"].removeprefix("v1,")
    with pytest.raises(WebhookVerificationError, match="no matching signature"):
        verify({**sent, "webhook-signature": f"v1,{mac[:8]}{junk}{mac[8:]}"}, BODY_ZH, [secret], now=NOW)


@pytest.mark.parametrize("msg_id", ["msg.1", "msg 1", "msg\t1", "m" * 256])
def test_a_malformed_id_is_refused_before_any_signature_is_checked(secret: str, msg_id: str) -> None:
    """An id with "." could shift bytes between the id and the timestamp; one longer than the stored column
    could not be recorded as seen. Either is refused by name, even when its signature matches."""
    prefix = f"{msg_id}.{NOW}.".encode()
    mac = hmac.new(decode_secret(secret), prefix + BODY_ZH, hashlib.sha256).digest()
    sent = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(NOW),
        "webhook-signature": "v1," + base64.b64encode(mac).decode(),
    }
    with pytest.raises(WebhookVerificationError, match="malformed webhook-id"):
        verify(sent, BODY_ZH, [secret], now=NOW)


def test_an_id_of_the_longest_stored_length_verifies(secret: str) -> None:
    msg_id = "m" * MAX_ID_CHARS
    verify(headers(msg_id, NOW, BODY_ZH, [secret]), BODY_ZH, [secret], now=NOW)


def test_timestamps_have_at_most_twelve_digits(secret: str) -> None:
    latest = 10**12 - 1
    verify(headers("msg_1", latest, BODY_ZH, [secret]), BODY_ZH, [secret], now=latest)
    verify(headers("msg_1", 0, BODY_ZH, [secret]), BODY_ZH, [secret], now=0)
    with pytest.raises(ValueError, match="integer Unix seconds"):
        sign("msg_1", 10**12, BODY_ZH, [secret])


def test_any_of_several_secrets_verifies(secret: str, sent: dict[str, str]) -> None:
    verify(sent, BODY_ZH, [new_secret(), secret], now=NOW)


def test_messages_never_contain_a_secret(secret: str, sent: dict[str, str]) -> None:
    encoded = secret.removeprefix("whsec_")
    messages = []
    for bad_headers in (
        {},
        {**sent, "webhook-timestamp": "x"},
        {**sent, "webhook-timestamp": str(NOW - 10_000)},
        {**sent, "webhook-id": "other"},
    ):
        with pytest.raises(WebhookVerificationError) as caught:
            verify(bad_headers, BODY_ZH, [secret], now=NOW)
        messages.append(str(caught.value))
    for bad_secret in (secret[:-8] + "!!!!!!!!", "whsec_" + base64.b64encode(b"short").decode()):
        with pytest.raises(InvalidSecret) as invalid:
            decode_secret(bad_secret)
        messages.append(str(invalid.value))
        assert bad_secret.removeprefix("whsec_") not in str(invalid.value)
    assert messages
    for message in messages:
        assert encoded not in message and secret not in message and sent["webhook-signature"][3:] not in message
    assert encoded not in repr(Signer.from_secrets([secret]))


def test_secret_format() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert len(decode_secret(secret)) == 32
    assert decode_secret(secret) == decode_secret(secret.removeprefix("whsec_"))
    assert decode_secret(secret.rstrip("=")) == decode_secret(secret)  # unpadded base64 is accepted
    assert new_secret() != new_secret()
    with pytest.raises(ValueError):
        new_secret(16)


@pytest.mark.parametrize("nbytes", [24, 64])
def test_new_secrets_have_24_to_64_bytes(nbytes: int) -> None:
    assert len(decode_secret(new_secret(nbytes))) == nbytes


@pytest.mark.parametrize("nbytes", [23, 65])
def test_new_secret_refuses_other_sizes(nbytes: int) -> None:
    with pytest.raises(ValueError, match="24 to 64 bytes"):
        new_secret(nbytes)


@pytest.mark.parametrize(
    "keys",
    [(), (b"k" * 23,), ("k" * 32,), (b"k" * 32, b"short")],
    ids=["none", "short", "text", "one-short"],
)
def test_a_signer_refuses_missing_short_or_text_keys(keys: tuple[bytes, ...]) -> None:
    with pytest.raises(InvalidSecret):
        Signer(keys)


def test_a_signer_takes_keys_of_24_bytes() -> None:
    assert Signer((b"k" * 24, b"j" * 64)).sign("msg_1", NOW, b"{}").count("v1,") == 2


def test_sign_refuses_ambiguous_ids_and_non_integer_timestamps(secret: str) -> None:
    for bad_id in ("", "msg.1", "msg 1"):
        with pytest.raises(ValueError):
            sign(bad_id, NOW, b"{}", [secret])
    for bad_time in (datetime.now(UTC), 1.5, True, -1):
        with pytest.raises(ValueError):
            sign("msg_1", bad_time, b"{}", [secret])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        sign("msg_1", NOW, b"{}", secret)  # a bare string is not a list of secrets
    with pytest.raises(InvalidSecret):
        Signer.from_secrets([])


def test_signer_matches_the_functions(secret: str) -> None:
    signer = Signer.from_secrets([secret])
    assert signer.headers("msg_1", NOW, BODY_ZH) == headers("msg_1", NOW, BODY_ZH, [secret])
    signer.verify(signer.headers("msg_1", NOW, BODY_ZH), BODY_ZH, now=NOW)


def test_a_signer_decodes_its_keys_once(secret: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Signing costs one HMAC per key: no base64 decoding and no re-keying per message (speed is measured by
    ``bench/bench_webhooks.py``, not here)."""
    signer = Signer.from_secrets([secret])
    expected = signer.sign("msg_1", NOW, BODY_ZH)

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("a key was decoded or re-keyed while signing")

    monkeypatch.setattr(base64, "b64decode", forbidden)
    monkeypatch.setattr(hmac, "new", forbidden)
    assert signer.sign("msg_1", NOW, BODY_ZH) == expected
    assert signer.sign("msg_2", NOW, BODY_ZH) != expected


secret_text = st.binary(min_size=24, max_size=64).map(lambda b: "whsec_" + base64.b64encode(b).decode())
msg_ids = st.text(st.characters(categories=["L", "N", "Pd", "Pc"]), min_size=1, max_size=60)


@settings(max_examples=200, deadline=None)
@given(
    body=st.binary(max_size=2000),
    msg_id=msg_ids,
    keys=st.lists(secret_text, min_size=1, max_size=3),
    timestamp=st.integers(0, 10**12 - 1),
    skew=st.integers(-300, 300),
)
def test_round_trip_property(body: bytes, msg_id: str, keys: list[str], timestamp: int, skew: int) -> None:
    sent = headers(msg_id, timestamp, body, keys)
    for key in keys:  # a receiver holding any single one of the secrets accepts it
        verify(sent, body, [key], now=timestamp + skew)
    with pytest.raises(WebhookVerificationError):
        verify(sent, body + b"\x00", keys, now=timestamp)
