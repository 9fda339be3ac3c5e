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


MENTION_COLORS = {"ORG": "#fde68a", "PER": "#bfdbfe"}


def highlight_html(text: str, spans: list[tuple[int, int, str]]) -> str:
    """`text` as HTML with each (start, end, type) span in a <mark>. Feed text is untrusted: every character
    of it is escaped, so no HTML or Markdown from a feed ever renders; only our own tags do."""
    import html

    out, pos = [], 0
    for start, end, kind in sorted(spans):
        if start < pos or end > len(text) or start >= end:
            continue  # overlapping or stale offsets: leave that text plain rather than garble it
        out.append(html.escape(text[pos:start]))
        color = MENTION_COLORS.get(kind, "#e5e7eb")
        out.append(f'<mark style="background:{color}" title="{html.escape(kind)}">{html.escape(text[start:end])}'
                   f'<sup>{html.escape(kind)}</sup></mark>')
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out)


def emerging_table(table: pd.DataFrame) -> pd.DataFrame:
    if table.empty:
        return table
    out = table.copy()
    for col in ("first_seen", "last_seen"):
        out[col] = out[col].dt.tz_convert(None)
    out["neg_share"] = (out["neg_share"] * 100).round(0)
    return out.rename(columns={"recent_items": "items (recent)", "prior_items": "items (before)",
                               "neg_share": "negative %"})
