"""Fine-tune a token classifier end to end: read → split → align → train → evaluate (with a CRF baseline) →
register. Same methods, trainer, registry and card as classification."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import torch

from shared.card import ModelCard
from shared.config import TrainConfig, check_method
from shared.data.labels import LabelMap
from shared.device import pick_device
from shared.errors import ConfigError, DataError
from shared.methods import apply_lora, apply_topk, count_trainable, freeze
from shared.modeling.token_classifier import TokenClassifier, TokenHeadOnly
from shared.models.catalog import resolve_model
from shared.models.loading import load_encoder, load_tokenizer
from shared.registry import Registry, check_name
from shared.tasks.token_classification.artifacts import save_token_classifier
from shared.tasks.token_classification.crf import CrfBaseline
from shared.tasks.token_classification.data import Sentence, check_kinds, read_sentences, split_sentences
from shared.tasks.token_classification.encoding import encode_sentences
from shared.tasks.token_classification.evaluation import entity_report, format_confusion, format_entity_report
from shared.tasks.token_classification.objective import TokenFeatureTask, TokenTask, decode, run_token_batches
from shared.tasks.token_classification.tags import label_set
from shared.training import distributed
from shared.training.trainer import Trainer, seed_everything

log = logging.getLogger(__name__)

Source = str | os.PathLike[str] | Sequence[Sentence]


@dataclass
class FinetuneResult:
    name: str
    version: str | None
    model_dir: Path | None
    metrics: dict[str, Any]
    report: str
    card: ModelCard
    evaluation: dict[str, Any]


def load_splits(data: Source | list[str | os.PathLike[str]] | None, test_data: Source | None,
                splits: Sequence[Source] | None, seed: int) -> tuple[list[Sentence], list[Sentence], list[Sentence]]:
    """Explicit train/dev/test; or `data` with a separate `test_data` (dev: 10% of `data`); or `data` alone
    (80/10/10). Sentences are shuffled with `seed`; each part keeps file order."""
    if splits is not None:
        if len(splits) != 3:
            raise ConfigError(f"splits must be (train, dev, test), got {len(splits)} parts.")
        train, dev, test = (read_sentences(s) for s in splits)
    elif data is None:
        raise DataError("Give a CoNLL or JSONL file of labelled sentences (data=...), or explicit splits.")
    else:
        sources = data if isinstance(data, list) and data and not isinstance(data[0], Sentence) else [data]
        everything = [s for src in sources for s in read_sentences(src)]  # type: ignore[arg-type]
        if test_data is not None:
            train, dev = split_sentences(everything, (0.9, 0.1), seed)
            test = read_sentences(test_data)
        else:
            train, dev, test = split_sentences(everything, (0.8, 0.1, 0.1), seed)
    if not train:
        raise DataError("The training split has no sentences: give more data.")
    check_kinds(train, dev, "dev")
    check_kinds(train, test, "test")
    return train, dev, test


def run(data: Source | list[str | os.PathLike[str]] | None, *, name: str, model: str = "minilm",
        method: str = "full", config: TrainConfig | None = None, test_data: Source | None = None,
        splits: Sequence[Source] | None = None, stride: int = 16, case_input: bool = True, baseline: bool = True,
        registry: Registry | None = None, promote: bool = True, device: torch.device | None = None,
        checkpoint_dir: Path | None = None, resume: bool = False) -> FinetuneResult:
    config = config or TrainConfig()
    check_method(method)
    check_name(name)
    if stride < 0:
        raise ConfigError(f"stride must be >= 0 words, got {stride!r}")
    distributed.init_from_env()
    device = device or distributed.local_device() or pick_device()
    seed_everything(config.seed)

    # -- data ----------------------------------------------------------------------------------
    train_s, dev_s, test_s = load_splits(data, test_data, splits, config.seed)
    kinds = sorted(set().union(*(s.kinds() for s in train_s)))
    if not kinds:
        raise DataError("The training data has no entities (every tag is O): nothing to learn.")
    labels = LabelMap(label_set(kinds))
    ref = resolve_model(model)
    tokenizer = load_tokenizer(ref)

    def enc(sentences: list[Sentence]) -> list:
        return encode_sentences(tokenizer, [s.words for s in sentences], [labels.encode(s.tags) for s in sentences],
                                config.max_length, stride)

    train, dev, test = enc(train_s), enc(dev_s), enc(test_s)
    log.info("data: train/dev/test = %d/%d/%d sentences (%d/%d/%d windows); types %s", len(train_s), len(dev_s),
             len(test_s), len(train), len(dev), len(test), ", ".join(kinds))

    # -- model and method ------------------------------------------------------------------------
    case_input = case_input and method != "head"  # a frozen encoder cannot learn an input signal
    encoder = load_encoder(ref)
    classifier = TokenClassifier(encoder, len(labels), dropout=config.dropout, case_input=case_input)
    lr = config.lr_for(method)
    pad_id = tokenizer.pad_token_id
    dev_gold = [s.tags for s in dev_s]
    full_task = TokenTask(train, dev, dev_gold, labels.labels, pad_id, config.pad_multiple, device,
                          precision=config.precision)
    if method == "head":
        freeze(classifier.encoder)
        classifier.case_embedding.requires_grad_(False)
        classifier.to(device)

        def states(examples: list) -> list[torch.Tensor]:
            with torch.inference_mode():
                rows = run_token_batches(lambda inp: classifier.states(inp["input_ids"], inp["attention_mask"]),
                                         examples, pad_id, config.pad_multiple, 64, device, config.precision)
            return [torch.from_numpy(r.copy()) for r in rows]

        train_rows = [(row, e.shape_ids[p], e.labels[p]) for e, st in zip(train, states(train))
                      for p, row in zip(e.positions, st)]
        task: Any = TokenFeatureTask(train_rows, dev, states(dev), dev_gold, labels.labels)
        trained: torch.nn.Module = TokenHeadOnly(classifier)
    else:
        if method == "topk":
            apply_topk(classifier.encoder, config.topk_layers)
        trained = classifier
        if method == "lora":
            trained = apply_lora(classifier, str(cast(Any, encoder).config.model_type), config.lora,
                                 modules_to_save=["head", "case_embedding"])
        task = full_task
    n_train, n_all = count_trainable(trained)
    log.info("method %s: %d of %d parameters train", method, n_train, n_all)
    fit = Trainer(trained, task, config, lr, device, checkpoint_dir=checkpoint_dir,
                  on_epoch=lambda row: log.info("epoch %s", row)).fit(resume=resume)

    # -- evaluate on the test split: the model and the CRF baseline trained on the same split ----
    eval_model = trained if method == "lora" else classifier
    evaluation: dict[str, Any] = {}
    report = "(no test split)"
    if test_s:
        gold = [s.tags for s in test_s]
        pred = decode(full_task.word_probs(eval_model, test, [len(s.words) for s in test_s]), labels.labels)
        evaluation["model"] = entity_report(gold, pred, labels.labels)
        sections = [format_entity_report(evaluation["model"], f"{name} ({model}, {method}) on the test split:")]
        if baseline:
            crf = CrfBaseline().fit([s.words for s in train_s], [s.tags for s in train_s])
            evaluation["crf_baseline"] = entity_report(gold, crf.predict([s.words for s in test_s]), labels.labels)
            sections.append(format_entity_report(evaluation["crf_baseline"],
                                                 "CRF baseline (word-shape/affix/context features), same split:"))
        sections.append(format_confusion(evaluation["model"]))
        report = "\n\n".join(sections)
    metrics: dict[str, Any] = {}
    if "model" in evaluation:
        metrics = {f"entity_{k}": evaluation["model"][k] for k in ("f1", "precision", "recall")}
        metrics["token_accuracy"] = evaluation["model"]["token_accuracy"]
    if "crf_baseline" in evaluation:
        metrics["crf_entity_f1"] = evaluation["crf_baseline"]["f1"]
    card = ModelCard(
        name=name, task="token-classification", base_model=model, method=method,
        hyperparameters={**config.to_dict(), "lr": lr, "stride": stride, "case_input": case_input,
                         "trainable_params": n_train, "total_params": n_all},
        labels=list(labels.labels),
        data={"fingerprint": _fingerprint(train_s), "types": kinds,
              "sources": sorted({s.source for s in train_s + dev_s + test_s if s.source}),
              "sizes": {"train": len(train_s), "dev": len(dev_s), "test": len(test_s)},
              "windows": {"train": len(train), "dev": len(dev), "test": len(test)}},
        metrics=metrics,
        training={"epochs_run": fit.epochs_run, "best_epoch": fit.best_epoch, "stopped_early": fit.stopped_early,
                  "samples_per_second": round(fit.samples_per_second, 1), "history": fit.history,
                  "device": str(device), "world_size": distributed.world_size()},
    )
    if not distributed.is_main():
        return FinetuneResult(name, None, None, metrics, report, card, evaluation)
    registry = registry or Registry()
    with registry.staging(name) as staged:
        save_token_classifier(staged, trained if method == "lora" else classifier, tokenizer, method)
        (staged / "evaluation.json").write_text(json.dumps(evaluation, indent=2))
        (staged / "evaluation.txt").write_text(report + "\n")
        version = registry.add(name, staged, card, promote=promote)
    return FinetuneResult(name, version, registry.path(name, version), metrics, report, card, evaluation)


def _fingerprint(sentences: Sequence[Sentence]) -> str:
    h = hashlib.sha256()
    for s in sentences:
        h.update("\x1f".join(f"{w}\x1d{t}" for w, t in zip(s.words, s.tags)).encode())
        h.update(b"\x1e")
    return "sha256:" + h.hexdigest()[:16]
