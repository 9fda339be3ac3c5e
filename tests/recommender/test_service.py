"""The service end to end on a tiny themed catalogue, with the real packaged MiniLM."""

import numpy as np
import pytest

from recommender.config import BlendConfig, DiversityConfig, RecConfig
from recommender.errors import EmptyHistoryError, RecDataError, UnknownItemError, UnknownUserError
from recommender.service import Recommender

TEXT_ONLY = RecConfig(blend=BlendConfig(ranker=0.0, text=1.0))
SPACE_FAN, FOOD_FAN = "u0", "u1"  # users love theme u % 4: space, food, romance, crime


def theme(item_id: str) -> str:
    return item_id.split("-")[0]


def test_cold_start_item_reaches_the_user_whose_history_matches_its_text(recommender):
    recommender.add_item("new-space", "Nebula explorers", "A space story: astronauts pilot a starship "
                         "through a nebula", ["Sci-Fi", "Space"])
    assert "new-space" in recommender.recommend(SPACE_FAN)["item_id"].tolist()
    # competing only with the space items the fan has not seen yet, ahead of every other theme
    text_top = recommender.recommend(SPACE_FAN, config=TEXT_ONLY)["item_id"].tolist()
    unseen_space = [i for i in text_top if theme(i) == "space"]
    assert "new-space" in text_top[: len(unseen_space)]
    assert "new-space" not in recommender.recommend(FOOD_FAN, config=TEXT_ONLY)["item_id"].head(5).tolist()


def test_known_user_gets_unseen_items_of_their_theme_with_reasons(recommender):
    recs = recommender.recommend(SPACE_FAN, config=RecConfig(n=5))
    seen = set(recommender.user_history(SPACE_FAN, None)["item_id"])
    assert not seen & set(recs["item_id"])
    assert theme(recs["item_id"].iat[0]) == "space"
    assert recs["reason"].str.match(r"(Because you watched|Similar description to|Popular|New)").all()
    for col in ("text", "collaborative", "popularity", "recency", "ranker"):
        assert recs[col].between(0, 1).all()


def test_free_text_and_new_user_cold_start(recommender):
    recs = recommender.recommend(text="cooking delicious food in a kitchen", config=RecConfig(n=3))
    assert [theme(i) for i in recs["item_id"]] == ["food"] * 3
    assert recs["reason"].str.startswith("Matches your interest").any()
    new_user = recommender.recommend(history=["crime-0", "crime-1"], config=RecConfig(n=5))
    assert sum(theme(i) == "crime" for i in new_user["item_id"]) >= 3
    assert not {"crime-0", "crime-1"} & set(new_user["item_id"])


def test_diversity_rerank_spreads_the_list(recommender):
    def spread(recs):
        vecs = recommender.item_vectors[[recommender.item_pos[i] for i in recs["item_id"]]]
        sims = vecs @ vecs.T
        return sims[np.triu_indices(len(vecs), 1)].mean(), len({theme(i) for i in recs["item_id"]})

    focused = recommender.recommend(SPACE_FAN, config=RecConfig(n=6, blend=TEXT_ONLY.blend))
    diverse = recommender.recommend(SPACE_FAN, config=RecConfig(
        n=6, blend=TEXT_ONLY.blend, diversity=DiversityConfig(mmr_lambda=0.2)))
    (sim_f, themes_f), (sim_d, themes_d) = spread(focused), spread(diverse)
    assert sim_d < sim_f and themes_d > themes_f


def test_bad_requests_raise_one_clear_error(recommender):
    with pytest.raises(UnknownUserError, match="'nobody'"):
        recommender.recommend("nobody")
    with pytest.raises(UnknownItemError, match="no-such-item"):
        recommender.recommend(history=["space-0", "no-such-item"])
    with pytest.raises(EmptyHistoryError, match="free-text interest"):
        recommender.recommend(history=[], text="   ")
    with pytest.raises(RecDataError, match="already in the catalogue"):
        recommender.add_item("space-0", "dup")
    with pytest.raises(RecDataError, match="title or a description"):
        recommender.add_item("blank", "  ")


def test_what_if_reaches_fans_of_the_matching_theme_and_leaves_no_trace(recommender):
    n_items = len(recommender.items)
    reach = recommender.what_if("Mars rover expedition", "Astronauts explore the red planet in a rocket",
                                ["Sci-Fi", "Space"], n_users=4, config=TEXT_ONLY)
    fans = {f"u{u}" for u in range(0, 32, 4)}
    assert set(reach["user_id"]) <= fans
    assert reach["rank"].notna().all()
    assert len(recommender.items) == n_items and "__what_if__" not in recommender.item_pos
    assert len(recommender.index) == n_items


def test_training_windows_respect_time_and_metrics_are_sane(recommender):
    meta = recommender.meta
    assert recommender.history["timestamp"].max() < meta["test_start"] <= recommender.test["timestamp"].min()
    for start, end in meta["ranker_windows"]:
        assert start < end <= meta["test_start"]
    m = recommender.evaluate()
    assert m["users"] > 0 and 0 < m["ndcg@10"] <= 1 and 0 <= m["recall@10"] <= 1
    pop_only = recommender.evaluate(RecConfig(blend=BlendConfig(ranker=0.0, popularity=1.0)))
    assert m["ndcg@10"] > pop_only["ndcg@10"]  # themes are learnable; popularity ignores them


def test_save_and_load_give_the_same_recommendations(recommender, tmp_path):
    recommender.save(tmp_path / "rec")
    again = Recommender.load(tmp_path / "rec", encoder=recommender.encoder)
    a = recommender.recommend("u2")
    b = again.recommend("u2")
    assert a["item_id"].tolist() == b["item_id"].tolist()
    np.testing.assert_allclose(a["score"], b["score"], rtol=1e-5)
    recommender.save(tmp_path / "rec")  # overwrite in place keeps a loadable artifact
    assert Recommender.load(tmp_path / "rec", encoder=recommender.encoder).users() == recommender.users()


def test_free_text_only_request_is_led_by_text_not_popularity(recommender):
    recs = recommender.recommend(text="crime detective murder investigation", config=RecConfig(n=4))
    assert [theme(i) for i in recs["item_id"]] == ["crime"] * 4


def test_text_model_gate_serves_the_encoder_that_won_on_the_validation_window(recommender):
    from recommender.evaluation import text_only_ndcg

    gate = recommender.meta["text_finetune"]["validation_text_ndcg@10"]
    assert 0 <= gate["base"] <= 1 and 0 <= gate["fine_tuned"] <= 1
    assert gate["kept"] == (gate["fine_tuned"] > gate["base"])
    # re-scoring the served encoder on the same window reproduces the number of the side that won
    start, end = recommender.meta["ranker_windows"][-1]
    h = recommender.history
    served = text_only_ndcg(recommender.encoder, recommender.items, h[h["timestamp"] < start],
                            h[(h["timestamp"] >= start) & (h["timestamp"] < end)], recommender.history_len)
    assert served["ndcg@10"] == pytest.approx(gate["fine_tuned" if gate["kept"] else "base"], abs=1e-4)


def test_saved_signals_are_arrays_and_json_and_old_pickled_artifacts_ask_for_a_retrain(recommender, tmp_path):
    import json
    import pickle

    from recommender.errors import ModelNotTrainedError

    recommender.save(tmp_path / "rec")
    files = sorted(p.name for p in (tmp_path / "rec").iterdir())
    assert "signals.npz" in files and "signals.json" in files and "signals.pkl" not in files
    again = Recommender.load(tmp_path / "rec", encoder=recommender.encoder)
    np.testing.assert_array_equal(again.signals.popularity.count, recommender.signals.popularity.count)
    assert (again.signals.cooccurrence.sim != recommender.signals.cooccurrence.sim).nnz == 0
    np.testing.assert_array_equal(again.signals.als.item_factors, recommender.signals.als.item_factors)
    # an artifact of the previous format: its pickle is never opened, the error says what to do
    meta = json.loads((tmp_path / "rec" / "meta.json").read_text())
    (tmp_path / "rec" / "meta.json").write_text(json.dumps({**meta, "version": 2}))
    marker = tmp_path / "code-ran"
    (tmp_path / "rec" / "signals.pkl").write_bytes(pickle.dumps(_Planted(str(marker))))
    with pytest.raises(ModelNotTrainedError, match="retrain"):
        Recommender.load(tmp_path / "rec", encoder=recommender.encoder)
    assert not marker.exists()


class _Planted:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        from pathlib import Path

        return (Path.write_text, (Path(self.path), "ran"))
