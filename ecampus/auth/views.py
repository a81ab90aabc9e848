"""Account pages: parse the form, call one service, then flash, redirect or render."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db, limiter, login_manager
from ..security import safe_next_url
from . import services
from .forms import (
    ChangePasswordForm,
    LoginForm,
    ProfileForm,
    ResetRequestForm,
    SetPasswordForm,
    SignupForm,
)
from .models import User, normalise_email

bp = Blueprint("auth", __name__, url_prefix="/account", template_folder="templates")

login_manager.login_view = "auth.login"
login_manager.login_message = lazy_gettext("Please sign in to see this page.")
login_manager.login_message_category = "warning"


@login_manager.user_loader
def _load_user(user_id: str):
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


def _account_key() -> str:
    """Rate-limit key for the address being tried, whoever tries it."""
    return "login:" + normalise_email(request.form.get("email", ""))


def _failed(response) -> bool:
    return response.status_code != 302


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = SignupForm()
    if request.method == "GET":
        form.language.data = session.get("lang") or _current_language()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                form.email.data, form.full_name.data, form.password.data,
                language=form.language.data,
            )
        except services.AccountError as error:
            form.email.errors.append(str(error))
        else:
            login_user(user)
            flash(_("Welcome, %(name)s. Your account is ready.", name=user.full_name), "success")
            return redirect(url_for("main.home"))
    return render_template("auth/signup.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMITS_PER_ADDRESS"], methods=["POST"],
               deduct_when=_failed)
@limiter.limit(lambda: current_app.config["LOGIN_LIMITS_PER_ACCOUNT"], methods=["POST"],
               key_func=_account_key, deduct_when=_failed)
def login():
    next_url = safe_next_url(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            login_user(user, remember=form.remember.data)
            session["lang"] = user.language
            return redirect(next_url or url_for("main.home"))
        # Same words whether the address exists or not.
        flash(_("The email address or password is not correct."), "error")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    flash(_("You are signed out."), "success")
    return redirect(url_for("main.home"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        services.update_profile(current_user, full_name=form.full_name.data,
                                language=form.language.data)
        session["lang"] = form.language.data
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("auth.profile"))
    return render_template("auth/profile.html", form=form)


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current.data, form.password.data)
        except services.AccountError as error:
            form.current.errors.append(str(error))
        else:
            flash(_("Your password is changed."), "success")
            return redirect(url_for("auth.profile"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit("10/hour", methods=["POST"])
def request_reset():
    form = ResetRequestForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        flash(_("If an account uses that address, we have sent it a link to choose a new "
                "password. The link works once and expires in %(hours)d hours.",
                hours=current_app.config["PASSWORD_RESET_HOURS"]), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_request.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    return _set_password(token, services.RESET, "auth/reset_password.html")


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    return _set_password(token, services.INVITE, "auth/accept_invitation.html")


def _set_password(token: str, purpose: str, template: str):
    try:
        row = services.peek_token(token, purpose)
    except services.InvalidToken as error:
        return render_template("auth/token_invalid.html", reason=str(error)), 410
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = services.set_password_with_token(token, purpose, form.password.data)
        except services.InvalidToken as error:
            return render_template("auth/token_invalid.html", reason=str(error)), 410
        except services.AccountError as error:
            form.password.errors.append(str(error))
        else:
            logout_user()
            login_user(user)
            flash(_("Your new password is saved and you are signed in."), "success")
            return redirect(url_for("main.home"))
    return render_template(template, form=form, user=row.user)


def _current_language() -> str:
    from ..i18n import select_locale

    return select_locale()
