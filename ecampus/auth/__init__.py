"""Accounts: sign-up, sign-in, profile, password reset and roles."""

from .views import bp

__all__ = ["bp"]
