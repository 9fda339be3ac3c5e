"""Discovered entities: a real (tiny, head-only) NER model trained through the core finds ORG/PER mentions,
which are normalised, merged with the watch list, stored with offsets, trended past a minimum volume, listed
as emerging, and watched in one click."""

from __future__ import annotations

import re
from datetime import timedelta

import pandas as pd
import pytest
from sqlalchemy import func, select

from finance_monitor import discovery, mentions, queries, scoring
from finance_monitor.entities import WatchEntry
from finance_monitor.ingest import ingest_items
from finance_monitor.mentions import AliasIndex, MentionExtractor, display_name, entity_key
from finance_monitor.monitor import Monitor
from finance_monitor.sources.base import RawItem
from finance_monitor.store import ItemEntityRow, MentionRow, ScoreRow
from finance_monitor.views import highlight_html
from tests.core.test_token_classification import synthetic
from tests.finance_monitor.conftest import T0


@pytest.mark.parametrize("surface, key", [
    ("Tesco plc", "tesco"), ("TESCO", "tesco"), ("Tesco's", "tesco"), ("The Tesco PLC’s", "tesco"),
    ("Globex Inc.", "globex"), ("Rolls-Royce Holdings", "rolls-royce"), ("Bank of England", "bank of england"),
    ("Inc.", ""), ("J. Sainsbury", "j sainsbury"),
])
def test_entity_key_ignores_case_punctuation_possessives_and_legal_suffixes(surface, key):
    assert entity_key(surface) == key


def test_display_name_and_watch_list_merge():
    assert display_name("BANK OF ENGLAND") == "Bank of England"
    assert display_name("IMF") == "IMF" and display_name("rolls-royce plc") == "Rolls-Royce"
    index = AliasIndex([WatchEntry("Lloyds", "LLOY", ("Lloyds Banking Group",)), WatchEntry("Sainsbury's")])
    assert index.resolve("LLOYDS BANKING GROUP plc") == ("Lloyds", True)
    assert index.resolve("Sainsbury") == ("Sainsbury's", True)
    assert index.resolve("Wirecard AG") == ("Wirecard", False)
    assert index.resolve("plc") is None


def test_highlight_escapes_feed_text():
    text = "<script>alert(1)</script> **Acme** sued [Bob](http://x)"
    start = text.index("Acme")
    html = highlight_html(text, [(start, start + 4, "ORG"), (0, 8, "PER")])
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<mark style="background:#fde68a" title="ORG">Acme<sup>ORG</sup></mark>' in html
    assert html.count("<mark") == 2 and "[Bob](http://x)" in html  # Markdown stays literal text (st.html)


@pytest.fixture(scope="module")
def ner(tmp_path_factory):
    from shared.api import finetune, load_model
    from shared.config import OptimConfig, TrainConfig
    from shared.registry import Registry

    registry = Registry(tmp_path_factory.mktemp("ner-registry"))
    config = TrainConfig(epochs=8, patience=8, progress=False, optim=OptimConfig(batch_size=32))
    finetune(task="token-classification", name="fin-ner", method="head", registry=registry, config=config,
             splits=(synthetic(64, 1), synthetic(16, 2), synthetic(8, 3)), baseline=False)
    return registry, load_model("fin-ner", registry=registry)


HEADLINES = ["Shares of Globex Inc fell after Carol White resigned.", "Hooli said Dan Brown will lead the bank.",
             "Hooli said Erin Green will lead the bank.", "Shares of Hooli fell after Bob Jones resigned.",
             "Initech said Alice Smith will lead the bank."]


def test_monitor_extracts_merges_trends_and_discovers(store, ner, tfidf_scorers):
    _, model = ner
    scoring.set_watch(store, "Globex", None, ["Globex Inc"])
    extractor = MentionExtractor("fin-ner", model, model.card.version)
    assert extractor.feature_key == ("minilm", "mean", 128)  # head-only: shares the classifiers' pass
    items = [RawItem(h, published_at=T0 - timedelta(days=1, hours=i)) for i, h in enumerate(HEADLINES)]
    ingest_items(store, None, items, T0)
    monitor = Monitor(store, scorers=tfidf_scorers, extractor=extractor)
    done = monitor.score(T0)
    assert done[f"ner:fin-ner@{model.card.version}"] == 5
    with store.session() as s:
        rows = s.scalars(select(MentionRow)).all()
        titles = {r.id: r.title for r in s.scalars(select(queries.ItemRow))}
    assert rows and all(titles[r.item_id][r.start:r.end] == r.text for r in rows)
    by_entity = {(r.entity, r.type, r.watched) for r in rows}
    assert ("Globex", "ORG", True) in by_entity and ("Hooli", "ORG", False) in by_entity
    assert ("Carol White", "PER", False) in by_entity
    # Hooli (3 items) passes the minimum volume; Initech and the people (1 item each) do not
    frame = queries.scored_frame(store, until=T0)
    counted = {e for ents in frame["entities"] for e in ents}
    assert {"Globex", "Hooli"} <= counted and "Initech" not in counted and "Carol White" not in counted
    monitor.aggregate(T0, since=T0 - timedelta(days=3))
    assert "Hooli" in queries.entities(store)
    trend = queries.trends(store, "1D", "entity", ["Hooli"])
    assert int(trend["volume"].sum()) == 3
    table = discovery.emerging(store, T0)
    assert table.loc[table["entity"] == "Hooli", "status"].tolist() == ["new"]
    assert "Globex" not in table["entity"].tolist()  # watched already
    again = monitor.score(T0)  # nothing pending: no re-extraction
    assert again[f"ner:fin-ner@{model.card.version}"] == 0
    # one click: Hooli joins the watch list; its mentions count for the watch-list entry
    discovery.watch_entity(store, "Hooli")
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(MentionRow).where(
            MentionRow.entity == "Hooli", MentionRow.watched.is_(False))) == 0
        assert s.scalar(select(func.count()).select_from(ItemEntityRow).where(ItemEntityRow.entity == "Hooli")) == 3
    assert "Hooli" not in discovery.emerging(store, T0)["entity"].tolist()


def test_new_ner_version_re_extracts_and_replaces_rows(store, ner, tfidf_scorers):
    _, model = ner
    ingest_items(store, None, [RawItem(h, published_at=T0) for h in HEADLINES[:2]], T0)
    first = MentionExtractor("fin-ner", model, "v-old")
    Monitor(store, scorers=tfidf_scorers, extractor=first).score(T0)
    second = MentionExtractor("fin-ner", model, "v-new")
    done = Monitor(store, scorers=tfidf_scorers, extractor=second).score(T0)
    assert done["ner:fin-ner@v-new"] == 2
    with store.session() as s:
        versions = set(s.scalars(select(MentionRow.model_version)))
        marks = s.scalar(select(func.count()).select_from(ScoreRow).where(ScoreRow.kind == "ner"))
    assert versions == {"v-new"} and marks == 4


def test_shared_pass_features_equal_the_classifiers_own(ner):
    import numpy as np
    import torch

    from finance_monitor.features import FeatureCache

    _, model = ner
    found, pooled = model.predict_with_features(HEADLINES[:3])
    assert [e.text for e in found[0]] == ["Globex Inc", "Carol White"]
    # the classifiers' head-only features: mean-pooled states of the same tokens from the same encoder
    from shared.tasks.classification.data import encode
    from shared.tasks.classification.objective import run_batches

    examples = encode(model.tokenizer, HEADLINES[:3], None, None, 128)
    with torch.inference_mode():
        own = run_batches(lambda inp: _pool(model.model, inp), examples, model.tokenizer.pad_token_id, 8, 8,
                          model.device, model.precision)
    np.testing.assert_allclose(np.stack(pooled), own, atol=2e-2)
    cache = FeatureCache()
    cache.put(("minilm", "mean", 128), [1, 2, 3], pooled)

    class Reader:
        feature_key = ("minilm", "mean", 128)

        def extract(self, texts):
            raise AssertionError("the cache should have answered")

    assert cache.features(Reader(), [1, 2, 3], HEADLINES[:3]).shape == (3, pooled[0].shape[0])


def _pool(model, inp):
    from shared.modeling.pooling import mean_pool

    return mean_pool(model.encoder(input_ids=inp["input_ids"], attention_mask=inp["attention_mask"])
                     .last_hidden_state, inp["attention_mask"])


def test_emerging_rejects_bad_windows(store):
    from finance_monitor.errors import MonitorError

    with pytest.raises(MonitorError, match="positive windows"):
        discovery.emerging(store, T0, recent_days=0)
    assert discovery.emerging(store, T0).empty and isinstance(discovery.emerging(store, T0), pd.DataFrame)


def test_extractor_needs_a_token_classifier(monkeypatch, tmp_path):
    from finance_monitor.errors import ModelUnavailableError

    with pytest.raises(ModelUnavailableError, match="monitor prepare"):
        mentions.load_extractor("fin-ner-missing")


def test_dashboard_lists_emerging_entities_watches_one_and_highlights_escaped(store, ner, tfidf_scorers,
                                                                              monkeypatch):
    from streamlit.testing.v1 import AppTest

    from finance_monitor.spec import SPEC

    _, model = ner
    titles = HEADLINES + ["Hooli <b>bold</b> said Dan Brown will lead the bank."]
    items = [RawItem(h, published_at=T0 - timedelta(days=1, hours=i)) for i, h in enumerate(titles)]
    ingest_items(store, None, items, T0)
    monitor = Monitor(store, scorers=tfidf_scorers, extractor=MentionExtractor("fin-ner", model, "v1"))
    monitor.score(T0)
    monitor.aggregate(T0, since=T0 - timedelta(days=3))
    monkeypatch.setenv("VERTICALS_MONITOR_DB", store.url)
    at = AppTest.from_file(str(SPEC.page_path()), default_timeout=300).run()
    at.sidebar.radio(key="page").set_value("Entities").run()
    assert not at.exception
    emerging = at.dataframe[0].value
    assert "Hooli" in emerging["entity"].tolist()
    row = emerging["entity"].tolist().index("Hooli")
    at.button(key=f"watch_{row}").click().run()
    assert not at.exception and "Hooli" in {w.name for w in scoring.watchlist(store)}
    at.text_input(key="entity_query").set_value("hooli").run()
    at.selectbox(key="entity").set_value("Hooli").run()
    shown = [e.proto.body for e in at.get("html")]
    bold = next(b for b in shown if "bold" in b)
    # the feed's markup is shown as text, never rendered: only our own <div>/<mark>/<sup> tags are tags
    assert "&lt;" in bold and "&gt;" in bold and "<b>" not in bold and "</b>" not in bold
    assert {t for t in re.findall(r"</?([a-z]+)", bold)} <= {"div", "mark", "sup"}
    assert any('<mark style="background:#fde68a" title="ORG">Hooli<sup>ORG</sup></mark>' in b for b in shown)
