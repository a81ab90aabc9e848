"""The integration API, `/api/v1/`: JSON for what a manager does in the pages, within their
institution, and a learner's own learning. Authenticated only by `Authorization: Bearer`
tokens (ecampus/api/tokens.py), never by the session cookie; CSRF-exempt for that reason.

Every view parses its input with a schema, checks the token's reach and scope, then calls
one service. Errors are problem details (problems.py); lists are cursor-paged (paging.py).
"""

from __future__ import annotations

import hashlib
from http import HTTPStatus

from flask import current_app, g, json, request, url_for
from flask_login import AnonymousUserMixin
from flask_smorest import Blueprint
from werkzeug.exceptions import HTTPException

from ..certificates import services as certificates
from ..extensions import limiter
from ..institutions import services as institutions
from ..webhooks import services as webhooks
from . import idempotency, progress, tokens
from . import schemas as s
from . import services as api
from .models import ENROL, READ
from .problems import PROBLEM_TYPE, abort_problem, handle_http_exception

bp = Blueprint("api", __name__, url_prefix="/api/v1",
               description="Courses, cohorts, members, progress and certificates.")
bp.register_error_handler(HTTPException, handle_http_exception)

#: Error answers every operation may give, documented on each.
ERRORS = (400, 401, 403, 404, 405, 409, 422, 429)


def operation(status: int, schema=None, *, description: str = "", links: dict | None = None):
    """Document an operation's success answer and the problem answers it may give."""

    def decorator(view):
        for code in ERRORS:
            view = bp.alt_response(code, schema=s.Problem, content_type=PROBLEM_TYPE,
                                   description=HTTPStatus(code).phrase)(view)
        view = bp.response(status, schema, description=description or None)(view)
        view = bp.doc(operationId=view.__name__)(view)
        if links:
            view = bp.doc(responses={str(status): {"links": links}})(view)
        return view

    return decorator


def plain(body, status: int = 200):
    """An answer already in JSON types, sent as it is: the large lists (progress, a bulk
    add) skip the schema's per-field work; the contract tests check them all the same."""
    return current_app.response_class(json.dumps(body), status=status,
                                      mimetype="application/json")


def _link(operation_id: str, **parameters: str) -> dict:
    return {"operationId": operation_id, "parameters": parameters}


def rate_limit_key() -> str:
    """Rate limits count per token (a hash of the presented secret), else per address."""
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and secret:
        return "api-token:" + hashlib.sha256(secret.strip().encode()).hexdigest()[:32]
    return "api-address:" + (request.remote_addr or "unknown")


# Every request counts against its token's limit (in the limiter's shared storage), checked
# before the token is even looked up.
limiter.limit(lambda: current_app.config["API_RATE_LIMITS"], key_func=rate_limit_key)(bp)


@bp.before_request
def _authenticate():
    # The session cookie never authorises an API call: the request acts as the token's
    # account only (Flask-Login's current user, which the audit log reads, included).
    g._login_user = AnonymousUserMixin()
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        abort_problem(401, "Send an API token: Authorization: Bearer <token>.")
    principal = tokens.authenticate(secret.strip())
    if principal is None:
        abort_problem(401, "This token is unknown, expired or revoked, or its account no "
                           "longer has the rights it was made with.")
    g.api = principal
    g._login_user = principal.user
    if request.is_json and not _readable(request.get_json(silent=True)):
        abort_problem(400, "The body holds a null character or text that is not valid "
                           "Unicode; no database stores it.")
    if request.method == "POST":
        return idempotency.claim(principal.token_id)
    return None


def _readable(value) -> bool:
    """No NUL and no lone surrogate in any string of a JSON body (as in forms and
    addresses, ecampus/requests.py): PostgreSQL cannot store either."""
    if isinstance(value, str):
        if "\x00" in value:
            return False
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(_readable(k) and _readable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_readable(item) for item in value)
    return True


@bp.after_request
def _remember(response):
    principal = g.get("api")
    if principal is not None and request.method == "POST":
        idempotency.store(principal.token_id, response)
    return response


# --- The token ----------------------------------------------------------------------------

@bp.route("/me")
@operation(200, s.Me)
def me():
    """The token in use: its kind, scopes, account and institution."""
    p = g.api
    return {"token_id": p.token_id, "kind": p.kind, "scopes": sorted(p.scopes),
            "user_id": p.user.id, "institution_id": p.institution_id}


@bp.route("/me/enrolments")
@bp.arguments(s.SyncArgs, location="query", as_kwargs=True)
@operation(200, s.page_of(s.ProgressItem, "ProgressPage"))
def my_enrolments(limit, cursor=None, updated_since=None):
    """The token owner's own enrolments, with progress and results (any token)."""
    api.require(g.api, READ, institution=False)
    items, next_cursor = progress.own_progress(g.api.user.id, updated_since=updated_since,
                                               cursor=cursor, limit=limit)
    return plain({"items": items, "next_cursor": next_cursor})


@bp.route("/me/certificates")
@bp.arguments(s.PageArgs, location="query", as_kwargs=True)
@operation(200, s.page_of(s.CertificateItem, "CertificatePage"))
def my_certificates(limit, cursor=None):
    """The token owner's own certificates."""
    api.require(g.api, READ, institution=False)
    rows, next_cursor = api.certificate_list(g.api, cursor, limit, user_id=g.api.user.id)
    return {"items": [api.certificate_json(c) for c in rows], "next_cursor": next_cursor}


# --- Courses -----------------------------------------------------------------------------

@bp.route("/courses")
@bp.arguments(s.LanguageArgs, location="query", as_kwargs=True)
@operation(200, s.page_of(s.CourseItem, "CoursePage"))
def courses(limit, cursor=None, language=None):
    """Published courses, which cohorts may be assigned."""
    api.require(g.api, READ)
    rows, next_cursor = api.course_list(cursor, limit)
    return {"items": [api.course_json(c, language) for c in rows], "next_cursor": next_cursor}


@bp.route("/courses/<int:course_id>")
@bp.arguments(s.LanguageArgs(only=("language",)), location="query", as_kwargs=True)
@operation(200, s.CourseDetail)
def course(course_id, language=None):
    """A published course with its live modules."""
    api.require(g.api, READ)
    return api.course_json(api.course(course_id), language, modules=True)


# --- Cohorts -----------------------------------------------------------------------------

def _cohort_json(cohort) -> dict:
    return {"id": cohort.id, "institution_id": cohort.institution_id, "name": cohort.name,
            "description": cohort.description, "created_at": cohort.created_at,
            "archived_at": cohort.archived_at}


_COHORT_LINKS = {
    "GetCohort": _link("cohort", cohort_id="$response.body#/id"),
    "ListCohortMembers": _link("members", cohort_id="$response.body#/id"),
    "ListCohortCourses": _link("cohort_courses", cohort_id="$response.body#/id"),
    "AddCohortMembers": _link("add_members", cohort_id="$response.body#/id"),
    "ReadCohortProgress": _link("cohort_progress", cohort_id="$response.body#/id"),
}


@bp.route("/cohorts")
@bp.arguments(s.CohortListArgs, location="query", as_kwargs=True)
@operation(200, s.page_of(s.CohortItem, "CohortPage"))
def cohorts(limit, archived, cursor=None):
    """The cohorts of the token's institution (every institution for a site token)."""
    api.require(g.api, READ)
    rows, next_cursor = api.cohort_list(g.api, archived, cursor, limit)
    return {"items": [_cohort_json(c) for c in rows], "next_cursor": next_cursor}


@bp.route("/cohorts", methods=["POST"])
@bp.arguments(s.CohortCreate)
@operation(201, s.CohortItem, links=_COHORT_LINKS)
def create_cohort(data):
    """Create a cohort. Send an `Idempotency-Key` header to retry safely."""
    api.require(g.api, ENROL)
    cohort = api.create_cohort(g.api, data)
    return _cohort_json(cohort), 201, {"Location": url_for("api.cohort", cohort_id=cohort.id)}


@bp.route("/cohorts/<int:cohort_id>")
@operation(200, s.CohortItem)
def cohort(cohort_id):
    """One cohort."""
    api.require(g.api, READ)
    return _cohort_json(api.cohort(g.api, cohort_id))


@bp.route("/cohorts/<int:cohort_id>", methods=["PATCH"])
@bp.arguments(s.CohortUpdate)
@operation(200, s.CohortItem)
def update_cohort(data, cohort_id):
    """Rename a cohort or change its description."""
    api.require(g.api, ENROL)
    found = api.cohort(g.api, cohort_id)
    try:
        return _cohort_json(institutions.update_cohort(found, **data))
    except institutions.CohortError as error:
        abort_problem(422, str(error))
    return None


@bp.route("/cohorts/<int:cohort_id>/archive", methods=["POST"])
@operation(200, s.CohortItem)
def archive_cohort(cohort_id):
    """Archive a cohort (once): it keeps its members and reports."""
    api.require(g.api, ENROL)
    found = api.cohort(g.api, cohort_id)
    try:
        return _cohort_json(institutions.archive_cohort(found))
    except institutions.CohortError as error:
        abort_problem(409, str(error))
    return None


@bp.route("/cohorts/<int:cohort_id>/courses")
@operation(200, s.CohortCourseItem(many=True))
def cohort_courses(cohort_id):
    """The courses assigned to a cohort, with their due dates."""
    api.require(g.api, READ)
    return api.cohort_courses(api.cohort(g.api, cohort_id))


@bp.route("/cohorts/<int:cohort_id>/courses/<int:course_id>", methods=["PUT"])
@bp.arguments(s.CohortCourseSet)
@operation(200, s.CohortCourseItem(many=True))
def assign_course(data, cohort_id, course_id):
    """Assign a course to a cohort, or change its due date: its learners are enrolled."""
    api.require(g.api, ENROL)
    found = api.cohort(g.api, cohort_id)
    try:
        institutions.assign_course(found, course_id, data.get("due_on"))
    except institutions.CohortError as error:
        abort_problem(404, str(error))
    return api.cohort_courses(found)


@bp.route("/cohorts/<int:cohort_id>/courses/<int:course_id>", methods=["DELETE"])
@operation(204)
def unassign_course(cohort_id, course_id):
    """Stop assigning a course; its learners keep their enrolment and progress."""
    api.require(g.api, ENROL)
    found = api.cohort(g.api, cohort_id)
    try:
        institutions.unassign_course(found, course_id)
    except institutions.CohortError as error:
        abort_problem(404, str(error))
    return "", 204


# --- Members -----------------------------------------------------------------------------

@bp.route("/cohorts/<int:cohort_id>/members")
@bp.arguments(s.PageArgs, location="query", as_kwargs=True)
@operation(200, s.page_of(s.MemberItem, "MemberPage"))
def members(cohort_id, limit, cursor=None):
    """A cohort's learners (people still invited are not listed)."""
    api.require(g.api, READ)
    items, next_cursor = api.member_list(api.cohort(g.api, cohort_id), cursor, limit)
    return {"items": items, "next_cursor": next_cursor}


@bp.route("/cohorts/<int:cohort_id>/members", methods=["POST"])
@bp.arguments(s.MembersAdd)
@operation(200, s.MembersResult)
def add_members(data, cohort_id):
    """Add people by email (with name, language, external id) as the CSV import does: the
    same checks, all or nothing; `preview` says what would happen and changes nothing.
    People with an account outside the institution, and new addresses, are invited."""
    api.require(g.api, ENROL)
    found = api.cohort(g.api, cohort_id)
    result = api.add_people(g.api, found, data["people"], data["preview"])
    if result["problems"] and not data["preview"]:
        abort_problem(422, "Nothing was added: correct these people and send them again.",
                      errors={"people": result["problems"]})
    return plain(result)


@bp.route("/cohorts/<int:cohort_id>/members/<int:user_id>", methods=["DELETE"])
@operation(204)
def remove_member(cohort_id, user_id):
    """Take a learner out of a cohort; their enrolments and progress stay."""
    api.require(g.api, ENROL)
    found = api.cohort(g.api, cohort_id)
    try:
        institutions.remove_member(found, user_id)
    except institutions.CohortError as error:
        abort_problem(404, str(error))
    return "", 204


# --- Progress and results ----------------------------------------------------------------

@bp.route("/cohorts/<int:cohort_id>/progress")
@bp.arguments(s.SyncArgs, location="query", as_kwargs=True)
@operation(200, s.page_of(s.ProgressItem, "CohortProgressPage"))
def cohort_progress(cohort_id, limit, cursor=None, updated_since=None):
    """Each learner's progress and results in each of the cohort's courses, oldest change
    first; pass `updated_since` to read only what changed since a previous read."""
    api.require(g.api, READ)
    found = api.cohort(g.api, cohort_id)
    items, next_cursor = progress.cohort_progress(found.id, updated_since=updated_since,
                                                  cursor=cursor, limit=limit)
    return plain({"items": items, "next_cursor": next_cursor})


@bp.route("/cohorts/<int:cohort_id>/members/<int:user_id>/progress")
@bp.arguments(s.SyncArgs, location="query", as_kwargs=True)
@operation(200, s.page_of(s.ProgressItem, "LearnerProgressPage"))
def learner_progress(cohort_id, user_id, limit, cursor=None, updated_since=None):
    """One learner's progress and results in the cohort's courses."""
    api.require(g.api, READ)
    found = api.cohort(g.api, cohort_id)
    if not api.is_learner_in(found, user_id):
        abort_problem(404, "This person is not a learner of the cohort.")
    items, next_cursor = progress.cohort_progress(found.id, user_id=user_id,
                                                  updated_since=updated_since,
                                                  cursor=cursor, limit=limit)
    return plain({"items": items, "next_cursor": next_cursor})


# --- Certificates ------------------------------------------------------------------------

@bp.route("/certificates")
@bp.arguments(s.PageArgs, location="query", as_kwargs=True)
@operation(200, s.page_of(s.CertificateItem, "InstitutionCertificatePage"))
def certificate_list(limit, cursor=None):
    """The certificates of the institution's learners (everyone's with a site token)."""
    api.require(g.api, READ)
    rows, next_cursor = api.certificate_list(g.api, cursor, limit)
    return {"items": [api.certificate_json(c) for c in rows], "next_cursor": next_cursor}


@bp.route("/certificates/<code>")
@operation(200, s.CertificateItem)
def certificate(code):
    """One certificate by its code (a personal token: one of its owner's)."""
    api.require(g.api, READ, institution=False)
    return api.certificate_json(api.certificate(g.api, code[:40]))


@bp.route("/certificates/<code>/revoke", methods=["POST"])
@bp.arguments(s.CertificateRevoke)
@operation(200, s.CertificateItem)
def revoke_certificate(data, code):
    """Revoke a certificate (an administrator's site token with the 'admin' scope)."""
    api.require(g.api, "admin")
    found = api.certificate(g.api, code[:40])
    try:
        return api.certificate_json(certificates.revoke(found.code, data["reason"]))
    except certificates.CertificateError as error:
        abort_problem(409, str(error))
    return None


# --- Webhook endpoints -------------------------------------------------------------------

def _webhook_json(endpoint) -> dict:
    return {"id": endpoint.id, "url": endpoint.url, "description": endpoint.description,
            "events": list(endpoint.events), "active": endpoint.active,
            "created_at": endpoint.created_at}


def _webhook_institution() -> int:
    if g.api.institution_id is None:
        abort_problem(403, "Webhook endpoints belong to one institution: use its token.")
    return g.api.institution_id


@bp.route("/webhooks")
@operation(200, s.WebhookItem(many=True))
def webhooks_list():
    """The institution's webhook endpoints."""
    api.require(g.api, READ)
    return [_webhook_json(e) for e in webhooks.list_endpoints(_webhook_institution())]


@bp.route("/webhooks", methods=["POST"])
@bp.arguments(s.WebhookCreate)
@operation(201, s.WebhookCreated, links={
    "DeleteWebhook": _link("delete_webhook", endpoint_id="$response.body#/id")})
def create_webhook(data):
    """Register an endpoint for some events (enrolment.created, module.completed,
    course.completed, quiz.graded, certificate.issued, certificate.revoked). The answer
    holds the signing secret, shown only this once."""
    api.require(g.api, ENROL)
    try:
        endpoint, secret = webhooks.add_endpoint(
            _webhook_institution(), data["url"], data["events"], data["description"],
            actor_id=g.api.user.id)
    except webhooks.WebhookError as error:
        abort_problem(422, str(error))
    return {**_webhook_json(endpoint), "secret": secret}, 201


@bp.route("/webhooks/<int:endpoint_id>", methods=["DELETE"])
@operation(204)
def delete_webhook(endpoint_id):
    """Delete an endpoint: no more events are sent to it."""
    api.require(g.api, ENROL)
    try:
        webhooks.delete_endpoint(_webhook_institution(), endpoint_id, actor_id=g.api.user.id)
    except webhooks.WebhookError as error:
        abort_problem(404, str(error))
    return "", 204
