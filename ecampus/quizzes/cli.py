"""`ecampus quizzes close-overdue`: grade attempts left open past their time limit."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from . import services

quizzes_cli = AppGroup("quizzes", help="Quiz maintenance.")


@quizzes_cli.command("close-overdue")
def close_overdue_command():
    """Grade every open attempt past its deadline with the answers saved by then."""
    count = services.expire_overdue()
    click.echo(f"Graded {count} overdue attempt(s).")
