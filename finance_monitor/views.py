"""Shapes the dashboard's charts and tables take (pure transforms over `queries` results)."""

from __future__ import annotations

import pandas as pd

from finance_monitor import queries
from finance_monitor.store import Store


def wide(trends: pd.DataFrame, value: str, smooth: int = 1) -> pd.DataFrame:
    """bucket × subject frame of one measure; `smooth` > 1 takes a centred-free rolling mean (past only)."""
    if trends.empty:
        return pd.DataFrame()
    table = trends.pivot_table(index="bucket_start", columns="subject", values=value, aggfunc="first")
    if value == "volume":
        table = table.fillna(0)
    if smooth > 1:
        table = table.rolling(smooth, min_periods=1).mean()
    table.index = table.index.tz_convert(None)  # Streamlit charts want naive timestamps (all UTC here)
    return table


def top_topics(store: Store, n: int = 8, freq: str = "1D") -> list[str]:
    t = queries.trends(store, freq, "topic")
    if t.empty:
        return []
    return t.groupby("subject")["volume"].sum().sort_values(ascending=False).head(n).index.tolist()


def alert_timeline(store: Store) -> pd.DataFrame:
    """Every alert ever fired, oldest first: what the team would have been told, and when."""
    df = queries.alerts(store, ("open", "acknowledged", "resolved"))
    if df.empty:
        return df
    df = df.sort_values("first_fired_at")
    return df[["id", "first_fired_at", "severity", "rule", "subject", "status", "message"]]


def item_table(items: pd.DataFrame) -> pd.DataFrame:
    if items.empty:
        return items
    out = items[["published_at", "title", "sentiment_label", "sentiment", "topic", "custom_topic", "lexicon"]].copy()
    out["entities"] = items["entities"].apply(", ".join)
    out["published_at"] = out["published_at"].dt.tz_convert(None)
    return out.rename(columns={"sentiment_label": "sentiment", "sentiment": "score", "custom_topic": "user topic",
                               "lexicon": "LM lexicon"})
