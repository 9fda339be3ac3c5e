"""`verticals`: one command line for the core and every registered app (shared/apps.py).

Heavy libraries load inside the commands, so `verticals --help` stays fast. An app whose code fails to load
is one red line naming it and its error on every invocation; the other commands keep working.
"""

from __future__ import annotations

import importlib
import logging
import sys
from typing import Any

import typer

from shared.apps import AppFailure, registered_apps
from shared.errors import AppLoadError, VerticalsError

app = typer.Typer(help="Vertical AI apps on one fine-tuning core.", no_args_is_help=True,
                  pretty_exceptions_enable=False)

# The core's sub-command groups: (module, attribute, name, help). The apps' groups come from their specs.
GROUPS = (
    ("shared.cli.models", "app", "models", "List, promote, roll back and export registered models."),
    ("shared.cli.data", "app", "data", "The catalogues of public data sets and pretrained models."),
    ("shared.cli.db", "app", "db", "Database status, upgrades, backups and migration revisions."),
    ("shared.cli.users", "app", "users", "Local accounts for sign-in: add, list, disable, reset, set-role."),
    ("shared.cli.keys", "app", "keys", "API keys for the HTTP API: create (shown once), list, revoke."),
)
COMMANDS = (
    ("shared.cli.train", ("finetune", "evaluate")),
    ("shared.cli.serve", ("predict",)),
    ("shared.cli.generate", ("generate",)),
    ("shared.cli.suite", ("up",)),
    ("shared.cli.apps", ("apps",)),
    ("shared.cli.audit", ("audit",)),
    ("shared.cli.http", ("serve",)),
)


FAILURES: list[AppFailure] = []  # registered apps whose spec or CLI group failed to load


def _register() -> None:
    # The core's own modules are part of the package: an ImportError there is a bug and must surface.
    for module, attr, name, help_text in GROUPS:
        app.add_typer(getattr(importlib.import_module(module), attr), name=name, help=help_text)
    for module, names in COMMANDS:
        mod = importlib.import_module(module)
        for name in names:
            app.command(name=name)(getattr(mod, name.replace("-", "_")))
    core = {g[2] for g in GROUPS} | {name for _, names in COMMANDS for name in names}
    apps, failures = registered_apps()
    FAILURES.extend(failures)
    for spec in apps:
        if spec.name in core:
            FAILURES.append(AppFailure(spec.name, f"the name clashes with the core command `verticals "
                                                  f"{spec.name}`; rename the app", spec.cli))
            continue
        try:
            group = spec.load_cli()
        except AppLoadError as exc:
            cause = exc.__cause__
            FAILURES.append(AppFailure(spec.name, f"{type(cause).__name__}: {cause}" if cause else str(exc),
                                       spec.cli))
            continue
        app.add_typer(group, name=spec.name, help=spec.summary)


_register()


def report_failures() -> None:
    for failure in FAILURES:
        typer.secho(f"error: {failure}", fg="red", err=True)


def main(argv: list[str] | None = None) -> Any:
    """Entry point: our own errors become one red line and exit code 2, never a traceback."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    from shared.pii.policy import install_log_redaction

    install_log_redaction()  # logs are a boundary too: no raw PII in what the commands print or collect
    report_failures()
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
    sys.exit(main())  # as the `verticals` console script does: a command's typer.Exit(1) is exit status 1
