"""Suite-wide set-up: a throw-away VERTICALS_HOME, offline hubs, and small shared fixtures."""

from __future__ import annotations

import os
import tempfile

os.environ["VERTICALS_HOME"] = tempfile.mkdtemp(prefix="verticals-test-home-")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
