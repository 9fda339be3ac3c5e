"""The financial sentiment monitor's entry in the suite (see shared/apps.py). Light: imports nothing of the app."""

from shared.apps import AppSpec, ServiceSpec

SPEC = AppSpec(
    name="monitor",
    label="Risk dashboard",
    help="The financial sentiment monitor.",
    cli="finance_monitor.cli:app",
    page="finance_monitor.app",
    default_port=8502,
    prepare="finance_monitor.demo:prepare",
    api="finance_monitor.api:router",
    # The scheduler ingests and scores on its timetable while the dashboard is open.
    services=(ServiceSpec(name="scheduler", label="Monitor scheduler", command=("monitor", "run")),),
    db_env="VERTICALS_MONITOR_DB",
    db_file="finance_monitor.db",
    migrations="finance_monitor.store:CHAIN",
)
