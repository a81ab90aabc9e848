"""`ecampus users ...`: create accounts from the shell."""

from __future__ import annotations

import os

import click
from flask import current_app
from flask.cli import AppGroup

from . import services
from .models import Role

users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("create")
@click.option("--email", required=True, help="Sign-in address.")
@click.option("--name", "full_name", required=True, help="Full name as printed on certificates.")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.LEARNER.value,
              show_default=True)
@click.option("--language", default="en", show_default=True,
              help="Interface language: one of the configured LANGUAGES.")
@click.option("--password-env", metavar="VAR",
              help="Read the password from this environment variable instead of prompting.")
def create_user_command(email, full_name, role, language, password_env):
    """Create an account with the given role."""
    languages = current_app.config["LANGUAGES"]
    if language not in languages:
        raise click.BadParameter(f"{language!r} is not one of {', '.join(languages)}.",
                                 param_hint="'--language'")
    if password_env:
        password = os.environ.get(password_env)
        if not password:
            raise click.UsageError(f"The environment variable {password_env} is empty or unset.")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = services.create_user(email, full_name, password, language=language, role=role)
    except services.AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {user.role} {user.email} (id {user.id}).")
