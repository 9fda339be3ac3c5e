"""Fine-tune a token classifier end to end: read → split → align → train → evaluate (with a CRF baseline) →
register. Same methods, trainer, registry and card as classification."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import torch

from shared.card import ModelCard
from shared.config import TrainConfig, check_method
from shared.data.labels import LabelMap
from shared.errors import ConfigError, DataError
from shared.methods import freeze
from shared.modeling.token_classifier import TokenClassifier, TokenHeadOnly
from shared.models.catalog import resolve_model
from shared.models.loading import load_encoder, load_tokenizer
from shared.registry import Registry
from shared.tasks import pipeline
from shared.tasks.classification.recipe import AUTO, apply_recipe, recipe_record
from shared.tasks.token_classification.artifacts import save_token_classifier
from shared.tasks.token_classification.crf import CrfBaseline
from shared.tasks.token_classification.data import Sentence, check_kinds, read_sentences, split_sentences
from shared.tasks.token_classification.decoding import check_decoding, decode
from shared.tasks.token_classification.encoding import encode_sentences
from shared.tasks.token_classification.evaluation import entity_report, format_confusion, format_entity_report
from shared.tasks.token_classification.hybrid import choose_weight, mix
from shared.tasks.token_classification.objective import TokenFeatureTask, TokenTask, run_token_batches
from shared.tasks.token_classification.recipe import HYBRID, TOKEN_RECIPE
from shared.tasks.token_classification.tags import label_set

log = logging.getLogger(__name__)

Source = str | os.PathLike[str] | Sequence[Sentence]


@dataclass
class FinetuneResult(pipeline.PipelineResult):
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
        decoding: str = "viterbi", hybrid: bool | None = None, crf_data: Source | None = None,
        registry: Registry | None = None,
        promote: bool = True, device: torch.device | None = None, checkpoint_dir: Path | None = None,
        resume: bool = False, pinned: Collection[str] = ()) -> FinetuneResult:
    """`method="auto"`: the measured recipe (recipe.py) for every field of `config` not in `pinned` (named as in
    classification's CHOSEN; a given lr is always kept), and the hybrid unless `hybrid` says otherwise.
    `decoding`: "viterbi" (the best valid BIO sequence, the default) or "argmax" (each word alone); used for
    early stopping, the test report and every later prediction (it is stored on the card). `hybrid`: mix the
    model's probabilities with the CRF's (trained on the same split) at the model share dev prefers; the CRF is
    then stored with the model and used by every prediction (see `hybrid`). `crf_data`: the sentences that CRF
    (and the baseline) train on, default the training split; give the in-domain part when the split adds
    general-domain data (a CRF memorises spellings: on FiNER, adding Wikigold to its training cost the hybrid
    4.6 points, see docs/benchmarks.md)."""
    config = config or TrainConfig()
    recipe_info: dict[str, Any] | None = None
    if method == AUTO:
        pinned = set(pinned) | ({"lr"} if config.optim.lr is not None else set())
        method, config = TOKEN_RECIPE.method, apply_recipe(TOKEN_RECIPE, config, pinned)
        recipe_info = recipe_record(TOKEN_RECIPE, config, pinned)
        hybrid = HYBRID if hybrid is None else hybrid
        log.info("method auto: %s", "; ".join(TOKEN_RECIPE.why))
    hybrid = bool(hybrid)
    check_method(method)
    check_decoding(decoding)
    if stride < 0:
        raise ConfigError(f"stride must be >= 0 words, got {stride!r}")
    device = pipeline.start(name, config, device)

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
                          precision=config.precision, decoding=decoding)
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
        task: Any = TokenFeatureTask(train_rows, dev, states(dev), dev_gold, labels.labels, decoding)
        trained: torch.nn.Module = TokenHeadOnly(classifier)
    else:
        trained = pipeline.adapt(classifier, method, config, str(cast(Any, encoder).config.model_type),
                                 encoder=classifier.encoder, modules_to_save=["head", "case_embedding"])
        task = full_task
    n_train, n_all = pipeline.trainable(trained, method)
    fit = pipeline.fit(trained, task, config, lr, device, checkpoint_dir=checkpoint_dir, resume=resume)

    # -- the CRF (baseline, and the hybrid's second opinion), then the test split ------------------
    eval_model = trained if method == "lora" else classifier
    crf_s = read_sentences(crf_data) if crf_data is not None else train_s
    crf = CrfBaseline().fit([s.words for s in crf_s], [s.tags for s in crf_s]) if baseline or hybrid else None
    crf_weight, weight_scores = 1.0, dict[float, float]()
    if hybrid and crf is not None and dev_s:
        dev_probs = full_task.word_probs(eval_model, dev, [len(s.words) for s in dev_s])
        crf_weight, weight_scores = choose_weight(dev_gold, dev_probs, crf.marginals([s.words for s in dev_s],
                                                                                     labels.labels), labels.labels,
                                                  decoding)
        log.info("hybrid: model share %.1f (dev entity F1 by share: %s)", crf_weight,
                 ", ".join(f"{w:.1f}={f:.3f}" for w, f in weight_scores.items()))
    evaluation: dict[str, Any] = {}
    report = "(no test split)"
    if test_s:
        gold = [s.tags for s in test_s]
        probs = full_task.word_probs(eval_model, test, [len(s.words) for s in test_s])
        title = f"{name} ({model}, {method}) on the test split:"
        if crf_weight < 1.0 and crf is not None:
            evaluation["model_alone"] = entity_report(gold, decode(probs, labels.labels, decoding), labels.labels)
            probs = mix(probs, crf.marginals([s.words for s in test_s], labels.labels), crf_weight)
            title = f"{name} ({model}, {method}, mixed with the CRF at model share {crf_weight:.1f}) on the test split:"
        evaluation["model"] = entity_report(gold, decode(probs, labels.labels, decoding), labels.labels)
        sections = [format_entity_report(evaluation["model"], title)]
        if "model_alone" in evaluation:
            sections.append(format_entity_report(evaluation["model_alone"], f"{name} alone (without the CRF):"))
        if baseline and crf is not None:
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
    if "model_alone" in evaluation:
        metrics["model_alone_entity_f1"] = evaluation["model_alone"]["f1"]
    card = ModelCard(
        name=name, task="token-classification", base_model=model, method=method,
        hyperparameters={**config.to_dict(), "lr": lr, "stride": stride, "case_input": case_input,
                         "decoding": decoding, "crf_weight": crf_weight, "trainable_params": n_train,
                         "total_params": n_all},
        labels=list(labels.labels),
        data={"fingerprint": _fingerprint(train_s), "types": kinds,
              "sources": sorted({s.source for s in train_s + dev_s + test_s if s.source}),
              "sizes": {"train": len(train_s), "dev": len(dev_s), "test": len(test_s),
                        **({"crf_train": len(crf_s)} if crf is not None else {})},
              "windows": {"train": len(train), "dev": len(dev), "test": len(test)}},
        metrics=metrics,
        training={**pipeline.training_record(fit, device),
                  **({"hybrid_dev_f1": {str(w): f for w, f in weight_scores.items()}} if weight_scores else {}),
                  **({"recipe": recipe_info} if recipe_info else {})},
    )
    published = pipeline.publish(
        name, card, lambda staged: save_token_classifier(staged, eval_model, tokenizer, method,
                                                         crf if crf_weight < 1.0 else None), evaluation, report,
        registry=registry, promote=promote)
    version, model_dir = published or (None, None)
    return FinetuneResult(name, version, model_dir, metrics, report, card, evaluation)


def _fingerprint(sentences: Sequence[Sentence]) -> str:
    h = hashlib.sha256()
    for s in sentences:
        h.update("\x1f".join(f"{w}\x1d{t}" for w, t in zip(s.words, s.tags)).encode())
        h.update(b"\x1e")
    return "sha256:" + h.hexdigest()[:16]
