"""Live preview: `ecampus courses preview DIR` serves a folder as learners will see it."""

from .views import bp

__all__ = ["bp"]
