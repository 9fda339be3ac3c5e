"""Alembic migrations, one chain per store, and the check every store runs when it opens.

Each store declares a `Chain` (its metadata, its `migrations/` folder, its own version table so several
stores may share one PostgreSQL database). On open, `ensure_schema`:

- empty database → the tables are created from the models and stamped at head (fast; the models-vs-head
  test keeps the two equal);
- at head → nothing;
- behind (or a store created before migrations existed) → SQLite: backed up with the online backup API,
  then upgraded; PostgreSQL: a clear "run `verticals db upgrade`" error, because a shared server is
  upgraded deliberately, by one person, after a `pg_dump`;
- ahead (migrated by newer code) → an error: this code would misread the newer schema.
"""

from __future__ import annotations

import functools
import logging
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

# Before alembic loads: it narrates every plugin and context at INFO; our own log lines say what changed.
logging.getLogger("alembic").setLevel(logging.WARNING)

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, inspect, text
from sqlalchemy.engine import Connection, Engine, Inspector
from sqlalchemy.exc import IntegrityError, OperationalError

from shared.db.backup import backup_sqlite
from shared.db.errors import DatabaseError, SchemaAheadError, SchemaBehindError
from shared.db.schema import create_schema
from shared.db.types import UTCDateTime
from shared.db.urls import mask_url, sqlite_path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Chain:
    """One store's migrations: `name` is what `verticals db ... STORE` takes."""

    name: str
    metadata: MetaData | tuple[MetaData, ...]  # several when a store's tables come from several modules
    script_location: str  # the folder holding env.py and versions/
    env_var: str  # the store's URL setting, e.g. VERTICALS_BOT_DB
    db_file: str  # its SQLite file under $VERTICALS_HOME
    # Which revision a database created before migrations existed holds (None: the first revision).
    baseline: Callable[[Inspector], str] | None = None

    @property
    def version_table(self) -> str:
        return f"alembic_version_{self.name}"

    @property
    def metadatas(self) -> tuple[MetaData, ...]:
        return self.metadata if isinstance(self.metadata, tuple) else (self.metadata,)

    @property
    def tables(self) -> set[str]:
        return {name for md in self.metadatas for name in md.tables}

    @property
    def own_tables(self) -> set[str]:
        """The first metadata's tables: the store's own. The others (e.g. the core's `audit_log`) may
        already be in a database that several stores share, made by another store's chain."""
        return set(self.metadatas[0].tables)


@dataclass(frozen=True)
class SchemaStatus:
    store: str
    url: str  # masked
    current: str | None
    head: str
    state: str  # empty | unversioned | current | behind | ahead

    def line(self) -> str:
        where = f"{self.store} ({self.url})"
        return {"empty": f"{where}: empty, will be created at {self.head}",
                "unversioned": f"{where}: created before migrations; needs upgrade to {self.head}",
                "current": f"{where}: at head {self.head}",
                "behind": f"{where}: at {self.current}, behind head {self.head}: run `verticals db upgrade`",
                "ahead": f"{where}: at {self.current}, unknown to this code (head {self.head}): upgrade the code",
                }[self.state]


@functools.cache
def script_directory(location: str) -> ScriptDirectory:
    return ScriptDirectory(location)


def head(chain: Chain) -> str:
    rev = script_directory(chain.script_location).get_current_head()
    if rev is None:
        raise DatabaseError(f"the {chain.name} store has no migrations under {chain.script_location}")
    return rev


def alembic_config(chain: Chain, connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", chain.script_location)
    cfg.set_main_option("file_template", "%%(rev)s")  # versions/bot_0004.py: the id is the file name
    cfg.attributes["chain"] = chain
    cfg.attributes["connection"] = connection
    return cfg


def _context(chain: Chain, conn: Connection) -> MigrationContext:
    return MigrationContext.configure(conn, opts={"version_table": chain.version_table})


def status(chain: Chain, engine: Engine) -> SchemaStatus:
    latest = head(chain)
    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        current = _context(chain, conn).get_current_revision() if chain.version_table in tables else None
    if current is None:
        state = "unversioned" if tables & chain.own_tables else "empty"
    elif current == latest:
        state = "current"
    else:
        known = {s.revision for s in script_directory(chain.script_location).walk_revisions()}
        state = "behind" if current in known else "ahead"
    return SchemaStatus(chain.name, mask_url(engine.url), current, latest, state)


@contextmanager
def _migration_connection(chain: Chain, engine: Engine) -> Iterator[Connection]:
    """A connection that may change the schema, exclusive per store where the back-end allows it.

    PostgreSQL: a session advisory lock, so two processes opening a fresh database do not both create.
    SQLite: foreign keys off while migrating, or a batch table rebuild (DROP TABLE) would cascade-delete.
    """
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            key = zlib.crc32(chain.version_table.encode())
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
            conn.commit()
            try:
                yield conn
            finally:
                conn.rollback()
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()
        elif conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
            try:
                yield conn
            finally:
                conn.rollback()
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()
        else:
            yield conn


def _stamp(chain: Chain, conn: Connection, revision: str) -> None:
    _context(chain, conn).stamp(script_directory(chain.script_location), revision)
    conn.commit()


def _baseline(chain: Chain, conn: Connection) -> str:
    if chain.baseline is not None:
        return chain.baseline(inspect(conn))
    base = script_directory(chain.script_location).get_base()
    if base is None:
        raise DatabaseError(f"the {chain.name} store's migrations have no single first revision")
    return base


def upgrade(chain: Chain, engine: Engine, revision: str = "head") -> SchemaStatus:
    """Bring the database to `revision`; safe to call on an empty, unversioned or current database."""
    before = status(chain, engine)
    if before.state == "ahead":
        raise SchemaAheadError(before.line())
    if before.state == "empty" and revision == "head":
        _create_at_head(chain, engine)
        return status(chain, engine)
    with _migration_connection(chain, engine) as conn:
        now = status(chain, engine)  # again, under the lock: another process may have done it meanwhile
        if now.state == "unversioned":
            base = _baseline(chain, conn)
            log.info("%s: adopting a database created before migrations as revision %s", chain.name, base)
            _stamp(chain, conn, base)
        if now.state != "current" or revision != "head":
            command.upgrade(alembic_config(chain, conn), revision)
    return status(chain, engine)


def _create_at_head(chain: Chain, engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        # SQLite runs DDL outside transactions: two processes may race; create_schema absorbs that, and
        # the version table's primary key lets only one stamp land.
        for md in chain.metadatas:
            create_schema(md, engine)
        with engine.connect() as conn:
            try:
                if _context(chain, conn).get_current_revision() is None:
                    _stamp(chain, conn, head(chain))
            except (IntegrityError, OperationalError) as exc:
                if status(chain, engine).state != "current":
                    raise DatabaseError(f"could not create the {chain.name} store at {mask_url(engine.url)}: "
                                        f"{exc}") from exc
        return
    with _migration_connection(chain, engine) as conn:
        if status(chain, engine).state != "empty":
            return  # another process created it while we waited for the lock
        with conn.begin():
            for md in chain.metadatas:
                md.create_all(conn)
        _stamp(chain, conn, head(chain))


def backup_path(url: str, revision: str | None, now: datetime | None = None) -> Path:
    path = sqlite_path(url)
    if path is None:
        raise DatabaseError(f"{mask_url(url)} is not a SQLite file: back PostgreSQL up with `pg_dump`")
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%S%fZ")
    return path.with_name(f"{path.name}.{stamp}.{revision or 'unversioned'}.bak")


@contextmanager
def _sqlite_file_lock(engine: Engine) -> Iterator[None]:
    """One process at a time creates or upgrades a SQLite file (a `FILE.lock` beside it, flock'd).

    SQLite runs DDL outside transactions, so without it a second process could see the first one's new
    tables before their version row and take the store for an old one. PostgreSQL uses an advisory lock
    instead (`_migration_connection`); where flock does not exist (Windows) there is no lock.
    """
    file = sqlite_path(engine.url) if engine.dialect.name == "sqlite" else None
    try:
        import fcntl
    except ImportError:
        fcntl = None  # type: ignore[assignment]
    if file is None or fcntl is None:
        yield
        return
    with open(f"{file}.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_schema(chain: Chain, engine: Engine) -> SchemaStatus:
    """The start-up check (see the module docstring). Returns the status after any upgrade."""
    st = status(chain, engine)
    if st.state == "current":
        return st
    if st.state == "ahead":
        raise SchemaAheadError(st.line())
    with _sqlite_file_lock(engine):
        st = status(chain, engine)  # again: another process may have created or upgraded it meanwhile
        if st.state == "current":
            return st
        if st.state == "ahead":
            raise SchemaAheadError(st.line())
        if st.state == "empty":
            return upgrade(chain, engine)
        if engine.dialect.name == "sqlite":
            file = sqlite_path(engine.url)
            if file is not None:
                target = backup_sqlite(file, backup_path(str(engine.url), st.current))
                log.warning("%s store %s is behind (%s); backed up to %s, upgrading to %s", chain.name, file,
                            st.current or "unversioned", target, st.head)
            return upgrade(chain, engine)
    if st.state == "unversioned":
        with engine.connect() as conn:
            if _baseline(chain, conn) == st.head:  # same schema, only the version row missing: no DDL
                with _migration_connection(chain, engine) as mconn:
                    if status(chain, engine).state == "unversioned":
                        _stamp(chain, mconn, st.head)
                return status(chain, engine)
    raise SchemaBehindError(
        f"the {chain.name} store at {st.url} is at {st.current or 'a pre-migration schema'}, this code needs "
        f"{st.head}: back it up (`pg_dump`), then run `verticals db upgrade {chain.name} --db URL`")


def upgrade_store(chain: Chain, engine: Engine, revision: str = "head",
                  ) -> tuple[SchemaStatus, SchemaStatus, Path | None]:
    """`verticals db upgrade`: (before, after, backup) — a SQLite file behind is backed up first."""
    with _sqlite_file_lock(engine):
        before = status(chain, engine)
        file = sqlite_path(engine.url)
        copy = None
        if file is not None and before.state in ("behind", "unversioned"):
            copy = backup_sqlite(file, backup_path(str(engine.url), before.current))
        return before, upgrade(chain, engine, revision), copy


def _include(chain: Chain) -> Callable[..., bool]:
    """Compare and migrate only this store's tables (others may share the database)."""
    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        return type_ != "table" or name in chain.tables
    return include


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Revisions spell our column types in plain SQLAlchemy, so they never import model code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def configure_options(chain: Chain, conn: Connection) -> dict[str, Any]:
    return {"target_metadata": list(chain.metadatas), "version_table": chain.version_table,
            "render_as_batch": conn.dialect.name == "sqlite", "include_object": _include(chain),
            "compare_type": True, "render_item": _render_item}


def run_env() -> None:
    """The body of every chain's `env.py`: migrate on the connection `verticals db` hands over."""
    from alembic import context

    chain: Chain | None = context.config.attributes.get("chain")
    conn: Connection | None = context.config.attributes.get("connection")
    if chain is None or conn is None or context.is_offline_mode():
        raise DatabaseError("run migrations through `verticals db upgrade|revision`, not the alembic command")
    context.configure(connection=conn, **configure_options(chain, conn))
    with context.begin_transaction():
        context.run_migrations()


def compare(chain: Chain, engine: Engine) -> list[Any]:
    """Differences between the models and the database (empty when a migration is not missing)."""
    from alembic.autogenerate import compare_metadata

    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={k: v for k, v in configure_options(chain, conn).items()
                                                      if k != "render_as_batch"})
        return list(compare_metadata(ctx, list(chain.metadatas)))  # type: ignore[arg-type]


def upgrade_by_migrations(chain: Chain, engine: Engine, revision: str = "head") -> None:
    """Run every revision from an empty database (no create-from-models shortcut): tests and `revision`."""
    with _migration_connection(chain, engine) as conn:
        command.upgrade(alembic_config(chain, conn), revision)


def new_revision(chain: Chain, message: str, *, autogenerate: bool = True) -> str:
    """Write the next revision file of `chain` (autogenerated against a scratch database at head)."""
    from shared.db.engine import make_engine

    scratch = make_engine("sqlite://")
    try:
        upgrade_by_migrations(chain, scratch)
        number = len(list(script_directory(chain.script_location).walk_revisions())) + 1
        with _migration_connection(chain, scratch) as conn:
            script = command.revision(alembic_config(chain, conn), message=message, autogenerate=autogenerate,
                                      rev_id=f"{chain.name}_{number:04d}")
    finally:
        scratch.dispose()
        script_directory.cache_clear()
    if script is None or isinstance(script, list):
        raise DatabaseError(f"alembic wrote no single revision for {chain.name}")
    return str(script.path)


__all__ = [
    "Chain",
    "SchemaStatus",
    "alembic_config",
    "backup_path",
    "compare",
    "ensure_schema",
    "head",
    "new_revision",
    "run_env",
    "status",
    "upgrade",
    "upgrade_by_migrations",
]
