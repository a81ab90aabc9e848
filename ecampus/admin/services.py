"""Administrative operations on accounts."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select, update

from ..audit import record
from ..auth import services as accounts
from ..auth.models import Role, User
from ..certificates import services as certificates
from ..certificates.models import Certificate
from ..extensions import db
from ..institutions import services as institutions
from ..learning import services as learning
from ..learning.models import Enrolment
from ..quizzes import services as quizzes
from ..quizzes.models import Attempt
from ..textsearch import matches_all, query_words

PAGE_SIZE = 50


class AdminError(Exception):
    """An administrative change that cannot be made; the message is for the admin."""


def search_users(query: str = "", page: int = 1) -> tuple[list[User], int]:
    """One page of accounts matching `query` in name or email, and the total count."""
    condition = matches_all(User.search_key, query_words(query))
    total = db.session.scalar(select(func.count()).select_from(User).where(condition)) or 0
    users = db.session.scalars(
        select(User).where(condition).order_by(User.email)
        .limit(PAGE_SIZE).offset((max(page, 1) - 1) * PAGE_SIZE)
    ).all()
    return list(users), total


def set_role(acting: User, user_id: int, role: str) -> User:
    """Change someone's role; an admin cannot demote themselves and lock everyone out."""
    if role not in {r.value for r in Role}:
        raise AdminError(_("Unknown role."))
    user = db.session.get(User, user_id)
    if user is None:
        raise AdminError(_("That account does not exist."))
    if user.id == acting.id and role != Role.ADMIN:
        raise AdminError(_("You cannot remove your own administrator role."))
    if user.role != role:
        record("user.role_changed", target=("user", user.id), before={"role": user.role},
               after={"role": role})
        user.role = role
    db.session.commit()
    return user


def end_sessions(user_id: int) -> User:
    """Sign an account out on every device, e.g. after a lost laptop or a suspected theft."""
    user = db.session.get(User, user_id)
    if user is None:
        raise AdminError(_("That account does not exist."))
    record("user.sessions_ended", target=("user", user.id))
    accounts.end_all_sessions(user.id)
    return user


@dataclass
class Account:
    """Everything the administrators' account page shows about one person."""

    user: User
    enrolments: list[tuple[Enrolment, learning.Progress]]
    attempts: list[Attempt]
    certificates: list[Certificate]
    memberships: institutions.Memberships
    merged_into: User | None


def account(user_id: int) -> Account:
    """One account with its learning, results, certificates and memberships."""
    user = db.session.get(User, user_id)
    if user is None:
        raise AdminError(_("That account does not exist."))
    return Account(
        user=user, enrolments=learning.enrolments_of(user.id),
        attempts=quizzes.attempts_of(user.id),
        certificates=certificates.certificates_for(user.id),
        memberships=institutions.memberships_of(user.id),
        merged_into=(db.session.get(User, user.merged_into_id)
                     if user.merged_into_id else None))


def _lock_for_deactivation(user_id: int) -> list[int]:
    """Lock the account and every active administrator, in id order, until the transaction
    ends; the ids of the active administrators. Two admins deactivating each other at once
    therefore decide one after the other, and the second sees the first's change."""
    if db.session.get_bind().dialect.name == "sqlite":
        # SQLite has no row locks: a no-op write takes the database's write lock first.
        db.session.execute(update(User).where(User.id == user_id).values(active=User.active)
                           .execution_options(synchronize_session=False))
    locked = db.session.execute(
        select(User.id, User.role, User.active)
        .where(or_(User.id == user_id,
                   and_(User.role == Role.ADMIN.value, User.active.is_(True))))
        .order_by(User.id).with_for_update()).all()
    return [row.id for row in locked if row.role == Role.ADMIN.value and row.active]


def deactivate_user(acting_id: int, user_id: int) -> User:
    """Deactivate an account: it cannot sign in, and every session of it ends, in the same
    transaction. Nobody deactivates themselves or the last active administrator."""
    if user_id == acting_id:
        raise AdminError(_("You cannot deactivate your own account."))
    admins = _lock_for_deactivation(user_id)
    user = db.session.get(User, user_id, populate_existing=True)
    if user is None:
        db.session.rollback()
        raise AdminError(_("That account does not exist."))
    if acting_id not in admins:
        db.session.rollback()
        raise AdminError(_("Your account is no longer an active administrator."))
    if not user.active:
        db.session.rollback()
        raise AdminError(_("%(name)s's account is already deactivated.", name=user.full_name))
    if user.id in admins and len(admins) <= 1:
        db.session.rollback()
        raise AdminError(_("This is the last active administrator account: it cannot be "
                           "deactivated."))
    user.active = False
    ended = accounts.end_access(user.id)
    record("user.deactivated", target=("user", user.id), before={"active": True},
           after={"active": False, "sessions_ended": ended})
    db.session.commit()
    return user


def reactivate_user(user_id: int) -> User:
    """Let a deactivated account sign in again (a merged account stays merged)."""
    user = db.session.get(User, user_id)
    if user is None:
        raise AdminError(_("That account does not exist."))
    if user.merged_into_id is not None:
        raise AdminError(_("This account was merged into another one and cannot be "
                           "reactivated."))
    claimed = db.session.execute(
        update(User).where(User.id == user.id, User.active.is_(False),
                           User.merged_into_id.is_(None))
        .values(active=True).execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        db.session.rollback()
        raise AdminError(_("%(name)s's account is already active.", name=user.full_name))
    record("user.reactivated", target=("user", user.id), before={"active": False},
           after={"active": True})
    db.session.commit()
    db.session.refresh(user)
    return user


def request_email_change(user_id: int, new_email: str) -> User:
    """An administrator changes an address: the new one confirms by a mailed link."""
    try:
        return accounts.request_email_change(user_id, new_email)
    except accounts.AccountError as error:
        db.session.rollback()
        raise AdminError(str(error)) from None


def find_account(text: str) -> User | None:
    """The account named by an email address or an account number, as an admin types it."""
    text = (text or "").strip().lstrip("#")
    if text.isdigit() and len(text) <= 9:
        return db.session.get(User, int(text))
    return accounts.find_user_by_email(text)
