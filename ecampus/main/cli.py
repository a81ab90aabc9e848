"""`ecampus quickstart`: a working demo site on SQLite in one command."""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from werkzeug.serving import run_simple

from ..auth import services as accounts
from ..auth.models import Role
from ..catalog.cli import publish_and_echo
from ..jobs.cli import start_worker_thread

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


def _serve_at(host: str, port: int) -> str:
    """The demo's public address: ECAMPUS_PUBLIC_URL if set, else where it is served, so the
    links in its mail lead back to it."""
    config = current_app.config
    if os.environ.get("ECAMPUS_PUBLIC_URL") or os.environ.get("ECAMPUS_ISSUER_URL"):
        return config["PUBLIC_URL"]
    if host in {"0.0.0.0", "::"}:  # every interface: links name the loopback one  # noqa: S104
        host = "127.0.0.1"
    shown = f"[{host}]" if ":" in host else host
    config["PUBLIC_URL"] = f"http://{shown}:{port}"
    if host not in config["TRUSTED_HOSTS"]:
        config["TRUSTED_HOSTS"] = [*config["TRUSTED_HOSTS"], host]
    return config["PUBLIC_URL"]


@click.command("quickstart")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--no-serve", is_flag=True, help="Prepare the database and exit.")
@with_appcontext
def quickstart_command(host: str, port: int, no_serve: bool):
    """Create and migrate the database, publish sample courses, create demo users, serve
    (with a worker thread that sends the mail)."""
    address = _serve_at(host, port)
    demo = prepare_demo()
    click.echo("")
    click.echo(f"E-Campus is ready at {address}/")
    click.echo("Sign in with one of these demo accounts:")
    for role, email, password in demo:
        click.echo(f"  {role:8} {email:24} password: {password}")
    click.echo("")
    if not no_serve:
        app = current_app._get_current_object()
        # A worker thread beside the server sends the mail and runs the other queued jobs,
        # so the demo needs no second command.
        stop = start_worker_thread(app)
        try:
            # Flask's app.run() refuses to start inside a CLI command; serve with Werkzeug.
            run_simple(host, port, app, threaded=True)
        finally:
            stop.set()
