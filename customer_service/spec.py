"""The customer-service bot's entry in the suite (see shared/apps.py). Light: imports nothing of the app."""

from shared.apps import AppSpec

SPEC = AppSpec(
    name="bot",
    label="Customer-service console",
    help="The customer-service bot.",
    cli="customer_service.cli:app",
    page="customer_service.app",
    default_port=8501,
    prepare="customer_service.demo:prepare",
    api="customer_service.api:router",
    db_env="VERTICALS_BOT_DB",
    db_file="customer_service.db",
    migrations="customer_service.store:CHAIN",
)
