"""``complaint serve``: the inbound webhook server (``entrypoints.asgi``) under uvicorn."""

from __future__ import annotations

import logging
import socket
from pathlib import Path
from typing import Annotated, Any

import typer

from .context import settings_of, single


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
    try:
        import uvicorn
    except ImportError:
        from .errors import MissingExtra

        raise MissingExtra("complaint serve needs uvicorn: pip install 'complaint-core[server]'") from None

    from entrypoints.app import open_app
    from entrypoints.asgi import SourcesFileError, load_sources, make_app

    try:
        loaded = load_sources(sources)
    except SourcesFileError as error:
        raise typer.BadParameter(str(error), param_hint="'--sources'") from None
    db = settings_of(ctx).db
    open_app(db).close()  # a database that cannot be used is the usual one-line error, before any socket
    app = make_app(db, loaded, max_body=max_body)
    listening = _listen(host, port)
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_level="info", server_header=False))
    urls = ", ".join(_url(sock.getsockname()) for sock in listening)
    logging.getLogger("uvicorn.error").info("complaint serve: listening on %s (press Ctrl-C to stop)", urls)
    try:
        server.run(sockets=listening)
    except KeyboardInterrupt:  # uvicorn re-raises it after its graceful shutdown: a normal stop
        pass
    except SystemExit as stopped:  # uvicorn's own exit code 3 on a failed start would read "not found" here
        if stopped.code not in (None, 0):
            raise RuntimeError("the webhook server failed to start; its log above says why") from None
    finally:
        for sock in listening:
            sock.close()


def _listen(host: str, port: int) -> list[socket.socket]:
    """Sockets bound to every address ``host`` names (all interfaces for ``""``), as uvicorn would bind them, made
    here so an unknown host or a port in use is the option's error (exit 2), not uvicorn's start-up failure."""
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as error:
        reason = error.strerror if isinstance(error, socket.gaierror) else str(error)
        raise typer.BadParameter(f"cannot resolve {host!r}: {reason}", param_hint="'--host'") from None
    bound: list[socket.socket] = []
    seen: set[tuple[int, Any]] = set()
    for family, kind, proto, _, address in infos:
        if (family, address) in seen:
            continue
        seen.add((family, address))
        try:
            sock = socket.socket(family, kind, proto)
        except OSError:  # a family this machine does not have (no IPv6): skipped, as asyncio does
            continue
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:  # the IPv4 address is bound by its own socket
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
        except OSError as error:
            sock.close()
            for other in bound:
                other.close()
            reason = error.strerror or type(error).__name__
            where = _url(address).removeprefix("http://")
            raise typer.BadParameter(f"cannot listen on {where}: {reason}", param_hint="'--port'") from None
        bound.append(sock)
    if not bound:
        raise typer.BadParameter(f"no address of {host!r} can be listened on", param_hint="'--host'")
    return bound


def _url(address: Any) -> str:
    host, port = address[0], address[1]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def build() -> typer.Typer:
    return single("serve", serve.__doc__ or "", serve)
