"""`verticals db status|upgrade|backup|revision`: the stores' schemas, across every registered app.

Each store has its own chain of Alembic revisions and its own URL setting; `--db` names one store's
database explicitly (then give exactly one STORE). URLs are printed masked.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from shared.cli.errors import clear_errors
from shared.errors import VerticalsError

if TYPE_CHECKING:
    from shared.db.migrations import Chain

app = typer.Typer(help="Database status, upgrades, backups and migration revisions.", no_args_is_help=True)

# The suite's own database (users, API keys, audit); the apps' stores come from their specs.
SUITE_CHAIN = "shared.suite_db:CHAIN"

STORE_ARG = typer.Argument(None, help="Store names (suite, bot, monitor, rec); default: all.")
DB = typer.Option(None, "--db", help="This store's database URL (default: its env var, else SQLite under "
                  "$VERTICALS_HOME). Needs exactly one STORE.")


def chains(*, report: bool = False) -> list[Chain]:
    """The suite's chain, then each registered app's (`AppSpec.migrations`), by store name.

    An app that fails to load, or whose chain does not, is reported by name (with `report`), never silently
    left out of an upgrade.
    """
    from shared.apps import load_ref, registered_apps

    out = [load_ref(SUITE_CHAIN, "the suite database's migrations")]
    apps, failures = registered_apps()
    problems = [f"{f.name}: {f.error}" for f in failures]
    for spec in apps:
        if spec.migrations is None:
            continue
        try:
            out.append(spec.load_migrations())
        except VerticalsError as exc:
            problems.append(f"{spec.name}: {exc}")
    if report:
        for line in problems:
            typer.secho(f"error: app {line}", fg="red", err=True)
    return out


def _selected(names: list[str] | None, db: str | None) -> list[tuple[Chain, str]]:
    from shared.db.errors import UnknownStoreError
    from shared.db.urls import resolve_url

    known = {c.name: c for c in chains(report=True)}
    names = names or list(known)
    missing = [n for n in names if n not in known]
    if missing:
        raise UnknownStoreError(f"no store named {missing[0]!r}; stores: {', '.join(known)}")
    if db and len(names) != 1:
        raise UnknownStoreError(f"--db names one database: give exactly one store ({', '.join(known)})")
    return [(known[n], resolve_url(db, env_var=known[n].env_var, db_file=known[n].db_file)) for n in names]


@app.command()
@clear_errors
def status(stores: list[str] | None = STORE_ARG, db: str | None = DB) -> None:
    """Each store's revision against the code's head."""
    from shared.db.engine import make_engine
    from shared.db.migrations import status as schema_status

    for chain, url in _selected(stores, db):
        engine = make_engine(url)
        try:
            typer.echo(schema_status(chain, engine).line())
        finally:
            engine.dispose()


@app.command()
@clear_errors
def upgrade(stores: list[str] | None = STORE_ARG, db: str | None = DB,
            revision: str = typer.Option("head", help="Target revision (default: the newest).")) -> None:
    """Migrate each store to head; a SQLite file is backed up first."""
    from shared.db.engine import make_engine
    from shared.db.migrations import upgrade_store

    for chain, url in _selected(stores, db):
        engine = make_engine(url)
        try:
            before, after, copy = upgrade_store(chain, engine, revision)
            if copy is not None:
                typer.echo(f"{chain.name}: backed up to {copy}")
            typer.echo(f"{chain.name}: {before.current or before.state} -> {after.current}")
        finally:
            engine.dispose()


TO = typer.Option(None, help="Folder for the copies (default: beside each file).")


@app.command()
@clear_errors
def backup(stores: list[str] | None = STORE_ARG, db: str | None = DB, to: Path | None = TO) -> None:
    """Copy each SQLite store with SQLite's online backup API (PostgreSQL: use `pg_dump`)."""
    from shared.db.backup import backup_sqlite
    from shared.db.migrations import backup_path
    from shared.db.urls import mask_url, sqlite_path

    now = datetime.now(timezone.utc)
    for chain, url in _selected(stores, db):
        file = sqlite_path(url)
        if file is None:
            typer.echo(f"{chain.name}: {mask_url(url)} is not a SQLite file; back it up with "
                       "`pg_dump --format=custom --file=BACKUP.dump DBNAME` (see docs/scaling.md)")
            continue
        if not file.exists():
            typer.echo(f"{chain.name}: no database yet at {file}")
            continue
        target = backup_path(url, "backup", now)
        if to is not None:
            target = to / target.name
        typer.echo(f"{chain.name}: {file} -> {backup_sqlite(file, target)}")


@app.command()
@clear_errors
def revision(store: str = typer.Argument(..., help="The store whose models changed."),
             message: str = typer.Option(..., "-m", "--message", help="What the revision changes."),
             empty: bool = typer.Option(False, help="Write an empty revision instead of autogenerating.")) -> None:
    """Write the next migration of STORE from the difference between its models and its head."""
    from shared.db.migrations import new_revision

    (chain, _url), = _selected([store], None)
    typer.echo(f"wrote {new_revision(chain, message, autogenerate=not empty)}: review it, then commit it")
