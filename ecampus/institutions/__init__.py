"""Institutions and cohorts: bulk enrolment from CSV, due dates, progress reports, exports."""

from flask import Blueprint
from flask_babel import lazy_gettext

bp = Blueprint("institutions", __name__, url_prefix="/institutions",
               template_folder="templates", cli_group="cohorts")


def _setup(state) -> None:
    state.app.extensions.setdefault("ecampus.admin_links", []).append(
        ("institutions.admin_index", lazy_gettext("Institutions and managers")))


bp.record_once(_setup)

from . import admin_views, cli, views  # noqa: E402,F401
