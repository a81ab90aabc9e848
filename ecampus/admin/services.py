"""Administrative operations on accounts."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..auth import services as accounts
from ..auth.models import Role, User
from ..extensions import db
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
    user.role = role
    db.session.commit()
    return user


def end_sessions(user_id: int) -> User:
    """Sign an account out on every device, e.g. after a lost laptop or a suspected theft."""
    user = db.session.get(User, user_id)
    if user is None:
        raise AdminError(_("That account does not exist."))
    accounts.end_all_sessions(user.id)
    return user
