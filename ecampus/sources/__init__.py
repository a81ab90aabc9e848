"""Course sources: publishing courses from git repositories and from authors' zip uploads."""

from .views import bp

__all__ = ["bp"]
