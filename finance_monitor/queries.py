"""Read side: the frames the trend job, the CLI and the dashboard need (SQL lives here, not in pages)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import func, or_, select

from finance_monitor.errors import NotFoundError, RuleError
from finance_monitor.store import (
    TRAIL,
    AlertItemRow,
    AlertRow,
    ItemEntityRow,
    ItemRow,
    NotificationRow,
    ScoreRow,
    SourceRow,
    Store,
    TrendRow,
)
from shared import audit
from shared.auth import Identity, require

SCORED_COLUMNS = ["item_id", "published_at", "title", "sentiment", "sentiment_label", "sentiment_conf",
                  "topic", "custom_topic", "lexicon", "entities"]


def _latest_scores(s: Any, kind: str, item_filter: Any = None) -> pd.DataFrame:
    """The most recent score of `kind` per item (a newer model version supersedes older ones)."""
    latest = select(func.max(ScoreRow.id)).where(ScoreRow.kind == kind)
    if item_filter is not None:
        latest = latest.where(ScoreRow.item_id.in_(item_filter))
    q = select(ScoreRow.item_id, ScoreRow.label, ScoreRow.value, ScoreRow.confidence).where(
        ScoreRow.id.in_(latest.group_by(ScoreRow.item_id)))
    return pd.DataFrame(s.execute(q).all(), columns=["item_id", "label", "value", "confidence"])


def scored_frame(store: Store, since: datetime | None = None, until: datetime | None = None,
                 item_ids: list[int] | None = None, after_id: int | None = None) -> pd.DataFrame:
    """Items that have a sentiment score, with their latest topic, user topic, lexicon and entities."""
    ids = select(ItemRow.id)
    if after_id is not None:
        ids = ids.where(ItemRow.id > after_id)
    if since is not None:
        ids = ids.where(ItemRow.published_at >= since)
    if until is not None:
        ids = ids.where(ItemRow.published_at <= until)
    if item_ids is not None:
        ids = ids.where(ItemRow.id.in_(item_ids))
    flt = None if (since is None and until is None and item_ids is None and after_id is None) else ids
    with store.session() as s:
        q = select(ItemRow.id, ItemRow.published_at, ItemRow.title)
        if flt is not None:
            q = q.where(ItemRow.id.in_(flt))
        items = pd.DataFrame(s.execute(q).all(), columns=["item_id", "published_at", "title"])
        sent = _latest_scores(s, "sentiment", flt)
        topic = _latest_scores(s, "topic", flt)
        custom = _latest_scores(s, "custom_topic", flt)
        lex = _latest_scores(s, "lexicon", flt)
        eq = select(ItemEntityRow.item_id, ItemEntityRow.entity)
        if flt is not None:
            eq = eq.where(ItemEntityRow.item_id.in_(flt))
        ents = pd.DataFrame(s.execute(eq).all(), columns=["item_id", "entity"])
    if items.empty or sent.empty:
        return pd.DataFrame(columns=SCORED_COLUMNS)
    df = items.merge(sent.rename(columns={"label": "sentiment_label", "value": "sentiment",
                                          "confidence": "sentiment_conf"}), on="item_id", how="inner")
    df = df.merge(topic[["item_id", "label"]].rename(columns={"label": "topic"}), on="item_id", how="left")
    df = df.merge(custom[["item_id", "label"]].rename(columns={"label": "custom_topic"}), on="item_id", how="left")
    df = df.merge(lex[["item_id", "value"]].rename(columns={"value": "lexicon"}), on="item_id", how="left")
    grouped = ents.groupby("item_id")["entity"].apply(list) if not ents.empty else pd.Series(dtype=object)
    df["entities"] = df["item_id"].map(grouped).apply(lambda v: v if isinstance(v, list) else [])
    df["published_at"] = pd.to_datetime(df["published_at"], utc=True)
    return df[SCORED_COLUMNS].sort_values(["published_at", "item_id"]).reset_index(drop=True)


def trends(store: Store, freq: str = "1D", subject_type: str | None = None, subjects: list[str] | None = None,
           since: datetime | None = None, until: datetime | None = None) -> pd.DataFrame:
    with store.session() as s:
        q = select(TrendRow.subject_type, TrendRow.subject, TrendRow.bucket_start, TrendRow.volume,
                   TrendRow.mean_sentiment, TrendRow.neg_share).where(TrendRow.freq == freq)
        if subject_type:
            q = q.where(TrendRow.subject_type == subject_type)
        if subjects:
            q = q.where(TrendRow.subject.in_(subjects))
        if since:
            q = q.where(TrendRow.bucket_start >= since)
        if until:
            q = q.where(TrendRow.bucket_start < until)
        df = pd.DataFrame(s.execute(q.order_by(TrendRow.bucket_start)).all(),
                          columns=["subject_type", "subject", "bucket_start", "volume", "mean_sentiment", "neg_share"])
    df["bucket_start"] = pd.to_datetime(df["bucket_start"], utc=True)
    return df


def subjects(store: Store, subject_type: str) -> list[str]:
    with store.session() as s:
        return list(s.scalars(select(TrendRow.subject).where(TrendRow.subject_type == subject_type)
                              .distinct().order_by(TrendRow.subject)))


def alerts(store: Store, statuses: tuple[str, ...] = ("open", "acknowledged")) -> pd.DataFrame:
    cols = ["id", "severity", "status", "rule", "subject_type", "subject", "message", "first_fired_at",
            "last_fired_at", "bucket_start", "fire_count", "acked_by", "resolved_at"]
    with store.session() as s:
        rows = s.execute(select(*[getattr(AlertRow, c) for c in cols]).where(AlertRow.status.in_(statuses))
                         .order_by(AlertRow.first_fired_at.desc(), AlertRow.id.desc())).all()
    return pd.DataFrame(rows, columns=cols)


def alert(store: Store, alert_id: int) -> dict[str, Any]:
    """One alert, whatever its status."""
    frame = alerts(store, ("open", "acknowledged", "resolved"))
    row = frame[frame["id"] == alert_id]
    if row.empty:
        raise NotFoundError(f"no alert with id {alert_id}; list open alerts to find one")
    return row.iloc[0].to_dict()


def subject_items(store: Store, subject_type: str, subject: str, since: datetime | None = None,
                  until: datetime | None = None, limit: int = 100) -> pd.DataFrame:
    """Scored items of one topic (model or user topic) or one entity published in [since, until], newest first."""
    if subject_type not in ("topic", "entity"):
        raise RuleError(f"subject type must be 'topic' or 'entity', got {subject_type!r}")
    df = scored_frame(store, since=since, until=until)
    if subject_type == "topic":
        keep = (df["topic"] == subject) | (df["custom_topic"] == subject)
    else:
        keep = df["entities"].apply(lambda ents: subject in ents)
    return df[keep].sort_values("published_at", ascending=False).head(limit).reset_index(drop=True)


def alert_items(store: Store, alert_id: int) -> pd.DataFrame:
    with store.session() as s:
        ids = list(s.scalars(select(AlertItemRow.item_id).where(AlertItemRow.alert_id == alert_id)))
    if not ids:
        return pd.DataFrame(columns=SCORED_COLUMNS)
    return scored_frame(store, item_ids=ids).sort_values("sentiment").reset_index(drop=True)


def entity_items(store: Store, query: str, limit: int = 50) -> pd.DataFrame:
    """Latest items mentioning an entity (exact entity key, or a case-insensitive substring of it)."""
    with store.session() as s:
        ids = list(s.scalars(select(ItemEntityRow.item_id).where(
            or_(ItemEntityRow.entity == query, func.lower(ItemEntityRow.entity).contains(query.lower().lstrip("$"))))
            .distinct()))
    if not ids:
        return pd.DataFrame(columns=SCORED_COLUMNS)
    df = scored_frame(store, item_ids=ids)
    return df.sort_values("published_at", ascending=False).head(limit).reset_index(drop=True)


def entities(store: Store) -> list[str]:
    with store.session() as s:
        return list(s.scalars(select(ItemEntityRow.entity).distinct().order_by(ItemEntityRow.entity)))


def sources(store: Store) -> pd.DataFrame:
    cols = ["name", "kind", "location", "paused", "interval_s", "items_total", "failures", "last_ok_at",
            "last_fetch_at", "next_fetch_at", "last_error"]
    with store.session() as s:
        rows = s.execute(select(*[getattr(SourceRow, c) for c in cols]).order_by(SourceRow.name)).all()
    df = pd.DataFrame(rows, columns=cols)
    df["health"] = ["paused" if r.paused else ("failing" if r.failures else ("ok" if r.last_ok_at else "new"))
                    for r in df.itertuples()]
    return df


def notifications(store: Store, status: str | None = None) -> pd.DataFrame:
    cols = ["id", "alert_id", "sink", "event", "status", "attempts", "next_attempt_at", "last_error", "sent_at"]
    with store.session() as s:
        q = select(*[getattr(NotificationRow, c) for c in cols]).order_by(NotificationRow.id)
        if status:
            q = q.where(NotificationRow.status == status)
        return pd.DataFrame(s.execute(q).all(), columns=cols)


def counts(store: Store) -> dict[str, int]:
    with store.session() as s:
        scored = select(func.count(func.distinct(ScoreRow.item_id))).where(ScoreRow.kind == "sentiment")
        return {
            "items": s.scalar(select(func.count(ItemRow.id))) or 0,
            "scored": s.scalar(scored) or 0,
            "open_alerts": s.scalar(select(func.count(AlertRow.id)).where(AlertRow.status != "resolved")) or 0,
            "alerts_total": s.scalar(select(func.count(AlertRow.id))) or 0,
            "pending_notifications": s.scalar(select(func.count(NotificationRow.id))
                                              .where(NotificationRow.status == "pending")) or 0,
            "sources": s.scalar(select(func.count(SourceRow.id))) or 0,
        }


def audit_trail(store: Store, *, actor: Identity | None = None, since: datetime | None = None,
                action: str | None = None, limit: int | None = 1000) -> list[audit.AuditEntry]:
    """Who changed alerts, sources, rules, sinks and the watch list (newest first); needs monitor.admin."""
    require(actor, "monitor.admin")
    return audit.entries(store.engine, since=since, action=action, limit=limit, table=TRAIL)
