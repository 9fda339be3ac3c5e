"""`verticals users …`: local accounts in the suite database (the CLI acts as the machine's operator)."""

from __future__ import annotations

import os

import typer

app = typer.Typer(help="Local accounts: add, list, disable, enable, reset-password, set-role.",
                  no_args_is_help=True)

DB = typer.Option(None, "--db", help="Suite database URL (default VERTICALS_SUITE_DB or $VERTICALS_HOME/suite.db).")
PASSWORD_ENV = typer.Option(None, "--password-env",
                            help="Name of an environment variable holding the password (else a hidden prompt).")


def _store(db: str | None):
    from shared.auth.users import UserStore

    return UserStore(db)


def _password(var: str | None) -> str:
    if var:
        from shared.auth.errors import WeakPasswordError

        value = os.environ.get(var)
        if value is None:
            raise WeakPasswordError(f"--password-env {var}: no such environment variable is set; export it first.")
        return value
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@app.command("add")
def add(email: str, role: str = typer.Option(..., "--role", help="agent, supervisor, risk_analyst, risk_admin, "
                                                              "product or admin (docs/teams.md)."),
        name: str = typer.Option("", "--name", help="Display name."),
        oidc_only: bool = typer.Option(False, "--oidc-only", help="No password: signs in through OIDC only."),
        password_env: str = PASSWORD_ENV, db: str = DB) -> None:
    """Add an account (password from a hidden prompt or --password-env VAR)."""
    from shared.auth.identity import operator
    from shared.auth.users import check_email, check_role

    email, role = check_email(email), check_role(role)  # fail before asking for a password
    store = _store(db)
    password = None if oidc_only else _password(password_env)
    user = store.add(email, role, password, name, actor=operator())
    typer.echo(f"added {user.email} ({user.role})")


@app.command("list")
def list_users(db: str = DB) -> None:
    """Every account with its role and state."""
    users = _store(db).all()
    if not users:
        typer.echo("no accounts: the consoles run single-user on 127.0.0.1 only. "
                   "Add one with `verticals users add EMAIL --role admin`.")
    for u in users:
        state = "disabled" if u.disabled else "enabled"
        login = "password" if u.has_password else "oidc-only"
        typer.echo(f"{u.email:<40} {u.role:<13} {state:<9} {login:<10} {u.display_name}")


@app.command("disable")
def disable(email: str, db: str = DB) -> None:
    """Refuse this account's sign-in (its open consoles sign out on the next page run)."""
    from shared.auth.identity import operator

    typer.echo(f"disabled {_store(db).disable(email, actor=operator()).email}")


@app.command("enable")
def enable(email: str, db: str = DB) -> None:
    """Allow a disabled account to sign in again."""
    from shared.auth.identity import operator

    typer.echo(f"enabled {_store(db).enable(email, actor=operator()).email}")


@app.command("reset-password")
def reset_password(email: str, password_env: str = PASSWORD_ENV, db: str = DB) -> None:
    """Set a new password (hidden prompt or --password-env VAR)."""
    from shared.auth.identity import operator
    from shared.auth.users import check_email

    store = _store(db)
    if store.get(check_email(email)) is None:
        from shared.auth.errors import UnknownUserError

        raise UnknownUserError(f"No account {email}; see `verticals users list`.")
    user = store.reset_password(email, _password(password_env), actor=operator())
    typer.echo(f"password reset for {user.email}")


@app.command("set-role")
def set_role(email: str, role: str, db: str = DB) -> None:
    """Change an account's role."""
    from shared.auth.identity import operator

    user = _store(db).set_role(email, role, actor=operator())
    typer.echo(f"{user.email} is now {user.role}")
