"""The preview app, headless through streamlit's AppTest, on the saved themed recommender."""

import pytest
from streamlit.testing.v1 import AppTest

from recommender.spec import SPEC


@pytest.fixture()
def app(saved_home, monkeypatch):
    monkeypatch.setenv("VERTICALS_HOME", str(saved_home))
    at = AppTest.from_file(str(SPEC.page_path()), default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    return at


def frames(at):
    return [d.value for d in at.main.dataframe]  # the sidebar holds the suite's model table


def test_user_history_and_recommendations_with_reasons(app):
    history, recs = frames(app)[:2]
    assert len(history) > 0
    assert len(recs) == 10 and {"reason", "text", "collaborative", "popularity"} <= set(recs.columns)
    assert recs["reason"].str.len().gt(0).all()
    assert any("GroupLens" in m.value for m in app.markdown)


def test_sliders_update_and_bad_blend_is_a_clear_message(app):
    app.sidebar.slider(key="n").set_value(5).run()
    assert len(frames(app)[1]) == 5
    app.sidebar.slider(key="w_ranker").set_value(0.0).run()
    assert not app.exception
    assert any("All blend weights are 0" in e.value for e in app.sidebar.error)


def test_free_text_interest(app):
    app.radio(key="mode").set_value("a free-text interest").run()
    app.text_input(key="interest").input("cooking delicious food in a kitchen").run()
    recs = frames(app)[0]
    assert recs["title"].head(3).isin(["Italian pasta masterclass", "Street food tour of Bangkok",
                                       "Baking sourdough bread", "French pastry chef competition",
                                       "Barbecue and grilling secrets", "Vegetarian home cooking",
                                       "Sushi chef apprentice", "Spicy curry kitchen"]).all()


def test_save_named_config_and_compare_side_by_side(app):
    app.sidebar.slider(key="w_text").set_value(1.0).run()
    app.sidebar.text_input(key="cfg_name").input("text-heavy").run()
    app.sidebar.button(key="save_cfg").click().run()
    assert any("Saved 'text-heavy'" in s.value for s in app.sidebar.success)
    app.selectbox(key="cfg_B").set_value("text-heavy").run()
    app.toggle(key="metrics_A").set_value(True).run()
    assert not app.exception
    assert any("ndcg@10" in str(j.value) for j in app.json) or "ndcg@10" in str(app)


def test_new_item_what_if(app):
    app.text_input(key="new_title").input("Mars rover expedition").run()
    app.text_area(key="new_desc").input("A space story: astronauts explore the red planet").run()
    app.button(key="what_if").click().run()
    assert not app.exception
    reach = frames(app)[-1]
    assert {"user_id", "affinity", "rank"} <= set(reach.columns) and len(reach) > 0
