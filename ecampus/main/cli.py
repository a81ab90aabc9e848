"""`ecampus quickstart`: a working demo site on SQLite in one command."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from werkzeug.serving import run_simple

from ..auth import services as accounts
from ..auth.models import Role
from ..catalog.cli import publish_and_echo

DEMO_ACCOUNTS = (
    ("admin@example.org", "Demo Administrator", Role.ADMIN.value, "demo-admin-2026"),
    ("learner@example.org", "Demo Learner", Role.LEARNER.value, "demo-learner-2026"),
)


def prepare_demo() -> list[tuple[str, str, str]]:
    """Migrate, publish the sample courses and make the demo accounts if they are missing."""
    upgrade()
    courses = Path(current_app.config["COURSES_DIR"])
    if courses.is_dir():
        publish_and_echo(courses, click.echo)
    accounts_made = []
    for email, name, role, password in DEMO_ACCOUNTS:
        if accounts.find_user_by_email(email) is None:
            accounts.create_user(email, name, password, role=role)
        accounts_made.append((role, email, password))
    return accounts_made


@click.command("quickstart")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--no-serve", is_flag=True, help="Prepare the database and exit.")
@with_appcontext
def quickstart_command(host: str, port: int, no_serve: bool):
    """Create and migrate the database, publish sample courses, create demo users, serve."""
    demo = prepare_demo()
    click.echo("")
    click.echo(f"E-Campus is ready at http://{host}:{port}/")
    click.echo("Sign in with one of these demo accounts:")
    for role, email, password in demo:
        click.echo(f"  {role:8} {email:24} password: {password}")
    click.echo("")
    if not no_serve:
        # Flask's app.run() refuses to start inside a CLI command; serve with Werkzeug itself.
        run_simple(host, port, current_app._get_current_object(), threaded=True)
