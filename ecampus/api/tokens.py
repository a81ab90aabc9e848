"""API tokens: created in the pages, shown once, kept as a hash, scoped, expiring, revocable.

A token acts for the account that created it, and each request checks that account's rights
as they are then: an institution token stops working the moment its manager no longer
manages that institution, a site token the moment its administrator is no longer one.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import or_, select, update

from .. import audit
from ..auth.models import Role, User
from ..extensions import db
from ..institutions.models import Institution, InstitutionManager
from ..timeutil import utcnow
from .models import ADMIN, ENROL, INSTITUTION, PERSONAL, READ, SITE, ApiToken

#: The scopes each kind of token may carry.
ALLOWED_SCOPES = {PERSONAL: (READ,), INSTITUTION: (READ, ENROL), SITE: (READ, ENROL, ADMIN)}
#: Lifetimes offered when creating a token, in days (0: never expires).
LIFETIMES = (30, 90, 365, 0)
#: last_used_at is written at most this often per token.
TOUCH_EVERY = timedelta(minutes=1)
PREFIX = "ecp_"


class TokenError(Exception):
    """A token that cannot be created or revoked; the message is for the person acting."""


class TokenNotFound(TokenError):
    """No such token, or not one the person asking may see: the two look the same."""


@dataclass(frozen=True)
class Principal:
    """Who a request acts as: the token, its account and what it may reach."""

    token_id: int
    kind: str
    user: User
    scopes: frozenset[str]
    #: The one institution an institution token reaches; None for site and personal tokens.
    institution_id: int | None

    @property
    def is_site(self) -> bool:
        return self.kind == SITE


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(owner: User, *, kind: str, name: str, scopes: list[str], days: int,
                 institution_id: int | None = None) -> tuple[ApiToken, str]:
    """Make a token for `owner` and return it with its secret, which is never stored."""
    name = " ".join((name or "").split())[:100]
    if not name:
        raise TokenError(_("Give the token a name, so you recognise it later."))
    if kind not in ALLOWED_SCOPES:
        raise TokenError(_("Unknown kind of token."))
    scopes = sorted(set(scopes))
    if not scopes or any(s not in ALLOWED_SCOPES[kind] for s in scopes):
        raise TokenError(_("Choose what the token may do."))
    if days not in LIFETIMES:
        raise TokenError(_("Choose how long the token lasts."))
    if kind == INSTITUTION:
        if institution_id is None or not may_manage(owner, institution_id):
            raise TokenError(_("You do not manage this institution."))
    else:
        institution_id = None
    if kind == SITE and not owner.has_role(Role.ADMIN):
        raise TokenError(_("Only administrators make site tokens."))
    secret = PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(kind=kind, user_id=owner.id, institution_id=institution_id, name=name,
                     prefix=secret[:12], secret_hash=hash_secret(secret),
                     scopes=" ".join(scopes), created_at=now,
                     expires_at=now + timedelta(days=days) if days else None)
    db.session.add(token)
    db.session.flush()
    audit.record("api_token.created", target=("api_token", token.id),
                 institution_id=institution_id, actor_id=owner.id,
                 after={"kind": kind, "scopes": scopes, "owner_id": owner.id,
                        "expires_at": token.expires_at.isoformat() if token.expires_at
                        else None})
    db.session.commit()
    return token, secret


def may_manage(user: User, institution_id: int) -> bool:
    """An administrator, or the manager of this institution."""
    if user.has_role(Role.ADMIN):
        return True
    return db.session.scalar(select(InstitutionManager.institution_id).where(
        InstitutionManager.user_id == user.id)) == institution_id


def revoke_token(actor: User, token_id: int) -> ApiToken:
    """Revoke a token its owner, its institution's manager or an administrator sees."""
    token = db.session.get(ApiToken, token_id)
    if token is None or not _may_see(actor, token):
        raise TokenNotFound(_("There is no such token."))
    revoked = db.session.execute(
        update(ApiToken).where(ApiToken.id == token.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())).rowcount
    if revoked != 1:
        db.session.rollback()
        raise TokenError(_("This token is already revoked."))
    audit.record("api_token.revoked", target=("api_token", token.id),
                 institution_id=token.institution_id, actor_id=actor.id,
                 before={"revoked_at": None}, after={"revoked": True})
    db.session.commit()
    return token


def visible_token(user: User, token_id: int) -> ApiToken | None:
    """The token if `user` may see (and revoke) it: its owner, its institution's manager, an
    administrator."""
    token = db.session.get(ApiToken, token_id)
    return token if token is not None and _may_see(user, token) else None


def _may_see(user: User, token: ApiToken) -> bool:
    if user.has_role(Role.ADMIN) or token.user_id == user.id:
        return True
    return token.kind == INSTITUTION and may_manage(user, token.institution_id)


def personal_tokens(user_id: int) -> list[ApiToken]:
    """A person's own personal tokens, newest first."""
    return list(db.session.scalars(select(ApiToken).where(
        ApiToken.user_id == user_id, ApiToken.kind == PERSONAL)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def institution_tokens(institution_id: int) -> list[ApiToken]:
    """The tokens of an institution, whoever of its managers made them."""
    return list(db.session.scalars(select(ApiToken).where(
        ApiToken.institution_id == institution_id, ApiToken.kind == INSTITUTION)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def all_tokens() -> list[tuple[ApiToken, str, str | None]]:
    """Every token with its owner's email and its institution's name, for administrators."""
    return [tuple(row) for row in db.session.execute(
        select(ApiToken, User.email, Institution.name)
        .join(User, User.id == ApiToken.user_id)
        .outerjoin(Institution, Institution.id == ApiToken.institution_id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())).all()]


def institutions() -> list[Institution]:
    """The institutions an administrator may make a token for."""
    return list(db.session.scalars(select(Institution).order_by(Institution.name)))


def authenticate(secret: str) -> Principal | None:
    """The principal of a bearer secret, or None when it is unknown, expired, revoked or its
    account no longer holds the rights it was made with. Records the use (once a minute)."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    now = utcnow()
    row = db.session.execute(
        select(ApiToken, User).join(User, User.id == ApiToken.user_id)
        .where(ApiToken.secret_hash == hash_secret(secret))).first()
    if row is None:
        return None
    token, user = row
    if not token.is_live(now) or not user.active:
        return None
    if token.kind == SITE and not user.has_role(Role.ADMIN):
        return None
    if token.kind == INSTITUTION and not may_manage(user, token.institution_id):
        return None
    principal = Principal(token.id, token.kind, user, frozenset(token.scope_list),
                          token.institution_id if token.kind == INSTITUTION else None)
    touched = db.session.execute(
        update(ApiToken).where(ApiToken.id == token.id,
                               or_(ApiToken.last_used_at.is_(None),
                                   ApiToken.last_used_at < now - TOUCH_EVERY))
        .values(last_used_at=now).execution_options(synchronize_session=False)).rowcount
    if touched:
        db.session.commit()
    return principal


def expires_soon(token: ApiToken, now: datetime | None = None) -> bool:
    """Whether a live token ends within a week, to warn its owner."""
    now = now or utcnow()
    return token.expires_at is not None and now < token.expires_at < now + timedelta(days=7)
