"""Encoder fine-tuning through the core's embedding task: references, hard negatives, and the
promote-if-not-worse retrain with the real MiniLM on real FAQ pairs."""

from __future__ import annotations

import pytest

from customer_service.errors import NoTrainingDataError, SettingsError
from customer_service.tuning import EncoderRecipe, mine_hard_negatives, model_name, parse_ref


def test_refs_and_names():
    assert parse_ref("bot-encoder-x@v0003") == ("bot-encoder-x", "v0003")
    assert parse_ref("minilm") == ("minilm", None)
    assert parse_ref("/models/me@home") == ("/models/me@home", None)  # not a version
    assert model_name("Acme Support / EU") == "bot-encoder-Acme-Support-EU"
    with pytest.raises(SettingsError, match="batch_size"):
        EncoderRecipe(batch_size=1)


def test_hard_negative_is_the_best_ranked_wrong_answer(encoder, faq):
    questions, answers = faq["question"].tolist()[:12], faq["answer"].tolist()[:12]
    negatives = mine_hard_negatives(encoder, questions, answers)
    sims = encoder.encode(questions) @ encoder.encode(answers).T
    for i, neg in enumerate(negatives):
        assert neg != answers[i]
        order = [answers[j] for j in sims[i].argsort()[::-1] if j != i]
        assert neg == order[0]
    with pytest.raises(NoTrainingDataError):
        mine_hard_negatives(encoder, questions[:2], [answers[0]] * 2)


def test_hard_negatives_can_come_from_a_wider_pool(encoder, faq):
    questions, answers = faq["question"].tolist()[:6], faq["answer"].tolist()[:6]
    pool = faq["answer"].tolist()[6:20]
    negatives = mine_hard_negatives(encoder, questions, answers, pool)
    texts = list(dict.fromkeys(answers + pool))
    sims = encoder.encode(questions) @ encoder.encode(texts).T
    for i, neg in enumerate(negatives):
        assert neg == next(texts[j] for j in sims[i].argsort()[::-1] if texts[j] != answers[i])
    assert any(neg in pool for neg in negatives)  # the pool is really searched


@pytest.mark.slow
def test_retrain_encoder_registers_and_promotes_only_if_not_worse(faq, tmp_path):
    """Real full fine-tuning of MiniLM through the core on ~40 FAQ pairs (one epoch, about a minute)."""
    from customer_service.feedback import retrain_encoder
    from shared.encoders import load_encoder
    from shared.registry import Registry

    registry = Registry()  # under the test's VERTICALS_HOME, where load_encoder looks too
    pairs = faq[["question", "answer"]]
    report = retrain_encoder("minilm", pairs, faq["answer"].tolist(), name="bot-encoder-t", registry=registry,
                             recipe=EncoderRecipe(epochs=1, batch_size=8))
    name, version = parse_ref(report.candidate)
    assert name == "bot-encoder-t" and version == registry.versions(name)[-1]
    card = registry.card(name, version)
    assert card.task == "embedding" and card.data["negative_col"] == "negative"  # hard negatives were used
    assert report.promoted == (report.candidate_metric >= report.current_metric)
    if report.promoted:
        assert registry.current_version(name) == version
    assert load_encoder(report.candidate).encode(["building permit"]).shape == (1, 384)
    with pytest.raises(NoTrainingDataError):
        retrain_encoder("minilm", pairs.head(5), [], name="bot-encoder-t", registry=registry)
