"""Hostile input stops at the door: ids in addresses, numbers in query strings, unreadable text.

Whatever a route does, an id beyond what a database column holds is no page (404), a page
number is clamped, and a NUL byte or bytes that are not UTF-8 in the address, the query string
or a form are refused with a 400 that says why, before any view or database sees them.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from flask import Flask, abort, current_app, json, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter, ValidationError

#: The largest id any table holds: a signed 32-bit integer, PostgreSQL's `integer`.
MAX_ID = 2**31 - 1
#: The last page any list offers; pages beyond show an empty list, never a database error.
MAX_PAGE = 100_000

_WHOLE_NUMBER = re.compile(r"\s*[+-]?\d{1,19}\s*")


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: an id from 1 to MAX_ID; anything else is no page (404)."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = 1,
                 max: int | None = MAX_ID, signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

    def to_python(self, value: str) -> int:
        if len(value) > len(str(MAX_ID)):
            raise ValidationError()
        return super().to_python(value)


class UnreadableInput(BadRequest):
    """The request carried a NUL byte or bytes that are not UTF-8."""


def int_arg(name: str, default: int | None = None, *, minimum: int = 1,
            maximum: int = MAX_ID) -> int | None:
    """A whole number from the query string, kept within [minimum, maximum].

    Absent, empty or not a number: `default`. Ids and page numbers come through here so no
    query ever carries a number its column cannot hold.
    """
    raw = request.args.get(name, "")
    if not _WHOLE_NUMBER.fullmatch(raw):
        return default
    return min(max(int(raw), minimum), maximum)


def page_arg(name: str = "page") -> int:
    """The page number asked for: 1 when absent or nonsense, never beyond MAX_PAGE."""
    return int_arg(name, 1, maximum=MAX_PAGE)


def id_arg(name: str) -> int | None:
    """An optional id from the query string: None when absent; a 404 when it cannot be one."""
    raw = request.args.get(name, "")
    if not raw:
        return None
    value = int_arg(name, 0, minimum=0, maximum=MAX_ID + 1)
    if not 1 <= value <= MAX_ID:
        abort(404)
    return value


def _readable(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _wsgi_bytes(value: str) -> bytes:
    """A WSGI environ string holds the raw bytes as Latin-1 characters."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogateescape")


def _form_is_readable() -> bool:
    if request.mimetype == "application/x-www-form-urlencoded":
        body = request.get_data(cache=True)  # the form is parsed from this cached copy later
        return _readable(unquote_to_bytes(body.replace(b"+", b" ")))
    if request.mimetype == "multipart/form-data":
        # Werkzeug has decoded the fields already, replacing bytes that are not UTF-8.
        texts = [*request.form.keys(), *request.form.values(), *request.files.keys(),
                 *(f.filename or "" for f in request.files.values())]
        return not any("\x00" in text or "\ufffd" in text for text in texts)
    return True


def refuse_unreadable_input() -> None:
    """Answer 400 to NUL bytes or non-UTF-8 bytes in the path, query string or form fields.

    PostgreSQL cannot store a NUL in text, and no person types one: such a request is a
    mistake or an attack, and the reader is told what was wrong instead of seeing a crash.
    """
    environ = request.environ
    query = _wsgi_bytes(environ.get("QUERY_STRING", ""))
    # The address as sent, where the server keeps it; PATH_INFO may hold a decoded copy.
    raw_uri = _wsgi_bytes(environ.get("RAW_URI") or environ.get("REQUEST_URI") or "")
    if not (_readable(_wsgi_bytes(environ.get("PATH_INFO", "")))
            and _readable(unquote_to_bytes(raw_uri.split(b"?", 1)[0]))
            and _readable(unquote_to_bytes(query.replace(b"+", b" ")))):
        raise UnreadableInput()
    if request.method in ("POST", "PUT", "PATCH") and not _form_is_readable():
        raise UnreadableInput()


def _unreadable_page(_error: UnreadableInput):
    title = _("Characters that cannot be read")
    text = _("The address or the form contained characters that cannot be accepted, such as "
             "a null character or text that is not valid UTF-8. Remove them or type the text "
             "again, then try once more.")
    if request.path.startswith("/api/"):  # RFC 9457 problem details, as the API answers
        return current_app.response_class(
            json.dumps({"type": "about:blank", "title": "Bad Request", "status": 400,
                        "detail": title}), status=400, mimetype="application/problem+json")
    return render_template("main/error.html", code=400, title=title, text=text), 400


def init_requests(app: Flask) -> None:
    """Bound every `<int:...>` in the URL map and check every request before anything else.

    Call it before any blueprint is registered (rules take their converter when added) and
    before other extensions add their own request checks, so this one runs first.
    """
    app.url_map.converters["int"] = IdConverter
    app.before_request(refuse_unreadable_input)
    app.register_error_handler(UnreadableInput, _unreadable_page)
