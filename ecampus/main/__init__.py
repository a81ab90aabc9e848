"""Site-wide pages: home, health check, language choice, error pages and assets."""

from .views import bp

__all__ = ["bp"]
