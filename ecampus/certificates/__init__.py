"""Certificates: issued once, printable, verifiable by anyone, impossible to forge."""

from flask import Blueprint

bp = Blueprint("certificates", __name__, template_folder="templates")

from . import views  # noqa: E402,F401
