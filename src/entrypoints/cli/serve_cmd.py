"""``complaint serve``: the inbound webhook server (``entrypoints.asgi``) under uvicorn."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Annotated

import typer

from .context import TYPER_OPTIONS, settings_of


def serve(
    ctx: typer.Context,
    sources: Annotated[
        Path, typer.Option("--sources", metavar="FILE", help="TOML file: [sources.NAME] secret and mapping.")
    ],
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")] = 8080,
    max_body: Annotated[int, typer.Option("--max-body", min=1024, help="Largest accepted body in bytes.")] = 256 * 1024,
) -> None:
    """Receive CRM webhooks on POST /webhooks/{source} (GET /healthz for probes)."""
    import uvicorn

    from entrypoints.asgi import SourcesFileError, load_sources, make_app

    try:
        loaded = load_sources(sources)
    except SourcesFileError as error:
        raise typer.BadParameter(str(error), param_hint="'--sources'") from None
    app = make_app(settings_of(ctx).db, loaded, max_body=max_body)
    listening = _listen(host, port)
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_level="info", server_header=False))
    try:
        server.run(sockets=[listening])
    except SystemExit as stopped:  # uvicorn's own exit code 3 on a failed start would read "not found" here
        if stopped.code not in (None, 0):
            raise RuntimeError("the webhook server failed to start; its log above says why") from None
    finally:
        listening.close()


def _listen(host: str, port: int) -> socket.socket:
    """The bound socket, made here so an unknown host or a port in use is the option's error (exit 2), not
    uvicorn's start-up failure."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError) as error:
        reason = error.strerror if isinstance(error, socket.gaierror) else str(error)
        raise typer.BadParameter(f"cannot resolve {host!r}: {reason}", param_hint="'--host'") from None
    listening = socket.socket(family, kind, proto)
    try:
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind(address)
    except OSError as error:
        listening.close()
        reason = error.strerror or type(error).__name__
        raise typer.BadParameter(f"cannot listen on {host}:{port}: {reason}", param_hint="'--port'") from None
    return listening


def build() -> typer.Typer:
    app = typer.Typer(name="serve", help=serve.__doc__, **{**TYPER_OPTIONS, "no_args_is_help": False})
    app.callback(invoke_without_command=True)(serve)
    return app
