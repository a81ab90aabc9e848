"""Certificates: issued once, printable, verifiable by anyone, impossible to forge."""

from .views import bp

__all__ = ["bp"]
