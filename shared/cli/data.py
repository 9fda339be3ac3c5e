"""`verticals data datasets|models`: what the suite can use, with licences and citations."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True)


@app.command()
def datasets() -> None:
    """Public data sets: source, licence and citation."""
    from shared.datasets.catalog import describe_datasets

    for row in describe_datasets():
        typer.echo(f"{row['name']:<22} {row['source']:<38} {row['licence']}\n{'':<22} {row['citation']}")


@app.command()
def models() -> None:
    """Pretrained models in the catalogue and where they are installed."""
    from shared.models.catalog import describe_catalog

    for row in describe_catalog():
        typer.echo(f"{row['name']:<8} {row['description']}\n{'':<8} {row['location']}")
