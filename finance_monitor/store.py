"""Persistent state of the monitor: one SQLAlchemy schema, SQLite (WAL) by default, PostgreSQL by URL.

Idempotency lives in the schema: items are unique by canonical URL and by content hash, scores by
(item, kind, model, version), alert notifications by (alert, sink, event, sequence), and at most one
unresolved alert per fingerprint (rule + subject). Writers use INSERT .. ON CONFLICT DO NOTHING so a
re-run after a crash adds nothing.
"""

from __future__ import annotations

import functools
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from finance_monitor.settings import DB_ENV, DB_FILE
from shared import audit
from shared.db import Chain, Database, UTCDateTime, ensure_schema, resolve_url


class Base(DeclarativeBase):
    pass


class SourceRow(Base):
    __tablename__ = "fm_sources"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # rss | folder | replay
    location: Mapped[str] = mapped_column(Text)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    interval_s: Mapped[int] = mapped_column(Integer, default=300)
    options: Mapped[dict] = mapped_column(JSON, default=dict)
    state: Mapped[dict] = mapped_column(JSON, default=dict)  # etag, last_modified, replay cursor, seen files
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_fetch_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_ok_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_fetch_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    items_total: Mapped[int] = mapped_column(Integer, default=0)


class ItemRow(Base):
    __tablename__ = "fm_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("fm_sources.id", ondelete="SET NULL"), nullable=True)
    url: Mapped[str | None] = mapped_column(String(2000), unique=True, nullable=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    date_missing: Mapped[bool] = mapped_column(Boolean, default=False)  # published_at := fetched_at
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ScoreRow(Base):
    __tablename__ = "fm_scores"
    __table_args__ = (UniqueConstraint("item_id", "kind", "model", "model_version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("fm_items.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # sentiment | topic | custom_topic | lexicon
    model: Mapped[str] = mapped_column(String(200))
    model_version: Mapped[str] = mapped_column(String(100))
    label: Mapped[str | None] = mapped_column(String(100), nullable=True)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)  # signed sentiment in [-1, 1]
    confidence: Mapped[float] = mapped_column(Float)
    probs: Mapped[dict] = mapped_column(JSON, default=dict)
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ItemEntityRow(Base):
    __tablename__ = "fm_item_entities"
    __table_args__ = (UniqueConstraint("item_id", "entity"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("fm_items.id", ondelete="CASCADE"), index=True)
    entity: Mapped[str] = mapped_column(String(200), index=True)


class WatchRow(Base):
    """A watch-list company: canonical name, optional ticker, aliases matched as whole words."""

    __tablename__ = "fm_watchlist"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    ticker: Mapped[str | None] = mapped_column(String(20), nullable=True)
    aliases: Mapped[list] = mapped_column(JSON, default=list)


class CustomTopicRow(Base):
    __tablename__ = "fm_custom_topics"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    examples: Mapped[list] = mapped_column(JSON, default=list)


class RuleRow(Base):
    __tablename__ = "fm_rules"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    spec: Mapped[dict] = mapped_column(JSON)  # validated by rules.Rule
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TrendRow(Base):
    __tablename__ = "fm_trends"
    __table_args__ = (UniqueConstraint("freq", "subject_type", "subject", "bucket_start"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    freq: Mapped[str] = mapped_column(String(8))
    subject_type: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(200))
    bucket_start: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    volume: Mapped[int] = mapped_column(Integer)
    mean_sentiment: Mapped[float | None] = mapped_column(Float, nullable=True)
    neg_share: Mapped[float | None] = mapped_column(Float, nullable=True)


class AlertRow(Base):
    __tablename__ = "fm_alerts"
    __table_args__ = (
        # One unresolved alert per rule and subject, enforced by the database itself.
        Index("uq_open_alert", "fingerprint", unique=True,
              sqlite_where=text("status != 'resolved'"), postgresql_where=text("status != 'resolved'")),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(400), index=True)
    rule: Mapped[str] = mapped_column(String(200))
    subject_type: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(200))
    severity: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))  # open | acknowledged | resolved
    message: Mapped[str] = mapped_column(Text)
    value: Mapped[float] = mapped_column(Float)
    baseline: Mapped[float | None] = mapped_column(Float, nullable=True)
    bucket_start: Mapped[datetime] = mapped_column(UTCDateTime)
    first_fired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_fired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    fire_count: Mapped[int] = mapped_column(Integer, default=1)
    notify_seq: Mapped[int] = mapped_column(Integer, default=0)
    acked_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AlertItemRow(Base):
    __tablename__ = "fm_alert_items"
    __table_args__ = (UniqueConstraint("alert_id", "item_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("fm_alerts.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("fm_items.id", ondelete="CASCADE"))


class SinkRow(Base):
    __tablename__ = "fm_sinks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # log | webhook | email
    config: Mapped[dict] = mapped_column(JSON, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class NotificationRow(Base):
    """The outbox: written in the same transaction as the alert change, delivered (and retried) later."""

    __tablename__ = "fm_notifications"
    __table_args__ = (UniqueConstraint("alert_id", "sink", "event", "seq"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("fm_alerts.id", ondelete="CASCADE"), index=True)
    sink: Mapped[str] = mapped_column(String(200))
    event: Mapped[str] = mapped_column(String(20))  # firing | repeat | resolved
    seq: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)  # pending | sent
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)


class MetaRow(Base):
    """Small key/value state (e.g. the entity-tagging watermark)."""

    __tablename__ = "fm_meta"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class LockRow(Base):
    __tablename__ = "fm_locks"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(String(300))
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime)


# The audit trail (shared/audit.py), written in the same transactions as the changes it records.
TRAIL = audit.make_table(audit.table_name("monitor"), Base.metadata)
record_audit = functools.partial(audit.record, table=TRAIL)
CHAIN = Chain("monitor", Base.metadata, str(Path(__file__).with_name("migrations")), env_var=DB_ENV,
              db_file=DB_FILE)


class Store:
    """Engine + session factory over one database, checked against the migrations when opened."""

    def __init__(self, url: str | None = None, *, engine: Engine | None = None) -> None:
        if engine is not None:
            self.db = Database(url or engine.url.render_as_string(hide_password=False), engine=engine)
        else:
            self.db = Database(resolve_url(url, env_var=DB_ENV, db_file=DB_FILE))
        ensure_schema(CHAIN, self.db.engine)
        self.url, self.engine = self.db.url, self.db.engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def masked_url(self) -> str:
        return self.db.masked_url

    def session(self) -> AbstractContextManager[Session]:
        """One transaction: committed on success, rolled back on any error (nothing half-written)."""
        return self.db.session()

    def dispose(self) -> None:
        self.db.dispose()


def insert_ignore(store_or_dialect: Store | str, table: Any) -> Any:
    """An INSERT that skips rows violating a unique constraint, on SQLite and PostgreSQL alike."""
    dialect = store_or_dialect.dialect if isinstance(store_or_dialect, Store) else store_or_dialect
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing()
