"""Accounts: sign-up, sign-in, profile, password reset and roles."""

from flask import Blueprint
from flask_babel import lazy_gettext

from ..extensions import db, login_manager

bp = Blueprint("auth", __name__, url_prefix="/account", template_folder="templates")

from . import views  # noqa: E402,F401  (routes attach to the blueprint)


@login_manager.user_loader
def _load_user(user_id: str):
    from .models import User

    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


login_manager.login_view = "auth.login"
login_manager.login_message = lazy_gettext("Please sign in to see this page.")
login_manager.login_message_category = "warning"
