from __future__ import annotations

import pytest

from shared.card import ModelCard
from shared.errors import ConfigError, RegistryError
from shared.registry import Registry


def _add(registry: Registry, name: str, promote: bool = True) -> str:
    with registry.staging(name) as staged:
        (staged / "weights.bin").write_bytes(b"x")
        return registry.add(name, staged, ModelCard(name=name, task="classification", base_model="minilm",
                                                    method="head"), promote=promote)


def test_versions_promote_and_rollback(tmp_path):
    registry = Registry(tmp_path)
    assert _add(registry, "intents") == "v0001"
    assert _add(registry, "intents") == "v0002"
    assert registry.current_version("intents") == "v0002"
    assert _add(registry, "intents", promote=False) == "v0003"
    assert registry.current_version("intents") == "v0002"
    registry.promote("intents", "v0003")
    assert registry.rollback("intents") == "v0002"
    assert registry.card("intents").version == "v0002"
    assert [c.version for c in registry.list("intents")] == ["v0001", "v0002", "v0003"]


def test_errors_name_what_is_wrong(tmp_path):
    registry = Registry(tmp_path)
    with pytest.raises(RegistryError, match="No model named 'ghost'"):
        registry.path("ghost")
    _add(registry, "intents")
    with pytest.raises(RegistryError, match="no version 'v0009'"):
        registry.promote("intents", "v0009")
    with pytest.raises(RegistryError, match="no earlier promoted version"):
        registry.rollback("intents")
    with pytest.raises(ConfigError):
        _add(registry, "../escape")


def test_failed_build_leaves_nothing_behind(tmp_path):
    registry = Registry(tmp_path)
    with pytest.raises(RuntimeError), registry.staging("broken") as staged:
        (staged / "half.bin").write_bytes(b"x")
        raise RuntimeError("training crashed")
    assert registry.names() == [] and not any((tmp_path / ".staging").iterdir())
