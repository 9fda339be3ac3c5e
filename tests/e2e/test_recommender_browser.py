"""A product manager, in a real browser: picks a user, reads their history and top-10, then moves the
diversity slider and sees the list change. The preview runs as `streamlit run` over a small real
recommender (the recommender tests' themed catalogue, MiniLM item vectors, a real LambdaRank ranker)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser


def build_recommender_home(home: Path, minilm) -> Path:
    """Train the themed recommender (no text fine-tuning: the encoder is shared) into `home`."""
    from recommender.config import CandidateConfig, TextTrainConfig
    from recommender.data import Dataset, normalize_interactions, normalize_items, validate_interactions
    from recommender.pipeline import TrainSettings, train
    from recommender.text_model import TextInterestModel
    from tests.recommender.conftest import themed_interactions, themed_items

    items = normalize_items(themed_items())
    clean, report = validate_interactions(normalize_interactions(themed_interactions()), items)
    settings = TrainSettings(fractions=(0.6, 0.2, 0.2), ranker_windows=2,
                             text=TextTrainConfig(max_pairs=0, history_len=5),
                             candidates=CandidateConfig(text=20, cooccurrence=20, als=20, popularity=10))
    rec = train(Dataset(clean, items, report), settings, progress=lambda s: None,
                encoder=TextInterestModel(minilm.model))
    rec.save(home / "recommender" / "ml-100k")  # where recommender.demo.artifact_dir() looks
    return home


GRID_TITLES = """(n) => {
    const grid = document.querySelectorAll("[data-testid='stDataFrame']")[n];
    return grid ? [...grid.querySelectorAll("[role='gridcell'][aria-colindex='2']")].map(c => c.innerText.trim()) : [];
}"""


def wait_for_titles(page, n: int, expected: list[str]) -> None:
    """Wait until the n-th data grid's title column shows exactly `expected` (read from its accessible cells)."""
    page.wait_for_function(f"([n, expected]) => JSON.stringify(({GRID_TITLES})(n)) === JSON.stringify(expected)",
                           arg=[n, expected])


@pytest.fixture
def rec_home(tmp_path: Path, minilm) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    return build_recommender_home(home, minilm)


def test_product_manager_picks_a_user_and_moves_the_diversity_slider(rec_home: Path, start_app, page) -> None:
    from playwright.sync_api import expect

    from recommender.config import DiversityConfig, RecConfig
    from recommender.service import Recommender

    # The oracle: what the service itself returns for the same artifact and settings.
    rec = Recommender.load(rec_home / "recommender" / "ml-100k")
    history = rec.user_history("u1", 15)["title"].tolist()
    relevance = rec.recommend("u1", config=RecConfig())["title"].tolist()
    diverse = rec.recommend("u1", config=RecConfig(diversity=DiversityConfig(mmr_lambda=0.0)))["title"].tolist()
    assert len(relevance) == len(diverse) == 10 and relevance != diverse

    app = start_app("recommender", rec_home)
    page.goto(app.url)
    expect(page.get_by_role("heading", name="Text-aware recommender — preview", exact=True)).to_be_visible()

    # Pick user u1 (a food lover who once watched something else).
    user = page.get_by_role("combobox", name="user", exact=True)
    expect(user).to_have_value("u0")
    user.click()
    page.get_by_role("option", name="u1", exact=True).click()
    expect(user).to_have_value("u1")
    expect(page.get_by_text("History (latest first)")).to_be_visible()
    expect(page.get_by_role("heading", name="Top 10", exact=True)).to_be_visible()
    wait_for_titles(page, 0, history)
    wait_for_titles(page, 1, relevance)

    slider = page.get_by_role("slider", name="MMR lambda (1 = relevance only)")
    expect(slider).to_have_value("1")
    slider.focus()
    slider.press("Home")  # all the way to 0: diversity only
    expect(slider).to_have_value("0")
    expect(page.locator(".st-key-mmr [data-testid='stSliderThumbValue']")).to_have_text("0.00")
    wait_for_titles(page, 1, diverse)
