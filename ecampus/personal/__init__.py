"""Personal data: a person's copy of their data, and erasing an account."""

from .views import bp

__all__ = ["bp"]
