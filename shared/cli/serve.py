"""`verticals predict`: a registered classifier's label and probability for each text, or a token
classifier's entities (type, character offsets, score)."""

from __future__ import annotations

import typer


def predict(
    texts: list[str] = typer.Argument(..., help="Texts to classify."),
    name: str = typer.Option(..., "--name", help="Registered task name."),
    version: str | None = typer.Option(None, help="Version (default: current)."),
) -> None:
    """Classify texts, or find their named entities, with a registered model."""
    from shared.api import load_model
    from shared.cli.guards import require_task
    from shared.registry import Registry

    if Registry().card(name, version).task == "token-classification":
        model = load_model(name, version)
        for text, entities in zip(texts, model.predict(texts)):
            typer.echo(text)
            for e in entities:
                typer.echo(f"  {e.type}\t{e.start}-{e.end}\t{e.score:.3f}\t{e.text}")
            if not entities:
                typer.echo("  (no entities)")
        return
    require_task(name, version, "classification", "verticals generate (generation models)")
    model = load_model(name, version)
    for text, pred in zip(texts, model.predict(texts)):
        typer.echo(f"{pred.label}\t{pred.score:.3f}\t{text}")
