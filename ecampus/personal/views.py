"""Personal data pages: a person's copy of their data, and erasing an account."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from ..auth.models import User
from ..extensions import db
from ..security import roles_required
from . import erasure, exports
from .forms import AdminEraseForm, EraseOwnForm, PrepareForm

bp = Blueprint("personal", __name__, template_folder="templates")


@bp.route("/account/data", methods=["GET", "POST"])
@login_required
def my_data():
    form = PrepareForm()
    if form.validate_on_submit():
        if exports.request_export(current_user.id):
            flash(_("Your data is being prepared. We will email you when it is ready."),
                  "success")
        else:
            flash(_("Your data is already being prepared. We will email you when it is "
                    "ready."), "warning")
        return redirect(url_for("personal.my_data"))
    return render_template("personal/my_data.html", form=form,
                           exports=exports.exports_for(current_user.id),
                           days=current_app.config["DATA_EXPORT_DAYS"])


@bp.route("/account/data/<int:export_id>.zip")
@login_required
def download(export_id: int):
    export = exports.archive_for(current_user.id, export_id)
    if export is None:
        abort(404)
    response = Response(export.data, mimetype="application/zip")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="ecampus-data-{export.ready_at:%Y-%m-%d}.zip"')
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/account/erase", methods=["GET", "POST"])
@login_required
def erase_own():
    form = EraseOwnForm()
    if form.validate_on_submit():
        try:
            erasure.erase_own_account(current_user.id, form.password.data)
        except erasure.WrongPassword as error:
            form.password.errors.append(str(error))
        except erasure.ErasureError as error:
            flash(str(error), "error")
        else:
            logout_user()
            flash(_("Your account is erased. Goodbye."), "success")
            return redirect(url_for("main.home"))
    return render_template("personal/erase_own.html", form=form,
                           refused=_refusal(current_user._get_current_object()))


@bp.route("/admin/users/<int:user_id>/erase", methods=["GET", "POST"])
@roles_required("admin")
def admin_erase(user_id: int):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    form = AdminEraseForm()
    if form.validate_on_submit():
        try:
            erasure.erase_account(user_id)
        except erasure.ErasureError as error:
            flash(str(error), "error")
        else:
            flash(_("Account %(id)d is erased.", id=user_id), "success")
            return redirect(url_for("admin.account", user_id=user_id))
    return render_template("personal/admin_erase.html", form=form, user=user,
                           refused=_refusal(user))


def _refusal(user: User) -> str | None:
    """Why the account cannot be erased, if it cannot."""
    try:
        erasure.check_erasable(user)
    except erasure.ErasureError as error:
        return str(error)
    return None
