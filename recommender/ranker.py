"""The learned ranker: LightGBM LambdaRank over the candidate features.

Trained on a later window than the candidate models: the behaviour models and histories come from the
training period, the labels from what each user did in the validation period.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from recommender.candidates import FEATURES
from recommender.errors import RecDataError


class Ranker:
    # Stumps (2 leaves: an additive model over the features), many examples per leaf: a few hundred
    # users' lists are little data for LambdaRank. Chosen on validation folds before the test window
    # (bench/recommender_tune.py): 7-leaf trees lost to popularity on one fold, stumps won on all three.
    def __init__(self, n_estimators: int = 300, learning_rate: float = 0.05, num_leaves: int = 2,
                 min_child_samples: int = 50, seed: int = 11) -> None:
        self.params = {"objective": "lambdarank", "n_estimators": n_estimators, "learning_rate": learning_rate,
                       "num_leaves": num_leaves, "min_child_samples": min_child_samples, "random_state": seed,
                       "subsample": 0.8, "subsample_freq": 1, "colsample_bytree": 0.9, "n_jobs": 1, "verbose": -1,
                       "lambdarank_truncation_level": 20}
        self.booster = None

    def fit(self, X: np.ndarray, y: np.ndarray, groups: list[int]) -> Ranker:
        import lightgbm as lgb

        if not len(groups) or y.sum() == 0:
            raise RecDataError("The ranker has no positive examples: no validation-period interaction was "
                               "among the candidates. Use a longer validation window or more candidates.")
        model = lgb.LGBMRanker(**self.params)
        model.fit(X, y, group=groups, feature_name=list(FEATURES))
        self.booster = model.booster_
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        if self.booster is None:
            raise RecDataError("The ranker is not trained yet.")
        # the raw booster skips LGBMRanker's pandas-friendly checks: ~10x faster for one user's candidates
        return np.asarray(self.booster.predict(X, num_threads=1), dtype=np.float32)

    def importance(self) -> dict[str, float]:
        gains = self.booster.feature_importance(importance_type="gain")
        return {name: float(g) for name, g in zip(FEATURES, gains / max(gains.sum(), 1e-9))}

    def save(self, path: Path) -> None:
        self.booster.save_model(str(path))

    @classmethod
    def load(cls, path: Path) -> Ranker:
        import lightgbm as lgb

        obj = cls()
        obj.booster = lgb.Booster(model_file=str(path))
        return obj
