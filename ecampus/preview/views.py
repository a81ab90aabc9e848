"""The preview's own pages and hooks: the course list with the checker's problems, the
version the reload script polls, the automatic sign-in, and the answer key on quiz pages.

Registered only in an app made by `make_preview_app`, which serves on 127.0.0.1 only.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, render_template, request
from flask_login import current_user, login_user
from sqlalchemy import select

from ..auth import services as accounts
from ..catalog.models import ModuleText
from ..catalog.panels import Panel
from ..extensions import db
from .answers import answer_html, grade_samples
from .services import preview_account, preview_state

bp = Blueprint("preview", __name__, url_prefix="/preview", template_folder="templates")

LOOPBACK = frozenset({"127.0.0.1", "::1"})


@bp.before_app_request
def sign_in_the_preview_author():
    """Only this laptop reaches the preview, and it is always the preview author."""
    if request.remote_addr not in LOOPBACK:
        abort(403)
    if request.endpoint in ("static", "preview.version") or current_user.is_authenticated:
        return
    user = preview_account()
    accounts.start_session(user, request.user_agent.string)
    login_user(user)


@bp.app_context_processor
def preview_banner():
    """Every page shows the folder's problems and loads the reload script."""
    return {"live_preview": preview_state(current_app)}


@bp.route("/")
def index():
    state = preview_state(current_app)
    return render_template("preview/index.html", state=state)


@bp.route("/version")
def version():
    response = jsonify(version=preview_state(current_app).version)
    response.cache_control.no_store = True
    return response


def answer_key_panel(*, page: str, course, modules, module) -> Panel | None:
    """On a quiz page: a link that shows the answer key and how a model answer grades."""
    if page != "module" or module.kind != "quiz":
        return None
    showing = request.args.get("answers") == "1"
    context = {"showing": showing, "module": module, "course": course}
    if showing:
        language = request.args.get("lang") or course.base_language
        texts = {t.language: t for t in db.session.scalars(
            select(ModuleText).where(ModuleText.version_id == module.version_id))}
        text = texts.get(language) or texts[course.base_language]
        pass_mark = (text.version.quiz or {}).get("pass_mark", 70)
        keys = list(text.questions)
        context.update(questions=[(k, answer_html(k)) for k in keys],
                       grading=grade_samples(keys, pass_mark), pass_mark=pass_mark)
    return Panel("preview/_answer_key.html", context, slot="module")
