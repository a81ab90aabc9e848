"""E-Campus: an open e-learning platform for public servants."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config as config_module
from .extensions import csrf, db, limiter, login_manager, migrate
from .security import HostCheckedApp

__all__ = ["create_app"]


def create_app(config: dict | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints, CLI and filters.

    No database writes and no network calls happen here, so importing or starting the app
    is cheap and safe on every node.
    """
    app = HostCheckedApp(__name__, instance_relative_config=False)
    settings = config_module.default_config(app.instance_path)
    config_module.from_file(settings, app.instance_path)
    config_module.from_environment(settings)
    settings.update(config or {})
    config_module.check(settings)
    app.config.from_mapping(settings)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    if app.config["BEHIND_PROXY"]:
        # The forwarded host is checked against TRUSTED_HOSTS like any Host header, and no
        # link is ever built from it (ecampus/urls.py).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)

    from .database import configure_engine
    from .observability import init_observability
    from .requests import init_requests

    # First: the request id and the clock start before any check may refuse the request.
    init_observability(app)
    init_requests(app)  # bounded ids in every route, and the first request check
    configure_engine(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent.parent / "migrations"))
    csrf.init_app(app)
    from .signing import init_signing

    init_signing(app)  # after Flask-WTF: its csrf_token() global is replaced
    login_manager.init_app(app)
    app.config["RATELIMIT_STORAGE_URI"] = settings["RATELIMIT_STORAGE_URI"]
    limiter.init_app(app)

    from .i18n import init_i18n

    init_i18n(app)

    from . import models_registry  # noqa: F401  (every model known to metadata and Alembic)
    from .compression import init_compression
    from .features import register_features
    from .layout import init_layout
    from .security import init_security

    init_security(app)
    init_compression(app)
    init_layout(app)
    register_features(app)
    return app
