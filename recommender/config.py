"""Small validated settings: how signals are blended, how diverse the list is, how models are trained.

Each dataclass checks itself in `__post_init__` and raises `RecConfigError` naming the bad value, so a
slider, a CLI flag or a saved JSON file can never smuggle an out-of-range weight into the ranker.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from recommender.errors import RecConfigError

SIGNALS = ("ranker", "text", "collaborative", "popularity", "recency")


def _unit(name: str, value: float) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or math.isnan(value) \
            or not 0.0 <= value <= 1.0:
        raise RecConfigError(f"{name} must be a number between 0 and 1, got {value!r}.")


@dataclass(frozen=True)
class BlendConfig:
    """Weights of the per-signal scores (each min-max scaled over the candidates) in the final score."""

    ranker: float = field(default=1.0, metadata={"help": "learned LambdaRank score"})
    text: float = field(default=0.0, metadata={"help": "fine-tuned text interest model (cosine)"})
    collaborative: float = field(default=0.0, metadata={"help": "item co-occurrence + ALS"})
    popularity: float = field(default=0.0, metadata={"help": "interactions in the last week"})
    recency: float = field(default=0.0, metadata={"help": "how new the item is"})

    def __post_init__(self) -> None:
        for f in fields(self):
            _unit(f"blend weight {f.name!r}", getattr(self, f.name))
        if sum(getattr(self, f.name) for f in fields(self)) <= 0:
            raise RecConfigError("All blend weights are 0: give at least one signal a weight above 0.")

    def weights(self) -> dict[str, float]:
        return {f.name: float(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True)
class DiversityConfig:
    """MMR re-rank: lambda 1.0 = pure relevance, lower trades relevance for dissimilar items."""

    mmr_lambda: float = field(default=1.0, metadata={"help": "1 = relevance only, 0 = diversity only"})
    exclude_seen: bool = field(default=True, metadata={"help": "drop items already in the history"})
    fresh_share: float = field(default=0.1, metadata={
        "help": "share of the list kept for items with no interactions yet, picked by text match "
                "(the ranker alone would never show them: it learned that clicks predict clicks)"})

    def __post_init__(self) -> None:
        _unit("mmr_lambda", self.mmr_lambda)
        if not isinstance(self.fresh_share, (int, float)) or not 0.0 <= self.fresh_share <= 0.5:
            raise RecConfigError(f"fresh_share must be between 0 and 0.5, got {self.fresh_share!r}.")


@dataclass(frozen=True)
class RecConfig:
    """One named preview configuration: blend + diversity + list length."""

    blend: BlendConfig = field(default_factory=BlendConfig)
    diversity: DiversityConfig = field(default_factory=DiversityConfig)
    n: int = field(default=10, metadata={"help": "length of the recommendation list"})

    def __post_init__(self) -> None:
        if not isinstance(self.n, int) or isinstance(self.n, bool) or not 1 <= self.n <= 200:
            raise RecConfigError(f"n must be an integer between 1 and 200, got {self.n!r}.")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RecConfig:
        try:
            return cls(blend=BlendConfig(**data.get("blend", {})),
                       diversity=DiversityConfig(**data.get("diversity", {})),
                       n=data.get("n", 10))
        except TypeError as exc:  # unknown keys in a hand-edited file
            raise RecConfigError(f"Not a recommender configuration: {exc}.") from exc


@dataclass(frozen=True)
class EventWeights:
    """Weight of each interaction type in the implicit-feedback matrix (a purchase counts more than a view)."""

    weights: dict[str, float] = field(default_factory=lambda: {
        "view": 1.0, "click": 1.0, "rating": 1.0, "comment": 2.0, "share": 3.0, "purchase": 4.0})
    default: float | None = field(default=None, metadata={
        "help": "weight of event types not listed; None makes them a validation finding"})

    def __post_init__(self) -> None:
        for name, w in self.weights.items():
            if not isinstance(w, (int, float)) or isinstance(w, bool) or math.isnan(w) or not 0 < w <= 100:
                raise RecConfigError(f"Event weight for {name!r} must be in (0, 100], got {w!r}.")
        if self.default is not None and not 0 < self.default <= 100:
            raise RecConfigError(f"Default event weight must be in (0, 100], got {self.default!r}.")

    def get(self, event: str) -> float | None:
        return self.weights.get(event, self.default)


@dataclass(frozen=True)
class TextTrainConfig:
    """Contrastive fine-tuning of the text interest model on (history, next item) pairs."""

    history_len: int = field(default=5, metadata={"help": "recent items that make up the history text"})
    max_pairs: int = field(default=1024, metadata={"help": "pairs sampled for fine-tuning (CPU budget)"})
    epochs: int = field(default=1, metadata={"help": "passes over the sampled pairs"})
    batch_size: int = field(default=32, metadata={"help": "in-batch negatives per step"})
    learning_rate: float = field(default=3e-5, metadata={"help": "AdamW learning rate"})
    max_seq_length: int = field(default=64, metadata={"help": "tokens per text (histories are truncated)"})
    keep_if_better: bool = field(default=True, metadata={
        "help": "serve the fine-tuned model only if its text-only NDCG@10 on the validation window beats "
                "the base encoder's; otherwise keep the base encoder (the result is recorded either way)"})
    seed: int = 13

    def __post_init__(self) -> None:
        for name in ("history_len", "epochs", "batch_size", "max_seq_length"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < 1:
                raise RecConfigError(f"{name} must be a positive integer, got {v!r}.")
        if not isinstance(self.max_pairs, int) or self.max_pairs < 0:
            raise RecConfigError(f"max_pairs must be an integer >= 0 (0 = no fine-tuning), got {self.max_pairs!r}.")
        if not 0 < self.learning_rate < 1:
            raise RecConfigError(f"learning_rate must be in (0, 1), got {self.learning_rate!r}.")


@dataclass(frozen=True)
class CandidateConfig:
    """How many candidates each source contributes before ranking."""

    text: int = 100
    cooccurrence: int = 100
    als: int = 100
    popularity: int = 50

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if not isinstance(v, int) or not 0 <= v <= 5000:
                raise RecConfigError(f"candidates from {f.name!r} must be an integer in [0, 5000], got {v!r}.")
        if sum(getattr(self, f.name) for f in fields(self)) == 0:
            raise RecConfigError("Every candidate source is set to 0: nothing could be recommended.")
