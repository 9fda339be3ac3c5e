"""`verticals models list|promote|rollback|export`."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(no_args_is_help=True)


@app.command("list")
def list_models(name: str | None = typer.Argument(None, help="Only this task name.")) -> None:
    """Registered models, newest last; '*' marks the current version."""
    from shared.registry import Registry

    registry = Registry()
    cards = registry.list(name)
    if not cards:
        typer.echo("No models registered yet: train one with `verticals finetune`.")
    from shared.tasks.classification.baseline import short_comparison

    for card in cards:
        current = _current_or_none(registry, card.name) == card.version
        metrics = " ".join(f"{k}={v:.3f}" for k, v in card.metrics.items() if isinstance(v, (int, float)))
        versus = short_comparison(card.metrics)
        typer.echo(f"{'*' if current else ' '} {card.name:<24} {card.version}  {card.task:<14} {card.method:<5} "
                   f"{card.base_model:<8} {metrics}{'  (' + versus + ')' if versus else ''}  {card.created_at}")


def _current_or_none(registry, name: str) -> str | None:
    from shared.errors import RegistryError

    try:
        return registry.current_version(name)
    except RegistryError:  # every version so far was held back (below its baseline)
        return None


@app.command()
def promote(name: str, version: str,
            force: bool = typer.Option(False, "--force", help="Promote even a model that loses to its "
                                       "TF-IDF + logistic regression baseline on dev.")) -> None:
    """Make VERSION the current model for NAME (refused below its baseline on dev unless --force)."""
    from shared.auth.identity import operator
    from shared.registry import Registry

    Registry().promote(name, version, force=force, actor=operator())
    typer.echo(f"{name}: current is now {version}")


@app.command()
def rollback(name: str) -> None:
    """Make the previously promoted version current again."""
    from shared.auth.identity import operator
    from shared.registry import Registry

    typer.echo(f"{name}: current is now {Registry().rollback(name, actor=operator())}")


@app.command()
def export(name: str, out: Path = typer.Option(..., help="Folder to write the standalone model to."),
           version: str | None = typer.Option(None),
           force: bool = typer.Option(False, "--force", help="Write into OUT even if it already holds files.")
           ) -> None:
    """Export a classifier as a standalone folder, merging any LoRA adapter into the weights."""
    from shared.paths import check_output_folder
    from shared.registry import Registry
    from shared.tasks.classification.artifacts import export_merged

    registry = Registry()
    registry.path(name, version)  # an unknown model fails before anything is written
    check_output_folder(out, force, "export folder")
    export_merged(registry.path(name, version), registry.card(name, version), out)
    typer.echo(f"exported to {out}")
