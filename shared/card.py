"""The model card written beside every trained model: what it is, how it was made, how good it is."""

from __future__ import annotations

import json
import platform
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

CARD_FILE = "card.json"
LIBRARIES = ("torch", "transformers", "peft", "sentence-transformers", "opacus", "verticals")


def library_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for lib in LIBRARIES:
        try:
            out[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            pass
    return out


@dataclass
class ModelCard:
    name: str
    task: str                      # classification | embedding | generation
    base_model: str                # catalogue name or local folder
    method: str
    version: str = ""
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    labels: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)        # fingerprint, columns, split sizes, cleaning
    metrics: dict[str, Any] = field(default_factory=dict)     # test metrics (+ baseline where measured)
    training: dict[str, Any] = field(default_factory=dict)    # epochs run, best epoch, speed, history
    privacy: dict[str, Any] | None = None
    libraries: dict[str, str] = field(default_factory=library_versions)
    created_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    extra: dict[str, Any] = field(default_factory=dict)

    def save(self, folder: Path) -> Path:
        path = folder / CARD_FILE
        path.write_text(json.dumps(asdict(self), indent=2, sort_keys=False, default=str))
        return path

    @classmethod
    def load(cls, folder: Path) -> ModelCard:
        data = json.loads((folder / CARD_FILE).read_text())
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)
