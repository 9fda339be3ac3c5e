"""Recommendations and the monitor over HTTP, each over its real service and store: top-N for a user / items
/ free text under a saved configuration with per-signal scores and reasons, the what-if; alerts listed,
read with their items, acknowledged and resolved under the key's name; items and trends for a window."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from recommender.config import BlendConfig, RecConfig
from tests.finance_monitor.conftest import T0
from tests.http.conftest import assert_error, make_client

TEXT_ONLY = RecConfig(blend=BlendConfig(ranker=0.0, text=1.0, collaborative=0.0, popularity=0.0, recency=0.0), n=5)


@pytest.fixture
def rec_client(keys, recommender, tmp_path):
    from recommender.api import get_configs, get_recommender
    from recommender.config_store import ConfigStore

    configs = ConfigStore(tmp_path / "configs.sqlite")
    configs.save("text-only", TEXT_ONLY)
    with make_client(keys, [("rec", "recommender.api:router")],
                     {get_recommender: lambda: recommender, get_configs: lambda: configs}) as client:
        client.headers["X-API-Key"] = keys.create("shop", "recs")
        yield client


def test_recommendations_for_text_items_and_user_under_a_saved_configuration(rec_client, recommender):
    r = rec_client.post("/v1/recs/recommendations", json={"text": "astronauts and rockets in outer space",
                                                          "config": "text-only"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["config"] == "text-only" and len(body["items"]) == 5
    top = body["items"][0]
    assert top["item_id"].startswith("space-") and top["rank"] == 1
    assert set(top["signals"]) == {"ranker", "text", "collaborative", "popularity", "recency"}
    assert top["signals"]["text"] == pytest.approx(1.0) and top["reason"]
    expected = recommender.recommend(text="astronauts and rockets in outer space", config=TEXT_ONLY)
    assert [i["item_id"] for i in body["items"]] == expected["item_id"].tolist()
    by_items = rec_client.post("/v1/recs/recommendations", json={"items": ["food-0", "food-1"], "n": 4}).json()
    assert len(by_items["items"]) == 4 and {"food-0", "food-1"}.isdisjoint(i["item_id"] for i in by_items["items"])
    user = rec_client.get("/v1/recs/users/u0/recommendations", params={"n": 3}).json()
    assert [i["rank"] for i in user["items"]] == [1, 2, 3]
    assert rec_client.get("/v1/recs/configs").json() == ["text-only"]


def test_what_if_and_recommendation_errors(rec_client):
    r = rec_client.post("/v1/recs/what-if", json={"title": "Mission to the outer planets", "tags": ["Sci-Fi"],
                                                 "n_users": 3})
    assert r.status_code == 200, r.text
    reach = r.json()
    assert len(reach) == 3 and all(0 <= row["affinity"] <= 1.0 + 1e-6 for row in reach)
    assert_error(rec_client.post("/v1/recs/recommendations", json={}), 422, "empty_history")
    assert_error(rec_client.get("/v1/recs/users/nobody/recommendations"), 404, "unknown_user")
    assert_error(rec_client.post("/v1/recs/recommendations", json={"items": ["nope"]}), 404, "unknown_item")
    assert_error(rec_client.post("/v1/recs/recommendations", json={"text": "x", "config": "missing"}), 404,
                 "unknown_config")
    assert_error(rec_client.post("/v1/recs/recommendations", json={"text": "x", "n": 0}), 422, "validation_error")


@pytest.fixture
def monitor_store(tmp_path):
    from finance_monitor import alerts
    from finance_monitor.monitor import Monitor
    from finance_monitor.rules import Evaluation, Rule
    from finance_monitor.store import ItemEntityRow, ItemRow, ScoreRow, Store

    store = Store(f"sqlite:///{tmp_path / 'monitor.db'}")
    rows = [("Oil prices slump as demand falls", "energy", -0.8, ["Shell"]),
            ("Oil majors cut jobs", "energy", -0.6, ["Shell", "BP"]),
            ("Bank profits beat forecasts", "banking", 0.7, ["HSBC"])]
    with store.session() as s:
        for i, (title, topic, value, ents) in enumerate(rows):
            item = ItemRow(content_hash=f"h{i}", title=title, body="", published_at=T0 - timedelta(hours=3 - i),
                           fetched_at=T0)
            s.add(item)
            s.flush()
            label = "negative" if value < 0 else "positive"
            s.add(ScoreRow(item_id=item.id, kind="sentiment", model="test", model_version="1", label=label,
                           value=value, confidence=0.9, scored_at=T0))
            s.add(ScoreRow(item_id=item.id, kind="topic", model="test", model_version="1", label=topic,
                           value=None, confidence=0.9, scored_at=T0))
            s.add_all([ItemEntityRow(item_id=item.id, entity=e) for e in ents])
    Monitor(store).aggregate(T0, since=T0 - timedelta(days=2))
    rule = Rule(name="neg", kind="negative_share", cooldown_s=0, repeat_interval_s=3600, resolve_after_s=0)
    bucket = pd.Timestamp(T0).floor("1D")
    alerts.apply_evaluations(store, rule, [Evaluation("neg", "topic", "energy", bucket, True, 1.0, 0.1, 0.3, 2,
                                                      "energy negative share 1.00")], T0,
                             items_for=lambda ev: [1, 2])
    yield store
    store.dispose()


@pytest.fixture
def monitor_client(keys, monitor_store):
    from finance_monitor.api import get_store

    with make_client(keys, [("monitor", "finance_monitor.api:router")], {get_store: lambda: monitor_store}) as client:
        yield client, {"X-API-Key": keys.create("risk-read", "monitor.read")}, \
            {"X-API-Key": keys.create("risk-bot", "monitor.write")}


def test_alerts_read_acknowledge_resolve_under_the_keys_name(monitor_client):
    client, read, write = monitor_client
    (alert,) = client.get("/v1/monitor/alerts", headers=read).json()
    assert (alert["subject"], alert["status"], alert["rule"]) == ("energy", "open", "neg")
    one = client.get(f"/v1/monitor/alerts/{alert['id']}", headers=read).json()
    assert sorted(i["title"] for i in one["items"]) == ["Oil majors cut jobs", "Oil prices slump as demand falls"]
    assert_error(client.post(f"/v1/monitor/alerts/{alert['id']}/ack", headers=read), 403, "permission_denied")
    acked = client.post(f"/v1/monitor/alerts/{alert['id']}/ack", headers=write).json()
    assert acked["status"] == "acknowledged" and acked["acked_by"] == "key:risk-bot"
    resolved = client.post(f"/v1/monitor/alerts/{alert['id']}/resolve", headers=write).json()
    assert resolved["status"] == "resolved" and resolved["resolved_at"] is not None
    assert client.get("/v1/monitor/alerts", headers=read).json() == []
    assert [a["id"] for a in client.get("/v1/monitor/alerts", params={"status": "resolved"}, headers=read).json()] \
        == [alert["id"]]
    assert_error(client.post(f"/v1/monitor/alerts/{alert['id']}/resolve", headers=write), 422, "alert_state")
    assert_error(client.get("/v1/monitor/alerts/999", headers=read), 404, "not_found")


def test_items_and_trends_per_topic_or_entity_for_a_window(monitor_client):
    client, read, _ = monitor_client
    energy = client.get("/v1/monitor/items", params={"subject": "energy"}, headers=read).json()
    assert [i["title"] for i in energy] == ["Oil majors cut jobs", "Oil prices slump as demand falls"]
    shell = client.get("/v1/monitor/items", params={"subject": "Shell", "subject_type": "entity",
                                                   "since": (T0 - timedelta(hours=2, minutes=30)).isoformat()},
                       headers=read).json()
    assert [i["title"] for i in shell] == ["Oil majors cut jobs"]
    trend = client.get("/v1/monitor/trends", params={"subject": "energy", "freq": "1D"}, headers=read).json()
    assert [(t["volume"], round(t["mean_sentiment"], 3), t["neg_share"]) for t in trend] == [(2, -0.7, 1.0)]
    assert client.get("/v1/monitor/trends", params={"subject": "energy", "until": "2020-01-01T00:00:00"},
                      headers=read).json() == []
    assert_error(client.get("/v1/monitor/items", params={"subject": "x", "subject_type": "sector"}, headers=read),
                 422, "validation_error")
