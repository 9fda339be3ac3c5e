"""A store's handle on its database: engine, session factory, masked URL, one transaction per call."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from shared.db.engine import make_engine
from shared.db.urls import mask_url


@contextmanager
def session_scope(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: committed on success, rolled back on any exception (nothing half-written)."""
    with sessions() as session, session.begin():
        yield session


class Database:
    """Engine + sessions over one URL. Objects stay readable after commit (`expire_on_commit=False`)."""

    def __init__(self, url: str, *, engine: Engine | None = None) -> None:
        self.url = url
        self.engine = engine if engine is not None else make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def masked_url(self) -> str:
        return mask_url(self.url)

    def session(self) -> AbstractContextManager[Session]:
        return session_scope(self.sessions)

    def dispose(self) -> None:
        self.engine.dispose()
