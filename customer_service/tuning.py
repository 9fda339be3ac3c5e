"""Fine-tune the retrieval encoder on (question, answer) pairs through the core's embedding task.

The bot only picks the recipe and names the result; the training loop, early stopping on dev MRR, saving
and versioning are the core's (`shared.api.finetune(task="embedding")`). A registered encoder is referred
to as `name@version`, so chunk embeddings cached under one version are never served with another.

Hard negatives: for each training question, the training answer the *current* encoder ranks highest among
the wrong ones. FAQ answers of one company share their vocabulary and style, so the random in-batch
negatives are mostly easy; the near misses are what the encoder gets wrong at serving time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from customer_service.errors import NoTrainingDataError, SettingsError
from shared.registry import parse_ref

MIN_PAIRS = 8


@dataclass(frozen=True)
class EncoderRecipe:
    epochs: int = field(default=3, metadata={"help": "Maximum epochs (early stopping on dev MRR)."})
    lr: float = field(default=5e-5, metadata={"help": "Peak learning rate (all weights)."})
    batch_size: int = field(default=32, metadata={"help": "Pairs per step: each query's in-batch negatives."})
    max_length: int = field(default=128, metadata={"help": "Token limit per text (FAQ answers are ~120 at most)."})
    hard_negatives: bool = field(default=True, metadata={"help": "Add one mined hard negative per pair."})
    teacher: str | None = field(default=None, metadata={
        "help": "An encoder to distil from (e.g. mpnet): training only, serving stays on the base."})
    distill_alpha: float = field(default=0.5, metadata={"help": "Weight of the teacher's scores (1 - alpha: pairs)."})
    distill_temperature: float = field(default=1.0, metadata={"help": "Softmax temperature on the scaled cosines."})
    seed: int = 42

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 2 or not self.lr > 0:
            raise SettingsError(f"Encoder recipe needs epochs >= 1, batch_size >= 2, lr > 0; got {self.epochs}, "
                                f"{self.batch_size}, {self.lr}.")

    def train_config(self) -> Any:
        from shared.config import OptimConfig, TrainConfig

        return TrainConfig(epochs=self.epochs, max_length=self.max_length, seed=self.seed, progress=False,
                           optim=OptimConfig(lr=self.lr, batch_size=self.batch_size))


def encoder_ref(name: str, version: str) -> str:
    return f"{name}@{version}"


def model_name(workspace: str) -> str:
    """The registry name of a workspace's encoder (registry names allow letters, digits, '-', '_', '.')."""
    return "bot-encoder-" + re.sub(r"[^A-Za-z0-9_.-]+", "-", workspace).strip("-")[:40]


def base_model(ref: str, registry: Any = None) -> str:
    """What the core's loader accepts for `ref`: a registered version becomes its folder."""
    name, version = parse_ref(ref)
    if version is None:
        return ref
    from shared.registry import Registry

    return str((registry or Registry()).path(name, version))


def mine_hard_negatives(encoder: Any, questions: list[str], answers: list[str],
                        pool: list[str] | None = None) -> list[str]:
    """Per question, the highest-ranked text in `pool` (default: the answers) that is not its own answer."""
    distinct = list(dict.fromkeys(list(answers) + list(pool or [])))
    if len(distinct) < 2:
        raise NoTrainingDataError("Hard negatives need at least two different answers.")
    sims = encoder.encode(list(questions)) @ encoder.encode(distinct).T
    own = {text: i for i, text in enumerate(distinct)}
    sims[np.arange(len(questions)), [own[a] for a in answers]] = -np.inf
    return [distinct[j] for j in sims.argmax(axis=1)]


def finetune_encoder(train: pd.DataFrame, dev: pd.DataFrame | None = None, *, name: str, base: str = "minilm",
                     recipe: EncoderRecipe | None = None, registry: Any = None, promote: bool = False,
                     miner: Any = None, negative_pool: list[str] | None = None) -> str:
    """Fine-tune `base` on `train` pairs (`question`, `answer`); returns the new version's `name@version`.

    `dev` (default: a seeded 10 % of `train`) drives early stopping. `miner` is the encoder that picks the
    hard negatives (default: `base` itself) from `negative_pool` (default: the training answers; pass the
    knowledge base's texts so the negatives are the near misses the bot will actually rank against).
    Not promoted unless asked: callers compare first.
    """
    from shared.api import finetune

    recipe = recipe or EncoderRecipe()
    train = train.dropna(subset=["question", "answer"])[["question", "answer"]].reset_index(drop=True)
    if dev is None:
        dev = train.sample(frac=0.1, random_state=recipe.seed) if len(train) >= 20 else train.iloc[:0]
        train = train.drop(dev.index).reset_index(drop=True)
    dev = dev.dropna(subset=["question", "answer"])[["question", "answer"]].reset_index(drop=True)
    if len(train) < MIN_PAIRS:
        raise NoTrainingDataError(f"Only {len(train)} (question, answer) pairs; need at least {MIN_PAIRS} to "
                                  "fine-tune the encoder. Let agents answer more questions first.")
    if dev.empty:
        dev = train  # too few pairs to hold any out: early stopping then watches the training pairs
    negative_col = None
    if recipe.hard_negatives and train["answer"].nunique() >= 2:
        if miner is None:
            from shared.encoders import load_encoder

            miner = load_encoder(base)
        train = train.assign(negative=mine_hard_negatives(miner, train["question"].tolist(),
                                                          train["answer"].tolist(), negative_pool))
        if "negative" not in dev:  # the core reads the same columns from every split
            dev = dev.assign(negative=mine_hard_negatives(miner, dev["question"].tolist(), dev["answer"].tolist())
                             if dev["answer"].nunique() >= 2 else dev["answer"])
        negative_col = "negative"
    kwargs = {"registry": registry} if registry is not None else {}
    if recipe.teacher:
        from shared.config import DistillConfig

        kwargs["distill"] = DistillConfig(recipe.teacher, recipe.distill_alpha, recipe.distill_temperature)
    res = finetune(None, task="embedding", name=name, query_col="question", positive_col="answer",
                   negative_col=negative_col, model=base_model(base, registry), method="full",
                   config=recipe.train_config(), splits=(train, dev, dev), promote=promote, **kwargs)
    return encoder_ref(name, res.version)
