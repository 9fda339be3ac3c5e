"""The one `Encoder` protocol (`shared.encoders`): every implementation against the same contract, and the
resolver's order and errors (registry name@version, registered name, catalogue, never a silent fallback)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

SIMILAR = ("How do I reset my password?", "I forgot my password and need a new one")
OTHER = "The central bank raised interest rates by half a point."


@pytest.fixture(scope="module")
def minilm():
    from shared.models.loading import load_sentence_transformer

    return load_sentence_transformer("minilm", device="cpu")


@pytest.fixture(scope="module")
def registry(tmp_path_factory, minilm):
    """A registry holding a copy of MiniLM as the embedding model `faq-encoder` (v0001) and a head-only
    classifier `topics` on MiniLM."""
    from shared.api import finetune
    from shared.card import ModelCard
    from shared.config import TrainConfig
    from shared.registry import Registry
    from shared.tasks.embedding.artifacts import save_embedder

    reg = Registry(tmp_path_factory.mktemp("registry"))
    with reg.staging("faq-encoder") as staged:
        save_embedder(staged, minilm)
        reg.add("faq-encoder", staged, ModelCard("faq-encoder", "embedding", "minilm", "full"))
    rows = [("the match ended in a draw", "sport"), ("the striker scored twice", "sport"),
            ("shares fell after the earnings call", "markets"), ("the index closed higher", "markets")]
    frame = pd.DataFrame(rows * 3, columns=["text", "label"])
    finetune(frame, name="topics", method="head", registry=reg, splits=(frame, frame, frame),
             config=TrainConfig(epochs=2, patience=2, progress=False))
    return reg


def _catalogue(minilm, registry):
    from shared.encoders import load_encoder

    return load_encoder("minilm", registry=registry)


def _registered(minilm, registry):
    from shared.encoders import load_encoder

    return load_encoder("faq-encoder@v0001", registry=registry)


def _text_interest(minilm, registry):
    from recommender.text_model import TextInterestModel

    return TextInterestModel(minilm)


def _classifier_features(minilm, registry):
    from finance_monitor.features import EncoderFeatures
    from shared.api import load_model

    return EncoderFeatures(load_model("topics", registry=registry), batch_size=8)


def _batching(minilm, registry):
    from shared.encoders import SentenceTransformerEncoder
    from shared.http.batching import BatchingEncoder

    return BatchingEncoder(SentenceTransformerEncoder(minilm, name="minilm"))


IMPLEMENTATIONS = {"catalogue": _catalogue, "registry": _registered, "recommender text model": _text_interest,
                   "classifier features": _classifier_features, "batching (HTTP API)": _batching}


@pytest.fixture(params=list(IMPLEMENTATIONS))
def encoder(request, minilm, registry):
    return IMPLEMENTATIONS[request.param](minilm, registry)


def test_every_encoder_meets_the_protocol(encoder):
    from shared.encoders import Encoder

    assert isinstance(encoder, Encoder)
    assert isinstance(encoder.name, str) and encoder.name
    assert encoder.dim == 384  # all of them read MiniLM's sentence features

    vecs = encoder.encode([*SIMILAR, OTHER])
    assert vecs.shape == (3, encoder.dim) and vecs.dtype == np.float32
    assert np.linalg.norm(vecs, axis=1) == pytest.approx([1.0, 1.0, 1.0], abs=1e-4)
    assert float(vecs[0] @ vecs[1]) > float(vecs[0] @ vecs[2]) + 0.1  # paraphrases closer than off-topic

    raw = encoder.encode([SIMILAR[0]], normalize=False)
    assert raw.shape == (1, encoder.dim) and raw.dtype == np.float32
    assert raw[0] / np.linalg.norm(raw[0]) == pytest.approx(vecs[0], abs=1e-3)  # same direction, own length
    assert encoder.encode([SIMILAR[0]]) == pytest.approx(vecs[:1], abs=1e-4)  # one text alone, same vector

    empty = encoder.encode([])
    assert empty.shape == (0, encoder.dim) and empty.dtype == np.float32


def test_resolver_names_the_encoder_by_its_reference(registry):
    from shared.encoders import SentenceTransformerEncoder, load_encoder

    enc = load_encoder("faq-encoder", registry=registry)  # the current version of a registered name
    assert isinstance(enc, SentenceTransformerEncoder)
    assert (enc.name, enc.dim) == ("faq-encoder", 384)


def test_unknown_references_are_clear_errors(registry):
    from shared.encoders import load_encoder
    from shared.errors import ModelNotFoundError

    with pytest.raises(ModelNotFoundError, match="No registered encoder 'nobody@v0003'.*models list"):
        load_encoder("nobody@v0003", registry=registry)
    with pytest.raises(ModelNotFoundError, match="Unknown model 'nobody'"):
        load_encoder("nobody", registry=registry)


def test_a_registered_classifier_is_not_used_as_an_encoder(registry):
    from shared.encoders import load_encoder
    from shared.errors import ModelLoadError

    with pytest.raises(ModelLoadError, match="'topics' is a classification model, not an encoder"):
        load_encoder("topics", registry=registry)


def test_a_broken_registered_encoder_fails_loudly_instead_of_falling_back(tmp_path: Path, registry):
    """A registered name whose files are broken used to fall through to the catalogue; now the error says
    which reference failed and what to do."""
    from shared.card import ModelCard
    from shared.encoders import load_encoder
    from shared.errors import ModelLoadError
    from shared.registry import Registry

    reg = Registry(tmp_path / "reg")
    for name in ("minilm", "support"):  # one shadows the catalogue name: it must not be replaced by it
        with reg.staging(name) as staged:
            (staged / "config.json").write_text("{}")  # no modules.json: not a SentenceTransformer folder
            reg.add(name, staged, ModelCard(name, "embedding", "minilm", "full"))
        with pytest.raises(ModelLoadError, match=rf"registered encoder '{name}' could not be loaded.*"
                                                 rf"rollback {name}"):
            load_encoder(name, registry=reg)
    with pytest.raises(ModelLoadError, match="'support@v0001' could not be loaded"):
        load_encoder("support@v0001", registry=reg)
