"""`verticals monitor ...`: the daemon, back-fills, status, and management of sources, rules, alerts.

Heavy imports live inside the commands so `verticals --help` stays fast.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from pathlib import Path

import typer

from shared.auth.identity import operator

app = typer.Typer(help="Financial sentiment monitor: ingestion, scoring, trend alerts.", no_args_is_help=True)
sources_app = typer.Typer(help="Add, pause, resume, remove and fetch sources.", no_args_is_help=True)
rules_app = typer.Typer(help="List, load (YAML), enable and disable alert rules.", no_args_is_help=True)
alerts_app = typer.Typer(help="List, acknowledge and resolve alerts.", no_args_is_help=True)
app.add_typer(sources_app, name="sources")
app.add_typer(rules_app, name="rules")
app.add_typer(alerts_app, name="alerts")

DB = typer.Option(None, "--db", help="SQLAlchemy URL (default: SQLite under $VERTICALS_HOME, or $VERTICALS_MONITOR_DB).")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _settings(db: str | None):
    from finance_monitor.settings import DB_ENV, DB_FILE, MonitorSettings
    from shared.db.urls import resolve_url

    return MonitorSettings(db_url=resolve_url(db, env_var=DB_ENV, db_file=DB_FILE))


def _store(db: str | None):
    from finance_monitor.store import Store

    return Store(_settings(db).db_url)


def _date(value: str) -> datetime:
    from finance_monitor.errors import MonitorError
    from finance_monitor.sources.base import to_utc

    parsed = to_utc(value)
    if parsed is None:
        raise MonitorError(f"cannot read {value!r} as a date; use YYYY-MM-DD or an ISO timestamp")
    return parsed


@app.command()
def run(db: str | None = DB) -> None:
    """Run the scheduler daemon (fetch, score, aggregate, evaluate) until interrupted."""
    from finance_monitor.scheduler import MonitorDaemon

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    daemon = MonitorDaemon(_settings(db))
    typer.echo(f"monitor scheduler started on {daemon.monitor.store.masked_url} (Ctrl-C to stop)")
    daemon.start()


@app.command()
def backfill(source: str = typer.Option(..., "--source", help="Source name."),
             start: str = typer.Option(..., "--from", help="First day (YYYY-MM-DD, UTC)."),
             end: str = typer.Option(..., "--to", help="Last day (YYYY-MM-DD, UTC)."),
             step_hours: int = typer.Option(24, "--step-hours", help="Replay clock step."),
             db: str | None = DB) -> None:
    """Replay a source between two dates through the whole pipeline; alerts fire as they would have."""
    from datetime import timedelta

    from finance_monitor.monitor import Monitor

    monitor = Monitor(_store(db), _settings(db))
    t0, t1 = _date(start), _date(end)
    reports = monitor.backfill(source, t0, t1, timedelta(hours=step_hours))
    opened = sum(len(c.opened) for r in reports for c in r.changes.values())
    typer.echo(f"backfilled {source} from {t0:%Y-%m-%d} to {t1:%Y-%m-%d}: {len(reports)} steps, {opened} alerts opened")


@app.command()
def status(db: str | None = DB) -> None:
    """Counts, source health, open alerts and the scheduler lock."""
    from finance_monitor import queries
    from finance_monitor.locking import StoreLock

    store = _store(db)
    c = queries.counts(store)
    typer.echo(f"store: {store.masked_url}")
    typer.echo(", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in c.items()))
    held = StoreLock(store).held_by()
    typer.echo(f"scheduler: {'running as ' + held[0] + f' (heartbeat {held[1]:%H:%M:%S} UTC)' if held else 'not running'}")
    for r in queries.sources(store).itertuples():
        typer.echo(f"  source {r.name} [{r.kind}] {r.health}: {r.items_total} items"
                   + (f"; last error: {r.last_error}" if r.last_error else ""))
    for a in queries.alerts(store).itertuples():
        typer.echo(f"  alert #{a.id} [{a.severity}] {a.status}: {a.message}")


@app.command()
def prepare(method: str | None = typer.Option(
                None, help="Fine-tuning method for all three models: head, lora, full, topk (default: each model's "
                "shipped recipe: sentiment full, FPB test 0.837; topic head, R8 0.970; NER head). The sentiment "
                "model's blend with its TF-IDF baseline and the lexicon is then fitted on FPB dev."),
            retrain: bool = typer.Option(False, help="Train again even if registered."),
            data_dir: Path | None = typer.Option(None, help="Public data folder (default $VERTICALS_DATA).")) -> None:
    """Fine-tune the sentiment (Financial PhraseBank), topic (Reuters R8) and ORG/PER tagger (FiNER + Wikigold)
    models through the core, and fit the sentiment blend (finance_monitor/sentiment_blend.py)."""
    from finance_monitor.models import ensure_models

    versions = ensure_models(method, data_dir, retrain=retrain)
    typer.echo(", ".join(f"{k} {v}" for k, v in versions.items()))


@app.command()
def rescore(db: str | None = DB) -> None:
    """Score every item with the current model versions (after a promotion; a new NER version re-extracts
    every item's entities) and rebuild trends."""
    from finance_monitor import queries
    from finance_monitor.monitor import Monitor

    monitor = Monitor(_store(db), _settings(db))
    now = _now()
    done = monitor.score(now)
    frame = queries.scored_frame(monitor.store)
    since = frame["published_at"].min().to_pydatetime() if not frame.empty else now
    monitor.aggregate(now, since=since)
    typer.echo(json.dumps(done))


@app.command()
def watch(name: str, ticker: str | None = typer.Option(None, help="Ticker, e.g. AAPL."),
          alias: list[str] = typer.Option([], "--alias", help="Other names to match (repeatable)."),
          db: str | None = DB) -> None:
    """Add or update a watch-list company (matched in titles and bodies)."""
    from finance_monitor.scoring import set_watch

    set_watch(_store(db), name, ticker, alias, actor=operator())
    typer.echo(f"watching {name}")


@app.command()
def topic(name: str, example: list[str] = typer.Option(..., "--example", help="An example sentence (repeatable)."),
          db: str | None = DB) -> None:
    """Define a topic by example sentences (scored by embedding similarity, no training)."""
    from finance_monitor.scoring import set_custom_topic

    set_custom_topic(_store(db), name, example)
    typer.echo(f"topic {name} defined by {len(example)} examples")


@app.command()
def sink(name: str, kind: str = typer.Argument(..., help="log, webhook or email"),
         url: str | None = typer.Option(None, help="webhook: URL to POST to."),
         host: str = typer.Option("localhost", help="email: SMTP host."), port: int = typer.Option(25),
         sender: str | None = typer.Option(None, "--from"), to: list[str] = typer.Option([], "--to"),
         url_env: str | None = typer.Option(None, help="webhook: the environment variable holding the URL (kept "
                                            "out of the database; preferred when the URL carries a token)."),
         username: str | None = typer.Option(None, help="email: SMTP user name."),
         password_env: str | None = typer.Option(None, help="email: the environment variable holding the SMTP "
                                                 "password (the password itself is never stored)."),
         starttls: bool = typer.Option(True, help="email: require STARTTLS (--no-starttls only for a local relay)."),
         db: str | None = DB) -> None:
    """Add a notification sink."""
    from finance_monitor.sinks import add_sink

    config: dict = {"log": {}, "webhook": {"url": url, "url_env": url_env},
                    "email": {"host": host, "port": port, "from": sender, "to": to, "username": username,
                              "password_env": password_env, "starttls": starttls}}.get(kind, {})
    add_sink(_store(db), name, kind, {k: v for k, v in config.items() if v is not None and v != [] and v != ""},
             actor=operator())
    typer.echo(f"sink {name} ({kind}) added")


@sources_app.command("add")
def sources_add(name: str, kind: str = typer.Argument(..., help="rss, folder or replay"),
                location: str = typer.Argument(..., help="Feed URL, folder path, or archive (builtin:guardian)."),
                interval: int = typer.Option(300, help="Seconds between fetches."),
                speed: float = typer.Option(0.0, help="replay: archive seconds per wall second (0 = follow the clock)."),
                db: str | None = DB) -> None:
    from finance_monitor.ingest import add_source

    add_source(_store(db), name, kind, location, interval_s=interval,
               options={"speed": speed} if kind == "replay" else {}, now=_now(), actor=operator())
    typer.echo(f"source {name} added")


@sources_app.command("list")
def sources_list(db: str | None = DB) -> None:
    from finance_monitor import queries

    df = queries.sources(_store(db))
    typer.echo(df[["name", "kind", "health", "items_total", "failures", "last_ok_at", "last_error"]].to_string(index=False)
               if not df.empty else "no sources yet: `verticals monitor sources add NAME rss URL`")


@sources_app.command("pause")
def sources_pause(name: str, db: str | None = DB) -> None:
    from finance_monitor.ingest import set_paused

    set_paused(_store(db), name, True, actor=operator())
    typer.echo(f"source {name} paused")


@sources_app.command("resume")
def sources_resume(name: str, db: str | None = DB) -> None:
    from finance_monitor.ingest import set_paused

    set_paused(_store(db), name, False, actor=operator())
    typer.echo(f"source {name} resumed")


@sources_app.command("remove")
def sources_remove(name: str, db: str | None = DB) -> None:
    from finance_monitor.ingest import remove_source

    remove_source(_store(db), name, actor=operator())
    typer.echo(f"source {name} removed (its items are kept)")


@sources_app.command("fetch")
def sources_fetch(name: str, db: str | None = DB) -> None:
    """Fetch one source now, whatever its schedule."""
    from finance_monitor.ingest import fetch_source

    rep = fetch_source(_store(db), name, _now())
    typer.echo(f"{name}: {rep.added} new of {rep.fetched}" + (f"; error: {rep.error}" if rep.error else ""))


@rules_app.command("list")
def rules_list(db: str | None = DB) -> None:
    from finance_monitor.rule_store import list_rules

    for rule, enabled in list_rules(_store(db)):
        typer.echo(f"{'on ' if enabled else 'off'} {rule.name}: {rule.kind} per {rule.subject_type} ({rule.freq}, "
                   f"k={rule.k}, min_volume={rule.min_volume}, severity={rule.severity})")


@rules_app.command("load")
def rules_load(path: Path, db: str | None = DB) -> None:
    """Load rules from YAML (a list, or `rules:`); same-named rules are replaced. All-or-nothing."""
    from finance_monitor.rule_store import save_rules
    from finance_monitor.rules import rules_from_yaml

    rules = rules_from_yaml(path)  # validates all before writing any
    save_rules(_store(db), rules, _now(), actor=operator())
    typer.echo(f"{len(rules)} rules loaded")


@rules_app.command("export")
def rules_export(db: str | None = DB) -> None:
    import yaml

    from finance_monitor.rule_store import list_rules

    typer.echo(yaml.safe_dump({"rules": [r.to_dict() for r, _ in list_rules(_store(db))]}, sort_keys=False))


@rules_app.command("enable")
def rules_enable(name: str, db: str | None = DB) -> None:
    from finance_monitor.rule_store import set_enabled

    set_enabled(_store(db), name, True, _now(), actor=operator())
    typer.echo(f"rule {name} enabled")


@rules_app.command("disable")
def rules_disable(name: str, db: str | None = DB) -> None:
    from finance_monitor.rule_store import set_enabled

    set_enabled(_store(db), name, False, _now(), actor=operator())
    typer.echo(f"rule {name} disabled")


@alerts_app.command("list")
def alerts_list(all_: bool = typer.Option(False, "--all", help="Include resolved alerts."), db: str | None = DB) -> None:
    from finance_monitor import queries

    statuses = ("open", "acknowledged", "resolved") if all_ else ("open", "acknowledged")
    df = queries.alerts(_store(db), statuses)
    if df.empty:
        typer.echo("no alerts")
    for a in df.itertuples():
        typer.echo(f"#{a.id} {a.first_fired_at:%Y-%m-%d %H:%M} [{a.severity}] {a.status}: {a.message}")


@alerts_app.command("ack")
def alerts_ack(alert_id: int, by: str | None = typer.Option(None, help="Name recorded (default: your OS user)."), db: str | None = DB) -> None:
    from finance_monitor.alerts import acknowledge

    acknowledge(_store(db), alert_id, by, _now(), actor=operator())
    typer.echo(f"alert #{alert_id} acknowledged")


@alerts_app.command("resolve")
def alerts_resolve(alert_id: int, by: str | None = typer.Option(None, help="Name recorded (default: your OS user)."), db: str | None = DB) -> None:
    from finance_monitor.alerts import resolve

    resolve(_store(db), alert_id, by, _now(), actor=operator())
    typer.echo(f"alert #{alert_id} resolved")
