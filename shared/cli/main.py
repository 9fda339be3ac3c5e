"""`verticals`: one command line for the core and the three apps.

Heavy libraries load inside the commands, so `verticals --help` stays fast.
"""

from __future__ import annotations

import importlib
import logging
import sys
from typing import Any

import typer

from shared.errors import VerticalsError

app = typer.Typer(help="Vertical AI apps on one fine-tuning core.", no_args_is_help=True,
                  pretty_exceptions_enable=False)

# Sub-command groups: (module, attribute, name, help). Each app owns its cli module.
GROUPS = (
    ("shared.cli.models", "app", "models", "List, promote, roll back and export registered models."),
    ("shared.cli.data", "app", "data", "The catalogues of public data sets and pretrained models."),
    ("customer_service.cli", "app", "bot", "The customer-service bot."),
    ("finance_monitor.cli", "app", "monitor", "The financial sentiment monitor."),
    ("recommender.cli", "app", "rec", "The text-aware recommender."),
)
COMMANDS = (
    ("shared.cli.train", ("finetune", "evaluate")),
    ("shared.cli.serve", ("predict",)),
    ("shared.cli.generate", ("generate",)),
    ("shared.cli.suite", ("up",)),
)


def _register() -> None:
    for module, attr, name, help_text in GROUPS:
        try:
            sub = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError):
            continue  # an app that is not installed simply has no sub-command
        app.add_typer(sub, name=name, help=help_text)
    for module, names in COMMANDS:
        try:
            mod = importlib.import_module(module)
        except ImportError:
            continue
        for name in names:
            app.command(name=name)(getattr(mod, name.replace("-", "_")))


_register()


def main(argv: list[str] | None = None) -> Any:
    """Entry point: our own errors become one red line and exit code 2, never a traceback."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    from shared.pii.policy import install_log_redaction

    install_log_redaction()  # logs are a boundary too: no raw PII in what the commands print or collect
    try:
        return app(args=argv, standalone_mode=False)
    except VerticalsError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        sys.exit(2)
    except (typer.Exit, SystemExit) as exc:
        code = getattr(exc, "exit_code", getattr(exc, "code", 0))
        sys.exit(code or 0)
    except Exception as exc:  # click usage errors
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise


if __name__ == "__main__":
    main()
