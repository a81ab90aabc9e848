"""Who reaches what, for every route of the URL map, from an explicit table.

Each (route, method, role) is requested with real ids owned by someone else (the learner's
attempt and certificate, the first institution's cohort) and its answer sorted into one
class: the page works (ALLOWED), the visitor is sent to sign in (SIGN_IN), 403 or 404. A
route missing from ACCESS fails the test: whoever adds a route says who may reach it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from tests.world import ROLES, world_fixture


@pytest.fixture
def world(app, make_user, tmp_path, monkeypatch):
    """Real rows owned by different people (tests/world.py)."""
    yield from world_fixture(app, make_user, tmp_path, monkeypatch)


ALLOWED, SIGN_IN, FORBIDDEN, NOT_FOUND = "allowed", "sign in", "403", "404"


def _policy(default: str, **roles: str) -> dict[str, str]:
    return {role: roles.get(role, default) for role in ROLES}


#: Everyone, signed in or not.
PUBLIC = _policy(ALLOWED)
#: Anyone signed in; visitors are sent to sign in.
SIGNED_IN = _policy(ALLOWED, anonymous=SIGN_IN)
#: Admins only.
ADMINS = _policy(FORBIDDEN, anonymous=SIGN_IN, admin=ALLOWED)
#: Authors and admins.
AUTHORS = _policy(FORBIDDEN, anonymous=SIGN_IN, author=ALLOWED, other_author=ALLOWED,
                  admin=ALLOWED)
#: The first institution's cohort: its manager and admins; another institution's manager
#: learns nothing, not even that the cohort exists.
COHORT_OF_MANAGER = _policy(FORBIDDEN, anonymous=SIGN_IN, manager=ALLOWED,
                            other_manager=NOT_FOUND, admin=ALLOWED)
#: Any manager (their own institution's pages).
MANAGERS = _policy(FORBIDDEN, anonymous=SIGN_IN, manager=ALLOWED, other_manager=ALLOWED,
                   admin=ALLOWED)
#: The learner's own attempt: nobody else, admins included, learns it exists.
OWN_ATTEMPT = _policy(NOT_FOUND, anonymous=SIGN_IN, learner=ALLOWED)
#: The learner's copy of their data: nobody else, admins included, learns it exists.
OWN_DATA = _policy(NOT_FOUND, anonymous=SIGN_IN, learner=ALLOWED)
#: The learner's own API token: the learner and admins (who see and revoke every token).
OWN_TOKEN = _policy(NOT_FOUND, anonymous=SIGN_IN, learner=ALLOWED, admin=ALLOWED)
#: The integration API: only a bearer token opens it, never the session of a signed-in
#: page (tests/api/test_api_authorization.py walks it with tokens).
API = _policy("401")
#: The learner's own certificate files: the learner and admins.
OWN_CERTIFICATE = _policy(NOT_FOUND, anonymous=SIGN_IN, learner=ALLOWED, admin=ALLOWED)
#: A draft course's pages and files: its own authors and admins; to everyone else, another
#: course's author included, it does not exist.
DRAFT = _policy(NOT_FOUND, author=ALLOWED, admin=ALLOWED)
#: What only a course's own authors see (item analysis, publish history): other roles are
#: refused; an author of other courses learns nothing of this one.
OWN_COURSE = _policy(FORBIDDEN, anonymous=SIGN_IN, author=ALLOWED, other_author=NOT_FOUND,
                     admin=ALLOWED)
#: A retired course's files: nobody (its pages only say it is retired).
NOBODY = _policy(NOT_FOUND)


@dataclass(frozen=True)
class Case:
    """Who may reach a route, with the URL values to use instead of the world's defaults:
    {argument: World attribute}, or {"media": World attribute} for a whole file address."""

    policy: dict[str, str]
    values: dict[str, str] = field(default_factory=dict)


#: Every endpoint of the app: a policy for all its methods, or a list of cases.
ACCESS: dict[str, dict[str, str] | list[Case]] = {
    "static": PUBLIC,
    "main.home": PUBLIC,
    "main.healthz": PUBLIC,
    "main.set_language": PUBLIC,
    # Accounts
    "auth.signup": PUBLIC,
    "auth.login": PUBLIC,
    "auth.logout": PUBLIC,
    "auth.request_reset": PUBLIC,
    "auth.reset_password": PUBLIC,
    "auth.accept_invitation": PUBLIC,
    "auth.signup_sent": PUBLIC,
    "auth.confirm_signup": PUBLIC,
    # A new address's confirmation link works for whoever holds it.
    "auth.confirm_email": PUBLIC,
    "auth.profile": SIGNED_IN,
    "auth.change_password": SIGNED_IN,
    "auth.change_email": SIGNED_IN,
    # Personal data: each person's own; erasing someone else is for admins.
    "personal.my_data": SIGNED_IN,
    "personal.download": OWN_DATA,
    "personal.erase_own": SIGNED_IN,
    "personal.admin_erase": ADMINS,
    # Administration
    "admin.index": ADMINS,
    "admin.users": ADMINS,
    "admin.set_role": ADMINS,
    "admin.end_sessions": ADMINS,
    "admin.account": ADMINS,
    "admin.deactivate": ADMINS,
    "admin.reactivate": ADMINS,
    "admin.change_email": ADMINS,
    "admin.merge": ADMINS,
    "jobs.admin_index": ADMINS,
    "jobs.retry": ADMINS,
    "jobs.discard": ADMINS,
    "sources.admin_index": ADMINS,
    "sources.sync": ADMINS,
    "sources.new_secret": ADMINS,
    # A git host's push, signed with the source's secret: no signature is a 401 for anyone.
    "sources.webhook": _policy("401"),
    "sources.upload": AUTHORS,
    # Catalog
    "catalog.index": PUBLIC,
    "catalog.course": [Case(PUBLIC), Case(DRAFT, {"slug": "draft_slug"}),
                       Case(PUBLIC, {"slug": "retired_slug"})],
    "catalog.module": [Case(PUBLIC),
                       Case(DRAFT, {"slug": "draft_slug", "module_slug": "draft_module_slug"})],
    "catalog.history": [Case(OWN_COURSE), Case(OWN_COURSE, {"slug": "draft_slug"})],
    "catalog.course_file": [Case(PUBLIC), Case(DRAFT, {"media": "draft_media"}),
                            Case(NOBODY, {"media": "retired_media"})],
    # Learning
    "learning.dashboard": SIGNED_IN,
    "learning.enrol": [Case(SIGNED_IN),
                       Case(_policy(NOT_FOUND, anonymous=SIGN_IN, author=ALLOWED,
                                    other_author=NOT_FOUND, admin=ALLOWED),
                            {"slug": "draft_slug"})],
    "learning.leave": SIGNED_IN,
    "learning.mark_done": SIGNED_IN,
    "learning.continue_course": SIGNED_IN,
    # Quizzes
    "quizzes.start": SIGNED_IN,
    "quizzes.attempt": OWN_ATTEMPT,
    "quizzes.result": OWN_ATTEMPT,
    "quizzes.analysis": OWN_COURSE,
    "quizzes.analysis_csv": OWN_COURSE,
    # Certificates: verification and the issuer's documents are public
    "certificates.verify_form": PUBLIC,
    "certificates.verify": PUBLIC,
    "certificates.pdf": OWN_CERTIFICATE,
    "certificates.credential": OWN_CERTIFICATE,
    "certificates.issuer_profile": PUBLIC,
    "certificates.issuer_key": PUBLIC,
    "certificates.status_list": PUBLIC,
    "certificates.revocation_list": PUBLIC,
    "certificates.admin_index": ADMINS,
    "certificates.revoke": ADMINS,
    "certificates.reissue": ADMINS,
    "certificates.admin_look": ADMINS,
    "certificates.look_image": PUBLIC,
    # Institutions, for managers
    "institutions.index": MANAGERS,
    # An admin manages no institution: they create cohorts from the admin pages.
    "institutions.create_cohort": _policy(FORBIDDEN, anonymous=SIGN_IN, manager=ALLOWED,
                                          other_manager=ALLOWED),
    "institutions.cohort": COHORT_OF_MANAGER,
    "institutions.assign_course": COHORT_OF_MANAGER,
    "institutions.unassign_course": COHORT_OF_MANAGER,
    "institutions.add_member": COHORT_OF_MANAGER,
    "institutions.remove_member": COHORT_OF_MANAGER,
    "institutions.upload": COHORT_OF_MANAGER,
    "institutions.preview": COHORT_OF_MANAGER,
    "institutions.confirm": COHORT_OF_MANAGER,
    "institutions.report": COHORT_OF_MANAGER,
    "institutions.export": COHORT_OF_MANAGER,
    "institutions.cancel_invitation": COHORT_OF_MANAGER,
    "institutions.resend_invitation": [Case(COHORT_OF_MANAGER,
                                            {"invitation_id": "resent_invitation_id"})],
    # The invitation link works for the invited account only.
    "institutions.invitation": [Case(_policy(FORBIDDEN, anonymous=SIGN_IN,
                                             other_learner=ALLOWED),
                                     {"token": "invitation_token"})],
    # Institutions, for admins
    "institutions_admin.admin_index": ADMINS,
    "institutions_admin.admin_institution": ADMINS,
    "institutions_admin.add_manager": ADMINS,
    "institutions_admin.remove_manager": [Case(ADMINS, {"user_id": "manager_id"})],
    "institutions_admin.admin_create_cohort": ADMINS,
    # API tokens: a person's own, their institution's (managers), everyone's (admins).
    "api_pages.personal": SIGNED_IN,
    "api_pages.institution": _policy(FORBIDDEN, anonymous=SIGN_IN, manager=ALLOWED,
                                     other_manager=ALLOWED),
    "api_pages.admin": ADMINS,
    "api_pages.revoke": OWN_TOKEN,
    "api_pages.docs": PUBLIC,
    "api-docs.openapi_json": PUBLIC,
    "api.add_members": API,
    "api.archive_cohort": API,
    "api.assign_course": API,
    "api.certificate": API,
    "api.certificate_list": API,
    "api.cohort": API,
    "api.cohort_courses": API,
    "api.cohort_progress": API,
    "api.cohorts": API,
    "api.course": API,
    "api.courses": API,
    "api.create_cohort": API,
    "api.learner_progress": API,
    "api.me": API,
    "api.members": API,
    "api.my_certificates": API,
    "api.my_enrolments": API,
    "api.remove_member": API,
    "api.revoke_certificate": API,
    "api.unassign_course": API,
    "api.update_cohort": API,
    "api.delete_webhook": API,
    "api.create_webhook": API,
    "api.webhooks_list": API,
    # Webhooks: the first institution's endpoints, for its managers and admins.
    "webhooks.index": COHORT_OF_MANAGER,
    "webhooks.create": COHORT_OF_MANAGER,
    "webhooks.endpoint": COHORT_OF_MANAGER,
    "webhooks.rotate": COHORT_OF_MANAGER,
    "webhooks.disable": COHORT_OF_MANAGER,
    "webhooks.enable": COHORT_OF_MANAGER,
    "webhooks.send_test": COHORT_OF_MANAGER,
    "webhooks.redeliver": COHORT_OF_MANAGER,
    "webhooks.delete": [Case(COHORT_OF_MANAGER, {"endpoint_id": "doomed_webhook_id"})],
    # Operations: readiness for anyone; metrics only with METRICS_TOKEN (unset here).
    "ops.readyz": PUBLIC,
    "ops.metrics": NOBODY,
    # Audit log: all of it for admins; an institution's activity for its own managers.
    "audit.admin_index": ADMINS,
    "audit.admin_export": ADMINS,
    "audit.activity": COHORT_OF_MANAGER,
    "audit.activity_export": COHORT_OF_MANAGER,
}

#: Within a role, pages are read before forms are sent, and signing out comes last.
METHOD_ORDER = ("GET", "POST")
LAST_ENDPOINTS = ("auth.logout",)


def _cases(endpoint: str) -> list[Case]:
    entry = ACCESS[endpoint]
    return entry if isinstance(entry, list) else [Case(entry)]


def _outcome(response) -> str:
    location = response.headers.get("Location", "")
    if response.status_code in (301, 302, 303) and "/account/login" in location:
        return SIGN_IN
    if response.status_code == 403:
        return FORBIDDEN
    if response.status_code == 404:
        return NOT_FOUND
    if response.status_code >= 500:
        return f"server error {response.status_code}"
    if response.status_code in (401, 405):
        return str(response.status_code)
    return ALLOWED


def _url(app, world, rule, overrides: dict[str, str]) -> str:
    values = world.values()
    for argument, attribute in overrides.items():
        if argument == "media":
            return getattr(world, attribute)
        values[argument] = getattr(world, attribute)
    missing = [a for a in rule.arguments if a not in values]
    assert not missing, (f"{rule.endpoint} takes {', '.join(missing)}: add a real value for "
                         "it to World.values() in tests/world.py")
    adapter = app.url_map.bind("localhost")
    return adapter.build(rule.endpoint, {a: values[a] for a in rule.arguments},
                         method=sorted(rule.methods - {"HEAD", "OPTIONS"})[0])


def _requests(app):
    """(endpoint, rule, method) for every route, GETs first, signing out last."""
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            order = METHOD_ORDER.index(method) if method in METHOD_ORDER else len(METHOD_ORDER)
            found.append((rule.endpoint in LAST_ENDPOINTS, order,
                          rule.endpoint, rule, method))
    found.sort(key=lambda item: item[:3])
    return [(endpoint, rule, method) for _last, _order, endpoint, rule, method in found]


def test_every_route_has_an_entry_in_the_access_table(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - ACCESS.keys())
    assert not missing, (
        "These endpoints have no entry in ACCESS in tests/test_authorization.py: "
        + ", ".join(missing)
        + ". Add each one with who may reach it (PUBLIC, SIGNED_IN, ADMINS, "
          "COHORT_OF_MANAGER, ... or a policy of its own)."
    )
    gone = sorted(ACCESS.keys() - endpoints)
    assert not gone, f"ACCESS names endpoints the app no longer has: {', '.join(gone)}"


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_role_as_the_table_says(app, world, role):
    client = world.client(app, role)
    wrong = []
    for endpoint, rule, method in _requests(app):
        if endpoint not in ACCESS:
            continue  # reported by test_every_route_has_an_entry_in_the_access_table
        for case in _cases(endpoint):
            url = _url(app, world, rule, case.values)
            response = client.get(url) if method == "GET" else client.open(
                url, method=method, data={"csrf_token": client.csrf_token()})
            got, expected = _outcome(response), case.policy[role]
            if got != expected:
                wrong.append(f"{method} {url} ({endpoint}) as {role}: expected {expected}, "
                             f"got {got} ({response.status_code})")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("suffix", [".pdf", ".json"])
def test_another_learner_cannot_download_the_learners_certificate(app, world, suffix):
    client = world.client(app, "other_learner")
    response = client.get(f"/certificates/{world.certificate_code}{suffix}")
    assert response.status_code == 404
    owner = world.client(app, "learner").get(f"/certificates/{world.certificate_code}{suffix}")
    assert owner.status_code == 200


@pytest.mark.parametrize("page", ["", "/result"])
def test_another_learner_cannot_open_the_learners_attempt(app, world, page):
    client = world.client(app, "other_learner")
    assert client.get(f"/quizzes/attempts/{world.attempt_id}{page}").status_code == 404
    response = client.submit(f"/quizzes/attempts/{world.attempt_id}", {"action": "submit"})
    assert response.status_code == 404
    owner = world.client(app, "learner").get(f"/quizzes/attempts/{world.attempt_id}")
    assert owner.status_code == 200


@pytest.mark.parametrize("page", ["", "/report", "/report.csv", "/import",
                                  "/imports/{import_id}"])
def test_manager_of_another_institution_gets_404_for_its_cohort_pages(app, world, page):
    url = f"/institutions/cohorts/{world.cohort_id}" + page.format(import_id=world.import_id)
    assert world.client(app, "other_manager").get(url).status_code == 404
    assert world.client(app, "manager").get(url).status_code == 200


def test_draft_course_media_is_served_to_authors_only(app, world):
    for role in ("anonymous", "learner", "manager"):
        assert world.client(app, role).get(world.draft_media).status_code == 404, role
    response = world.client(app, "author").get(world.draft_media)
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert "public" not in response.headers["Cache-Control"]


def test_published_course_media_stays_public_and_cached(app, world):
    response = world.client(app, "anonymous").get(world.media)
    assert response.status_code == 200
    assert "public" in response.headers["Cache-Control"]


def test_retired_course_media_is_served_to_nobody(app, world):
    for role in ("anonymous", "learner", "author", "admin"):
        assert world.client(app, role).get(world.retired_media).status_code == 404, role
