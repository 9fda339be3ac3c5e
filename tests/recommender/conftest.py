"""A tiny themed catalogue and one recommender trained on it with the real packaged MiniLM (session-wide)."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

THEMES = {
    "space": ("Sci-Fi, Space", ["Starship voyage to a distant galaxy", "Colony on Mars", "First contact with aliens",
                                "Galactic war between star empires", "Asteroid miners in deep space",
                                "Astronaut stranded on the moon", "Rocket launch to Jupiter", "Space station mutiny"]),
    "food": ("Food, Cooking", ["Italian pasta masterclass", "Street food tour of Bangkok", "Baking sourdough bread",
                               "French pastry chef competition", "Barbecue and grilling secrets",
                               "Vegetarian home cooking", "Sushi chef apprentice", "Spicy curry kitchen"]),
    "romance": ("Romance, Drama", ["Love letters in Paris", "Wedding on a summer island", "Second chance at love",
                                   "Romantic comedy in New York", "Star-crossed lovers", "Falling in love in Rome",
                                   "A heartfelt love story", "First date disaster"]),
    "crime": ("Crime, Thriller", ["Detective hunts a serial killer", "Bank heist gone wrong", "Mafia boss trial",
                                  "Undercover cop in a drug cartel", "Murder mystery on a train",
                                  "Gangsters of Chicago", "Police corruption scandal", "Art thief on the run"]),
}


def themed_items() -> pd.DataFrame:
    rows = []
    for theme, (tags, titles) in THEMES.items():
        for i, title in enumerate(titles):
            rows.append({"item_id": f"{theme}-{i}", "title": title, "description": f"A {theme} story.",
                         "tags": tags})
    return pd.DataFrame(rows)


def themed_interactions(n_users: int = 32, seed: int = 0) -> pd.DataFrame:
    """Each user loves one theme (6 of its 8 items) after one early item of another theme."""
    rng = np.random.default_rng(seed)
    themes = list(THEMES)
    rows, t = [], 1_700_000_000
    for u in range(n_users):
        theme = themes[u % len(themes)]
        picks = [f"{theme}-{i}" for i in rng.permutation(8)[:6]]
        other = themes[(u + 1) % len(themes)]
        picks.insert(0, f"{other}-{rng.integers(8)}")
        for item in picks:
            t += int(rng.integers(600, 3600))
            rows.append({"user_id": f"u{u}", "item_id": item, "event": "view", "timestamp": t})
    # interleave users in time so every window holds many users' "next" events
    df = pd.DataFrame(rows)
    df["timestamp"] = df.groupby("user_id").cumcount() * 100_000 + df["user_id"].str[1:].astype(int) * 10
    return df.sample(frac=1.0, random_state=seed).reset_index(drop=True)


@pytest.fixture(scope="session")
def themed_dataset():
    from recommender.data import Dataset, normalize_interactions, normalize_items, validate_interactions

    items = normalize_items(themed_items())
    clean, report = validate_interactions(normalize_interactions(themed_interactions()), items)
    return Dataset(clean, items, report)


@pytest.fixture(scope="session")
def _trained(themed_dataset):
    from recommender.config import CandidateConfig, TextTrainConfig
    from recommender.pipeline import TrainSettings, train

    settings = TrainSettings(fractions=(0.6, 0.2, 0.2), ranker_windows=2,
                             text=TextTrainConfig(max_pairs=16, batch_size=8, history_len=5),
                             candidates=CandidateConfig(text=20, cooccurrence=20, als=20, popularity=10))
    return train(themed_dataset, settings, progress=lambda s: None)


@pytest.fixture()
def recommender(_trained):
    """A per-test copy: tests may add items without affecting each other (the encoder is shared)."""
    rec = copy.copy(_trained)
    rec.items = _trained.items.copy()
    rec.item_pos = dict(_trained.item_pos)
    rec.titles = list(_trained.titles)
    rec.item_ids = list(_trained.item_ids)
    rec.item_vectors = _trained.item_vectors.copy()
    rec.signals = copy.deepcopy(_trained.signals)
    rec.user_vectors = dict(_trained.user_vectors)
    from recommender.ann import ItemIndex, LayeredIndex

    main = ItemIndex(rec.item_vectors.shape[1], "flat")
    main.add(rec.item_vectors, np.arange(len(rec.items)))
    rec.index = LayeredIndex(main)
    return rec


@pytest.fixture(scope="session")
def saved_home(_trained, tmp_path_factory):
    """A VERTICALS_HOME holding the trained recommender where the app and the CLI look for it."""
    import os

    home = tmp_path_factory.mktemp("rec-home")
    old = os.environ.get("VERTICALS_HOME")
    os.environ["VERTICALS_HOME"] = str(home)
    try:
        from recommender.demo import artifact_dir

        _trained.save(artifact_dir())
    finally:
        if old is not None:
            os.environ["VERTICALS_HOME"] = old
    return home
