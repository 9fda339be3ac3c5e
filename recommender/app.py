"""Product team's preview of the recommender (Streamlit). Thin: every decision lives in the service."""

from __future__ import annotations

import os

import streamlit as st

from recommender.config import BlendConfig, DiversityConfig, RecConfig
from recommender.config_store import ConfigStore
from recommender.demo import TEXT_MODEL_NAME, artifact_dir, config_db
from recommender.errors import RecommenderError
from shared.audit_page import render_audit
from shared.auth.streamlit_gate import gate
from shared.datasets.movielens import CITATION, LICENSE
from shared.ui import as_text, render_sidebar

CURRENT = "(current sliders)"


@st.cache_resource(show_spinner="Loading the recommender ...")
def get_recommender(path: str):
    from recommender.service import Recommender

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return Recommender.load(path)


@st.cache_resource
def get_store(path: str) -> ConfigStore:
    return ConfigStore(path)


@st.cache_data(show_spinner="Scoring the configuration on the test window ...", max_entries=32)
def offline_metrics(path: str, config_json: str, max_users: int) -> dict[str, float]:
    import json

    return get_recommender(path).evaluate(RecConfig.from_dict(json.loads(config_json)), max_users=max_users)


def show_error(exc: Exception) -> None:
    st.error(str(exc))


def sidebar_config() -> RecConfig | None:
    st.sidebar.header("Blend")
    w = {name: st.sidebar.slider(name, 0.0, 1.0, default, 0.05, key=f"w_{name}")
         for name, default in BlendConfig().weights().items()}
    st.sidebar.header("Diversity")
    lam = st.sidebar.slider("MMR lambda (1 = relevance only)", 0.0, 1.0, 1.0, 0.05, key="mmr")
    fresh = st.sidebar.slider("share kept for new items (no views yet)", 0.0, 0.5, 0.1, 0.05, key="fresh")
    n = st.sidebar.slider("list length", 5, 30, 10, 1, key="n")
    try:
        return RecConfig(blend=BlendConfig(**w), diversity=DiversityConfig(mmr_lambda=lam, fresh_share=fresh), n=n)
    except RecommenderError as exc:
        st.sidebar.error(str(exc))
        return None


def pick_config(store: ConfigStore, label: str, current: RecConfig | None, key: str) -> RecConfig | None:
    choice = st.selectbox(label, [CURRENT, *store.names()], key=key)
    return current if choice == CURRENT else store.load(choice)


def main() -> None:
    st.set_page_config(page_title="Recommender preview", layout="wide")
    identity = gate("rec.use", title="Recommender preview")
    st.title("Text-aware recommender — preview")
    path = str(artifact_dir())
    try:
        rec = get_recommender(path)
    except RecommenderError as exc:
        show_error(exc)
        st.stop()
    store = get_store(config_db())
    config = sidebar_config()

    if identity.can("rec.configure"):
        st.sidebar.header("Save configuration")
        name = st.sidebar.text_input("name", key="cfg_name")
        if st.sidebar.button("Save", key="save_cfg") and config is not None:
            try:
                store.save(name, config, actor=identity)
                st.sidebar.success(f"Saved {name!r}")
            except RecommenderError as exc:
                st.sidebar.error(str(exc))
        saved = store.names()
        if saved:
            doomed = st.sidebar.selectbox("saved configuration", saved, key="cfg_delete_pick")
            if st.sidebar.button("Delete", key="delete_cfg"):
                store.delete(doomed, actor=identity)
                st.rerun()
    render_sidebar(st, [TEXT_MODEL_NAME])

    tab_rec, tab_ab, tab_new, tab_about = st.tabs(["Recommend", "A/B compare", "New item what-if", "About"])
    users = rec.users()
    with tab_rec:
        mode = st.radio("Recommend for", ["a user", "a free-text interest"], horizontal=True, key="mode")
        user = text = None
        if mode == "a user":
            user = st.selectbox("user", users, key="user")
        else:
            text = st.text_input("interest", "space adventure with robots", key="interest")
        if config is not None:
            try:
                left, right = st.columns([1, 2])
                if user is not None:
                    left.subheader("History (latest first)")
                    left.dataframe(rec.user_history(user, 15)[["when", "title"]], hide_index=True)
                recs = rec.recommend(user, text=text, config=config)
                right.subheader(f"Top {config.n}")
                right.dataframe(recs.drop(columns=["item_id"]), hide_index=True)
            except RecommenderError as exc:
                show_error(exc)

    with tab_ab:
        ab_user = st.selectbox("user", users, key="ab_user")
        max_users = st.slider("users for the offline metric", 10, 200, 40, 10, key="ab_users")
        cols = st.columns(2)
        for side, col in zip("AB", cols):
            with col:
                try:
                    cfg = pick_config(store, f"configuration {side}", config, key=f"cfg_{side}")
                    if cfg is None:
                        continue
                    out = rec.recommend(ab_user, config=cfg)
                    st.dataframe(out[["rank", "title", "score", "reason"]], hide_index=True)
                    if st.toggle("offline metrics", key=f"metrics_{side}"):
                        import json

                        m = offline_metrics(path, json.dumps(cfg.to_dict()), max_users)
                        st.write({k: round(v, 4) if isinstance(v, float) else v for k, v in m.items()})
                except RecommenderError as exc:
                    show_error(exc)

    with tab_new:
        title = st.text_input("title", key="new_title")
        description = st.text_area("description", key="new_desc")
        tags = st.text_input("tags (comma-separated)", key="new_tags")
        if st.button("Who would it reach?", key="what_if"):
            try:
                reach = rec.what_if(title, description, [t.strip() for t in tags.split(",") if t.strip()],
                                    config=config or RecConfig())
                st.dataframe(reach, hide_index=True)
            except RecommenderError as exc:
                show_error(exc)

    with tab_about:
        st.markdown(f"**Data:** {as_text(rec.meta.get('dataset', 'user data'))}.")
        st.markdown(f"MovieLens data courtesy of **GroupLens Research**. {LICENSE}")
        st.caption(CITATION)
        st.json({k: rec.meta.get(k) for k in ("ranker", "text_finetune", "train_seconds", "report")})

    if identity.can("rec.configure") and st.sidebar.toggle("Show the audit trail", key="show_audit"):
        render_audit(st, lambda **kw: store.audit_trail(actor=identity, **kw), "rec")


main()
