"""Catalog: courses published from Markdown folders, their pages and their files."""

from .views import bp

__all__ = ["bp"]
