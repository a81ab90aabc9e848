"""How the features meet: the one module that knows them all.

Lower features never import higher ones (catalog <- learning <- quizzes, certificates <-
institutions <- admin). Where a higher feature adds to a lower one's page (enrolment and a
quiz's start button on catalog pages, a certificate link on the dashboard, a section on the
admin home page), it is listed here, explicitly, so a reader finds every such extension from
one file. Nothing is registered as a side effect of importing a module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Features:
    """What each page draws from the features above it."""

    #: function(page=, course=, modules=, module=) -> Panel | list[Panel] | None, for the
    #: course and lesson pages of the catalog.
    course_panels: list = field(default_factory=list)
    #: function(user_id, entries) -> {course_id: Panel}, once per dashboard.
    dashboard_panels: list = field(default_factory=list)
    #: (endpoint, label) links on the admin home page.
    admin_links: list = field(default_factory=list)


def features() -> Features:
    """The running app's feature wiring."""
    return current_app.extensions["ecampus.features"]


def register_features(app: Flask) -> None:
    """Register every blueprint and command, and wire the page extensions, in one place."""
    from .admin import bp as admin_bp
    from .auth import bp as auth_bp
    from .auth.cli import users_cli
    from .catalog import bp as catalog_bp
    from .catalog.cli import courses_cli
    from .certificates import bp as certificates_bp
    from .certificates import services as certificates
    from .certificates.cli import certificates_cli
    from .institutions import admin_bp as institutions_admin_bp
    from .institutions import bp as institutions_bp
    from .institutions.cli import cohorts_cli
    from .learning import bp as learning_bp
    from .learning.views import learning_panel
    from .main import bp as main_bp
    from .main.cli import quickstart_command
    from .quizzes import bp as quizzes_bp
    from .quizzes.cli import quizzes_cli
    from .quizzes.views import quiz_panel

    for blueprint in (main_bp, auth_bp, admin_bp, catalog_bp, learning_bp, quizzes_bp,
                      certificates_bp, institutions_bp, institutions_admin_bp):
        app.register_blueprint(blueprint)
    for command in (certificates_cli, quizzes_cli, users_cli, courses_cli, cohorts_cli,
                    quickstart_command):
        app.cli.add_command(command)

    app.extensions["ecampus.features"] = Features(
        course_panels=[learning_panel, quiz_panel],
        dashboard_panels=[certificates.dashboard_panel],
        admin_links=[("institutions_admin.admin_index", _l("Institutions and managers")),
                     ("certificates.admin_index", _l("Certificates"))],
    )
    certificates.connect_signals()
