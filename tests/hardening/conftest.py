"""Real stores (SQLite files in a temp folder) and the real packaged MiniLM encoder, shared by the fuzz tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def store(tmp_path: Path):
    from finance_monitor.store import Store

    s = Store(f"sqlite:///{tmp_path / 'monitor.db'}")
    yield s
    s.dispose()


@pytest.fixture(scope="session")
def encoder():
    from shared.encoders import load_encoder

    return load_encoder("minilm")


@pytest.fixture
def bot_workspaces(encoder, tmp_path: Path):
    from customer_service.store import Store
    from customer_service.workspace import Workspaces

    ws = Workspaces(Store(f"sqlite:///{tmp_path / 'bot.db'}"), encoder_loader=lambda name: encoder)
    ws.create("fuzz")
    ws.knowledge("fuzz").ingest_bytes("seed.md", b"# Opening hours\n\nThe office is open Monday to Friday, 8 to 17.")
    return ws
