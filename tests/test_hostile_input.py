"""No server error, whatever arrives: every route of the URL map, every form field, every role.

For each rule, role and kind of hostile input, one request carries that input everywhere at
once: in the URL's values, in the query string and in every form field the app knows (the
fields of every WTForms form, and every field of every form the role's pages render). A new
route or field is covered without touching this file.
"""

from __future__ import annotations

import io
import re
from urllib.parse import quote, quote_from_bytes

import pytest
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.routing.converters import NumberConverter
from wtforms.fields.core import UnboundField

from ecampus.requests import MAX_ID
from ecampus.security import safe_next_url
from tests.world import world_fixture


@pytest.fixture
def world(app, make_user, tmp_path, monkeypatch):
    """Real rows owned by different people (tests/world.py)."""
    yield from world_fixture(app, make_user, tmp_path, monkeypatch)


ROLES = ("anonymous", "learner", "author", "manager", "admin")

LONG = b"x" * 5000
#: What each kind puts in a form field or query argument (several values: a repeated field).
FIELD_VALUES: dict[str, list[bytes]] = {
    "oversized": [LONG],
    "nul": [b"a\x00b"],
    "bad_utf8": [b"\xff\xfe\xc3("],
    "huge": [b"99999999999999999999"],
    "negative": [b"-1"],
    "wrong_type": ["²①٣".encode(), b"abc"],
    "unknown": [str(MAX_ID).encode()],
    "line_break": [b"/x\r\nX-Injected: 1"],
}
#: What each kind puts in a URL's <int:...> and string values (already percent-encoded);
#: other kinds use the world's real values there, so their fields reach the view.
INT_VALUES = {"huge": 2**63, "unknown": MAX_ID}
TEXT_VALUES = {"oversized": "x" * 5000, "nul": "%00", "bad_utf8": "%FF%FE",
               "wrong_type": "%C2%B2", "unknown": "nope", "line_break": "%0D%0A"}
#: Query arguments read by some page, sent to every page.
QUERY_NAMES = ("page", "q", "version", "code", "lang", "next", "show", "sort", "order",
               "course")
#: Kinds only a form can carry.
UPLOADS = ("upload", "broken_multipart")
#: Bytes no CSV reader should choke on: not UTF-8, NUL bytes, a line of nonsense.
UPLOAD_BYTES = b"email,full_name\n\xff\xfe\x00\x00bad@\x00,\xc3(\n" + b"\x00" * 100
MARK = "HOSTILEVALUE"

_FIELD_NAMES = re.compile(r'<(?:input|select|textarea)\b[^>]*\bname="([^"]+)"')
_FILE_FIELDS = re.compile(r'<input\b[^>]*\btype="file"[^>]*\bname="([^"]+)"')


def _form_classes(base=FlaskForm):
    for cls in base.__subclasses__():
        yield cls
        yield from _form_classes(cls)


def _wtforms_fields() -> tuple[set[str], set[str]]:
    """Every field name of every form class, and those that take a file."""
    names, files = set(), set()
    for cls in _form_classes():
        for klass in cls.__mro__:
            for name, value in vars(klass).items():
                if isinstance(value, UnboundField):
                    names.add(name)
                    if issubclass(value.field_class, FileField):
                        files.add(name)
    return names, files


def _methods(rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def _rules(app):
    """Every rule and method; signing out comes last so the role stays signed in."""
    return sorted(((rule, method) for rule in app.url_map.iter_rules()
                   for method in _methods(rule)),
                  key=lambda item: (item[0].endpoint == "auth.logout", item[1] != "GET",
                                    item[0].endpoint))


def _url(app, rule, values: dict, kind: str) -> str:
    """The rule's URL with real values, or with this kind's hostile ones."""
    built, hostile = {}, {}
    for argument in rule.arguments:
        if isinstance(rule._converters[argument], NumberConverter):
            built[argument] = INT_VALUES.get(kind, values.get(argument, MAX_ID))
        elif kind in TEXT_VALUES:
            built[argument] = f"{MARK}{argument}"
            hostile[f"{MARK}{argument}"] = TEXT_VALUES[kind]
        else:
            built[argument] = values.get(argument, "unknown")
    url = app.url_map.bind("localhost").build(rule.endpoint, built, method=_methods(rule)[0])
    for mark, value in hostile.items():
        url = url.replace(mark, value)
    return url


def _encoded(pairs: list[tuple[str, bytes]]) -> str:
    return "&".join(f"{quote(name)}={quote_from_bytes(value)}" for name, value in pairs)


def _harvest(app, client, values) -> tuple[set[str], set[str]]:
    """Field names of every form the role's pages render, and which ones take files."""
    names, files = set(), set()
    for rule, method in _rules(app):
        if method != "GET":
            continue
        response = client.get(_url(app, rule, values, "real"))
        if response.mimetype == "text/html":
            page = response.get_data(as_text=True)
            names.update(_FIELD_NAMES.findall(page))
            files.update(_FILE_FIELDS.findall(page))
    return names - {"csrf_token"}, files


def _send(client, rule, method: str, url: str, kind: str, fields: set[str], files: set[str]):
    query = _encoded([(name, value) for name in QUERY_NAMES
                      for value in FIELD_VALUES.get(kind, [b"1"])])
    target = f"{url}?{query}"
    if method == "GET":
        return client.get(target)
    token = client.csrf_token()
    if kind == "upload":
        data = {"csrf_token": token}
        for name in files:
            data[name] = (io.BytesIO(UPLOAD_BYTES), "people.csv")
        return client.open(target, method=method, data=data,
                           content_type="multipart/form-data")
    if kind == "broken_multipart":
        body = (b'--zz\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
                b"\r\n" + UPLOAD_BYTES)
        return client.open(target, method=method, data=body, headers={"X-CSRFToken": token},
                           content_type="multipart/form-data; boundary=zz")
    pairs = [("csrf_token", token.encode())]
    pairs += [(name, value) for name in sorted(fields) for value in FIELD_VALUES[kind]]
    return client.open(target, method=method, data=_encoded(pairs),
                       content_type="application/x-www-form-urlencoded")


@pytest.mark.parametrize("role", ROLES)
def test_no_route_answers_hostile_input_with_a_server_error(app, world, role):
    client = world.client(app, role)
    values = world.values()
    names, files = _wtforms_fields()
    rendered, rendered_files = _harvest(app, client, values)
    fields, files = names | rendered, files | rendered_files
    failures = []
    for rule, method in _rules(app):
        kinds = [*FIELD_VALUES, *(UPLOADS if method != "GET" else ())]
        for kind in kinds:
            url = _url(app, rule, values, kind)
            try:
                response = _send(client, rule, method, url, kind, fields, files)
            except Exception as error:  # every crash is reported, not only the first
                failures.append(f"{kind}: {method} {url[:120]} ({rule.endpoint}) as {role}: "
                                f"{type(error).__name__}: {str(error)[:300]}")
                continue
            if response.status_code >= 500:
                failures.append(f"{kind}: {method} {url[:120]} ({rule.endpoint}) as {role}: "
                                f"{response.status_code}")
    assert not failures, f"{len(failures)} server errors:\n" + "\n".join(failures)


@pytest.mark.parametrize("url", ["/courses/%00/", "/courses/?q=a%00b", "/verify/%FF%FE",
                                 "/account/login?next=%FF"])
def test_unreadable_address_gets_a_400_that_says_why(client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert "characters that cannot be accepted" in response.get_data(as_text=True)


def test_nul_in_a_form_field_gets_a_400_and_creates_nothing(app, client):
    response = client.submit("/account/signup", {
        "email": "nul@example.org", "full_name": "Nul\x00Byte", "password": "x" * 12,
        "confirm": "x" * 12, "language": "en"})
    assert response.status_code == 400
    assert "null character" in response.get_data(as_text=True)
    response = client.submit("/account/login", {"email": "nul@example.org",
                                                 "password": "x" * 12})
    assert response.status_code == 200  # no such account: the form is shown again


@pytest.mark.parametrize("number", [2**31, 2**63, 10**30])
def test_ids_beyond_any_column_are_no_page(client, learner, number):
    client.sign_in(learner.email)
    for url in (f"/quizzes/attempts/{number}", f"/quizzes/attempts/{number}/result",
                f"/institutions/cohorts/{number}"):
        assert client.get(url).status_code == 404, url


def test_largest_id_is_routed_and_simply_not_found(client, learner):
    client.sign_in(learner.email)
    assert client.get(f"/quizzes/attempts/{MAX_ID}").status_code == 404


@pytest.mark.parametrize("page", ["2147483648", "9223372036854775808", "-5", "abc", "1e9"])
def test_page_numbers_beyond_the_list_show_an_empty_page(client, admin, page):
    client.sign_in(admin.email)
    response = client.get(f"/admin/users?page={page}")
    assert response.status_code == 200


def test_line_break_in_next_is_not_followed(client, learner):
    response = client.submit("/account/login?next=/learning/%0D%0AX-Injected:%201",
                             {"email": learner.email, "password": "correct horse battery"})
    assert response.status_code == 302
    assert "X-Injected" not in response.headers
    assert "\n" not in response.headers["Location"]


@pytest.mark.parametrize("target", ["/learning/\r\nX-Injected: 1", "/learning/\n", "/a\tb",
                                    "/a\x7f"])
def test_next_with_control_characters_is_refused(target):
    assert safe_next_url(target) is None


def test_next_to_a_page_of_the_site_is_kept():
    assert safe_next_url("/learning/?tab=done") == "/learning/?tab=done"


@pytest.mark.parametrize("version", ["99999999999999999999", "2147483648", "0", "-3"])
def test_unusable_version_of_an_item_analysis_is_no_page(app, client, world, version):
    client.sign_in(world.users["author"].email)  # the quiz course's own author
    url = f"/quizzes/{world.quiz_module_id}/analysis"
    assert client.get(url).status_code == 200
    assert client.get(f"{url}?version={version}").status_code == 404


def test_nul_in_an_uploaded_form_field_gets_a_400(app, world):
    client = world.client(app, "manager")
    response = client.post(f"/institutions/cohorts/{world.cohort_id}/import", data={
        "csrf_token": client.csrf_token(), "encoding": "utf\x00-8",
        "file": (io.BytesIO(b"email,full_name\n"), "people.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 400
    assert "null character" in response.get_data(as_text=True)


def test_an_id_of_thousands_of_digits_is_no_page(client):
    assert client.get("/quizzes/attempts/" + "9" * 5000).status_code == 404
