"""The one place where pretrained weights are read from disk."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shared.models.catalog import ModelRef, resolve_model

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from shared.card import ModelCard


def load_tokenizer(ref: ModelRef) -> Any:
    from transformers import AutoTokenizer

    if ref.gguf_file:
        return AutoTokenizer.from_pretrained(ref.path, gguf_file=ref.gguf_file)
    return AutoTokenizer.from_pretrained(ref.path)


def load_encoder(ref: ModelRef) -> Any:
    """The bare transformer (no task head), in train mode: a transformers model, duck-typed (`config`, ...)."""
    from transformers import AutoModel

    model = AutoModel.from_pretrained(ref.path)
    model.train()  # transformers 5 returns models in eval mode
    return model


def load_saved_encoder(folder: Path, card: ModelCard) -> Any:
    """The encoder of a registered model: its own `encoder/` copy (full/topk changed the weights), else the
    base model its card names (head-only and LoRA models keep a reference instead of a copy)."""
    from transformers import AutoModel

    from shared.errors import ModelNotFoundError

    if (folder / "encoder").exists():
        return AutoModel.from_pretrained(folder / "encoder")
    try:
        return load_encoder(resolve_model(card.base_model))
    except ModelNotFoundError as exc:
        raise ModelNotFoundError(f"Model {card.name} {card.version} needs its base model: {exc}") from exc


def load_sentence_transformer(name_or_path: str | os.PathLike[str] = "minilm",
                              device: str | None = None) -> SentenceTransformer:
    from sentence_transformers import SentenceTransformer

    ref = resolve_model(name_or_path)
    return SentenceTransformer(str(ref.path), device=device or _default_device())


def load_causal_lm(name_or_path: str | os.PathLike[str] = "smollm2") -> tuple[Any, Any]:
    """(model, tokenizer) for generation; GGUF files are dequantised to fp32 by transformers."""
    from transformers import AutoModelForCausalLM

    ref = resolve_model(name_or_path)
    tokenizer = load_tokenizer(ref)
    if ref.gguf_file:
        model: Any = AutoModelForCausalLM.from_pretrained(ref.path, gguf_file=ref.gguf_file)
        # A GGUF-loaded model refuses save_pretrained; it is plain fp32 now, so drop the marker.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
    else:
        model = AutoModelForCausalLM.from_pretrained(ref.path)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


def _default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"
