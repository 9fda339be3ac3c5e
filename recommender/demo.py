"""Demo state: the recommender trained on MovieLens-100k, saved under `verticals_home()/recommender/`.

`prepare()` is idempotent: an existing, loadable artifact is kept. Text fine-tuning is kept short
(1024 pairs, one epoch) so that it takes a few minutes on 2 CPU cores.
"""

from __future__ import annotations

import os
from pathlib import Path

from shared.names import child_path
from shared.paths import verticals_home

DEMO_NAME = "ml-100k"
TEXT_MODEL_NAME = "rec-interest-ml100k"  # the fine-tuned text model's name in the core's registry


def artifact_dir(name: str = DEMO_NAME) -> Path:
    """A named artifact's folder under `$VERTICALS_HOME/recommender/`: a name, never a path."""
    return child_path(verticals_home() / "recommender", name, "recommender artifact")


def config_db() -> str:
    """The saved configurations' database URL: `$VERTICALS_REC_DB`, else SQLite under the home."""
    from recommender.config_store import DB_ENV, DB_FILE
    from shared.db.urls import resolve_url

    return resolve_url(None, env_var=DB_ENV, db_file=DB_FILE)


def prepare(data_dir: Path | None = None, force: bool = False, max_pairs: int = 1024) -> None:
    """Train and save the MovieLens-100k recommender unless a current one is already there.

    `data_dir` is accepted for the common demo signature; MovieLens is read from the recbole wheel.
    """
    from recommender.errors import ModelNotTrainedError
    from recommender.service import Recommender

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    target = artifact_dir()
    if not force:
        try:
            Recommender.load(target)
            print(f"recommender: demo model already at {target}")
            return
        except ModelNotTrainedError:
            pass
    from recommender.config import TextTrainConfig
    from recommender.data import movielens_dataset
    from recommender.pipeline import TrainSettings, train

    rec = train(movielens_dataset(), TrainSettings(text=TextTrainConfig(max_pairs=max_pairs),
                                                   register_as=TEXT_MODEL_NAME if max_pairs > 0 else None),
                progress=lambda s: print(f"recommender: {s}", flush=True))
    rec.meta["dataset"] = "MovieLens-100k (GroupLens), from the recbole 1.2.1 wheel"
    rec.save(target)
    print(f"recommender: saved to {target}")
