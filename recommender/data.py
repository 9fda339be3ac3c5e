"""Interaction and item data: file loaders with column mapping, and a validation report.

Canonical frames used everywhere else:
- interactions: `user_id` (str), `item_id` (str), `event` (str), `weight` (float), `timestamp` (int, Unix s)
- items: `item_id` (str), `title`, `description` (str), `tags` (list[str]), `created_at` (Int64 Unix s or <NA>),
  `text` (what the text model reads)

Rows that cannot be used (unknown item, duplicate, missing timestamp, unknown event type) are removed
from the clean frame but kept in `ValidationReport.rejected` with a reason, and counted: never silently lost.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from recommender.config import EventWeights
from recommender.errors import RecDataError

if TYPE_CHECKING:
    from shared.pii.policy import RedactionPolicy

INTERACTION_COLS = ["user_id", "item_id", "event", "weight", "timestamp"]
ITEM_COLS = ["item_id", "title", "description", "tags", "created_at", "text"]


@dataclass(frozen=True)
class InteractionColumns:
    """Which column of the user's file holds each canonical field (event may be absent: then `default_event`)."""

    user_id: str = "user_id"
    item_id: str = "item_id"
    timestamp: str = "timestamp"
    event: str | None = "event"
    default_event: str = "view"


@dataclass(frozen=True)
class ItemColumns:
    item_id: str = "item_id"
    title: str = "title"
    description: str | None = "description"
    tags: str | None = "tags"
    created_at: str | None = "created_at"


@dataclass
class ValidationReport:
    """What was found wrong with the data, counted per reason, with the offending rows kept."""

    n_input: int = 0
    n_clean: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    rejected: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def ok(self) -> bool:
        return not any(self.counts.values())

    def summary(self) -> str:
        if self.ok:
            return f"{self.n_clean} interactions, no problems found."
        parts = ", ".join(f"{n} {reason}" for reason, n in self.counts.items() if n)
        return f"{self.n_clean} of {self.n_input} interactions usable; set aside: {parts}."


def read_table(path: str | Path) -> pd.DataFrame:
    """CSV, JSONL/JSON or Parquet by file suffix; any parse failure becomes one RecDataError."""
    path = Path(path)
    if not path.is_file():
        raise RecDataError(f"File not found: {path}. Check the path.")
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".tsv", ".txt"):
            return pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",", dtype=str, keep_default_na=True)
        if suffix in (".jsonl", ".ndjson"):
            return pd.read_json(path, lines=True, dtype=False)
        if suffix == ".json":
            return pd.read_json(path, dtype=False)
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path)
    except (ValueError, TypeError, RecursionError, UnicodeDecodeError, OSError, pd.errors.ParserError) as exc:
        raise RecDataError(f"Could not read {path.name} as {suffix.lstrip('.')}: {exc}. "
                           "Check that the file is well-formed.") from exc
    raise RecDataError(f"Unsupported file type {suffix!r} for {path.name}: use .csv, .tsv, .jsonl or .parquet.")


def _require(df: pd.DataFrame, cols: dict[str, str | None], what: str) -> None:
    missing = [f"{canon} (mapped to {src!r})" for canon, src in cols.items() if src and src not in df.columns]
    if missing:
        raise RecDataError(f"The {what} data lacks column(s) {', '.join(missing)}; it has "
                           f"{list(df.columns)}. Map the columns with the column-mapping options.")


def parse_timestamps(values: pd.Series) -> pd.Series:
    """Unix seconds (Int64, <NA> where missing or unparseable) from numbers or date strings."""
    num = pd.to_numeric(values, errors="coerce")
    out = pd.Series(pd.NA, index=values.index, dtype="Int64")
    is_num = num.notna()
    out[is_num] = num[is_num].astype("int64")
    rest = ~is_num & values.notna() & (values.astype(str).str.strip() != "")
    if rest.any():
        dt = pd.to_datetime(values[rest].astype(str), errors="coerce", utc=True, format="mixed")
        good = dt.notna()
        # the datetime64 unit differs across pandas versions: go through Timestamp.timestamp()
        out[dt.index[good]] = [int(t.timestamp()) for t in dt[good]]
    return out


def normalize_interactions(df: pd.DataFrame, columns: InteractionColumns = InteractionColumns(),
                           event_weights: EventWeights = EventWeights()) -> pd.DataFrame:
    """Rename/convert a user's frame into the canonical interaction frame (no rows removed here)."""
    mapping = {"user_id": columns.user_id, "item_id": columns.item_id, "timestamp": columns.timestamp,
               "event": columns.event if columns.event and columns.event in df.columns else None}
    _require(df, {k: v for k, v in mapping.items() if k != "event"}, "interaction")
    out = pd.DataFrame({
        "user_id": df[columns.user_id].astype("string").str.strip(),
        "item_id": df[columns.item_id].astype("string").str.strip(),
        "event": (df[mapping["event"]].astype("string").str.strip().str.lower()
                  if mapping["event"] else pd.Series(columns.default_event, index=df.index, dtype="string")),
        "timestamp": parse_timestamps(df[columns.timestamp]),
    })
    out["weight"] = [event_weights.get(e) if isinstance(e, str) else None for e in out["event"]]
    out["weight"] = pd.to_numeric(out["weight"], errors="coerce")
    return out[INTERACTION_COLS]


def item_text(title: str, description: str, tags: list[str]) -> str:
    """The text the interest model reads for an item: title, description, tags."""
    parts = [str(title).strip().rstrip(".")]
    if description and str(description).strip():
        parts.append(str(description).strip().rstrip("."))
    if tags:
        parts.append(", ".join(tags))
    return ". ".join(p for p in parts if p)


def _tags(value: object) -> list[str]:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    if isinstance(value, (list, tuple, np.ndarray)):
        return [str(t).strip() for t in value if str(t).strip()]
    text = str(value).strip()
    if text.startswith("["):
        try:
            return [str(t).strip() for t in json.loads(text) if str(t).strip()]
        except json.JSONDecodeError:
            pass
    sep = "|" if "|" in text else ","
    return [t.strip() for t in text.split(sep) if t.strip()]


def normalize_items(df: pd.DataFrame, columns: ItemColumns = ItemColumns()) -> pd.DataFrame:
    """Canonical item frame; refuses a catalogue without ids or without any text."""
    _require(df, {"item_id": columns.item_id, "title": columns.title}, "item")
    n = len(df)

    def col(name: str | None) -> pd.Series:
        return df[name] if name and name in df.columns else pd.Series([None] * n, index=df.index)

    out = pd.DataFrame({
        "item_id": df[columns.item_id].astype("string").str.strip(),
        "title": col(columns.title).fillna("").astype(str).str.strip(),
        "description": col(columns.description).fillna("").astype(str).str.strip(),
        "tags": [_tags(v) for v in col(columns.tags)],
        "created_at": parse_timestamps(col(columns.created_at)),
    })
    if out["item_id"].isna().any() or (out["item_id"] == "").any():
        raise RecDataError(f"{int((out['item_id'].isna() | (out['item_id'] == '')).sum())} item(s) have no id: "
                           "every item needs a unique id.")
    dup = out["item_id"][out["item_id"].duplicated()]
    if len(dup):
        raise RecDataError(f"Item ids must be unique; repeated: {sorted(set(dup))[:5]}.")
    out["text"] = [item_text(t, d, g) for t, d, g in zip(out["title"], out["description"], out["tags"])]
    if n == 0:
        raise RecDataError("The item catalogue is empty: give at least one item with a title or description.")
    if (out["text"].str.len() == 0).all():
        raise RecDataError("The item catalogue has no text (all titles, descriptions and tags are empty): "
                           "the text model needs at least a title per item.")
    return out.reset_index(drop=True)


def redact_items(items: pd.DataFrame, policy: RedactionPolicy | None = None) -> pd.DataFrame:
    """Titles and descriptions with PII masked (and the model text rebuilt from them)."""
    from shared.pii.policy import default_policy

    policy = policy or default_policy()
    out = items.copy()
    out["title"] = [policy.redact(t) for t in out["title"]]
    out["description"] = [policy.redact(d) for d in out["description"]]
    out["text"] = [item_text(t, d, g) for t, d, g in zip(out["title"], out["description"], out["tags"])]
    return out


def validate_interactions(interactions: pd.DataFrame, items: pd.DataFrame) -> tuple[pd.DataFrame, ValidationReport]:
    """Split canonical interactions into usable rows and rejected rows (with a `reason`)."""
    df = interactions.copy()
    reason = pd.Series("", index=df.index, dtype=object)
    checks = [
        ("missing user id", df["user_id"].isna() | (df["user_id"] == "")),
        ("missing item id", df["item_id"].isna() | (df["item_id"] == "")),
        ("unknown item id", ~df["item_id"].isin(set(items["item_id"]))),
        ("missing timestamp", df["timestamp"].isna()),
        ("unknown event type", df["weight"].isna()),
    ]
    counts: dict[str, int] = {}
    for name, mask in checks:
        mask = mask.fillna(True).astype(bool) & (reason == "")
        reason[mask] = name
        counts[name] = int(mask.sum())
    dup = df.duplicated(["user_id", "item_id", "event", "timestamp"], keep="first") & (reason == "")
    reason[dup] = "duplicate event"
    counts["duplicate event"] = int(dup.sum())
    bad = reason != ""
    rejected = df[bad].assign(reason=reason[bad])
    clean = df[~bad].copy()
    clean["timestamp"] = clean["timestamp"].astype("int64")
    clean["weight"] = clean["weight"].astype(float)
    clean["user_id"] = clean["user_id"].astype(str)
    clean["item_id"] = clean["item_id"].astype(str)
    clean["event"] = clean["event"].astype(str)
    report = ValidationReport(n_input=len(df), n_clean=len(clean), counts=counts, rejected=rejected)
    return clean.sort_values("timestamp", kind="stable").reset_index(drop=True), report


@dataclass
class Dataset:
    interactions: pd.DataFrame
    items: pd.DataFrame
    report: ValidationReport


def load_dataset(interactions_path: str | Path, items_path: str | Path,
                 interaction_columns: InteractionColumns = InteractionColumns(),
                 item_columns: ItemColumns = ItemColumns(),
                 event_weights: EventWeights = EventWeights()) -> Dataset:
    """Read, map and validate both files. Raises RecDataError if nothing usable remains.

    Item titles and descriptions pass through the suite's redaction policy (shared/pii/policy.py) here, before
    they are embedded, shown or saved with the artifact."""
    items = redact_items(normalize_items(read_table(items_path), item_columns))
    raw = normalize_interactions(read_table(interactions_path), interaction_columns, event_weights)
    clean, report = validate_interactions(raw, items)
    if clean.empty:
        raise RecDataError(f"No usable interactions in {Path(interactions_path).name}: {report.summary()}")
    return Dataset(clean, items, report)


def movielens_dataset() -> Dataset:
    """MovieLens-100k in the canonical form: every rating is one `rating` event; text = title, year, genres."""
    from shared.datasets.movielens import load_movielens_100k

    inter, items, _users = load_movielens_100k()
    titles = [f"{t} ({int(y)})" if pd.notna(y) else t for t, y in zip(items["title"], items["year"])]
    item_frame = normalize_items(pd.DataFrame({"item_id": items["item_id"], "title": titles,
                                               "tags": [[g for g in gs if g != "unknown"] for gs in items["genres"]]}))
    raw = normalize_interactions(inter.assign(event="rating"))
    clean, report = validate_interactions(raw, item_frame)
    return Dataset(clean, item_frame, report)
