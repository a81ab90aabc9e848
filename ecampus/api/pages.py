"""The pages where API tokens are made, listed and revoked, and the API's documentation.

A token's secret is shown once, on the page that answers its creation, and never again.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..institutions import services as institutions
from ..security import require_valid_form, roles_required
from ..timeutil import utcnow
from . import tokens
from .forms import InstitutionTokenForm, SiteTokenForm, TokenForm
from .models import ADMIN, ENROL, INSTITUTION, PERSONAL, READ, SITE

bp = Blueprint("api_pages", __name__, template_folder="templates")

BACK = {PERSONAL: "api_pages.personal", INSTITUTION: "api_pages.institution",
        SITE: "api_pages.admin"}


def _create(form, kind: str, institution_id: int | None = None):
    scopes = [READ]
    if getattr(form, "enrol", None) is not None and form.enrol.data:
        scopes.append(ENROL)
    if getattr(form, "admin", None) is not None and form.admin.data:
        scopes.append(ADMIN)
    try:
        return tokens.create_token(current_user._get_current_object(), kind=kind,
                                   name=form.name.data, scopes=scopes, days=form.days.data,
                                   institution_id=institution_id)
    except tokens.TokenError as error:
        form.name.errors = [*form.name.errors, str(error)]
        return None, None


def _page(template: str, form, rows, *, created=None, secret=None, status=200, **context):
    return render_template(template, form=form, rows=rows, created=created, secret=secret,
                           now=utcnow(), expires_soon=tokens.expires_soon, **context), status


@bp.route("/account/api-tokens", methods=["GET", "POST"])
@login_required
def personal():
    form = TokenForm()
    created = secret = None
    status = 200
    if form.is_submitted():
        if form.validate():
            created, secret = _create(form, PERSONAL)
        status = 200 if created else 400
    return _page("api/personal.html", form, tokens.personal_tokens(current_user.id),
                 created=created, secret=secret, status=status)


@bp.route("/institutions/api-tokens", methods=["GET", "POST"])
@roles_required("manager")
def institution():
    institution_id = institutions.managed_institution_id(current_user)
    if institution_id is None:
        abort(403)  # administrators make site tokens on their own page
    form = InstitutionTokenForm()
    created = secret = None
    status = 200
    if form.is_submitted():
        if form.validate():
            created, secret = _create(form, INSTITUTION, institution_id)
        status = 200 if created else 400
    return _page("api/institution.html", form, tokens.institution_tokens(institution_id),
                 created=created, secret=secret, status=status,
                 institution=institutions.get_institution(institution_id))


@bp.route("/admin/api-tokens", methods=["GET", "POST"])
@roles_required("admin")
def admin():
    form = SiteTokenForm()
    created = secret = None
    status = 200
    if form.is_submitted():
        if form.validate():
            created, secret = _create(form, SITE)
        status = 200 if created else 400
    return _page("api/admin.html", form, tokens.all_tokens(), created=created, secret=secret,
                 status=status)


@bp.route("/api-tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke(token_id: int):
    require_valid_form()
    user = current_user._get_current_object()
    token = tokens.visible_token(user, token_id)
    if token is None:
        abort(404)
    try:
        tokens.revoke_token(user, token_id)
        flash(_("The token “%(name)s” is revoked: it no longer works.", name=token.name),
              "success")
    except tokens.TokenError as error:
        flash(str(error), "error")
    back = BACK[token.kind]
    if token.kind == INSTITUTION and institutions.managed_institution_id(user) is None:
        back = "api_pages.admin"  # an administrator revoking an institution's token
    return redirect(url_for(back))


@bp.route("/api/v1/docs")
def docs():
    """The API's reference, drawn from its OpenAPI document by this site (no script)."""
    spec = current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict()
    operations = []
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            if method in ("get", "post", "put", "patch", "delete"):
                operations.append((path, method.upper(), operation))
    return render_template("api/docs.html", spec=spec, operations=operations)
