"""Model registry promote/rollback: a permission check and an audit row in the suite database."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine

from shared import audit
from shared.auth import Identity, PermissionDenied
from shared.card import ModelCard
from shared.registry import Registry

SAM = Identity("sam@example.com", "supervisor")
ANA = Identity("ana@example.com", "agent")


def _version(reg: Registry, name: str) -> str:
    with reg.staging(name) as staged:
        (staged / "weights.txt").write_text("w")
        return reg.add(name, staged, ModelCard(name=name, task="classification", base_model="minilm",
                                               method="head"), promote=False)


def test_promote_and_rollback_are_audited_and_need_models_manage(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'suite.db'}"
    reg = Registry(tmp_path / "registry", audit_url=url)
    v1, v2 = _version(reg, "intents"), _version(reg, "intents")
    reg.promote("intents", v1, actor=SAM)
    reg.promote("intents", v2, actor=SAM)
    with pytest.raises(PermissionDenied, match="'models.manage'"):
        reg.rollback("intents", actor=ANA)
    with pytest.raises(PermissionDenied):
        reg.promote("intents", v1, actor=ANA)
    assert reg.current_version("intents") == v2
    assert reg.rollback("intents", actor=SAM) == v1
    rows = list(reversed(audit.entries(create_engine(url))))
    assert [(r.actor, r.action, r.target, r.before, r.after) for r in rows] == [
        ("sam@example.com", "model.promote", "intents", '{"current":null}', f'{{"current":"{v1}"}}'),
        ("sam@example.com", "model.promote", "intents", f'{{"current":"{v1}"}}', f'{{"current":"{v2}"}}'),
        ("sam@example.com", "model.rollback", "intents", f'{{"current":"{v2}"}}', f'{{"current":"{v1}"}}'),
    ]
