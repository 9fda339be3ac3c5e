"""`verticals serve`: the HTTP API under uvicorn (host, port and workers from settings unless given)."""

from __future__ import annotations

import typer


def serve(host: str = typer.Option(None, help="Address to listen on (default from settings: 127.0.0.1)."),
          port: int = typer.Option(None, help="Port (default from settings: 8500)."),
          workers: int = typer.Option(None, help="uvicorn worker processes (default from settings: 1)."),
          log_level: str = typer.Option("info", help="uvicorn log level.")) -> None:
    """Serve the API: /docs, /v1/..., /healthz, /readyz, /metrics and the chat page at /chat/WORKSPACE."""
    import uvicorn

    from shared.settings import get_settings

    settings = get_settings()
    host, port = host or settings.host, port or settings.api.port
    workers = workers or settings.api.workers
    typer.echo(f"API on http://{host}:{port} (docs at /docs)", err=True)
    uvicorn.run("shared.http.server:build", factory=True, host=host, port=port, workers=workers,
                log_level=log_level, timeout_graceful_shutdown=5)
