"""Trend buckets per subject (all / topic / entity): volume, mean sentiment, negative share.

Pure pandas over a frame of scored items; `now` decides which buckets are complete. Missing buckets
are filled with volume 0 so volume baselines see quiet periods.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

FREQS = {"1h": pd.Timedelta(hours=1), "1D": pd.Timedelta(days=1)}
TREND_COLUMNS = ["subject_type", "subject", "bucket_start", "volume", "mean_sentiment", "neg_share", "complete"]


def memberships(scored: pd.DataFrame) -> pd.DataFrame:
    """One row per (item, subject): every item counts for `all`, its topic(s) and its entities.

    `scored` columns: item_id, published_at, sentiment (signed), sentiment_label, topic, custom_topic,
    entities (list of str). Missing topic/custom_topic/entities are simply skipped.
    """
    base = scored[["item_id", "published_at", "sentiment", "sentiment_label"]]
    parts = [base.assign(subject_type="all", subject="all")]
    for col in ("topic", "custom_topic"):
        if col in scored:
            sub = scored[scored[col].notna()]
            parts.append(sub[base.columns].assign(subject_type="topic", subject=sub[col].astype(str)))
    if "entities" in scored:
        ent = scored[["item_id", "entities"]].explode("entities").dropna(subset=["entities"])
        ent = ent.merge(base, on="item_id")
        parts.append(ent[base.columns].assign(subject_type="entity", subject=ent["entities"].astype(str)))
    out = pd.concat(parts, ignore_index=True)
    out["published_at"] = pd.to_datetime(out["published_at"], utc=True)
    return out


def bucketize(members: pd.DataFrame, freq: str, now: datetime, start: datetime | None = None) -> pd.DataFrame:
    """Per subject and bucket: volume, mean sentiment, negative share; gaps filled with volume 0.

    Buckets run from `start` (or the subject's first item) to the bucket holding `now`; items dated
    after `now` are ignored. `complete` is False only for the bucket still in progress at `now`.
    """
    if freq not in FREQS:
        raise ValueError(f"unknown bucket size {freq!r}; use one of {', '.join(FREQS)}")
    now_ts = pd.Timestamp(now).tz_convert("UTC")
    members = members.assign(published_at=pd.to_datetime(members["published_at"], utc=True))
    m = members[members["published_at"] <= now_ts].copy()
    if m.empty:
        return pd.DataFrame(columns=TREND_COLUMNS)
    m["bucket_start"] = m["published_at"].dt.floor(freq)
    m["is_neg"] = (m["sentiment_label"] == "negative").astype(float)
    agg = (m.groupby(["subject_type", "subject", "bucket_start"])
           .agg(volume=("item_id", "nunique"), mean_sentiment=("sentiment", "mean"), neg_share=("is_neg", "mean"))
           .reset_index())
    last = now_ts.floor(freq)
    # Every subject gets every bucket from its first (or `start`) to `last`: a cross join, then a trim.
    first = agg.groupby(["subject_type", "subject"])["bucket_start"].min().rename("first").reset_index()
    if start is not None:
        first["first"] = first["first"].clip(upper=pd.Timestamp(start).tz_convert("UTC").floor(freq))
    grid = pd.DataFrame({"bucket_start": pd.date_range(first["first"].min(), last, freq=freq)})
    full = first.merge(grid, how="cross")
    full = full[full["bucket_start"] >= full["first"]].drop(columns="first")
    out = full.merge(agg, on=["subject_type", "subject", "bucket_start"], how="left")
    out["volume"] = out["volume"].fillna(0).astype(int)
    out["complete"] = out["bucket_start"] + FREQS[freq] <= now_ts
    return out.sort_values(["subject_type", "subject", "bucket_start"]).reset_index(drop=True)[TREND_COLUMNS]


def bucket_items(members: pd.DataFrame, freq: str, subject_type: str, subject: str,
                 bucket_start: pd.Timestamp) -> list[int]:
    """Item ids behind one bucket of one subject, most negative first (what an alert links to)."""
    m = members[(members["subject_type"] == subject_type) & (members["subject"] == subject)]
    m = m[m["published_at"].dt.floor(freq) == bucket_start]
    return [int(i) for i in m.sort_values("sentiment")["item_id"].drop_duplicates()]
