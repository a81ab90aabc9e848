"""Catalog: courses published from Markdown folders, their pages and their files."""

from flask import Blueprint

bp = Blueprint("catalog", __name__, url_prefix="/courses", template_folder="templates")

from . import views  # noqa: E402,F401
