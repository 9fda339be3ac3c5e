"""The store's default redaction: the core's PII policy, and a loud error (not "no redaction") when it
cannot be imported."""

from __future__ import annotations

import sys

import pytest


def test_default_redactor_is_the_core_policy():
    from customer_service.store import default_redactor
    from shared.pii import redact

    assert default_redactor() is redact


def test_a_broken_pii_import_stops_the_store_instead_of_storing_clear_text(tmp_path, monkeypatch):
    from customer_service.errors import RedactionUnavailableError
    from customer_service.store import Store

    monkeypatch.setitem(sys.modules, "shared.pii", None)  # `import shared.pii` now raises ImportError
    with pytest.raises(RedactionUnavailableError, match=r"shared\.pii.*cannot be imported.*scripts/install"):
        Store(f"sqlite:///{tmp_path / 'bot.db'}")
    assert not (tmp_path / "bot.db").exists()  # nothing written before the error
    store = Store(f"sqlite:///{tmp_path / 'explicit.db'}", redactor=str.upper)  # an explicit choice still works
    assert store.redact("call me") == "CALL ME"
