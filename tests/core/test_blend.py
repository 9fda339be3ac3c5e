"""shared.blend: log-linear blends checked against hand-built probability arrays."""

from __future__ import annotations

import numpy as np
import pytest

from shared.blend import Blend, accuracy, choose_blend
from shared.errors import ConfigError


def _rows() -> tuple[dict[str, np.ndarray], np.ndarray]:
    # The anchor is right on rows 0-2 and mildly wrong on rows 3-4; "lex" is confidently right on 3-4 and mildly
    # wrong on 0-1; "noise" is always wrong. Only a weight on "lex" can reach 5/5.
    anchor = np.array([[.8, .2], [.7, .3], [.2, .8], [.55, .45], [.45, .55]])
    lex = np.array([[.4, .6], [.45, .55], [.3, .7], [.1, .9], [.9, .1]])
    noise = np.array([[.01, .99], [.01, .99], [.99, .01], [.99, .01], [.01, .99]])
    return {"model": anchor, "lex": lex, "noise": noise}, np.array([0, 0, 1, 1, 0])


def test_choose_blend_finds_the_weight_that_fixes_the_anchor_and_ignores_noise():
    probas, gold = _rows()
    blend, acc = choose_blend("model", probas, gold)
    assert acc == {"accuracy": 1.0, "anchor_accuracy": 0.6}
    weights = dict(zip(blend.names, blend.weights))
    assert weights["model"] == 1.0 and weights["noise"] == 0.0 and weights["lex"] > 0
    assert blend.active == ("model", "lex")
    assert accuracy(blend, probas, gold) == 1.0


def test_ties_keep_the_anchor_alone():
    probas, gold = _rows()
    gold = probas["model"].argmax(1)  # the anchor is already perfect: nothing should be added
    blend, acc = choose_blend("model", probas, gold)
    assert blend.weights == (1.0, 0.0, 0.0) and acc["accuracy"] == 1.0


def test_proba_is_the_normalised_weighted_product():
    probas, _ = _rows()
    blend = Blend(("model", "lex"), (1.0, 0.5))
    expected = probas["model"] * probas["lex"] ** 0.5
    expected /= expected.sum(1, keepdims=True)
    assert blend.proba(probas) == pytest.approx(expected)
    assert Blend.from_dict(blend.to_dict()) == blend
    assert blend.digest != Blend(("model", "lex"), (1.0, 0.25)).digest


def test_bad_blends_and_signals_are_clear_errors():
    probas, gold = _rows()
    with pytest.raises(ConfigError, match=">= 0"):
        Blend(("model", "lex"), (1.0, -1.0))
    with pytest.raises(ConfigError, match="one weight each"):
        Blend(("model", "lex"), (1.0,))
    with pytest.raises(ConfigError, match="needs the signals"):
        Blend(("model", "lex"), (1.0, 1.0)).scores({"model": probas["model"]})
    with pytest.raises(ConfigError, match="anchor signal 'other'"):
        choose_blend("other", probas, gold)
    with pytest.raises(ConfigError, match="one row per gold label"):
        choose_blend("model", probas, gold[:3])
    with pytest.raises(ConfigError, match="Not a stored blend"):
        Blend.from_dict({"names": ["model"]})
