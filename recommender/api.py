"""HTTP routes of the recommender (scope `recs`): top-N for a user, a free-text interest or a few items,
under a named saved configuration; the what-if reach of a new item. Each result carries its per-signal
scores (0-1 over the candidates) and the reason."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from recommender.config import RecConfig
from recommender.config_store import ConfigStore
from recommender.errors import ModelNotTrainedError
from recommender.service import Recommender
from shared.auth import Identity, require
from shared.http.access import requires
from shared.http.keys import KeyIdentity

router = APIRouter(prefix="/v1/recs", tags=["recommendations"])
SIGNALS = ("ranker", "text", "collaborative", "popularity", "recency")
ConfigName = Annotated[str | None, Field(default=None, max_length=80, description="A saved configuration's name.")]


@lru_cache(maxsize=1)
def get_recommender() -> Recommender:
    """The demo artifact under the verticals home (`verticals rec demo` / `verticals up` prepare it)."""
    from recommender.demo import artifact_dir

    return Recommender.load(artifact_dir())


@lru_cache(maxsize=1)
def get_configs() -> ConfigStore:
    """Saved configurations (`VERTICALS_REC_DB` or the home's SQLite file)."""
    return ConfigStore()


def ready(get: Callable[[Callable[[], Any]], Any]) -> str:
    try:
        rec = get(get_recommender)
    except ModelNotTrainedError as exc:  # nothing to serve yet is a state, not a failure of the server
        return f"no recommender trained yet ({exc}); `verticals rec demo` trains one"
    return f"{len(rec.items)} items, {len(get(get_configs).names())} saved configuration(s)"


def warm(get: Callable[[Callable[[], Any]], Any]) -> None:
    try:
        get(get_recommender)
    except ModelNotTrainedError:
        pass  # ready() says so; the routes answer 404 model_not_trained


def resolve_config(store: ConfigStore, name: str | None, n: int | None) -> RecConfig:
    """The saved configuration `name` (default settings without one), with its list length replaced by `n`."""
    config = store.load(name) if name else RecConfig()
    return config if n is None else RecConfig(blend=config.blend, diversity=config.diversity, n=n)


def recommend(rec: Recommender, store: ConfigStore, *, user_id: str | None = None, items: list[str] | None = None,
              text: str | None = None, config: str | None = None, n: int | None = None,
              actor: Identity | None = None) -> dict[str, list[Any]]:
    require(actor, "rec.use")
    return rec.recommend_columns(user_id, history=items, text=text, config=resolve_config(store, config, n))


class RecommendRequest(BaseModel):
    user_id: str | None = Field(default=None, max_length=200, description="A known user.")
    items: list[Annotated[str, Field(max_length=200)]] | None = Field(
        default=None, max_length=50, description="Items the person interacted with (when there is no user id).")
    text: str | None = Field(default=None, max_length=2000, description="A free-text interest.")
    n: int | None = Field(default=None, ge=1, le=200, description="List length (default: the configuration's).")
    config: ConfigName = None


class Recommendation(BaseModel):
    rank: int
    item_id: str
    title: str
    score: float
    signals: dict[str, float | None] = Field(description="Per-signal scores, each 0-1 over the candidates.")
    signal: str = Field(description="The signal that drove this item.")
    reason: str


class Recommendations(BaseModel):
    config: str | None
    items: list[Recommendation]


class WhatIfRequest(BaseModel):
    title: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=5000)
    tags: list[Annotated[str, Field(max_length=100)]] = Field(default_factory=list, max_length=30)
    n_users: int = Field(default=10, ge=1, le=100)
    config: ConfigName = None


class Reach(BaseModel):
    user_id: str
    affinity: float
    rank: int | None
    in_top_n: bool
    recent_history: str


def _num(x: Any) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def _rows(cols: dict[str, list[Any]], config: str | None) -> Recommendations:
    return Recommendations(config=config, items=[
        Recommendation(rank=int(cols["rank"][i]), item_id=str(cols["item_id"][i]), title=str(cols["title"][i]),
                       score=float(cols["score"][i]), signals={s: _num(cols[s][i]) for s in SIGNALS},
                       signal=str(cols["signal"][i]), reason=str(cols["reason"][i]))
        for i in range(len(cols["rank"]))])


@router.get("/configs", response_model=list[str], summary="Saved configurations")
def configs(store: ConfigStore = Depends(get_configs), who: KeyIdentity = Depends(requires("rec.use"))) -> list[str]:
    return store.names()


@router.post("/recommendations", response_model=Recommendations,
             summary="Top-N for a user, a few items, or a free-text interest")
def recommendations(body: RecommendRequest, rec: Recommender = Depends(get_recommender),
                    store: ConfigStore = Depends(get_configs),
                    who: KeyIdentity = Depends(requires("rec.use"))) -> Recommendations:
    cols = recommend(rec, store, user_id=body.user_id, items=body.items, text=body.text, config=body.config,
                     n=body.n, actor=who)
    return _rows(cols, body.config)


@router.get("/users/{user_id}/recommendations", response_model=Recommendations, summary="Top-N for a user")
def user_recommendations(user_id: Annotated[str, PathParam(max_length=200)],
                         n: Annotated[int | None, Query(ge=1, le=200)] = None,
                         config: Annotated[str | None, Query(max_length=80)] = None,
                         rec: Recommender = Depends(get_recommender), store: ConfigStore = Depends(get_configs),
                         who: KeyIdentity = Depends(requires("rec.use"))) -> Recommendations:
    return _rows(recommend(rec, store, user_id=user_id, config=config, n=n, actor=who), config)


@router.post("/what-if", response_model=list[Reach], summary="Which users a new item would reach")
def what_if(body: WhatIfRequest, rec: Recommender = Depends(get_recommender), store: ConfigStore = Depends(get_configs),
            who: KeyIdentity = Depends(requires("rec.use"))) -> list[Reach]:
    require(who, "rec.use")
    frame = rec.what_if(body.title, body.description, body.tags, n_users=body.n_users,
                        config=resolve_config(store, body.config, None))
    return [Reach(user_id=str(r["user_id"]), affinity=float(r["affinity"]),
                  rank=None if _num(r["rank"]) is None else int(r["rank"]), in_top_n=bool(r["in_top_n"]),
                  recent_history=str(r["recent_history"])) for r in frame.to_dict("records")]
