"""Administration pages, for admins only."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..requests import page_arg
from ..security import roles_required
from . import services
from .forms import ROLE_LABELS, EndSessionsForm, RoleForm

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


@bp.route("/")
@roles_required("admin")
def index():
    links = current_app.extensions["ecampus.features"].admin_links
    return render_template("admin/index.html", admin_links=links)


@bp.route("/users")
@roles_required("admin")
def users():
    query = request.args.get("q", "")
    page = page_arg()
    found, total = services.search_users(query, page)
    forms = {}
    end_forms = {user.id: EndSessionsForm(formdata=None, prefix=f"s{user.id}") for user in found}
    for user in found:
        form = RoleForm(formdata=None, prefix=f"u{user.id}", user_id=user.id, role=user.role)
        forms[user.id] = form
    return render_template("admin/users.html", users=found, total=total, query=query, page=page,
                           forms=forms, end_forms=end_forms,
                           page_size=services.PAGE_SIZE)


@bp.route("/users/<int:user_id>/role", methods=["POST"])
@roles_required("admin")
def set_role(user_id: int):
    form = RoleForm(prefix=f"u{user_id}")
    if form.validate_on_submit():
        try:
            user = services.set_role(current_user, user_id, form.role.data)
        except services.AdminError as error:
            flash(str(error), "error")
        else:
            flash(_("%(name)s is now: %(role)s.", name=user.full_name,
                    role=ROLE_LABELS[user.role]), "success")
    else:
        flash(_("The change could not be saved. Reload the page and try again."), "error")
    return redirect(url_for("admin.users", q=request.args.get("q", "")))


@bp.route("/users/<int:user_id>/sessions/end", methods=["POST"])
@roles_required("admin")
def end_sessions(user_id: int):
    if EndSessionsForm(prefix=f"s{user_id}").validate_on_submit():
        try:
            user = services.end_sessions(user_id)
        except services.AdminError as error:
            flash(str(error), "error")
        else:
            flash(_("%(name)s is now signed out on every device.", name=user.full_name),
                  "success")
    else:
        flash(_("The change could not be saved. Reload the page and try again."), "error")
    return redirect(url_for("admin.users", q=request.args.get("q", "")))
