"""What accounts let go (`ecampus purge`): ended or unused sessions, spent tokens, and
sign-ups confirmed or abandoned long ago."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_

from ..retention import cutoff, purge
from .models import AccountToken, SignupRequest, UserSession


def purge_sessions(now: datetime, dry_run: bool) -> tuple[str, int]:
    """Sessions ended RETENTION_SESSION_DAYS ago, or unused that long (that browser must
    sign in again)."""
    before = cutoff(now, "RETENTION_SESSION_DAYS")
    return purge("user_sessions", UserSession.__table__,
                 or_(UserSession.ended_at < before, UserSession.last_seen_at < before),
                 dry_run=dry_run)


def purge_tokens(now: datetime, dry_run: bool) -> tuple[str, int]:
    """Password-reset and invitation links used or expired RETENTION_TOKEN_DAYS ago."""
    before = cutoff(now, "RETENTION_TOKEN_DAYS")
    return purge("account_tokens", AccountToken.__table__,
                 or_(AccountToken.used_at < before, AccountToken.expires_at < before),
                 dry_run=dry_run)


def purge_signups(now: datetime, dry_run: bool) -> tuple[str, int]:
    """Sign-up requests confirmed or expired RETENTION_SIGNUP_DAYS ago: each holds a name,
    an address and a password hash."""
    before = cutoff(now, "RETENTION_SIGNUP_DAYS")
    return purge("signup_requests", SignupRequest.__table__,
                 or_(SignupRequest.used_at < before, SignupRequest.expires_at < before),
                 dry_run=dry_run)
