"""Account operations. Each public function owns its transaction and raises domain errors."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..audit import record
from ..extensions import db
from ..mail import queue_mail
from ..timeutil import utcnow
from ..urls import public_url
from . import passwords, throttle
from .models import (
    AccountToken,
    Role,
    SignupRequest,
    User,
    UserSession,
    normalise_email,
    normalise_name,
)

MIN_PASSWORD_LENGTH = 10
RESET = "reset"
INVITE = "invite"
#: A link confirming a new address: the token row carries the address (`new_email`).
EMAIL = "email"
#: Tokens that set a password: any password change makes the outstanding ones useless.
PASSWORD_TOKENS = (RESET, INVITE)
#: A session's last_seen_at is written at most this often, not on every request.
SEEN_EVERY = timedelta(minutes=5)


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


class AccountDeactivated(AccountError):
    """The right password for an account an administrator deactivated (or merged)."""


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
        email=normalise_email(email), full_name=normalise_name(full_name), language=language,
        role=role,
        password_hash=passwords.hash_password(password) if password is not None else None,
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
        passwords.check(passwords.dummy_hash(), password or "")
        return None
    if not passwords.check(user.password_hash, password or ""):
        return None
    if not user.active:
        # Said only to whoever knows the password, so it reveals nothing to a guesser.
        if user.merged_into_id is not None:
            raise AccountDeactivated(_(
                "This account has been merged into another one. Sign in with the email "
                "address of that account."))
        raise AccountDeactivated(_(
            "This account is deactivated. If you think this is a mistake, contact the "
            "administrators of %(site)s.", site=current_app.config["SITE_NAME"]))
    user.last_login_at = utcnow()
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    db.session.commit()
    return user


def attempt_sign_in(email: str, password: str, *, known_device: bool) -> tuple[User | None, int]:
    """The matching user, or None and how many seconds the account must now wait (0: none).

    An account that keeps failing from anywhere waits longer and longer, but a browser that
    signed in to it before is never held back, so guessing cannot lock the owner out.
    A deactivated account with the right password raises AccountDeactivated.
    """
    wait = 0 if known_device else throttle.wait_seconds(email)
    if wait:
        return None, wait
    user = authenticate(email, password)
    if user is not None:
        throttle.clear(email)
        return user, 0
    return None, 0 if known_device else throttle.record_failure(email)


def update_profile(user: User, *, full_name: str, language: str) -> None:
    """Change how the user is named on certificates and which language they read."""
    user.full_name = normalise_name(full_name)
    user.language = language
    db.session.commit()


def change_password(user: User, current: str, new: str) -> None:
    """Set a new password after proving the old one; every other session of the account ends."""
    if not passwords.check(user.password_hash, current or ""):
        raise WrongPassword(_("Your current password is not correct."))
    check_password_strength(new)
    user.password_hash = passwords.hash_password(new)
    _end_sessions(user.id, keep=user.session_id)
    _spend_password_tokens(user.id)
    db.session.commit()


def start_session(user: User, user_agent: str = "") -> None:
    """Record a new signed-in session for this browser; its secret goes into the cookies."""
    token = secrets.token_urlsafe(32)
    row = UserSession(user_id=user.id, token_hash=_token_hash(token),
                      user_agent=(user_agent or "").replace("\x00", "")[:200])
    db.session.add(row)
    db.session.commit()
    user.session_token, user.session_id = token, row.id


#: The account and session a cookie names, built once (it runs on every signed-in request).
_SESSION_USER = (
    select(User, UserSession.id, UserSession.last_seen_at)
    .join(UserSession, UserSession.user_id == User.id)
    .where(User.id == bindparam("user_id"), UserSession.token_hash == bindparam("token_hash"),
           UserSession.ended_at.is_(None), User.active.is_(True))
)


def load_session_user(cookie_id: str) -> User | None:
    """The user of a live session named by a cookie ("<user id>:<token>"), else None."""
    user_id, _sep, token = (cookie_id or "").partition(":")
    if not user_id.isdigit() or not token or len(user_id) > 18:
        return None
    found = db.session.execute(_SESSION_USER, {"user_id": int(user_id),
                                                "token_hash": _token_hash(token)}).first()
    if found is None:
        return None
    user, session_id, last_seen_at = found
    user.session_token, user.session_id = token, session_id
    now = utcnow()
    if last_seen_at < now - SEEN_EVERY:
        db.session.execute(update(UserSession).where(UserSession.id == session_id)
                           .values(last_seen_at=now))
        db.session.commit()
    return user


def end_session(user: User) -> None:
    """Sign-out: the cookies of this session are worthless from now on, even if copied."""
    if user.session_id is not None:
        db.session.execute(update(UserSession).where(
            UserSession.id == user.session_id, UserSession.ended_at.is_(None)
        ).values(ended_at=utcnow()))
        db.session.commit()


def end_all_sessions(user_id: int) -> int:
    """Sign an account out everywhere (an admin's decision); how many sessions ended."""
    ended = _end_sessions(user_id)
    db.session.commit()
    return ended


def end_access(user_id: int) -> int:
    """Every session of the account ends and every link mailed to it stops working, as it is
    deactivated or merged (caller commits); how many sessions ended."""
    db.session.execute(update(AccountToken).where(
        AccountToken.user_id == user_id, AccountToken.used_at.is_(None),
    ).values(used_at=utcnow()))
    return _end_sessions(user_id)


def _end_sessions(user_id: int, keep: int | None = None) -> int:
    condition = [UserSession.user_id == user_id, UserSession.ended_at.is_(None)]
    if keep is not None:
        condition.append(UserSession.id != keep)
    return db.session.execute(
        update(UserSession).where(*condition).values(ended_at=utcnow())
    ).rowcount


def _spend_password_tokens(user_id: int) -> None:
    db.session.execute(update(AccountToken).where(
        AccountToken.user_id == user_id, AccountToken.purpose.in_(PASSWORD_TOKENS),
        AccountToken.used_at.is_(None),
    ).values(used_at=utcnow()))


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


def issue_tokens(user_ids: list[int], purpose: str, lifetime: timedelta) -> dict[int, str]:
    """`issue_token` for many accounts in one INSERT (caller commits): {user_id: secret}."""
    tokens = {user_id: secrets.token_urlsafe(32) for user_id in user_ids}
    expires_at = utcnow() + lifetime
    if tokens:
        db.session.execute(insert(AccountToken), [
            {"user_id": user_id, "purpose": purpose, "token_hash": _token_hash(token),
             "created_at": utcnow(), "expires_at": expires_at}
            for user_id, token in tokens.items()])
    return tokens


def revoke_tokens(user_ids: list[int], purpose: str) -> None:
    """Make the outstanding tokens of these accounts for `purpose` useless (caller commits),
    so only a link sent afterwards works."""
    for start in range(0, len(user_ids), 1000):
        db.session.execute(update(AccountToken).where(
            AccountToken.user_id.in_(user_ids[start:start + 1000]),
            AccountToken.purpose == purpose, AccountToken.used_at.is_(None),
        ).values(used_at=utcnow()))


def request_password_reset(email: str) -> None:
    """Mail a reset link if the address has an account; say nothing either way."""
    user = find_user_by_email(email)
    if user is None or not user.active:
        return
    hours = current_app.config["PASSWORD_RESET_HOURS"]
    token = issue_token(user, RESET, timedelta(hours=hours))
    link = public_url("auth.reset_password", token=token)
    with force_locale(user.language):
        queue_mail(
            user.email,
            _("Reset your %(site)s password", site=current_app.config["SITE_NAME"]),
            render_template("auth/email/reset.txt", user=user, link=link, hours=hours),
        )
    db.session.commit()


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
    user.password_hash = passwords.hash_password(new_password)
    _end_sessions(user.id)
    _spend_password_tokens(user.id)
    db.session.commit()
    throttle.clear(user.email)
    return user


def request_signup(email: str, full_name: str, password: str, language: str) -> None:
    """Mail a confirmation link, or a "you already have an account" note: the page is the same.

    The password is hashed in both cases, so the answer takes as long either way.
    """
    check_password_strength(password)
    email = normalise_email(email)
    password_hash = passwords.hash_password(password)
    user = find_user_by_email(email)
    if user is not None:
        with force_locale(user.language):
            queue_mail(email, _("You already have an account on %(site)s",
                                      site=current_app.config["SITE_NAME"]),
                       render_template("auth/email/signup_existing.txt", user=user,
                                       login=public_url("auth.login"),
                                       reset=public_url("auth.request_reset")))
        db.session.commit()
        return
    hours = current_app.config["SIGNUP_CONFIRM_HOURS"]
    token = secrets.token_urlsafe(32)
    db.session.add(SignupRequest(
        email=email, full_name=normalise_name(full_name), language=language,
        password_hash=password_hash,
        token_hash=_token_hash(token), expires_at=utcnow() + timedelta(hours=hours),
    ))
    with force_locale(language):
        queue_mail(email, _("Confirm your %(site)s account", site=current_app.config["SITE_NAME"]),
                   render_template("auth/email/signup_confirm.txt", name=full_name.strip(),
                                   link=public_url("auth.confirm_signup", token=token),
                                   hours=hours))
    db.session.commit()


def peek_signup(token: str) -> SignupRequest:
    """The pending sign-up a confirmation link names, or InvalidToken saying why not."""
    row = db.session.scalar(
        select(SignupRequest).where(SignupRequest.token_hash == _token_hash(token or ""))
    )
    if row is None:
        raise InvalidToken(_("This link is not valid. Create your account again."))
    if row.used_at is not None:
        raise InvalidToken(_("This link has already been used. Sign in with your address and "
                             "password."))
    if row.expires_at < utcnow():
        raise InvalidToken(_("This link has expired. Create your account again."))
    return row


def confirm_signup(token: str) -> User:
    """Create the account a confirmation link stands for; the link works once."""
    row = peek_signup(token)
    claimed = db.session.execute(
        update(SignupRequest).where(SignupRequest.id == row.id, SignupRequest.used_at.is_(None))
        .values(used_at=utcnow())
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        raise InvalidToken(_("This link has already been used. Sign in with your address and "
                             "password."))
    user = User(email=row.email, full_name=row.full_name, language=row.language,
                role=Role.LEARNER.value, password_hash=row.password_hash)
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise EmailTaken(_("An account with this address already exists. Sign in, or reset "
                           "your password if you have forgotten it.")) from None
    return user


def request_email_change(user_id: int, new_email: str) -> User:
    """An administrator's change of address: a confirmation link goes to the new address,
    which the account takes only once it is followed; an address in use is refused. Only
    the latest link works. The audit entry names no address."""
    user = db.session.get(User, user_id)
    if user is None:
        raise AccountError(_("That account does not exist."))
    new_email = normalise_email(new_email)
    if new_email == user.email:
        raise AccountError(_("This is already the address of the account."))
    if find_user_by_email(new_email) is not None:
        raise EmailTaken(_("Another account already uses this address. Merge the two "
                           "accounts instead, or choose another address."))
    _mail_email_link(user, new_email, by_admin=True)
    db.session.commit()
    return user


def change_own_email(user: User, password: str, new_email: str) -> None:
    """A person moves their account to a new address, proving their password; the new
    address confirms by link. Whether another account uses that address is told only to
    its owner, by mail, so the page reveals nothing about other accounts."""
    if not passwords.check(user.password_hash, password or ""):
        raise WrongPassword(_("Your current password is not correct."))
    new_email = normalise_email(new_email)
    if new_email == user.email:
        raise AccountError(_("This is already the address of your account."))
    owner = find_user_by_email(new_email)
    if owner is not None:
        with force_locale(owner.language):
            queue_mail(new_email, _("Your address was offered for another E-Campus account"),
                       render_template("auth/email/email_change_taken.txt", user=owner))
    else:
        _mail_email_link(user, new_email, by_admin=False)
    db.session.commit()


def _mail_email_link(user: User, new_email: str, *, by_admin: bool) -> None:
    revoke_tokens([user.id], EMAIL)
    hours = current_app.config["EMAIL_CHANGE_HOURS"]
    token = secrets.token_urlsafe(32)
    db.session.add(AccountToken(user=user, purpose=EMAIL, token_hash=_token_hash(token),
                                new_email=new_email, expires_at=utcnow() + timedelta(hours=hours)))
    with force_locale(user.language):
        queue_mail(new_email, _("Confirm the new address of your E-Campus account"),
                   render_template("auth/email/email_change.txt", user=user, hours=hours,
                                   by_admin=by_admin,
                                   link=public_url("auth.confirm_email", token=token)))
    record("user.email_change_requested", target=("user", user.id),
           after={"email": "confirmation sent"})


def confirm_email_change(token: str) -> User:
    """Spend an address-change link: the account takes the new address and the old one is
    told. The database's unique address decides a race with another account."""
    row = peek_token(token, EMAIL)
    claimed = db.session.execute(
        update(AccountToken).where(AccountToken.id == row.id, AccountToken.used_at.is_(None))
        .values(used_at=utcnow())
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        raise InvalidToken(_("This link has already been used. Ask for a new one."))
    user = row.user
    old_email = user.email
    user.email = row.new_email
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise EmailTaken(_("Another account started using this address in the meantime, so "
                           "the address was not changed.")) from None
    record("user.email_changed", target=("user", user.id), before={"email": "previous"},
           after={"email": "changed"}, actor_id=user.id)
    with force_locale(user.language):
        queue_mail(old_email, _("The address of your E-Campus account was changed"),
                   render_template("auth/email/email_changed.txt", user=user))
    db.session.commit()
    return user
