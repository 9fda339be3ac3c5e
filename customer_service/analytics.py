"""Console analytics: how the bot's proposals were routed, top intents, top unanswered questions and
response latency. Pure functions over a proposals frame, so they are tested on hand-built frames."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from customer_service.store import Store

PROPOSAL_COLUMNS = ["proposal_id", "conversation_id", "route", "intent", "confidence", "latency_ms", "edited",
                    "sent", "rating", "question", "created_at"]


def proposals_frame(store: Store, workspace_id: int) -> pd.DataFrame:
    rows = []
    for conv in store.conversations(workspace_id):
        texts = {m.id: m.text for m in store.messages(conv.id)}
        for p in store.proposals(conversation_id=conv.id):
            rows.append([p.id, conv.id, p.route, p.intent, p.confidence, p.latency_ms, p.edited,
                         p.sent_text is not None, p.rating, texts.get(p.message_id, ""), p.created_at])
    return pd.DataFrame(rows, columns=PROPOSAL_COLUMNS)


def route_rates(frame: pd.DataFrame) -> dict[str, float]:
    """Share of proposals answered by template, by retrieval, and handed over."""
    total = len(frame)
    return {route: (float((frame["route"] == route).sum()) / total if total else 0.0)
            for route in ("template", "retrieval", "handoff")}


def top_intents(frame: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    hits = frame[frame["route"] == "template"]
    counts = hits.groupby("intent").size().sort_values(ascending=False).head(n)
    return counts.rename("count").reset_index()


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", "", str(text).lower())).strip()


def top_unanswered(frame: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """Handed-over questions, grouped after case/punctuation folding: what the knowledge base lacks."""
    handed = frame[frame["route"] == "handoff"]
    if handed.empty:
        return pd.DataFrame(columns=["question", "count"])
    keys = handed["question"].map(_normalise)
    grouped = handed.assign(key=keys).groupby("key").agg(question=("question", "first"), count=("question", "size"))
    return grouped.sort_values(["count", "question"], ascending=[False, True]).head(n).reset_index(drop=True)


def latency_summary(frame: pd.DataFrame) -> dict[str, float]:
    if frame.empty:
        return {"p50_ms": float("nan"), "p95_ms": float("nan"), "n": 0}
    values = frame["latency_ms"].to_numpy(dtype=float)
    return {"p50_ms": float(np.percentile(values, 50)), "p95_ms": float(np.percentile(values, 95)), "n": len(values)}


def agent_actions(frame: pd.DataFrame) -> dict[str, float]:
    """How agents used proposals: sent as is, edited, thumbs up/down."""
    sent = frame[frame["sent"]]
    return {"sent": len(sent), "sent_unchanged": int((~sent["edited"]).sum()),
            "edited": int(sent["edited"].sum()), "thumbs_up": int((frame["rating"] == 1).sum()),
            "thumbs_down": int((frame["rating"] == -1).sum())}
