"""Administration: people and their roles."""

from .views import bp

__all__ = ["bp"]
