"""Save and load a token-classifier folder. Safetensors only, never pickle.

Same layout as the classifier's: `tokenizer/`; `head.safetensors` (head + word-shape embedding) for
full/topk/head; `encoder/` for full/topk; `adapter/` for LoRA (adapter + head + shape embedding via peft's
modules_to_save); `crf.crfsuite` for a hybrid (see `hybrid`). Head-only and LoRA models reference their base
model instead of copying it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from safetensors.torch import load_file, save_file

from shared.card import ModelCard
from shared.modeling.token_classifier import TokenClassifier
from shared.models.loading import load_saved_encoder
from shared.tasks.classification.artifacts import load_tokenizer_from
from shared.tasks.token_classification.crf import CrfBaseline

TRAINED_PARTS = ("head", "case_embedding")
CRF_FILE = "crf.crfsuite"  # a hybrid model's CRF (CRFsuite's binary weights)


def save_token_classifier(folder: Path, model: Any, tokenizer: Any, method: str,
                          crf: CrfBaseline | None = None) -> None:
    tokenizer.save_pretrained(folder / "tokenizer")
    if crf is not None:
        crf.save(folder / CRF_FILE)
    if method == "lora":
        model.save_pretrained(folder / "adapter")
        return
    classifier = model
    state = {f"{part}.{k}": v.contiguous() for part in TRAINED_PARTS
             for k, v in getattr(classifier, part).state_dict().items()}
    save_file(state, folder / "head.safetensors")
    if method in ("full", "topk"):
        classifier.encoder.save_pretrained(folder / "encoder", safe_serialization=True)


def load_token_classifier(folder: Path, card: ModelCard) -> tuple[TokenClassifier, Any]:
    tokenizer = load_tokenizer_from(folder)
    hp = card.hyperparameters
    encoder = load_saved_encoder(folder, card)
    model: Any = TokenClassifier(encoder, len(card.labels), dropout=hp.get("dropout", 0.1),
                                 case_input=hp.get("case_input", True))
    if (folder / "adapter").exists():
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, folder / "adapter").merge_and_unload()
    else:
        state = load_file(folder / "head.safetensors")
        for part in TRAINED_PARTS:
            prefix = f"{part}."
            getattr(model, part).load_state_dict({k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)})
    model.eval()
    return model, tokenizer


def load_crf(folder: Path) -> CrfBaseline | None:
    """A hybrid model's CRF, or None for a model that predicts alone."""
    return CrfBaseline.load(folder / CRF_FILE) if (folder / CRF_FILE).exists() else None
