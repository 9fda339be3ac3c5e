"""`verticals predict`: a registered classifier's label and probability for each text."""

from __future__ import annotations

import typer


def predict(
    texts: list[str] = typer.Argument(..., help="Texts to classify."),
    name: str = typer.Option(..., "--name", help="Registered task name."),
    version: str | None = typer.Option(None, help="Version (default: current)."),
) -> None:
    """Classify texts with a registered model."""
    from shared.api import load_model
    from shared.cli.guards import require_task

    require_task(name, version, "classification", "verticals generate (generation models)")
    model = load_model(name, version)
    for text, pred in zip(texts, model.predict(texts)):
        typer.echo(f"{pred.label}\t{pred.score:.3f}\t{text}")
