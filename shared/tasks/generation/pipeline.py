"""LoRA-tune a causal LM on (prompt, answer) pairs:
read → check → split → measure before → train (loss on answer tokens) → measure after → register adapter.
"""

from __future__ import annotations

import json
import logging
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from shared.card import ModelCard
from shared.config import TrainConfig, check_method
from shared.data.splits import stratified_split
from shared.data.tables import TableSource, fingerprint, read_table
from shared.device import pick_device
from shared.errors import ConfigError, DataError
from shared.methods import apply_lora, count_trainable
from shared.models.loading import load_causal_lm
from shared.registry import Registry, check_name
from shared.tasks.generation.artifacts import save_adapter
from shared.tasks.generation.data import check_rows, encode_qa
from shared.tasks.generation.objective import GenerationTask, perplexity
from shared.tasks.generation.predictor import GenerationPredictor
from shared.training import distributed
from shared.training.trainer import Trainer, seed_everything

log = logging.getLogger(__name__)


@dataclass
class GenerationResult:
    name: str
    version: str | None          # None on non-zero ranks, which never write
    model_dir: Path | None
    metrics: dict[str, Any]      # {"perplexity": after, "baseline": {"perplexity": before}}
    report: str
    card: ModelCard


def run(data: TableSource | None, *, name: str, prompt_col: str = "prompt", answer_col: str = "answer",
        model: str = "smollm2", method: str = "lora", config: TrainConfig | None = None,
        splits: tuple[Any, Any, Any] | None = None, registry: Registry | None = None, promote: bool = True,
        device: torch.device | None = None, checkpoint_dir: Path | None = None, resume: bool = False,
        privacy: Any = None, samples: int = 3, sample_max_new_tokens: int = 64,
        loaded: tuple[Any, Any] | None = None) -> GenerationResult:
    """`loaded`: an already-loaded `(model, tokenizer)` for `model` (e.g. one load shared by several
    runs); it is modified in place, so pass a copy if it is needed again."""
    config = config or TrainConfig()
    check_method(method)
    if method != "lora":
        raise ConfigError(f"Generation fine-tunes with LoRA only (got method {method!r}): the model is saved "
                          f"as an adapter on its packaged base. Use --method lora.")
    if privacy is not None:
        raise ConfigError("Differential privacy is not supported for generation fine-tuning yet; "
                          "train without --dp-epsilon.")
    if samples < 0 or sample_max_new_tokens < 1:
        raise ConfigError(f"samples must be >= 0 and sample_max_new_tokens >= 1, got {samples}, "
                          f"{sample_max_new_tokens}.")
    check_name(name)
    distributed.init_from_env()
    device = device or distributed.local_device() or pick_device()
    seed_everything(config.seed)

    # -- data: every row checked before the model loads ------------------------------------------
    if splits is not None:
        train_df, dev_df, test_df = (check_rows(read_table(s), prompt_col, answer_col, where=f"{part} split")
                                     for s, part in zip(splits, ("train", "dev", "test")))
    else:
        if data is None:
            raise DataError("Give a data file (or DataFrame) of prompt/answer pairs, or explicit splits.")
        train_df, dev_df, test_df = stratified_split(check_rows(read_table(data), prompt_col, answer_col),
                                                     None, seed=config.seed)
    lm, tokenizer = loaded if loaded is not None else load_causal_lm(model)
    if not getattr(tokenizer, "chat_template", None):
        raise ConfigError(f"Model {model!r} has no chat template, so it is not an instruction-tuned causal LM: "
                          f"use --model smollm2 (or a local chat model folder).")
    context = min(config.max_length, int(getattr(lm.config, "max_position_embeddings", config.max_length)))

    def enc(frame: Any, part: str) -> tuple[list, int]:
        return encode_qa(tokenizer, frame[prompt_col].tolist(), frame[answer_col].tolist(), context,
                         where=f"{part} split")

    (train, cut_train), (dev, cut_dev), (test, cut_test) = enc(train_df, "train"), enc(dev_df, "dev"), enc(test_df, "test")
    truncated = cut_train + cut_dev + cut_test
    log.info("data: train/dev/test = %d/%d/%d pairs; %d answers truncated to %d tokens",
             len(train), len(dev), len(test), truncated, context)

    # -- before ----------------------------------------------------------------------------------
    lm.to(device)
    pad_id = tokenizer.pad_token_id
    ppl = lambda m, ex: perplexity(m, ex, pad_id, config.pad_multiple, 8, device)
    show = test_df.head(samples)
    before_ppl = ppl(lm, test)
    before_answers = _answers(GenerationPredictor(lm, tokenizer, device=device), show[prompt_col],
                              sample_max_new_tokens)

    # -- train ------------------------------------------------------------------------------------
    peft_model = apply_lora(lm, lm.config.model_type, config.lora, task_type="CAUSAL_LM")
    n_train, n_all = count_trainable(peft_model)
    lr = config.lr_for(method)
    log.info("method lora: %d of %d parameters train", n_train, n_all)
    task = GenerationTask(train, dev, pad_id, config.pad_multiple, device)
    fit = Trainer(peft_model, task, config, lr, device, checkpoint_dir=checkpoint_dir,
                  on_epoch=lambda row: log.info("epoch %s", row)).fit(resume=resume)

    # -- after ------------------------------------------------------------------------------------
    after_ppl = ppl(peft_model, test)
    after_answers = _answers(GenerationPredictor(peft_model, tokenizer, device=device), show[prompt_col],
                             sample_max_new_tokens)
    sample_rows = [{"prompt": p, "reference": r, "before": b, "after": a}
                   for p, r, b, a in zip(show[prompt_col], show[answer_col], before_answers, after_answers)]
    report = format_report(before_ppl, after_ppl, len(test), sample_rows)
    metrics: dict[str, Any] = {"perplexity": after_ppl, "baseline": {"perplexity": before_ppl}} if test else {}
    card = ModelCard(
        name=name, task="generation", base_model=model, method=method,
        hyperparameters={**config.to_dict(), "lr": lr, "context": context, "loss": "answer tokens + EOS only",
                         "chat_template": True, "trainable_params": n_train, "total_params": n_all},
        data={"fingerprint": fingerprint(train_df, [prompt_col, answer_col]), "prompt_col": prompt_col,
              "answer_col": answer_col, "truncated_answers": truncated,
              "sizes": {"train": len(train), "dev": len(dev), "test": len(test)}},
        metrics=metrics,
        training={"epochs_run": fit.epochs_run, "best_epoch": fit.best_epoch, "stopped_early": fit.stopped_early,
                  "samples_per_second": round(fit.samples_per_second, 1), "history": fit.history,
                  "device": str(device), "world_size": distributed.world_size()},
        extra={"samples": sample_rows, "decoding": "greedy"},
    )
    if not distributed.is_main():
        return GenerationResult(name, None, None, metrics, report, card)
    registry = registry or Registry()
    with registry.staging(name) as staged:
        save_adapter(staged, peft_model)
        (staged / "evaluation.json").write_text(json.dumps(
            {"before": {"perplexity": before_ppl}, "after": {"perplexity": after_ppl}, "samples": sample_rows},
            indent=2))
        (staged / "evaluation.txt").write_text(report + "\n")
        version = registry.add(name, staged, card, promote=promote)
    return GenerationResult(name, version, registry.path(name, version), metrics, report, card)


def _answers(predictor: GenerationPredictor, prompts: Any, max_new_tokens: int) -> list[str]:
    was_training = predictor.model.training
    out = [str(predictor.generate(p, max_new_tokens=max_new_tokens)) for p in prompts]  # not streamed: a str
    predictor.model.train(was_training)
    return out


def format_report(before: float, after: float, n_test: int, samples: list[dict[str, str]]) -> str:
    """Answer-token perplexity before/after, then a few held-out prompts answered by both models."""
    if not n_test:
        return "(no test split: nothing to compare)"
    lines = [f"answer-token perplexity on the test split ({n_test} pairs; lower is better)",
             f"{'':<12}{'before':>10}{'after':>10}{'change':>10}",
             f"{'perplexity':<12}{before:>10.2f}{after:>10.2f}{after - before:>+10.2f}"]
    for i, row in enumerate(samples, start=1):
        lines += ["", f"[{i}] prompt: {row['prompt']}"]
        for key in ("reference", "before", "after"):
            text = " ".join(row[key].split())
            lines.append(textwrap.fill(text, width=100, initial_indent=f"    {key:>9}: ",
                                       subsequent_indent=" " * 15, max_lines=4, placeholder=" …"))
    return "\n".join(lines)
