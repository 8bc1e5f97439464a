"""Standard Webhooks signatures (HMAC-SHA256, ``v1,``) with the standard library only.

Why our own code: the ``standardwebhooks`` package reads the wall clock, hard-codes its tolerance,
treats aware datetimes as UTC wall time and raises ``ValueError`` on a malformed signature header.
Here time is an argument, every rejection is a ``WebhookVerificationError`` and signing one body
under several secrets (rotation) is a single call. The package is only a test oracle.

Signed content: ``f"{msg_id}.{timestamp}.".encode() + body``; the signature header is a
space-separated list of ``v1,<base64 of the MAC>``, one per secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets as _secrets
from collections.abc import Mapping, Sequence

import attrs

SECRET_PREFIX = "whsec_"
MIN_SECRET_BYTES = 24  # the Standard Webhooks spec asks for 24 to 64 random bytes
DEFAULT_SECRET_BYTES = 32
DEFAULT_TOLERANCE = 300  # seconds, either side of ``now``

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"

_TIMESTAMP = re.compile(r"[0-9]{1,12}")
# The id is the first part of the signed content: a "." in it would let "a.1" + ts 23 sign the same bytes as
# "a" + ts 1 with a body starting "23.". Whitespace would break the header.
_BAD_ID = re.compile(r"[.\s]")
MAX_ID_CHARS = 255  # the length of inbound_requests.webhook_id


class WebhookVerificationError(Exception):
    """A request that must be refused (answer 400/401). The message never contains a secret or a signature."""


class InvalidSecret(ValueError):
    """A secret that is not ``whsec_<base64>`` of at least 24 bytes. The message never repeats the secret."""


def new_secret(nbytes: int = DEFAULT_SECRET_BYTES) -> str:
    """A fresh endpoint secret, ``whsec_`` + base64 of ``nbytes`` random bytes (24..64 per the spec)."""
    if not MIN_SECRET_BYTES <= nbytes <= 64:
        raise ValueError(f"a secret has 24 to 64 bytes, not {nbytes}")
    return SECRET_PREFIX + base64.b64encode(_secrets.token_bytes(nbytes)).decode("ascii")


def decode_secret(secret: str) -> bytes:
    """The HMAC key inside a ``whsec_`` secret. The prefix is optional (as in other libraries); base64 is strict."""
    text = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidSecret("webhook secret is not valid base64 after the whsec_ prefix") from None
    if len(key) < MIN_SECRET_BYTES:
        raise InvalidSecret(f"webhook secret has {len(key)} bytes; at least {MIN_SECRET_BYTES} are required")
    return key


def _check_id(msg_id: str) -> None:
    if not msg_id or _BAD_ID.search(msg_id):
        raise ValueError("webhook id must be non-empty, without '.' or whitespace")


def _check_timestamp(timestamp: int) -> None:
    if isinstance(timestamp, bool) or not isinstance(timestamp, int) or not 0 <= timestamp < 10**12:
        raise ValueError(f"webhook timestamp must be integer Unix seconds, got {timestamp!r}")


@attrs.frozen
class Signer:
    """Decoded keys, kept so that signing a 1 kB body costs one HMAC per key and no base64 decoding.

    The first key is the current one; the others are being rotated out (or in). Every key signs, and a
    request verifies when any key matches any of its signatures.
    """

    keys: tuple[bytes, ...] = attrs.field(repr=False)
    # Keyed HMAC states, only ever copied: saves re-keying (two SHA-256 blocks) on every message.
    _keyed: tuple[hmac.HMAC, ...] = attrs.field(init=False, repr=False, eq=False)

    @keys.validator
    def _check_keys(self, _: attrs.Attribute[tuple[bytes, ...]], keys: tuple[bytes, ...]) -> None:
        if not keys:
            raise InvalidSecret("at least one webhook secret is required")
        if any(not isinstance(k, bytes) or len(k) < MIN_SECRET_BYTES for k in keys):
            raise InvalidSecret(f"every webhook key needs at least {MIN_SECRET_BYTES} bytes")

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_keyed", tuple(hmac.new(key, digestmod=hashlib.sha256) for key in self.keys))

    @classmethod
    def from_secrets(cls, secrets: Sequence[str]) -> Signer:
        """Decode ``whsec_`` secrets once; a bare string is refused (it would be split into characters)."""
        if isinstance(secrets, str):
            raise TypeError("pass a sequence of secrets, e.g. [secret], not a single string")
        return cls(tuple(decode_secret(s) for s in secrets))

    def _macs(self, msg_id: str, timestamp: int, body: bytes) -> list[bytes]:
        prefix = f"{msg_id}.{timestamp}.".encode()
        macs = []
        for keyed in self._keyed:
            mac = keyed.copy()
            mac.update(prefix)
            mac.update(body)
            macs.append(mac.digest())
        return macs

    def sign(self, msg_id: str, timestamp: int, body: bytes) -> str:
        """The ``webhook-signature`` value: ``v1,<b64>`` per key, space-separated."""
        _check_id(msg_id)
        _check_timestamp(timestamp)
        return " ".join(
            "v1," + binascii.b2a_base64(mac, newline=False).decode("ascii")
            for mac in self._macs(msg_id, timestamp, body)
        )

    def headers(self, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
        """The three Standard Webhooks headers for one attempt (the id stays the same across retries)."""
        return {
            ID_HEADER: msg_id,
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: self.sign(msg_id, timestamp, body),
        }

    def verify(self, headers: Mapping[str, str], body: bytes, *, now: int, tolerance: int = DEFAULT_TOLERANCE) -> None:
        """Return when a signature over the exact ``body`` matches; otherwise raise ``WebhookVerificationError``."""
        lowered = {k.lower(): v for k, v in headers.items()}
        missing = [h for h in (ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER) if not lowered.get(h)]
        if missing:
            raise WebhookVerificationError(f"missing header(s): {', '.join(missing)}")
        msg_id, stamp, signatures = lowered[ID_HEADER], lowered[TIMESTAMP_HEADER], lowered[SIGNATURE_HEADER]
        if _BAD_ID.search(msg_id) or len(msg_id) > MAX_ID_CHARS:
            raise WebhookVerificationError(f"malformed webhook-id: at most {MAX_ID_CHARS} characters, no '.' or spaces")
        if not _TIMESTAMP.fullmatch(stamp):
            raise WebhookVerificationError("malformed webhook-timestamp: expected integer Unix seconds")
        timestamp = int(stamp)
        if timestamp < now - tolerance:
            raise WebhookVerificationError(f"webhook-timestamp is more than {tolerance} s in the past")
        if timestamp > now + tolerance:
            raise WebhookVerificationError(f"webhook-timestamp is more than {tolerance} s in the future")
        expected = self._macs(msg_id, timestamp, body)
        for candidate in signatures.split():
            version, comma, encoded = candidate.partition(",")
            if version != "v1" or not comma:
                continue  # v1a (ed25519) or junk: not ours to check, and never a crash
            try:
                given = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                continue
            if any(hmac.compare_digest(given, mac) for mac in expected):
                return
        raise WebhookVerificationError("no matching signature")


def sign(msg_id: str, timestamp: int, body: bytes, secrets: Sequence[str]) -> str:
    """One-off ``webhook-signature`` value; keep a ``Signer`` when signing many messages."""
    return Signer.from_secrets(secrets).sign(msg_id, timestamp, body)


def headers(msg_id: str, timestamp: int, body: bytes, secrets: Sequence[str]) -> dict[str, str]:
    """One-off ``webhook-id``/``webhook-timestamp``/``webhook-signature`` headers."""
    return Signer.from_secrets(secrets).headers(msg_id, timestamp, body)


def verify(
    headers: Mapping[str, str],
    body: bytes,
    secrets: Sequence[str],
    *,
    now: int,
    tolerance: int = DEFAULT_TOLERANCE,
) -> None:
    """Raise ``WebhookVerificationError`` unless ``headers`` carry a fresh signature of ``body`` by one of ``secrets``."""
    Signer.from_secrets(secrets).verify(headers, body, now=now, tolerance=tolerance)
