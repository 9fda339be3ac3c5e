"""The `Recommender` service used by the app, the CLI, the demo and the bench.

It holds the fitted parts (catalogue, item vectors and index, text model, behaviour signals, ranker,
histories) and answers: recommend for a user / a few items / a free-text interest; add a new item
(text only) so it can be recommended at once; "what-if" reach of an item that is not added; offline
metrics of a configuration on the held-out test window.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from recommender.ann import ItemIndex, LayeredIndex
from recommender.candidates import CandidateSet, Signals, UserContext, generate
from recommender.config import CandidateConfig, RecConfig
from recommender.data import item_text
from recommender.errors import (
    EmptyHistoryError,
    ModelNotTrainedError,
    RecDataError,
    UnknownItemError,
    UnknownUserError,
)
from recommender.explain import driving_signal, explain
from recommender.ranker import Ranker
from recommender.rerank import blend, fresh_slots, minmax, mmr
from recommender.signals_io import load_signals, save_signals
from recommender.text_model import TextInterestModel, history_text
from shared import retrieval_metrics as M
from shared.encoders import Encoder
from shared.threads import one_thread

ARTIFACT_VERSION = 3  # 3: signals as npz + JSON (no pickle); 2: stump ranker over 4 label windows
RESULT_COLUMNS = ["rank", "item_id", "title", "score", "ranker", "text", "collaborative", "popularity",
                  "recency", "signal", "reason"]


@dataclass
class Histories:
    """Per-user history rows (catalogue positions, weights), oldest first."""

    positions: dict[str, np.ndarray] = field(default_factory=dict)
    weights: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def from_frame(cls, interactions: pd.DataFrame, item_pos: dict[str, int]) -> Histories:
        df = interactions.sort_values(["user_id", "timestamp"], kind="stable")
        pos = df["item_id"].map(item_pos)
        df = df[pos.notna()].assign(pos=pos[pos.notna()].astype(np.int64))
        h = cls()
        for user, g in df.groupby("user_id", sort=False):
            h.positions[str(user)] = g["pos"].to_numpy(np.int64)
            h.weights[str(user)] = g["weight"].to_numpy(np.float32)
        return h


class Recommender:
    def __init__(self, items: pd.DataFrame, item_vectors: np.ndarray, encoder: Encoder, signals: Signals,
                 history: pd.DataFrame, ranker: Ranker | None = None, index: ItemIndex | None = None,
                 candidates: CandidateConfig = CandidateConfig(), history_len: int = 5,
                 test: pd.DataFrame | None = None, meta: dict[str, Any] | None = None,
                 user_vectors: dict[str, np.ndarray] | None = None) -> None:
        self.items = items.reset_index(drop=True)
        self.item_pos = {i: k for k, i in enumerate(self.items["item_id"])}
        self.titles = self.items["title"].tolist()
        self.item_ids = self.items["item_id"].tolist()  # plain list: no pandas on the request path
        self.item_vectors = np.ascontiguousarray(item_vectors, dtype=np.float32)
        self.encoder = encoder
        self.signals = signals
        self.ranker = ranker
        if index is None:
            index = ItemIndex(self.item_vectors.shape[1], "hnsw" if len(items) > 5000 else "flat")
            index.add(self.item_vectors, np.arange(len(items)))
        self.index = LayeredIndex(index)
        self.candidates = candidates
        self.history_len = history_len
        self.history = history.reset_index(drop=True)
        self.histories = Histories.from_frame(self.history, self.item_pos)
        self.test = test
        self.meta = meta or {}
        self.user_vectors = user_vectors if user_vectors is not None else {}
        self._lock = threading.RLock()

    # ---- who is asking -------------------------------------------------------------------------
    def users(self) -> list[str]:
        return sorted(self.histories.positions, key=lambda u: (len(u), u))

    def user_history(self, user_id: str, limit: int | None = 20) -> pd.DataFrame:
        """The user's most recent interactions, newest first, with item titles."""
        if str(user_id) not in self.histories.positions:
            raise UnknownUserError(user_id)
        rows = self.history[self.history["user_id"] == str(user_id)].sort_values("timestamp", ascending=False)
        rows = rows.head(limit) if limit else rows
        out = rows.merge(self.items[["item_id", "title", "tags"]], on="item_id", how="left")
        out["when"] = pd.to_datetime(out["timestamp"], unit="s", utc=True)
        return out[["when", "item_id", "title", "tags", "event"]].reset_index(drop=True)

    def user_vector(self, user_id: str) -> np.ndarray:
        """Cached text-model vector of a known user's recent history (recomputed only when missing)."""
        vec = self.user_vectors.get(user_id)
        if vec is None:
            vec = self._history_vector(self.histories.positions[user_id])
            self.user_vectors[user_id] = vec
        return vec

    def precompute_user_vectors(self, batch: int = 256) -> None:
        users = [u for u in self.histories.positions if u not in self.user_vectors]
        for start in range(0, len(users), batch):
            chunk = users[start:start + batch]
            texts = [self._history_string(self.histories.positions[u]) for u in chunk]
            for u, v in zip(chunk, self.encoder.encode(texts)):
                self.user_vectors[u] = v

    def _history_string(self, positions: np.ndarray) -> str:
        return history_text([self.items["text"].iat[int(p)] for p in positions[-self.history_len:]])

    def _history_vector(self, positions: np.ndarray) -> np.ndarray:
        return self.encoder.encode([self._history_string(positions)])[0]

    def context(self, user_id: str | None = None, history: Sequence[str] | None = None,
                text: str | None = None) -> UserContext:
        """Resolve the three ways of asking into one UserContext; clear errors for bad input."""
        text = text.strip() if isinstance(text, str) else None
        if user_id is not None and str(user_id).strip() != "":
            user_id = str(user_id).strip()
            if user_id not in self.histories.positions:
                raise UnknownUserError(user_id)
            positions = self.histories.positions[user_id]
            weights = self.histories.weights[user_id]
            vector = self.user_vector(user_id)
        elif history:
            unknown = [h for h in history if str(h) not in self.item_pos]
            if unknown:
                raise UnknownItemError(unknown)
            positions = np.array([self.item_pos[str(h)] for h in history], np.int64)
            weights = np.ones(len(positions), np.float32)
            vector = self._history_vector(positions)
        elif text:
            positions, weights, vector = np.zeros(0, np.int64), np.zeros(0, np.float32), None
        else:
            raise EmptyHistoryError("Nothing to recommend from: pick a user, give at least one item the "
                                    "person interacted with, or type a free-text interest.")
        if text:
            tv = self.encoder.encode([text])[0]
            vector = tv if vector is None else _unit(vector + tv)
        return UserContext(positions, weights, vector)

    # ---- recommending --------------------------------------------------------------------------
    def candidate_set(self, ctx: UserContext, exclude_seen: bool = True) -> CandidateSet:
        return generate(ctx, self.signals, self.index, self.item_vectors, self.candidates, exclude_seen)

    def signal_scores(self, cands: CandidateSet, need_ranker: bool = True, has_history: bool = True
                      ) -> dict[str, np.ndarray]:
        """Raw per-signal scores of each candidate (scaled later, per list)."""
        out = {
            "text": cands.column("text"),
            "collaborative": 0.5 * minmax(cands.column("cooc")) + 0.5 * minmax(cands.column("als")),
            "popularity": cands.column("pop_log") + cands.column("pop_week"),
            "recency": -np.nan_to_num(cands.column("age_days"), nan=0.0),
        }
        if self.ranker is not None and need_ranker:
            if has_history:
                out["ranker"] = self.ranker.predict(cands.features)
            else:
                # The ranker learned from users with histories; with only a free-text interest its CF
                # features are all zero and it falls back to "popular". Text match + a light popularity
                # prior takes its place.
                out["ranker"] = minmax(out["text"]) + 0.2 * minmax(out["popularity"])
        return out

    def recommend(self, user_id: str | None = None, *, history: Sequence[str] | None = None,
                  text: str | None = None, config: RecConfig = RecConfig(), explain_items: bool = True
                  ) -> pd.DataFrame:
        """Top-`config.n` items with per-signal scores (each scaled 0-1 over the candidates) and a reason."""
        return pd.DataFrame(self.recommend_columns(user_id, history=history, text=text, config=config,
                                                   explain_items=explain_items), columns=RESULT_COLUMNS)

    def recommend_columns(self, user_id: str | None = None, *, history: Sequence[str] | None = None,
                          text: str | None = None, config: RecConfig = RecConfig(), explain_items: bool = True
                          ) -> dict[str, list[Any]]:
        """`recommend` as plain column lists (RESULT_COLUMNS): what the HTTP API serialises, without the
        DataFrame (building one with string columns costs about as much as the ranking itself)."""
        with self._lock, one_thread(blas=True):
            ctx = self.context(user_id, history, text)
            cands = self.candidate_set(ctx, config.diversity.exclude_seen)
            if not len(cands.positions):
                return {c: [] for c in RESULT_COLUMNS}
            weights = config.blend.weights()
            if weights["ranker"] > 0 and self.ranker is None:
                raise ModelNotTrainedError("This recommender has no trained ranker: set the ranker weight to 0.")
            raw = self.signal_scores(cands, need_ranker=weights["ranker"] > 0, has_history=len(ctx.positions) > 0)
            final = blend(raw, config.blend)
            pool = np.argsort(-final, kind="stable")[: max(config.n * 5, 50)]
            order = pool[mmr(final[pool], self.item_vectors[cands.positions[pool]], config.n,
                             config.diversity.mmr_lambda)]
            is_fresh = self.signals.popularity.count[cands.positions] == 0
            order = fresh_slots(order, is_fresh, raw["text"], config.n, config.diversity.fresh_share)
            scaled = {k: minmax(v)[order] for k, v in raw.items()}
            items = cands.positions[order]
            fresh = is_fresh[order]
            signals_, reasons = [], []
            for r, item in enumerate(items):
                contrib = {k: float(v[r]) for k, v in scaled.items() if k != "ranker"}
                sig = "text" if fresh[r] else driving_signal({k: v * (weights[k] or 0.25) for k, v in contrib.items()})
                reason = explain(int(item), sig, ctx.positions, self.titles, self.item_vectors, self.signals,
                                 text) if explain_items else ""
                if fresh[r] and explain_items:
                    reason = f"New, no views yet — {reason[0].lower()}{reason[1:]}"
                signals_.append(sig)
                reasons.append(reason)
            return {
                "rank": list(range(1, len(items) + 1)), "item_id": [self.item_ids[i] for i in items],
                "title": [self.titles[i] for i in items], "score": final[order].tolist(),
                "ranker": scaled.get("ranker", np.full(len(items), np.nan)).tolist(), "text": scaled["text"].tolist(),
                "collaborative": scaled["collaborative"].tolist(), "popularity": scaled["popularity"].tolist(),
                "recency": scaled["recency"].tolist(), "signal": signals_, "reason": reasons}

    # ---- new items -----------------------------------------------------------------------------
    def add_item(self, item_id: str, title: str, description: str = "", tags: Sequence[str] = ()) -> int:
        """Embed a text-only item and make it recommendable at once; returns its catalogue row."""
        item_id = str(item_id).strip()
        if not item_id:
            raise RecDataError("A new item needs an id.")
        if item_id in self.item_pos:
            raise RecDataError(f"Item id {item_id!r} is already in the catalogue: choose another id.")
        from shared.pii.policy import default_policy

        policy = default_policy()  # the item is shown, embedded and saved: no raw PII in any of them
        title, description = policy.redact(title), policy.redact(description)
        text = item_text(title, description, list(tags))
        if not text.strip():
            raise RecDataError("A new item needs a title or a description: the text model has nothing to read.")
        with self._lock:
            vec = self.encoder.encode([text])
            row = len(self.items)
            self.items = pd.concat([self.items, pd.DataFrame([{
                "item_id": item_id, "title": title.strip() or item_id, "description": description,
                "tags": list(tags), "created_at": pd.NA, "text": text}])], ignore_index=True)
            self.item_pos[item_id] = row
            self.titles.append(title.strip() or item_id)
            self.item_ids.append(item_id)
            self.item_vectors = np.vstack([self.item_vectors, vec]).astype(np.float32)
            self.signals.extend(len(self.items))
            self.index.add(vec, np.array([row]))
            return row

    def _drop_last_item(self) -> None:
        row = len(self.items) - 1
        self.index.remove(np.array([row]))
        del self.item_pos[self.items["item_id"].iat[row]]
        self.items = self.items.iloc[:row].reset_index(drop=True)
        self.titles.pop()
        self.item_ids.pop()
        self.item_vectors = self.item_vectors[:row]
        pop = self.signals.popularity
        pop.count, pop.recent = pop.count[:row], pop.recent[:row]
        pop.first_seen, pop.last_seen = pop.first_seen[:row], pop.last_seen[:row]

    @contextmanager
    def temporary_item(self, title: str, description: str = "", tags: Sequence[str] = ()) -> Iterator[str]:
        with self._lock:
            item_id = "__what_if__"
            self.add_item(item_id, title, description, tags)
            try:
                yield item_id
            finally:
                self._drop_last_item()

    def what_if(self, title: str, description: str = "", tags: Sequence[str] = (), n_users: int = 10,
                config: RecConfig = RecConfig(), shortlist: int = 40, depth: int = 50) -> pd.DataFrame:
        """Which users a new item would reach: the users whose interest vector is closest to it, and
        the rank it would get in each one's top-`depth` list under `config` (NaN = not in it)."""
        with self.temporary_item(title, description, tags) as item_id:
            self.precompute_user_vectors()
            users = list(self.user_vectors)
            mat = np.stack([self.user_vectors[u] for u in users])
            affinity = mat @ self.item_vectors[self.item_pos[item_id]]
            top = np.argsort(-affinity)[:shortlist]
            rows = []
            for j in top:
                recs = self.recommend(users[j], config=RecConfig(blend=config.blend, diversity=config.diversity,
                                                                 n=max(depth, config.n)), explain_items=False)
                hit = recs.index[recs["item_id"] == item_id]
                rows.append({"user_id": users[j], "affinity": float(affinity[j]),
                             "rank": int(recs["rank"].iat[hit[0]]) if len(hit) else np.nan,
                             "in_top_n": bool(len(hit)) and int(recs["rank"].iat[hit[0]]) <= config.n,
                             "recent_history": "; ".join(self.user_history(users[j], 3)["title"])})
            out = pd.DataFrame(rows)
            out = out.sort_values(["rank", "affinity"], ascending=[True, False], na_position="last")
            return out.head(n_users).reset_index(drop=True)

    # ---- offline metrics -----------------------------------------------------------------------
    def test_targets(self, users: Sequence[str] | None = None) -> dict[str, set[str]]:
        """Held-out test-window items per known user (items already in the history excluded)."""
        if self.test is None or self.test.empty:
            raise ModelNotTrainedError("This recommender has no held-out test window to evaluate on.")
        out: dict[str, set[str]] = {}
        for user, g in self.test.groupby("user_id"):
            if user in self.histories.positions:
                seen = {self.items["item_id"].iat[p] for p in self.histories.positions[user]}
                rel = set(g["item_id"]) - seen
                if rel:
                    out[str(user)] = rel
        if users is not None:
            out = {u: out[u] for u in users if u in out}
        return out

    def evaluate(self, config: RecConfig = RecConfig(), max_users: int | None = None, k: int = 10
                 ) -> dict[str, float]:
        targets = self.test_targets()
        users = sorted(targets)[:max_users] if max_users else sorted(targets)
        cfg = RecConfig(blend=config.blend, diversity=config.diversity, n=max(k, config.n))
        lists = {u: self.recommend(u, config=cfg, explain_items=False)["item_id"].tolist() for u in users}
        return M.evaluate_rankings(lists, {u: targets[u] for u in users}, len(self.items), k)

    # ---- persistence ---------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        """Write to a temp folder next to `path`, then swap it in: a crash never leaves half an artifact."""
        path = Path(path)
        if path.exists() and not (path / "meta.json").is_file():  # replacing it would delete someone's folder
            raise RecDataError(f"{path} exists and is not a saved recommender: choose another name or folder.")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=path.name + ".", dir=path.parent))
        try:
            self.items.to_parquet(tmp / "items.parquet")
            self.history.to_parquet(tmp / "history.parquet")
            if self.test is not None:
                self.test.to_parquet(tmp / "test.parquet")
            np.save(tmp / "item_vectors.npy", self.item_vectors)
            self.index.main.save(tmp / "index.faiss")
            if self.user_vectors:
                users = list(self.user_vectors)
                np.save(tmp / "user_vectors.npy", np.stack([self.user_vectors[u] for u in users]))
                (tmp / "user_vectors.json").write_text(json.dumps(users))
            save_signals(self.signals, tmp)
            if self.ranker is not None:
                self.ranker.save(tmp / "ranker.txt")
            if not isinstance(self.encoder, TextInterestModel):
                raise RecDataError("Only a TextInterestModel encoder can be saved.")
            self.encoder.save(tmp / "text_model")
            meta = {**self.meta, "version": ARTIFACT_VERSION, "history_len": self.history_len,
                    "candidates": self.candidates.__dict__}
            (tmp / "meta.json").write_text(json.dumps(meta, indent=2, default=str))
            old = path.with_name(path.name + ".old")
            if path.exists():
                os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    @classmethod
    def load(cls, path: Path, encoder: Encoder | None = None) -> Recommender:
        path = Path(path)
        if not (path / "meta.json").is_file():
            raise ModelNotTrainedError(f"No trained recommender at {path}: run `verticals rec train` "
                                       "(or ./scripts/demo) first.")
        meta = json.loads((path / "meta.json").read_text())
        if meta.get("version") != ARTIFACT_VERSION:  # older ones kept signals in a pickle: never loaded
            raise ModelNotTrainedError(f"The recommender at {path} was saved by another version "
                                       f"({meta.get('version')}; this one reads {ARTIFACT_VERSION}): retrain it "
                                       "with `verticals rec train` (or `verticals rec prepare --force`).")
        signals = load_signals(path)
        user_vectors = None
        if (path / "user_vectors.npy").is_file():
            users = json.loads((path / "user_vectors.json").read_text())
            user_vectors = dict(zip(users, np.load(path / "user_vectors.npy")))
        test = pd.read_parquet(path / "test.parquet") if (path / "test.parquet").is_file() else None
        items = pd.read_parquet(path / "items.parquet")
        items["tags"] = items["tags"].map(list)
        return cls(items=items, item_vectors=np.load(path / "item_vectors.npy"),
                   encoder=encoder or TextInterestModel.load(path / "text_model"), signals=signals,
                   history=pd.read_parquet(path / "history.parquet"),
                   ranker=Ranker.load(path / "ranker.txt") if (path / "ranker.txt").is_file() else None,
                   index=ItemIndex.load(path / "index.faiss"), candidates=CandidateConfig(**meta["candidates"]),
                   history_len=meta["history_len"], test=test, meta=meta, user_vectors=user_vectors)


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v
