"""Course sources for admins, their signed webhook, and course uploads for authors."""

from __future__ import annotations

import json

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import csrf
from ..security import require_valid_form, roles_required
from ..urls import public_url
from . import services
from .forms import SourceForm, UploadForm

bp = Blueprint("sources", __name__, template_folder="templates")


@bp.route("/admin/sources/", methods=["GET", "POST"])
@roles_required("admin")
def admin_index():
    form = SourceForm()
    created = secret = None
    status = 200
    if form.validate_on_submit():
        try:
            created, secret = services.create_source(form.slug.data, form.url.data,
                                                     form.branch.data)
        except services.SourceError as error:
            form[error.field].errors.append(str(error))
        else:
            form = SourceForm(formdata=None)
    if form.errors:
        status = 400
    return render_template("sources/admin.html", form=form, sources=services.list_sources(),
                           created=created, secret=secret, renewed=False,
                           hook_url=_hook_url), status


@bp.route("/admin/sources/<int:source_id>/secret", methods=["POST"])
@roles_required("admin")
def new_secret(source_id: int):
    require_valid_form()
    found = services.new_secret(source_id)
    if found is None:
        abort(404)
    source, secret = found
    return render_template("sources/admin.html", form=SourceForm(formdata=None),
                           sources=services.list_sources(), created=source, secret=secret,
                           renewed=True, hook_url=_hook_url)


def _hook_url(source) -> str:
    return public_url("sources.webhook", source=source.slug)


@bp.route("/admin/sources/<int:source_id>/sync", methods=["POST"])
@roles_required("admin")
def sync(source_id: int):
    require_valid_form()
    if not services.request_sync(source_id):
        abort(404)
    flash(_("The source will be published in the background; reload this page to see the "
            "result."), "success")
    return redirect(url_for("sources.admin_index"))


@bp.route("/hooks/courses/<source>", methods=["POST"])
@csrf.exempt
def webhook(source: str):
    # Signed by the git host instead of carrying a CSRF token: the signature is the proof.
    found = services.get_source(source)
    if found is None:
        abort(404)
    body = request.get_data(cache=False)
    status = services.signature_status(found.webhook_secret, body, request.headers)
    if status == "missing":
        return jsonify(error="signature required"), 401
    if status == "invalid":
        return jsonify(error="bad signature"), 403
    try:
        payload = json.loads(body or b"{}")
    except ValueError:
        payload = {}
    if services.is_other_ref(payload, found.branch):
        return jsonify(status="ignored", reason=f"not a push to {found.branch}"), 200
    services.request_sync(found.id)
    return jsonify(status="accepted"), 202


@bp.route("/authoring/upload", methods=["GET", "POST"])
@roles_required("author")
def upload():
    form = UploadForm()
    problems, message, status = [], None, 200
    if form.validate_on_submit():
        limit = current_app.config["COURSE_UPLOAD_MAX_BYTES"]
        data = form.file.data.stream.read(limit + 1)
        if len(data) > limit:
            message = _("The zip is larger than %(size)d MB.", size=limit // (1024 * 1024))
        else:
            try:
                slug, outcome, warnings = services.publish_upload(data, current_user)
            except services.UploadRefused as refused:
                message, problems = str(refused), refused.problems
            else:
                flash(_("%(slug)s is published (%(outcome)s).", slug=slug,
                        outcome=_outcome_label(outcome)), "success")
                for warning in warnings:
                    flash(str(warning), "warning")
                return redirect(url_for("sources.upload"))
    if message or form.errors:
        status = 400
    return render_template("sources/upload.html", form=form, message=message,
                           problems=problems), status


def _outcome_label(outcome: str) -> str:
    return {"added": _("new course"), "changed": _("new version"),
            "unchanged": _("nothing changed")}.get(outcome, outcome)
