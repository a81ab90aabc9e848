"""Site-wide pages: home, health check, language choice, error pages and assets."""

from flask import Blueprint

bp = Blueprint("main", __name__, template_folder="templates")

from . import views  # noqa: E402,F401
