"""Suite-wide set-up: a throw-away VERTICALS_HOME, offline hubs, and small shared fixtures."""

from __future__ import annotations

import os
import tempfile

os.environ["VERTICALS_HOME"] = tempfile.mkdtemp(prefix="verticals-test-home-")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from pathlib import Path

import pytest


@pytest.fixture
def fake_apps(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake fourth app `zoo` and a broken app `broken` registered under `verticals.apps` (tests/fake_apps.py);
    the returned folder is first on sys.path; prepend it to PYTHONPATH for subprocesses."""
    from tests.fake_apps import forget_fake_apps, write_fake_apps

    root = write_fake_apps(tmp_path_factory.mktemp("fake-apps"))
    monkeypatch.syspath_prepend(str(root))
    yield root
    forget_fake_apps()
