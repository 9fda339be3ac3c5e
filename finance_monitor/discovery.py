"""Emerging entities: companies and people the NER model found that are not on the watch list, and are new or
rising, with their negative share; and the one-click move of such an entity onto the watch list."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import select

from finance_monitor import mentions, scoring
from finance_monitor.entities import EntityMatcher
from finance_monitor.errors import MonitorError
from finance_monitor.queries import DISCOVERED_MIN_ITEMS, _latest_scores
from finance_monitor.store import ItemRow, MentionRow, Store

EMERGING_COLUMNS = ["entity", "type", "status", "recent_items", "prior_items", "neg_share", "first_seen",
                    "last_seen"]


def emerging(store: Store, now: datetime, recent_days: int = 7, baseline_days: int = 28,
             min_items: int = DISCOVERED_MIN_ITEMS, rise: float = 2.0) -> pd.DataFrame:
    """Discovered entities with at least `min_items` items in the `recent_days` before `now` that are *new*
    (first seen in that window) or *rising* (their daily rate there is `rise` × that of the `baseline_days`
    before); newest and most negative first."""
    if recent_days < 1 or baseline_days < 1 or min_items < 1:
        raise MonitorError(f"emerging entities need positive windows and min_items, got {recent_days}, "
                           f"{baseline_days}, {min_items}")
    with store.session() as s:
        rows = s.execute(
            select(MentionRow.item_id, MentionRow.entity, MentionRow.type, ItemRow.published_at)
            .join(ItemRow, ItemRow.id == MentionRow.item_id)
            .where(MentionRow.watched.is_(False), ItemRow.published_at <= now).distinct()).all()
        frame = pd.DataFrame(rows, columns=["item_id", "entity", "type", "published_at"])
        if frame.empty:
            return pd.DataFrame(columns=EMERGING_COLUMNS)
        sentiment = _latest_scores(s, "sentiment", sorted(set(frame["item_id"].tolist())))
    frame["published_at"] = pd.to_datetime(frame["published_at"], utc=True)
    frame = frame.merge(sentiment[["item_id", "label"]], on="item_id", how="left")
    now_ts = pd.Timestamp(now).tz_convert("UTC")
    recent_start = now_ts - timedelta(days=recent_days)
    prior_start = recent_start - timedelta(days=baseline_days)
    out = []
    for entity, g in frame.groupby("entity"):
        items = g.drop_duplicates("item_id")
        recent = items[items["published_at"] > recent_start]
        prior = items[(items["published_at"] > prior_start) & (items["published_at"] <= recent_start)]
        if len(recent) < min_items:
            continue
        first_seen = items["published_at"].min()
        if first_seen > recent_start:
            status = "new"
        elif len(recent) / recent_days >= rise * len(prior) / baseline_days:
            status = "rising"
        else:
            continue
        labelled = recent["label"].dropna()
        neg = float((labelled == "negative").mean()) if len(labelled) else float("nan")
        out.append({"entity": entity, "type": g["type"].mode().iloc[0], "status": status,
                    "recent_items": len(recent), "prior_items": len(prior), "neg_share": neg,
                    "first_seen": first_seen, "last_seen": items["published_at"].max()})
    if not out:
        return pd.DataFrame(columns=EMERGING_COLUMNS)
    table = pd.DataFrame(out, columns=EMERGING_COLUMNS)
    return table.sort_values(["recent_items", "neg_share", "entity"], ascending=[False, False, True],
                             na_position="last").reset_index(drop=True)


def watch_entity(store: Store, entity: str) -> int:
    """Put a discovered entity on the watch list under its display name; its stored mentions (and any other
    mention that normalises to it) count for the watch-list entry from now on. Returns mentions re-mapped."""
    name = entity.strip()
    if not name:
        raise MonitorError("pick an entity to watch: the name is empty")
    known = {w.name for w in scoring.watchlist(store)}
    if name not in known:
        scoring.set_watch(store, name)
    changed = mentions.reresolve(store, mentions.AliasIndex(scoring.watchlist(store)))
    scoring.tag_entities(store, EntityMatcher(scoring.watchlist(store)), retag=True)
    return changed
