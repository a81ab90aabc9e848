"""The integration API (/api/v1/) and the pages where people make its tokens."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from ..extensions import csrf
from ..requests import MAX_ID, IdConverter
from .pages import bp as pages_bp
from .views import bp

__all__ = ["bp", "init_api", "pages_bp"]

SECURITY_SCHEMES = {"bearer": {"type": "http", "scheme": "bearer",
                               "description": "An API token made on the API tokens page."}}


class ContractApi(Api):
    """flask-smorest's Api, leaving the site's error pages alone: the API blueprint answers
    its own errors as problem details (problems.py), the rest of the site as pages."""

    #: Every error answer is documented on its operation, as a problem (views.operation).
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self):
        pass


def init_api(app: Flask) -> Api:
    """Register the API blueprint with its OpenAPI 3.1 document at /api/v1/openapi.json,
    exempt from CSRF (bearer tokens only) and rate-limited per token."""
    app.config.update({
        "API_TITLE": f"{app.config['SITE_NAME']} API", "API_VERSION": "1",
        "OPENAPI_VERSION": "3.1.0", "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "API_SPEC_OPTIONS": {
            "info": {"description": "Courses, cohorts, members, progress and certificates of "
                                    "an institution. Errors are RFC 9457 problem details; "
                                    "lists are cursor-paged; timestamps are RFC 3339 UTC."},
            "components": {"securitySchemes": SECURITY_SCHEMES},
            "security": [{"bearer": []}]},
    })
    api = ContractApi(app)
    api.register_converter(IdConverter, lambda _converter: {
        "type": "integer", "minimum": 1, "maximum": MAX_ID})
    csrf.exempt(bp)
    api.register_blueprint(bp)
    app.register_blueprint(pages_bp)
    return api
