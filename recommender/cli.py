"""`verticals rec ...`: validate data, train, recommend, what-if, evaluate, save configurations.

Heavy imports (torch, faiss, lightgbm) happen inside the commands so `--help` stays instant.
"""

from __future__ import annotations

from pathlib import Path

import typer

from shared.cli.errors import clear_errors as _clear_errors

app = typer.Typer(help="Text-aware recommender: behaviour + item text, blended ranking.", no_args_is_help=True)


def _load(name: str):
    from recommender.demo import artifact_dir
    from recommender.service import Recommender

    return Recommender.load(artifact_dir(name))


DB = typer.Option(None, "--db", help="Saved configurations: SQLAlchemy URL (default: $VERTICALS_REC_DB, "
                 "else SQLite under $VERTICALS_HOME).")


def _config(name: str | None, n: int, ranker: float, text: float, collaborative: float, popularity: float,
            recency: float, mmr: float, fresh: float = 0.1, db: str | None = None):
    from recommender.config import BlendConfig, DiversityConfig, RecConfig
    from recommender.config_store import ConfigStore

    if name:
        cfg = ConfigStore(db).load(name)
        return RecConfig(blend=cfg.blend, diversity=cfg.diversity, n=n)
    return RecConfig(blend=BlendConfig(ranker=ranker, text=text, collaborative=collaborative,
                                       popularity=popularity, recency=recency),
                     diversity=DiversityConfig(mmr_lambda=mmr, fresh_share=fresh), n=n)


@app.command()
@_clear_errors
def validate(interactions: Path = typer.Option(..., help="CSV/JSONL/Parquet of events"),
             items: Path = typer.Option(..., help="CSV/JSONL/Parquet of items"),
             user_col: str = "user_id", item_col: str = "item_id", time_col: str = "timestamp",
             event_col: str = "event", title_col: str = "title", description_col: str = "description",
             tags_col: str = "tags") -> None:
    """Load and validate data files; print what would be set aside and why."""
    from recommender.data import InteractionColumns, ItemColumns, load_dataset

    ds = load_dataset(interactions, items, InteractionColumns(user_col, item_col, time_col, event_col),
                      ItemColumns(item_col, title_col, description_col, tags_col))
    typer.echo(f"{len(ds.items)} items. {ds.report.summary()}")
    if not ds.report.ok:
        typer.echo(ds.report.rejected.head(20).to_string())


@app.command()
@_clear_errors
def train(interactions: Path | None = typer.Option(None, help="events file; omit for MovieLens-100k"),
          items: Path | None = typer.Option(None, help="items file; omit for MovieLens-100k"),
          name: str = typer.Option("ml-100k", help="artifact name under $VERTICALS_HOME/recommender/"),
          max_pairs: int = typer.Option(1024, help="text fine-tuning pairs (0 = base model)"),
          register_as: str | None = typer.Option(None, help="fine-tune via the core and register the "
                                                    "text model under this name"),
          user_col: str = "user_id", item_col: str = "item_id", time_col: str = "timestamp",
          event_col: str = "event", title_col: str = "title", description_col: str = "description",
          tags_col: str = "tags") -> None:
    """Train text model, behaviour signals and ranker; save under the given name."""
    from recommender.config import TextTrainConfig
    from recommender.data import InteractionColumns, ItemColumns, load_dataset, movielens_dataset
    from recommender.demo import artifact_dir
    from recommender.errors import RecDataError
    from recommender.pipeline import TrainSettings
    from recommender.pipeline import train as fit

    if (interactions is None) != (items is None):
        raise RecDataError("Give both --interactions and --items, or neither (MovieLens-100k).")
    ds = movielens_dataset() if interactions is None else load_dataset(
        interactions, items, InteractionColumns(user_col, item_col, time_col, event_col),
        ItemColumns(item_col, title_col, description_col, tags_col))
    typer.echo(ds.report.summary())
    rec = fit(ds, TrainSettings(text=TextTrainConfig(max_pairs=max_pairs), register_as=register_as),
              progress=typer.echo)
    rec.save(artifact_dir(name))
    typer.echo(f"saved to {artifact_dir(name)}")


@app.command()
@_clear_errors
def recommend(user: str | None = typer.Option(None, help="a known user id"),
              items: str | None = typer.Option(None, help="comma-separated item ids (a new user's history)"),
              text: str | None = typer.Option(None, help="free-text interest"),
              n: int = 10, name: str = "ml-100k",
              config: str | None = typer.Option(None, help="a saved configuration name"),
              ranker: float = 1.0, text_weight: float = 0.0, collaborative: float = 0.0,
              popularity: float = 0.0, recency: float = 0.0, mmr: float = 1.0,
              fresh: float = typer.Option(0.1, help="share of the list kept for items with no views yet"),
              db: str | None = DB) -> None:
    """Top-N recommendations with the per-signal scores and a reason for each."""
    cfg = _config(config, n, ranker, text_weight, collaborative, popularity, recency, mmr, fresh, db)
    rec = _load(name)
    history = [i.strip() for i in items.split(",") if i.strip()] if items else None
    out = rec.recommend(user, history=history, text=text, config=cfg)
    typer.echo(out[["rank", "item_id", "title", "score", "signal", "reason"]].to_string(index=False))


@app.command("what-if")
@_clear_errors
def what_if(title: str = typer.Option(...), description: str = "", tags: str = "", n_users: int = 10,
            name: str = "ml-100k") -> None:
    """Which users a new (text-only) item would reach, and at which rank."""
    rec = _load(name)
    out = rec.what_if(title, description, [t.strip() for t in tags.split(",") if t.strip()], n_users=n_users)
    typer.echo(out.to_string(index=False))


@app.command()
@_clear_errors
def evaluate(name: str = "ml-100k", config: str | None = None, ranker: float = 1.0,
             text_weight: float = 0.0, collaborative: float = 0.0, popularity: float = 0.0,
             recency: float = 0.0, mmr: float = 1.0, db: str | None = DB) -> None:
    """Offline Recall@10 / NDCG@10 / MRR / coverage of a configuration on the test window."""
    cfg = _config(config, 10, ranker, text_weight, collaborative, popularity, recency, mmr, db=db)
    for k, v in _load(name).evaluate(cfg).items():
        typer.echo(f"{k:>10}: {v:.4f}" if isinstance(v, float) else f"{k:>10}: {v}")


@app.command("save-config")
@_clear_errors
def save_config(config_name: str, ranker: float = 1.0, text_weight: float = 0.0, collaborative: float = 0.0,
                popularity: float = 0.0, recency: float = 0.0, mmr: float = 1.0, n: int = 10,
                db: str | None = DB) -> None:
    """Save a named blend/diversity configuration (shared with the preview app)."""
    from recommender.config_store import ConfigStore
    from shared.auth.identity import operator

    cfg = _config(None, n, ranker, text_weight, collaborative, popularity, recency, mmr)
    ConfigStore(db).save(config_name, cfg, actor=operator())
    typer.echo(f"saved configuration {config_name!r}")


@app.command()
@_clear_errors
def prepare(force: bool = False, max_pairs: int = 1024) -> None:
    """Train the MovieLens-100k demo model (what ./scripts/demo runs)."""
    from recommender.demo import prepare as run

    run(force=force, max_pairs=max_pairs)
