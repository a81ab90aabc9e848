"""Erasing an account: no trace of the person anywhere, every figure unchanged."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import JSON, LargeBinary, String, select, update

from ecampus.audit.models import AuditEntry
from ecampus.auth.models import User
from ecampus.catalog.models import Module
from ecampus.certificates.models import Certificate
from ecampus.extensions import db
from ecampus.institutions import reports
from ecampus.institutions.models import CohortMember
from ecampus.learning.models import Enrolment, ModuleCompletion
from ecampus.personal.erasure import ERASED_NAME, ERASED_REASON
from ecampus.quizzes import services as quizzes
from ecampus.quizzes.analysis import to_csv_rows
from ecampus.quizzes.models import Attempt
from ecampus.textsearch import fold
from tests.conftest import PASSWORD
from tests.personal.conftest import EMAIL, NAME


def _needles() -> set[str]:
    """The name and address, each word of the name, as typed and folded."""
    words = {w for w in NAME.replace("-", " ").split() if len(w) > 3}
    return {form for value in {NAME, EMAIL, *words}
            for form in (value.lower(), fold(value))}


def _as_text(value) -> str:
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _traces(app) -> list[str]:
    """Every table.column (text, JSON or bytes, of every table the models know) holding
    the name or the address, ignoring case and accents."""
    found = []
    needles = _needles()
    with app.app_context():
        for table in db.metadata.sorted_tables:
            columns = [c for c in table.columns
                       if isinstance(c.type, String | JSON | LargeBinary)]
            if not columns:
                continue
            for row in db.session.execute(select(*columns)):
                for column, value in zip(columns, row, strict=True):
                    if value is None:
                        continue
                    text = _as_text(value)
                    if any(n in text.lower() or n in fold(text) for n in needles):
                        found.append(f"{table.name}.{column.name}")
    return sorted(set(found))


def _admin_erase(app, make_user, user_id):
    admin = make_user("admin")
    client = app.test_client()
    client.sign_in(admin.email)
    return client.submit(f"/admin/users/{user_id}/erase", {"confirm": "y"})


def test_the_scan_finds_the_person_before_erasure(app, traces):
    found = _traces(app)
    for place in ("users.full_name", "users.email", "users.search_key",
                  "cohort_imports.rows", "cohort_invitations.full_name",
                  "signup_requests.email", "mail_messages.recipient", "mail_messages.body",
                  "certificates.learner_name", "certificates.credential",
                  "api_tokens.name", "api_idempotent_requests.body"):
        assert place in found, place


def test_no_trace_of_the_name_or_email_is_left_anywhere(app, make_user, traces):
    response = _admin_erase(app, make_user, traces.person.id)
    assert response.status_code == 302
    assert _traces(app) == []


def test_accounts_merged_into_the_erased_one_are_erased_too(app, make_user, history):
    old = make_user("learner", email="zoe.old.address@example.org", name=NAME)
    with app.app_context():
        db.session.execute(update(User).where(User.id == old.id).values(
            merged_into_id=history.person.id, active=False))
        db.session.commit()
    _admin_erase(app, make_user, history.person.id)
    assert _traces(app) == []
    with app.app_context():
        assert db.session.get(User, old.id).email == f"erased-{old.id}@invalid"
        erased = db.session.scalars(select(AuditEntry.target_id).where(
            AuditEntry.action == "user.erased")).all()
        assert sorted(erased) == sorted([str(history.person.id), str(old.id)])


def _figures(app, history):
    with app.app_context():
        report = reports.cohort_report(history.cohort_id, reports.parse_options({}),
                                       language="en", today=date.today())
        module = db.session.get(Module, history.module_id)
        _version, _versions, _keys, analysis = quizzes.item_analysis(module)
        counts = {model.__tablename__: db.session.query(model).count()
                  for model in (Enrolment, ModuleCompletion, Attempt, CohortMember)}
        return (report.learners, report.overall, report.by_course, to_csv_rows(analysis),
                counts)


def test_report_figures_and_item_analysis_are_the_same_after_erasure(app, make_user,
                                                                     traces):
    before = _figures(app, traces)
    _admin_erase(app, make_user, traces.person.id)
    assert _figures(app, traces) == before


def test_the_report_shows_the_erased_account_without_its_name(app, make_user, traces):
    _admin_erase(app, make_user, traces.person.id)
    manager = app.test_client()
    manager.sign_in(traces.manager.email)
    page = manager.get(f"/institutions/cohorts/{traces.cohort_id}/report").get_data(
        as_text=True)
    assert ERASED_NAME in page and NAME not in page


def test_certificate_shows_revoked_at_the_holders_request_without_a_name(app, make_user,
                                                                         history):
    _admin_erase(app, make_user, history.person.id)
    page = app.test_client().get(f"/verify/{history.certificate_code}").get_data(
        as_text=True)
    assert "Revoked." in page and ERASED_REASON in page
    assert NAME not in page and "Awarded to" not in page
    with app.app_context():
        certificate = db.session.scalar(select(Certificate).where(
            Certificate.code == history.certificate_code))
        assert certificate.status == "revoked" and certificate.credential == {}


def test_status_list_marks_the_erased_persons_certificate_revoked(app, make_user, history):
    from ecampus.certificates import services as certificates
    from ecampus.certificates import vc

    with app.app_context():
        certificate = db.session.scalar(select(Certificate).where(
            Certificate.code == history.certificate_code))
        index = certificate.status_index
    _admin_erase(app, make_user, history.person.id)
    with app.app_context():
        revoked = certificates.status_list_credential(0)
    assert vc.status_bit(revoked["credentialSubject"]["encodedList"], index) is True


def test_learner_erases_their_own_account_with_their_password(app, history):
    response = history.client.submit("/account/erase", {"password": PASSWORD,
                                                        "confirm": "y"})
    assert response.status_code == 302
    assert history.client.get("/account/profile").status_code == 302  # signed out
    with app.app_context():
        user = db.session.get(User, history.person.id)
        assert (user.full_name, user.email, user.active, user.password_hash) == (
            ERASED_NAME, f"erased-{user.id}@invalid", False, None)
    again = app.test_client().submit("/account/login", {"email": EMAIL,
                                                        "password": PASSWORD})
    assert again.status_code == 200  # no such account any more


def test_a_wrong_password_erases_nothing(app, history):
    response = history.client.submit("/account/erase", {"password": "not my password",
                                                        "confirm": "y"})
    assert response.status_code == 200
    # The person reads French (tests/personal/conftest.py).
    assert "Ce n’est pas votre mot de passe." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, history.person.id).email == EMAIL


def test_erasure_needs_the_box_ticked(app, history):
    response = history.client.submit("/account/erase", {"password": PASSWORD})
    assert response.status_code == 200
    assert 'class="error-summary"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, history.person.id).active


def test_the_account_page_explains_erasure_and_links_to_it(history):
    assert 'href="/account/erase"' in history.client.get("/account/profile").get_data(
        as_text=True)
    page = history.client.get("/account/erase").get_data(as_text=True)
    assert "est immédiat et irréversible" in page and 'href="/account/data"' in page


def test_the_admin_account_page_links_to_erasure(app, make_user, history):
    admin = make_user("admin")
    client = app.test_client()
    client.sign_in(admin.email)
    page = client.get(f"/admin/users/{history.person.id}").get_data(as_text=True)
    assert f'href="/admin/users/{history.person.id}/erase"' in page


def test_after_erasure_the_admin_sees_the_anonymous_account(app, make_user, history):
    admin = make_user("admin")
    client = app.test_client()
    client.sign_in(admin.email)
    response = client.submit(f"/admin/users/{history.person.id}/erase", {"confirm": "y"},
                             follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"Account {history.person.id} is erased." in page and NAME not in page


def test_admin_account_cannot_be_erased(app, make_user):
    other_admin = make_user("admin")
    response = _admin_erase(app, make_user, other_admin.id)
    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(User, other_admin.id).active


def test_an_erased_account_cannot_be_erased_again(app, make_user, history):
    _admin_erase(app, make_user, history.person.id)
    response = _admin_erase(app, make_user, history.person.id)
    assert "already erased" in response.get_data(as_text=True)


def test_unknown_account_is_404(app, make_user):
    assert _admin_erase(app, make_user, 999_999).status_code == 404


@pytest.mark.parametrize("role", ["learner", "manager", "author"])
def test_only_admins_may_erase_someone(app, make_user, history, role):
    client = app.test_client()
    client.sign_in(make_user(role).email)
    response = client.submit(f"/admin/users/{history.person.id}/erase", {"confirm": "y"})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(User, history.person.id).email == EMAIL


def test_erasure_is_audited_by_account_id_only(app, make_user, history):
    _admin_erase(app, make_user, history.person.id)
    with app.app_context():
        (entry,) = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "user.erased"))
        assert (entry.target_type, entry.target_id) == ("user", str(history.person.id))
        assert entry.actor_id is not None and entry.before is None and entry.after is None


def test_attempts_and_completions_stay_with_the_anonymous_account(app, make_user, history):
    _admin_erase(app, make_user, history.person.id)
    with app.app_context():
        attempts = db.session.scalars(select(Attempt.id).where(
            Attempt.user_id == history.person.id)).all()
        assert sorted(attempts) == sorted(history.attempts[history.person.id])
        member = db.session.scalar(select(CohortMember).where(
            CohortMember.user_id == history.person.id))
        assert member is not None and member.external_id is None
