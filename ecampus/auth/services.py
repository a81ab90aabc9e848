"""Account operations. Each public function owns its transaction and raises domain errors."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..mail import send_mail
from ..timeutil import utcnow
from ..urls import public_url
from .models import AccountToken, Role, User, normalise_email

MIN_PASSWORD_LENGTH = 10
RESET = "reset"
INVITE = "invite"
# A real hash to compare against when the address is unknown, so timing reveals nothing.
_DUMMY_HASH = generate_password_hash("not-a-real-password-at-all")


class AccountError(Exception):
    """A request about an account that cannot be carried out; the message is for the user."""


class EmailTaken(AccountError):
    pass


class WeakPassword(AccountError):
    pass


class WrongPassword(AccountError):
    pass


class InvalidToken(AccountError):
    pass


def _hash(password: str) -> str:
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    return generate_password_hash(password, method=method)


def check_password_strength(password: str) -> None:
    """Length is what matters most for a password a person can remember."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise WeakPassword(
            _("Use at least %(n)d characters for your password.", n=MIN_PASSWORD_LENGTH)
        )


def find_user_by_email(email: str) -> User | None:
    """Look an account up by address, however it was typed."""
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(
    email: str, full_name: str, password: str | None, *, language: str = "en",
    role: str = Role.LEARNER.value,
) -> User:
    """Create one account; a second account for the same address is refused."""
    if password is not None:
        check_password_strength(password)
    user = User(
        email=normalise_email(email), full_name=full_name.strip(), language=language, role=role,
        password_hash=_hash(password) if password is not None else None,
    )
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise EmailTaken(_("An account with this email address already exists.")) from None
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user whose address and password match, else None, in the same time either way."""
    user = find_user_by_email(email)
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.active:
        return None
    user.last_login_at = utcnow()
    db.session.commit()
    return user


def update_profile(user: User, *, full_name: str, language: str) -> None:
    """Change how the user is named on certificates and which language they read."""
    user.full_name = full_name.strip()
    user.language = language
    db.session.commit()


def change_password(user: User, current: str, new: str) -> None:
    """A signed-in user proves they know the old password before setting a new one."""
    if not user.password_hash or not check_password_hash(user.password_hash, current or ""):
        raise WrongPassword(_("Your current password is not correct."))
    check_password_strength(new)
    user.password_hash = _hash(new)
    db.session.commit()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, purpose: str, lifetime: timedelta) -> str:
    """Store a new token's hash for `user` (caller commits) and return the secret itself."""
    token = secrets.token_urlsafe(32)
    db.session.add(AccountToken(
        user=user, purpose=purpose, token_hash=_token_hash(token),
        expires_at=utcnow() + lifetime,
    ))
    return token


def request_password_reset(email: str) -> None:
    """Mail a reset link if the address has an account; say nothing either way."""
    user = find_user_by_email(email)
    if user is None or not user.active:
        return
    hours = current_app.config["PASSWORD_RESET_HOURS"]
    token = issue_token(user, RESET, timedelta(hours=hours))
    db.session.commit()
    link = public_url("auth.reset_password", token=token)
    with force_locale(user.language):
        send_mail(
            user.email,
            _("Reset your E-Campus password"),
            render_template("auth/email/reset.txt", user=user, link=link, hours=hours),
        )


def peek_token(token: str, purpose: str) -> AccountToken:
    """The valid token row for a link, or InvalidToken with a reason the user can act on."""
    row = db.session.scalar(
        select(AccountToken).where(
            AccountToken.token_hash == _token_hash(token or ""), AccountToken.purpose == purpose
        )
    )
    if row is None:
        raise InvalidToken(_("This link is not valid. Ask for a new one."))
    if row.used_at is not None:
        raise InvalidToken(_("This link has already been used. Ask for a new one."))
    if row.expires_at < utcnow():
        raise InvalidToken(_("This link has expired. Ask for a new one."))
    return row


def set_password_with_token(token: str, purpose: str, new_password: str) -> User:
    """Spend a reset or invitation token on a new password; a token works once."""
    check_password_strength(new_password)
    row = peek_token(token, purpose)
    # Mark used with a conditional update so two simultaneous clicks cannot both succeed.
    claimed = db.session.execute(
        AccountToken.__table__.update()
        .where(AccountToken.id == row.id, AccountToken.used_at.is_(None))
        .values(used_at=utcnow())
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        raise InvalidToken(_("This link has already been used. Ask for a new one."))
    user = row.user
    user.password_hash = _hash(new_password)
    db.session.commit()
    return user
