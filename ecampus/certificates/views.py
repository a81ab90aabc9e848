"""Public verification, downloads for the learner, the issuer's published keys, and admin."""

from __future__ import annotations

import json

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import limiter
from ..security import public_cache, roles_required
from ..timeutil import utcnow
from . import look, services
from .forms import LookForm, ReissueForm, RevokeForm, VerifyForm

bp = Blueprint("certificates", __name__, template_folder="templates")

JSON_LD = "application/ld+json"


def _verify_limit() -> str:
    return current_app.config["VERIFY_LIMITS"]


@bp.route("/verify/")
@limiter.limit(_verify_limit)
def verify_form():
    form = VerifyForm(request.args)
    if request.args.get("code"):
        found = services.find_by_code(form.code.data or "")
        if found.certificate is not None:
            return redirect(url_for("certificates.verify", code=found.certificate.code))
        form.code.errors = [found.problem]
        return render_template("certificates/verify_form.html", form=form), 404
    return render_template("certificates/verify_form.html", form=form)


@bp.route("/verify/<code>")
@limiter.limit(_verify_limit)
def verify(code: str):
    found = services.find_by_code(code)
    if found.certificate is None:
        form = VerifyForm(data={"code": code})
        form.code.errors = [found.problem]
        return render_template("certificates/verify_form.html", form=form), 404
    certificate = found.certificate
    if certificate.code != code:
        return redirect(url_for("certificates.verify", code=certificate.code))
    return render_template("certificates/verify.html", certificate=certificate,
                           state=certificate.state(utcnow()),
                           facts=services.facts_for(certificate, str(get_locale() or "en")),
                           look=look.current_look())


def _own_certificate(code: str):
    found = services.find_by_code(code)
    certificate = found.certificate
    if certificate is None or not (certificate.user_id == current_user.id
                                   or current_user.has_role("admin")):
        abort(404)
    if not certificate.credential:  # its holder's account was erased: nothing to serve
        abort(404)
    return certificate


@bp.route("/certificates/<code>.pdf")
@login_required
def pdf(code: str):
    certificate = _own_certificate(code)
    response = Response(services.pdf_for(certificate), mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="certificate-{certificate.code}.pdf"')
    return response


@bp.route("/certificates/<code>.json")
@login_required
def credential(code: str):
    certificate = _own_certificate(code)
    response = Response(json.dumps(certificate.credential, indent=2, ensure_ascii=False),
                        mimetype=JSON_LD)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="certificate-{certificate.code}.json"')
    return response


@bp.route("/issuer")
@public_cache(max_age=300)
def issuer_profile():
    return Response(json.dumps(services.issuer_profile(), indent=2), mimetype=JSON_LD)


@bp.route("/issuer/keys/<multikey>")
@public_cache(max_age=300)
def issuer_key(multikey: str):
    profile = services.issuer_profile()
    method = next((m for m in profile["verificationMethod"]
                   if m["id"].endswith("/" + multikey)), None)
    if method is None:
        abort(404)
    document = {"@context": "https://w3id.org/security/multikey/v1", **method}
    return Response(json.dumps(document, indent=2), mimetype=JSON_LD)


@bp.route("/issuer/status/<int(min=0):number>")
@public_cache(max_age=300)
def status_list(number: int):
    signed = services.status_list_credential(number)
    if signed is None:
        abort(404)
    return Response(json.dumps(signed), mimetype=JSON_LD)


@bp.route("/issuer/status/revocation")
@public_cache(max_age=300)
def revocation_list():
    """List 0 at the address the first credentials were issued with."""
    url = services.public_url("certificates.revocation_list")
    return Response(json.dumps(services.status_list_credential(0, url)), mimetype=JSON_LD)


@bp.route("/admin/certificates")
@roles_required("admin")
def admin_index():
    query = request.args.get("code", "").strip()
    certificate = services.find_by_code(query).certificate if query else None
    return render_template("certificates/admin.html", query=query, certificate=certificate,
                           revoke_form=RevokeForm(), reissue_form=ReissueForm(),
                           state=certificate.state(utcnow()) if certificate else None)


@bp.route("/admin/certificates/<code>/revoke", methods=["POST"])
@roles_required("admin")
def revoke(code: str):
    form = RevokeForm()
    if not form.validate_on_submit():
        flash(_("Give the reason for the revocation."), "error")
    else:
        try:
            services.revoke(code, form.reason.data)
        except services.CertificateError as error:
            flash(str(error), "error")
        else:
            flash(_("The certificate %(code)s is revoked.", code=code), "success")
    return redirect(url_for("certificates.admin_index", code=code))


@bp.route("/admin/certificates/<code>/reissue", methods=["POST"])
@roles_required("admin")
def reissue(code: str):
    if not ReissueForm().validate_on_submit():
        abort(400)
    try:
        new = services.reissue(code)
    except services.CertificateError as error:
        flash(str(error), "error")
        return redirect(url_for("certificates.admin_index", code=code))
    flash(_("A new certificate %(new)s replaces %(old)s.", new=new.code, old=code), "success")
    return redirect(url_for("certificates.admin_index", code=new.code))


@bp.route("/admin/certificates/look", methods=["GET", "POST"])
@roles_required("admin")
def admin_look():
    form = LookForm()
    current = look.current_look()
    if request.method == "GET":
        form.signatory_name.data = current.signatory_name
        form.signatory_title.data = current.signatory_title
    elif form.validate_on_submit():
        uploads = {part: _upload(getattr(form, part).data) for part in look.PARTS}
        remove = {part for part in look.PARTS if getattr(form, f"remove_{part}").data}
        try:
            look.save_look(signatory_name=form.signatory_name.data or "",
                           signatory_title=form.signatory_title.data or "",
                           uploads=uploads, remove=remove)
        except look.LookError as error:
            for part, message in error.problems.items():
                getattr(form, part).errors = [message]
        else:
            flash(_("Certificates now carry this look."), "success")
            return redirect(url_for("certificates.admin_look"))
    status = 400 if form.errors else 200
    return render_template("certificates/admin_look.html", form=form, look=current), status


def _upload(storage) -> bytes:
    # The request's own limit (MAX_CONTENT_LENGTH) bounds what is read here.
    if storage is None or not getattr(storage, "filename", ""):
        return b""
    return storage.read()


@bp.route("/issuer/look/<part>")
@public_cache(max_age=300)
def look_image(part: str):
    image = look.image(part)
    if image is None:
        abort(404)
    response = Response(image.data, mimetype=image.mime)
    # An SVG opened on its own must not run anything or load anything.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; sandbox")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
