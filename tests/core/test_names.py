"""The one name rule (shared/names.py), the registry's use of it, and `models export` refusing to overwrite."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from shared.card import ModelCard
from shared.errors import ConfigError
from shared.names import InvalidNameError, check_name, child_path
from shared.registry import Registry


@pytest.mark.parametrize("name", ["intents", "team-a_2", "v0001", "a", "a.b", "A" * 64])
def test_valid_names_pass_unchanged(name):
    assert check_name(name) == name


@pytest.mark.parametrize("name", ["", " ", "..", ".hidden", "../x", "a/b", "a\\b", "/abs", "a..b", "a b",
                                  "-dash", "A" * 65, "naïve", "x\n", None, 3])
def test_bad_names_raise_one_error_naming_value_and_rule(name):
    with pytest.raises(InvalidNameError) as err:
        check_name(name, "workspace")
    assert isinstance(err.value, ValueError) and isinstance(err.value, ConfigError)
    assert "workspace name" in str(err.value) and repr(name) in str(err.value)
    assert "letters, digits" in str(err.value)


def test_child_path_stays_inside_root_even_through_a_link(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    assert child_path(root, "ok") == root / "ok"
    (root / "link").symlink_to(tmp_path)
    with pytest.raises(InvalidNameError, match="resolves outside"):
        child_path(root, "link")


def _add(registry: Registry, name: str) -> str:
    with registry.staging(name) as staged:
        (staged / "weights.bin").write_bytes(b"x")
        return registry.add(name, staged, ModelCard(name=name, task="classification", base_model="minilm",
                                                    method="head"))


def test_promote_refuses_a_version_outside_the_registry(tmp_path):
    registry = Registry(tmp_path / "home" / "registry")
    _add(registry, "intents")
    fake = tmp_path / "fake"  # a planted model folder outside the registry
    fake.mkdir()
    ModelCard(name="intents", task="classification", base_model="minilm", method="head").save(fake)
    with pytest.raises(InvalidNameError, match="model version"):
        registry.promote("intents", "../../fake")
    assert registry.current_version("intents") == "v0001"


def test_a_tampered_index_cannot_point_outside(tmp_path):
    registry = Registry(tmp_path / "registry")
    _add(registry, "intents")
    (tmp_path / "registry" / "intents" / "index.json").write_text('{"current": "../../x", "promotions": []}')
    with pytest.raises(InvalidNameError):
        registry.path("intents")


def test_models_export_refuses_a_non_empty_folder_without_force(tmp_path, monkeypatch):
    from shared.cli.main import app

    monkeypatch.setenv("VERTICALS_HOME", str(tmp_path / "home"))
    _add(Registry(), "intents")
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    res = CliRunner().invoke(app, ["models", "export", "intents", "--out", str(out)])
    assert res.exit_code != 0
    assert "not empty" in str(res.exception or res.output) and "--force" in str(res.exception or res.output)
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    assert (out / "notes.txt").read_text() == "keep me"
