"""Database helpers shared by the apps' stores."""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError


def create_schema(metadata: MetaData, engine: Engine, attempts: int = 5) -> None:
    """`create_all` that tolerates another process creating the same tables at the same moment.

    Two processes opening a fresh SQLite file both see "no table" and both CREATE; the loser gets
    "table ... already exists". A second pass then finds the tables and has nothing left to do.
    """
    for attempt in range(attempts):
        try:
            metadata.create_all(engine)
            return
        except OperationalError as exc:
            if "already exists" not in str(exc) or attempt == attempts - 1:
                raise

