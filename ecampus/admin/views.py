"""Administration pages, for admins only."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from ..requests import page_arg
from ..security import roles_required
from . import merge as merging
from . import services
from .forms import (
    ROLE_LABELS,
    DeactivateForm,
    EmailChangeForm,
    EndSessionsForm,
    MergeForm,
    ReactivateForm,
    RoleForm,
)

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


def _account_or_404(user_id: int) -> services.Account:
    try:
        return services.account(user_id)
    except services.AdminError:
        abort(404)


@bp.route("/users/<int:user_id>")
@roles_required("admin")
def account(user_id: int):
    found = _account_or_404(user_id)
    return render_template("admin/account.html", account=found, user=found.user,
                           role_labels=ROLE_LABELS, reactivate_form=ReactivateForm(),
                           end_form=EndSessionsForm(prefix=f"s{user_id}"))


@bp.route("/users/<int:user_id>/deactivate", methods=["GET", "POST"])
@roles_required("admin")
def deactivate(user_id: int):
    """A confirmation page, then the deactivation itself."""
    user = _account_or_404(user_id).user
    form = DeactivateForm()
    if form.validate_on_submit():
        try:
            services.deactivate_user(current_user.id, user_id)
        except services.AdminError as error:
            flash(str(error), "error")
        else:
            flash(_("%(name)s's account is deactivated and signed out everywhere.",
                    name=user.full_name), "success")
        return redirect(url_for("admin.account", user_id=user_id))
    if request.method == "POST":
        flash(_("The change could not be saved. Reload the page and try again."), "error")
    return render_template("admin/deactivate.html", user=user, form=form)


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
@roles_required("admin")
def reactivate(user_id: int):
    if ReactivateForm().validate_on_submit():
        try:
            user = services.reactivate_user(user_id)
        except services.AdminError as error:
            flash(str(error), "error")
        else:
            flash(_("%(name)s's account is active again.", name=user.full_name), "success")
    else:
        flash(_("The change could not be saved. Reload the page and try again."), "error")
    return redirect(url_for("admin.account", user_id=user_id))


@bp.route("/users/<int:user_id>/email", methods=["GET", "POST"])
@roles_required("admin")
def change_email(user_id: int):
    user = _account_or_404(user_id).user
    form = EmailChangeForm()
    if form.validate_on_submit():
        try:
            services.request_email_change(user_id, form.email.data)
        except services.AdminError as error:
            form.email.errors.append(str(error))
        else:
            flash(_("A confirmation link was sent to the new address. The account keeps its "
                    "current address until the link is followed."), "success")
            return redirect(url_for("admin.account", user_id=user_id))
    return render_template("admin/email.html", user=user, form=form)


@bp.route("/users/<int:user_id>/merge", methods=["GET", "POST"])
@roles_required("admin")
def merge(user_id: int):
    """Pick the account to merge into this one, see the preview, then confirm it."""
    keep = _account_or_404(user_id).user
    if request.method == "POST":
        return _apply_merge(keep.id)
    other_text = request.args.get("other", "").strip()
    if not other_text:
        return render_template("admin/merge_pick.html", user=keep, other="")
    other = services.find_account(other_text)
    if other is None:
        flash(_("No account has this email address or number."), "error")
        return render_template("admin/merge_pick.html", user=keep, other=other_text), 404
    preview = merging.preview(current_user.id, keep.id, other.id)
    form = MergeForm(formdata=None, merged_id=other.id, digest=preview.digest)
    return render_template("admin/merge_preview.html", preview=preview, form=form,
                           labels=merging.TABLE_LABELS, role_labels=ROLE_LABELS)


def _apply_merge(keep_id: int):
    form = MergeForm()
    if not form.validate_on_submit():
        flash(_("The change could not be saved. Reload the page and try again."), "error")
        return redirect(url_for("admin.merge", user_id=keep_id))
    merged_id = int(form.merged_id.data)
    try:
        merging.merge_accounts(current_user.id, keep_id, merged_id, form.digest.data)
    except merging.AlreadyMerged as error:
        flash(str(error), "success")
        return redirect(url_for("admin.account", user_id=keep_id))
    except merging.MergeError as error:
        flash(str(error), "error")
        return redirect(url_for("admin.merge", user_id=keep_id, other=merged_id))
    flash(_("The accounts are merged. The other account is deactivated and points to this "
            "one."), "success")
    return redirect(url_for("admin.account", user_id=keep_id))
