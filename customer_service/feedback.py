"""The feedback loop: agents' corrections and handoffs become labelled data; retraining promotes a new
model only if it is not worse on the same dev data than the current one.

- intents: a template answer the agent sent unchanged (and did not thumb down) confirms its intent;
- (question, answer) pairs: an edited proposal gives the agent's text as the answer; a handed-over
  question gives the agent's replies that followed it; an accepted retrieval answer is kept too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from customer_service.errors import NoTrainingDataError
from customer_service.store import Store
from shared.auth import Identity, require

INTENT_COLUMNS = ["text", "label", "source", "conversation_id"]
PAIR_COLUMNS = ["question", "answer", "source", "conversation_id"]


@dataclass
class TrainingExport:
    intents: pd.DataFrame
    pairs: pd.DataFrame

    def write(self, folder: Path) -> list[Path]:
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for name, frame in (("intents.csv", self.intents), ("qa_pairs.csv", self.pairs)):
            path = folder / name
            tmp = path.with_suffix(".csv.tmp")
            frame.to_csv(tmp, index=False)
            os.replace(tmp, path)  # never a half-written file where the last export was
            written.append(path)
        return written


def collect_training_data(store: Store, workspace_id: int) -> TrainingExport:
    intents: list[dict[str, Any]] = []
    pairs: list[dict[str, Any]] = []
    for conv in store.conversations(workspace_id):
        messages = store.messages(conv.id)
        proposals = {p.message_id: p for p in store.proposals(conversation_id=conv.id)}
        for i, msg in enumerate(messages):
            if msg.role != "customer":
                continue
            prop = proposals.get(msg.id)
            later = []
            for nxt in messages[i + 1:]:
                if nxt.role == "customer":
                    break
                if nxt.role == "agent" and nxt.proposal_id is None:
                    later.append(nxt.text)
            if prop is not None and prop.sent_text is not None:
                if prop.route == "template" and not prop.edited and prop.rating != -1 and prop.intent:
                    intents.append({"text": msg.text, "label": prop.intent, "source": "confirmed",
                                    "conversation_id": conv.id})
                if prop.edited:
                    pairs.append({"question": msg.text, "answer": prop.sent_text, "source": "corrected",
                                  "conversation_id": conv.id})
                elif prop.route == "retrieval" and prop.rating != -1:
                    pairs.append({"question": msg.text, "answer": prop.sent_text, "source": "accepted",
                                  "conversation_id": conv.id})
            elif later:  # handed over (by the bot or the agent) and answered by a person
                pairs.append({"question": msg.text, "answer": "\n".join(later), "source": "handoff",
                              "conversation_id": conv.id})
    return TrainingExport(pd.DataFrame(intents, columns=INTENT_COLUMNS), pd.DataFrame(pairs, columns=PAIR_COLUMNS))


@dataclass
class RetrainReport:
    component: str                  # intents | encoder
    candidate: str
    current_metric: float | None
    candidate_metric: float
    metric: str
    promoted: bool
    details: dict[str, Any] = field(default_factory=dict)

    def line(self) -> str:
        cur = "none" if self.current_metric is None else f"{self.current_metric:.4f}"
        verdict = "promoted" if self.promoted else "kept the current model (candidate was worse)"
        return f"{self.component}: dev {self.metric} {cur} -> {self.candidate_metric:.4f}; {verdict} ({self.candidate})"


def load_intent_base(spec: str, data_dir: str | Path | None = None) -> pd.DataFrame:
    """The intent model's original training data: 'banking77' (public set) or a CSV/JSONL path."""
    if spec == "banking77":
        from shared.datasets import load_banking77

        return load_banking77(data_dir)[0]
    path = Path(spec)
    if not path.exists():
        raise NoTrainingDataError(f"The intent training data {spec!r} does not exist; set the workspace's "
                                  "intent_data to 'banking77' or a CSV with text,label columns.")
    return pd.read_json(path, lines=True) if path.suffix == ".jsonl" else pd.read_csv(path)


def dev_split(base: pd.DataFrame, seed: int = 42, fraction: float = 0.1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The fixed dev split both the current and the candidate model are judged on."""
    from sklearn.model_selection import train_test_split

    train, dev = train_test_split(base, test_size=fraction, stratify=base["label"], random_state=seed)
    return train.reset_index(drop=True), dev.reset_index(drop=True)


def accuracy(model: Any, frame: pd.DataFrame) -> float:
    preds = [g.label for g in model.predict(frame["text"].tolist())]
    return float(np.mean(np.asarray(preds) == frame["label"].to_numpy()))


def retrain_intents(task_name: str, base: pd.DataFrame, extra: pd.DataFrame, *, method: str = "head",
                    epochs: int = 10, registry: Any = None, model: str = "minilm",
                    actor: Identity | None = None) -> RetrainReport:
    """Fine-tune on base + confirmed examples; promote only if dev accuracy is not worse."""
    require(actor, "bot.supervise")  # before minutes of training, not after
    from customer_service.intents import CoreIntentModel
    from shared.api import finetune
    from shared.config import TrainConfig
    from shared.registry import Registry

    registry = registry or Registry()
    train, dev = dev_split(base[["text", "label"]])
    known = set(base["label"])
    extra = extra[extra["label"].isin(known)][["text", "label"]]
    data = pd.concat([train, extra], ignore_index=True)
    try:
        current = CoreIntentModel.load(task_name, registry=registry)
        current_acc: float | None = accuracy(current, dev)
    except LookupError:
        current_acc = None
    res = finetune(None, task="classification", name=task_name, model=model, method=method,
                   config=TrainConfig(epochs=epochs, progress=False), splits=(data, dev, dev),
                   registry=registry, promote=False)
    from shared.api import load_model

    candidate = CoreIntentModel(load_model(task_name, version=res.version, registry=registry))
    cand_acc = accuracy(candidate, dev)
    # Not worse than the current model on the same dev rows, and not below its own TF-IDF baseline there.
    promoted = (current_acc is None or cand_acc >= current_acc) and \
        registry.promotion_blocker(task_name, res.version) is None
    if promoted:
        registry.promote(task_name, res.version, actor=actor)
    return RetrainReport("intents", f"{task_name}@{res.version}", current_acc, cand_acc, "accuracy", promoted,
                         {"train_rows": len(data), "extra_rows": len(extra), "dev_rows": len(dev)})


def retrieval_mrr(encoder: Any, questions: list[str], answers: list[str], corpus: list[str]) -> float:
    """MRR of each question's own answer among `corpus` (dense, exact)."""
    q = encoder.encode(questions)
    c = encoder.encode(corpus)
    scores = q @ c.T
    index = {text: i for i, text in enumerate(corpus)}
    ranks = [int((scores[r] > scores[r, index[a]]).sum()) + 1 for r, a in enumerate(answers)]
    return float(np.mean([1.0 / r for r in ranks]))


def retrain_encoder(current_name: str, pairs: pd.DataFrame, corpus: list[str], *, name: str,
                    registry: Any = None, recipe: Any = None, seed: int = 42,
                    actor: Identity | None = None) -> RetrainReport:
    """Fine-tune the current encoder through the core on 80% of the pairs; judge both on the other 20%.

    The candidate is registered as `name` (not current); it is promoted there, and returned as
    `name@version` for the workspace's settings, only if its dev MRR is not worse.
    """
    from customer_service.tuning import finetune_encoder, parse_ref
    from shared.encoders import load_encoder
    from shared.registry import Registry

    require(actor, "bot.supervise")
    registry = registry or Registry()
    pairs = pairs.drop_duplicates(subset=["question"]).sample(frac=1.0, random_state=seed).reset_index(drop=True)
    if len(pairs) < 10:
        raise NoTrainingDataError(f"Only {len(pairs)} distinct question/answer pairs; need at least 10 to "
                                  "fine-tune and judge the encoder.")
    cut = max(2, len(pairs) // 5)
    dev, train = pairs.iloc[:cut], pairs.iloc[cut:]
    full_corpus = list(dict.fromkeys(list(corpus) + pairs["answer"].tolist()))
    current = load_encoder(current_name)
    cur = retrieval_mrr(current, dev["question"].tolist(), dev["answer"].tolist(), full_corpus)
    ref = finetune_encoder(train, dev, name=name, base=current_name, recipe=recipe, registry=registry,
                           miner=current)
    candidate = load_encoder(ref)
    cand = retrieval_mrr(candidate, dev["question"].tolist(), dev["answer"].tolist(), full_corpus)
    promoted = cand >= cur
    if promoted:
        registry.promote(*parse_ref(ref), actor=actor)
    return RetrainReport("encoder", ref, cur, cand, "MRR", promoted,
                         {"train_pairs": len(train), "dev_pairs": len(dev)})
