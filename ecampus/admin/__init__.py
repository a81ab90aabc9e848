"""Administration: people and their roles."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

from . import views  # noqa: E402,F401
