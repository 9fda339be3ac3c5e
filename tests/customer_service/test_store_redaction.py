"""The store's default redaction: the core's PII policy, and a loud error (not "no redaction") when it
cannot be imported."""

from __future__ import annotations

import sys

import pytest


def test_default_redactor_is_the_core_policy():
    from customer_service.store import default_redactor
    from shared.pii.policy import default_policy

    text = "Write to jane.doe@example.com or call +44 20 7946 0958"
    assert default_redactor()(text) == default_policy().redact(text) != text


def test_a_broken_pii_import_stops_the_store_instead_of_storing_clear_text(tmp_path, monkeypatch):
    from customer_service.errors import RedactionUnavailableError
    from customer_service.store import Store

    monkeypatch.setitem(sys.modules, "shared.pii", None)  # `import shared.pii` now raises ImportError
    monkeypatch.setitem(sys.modules, "shared.pii.policy", None)  # ... and so does the policy module
    with pytest.raises(RedactionUnavailableError, match=r"shared\.pii.*cannot be imported.*scripts/install"):
        Store(f"sqlite:///{tmp_path / 'bot.db'}")
    assert not (tmp_path / "bot.db").exists()  # nothing written before the error
    store = Store(f"sqlite:///{tmp_path / 'explicit.db'}", redactor=str.upper)  # an explicit choice still works
    assert store.redact("call me") == "CALL ME"
