"""Which database a store uses: one convention for the CLI, the pages and the services.

An explicit URL (the CLI's `--db`, a constructor argument) wins; else the store's environment
variable (e.g. `VERTICALS_BOT_DB`); else a SQLite file under `$VERTICALS_HOME`. A bare path is taken
as a SQLite file. URLs are only ever shown masked (`mask_url`): they may carry a password.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from shared.db.errors import DatabaseURLError
from shared.paths import verticals_home

MEMORY_URL = "sqlite://"  # in-memory SQLite: the embedded default for tests (one shared connection)
SUITE_ENV = "VERTICALS_SUITE_DB"
SUITE_FILE = "suite.db"


def parse_url(url: str) -> URL:
    try:
        return make_url(url)
    except (ArgumentError, ValueError) as exc:  # ValueError: e.g. a port that is not a number
        raise DatabaseURLError(f"cannot read {mask_url(url)!r} as a database URL; use e.g. "
                               "sqlite:////path/to/file.db or postgresql+psycopg://user@host:5432/name") from exc


def _normalise(value: str) -> str:
    """A bare path becomes a SQLite URL (its folder is created); a URL is kept as given."""
    if "://" in value:
        parse_url(value)  # fail now, with the masked URL, rather than deep inside the engine
        return value
    path = Path(value).expanduser().resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def resolve_url(explicit: str | os.PathLike[str] | None = None, *, env_var: str | None = None,
                db_file: str) -> str:
    """explicit → `$env_var` → `sqlite:///$VERTICALS_HOME/db_file`."""
    if explicit:
        return _normalise(os.fspath(explicit))
    if env_var and os.environ.get(env_var):
        return _normalise(os.environ[env_var])
    return f"sqlite:///{verticals_home() / db_file}"


def suite_url(explicit: str | None = None) -> str:
    """The suite's own database (users, API keys, core audit): `$VERTICALS_SUITE_DB` or `suite.db`."""
    return resolve_url(explicit, env_var=SUITE_ENV, db_file=SUITE_FILE)


def mask_url(url: str | URL) -> str:
    """The URL with its password replaced by `***`; safe to print, log and show in a page."""
    if isinstance(url, URL):
        return url.render_as_string(hide_password=True)
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        # Unparseable: still never echo what may be a password (`scheme://user:secret@host`).
        head, sep, rest = url.partition("://")
        if sep and "@" in rest:
            creds, _, host = rest.rpartition("@")
            return f"{head}://{creds.split(':', 1)[0]}:***@{host}"
        return url


def sqlite_path(url: str | URL) -> Path | None:
    """The file behind a SQLite URL; None for another back-end or an in-memory database."""
    parsed = url if isinstance(url, URL) else parse_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)
