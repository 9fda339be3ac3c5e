"""Save and load a generation model: the LoRA adapter only (safetensors), rebuilt on its base at load.

The GGUF base cannot be saved back as GGUF, and a 517 MB fp32 copy per version would dwarf a ~1 MB
adapter; the card names the catalogue base, which is loaded with `load_causal_lm` and the adapter
attached with `PeftModel.from_pretrained` (the adapter's own `base_model_name_or_path` is an absolute
site-packages path, so it is never used to find the base).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shared.card import ModelCard
from shared.errors import ModelNotFoundError
from shared.models.loading import load_causal_lm

ADAPTER_DIR = "adapter"


def save_adapter(folder: Path, peft_model: Any) -> Path:
    target = folder / ADAPTER_DIR
    peft_model.save_pretrained(str(target), safe_serialization=True)
    return target


def attach_adapter(base_model: Any, folder: Path) -> Any:
    """`base_model` (modified in place) with the folder's adapter, in eval mode."""
    from peft import PeftModel

    adapter = folder / ADAPTER_DIR
    if not (adapter / "adapter_config.json").exists():
        raise ModelNotFoundError(f"{folder} has no LoRA adapter ({ADAPTER_DIR}/adapter_config.json).")
    model = PeftModel.from_pretrained(base_model, str(adapter))
    model.eval()
    return model


def load_generator(folder: Path, card: ModelCard) -> tuple[Any, Any]:
    """(model with adapter, tokenizer) for a registered generation model."""
    try:
        base, tokenizer = load_causal_lm(card.base_model)
    except ModelNotFoundError as exc:
        raise ModelNotFoundError(f"Model {card.name} {card.version} needs its base model: {exc}") from exc
    return attach_adapter(base, folder), tokenizer
