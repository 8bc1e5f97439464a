"""``complaint serve``: the inbound webhook server (``entrypoints.asgi``) under uvicorn."""

from __future__ import annotations

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
    uvicorn.run(app, host=host, port=port, lifespan="on", log_level="info", server_header=False)


def build() -> typer.Typer:
    app = typer.Typer(name="serve", help=serve.__doc__, **{**TYPER_OPTIONS, "no_args_is_help": False})
    app.callback(invoke_without_command=True)(serve)
    return app
