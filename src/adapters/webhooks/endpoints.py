"""Subscriber endpoints of outbound webhooks: registration, event filters and secret rotation (SQL tables).

An endpoint has a URL, a list of event-type globs (``case.*``, ``assessment.approved``; ``*`` or an
empty list means every event) and one or more secrets. Rotation adds a new secret and keeps the old
ones valid for a grace period; meanwhile every request carries one signature per valid secret.
Secrets are returned once, by ``add`` and ``rotate_secret``; listings never show them.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import attrs
from sqlalchemy import Connection, Engine, delete, insert, or_, select, update

from adapters.sql import tables as t
from adapters.sql.engine import reading

from .signing import Signer, new_secret

DEFAULT_GRACE = timedelta(hours=24)


class EndpointNotFound(LookupError):
    """No endpoint with this id."""


class InvalidEndpoint(ValueError):
    """A URL or event filter that cannot be used."""


@attrs.frozen(kw_only=True)
class Endpoint:
    id: int
    url: str
    description: str
    event_filters: tuple[str, ...]
    enabled: bool
    created_at: datetime
    disabled_reason: str | None
    breaker_failures: int = 0
    breaker_opened_at: datetime | None = None

    def accepts(self, event_type: str) -> bool:
        return matches(self.event_filters, event_type)


@attrs.frozen
class NewSecret:
    """The endpoint id and its new secret: show it once, it is not displayed again."""

    endpoint_id: int
    secret: str = attrs.field(repr=False)


def matches(filters: Sequence[str], event_type: str) -> bool:
    """Does ``event_type`` match any glob (case-sensitive)? No filters means every event."""
    return not filters or any(fnmatch.fnmatchcase(event_type, pattern) for pattern in filters)


def check_url(url: str) -> str:
    """An http(s) URL that can be delivered to: a host, a port in range, ASCII without spaces or control
    characters, no user name or password (each passed here and failed only at the first delivery, or never)."""
    try:
        parts = urlsplit(url)
    except ValueError as error:  # e.g. "Invalid IPv6 URL" for http://[::1/
        raise InvalidEndpoint(f"endpoint URL cannot be read ({error}): {url!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidEndpoint(f"endpoint URL must be http(s)://host/...: {url!r}")
    if any(c.isspace() or not c.isprintable() for c in url):
        raise InvalidEndpoint(f"endpoint URL holds a space or a control character: {url!r}")
    try:
        parts.port  # noqa: B018 - raises on a port out of range or not a number
    except ValueError:
        raise InvalidEndpoint(f"endpoint URL has a port that is not 1-65535: {url!r}") from None
    if parts.port == 0:
        raise InvalidEndpoint(f"endpoint URL has a port that is not 1-65535: {url!r}")
    if not url.isascii():
        raise InvalidEndpoint(
            f"endpoint URL must be ASCII (a request line cannot carry other characters): {url!r}; write the host "
            f"in IDNA form and percent-encode the path, e.g. {_ascii_form(url)!r}"
        )
    if parts.username is not None or parts.password is not None:
        raise InvalidEndpoint(
            f"endpoint URL holds a user name or password, which is never sent (requests are signed instead): "
            f"{redact_url(url)!r}"
        )
    return url


def redact_url(url: str) -> str:
    """The URL without user:password and without the query (it may carry a token)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    except ValueError:
        return "<unparseable url>"


def _ascii_form(url: str) -> str:
    """``url`` with its host in IDNA form and the rest percent-encoded, as a suggestion; the URL itself if that
    cannot be done."""
    from urllib.parse import quote

    parts = urlsplit(url)
    try:
        host = (parts.hostname or "").encode("idna").decode("ascii")
    except UnicodeError:
        return url
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    safe = "/%:@!$&'()*+,;=-._~"
    return urlunsplit((parts.scheme, netloc, quote(parts.path, safe=safe), quote(parts.query, safe=safe + "?"), ""))


def check_filters(filters: Sequence[str]) -> tuple[str, ...]:
    cleaned = tuple(f.strip() for f in filters)
    for pattern in cleaned:
        if not pattern or any(c.isspace() for c in pattern):
            raise InvalidEndpoint(f"event filter must be a non-empty glob without spaces: {pattern!r}")
    return cleaned


def endpoint_from_row(row: object) -> Endpoint:
    m = row._mapping  # type: ignore[attr-defined]
    return Endpoint(
        id=int(m["id"]),
        url=m["url"],
        description=m["description"] or "",
        event_filters=tuple(json.loads(m["event_filters"])),
        enabled=bool(m["enabled"]),
        created_at=m["created_at"],
        disabled_reason=m["disabled_reason"],
        breaker_failures=int(m["breaker_failures"] or 0),
        breaker_opened_at=m["breaker_opened_at"],
    )


def add_endpoint(
    engine: Engine, url: str, *, events: Sequence[str] = (), description: str = "", now: datetime
) -> tuple[Endpoint, NewSecret]:
    """Register an endpoint with a fresh secret; the secret is in the returned ``NewSecret`` only."""
    filters = check_filters(events)
    secret = new_secret()
    with engine.begin() as conn:
        endpoint_id = conn.execute(
            insert(t.webhook_endpoints)
            .values(
                url=check_url(url),
                description=description,
                event_filters=json.dumps(list(filters)),
                enabled=True,
                created_at=now,
                breaker_failures=0,
            )
            .returning(t.webhook_endpoints.c.id)
        ).scalar_one()
        conn.execute(insert(t.webhook_secrets).values(endpoint_id=endpoint_id, secret=secret, created_at=now))
        endpoint = _get(conn, int(endpoint_id))
    return endpoint, NewSecret(int(endpoint_id), secret)


def _get(conn: Connection, endpoint_id: int) -> Endpoint:
    row = conn.execute(select(t.webhook_endpoints).where(t.webhook_endpoints.c.id == endpoint_id)).first()
    if row is None:
        raise EndpointNotFound(f"no webhook endpoint with id {endpoint_id}")
    return endpoint_from_row(row)


def get_endpoint(engine: Engine, endpoint_id: int) -> Endpoint:
    with reading(engine) as conn:
        return _get(conn, endpoint_id)


def list_endpoints(engine: Engine) -> list[Endpoint]:
    with reading(engine) as conn:
        rows = conn.execute(select(t.webhook_endpoints).order_by(t.webhook_endpoints.c.id)).all()
    return [endpoint_from_row(r) for r in rows]


def remove_endpoint(engine: Engine, endpoint_id: int) -> None:
    """Delete the endpoint; its secrets, deliveries and attempts go with it (``ON DELETE CASCADE``)."""
    with engine.begin() as conn:
        _get(conn, endpoint_id)
        conn.execute(delete(t.webhook_endpoints).where(t.webhook_endpoints.c.id == endpoint_id))


def set_enabled(engine: Engine, endpoint_id: int, enabled: bool, *, reason: str | None = None) -> Endpoint:
    with engine.begin() as conn:
        _get(conn, endpoint_id)
        conn.execute(
            update(t.webhook_endpoints)
            .where(t.webhook_endpoints.c.id == endpoint_id)
            .values(
                enabled=enabled,
                disabled_reason=None if enabled else reason,
                breaker_failures=0,
                breaker_opened_at=None,
            )
        )
        return _get(conn, endpoint_id)


def rotate_secret(engine: Engine, endpoint_id: int, *, now: datetime, grace: timedelta = DEFAULT_GRACE) -> NewSecret:
    """Add a new secret; the valid old ones expire after ``grace`` (both sign meanwhile). ``grace=0`` drops them."""
    secret = new_secret()
    s = t.webhook_secrets.c
    with engine.begin() as conn:
        _get(conn, endpoint_id)
        conn.execute(
            update(t.webhook_secrets)
            .where(s.endpoint_id == endpoint_id, or_(s.expires_at.is_(None), s.expires_at > now + grace))
            .values(expires_at=now + grace)
        )
        conn.execute(insert(t.webhook_secrets).values(endpoint_id=endpoint_id, secret=secret, created_at=now))
    return NewSecret(endpoint_id, secret)


def valid_secrets(conn: Connection, endpoint_id: int, now: datetime) -> list[str]:
    """The secrets that sign at ``now``, newest first."""
    s = t.webhook_secrets.c
    rows = conn.execute(
        select(s.secret)
        .where(s.endpoint_id == endpoint_id, or_(s.expires_at.is_(None), s.expires_at > now))
        .order_by(s.created_at.desc(), s.id.desc())
    ).all()
    return [r.secret for r in rows]


def signer_for(conn: Connection, endpoint_id: int, now: datetime) -> Signer | None:
    secrets = valid_secrets(conn, endpoint_id, now)
    return Signer.from_secrets(secrets) if secrets else None
