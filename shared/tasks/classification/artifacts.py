"""Save and load a classifier folder. Safetensors only, never pickle.

- `tokenizer/` always; `head.safetensors` for full/topk/head; `encoder/` for full/topk (the encoder
  changed); `adapter/` for LoRA (adapter + head via peft's modules_to_save). Head-only and LoRA models
  keep a reference to their base instead of a 90 MB copy of unchanged weights.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from safetensors.torch import load_file, save_file

from shared.card import ModelCard
from shared.modeling.classifier import TextClassifier
from shared.models.loading import load_saved_encoder


def save_classifier(folder: Path, model: Any, tokenizer: Any, method: str) -> None:
    tokenizer.save_pretrained(folder / "tokenizer")
    if method == "lora":
        model.save_pretrained(folder / "adapter")  # a PeftModel: adapter weights + the head
        return
    classifier: TextClassifier = model
    save_file({k: v.contiguous() for k, v in classifier.head.state_dict().items()}, folder / "head.safetensors")
    if method in ("full", "topk"):
        classifier.encoder.save_pretrained(folder / "encoder", safe_serialization=True)


def load_classifier(folder: Path, card: ModelCard, merge: bool = True) -> tuple[TextClassifier, Any]:
    tokenizer = load_tokenizer_from(folder)
    hp = card.hyperparameters
    encoder = load_saved_encoder(folder, card)
    classifier: Any = TextClassifier(encoder, len(card.labels), dropout=hp.get("dropout", 0.1),
                                pooling=hp.get("pooling", "mean"))
    if (folder / "adapter").exists():
        from peft import PeftModel

        peft_model = PeftModel.from_pretrained(classifier, folder / "adapter")
        classifier = peft_model.merge_and_unload() if merge else peft_model
    else:
        classifier.head.load_state_dict(load_file(folder / "head.safetensors"))
    classifier.eval()
    return classifier, tokenizer


def load_tokenizer_from(folder: Path) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(folder / "tokenizer")


def export_merged(folder: Path, card: ModelCard, out: Path) -> Path:
    """A standalone copy with any LoRA adapter merged in: encoder/, head.safetensors, tokenizer/, card."""
    classifier, tokenizer = load_classifier(folder, card, merge=True)
    out.mkdir(parents=True, exist_ok=True)
    save_classifier(out, classifier, tokenizer, "full")
    exported = ModelCard(**{**card.__dict__, "method": "full", "extra": {**card.extra, "merged_from": card.method}})
    exported.save(out)
    return out


