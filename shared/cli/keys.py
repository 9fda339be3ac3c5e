"""`verticals keys create|list|revoke`: API keys for machine clients (shown once, stored hashed)."""

from __future__ import annotations

import typer

app = typer.Typer(help="API keys for the HTTP API: create (shown once), list, revoke.", no_args_is_help=True)


@app.command("create")
def create(name: str = typer.Argument(..., help="A short name; the key acts as `key:NAME` in the audit trail."),
           scopes: str = typer.Option(..., "--scopes", help="Comma-separated: bot.channel, bot.agent, recs, models, "
                                                            "monitor.read, monitor.write."),
           rate: int = typer.Option(600, "--rate", help="Requests per minute (per server process); 0 = unlimited."),
           db: str = typer.Option(None, "--db", help="Suite database URL (default: VERTICALS_SUITE_DB or "
                                                      "the home's suite.db).")) -> None:
    """Create a key and print it: it is shown this once and only its hash is kept."""
    from shared.http.keys import KeyStore

    token = KeyStore(db).create(name, scopes, rate_per_minute=rate)
    typer.echo(token)
    typer.echo(f"key {name!r} created; store it now, it cannot be shown again", err=True)


@app.command("list")
def list_keys(db: str = typer.Option(None, "--db", help="Suite database URL.")) -> None:
    """Every key: name, scopes, rate limit, created, revoked (never the key itself)."""
    from shared.http.keys import KeyStore

    keys = KeyStore(db).list()
    if not keys:
        typer.echo("no API keys; create one with `verticals keys create NAME --scopes ...`")
    for k in keys:
        state = f"revoked {k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "active"
        typer.echo(f"{k.name}\t{','.join(k.scopes)}\t{k.rate_per_minute}/min\t"
                   f"created {k.created_at:%Y-%m-%d %H:%M}\t{state}")


@app.command("revoke")
def revoke(name: str = typer.Argument(..., help="The key's name."),
           db: str = typer.Option(None, "--db", help="Suite database URL.")) -> None:
    """Revoke a key: requests with it are refused (401) from now on."""
    from shared.http.keys import KeyStore

    KeyStore(db).revoke(name)
    typer.echo(f"key {name!r} revoked")
