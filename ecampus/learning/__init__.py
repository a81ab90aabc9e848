"""Learning: enrolment, progress, resume and the learner's dashboard."""

from .views import bp

__all__ = ["bp"]
