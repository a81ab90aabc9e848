"""Errors as RFC 9457 problem details (`application/problem+json`), the API's one error shape."""

from __future__ import annotations

from http import HTTPStatus

from flask import current_app, json
from werkzeug.exceptions import HTTPException

PROBLEM_TYPE = "application/problem+json"


class ApiProblem(HTTPException):
    """An error with a problem body: `abort_problem(404, "There is no such cohort.")`."""

    def __init__(self, status: int, detail: str | None = None, *, errors: dict | None = None,
                 headers: dict | None = None):
        super().__init__(description=detail)
        self.code = status
        self.errors = errors
        self.extra_headers = headers or {}


def abort_problem(status: int, detail: str | None = None, **kwargs) -> None:
    raise ApiProblem(status, detail, **kwargs)


def problem_response(status: int, detail: str | None = None, *, errors: dict | None = None,
                     headers: dict | None = None):
    """A problem+json response: `title` is the status phrase, `detail` the explanation."""
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    body = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = str(detail)
    if errors:
        body["errors"] = errors
    response = current_app.response_class(json.dumps(body), status=status,
                                          mimetype=PROBLEM_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def handle_http_exception(error: HTTPException):
    """Every HTTP error raised in the API (and webargs' validation errors) as a problem."""
    if isinstance(error, ApiProblem):
        return problem_response(error.code, error.description, errors=error.errors,
                                headers=error.extra_headers)
    data = getattr(error, "data", None) or {}
    errors = data.get("errors") or data.get("messages")
    headers = dict(data.get("headers") or {})
    if error.code == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    detail = data.get("message") or (error.description if error.code != 500 else None)
    if error.code == 429:
        detail = "Too many requests with this token: slow down and try again shortly."
        response = error.get_response()
        for name in ("Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining",
                     "X-RateLimit-Reset"):
            if name in response.headers:
                headers[name] = response.headers[name]
    return problem_response(error.code or 500, detail, errors=errors, headers=headers)
