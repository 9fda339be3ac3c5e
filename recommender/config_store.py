"""Named preview configurations in one table (SQLAlchemy Core); one row per name.

SQLite under `$VERTICALS_HOME/recommender/configs.sqlite` by default, `$VERTICALS_REC_DB` or an explicit
URL (PostgreSQL) otherwise.
"""

from __future__ import annotations

import functools
import json
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Column, MetaData, String, Table, Text, delete, insert, select

from recommender.config import RecConfig
from recommender.errors import UnknownConfigError
from shared import audit
from shared.auth import Identity, require
from shared.db import Chain, UTCDateTime, open_database
from shared.names import check_name

_meta = MetaData()
configs = Table("rec_configs", _meta, Column("name", String(80), primary_key=True),
                Column("config", Text, nullable=False), Column("saved_at", UTCDateTime, nullable=False))

DB_ENV = "VERTICALS_REC_DB"
DB_FILE = "recommender/configs.sqlite"
TRAIL = audit.make_table(audit.table_name("rec"), _meta)  # in the same transaction as the row it records
record_audit = functools.partial(audit.record, table=TRAIL)
CHAIN = Chain("rec", _meta, str(Path(__file__).with_name("migrations")), env_var=DB_ENV, db_file=DB_FILE)


class ConfigStore:
    def __init__(self, url_or_path: str | Path | None = None) -> None:
        """`url_or_path`: a SQLAlchemy URL or a SQLite file path; None → `$VERTICALS_REC_DB` or the default."""
        self.db = open_database(CHAIN, str(url_or_path) if url_or_path else None)
        self.url, self.engine = self.db.url, self.db.engine

    def dispose(self) -> None:
        self.db.dispose()

    def save(self, name: str, config: RecConfig, now: datetime | None = None, *,
             actor: Identity | None = None) -> None:
        require(actor, "rec.configure")
        name = check_name((name or "").strip(), "configuration")
        at = now or datetime.now(timezone.utc)
        with self.engine.begin() as conn:  # one transaction: replace the row (and audit it) or leave the old one
            old = conn.execute(select(configs.c.config).where(configs.c.name == name)).scalar()
            conn.execute(delete(configs).where(configs.c.name == name))
            conn.execute(insert(configs).values(name=name, config=json.dumps(config.to_dict()), saved_at=at))
            record_audit(conn, actor, "rec.config.save", f"config {name}", json.loads(old) if old else None,
                         config.to_dict(), now=at)

    def delete(self, name: str, now: datetime | None = None, *, actor: Identity | None = None) -> None:
        require(actor, "rec.configure")
        with self.engine.begin() as conn:
            old = conn.execute(select(configs.c.config).where(configs.c.name == name)).scalar()
            if old is None:
                raise UnknownConfigError(f"No saved configuration named {name!r}; saved: {self.names()}.")
            conn.execute(delete(configs).where(configs.c.name == name))
            record_audit(conn, actor, "rec.config.delete", f"config {name}", json.loads(old), None, now=now)

    def audit_trail(self, *, actor: Identity | None = None, since: datetime | None = None,
                    action: str | None = None, limit: int | None = 1000) -> list[audit.AuditEntry]:
        """Who saved or deleted which configuration (newest first); needs rec.configure."""
        require(actor, "rec.configure")
        return audit.entries(self.engine, since=since, action=action, limit=limit, table=TRAIL)

    def load(self, name: str) -> RecConfig:
        with self.engine.connect() as conn:
            row = conn.execute(select(configs.c.config).where(configs.c.name == name)).first()
        if row is None:
            raise UnknownConfigError(f"No saved configuration named {name!r}; saved: {self.names()}.")
        return RecConfig.from_dict(json.loads(row[0]))

    def names(self) -> list[str]:
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(select(configs.c.name).order_by(configs.c.name))]
