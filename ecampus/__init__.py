"""E-Campus: an open e-learning platform for public servants."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config as config_module
from .extensions import csrf, db, limiter, login_manager, migrate

__all__ = ["create_app"]


def create_app(config: dict | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints, CLI and filters.

    No database writes and no network calls happen here, so importing or starting the app
    is cheap and safe on every node.
    """
    app = Flask(__name__, instance_relative_config=False)
    settings = config_module.default_config(app.instance_path)
    config_module.from_environment(settings)
    settings.update(config or {})
    config_module.check(settings)
    app.config.from_mapping(settings)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    if app.config["BEHIND_PROXY"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)

    from .database import configure_engine

    configure_engine(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent.parent / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    app.config["RATELIMIT_STORAGE_URI"] = settings["RATELIMIT_STORAGE_URI"]
    limiter.init_app(app)

    from .i18n import init_i18n

    init_i18n(app)

    from . import models_registry  # noqa: F401  (every model known to metadata and Alembic)
    from .admin import bp as admin_bp
    from .auth import bp as auth_bp
    from .auth.cli import users_cli
    from .catalog import bp as catalog_bp
    from .catalog.cli import courses_cli
    from .certificates import bp as certificates_bp
    from .certificates.cli import certificates_cli
    from .institutions import bp as institutions_bp
    from .learning import bp as learning_bp
    from .main import bp as main_bp
    from .quizzes import bp as quizzes_bp
    from .quizzes.cli import quizzes_cli
    from .security import init_security

    init_security(app)
    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(catalog_bp)
    app.register_blueprint(learning_bp)
    app.register_blueprint(quizzes_bp)
    app.register_blueprint(certificates_bp)
    app.register_blueprint(institutions_bp)
    app.cli.add_command(certificates_cli)
    app.cli.add_command(quizzes_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(courses_cli)

    from .main.cli import quickstart_command

    app.cli.add_command(quickstart_command)
    return app
