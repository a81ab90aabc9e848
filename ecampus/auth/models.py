"""User accounts, their signed-in sessions, pending sign-ups and the tokens mailed to them."""

from __future__ import annotations

import enum
import unicodedata
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..extensions import db
from ..textsearch import person_key
from ..timeutil import utcnow


class Role(enum.StrEnum):
    """What a user may do; each role includes nothing of the others except admin."""

    LEARNER = "learner"
    AUTHOR = "author"
    MANAGER = "manager"
    ADMIN = "admin"


def normalise_name(name: str) -> str:
    """One spelling per name (Unicode NFC, single spaces), so a certificate prints accents
    where they belong and the same name always compares equal, however it was typed."""
    return " ".join(unicodedata.normalize("NFC", name or "").split())


def normalise_email(email: str) -> str:
    """One spelling per address, so uniqueness ignores case and surrounding spaces."""
    return (email or "").strip().lower()


def _person_key(context) -> str:
    """The search key of a row inserted without the ORM (bulk account creation)."""
    row = context.get_current_parameters()
    return person_key(row.get("full_name"), row.get("email"))


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    #: Name and address folded (`textsearch.fold`), kept on every write, for name filters.
    search_key: Mapped[str] = mapped_column(String(460), default=_person_key, index=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    language: Mapped[str] = mapped_column(String(8), default="en")
    role: Mapped[str] = mapped_column(String(16), default=Role.LEARNER.value)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    #: Set when an admin merged this account into another (ecampus/admin/merge.py): the row
    #: stays, deactivated, so old audit entries and links still name someone.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)

    tokens: Mapped[list[AccountToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    #: The secret of the session this request is signed in with (never stored in clear).
    session_token = None
    #: The row of that session, so a password change can keep it and end the others.
    session_id = None

    @validates("full_name", "email")
    def _keep_search_key(self, field: str, value: str) -> str:
        known = {"full_name": self.full_name, "email": self.email, field: value}
        self.search_key = person_key(known["full_name"], known["email"])
        return value

    @property
    def is_active(self) -> bool:  # Flask-Login asks this on every request
        return self.active

    def get_id(self) -> str:
        """Both the session and the "remember me" cookie name the account and one session."""
        if not self.session_token:
            raise RuntimeError("sign in through auth.services.start_session, not login_user")
        return f"{self.id}:{self.session_token}"

    def has_role(self, *roles: str) -> bool:
        """Admins may do everything another role may."""
        return self.role == Role.ADMIN or self.role in roles

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


class AccountToken(db.Model):
    """A mailed link's secret: only its hash is stored; it expires and works once."""

    __tablename__ = "account_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    #: For an address change ("email" tokens): the address it becomes once confirmed.
    new_email: Mapped[str | None] = mapped_column(String(254))

    user: Mapped[User] = relationship(back_populates="tokens")


class UserSession(db.Model):
    """One signed-in browser: ended on sign-out, password change or reset, or by an admin."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    user_agent: Mapped[str] = mapped_column(String(200), default="")


class SignupRequest(db.Model):
    """A sign-up waiting for its address to be confirmed; no account exists until then."""

    __tablename__ = "signup_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    full_name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8), default="en")
    password_hash: Mapped[str] = mapped_column(String(255))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
