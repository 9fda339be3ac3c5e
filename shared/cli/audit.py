"""`verticals audit`: the audit trail of the suite database and of every registered app's store."""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta, timezone

import typer

from shared.errors import ConfigError


def parse_since(value: str | None, now: datetime) -> datetime | None:
    """`7d`, `12h`, `30m`, or an ISO date/time (UTC when it names no zone)."""
    if not value:
        return None
    m = re.fullmatch(r"(\d+)([dhm])", value.strip())
    if m:
        n, unit = int(m.group(1)), m.group(2)
        return now - timedelta(**{{"d": "days", "h": "hours", "m": "minutes"}[unit]: n})
    try:
        at = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ConfigError(f"--since {value!r}: give an ISO date (2026-12-01, 2026-12-01T08:00) or 7d / 12h / 30m.")
    return at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at


def audit_sources() -> dict[str, str]:
    """Store name → database URL: `suite`, then each registered app by its CLI name (whose trail is the
    table `audit_log_<name>`, see shared/audit.py). A SQLite file not there yet is left out: reading must
    not create stores."""
    from shared.apps import registered_apps
    from shared.auth.users import suite_url
    from shared.paths import verticals_home

    candidates = {"suite": suite_url()}
    for spec in registered_apps().apps:
        if spec.db_env or spec.db_file:
            env = os.environ.get(spec.db_env or "")
            candidates[spec.name] = env or f"sqlite:///{verticals_home() / (spec.db_file or '')}"
    return {name: url for name, url in candidates.items()
            if not url.startswith("sqlite:///") or os.path.exists(url.removeprefix("sqlite:///"))}


def audit(app: str = typer.Option(None, "--app", help="Only this store: suite, or an app's CLI name (bot, monitor, rec)."),
          since: str = typer.Option(None, "--since", help="From this time: ISO date/time, or 7d, 12h, 30m."),
          action: str = typer.Option(None, "--action", help="Only actions starting with this (alert., user.)."),
          csv: bool = typer.Option(False, "--csv", help="Write CSV to stdout instead of a table."),
          limit: int = typer.Option(200, help="At most this many rows per store (0: all).")) -> None:
    """Who changed what, when: newest first, from every store (or one with --app)."""
    from sqlalchemy import MetaData, create_engine, inspect

    from shared import audit as trail

    sources = audit_sources()
    if app is not None:
        if app not in sources:
            raise ConfigError(f"--app {app!r}: no store by that name here; known: {', '.join(sources)}.")
        sources = {app: sources[app]}
    when = parse_since(since, datetime.now(timezone.utc))
    for n, (name, url) in enumerate(sources.items()):
        engine = create_engine(url)
        table = trail.make_table(trail.table_name(None if name == "suite" else name), MetaData())
        try:
            rows = (trail.entries(engine, since=when, action=action, limit=limit or None, table=table)
                    if inspect(engine).has_table(table.name) else [])
        finally:
            engine.dispose()
        if csv:
            text = trail.to_csv(rows, app=name)
            typer.echo(text if n == 0 else text.split("\n", 1)[1], nl=False)
            continue
        for r in rows:
            typer.echo(f"{r.at:%Y-%m-%d %H:%M:%S} {name:<8} {r.actor:<28} {r.action:<22} {r.target:<28} "
                       f"{r.before or ''} → {r.after or ''}")
