"""Webhooks: institutions' systems told of their learners' enrolments, completions, grades
and certificates, signed in the manner of Standard Webhooks and delivered by the job queue."""

from .views import bp

__all__ = ["bp"]
