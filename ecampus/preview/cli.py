"""`ecampus courses preview DIR`: the live preview in one command, on this laptop only."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click
from werkzeug.serving import run_simple

from .services import make_preview_app, refresh
from .watch import start_watching

HOST = "127.0.0.1"


@click.command("preview")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--port", default=5050, show_default=True)
def preview_command(directory: Path, port: int):
    """Serve DIR as learners will see it, on a temporary database; reload on every save."""
    with tempfile.TemporaryDirectory(prefix="ecampus-preview-") as workdir:
        app = make_preview_app(directory, Path(workdir), port=port)
        stop = start_watching(Path(directory), lambda: _refresh_and_echo(app))
        _echo_problems(app)
        click.echo(f"Preview of {directory} at http://{HOST}:{port}/preview/ (Ctrl+C to stop)")
        try:
            run_simple(HOST, port, app, threaded=True)
        finally:
            stop.set()


def _refresh_and_echo(app) -> None:
    refresh(app)
    _echo_problems(app)


def _echo_problems(app) -> None:
    from .services import preview_state

    state = preview_state(app)
    for problem in state.problems:
        click.echo(str(problem))
    click.echo(f"Checked: {len(state.problems)} problem(s).")
