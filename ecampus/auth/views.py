"""Account pages: parse the form, call one service, then flash, redirect or render."""

from __future__ import annotations

import hashlib
import math

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
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import limiter, login_manager
from ..security import safe_next_url
from . import services, throttle
from .forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    ConfirmEmailForm,
    ConfirmSignupForm,
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
def _load_user(cookie_id: str):
    return services.load_session_user(cookie_id)


@bp.record_once
def _warn_about_memory_counters(state) -> None:
    app = state.app
    if (app.config["ENV_NAME"] == "production"
            and str(app.config.get("RATELIMIT_STORAGE_URI", "")).startswith("memory://")):
        app.logger.warning(
            "Sign-in limits are counted in this process's memory: with more than one worker "
            "or node each counts alone. Set ECAMPUS_RATELIMIT_STORAGE=redis://host:6379/0."
        )


def _email_digest() -> str:
    email = normalise_email(request.form.get("email", ""))
    return hashlib.sha256(email.encode()).hexdigest()[:32]


def _pair_key() -> str:
    """Rate-limit key for one address trying one account."""
    return f"login-pair:{get_remote_address()}:{_email_digest()}"


def _failed(response) -> bool:
    return response.status_code != 302


def _sent(response) -> bool:
    return response.status_code == 302


def _sign_in(user: User, target: str, *, remember: bool = False, message: str | None = None):
    """Start a new server-side session in a fresh Flask session and remember the device."""
    if current_user.is_authenticated:
        services.end_session(current_user._get_current_object())
    services.start_session(user, request.user_agent.string)
    session.clear()  # a new session for a new sign-in: nothing carried over from before
    if not remember:
        session["_remember"] = "clear"
    login_user(user, remember=remember)
    session["lang"] = user.language
    if message:
        flash(message, "success")
    response = redirect(target)
    response.set_cookie(
        throttle.DEVICE_COOKIE,
        throttle.known_device_cookie(request.cookies.get(throttle.DEVICE_COOKIE), user.email),
        max_age=throttle.DEVICE_DAYS * 86400, httponly=True, samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SIGNUP_LIMITS"], methods=["POST"], deduct_when=_sent)
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = SignupForm()
    if request.method == "GET":
        form.language.data = session.get("lang") or _current_language()
    if form.validate_on_submit():
        try:
            services.request_signup(form.email.data, form.full_name.data, form.password.data,
                                    form.language.data)
        except services.AccountError as error:
            form.password.errors.append(str(error))
        else:
            return redirect(url_for("auth.signup_sent"))
    return render_template("auth/signup.html", form=form)


@bp.route("/signup/sent")
def signup_sent():
    return render_template("auth/signup_sent.html",
                           hours=current_app.config["SIGNUP_CONFIRM_HOURS"])


@bp.route("/signup/<token>", methods=["GET", "POST"])
def confirm_signup(token: str):
    again = url_for("auth.signup"), _("Create an account")
    try:
        pending = services.peek_signup(token)
    except services.InvalidToken as error:
        return render_template("auth/token_invalid.html", reason=str(error), again=again), 410
    form = ConfirmSignupForm()
    if form.validate_on_submit():
        try:
            user = services.confirm_signup(token)
        except services.InvalidToken as error:
            return render_template("auth/token_invalid.html", reason=str(error),
                                   again=again), 410
        except services.EmailTaken as error:
            return render_template("auth/token_invalid.html", reason=str(error),
                                   again=(url_for("auth.login"), _("Sign in"))), 409
        return _sign_in(user, url_for("main.home"), message=_(
            "Welcome, %(name)s. Your account is ready.", name=user.full_name))
    return render_template("auth/confirm_signup.html", form=form, pending=pending)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMITS_PER_ADDRESS"], methods=["POST"],
               deduct_when=_failed)
@limiter.limit(lambda: current_app.config["LOGIN_LIMITS_PER_PAIR"], methods=["POST"],
               key_func=_pair_key, deduct_when=_failed)
def login():
    next_url = safe_next_url(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        known = throttle.device_knows(request.cookies.get(throttle.DEVICE_COOKIE),
                                      form.email.data)
        try:
            user, wait = services.attempt_sign_in(form.email.data, form.password.data,
                                                  known_device=known)
        except services.AccountDeactivated as error:
            flash(str(error), "error")
            return render_template("auth/login.html", form=form), 403
        if user is not None:
            return _sign_in(user, next_url or url_for("main.home"), remember=form.remember.data)
        if wait:
            return render_template("auth/login.html", form=form,
                                   wait_minutes=math.ceil(wait / 60)), 429
        # Same words whether the address exists or not.
        flash(_("The email address or password is not correct."), "error")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        services.end_session(current_user._get_current_object())
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
            services.change_password(current_user._get_current_object(), form.current.data,
                                     form.password.data)
        except services.AccountError as error:
            form.current.errors.append(str(error))
        else:
            flash(_("Your password is changed."), "success")
            return redirect(url_for("auth.profile"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/email", methods=["GET", "POST"])
@login_required
@limiter.limit("10/hour", methods=["POST"])
def change_email():
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            services.change_own_email(current_user._get_current_object(), form.current.data,
                                      form.email.data)
        except services.WrongPassword as error:
            form.current.errors.append(str(error))
        except services.AccountError as error:
            form.email.errors.append(str(error))
        else:
            flash(_("We have sent a link to %(email)s. Open it to confirm the new address; "
                    "until then your account keeps its current one.",
                    email=normalise_email(form.email.data)), "success")
            return redirect(url_for("auth.profile"))
    return render_template("auth/change_email.html", form=form)


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
            return _sign_in(user, url_for("main.home"), message=_(
                "Your new password is saved and you are signed in."))
    return render_template(template, form=form, user=row.user)


@bp.route("/email/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    """The link mailed to a new address: whoever holds it confirms (a button, so a mail
    scanner opening the link changes nothing)."""
    try:
        pending = services.peek_token(token, services.EMAIL)
    except services.InvalidToken as error:
        return render_template("auth/token_invalid.html", reason=str(error),
                               again=(url_for("main.home"), _("Home page"))), 410
    form = ConfirmEmailForm()
    if form.validate_on_submit():
        try:
            services.confirm_email_change(token)
        except services.InvalidToken as error:
            return render_template("auth/token_invalid.html", reason=str(error),
                                   again=(url_for("main.home"), _("Home page"))), 410
        except services.EmailTaken as error:
            return render_template("auth/token_invalid.html", reason=str(error),
                                   again=(url_for("main.home"), _("Home page"))), 409
        flash(_("Your email address is changed. Sign in with it from now on."), "success")
        return redirect(url_for("main.home") if current_user.is_authenticated
                        else url_for("auth.login"))
    return render_template("auth/confirm_email.html", form=form, pending=pending)


def _current_language() -> str:
    from ..i18n import select_locale

    return select_locale()
