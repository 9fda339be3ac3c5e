"""Shared fixtures: the real packaged MiniLM encoder (loaded once) and a small real FAQ subset."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def session_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("verticals_home")


@pytest.fixture(autouse=True)
def _home(session_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # Every test gets its own state folder (DB, registry); the FAQ wheel is read once per session.
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("VERTICALS_HOME", str(home))
    return home


class MemoEncoder:
    """The real MiniLM encoder, remembering texts it has already encoded: tests ingest the same FAQ
    again and again, and on 2 shared cores re-encoding it each time dominates the run."""

    def __init__(self, inner):
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.model = inner.model
        self._memo: dict[str, np.ndarray] = {}

    def encode(self, texts):
        todo = [t for t in dict.fromkeys(texts) if t not in self._memo]
        if todo:
            self._memo.update(zip(todo, self.inner.encode(todo)))
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._memo[t] for t in texts])


@pytest.fixture(scope="session")
def encoder():
    from shared.encoders import load_encoder

    return MemoEncoder(load_encoder("minilm"))


@pytest.fixture(scope="session")
def full_faq(session_home: Path) -> pd.DataFrame:
    mp = pytest.MonkeyPatch()
    mp.setenv("VERTICALS_HOME", str(session_home))
    try:
        from shared.datasets.construction_faq import load_construction_faq

        return load_construction_faq("en")
    finally:
        mp.undo()


@pytest.fixture(scope="session")
def faq(full_faq: pd.DataFrame) -> pd.DataFrame:
    """Three categories of the real FAQ (~40 pairs): small enough to encode in a second or two."""
    keep = full_faq["category"].drop_duplicates().head(3).tolist()
    return full_faq[full_faq["category"].isin(keep)].reset_index(drop=True)


@pytest.fixture
def workspaces(encoder, tmp_path: Path):
    from customer_service.store import Store
    from customer_service.workspace import Workspaces

    return Workspaces(Store(f"sqlite:///{tmp_path / 'bot.db'}"), encoder_loader=lambda name: encoder)


@pytest.fixture
def faq_workspace(workspaces, faq):
    """A workspace whose knowledge base is the FAQ subset, with the default thresholds."""
    workspaces.create("construction")
    workspaces.knowledge("construction").ingest_faq("faq.jsonl", faq)
    return workspaces
