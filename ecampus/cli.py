"""The `ecampus` command: Flask's CLI bound to `create_app`, plus the project's commands."""

from __future__ import annotations

import os
import sys

from flask.cli import FlaskGroup

from . import create_app


def main() -> None:
    """Entry point of the `ecampus` console script."""
    if len(sys.argv) > 1 and sys.argv[1] == "quickstart":
        # The quickstart is a laptop demo: it always runs in development mode.
        os.environ.setdefault("ECAMPUS_ENV", "development")
    if sys.argv[1:3] == ["courses", "preview"]:
        # The preview builds its own app on a temporary database; the default one it runs
        # under never serves nor writes, so it needs no production settings.
        os.environ.setdefault("ECAMPUS_ENV", "development")
    cli = FlaskGroup(create_app=lambda: create_app(), help="E-Campus command line.")
    cli.main(prog_name="ecampus")
