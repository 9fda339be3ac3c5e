"""Save and load an embedding model: a plain SentenceTransformer folder (safetensors).

A LoRA adapter is merged into the encoder before saving, so the folder loads with nothing but
`SentenceTransformer(folder)` — other tools (FAISS pipelines, sentence-transformers itself) can use it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shared.errors import ModelNotFoundError


def merge_lora(st: Any) -> Any:
    """Replace a peft-wrapped encoder inside a SentenceTransformer by the merged plain encoder."""
    inner = st[0].model
    if hasattr(inner, "merge_and_unload"):
        st[0].model = inner.merge_and_unload()
    return st


def save_embedder(folder: Path, st: Any) -> None:
    merge_lora(st)
    st.save(str(folder), create_model_card=False, safe_serialization=True)


def load_embedder(folder: Path, device: str | None = None) -> Any:
    from sentence_transformers import SentenceTransformer

    if not (folder / "modules.json").exists():
        raise ModelNotFoundError(f"{folder} is not a SentenceTransformer folder (no modules.json).")
    import torch

    return SentenceTransformer(str(folder), device=device or ("cuda" if torch.cuda.is_available() else "cpu"))
