"""Quizzes: attempts, server-side grading, review, and item analysis for authors."""

from .views import bp

__all__ = ["bp"]
