"""Flask extensions, created unbound and initialised in `create_app`."""

from __future__ import annotations

import flask_limiter
from flask import request
from flask_babel import Babel
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base whose constraint names are stable across databases and migrations."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


def _client_address() -> str:
    return get_remote_address() or request.remote_addr or "unknown"


class Limiter(flask_limiter.Limiter):
    """Flask-Limiter, looking for limits before a view only where some can apply.

    The extension searches for limits before every request, even on pages that have none,
    at about a twentieth of the cost of a page. Here that search runs only when the site has
    default or application limits, or the request's blueprint (or a parent) has limits of
    its own (the API); a limit declared on a view is checked by its decorator, as before.
    """

    def _check_request_limit(self, callable_name: str | None = None,
                             in_middleware: bool = True) -> None:
        if in_middleware and not self._limits_may_apply():
            return
        super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)

    def _limits_may_apply(self) -> bool:
        manager = self.limit_manager
        limited = getattr(manager, "_blueprint_limits", None)
        if limited is None:  # a release of the extension that keeps them elsewhere: ask it
            return True
        if getattr(manager, "_default_limits", True) or getattr(
                manager, "_application_limits", True):
            return True
        return bool(limited) and any(name in limited for name in request.blueprints)


limiter = Limiter(key_func=_client_address, default_limits=[])
