"""``complaint outbox …``: relay domain events to the webhook endpoints, inspect, replay and retry.

``relay --once`` exits 7 when a delivery died (its retries are exhausted) or an endpoint was disabled.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from .context import area, settings_of
from .output import emit, progress, table
from .webhook_cmd import MAX_ROW_ID, engine_for, not_found, now

RELAY_LABEL = "Delivering the outbox"  # the webhook/outbox output is in English (docs/cli.md)
MAX_BATCH = 10_000
MAX_SECONDS = 3_600.0

EndpointOption = Annotated[
    int | None, typer.Option("--endpoint", metavar="ID", min=1, max=MAX_ROW_ID, help="Only this endpoint.")
]
MessageArg = Annotated[str, typer.Argument(metavar="ID", help="Outbox sequence number or message id (msg_…).")]


def relay(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="One pass over what is due, then exit.")] = False,
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, max=64, help="Parallel requests.")] = 1,
    batch: Annotated[int, typer.Option("--batch", min=1, max=MAX_BATCH, help="Deliveries claimed per batch.")] = 100,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            min=0.1,
            max=MAX_SECONDS,
            help="Seconds an attempt may take after connecting: sending it and reading the whole answer.",
        ),
    ] = 15.0,
    poll: Annotated[float, typer.Option("--poll", min=0.05, max=MAX_SECONDS, help="Seconds to sleep when idle.")] = 1.0,
) -> None:
    """Deliver the outbox to every matching endpoint, with retries (Ctrl-C stops the loop)."""
    import random
    import threading

    from adapters.clock import SystemClock
    from adapters.webhooks.relay import Relay, RelayCounts

    from .errors import DeliveryFailed

    engine = engine_for(ctx)
    label = RELAY_LABEL
    with Relay(
        engine, clock=SystemClock(), rng=random.Random(), timeout=timeout, batch=batch, concurrency=concurrency
    ) as worker:
        if once:
            with progress(label) as bar:  # deliveries attempted so far: the total is not known in advance
                counts = worker.run_once(on_batch=lambda done: bar.update(done.attempted))
        else:
            stop = threading.Event()
            counts = RelayCounts()  # filled as batches are recorded: Ctrl-C prints what was done
            try:
                worker.run_forever(poll=poll, stop=stop, counts=counts)
            except KeyboardInterrupt:
                stop.set()
    doc = counts.as_dict()
    if once and (counts.dead or counts.disabled):
        raise DeliveryFailed(f"{counts.dead} delivery(ies) dead, {counts.disabled} endpoint(s) disabled: {doc}")
    message = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in doc.items())
    emit(settings_of(ctx), doc, lambda console: console.print(message, markup=False, highlight=False))


def list_(
    ctx: typer.Context,
    status: Annotated[
        str | None, typer.Option("--status", help="pending, delivered, dead or cancelled.", metavar="STATUS")
    ] = None,
    endpoint: EndpointOption = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=MAX_BATCH, help="At most this many (1-10000).")] = 100,
) -> None:
    """Deliveries, newest first."""
    from adapters.sql.tables import DELIVERY_STATUSES
    from adapters.webhooks.relay import list_deliveries

    if status is not None and status not in DELIVERY_STATUSES:
        raise typer.BadParameter(f"one of {', '.join(DELIVERY_STATUSES)}", param_hint="'--status'")
    found = list_deliveries(engine_for(ctx), status=status, endpoint_id=endpoint, limit=limit)

    def human(console: Any) -> None:
        columns = ["id", "outbox_seq", "message_id", "type", "endpoint_id", "status", "attempts", "last_status"]
        console.print(table("Deliveries", columns, [[d[c] for c in columns] for d in found]))

    emit(settings_of(ctx), {"deliveries": found}, human)


def show(ctx: typer.Context, message: MessageArg) -> None:
    """An outbox message, its payload, its deliveries and every attempt."""
    from adapters.webhooks.relay import show_message

    from .output import dumps

    try:
        doc = show_message(engine_for(ctx), message)
    except LookupError as error:
        raise not_found(error) from None
    emit(settings_of(ctx), doc, lambda console: console.print(dumps(doc), markup=False, highlight=False))


def replay(ctx: typer.Context, message: MessageArg, endpoint: EndpointOption = None) -> None:
    """Queue a message again (attempts from 1) for one endpoint or every matching one; the relay sends it."""
    from adapters.webhooks.relay import replay as requeue

    try:
        count = requeue(engine_for(ctx), message, now=now(), endpoint_id=endpoint)
    except LookupError as error:
        raise not_found(error) from None
    doc = {"message": message, "queued": count}
    emit(settings_of(ctx), doc, lambda console: console.print(f"{count} delivery(ies) queued", markup=False))


def retry_dead(ctx: typer.Context, endpoint: EndpointOption = None) -> None:
    """Put dead deliveries back on the retry schedule from attempt 1."""
    from adapters.webhooks.relay import retry_dead as requeue

    count = requeue(engine_for(ctx), now=now(), endpoint_id=endpoint)
    emit(settings_of(ctx), {"queued": count}, lambda console: console.print(f"{count} delivery(ies) queued"))


def build() -> typer.Typer:
    app = area("outbox", "Relay domain events to webhook endpoints. | 事件发件箱与投递。")
    app.command("relay")(relay)
    app.command("list")(list_)
    app.command("show")(show)
    app.command("replay")(replay)
    app.command("retry-dead")(retry_dead)
    return app
