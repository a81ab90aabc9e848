"""Learning: enrolment, progress, resume and the learner's dashboard."""

from flask import Blueprint

bp = Blueprint("learning", __name__, url_prefix="/learning", template_folder="templates")

from . import views  # noqa: E402,F401
