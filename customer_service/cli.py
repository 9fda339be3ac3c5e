"""`verticals bot ...`: manage workspaces and knowledge bases, ask questions, export data, retrain.

Heavy imports (torch, models) happen inside the commands so `--help` stays instant.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from customer_service.settings import RetrievalSettings
from shared.auth.identity import operator
from shared.cli.errors import clear_errors as _clear_errors
from shared.errors import VerticalsError

app = typer.Typer(help="Customer-service bot: knowledge bases, intents, handoff and the feedback loop.",
                  no_args_is_help=True)
workspaces_app = typer.Typer(help="List, create and delete workspaces.", no_args_is_help=False)
app.add_typer(workspaces_app, name="workspaces")




def _workspaces(db: str | None) -> Any:
    from customer_service.store import Store
    from customer_service.workspace import Workspaces

    return Workspaces(Store(db))


RETRIEVAL_FIELDS = RetrievalSettings.__dataclass_fields__

DB = typer.Option(None, "--db", help="SQLAlchemy URL (default: $VERTICALS_BOT_DB, else SQLite under $VERTICALS_HOME).")


@workspaces_app.callback(invoke_without_command=True)
@_clear_errors
def workspaces_list(ctx: typer.Context, db: str | None = DB) -> None:
    """List workspaces (when no sub-command is given)."""
    if ctx.invoked_subcommand:
        return
    ws = _workspaces(db)
    names = ws.names()
    if not names:
        typer.echo("No workspaces yet: `verticals bot workspaces create NAME` or `verticals bot demo`.")
    for name in names:
        s = ws.summary(name)
        typer.echo(f"{name}: {s['documents']} documents, {s['chunks']} chunks, intent model {s['intent_model']}, "
                   f"{s['templates']} templates, {s['conversations']} conversations, "
                   f"thresholds intent {s['intent_threshold']:.3f} / retrieval {s['retrieval_threshold']:.3f} "
                   + ("(calibrated)" if s["calibrated"] else f"(defaults: `verticals bot calibrate {name}`)"))


@workspaces_app.command("create")
@_clear_errors
def workspaces_create(name: str, db: str | None = DB,
                      intent_model: str = typer.Option("", help="Registry task name of an intent classifier."),
                      intent_data: str = typer.Option("", help="The intent model's training data ('banking77' or a "
                                                      "CSV/JSONL with text,label): retraining and the nearest-"
                                                      "example confidence use it."),
                      templates: Path | None = typer.Option(None, help="YAML mapping intent -> answer template."),
                      generation: str = typer.Option("off", help="off | local | endpoint"),
                      endpoint_url: str = typer.Option("", help="OpenAI-compatible base URL for generation."),
                      index_encoder: str = typer.Option(
                          "", help=RETRIEVAL_FIELDS["index_encoder"].metadata["help"])) -> None:
    """Create an empty workspace."""
    from customer_service.intents import load_templates
    from customer_service.settings import GenerationSettings, HandoffSettings, WorkspaceSettings

    # Nearest-example confidence needs the training texts; without them the classifier's probability is used.
    settings = WorkspaceSettings(intent_model=intent_model, intent_data=intent_data,
                                 handoff=HandoffSettings(intent_confidence="nearest" if intent_data else "softmax"),
                                 templates=load_templates(str(templates)) if templates else {},
                                 generation=GenerationSettings(mode=generation, endpoint_url=endpoint_url),
                                 retrieval=RetrievalSettings(index_encoder=index_encoder))
    _workspaces(db).create(name, settings, actor=operator())
    typer.echo(f"Created workspace {name!r}.")


@workspaces_app.command("delete")
@_clear_errors
def workspaces_delete(name: str, db: str | None = DB,
                      yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation.")) -> None:
    """Delete a workspace with its documents and conversations."""
    ws = _workspaces(db)
    ws.get(name)
    if not yes and not typer.confirm(f"Delete workspace {name!r} and all its data?"):
        raise typer.Exit(1)
    ws.delete(name, actor=operator())
    typer.echo(f"Deleted workspace {name!r}.")


@app.command()
@_clear_errors
def ingest(workspace: str, files: list[Path] = typer.Argument(..., help="FAQ (CSV/JSONL) or documents (md, txt, html, pdf)."),
           db: str | None = DB) -> None:
    """Add or update documents; an unchanged file is a no-op."""
    ws = _workspaces(db)
    kb = ws.knowledge(workspace)
    failed = 0
    for path in files:
        try:
            if not path.is_file():
                raise typer.BadParameter(f"{path} is not a file")
            report = kb.ingest_bytes(path.name, path.read_bytes(), actor=operator())
            typer.echo(f"{path.name}: {report.status}, {report.n_chunks} chunks ({report.n_encoded} encoded, "
                       f"{report.n_removed} removed)")
        except (VerticalsError, typer.BadParameter) as exc:  # one bad file does not stop the others
            failed += 1
            typer.secho(f"{path.name}: not ingested: {exc}", fg="red", err=True)
    if failed:
        raise typer.Exit(1)


@app.command()
@_clear_errors
def docs(workspace: str, db: str | None = DB) -> None:
    """List a workspace's documents."""
    ws = _workspaces(db)
    w = ws.get(workspace)
    for d in ws.store.documents(w.id):
        typer.echo(f"{d.id}\t{d.name}\t{d.kind}\t{d.n_chars} chars\tupdated {d.updated_at:%Y-%m-%d %H:%M}")


@app.command("delete-doc")
@_clear_errors
def delete_doc(workspace: str, document: str = typer.Argument(..., help="Document name or id."),
               db: str | None = DB) -> None:
    """Delete a document and its passages from the knowledge base."""
    n = _workspaces(db).knowledge(workspace).delete(document, actor=operator())
    typer.echo(f"Deleted {document!r} ({n} chunks).")


@app.command()
@_clear_errors
def ask(workspace: str, question: list[str] = typer.Argument(..., help="One or more customer messages (a conversation)."),
        db: str | None = DB, as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Ask the bot; several messages form one conversation (follow-ups use the context)."""
    ws = _workspaces(db)
    bot = ws.bot(workspace)
    conv = bot.start(title="cli")
    for text in question:
        p = bot.propose(conv, text)
        if as_json:
            typer.echo(json.dumps({"question": text, "route": p.route, "intent": p.intent, "confidence": p.confidence,
                                   "text": p.text, "sources": [{k: s[k] for k in ("n", "label")} for s in p.sources],
                                   "latency_ms": round(p.latency_ms, 1)}))
            continue
        typer.secho(f"> {text}", bold=True)
        typer.echo(f"[{p.route}{' ' + p.intent if p.intent and p.route == 'template' else ''}, confidence "
                   f"{p.confidence:.2f}, {p.latency_ms:.0f} ms]\n{p.text}")
        for s in p.sources if p.route == "retrieval" else []:
            typer.echo(f"  [{s['n']}] {s['label']}")


@app.command("export-training-data")
@_clear_errors
def export_training_data(workspace: str, out: Path | None = typer.Option(None, help="Folder (default: under $VERTICALS_HOME)."),
                         db: str | None = DB,
                         force: bool = typer.Option(False, "--force", help="Write into --out even if it already "
                                                    "holds files.")) -> None:
    """Write agent-confirmed intents and corrected/handed-over Q&A pairs as CSV."""
    from customer_service.feedback import collect_training_data
    from shared.names import child_path
    from shared.paths import check_output_folder, verticals_home

    ws = _workspaces(db)
    w = ws.get(workspace)
    if out is not None:
        folder = check_output_folder(out, force, "export folder")
    else:  # the workspace name becomes a folder only after the name rule
        folder = child_path(verticals_home() / "customer_service" / "exports", w.name, "workspace")
    export = collect_training_data(ws.store, w.id)
    for path in export.write(folder):
        typer.echo(f"wrote {path}")
    typer.echo(f"{len(export.intents)} confirmed intent examples, {len(export.pairs)} question/answer pairs")


@app.command()
@_clear_errors
def blend(workspace: str, db: str | None = DB,
          data_dir: Path | None = typer.Option(None, help="Public data folder (for intent_data 'banking77').")) -> None:
    """Choose the intent blend's weights (lexical and nearest-example votes) on the intent data's dev split."""
    from customer_service.errors import SettingsError
    from customer_service.feedback import dev_split, load_intent_base

    ws = _workspaces(db)
    settings = ws.settings(workspace)
    if not (settings.intent_model and settings.intent_data) or settings.handoff.intent_confidence != "nearest":
        raise SettingsError(f"Workspace {workspace!r} needs an intent model, its intent_data and 'nearest' intent "
                            "confidence for the blend; set them with `verticals bot workspaces create`.")
    settings = ws.choose_intent_blend(workspace, *dev_split(load_intent_base(settings.intent_data, data_dir)),
                                      actor=operator())
    typer.echo(f"{workspace}: intent blend lexical {settings.intent_lexical_weight}, "
               f"neighbours {settings.intent_neighbour_weight} (chosen on dev; 0 / 0 = the classifier alone)")
    _recalibrate(ws, workspace, data_dir)  # the blend changes the scores the thresholds were chosen on


def _recalibrate(ws: Any, workspace: str, data_dir: Path | None, out_of_scope: Path | None = None) -> None:
    from customer_service.workspace_calibration import calibrate_workspace, read_out_of_scope

    oos = read_out_of_scope(out_of_scope) if out_of_scope is not None else None
    result = calibrate_workspace(ws, workspace, oos, data_dir=data_dir, actor=operator())
    for line in result.lines():
        typer.echo(f"{workspace}: {line}")


@app.command()
@_clear_errors
def calibrate(workspace: str, db: str | None = DB,
              out_of_scope: Path | None = typer.Option(
                  None, "--out-of-scope", help="Questions the bot must hand over: a text file (one a line) or a "
                  "CSV/JSONL with a text or question column. Without it, 20% of the intents (and of the FAQ) are "
                  "held out as pseudo-out-of-scope."),
              data_dir: Path | None = typer.Option(None, help="Public data folder (for intent_data 'banking77').")
              ) -> None:
    """Choose the handoff thresholds (intent and retrieval) on the workspace's own dev data."""
    _recalibrate(_workspaces(db), workspace, data_dir, out_of_scope)


@app.command()
@_clear_errors
def retrain(workspace: str, db: str | None = DB, data_dir: Path | None = typer.Option(None, help="Public data folder."),
            encoder: bool = typer.Option(True, help="Also fine-tune the retrieval encoder on Q&A pairs."),
            epochs: int | None = typer.Option(None, help="Maximum epochs for the intent model (default: 10 for "
                                              "head, 3 for the other methods)."),
            intent_method: str = typer.Option("", help="head | full | lora | topk (default: the workspace's "
                                              "intent_method setting).")) -> None:
    """Retrain on exported feedback; promote only if dev metrics are not worse."""
    from customer_service.errors import NoTrainingDataError
    from customer_service.feedback import (
        collect_training_data,
        load_intent_base,
        retrain_encoder,
        retrain_intents,
    )
    from customer_service.settings import default_intent_epochs
    from customer_service.tuning import model_name

    ws = _workspaces(db)
    w = ws.get(workspace)
    settings = ws.settings(workspace)
    export = collect_training_data(ws.store, w.id)
    recalibrate = False
    if settings.intent_model and settings.intent_data:
        base = load_intent_base(settings.intent_data, data_dir)
        method = intent_method or settings.intent_method
        report = retrain_intents(settings.intent_model, base, export.intents, method=method,
                                 epochs=epochs or default_intent_epochs(method), model=settings.intent_base_model,
                                 actor=operator())
        ws.forget_intents(settings.intent_model)
        typer.echo(report.line())
        if report.promoted and settings.handoff.intent_confidence == "nearest":  # weights belong to one model
            from customer_service.feedback import dev_split

            settings = ws.choose_intent_blend(workspace, *dev_split(base), actor=operator())
            typer.echo(f"intent blend chosen on dev: lexical {settings.intent_lexical_weight}, "
                       f"neighbours {settings.intent_neighbour_weight}")
        recalibrate = report.promoted
    if encoder:
        try:
            corpus = [c.text for c in ws.store.chunks(w.id)]
            report = retrain_encoder(settings.retrieval.encoder, export.pairs, corpus, name=model_name(workspace),
                                     actor=operator())
        except NoTrainingDataError as exc:
            typer.echo(f"encoder: skipped ({exc})")
        else:
            typer.echo(report.line())
            if report.promoted:
                settings.retrieval.encoder = report.candidate
                ws.save_settings(workspace, settings, actor=operator())
                n = ws.knowledge(workspace).reindex()
                typer.echo(f"re-indexed {n} passages with the new encoder")
                recalibrate = True
    if recalibrate:  # a new model or encoder moves the scores: the old thresholds no longer mean the same
        _recalibrate(ws, workspace, data_dir)


@app.command()
@_clear_errors
def analytics(workspace: str, db: str | None = DB) -> None:
    """Routing rates, top intents, top unanswered questions, latency."""
    from customer_service import analytics as an

    ws = _workspaces(db)
    frame = an.proposals_frame(ws.store, ws.get(workspace).id)
    rates = an.route_rates(frame)
    lat = an.latency_summary(frame)
    typer.echo(f"{len(frame)} proposals: template {rates['template']:.1%}, retrieval {rates['retrieval']:.1%}, "
               f"handed over {rates['handoff']:.1%}; latency p50 {lat['p50_ms']:.0f} ms, p95 {lat['p95_ms']:.0f} ms")
    for row in an.top_unanswered(frame).itertuples():
        typer.echo(f"  unanswered x{row.count}: {row.question}")


@app.command()
@_clear_errors
def demo(data_dir: Path | None = typer.Option(None, help="Folder with banking77/ (default $VERTICALS_DATA)."),
         intent_method: str = typer.Option("head", help="How the bank's intent model is fine-tuned: head (minutes "
                                           "on a CPU) or full (the accurate one; a GPU or a long CPU run)."),
         epochs: int | None = typer.Option(None, help="Maximum epochs for the bank's intent model (default: 10 "
                                           "for head, 3 for full).")) -> None:
    """Prepare the two demo workspaces (construction FAQ, retail bank)."""
    from customer_service.demo import prepare
    from customer_service.errors import SettingsError
    from customer_service.settings import INTENT_METHODS, default_intent_epochs

    if intent_method not in INTENT_METHODS:
        raise SettingsError(f"--intent-method must be one of {', '.join(INTENT_METHODS)}, got {intent_method!r}.")
    prepare(data_dir, epochs=epochs or default_intent_epochs(intent_method), method=intent_method)
    typer.echo("Demo workspaces ready: construction, retail-bank.")
