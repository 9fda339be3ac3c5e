"""Saved recommender configurations: product users save and delete (audited), others are refused."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from recommender.config import RecConfig
from recommender.config_store import ConfigStore
from recommender.errors import RecConfigError
from shared.auth import Identity, PermissionDenied

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)
PAT = Identity("pat@example.com", "product")
ANA = Identity("ana@example.com", "agent")


def test_save_replace_delete_are_audited_with_the_product_user(tmp_path) -> None:
    store = ConfigStore(tmp_path / "rec.db")
    store.save("wide", RecConfig(n=10), T0, actor=PAT)
    store.save("wide", RecConfig(n=20), T0, actor=PAT)
    store.delete("wide", T0, actor=PAT)
    rows = list(reversed(store.audit_trail(actor=PAT)))
    assert [(r.actor, r.action, r.target) for r in rows] == [
        ("pat@example.com", "rec.config.save", "config wide"), ("pat@example.com", "rec.config.save", "config wide"),
        ("pat@example.com", "rec.config.delete", "config wide")]
    assert rows[0].before is None and '"n":10' in rows[1].before and '"n":20' in rows[1].after
    assert store.names() == []
    with pytest.raises(RecConfigError, match="No saved configuration named 'wide'"):
        store.delete("wide", actor=PAT)


def test_other_roles_are_refused_and_nothing_changes(tmp_path) -> None:
    store = ConfigStore(tmp_path / "rec.db")
    store.save("base", RecConfig(), T0, actor=PAT)
    for call in (lambda: store.save("x", RecConfig(), actor=ANA), lambda: store.delete("base", actor=ANA),
                 lambda: store.audit_trail(actor=ANA)):
        with pytest.raises(PermissionDenied, match="'rec.configure'"):
            call()
    assert store.names() == ["base"] and len(store.audit_trail(actor=PAT)) == 1
