"""The recommender's entry in the suite (see shared/apps.py). Light: imports nothing of the app."""

from shared.apps import AppSpec

SPEC = AppSpec(
    name="rec",
    label="Recommendation preview",
    help="The text-aware recommender.",
    cli="recommender.cli:app",
    page="recommender.app",
    default_port=8503,
    prepare="recommender.demo:prepare",
    api="recommender.api:router",
    db_env="VERTICALS_REC_DB",
    db_file="recommender/configs.sqlite",
    migrations="recommender.config_store:CHAIN",
)
