"""``complaint webhook …``: outbound subscriber endpoints (docs/webhooks.md, "Outbound endpoints and relay").

``add`` and ``rotate-secret`` print the secret once; no other command shows it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from .context import area, settings_of
from .output import emit, table

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from adapters.webhooks.endpoints import Endpoint

MAX_ROW_ID = 2**63 - 1  # the largest id a database row can have
IdArg = Annotated[int, typer.Argument(metavar="ID", min=1, max=MAX_ROW_ID, help="Endpoint id (see `webhook list`).")]


def engine_for(ctx: typer.Context) -> Engine:
    """The engine on ``--db`` (created and migrated on first use); disposed of when the command ends."""
    from adapters.sql import open_database

    database = open_database(settings_of(ctx).db)
    ctx.call_on_close(database.dispose)
    return database.engine


def now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def not_found(error: LookupError) -> Exception:
    from complaint_core.errors import NotFound

    message = error.args[0] if len(error.args) == 1 and isinstance(error.args[0], str) else str(error)
    return NotFound(message)  # str() of a KeyError would add quotes


def endpoint_json(e: Endpoint) -> dict[str, Any]:
    return {
        "id": e.id,
        "url": e.url,
        "description": e.description,
        "events": list(e.event_filters),
        "enabled": e.enabled,
        "disabled_reason": e.disabled_reason,
        "created_at": e.created_at,
        "breaker": {"consecutive_failures": e.breaker_failures, "opened_at": e.breaker_opened_at},
    }


def _say(ctx: typer.Context, doc: Any, message: str) -> None:
    emit(settings_of(ctx), doc, lambda console: console.print(message, markup=False, highlight=False))


def add(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(metavar="URL", help="Where to POST, http(s)://…")],
    event: Annotated[
        list[str] | None,
        typer.Option("--event", metavar="PATTERN", help="Event-type glob, e.g. 'case.*' (repeatable; default all)."),
    ] = None,
    description: Annotated[str, typer.Option("--description", help="Free text.")] = "",
) -> None:
    """Register an endpoint and print its signing secret (shown only this once)."""
    from adapters.webhooks.endpoints import InvalidEndpoint, add_endpoint, check_filters, check_url

    try:
        check_url(url)
    except InvalidEndpoint as error:
        raise typer.BadParameter(str(error), param_hint="'URL'") from None
    try:
        check_filters(event or ())
    except InvalidEndpoint as error:
        raise typer.BadParameter(str(error), param_hint="'--event'") from None
    endpoint, new = add_endpoint(engine_for(ctx), url, events=event or (), description=description, now=now())
    doc = {**endpoint_json(endpoint), "secret": new.secret}
    _say(ctx, doc, f"endpoint {endpoint.id}: {endpoint.url}\nsecret (shown once, store it now):\n{new.secret}")


def list_(ctx: typer.Context) -> None:
    """The registered endpoints (never their secrets)."""
    from adapters.webhooks.endpoints import list_endpoints

    found = list_endpoints(engine_for(ctx))
    doc = {"endpoints": [endpoint_json(e) for e in found]}

    def human(console: Any) -> None:
        rows = [
            (
                e.id,
                e.url,
                ", ".join(e.event_filters) or "*",
                "yes" if e.enabled else f"no ({e.disabled_reason or 'disabled'})",
                e.breaker_failures,
                e.description,
            )
            for e in found
        ]
        console.print(table("Webhook endpoints", ["id", "url", "events", "enabled", "failures", "description"], rows))

    emit(settings_of(ctx), doc, human)


def remove(ctx: typer.Context, endpoint_id: IdArg) -> None:
    """Delete an endpoint with its secrets and delivery history."""
    from adapters.webhooks.endpoints import remove_endpoint

    try:
        remove_endpoint(engine_for(ctx), endpoint_id)
    except LookupError as error:
        raise not_found(error) from None
    _say(ctx, {"id": endpoint_id, "removed": True}, f"endpoint {endpoint_id} removed")


def enable(ctx: typer.Context, endpoint_id: IdArg) -> None:
    """Enable an endpoint again (e.g. after a 410 disabled it) and reset its circuit breaker."""
    from adapters.webhooks.endpoints import set_enabled

    try:
        endpoint = set_enabled(engine_for(ctx), endpoint_id, True)
    except LookupError as error:
        raise not_found(error) from None
    _say(ctx, endpoint_json(endpoint), f"endpoint {endpoint_id} enabled")


def rotate_secret(
    ctx: typer.Context,
    endpoint_id: IdArg,
    grace_hours: Annotated[
        float,
        typer.Option(
            "--grace-hours", min=0, max=24 * 366, help="How long the old secret keeps signing too (≤ a year)."
        ),
    ] = 24.0,
) -> None:
    """Add a new secret and print it once; the old one stays valid (both sign) for the grace period."""
    from datetime import timedelta

    from adapters.webhooks.endpoints import rotate_secret as rotate

    try:
        new = rotate(engine_for(ctx), endpoint_id, now=now(), grace=timedelta(hours=grace_hours))
    except LookupError as error:
        raise not_found(error) from None
    doc = {"id": endpoint_id, "secret": new.secret, "grace_hours": grace_hours}
    _say(ctx, doc, f"new secret for endpoint {endpoint_id} (shown once):\n{new.secret}")


def test(ctx: typer.Context, endpoint_id: IdArg) -> None:
    """Send one signed `webhook.test` message now; exit 7 unless the endpoint answers 2xx."""
    from adapters.clock import SystemClock
    from adapters.webhooks.relay import ping

    from .errors import DeliveryFailed

    try:
        response = ping(engine_for(ctx), endpoint_id, clock=SystemClock())
    except LookupError as error:
        raise not_found(error) from None
    if response.status is None or not 200 <= response.status <= 299:
        reason = response.error or f"HTTP {response.status}"
        raise DeliveryFailed(f"endpoint {endpoint_id} test failed: {reason}", status=response.status)
    _say(ctx, {"id": endpoint_id, "status": response.status}, f"endpoint {endpoint_id} answered {response.status}")


def build() -> typer.Typer:
    app = area("webhook", "Outbound webhook endpoints. | 出站 Webhook 端点。")
    app.command("add")(add)
    app.command("list")(list_)
    app.command("remove")(remove)
    app.command("enable")(enable)
    app.command("rotate-secret")(rotate_secret)
    app.command("test")(test)
    return app
