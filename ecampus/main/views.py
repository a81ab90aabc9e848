"""Home, health check, language switch, error pages and content-hashed static assets."""

from __future__ import annotations

import hashlib
from functools import cache
from http import HTTPStatus
from pathlib import Path

from flask import (
    Blueprint,
    current_app,
    has_request_context,
    json,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from ..extensions import db
from ..security import safe_next_url

bp = Blueprint("main", __name__, template_folder="templates")

STATIC_DIR = Path(__file__).parent.parent / "static"


@bp.route("/")
def home():
    if current_user.is_authenticated:
        dashboard = current_app.view_functions.get("learning.dashboard")
        if dashboard is not None:
            return dashboard()
    return render_template("main/home.html")


@bp.route("/healthz")
def healthz():
    """For load balancers: answers without touching the database."""
    return {"status": "ok"}


@bp.route("/language", methods=["POST"])
def set_language():
    language = request.form.get("language", "")
    if language in current_app.config["LANGUAGES"]:
        session["lang"] = language
        if current_user.is_authenticated and current_user.language != language:
            current_user.language = language
            db.session.commit()
    return redirect(safe_next_url(request.form.get("next")) or url_for("main.home"))


@cache
def _asset_digest(filename: str) -> str:
    return hashlib.sha256((STATIC_DIR / filename).read_bytes()).hexdigest()[:12]


@bp.app_template_global()
def asset_url(filename: str) -> str:
    """A static URL that changes with the file, so browsers may cache it for a year.

    Built once per worker for each file and mount point: the files do not change while the
    worker runs (their digests are kept too), and templates name a few."""
    if not has_request_context():
        return url_for("static", filename=filename, v=_asset_digest(filename))
    built = current_app.extensions.setdefault("ecampus.asset_urls", {})
    key = (request.script_root, filename)
    found = built.get(key)
    if found is None:
        found = built[key] = url_for("static", filename=filename, v=_asset_digest(filename))
    return found


ERROR_TEXTS = {
    400: (lambda: _("Bad request"),
          lambda: _("The request could not be understood. If you sent a form, reload the "
                    "page and try again.")),
    403: (lambda: _("Not allowed"),
          lambda: _("You do not have permission to see this page.")),
    404: (lambda: _("Page not found"),
          lambda: _("There is no page at this address. Check the address, or start again "
                    "from the home page.")),
    405: (lambda: _("Not allowed"),
          lambda: _("This address does not accept that kind of request.")),
    410: (lambda: _("No longer available"),
          lambda: _("This page is no longer available.")),
    413: (lambda: _("File too large"),
          lambda: _("The file you sent is larger than this site accepts.")),
    429: (lambda: _("Too many attempts"),
          lambda: _("You have tried too many times in a short while. Wait a few minutes and "
                    "try again.")),
    500: (lambda: _("Something went wrong"),
          lambda: _("An unexpected error happened on our side. It has been recorded; please "
                    "try again later.")),
}


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException):
    code = error.code or 500
    if code not in ERROR_TEXTS:
        return error
    title, text = ERROR_TEXTS[code]
    if request.path.startswith("/api/"):
        return _problem(code, text(), error)
    response = render_template("main/error.html", code=code, title=title(), text=text())
    return response, code


def _problem(code: int, detail: str, error: HTTPException | None = None):
    """An error under /api/ as RFC 9457 problem details, like the API's own errors."""
    body = {"type": "about:blank", "title": HTTPStatus(code).phrase, "status": code,
            "detail": detail}
    response = current_app.response_class(json.dumps(body), status=code,
                                          mimetype="application/problem+json")
    headers = dict(error.get_headers()) if error is not None else {}
    for name in ("Allow", "Retry-After"):
        if name in headers:
            response.headers[name] = headers[name]
    return response


@bp.app_errorhandler(500)
def server_error(_error):
    db.session.rollback()
    title, text = ERROR_TEXTS[500]
    if request.path.startswith("/api/"):
        return _problem(500, text())
    return render_template("main/error.html", code=500, title=title(), text=text()), 500


@bp.app_template_global()
def has_endpoint(endpoint: str) -> bool:
    """Lets the shared layout link to features only when they are installed."""
    return endpoint in current_app.view_functions


@bp.app_template_filter("language_name")
def language_name_filter(code: str) -> str:
    """A language's own name when we know it, else its code."""
    from ..i18n import language_name

    return language_name(code)


@bp.app_template_filter("lang_attrs")
def lang_attrs_filter(language: str) -> str:
    """`lang` (and `dir` when it differs from the page's) for content in `language`."""
    from flask_babel import get_locale

    from ..contentlang import lang_attributes

    return lang_attributes(language, str(get_locale()))


@bp.app_template_filter("format_hours")
def format_hours_filter(hours: float) -> str:
    """Hours as a number in the reader's locale: '3', '12,5'."""
    return format_decimal(hours, format="#,##0.#")
