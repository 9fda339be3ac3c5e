"""Threshold calibration on hand-built score arrays."""

from __future__ import annotations

import numpy as np
import pytest

from customer_service.calibration import (
    calibrate,
    evaluate_threshold,
    precision_threshold,
    rejection_threshold,
)


def test_precision_threshold_is_the_lowest_that_meets_the_target():
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
    correct = np.array([1, 1, 1, 0, 1, 0], dtype=bool)
    # answering >=0.7: 3/3 correct; >=0.5: 4/5 = 0.8; >=0.4: 4/6
    assert precision_threshold(scores, correct, 1.0) == pytest.approx(0.7)
    assert precision_threshold(scores, correct, 0.8) == pytest.approx(0.5)
    assert precision_threshold(scores, correct, 0.5) == pytest.approx(0.4)


def test_precision_threshold_never_splits_ties():
    scores = np.array([0.9, 0.7, 0.7])
    correct = np.array([1, 1, 0], dtype=bool)
    assert precision_threshold(scores, correct, 1.0) == pytest.approx(0.9)


def test_unreachable_precision_means_always_hand_over():
    scores = np.array([0.9, 0.8])
    correct = np.array([0, 0], dtype=bool)
    assert precision_threshold(scores, correct, 0.5) == float("inf")
    cal = calibrate(scores, correct, target_precision=0.5)
    assert cal.coverage == 0.0


def test_rejection_threshold_hands_over_the_target_share():
    oos = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0])
    t = rejection_threshold(oos, 0.9)
    assert (oos < t).mean() == pytest.approx(0.9)
    assert t == pytest.approx(0.9)


def test_calibrate_takes_the_stricter_constraint():
    scores = np.array([0.95, 0.9, 0.85, 0.5])
    correct = np.array([1, 1, 1, 1], dtype=bool)
    oos = np.array([0.2, 0.3, 0.6, 0.88])
    cal = calibrate(scores, correct, oos, target_precision=0.9, target_rejection=1.0)
    assert cal.threshold > 0.88
    assert cal.rejection == 1.0
    assert cal.coverage == pytest.approx(0.5)  # 0.85 is below the threshold forced up by the 0.88 outlier
    assert cal.precision == 1.0


def test_evaluate_threshold():
    cal = evaluate_threshold(0.5, np.array([0.4, 0.6, 0.8]), np.array([1, 0, 1], dtype=bool), np.array([0.1, 0.7]))
    assert cal.coverage == pytest.approx(2 / 3)
    assert cal.precision == pytest.approx(0.5)
    assert cal.rejection == pytest.approx(0.5)
