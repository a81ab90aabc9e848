"""Quizzes: attempts, server-side grading, review, and item analysis for authors."""

from flask import Blueprint

bp = Blueprint("quizzes", __name__, url_prefix="/quizzes", template_folder="templates")

from . import views  # noqa: E402,F401
