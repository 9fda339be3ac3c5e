"""`verticals generate`: a quick look at a registered generation model, streaming tokens as they come."""

from __future__ import annotations

import typer


def generate(
    prompt: str = typer.Argument(..., help="The question or instruction to answer."),
    name: str = typer.Option(..., "--name", help="Registered generation model (task name)."),
    max_new_tokens: int = typer.Option(128, help="Most tokens to generate."),
    version: str | None = typer.Option(None, help="Version (default: current)."),
) -> None:
    """Answer PROMPT with a registered generation model (greedy decoding, streamed)."""
    from shared.api import load_model
    from shared.errors import ConfigError
    from shared.registry import Registry

    card = Registry().card(name, version)
    if card.task != "generation":
        raise ConfigError(f"Model {name!r} is a {card.task} model, not a generation model: "
                          f"use `verticals predict` for classifiers.")
    model = load_model(name, version)
    for piece in model.generate(prompt, max_new_tokens=max_new_tokens, stream=True):
        typer.echo(piece, nl=False)  # echo flushes: each piece shows as soon as it is decoded
    typer.echo()
