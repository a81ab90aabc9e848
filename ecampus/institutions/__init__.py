"""Institutions and cohorts: bulk enrolment from CSV, due dates, progress reports, exports."""

from .admin_views import bp as admin_bp
from .views import bp

__all__ = ["admin_bp", "bp"]
