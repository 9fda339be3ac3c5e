"""Named preview configurations in one table (SQLAlchemy Core); one row per name.

SQLite under `$VERTICALS_HOME/recommender/configs.sqlite` by default, `$VERTICALS_REC_DB` or an explicit
URL (PostgreSQL) otherwise.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Column, MetaData, String, Table, Text, delete, insert, select

from recommender.config import RecConfig
from recommender.errors import RecConfigError, UnknownConfigError
from shared.db import Chain, UTCDateTime, open_database
from shared.names import check_name

_meta = MetaData()
configs = Table("rec_configs", _meta, Column("name", String(80), primary_key=True),
                Column("config", Text, nullable=False), Column("saved_at", UTCDateTime, nullable=False))

DB_ENV = "VERTICALS_REC_DB"
DB_FILE = "recommender/configs.sqlite"
CHAIN = Chain("rec", _meta, str(Path(__file__).with_name("migrations")), env_var=DB_ENV, db_file=DB_FILE)


class ConfigStore:
    def __init__(self, url_or_path: str | Path | None = None) -> None:
        """`url_or_path`: a SQLAlchemy URL or a SQLite file path; None → `$VERTICALS_REC_DB` or the default."""
        self.db = open_database(CHAIN, str(url_or_path) if url_or_path else None)
        self.url, self.engine = self.db.url, self.db.engine

    def dispose(self) -> None:
        self.db.dispose()

    def save(self, name: str, config: RecConfig, now: datetime | None = None) -> None:
        name = check_name((name or "").strip(), "configuration")
        with self.engine.begin() as conn:  # one transaction: replace the row or leave the old one
            conn.execute(delete(configs).where(configs.c.name == name))
            conn.execute(insert(configs).values(name=name, config=json.dumps(config.to_dict()),
                                                saved_at=now or datetime.now(timezone.utc)))

    def load(self, name: str) -> RecConfig:
        with self.engine.connect() as conn:
            row = conn.execute(select(configs.c.config).where(configs.c.name == name)).first()
        if row is None:
            raise UnknownConfigError(f"No saved configuration named {name!r}; saved: {self.names()}.")
        return RecConfig.from_dict(json.loads(row[0]))

    def names(self) -> list[str]:
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(select(configs.c.name).order_by(configs.c.name))]
