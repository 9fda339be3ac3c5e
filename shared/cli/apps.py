"""`verticals apps`: what is registered under the `verticals.apps` entry points, and what failed to load.

The first thing to run after installing a new app: it shows the port each page gets and each background
service `verticals up` will start.
"""

from __future__ import annotations

import typer

from shared.apps import registered_apps


def apps() -> None:
    """List the registered apps (name, page, port, services) and any that failed to load."""
    from shared.settings import get_settings

    settings = get_settings()
    found, failures = registered_apps()
    for spec in found:
        services = ", ".join(f"{s.name} (verticals {' '.join(s.command)})" for s in spec.services) or "-"
        typer.echo(f"{spec.name:<10} {spec.label:<28} port {settings.port(spec):<6} page {spec.page:<24} "
                   f"services {services}")
    for failure in failures:
        typer.secho(f"{failure.name:<10} FAILED: {failure.error} ({failure.source})", fg="red")
    if failures:
        raise typer.Exit(1)
