"""A manager reaches only people of their institution: anyone else is invited, and shows as
"invited" with nothing of their learning until they accept."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from ecampus.certificates.models import Certificate
from ecampus.certificates.services import issue_certificate
from ecampus.config import default_config, from_environment
from ecampus.extensions import db
from ecampus.institutions.models import CohortInvitation, CohortMember, InstitutionMember
from ecampus.jobs.models import MailMessage
from ecampus.learning.models import Enrolment
from ecampus.timeutil import utcnow
from tests.helpers import count_statements
from tests.institutions.conftest import confirm, counts, csv_bytes, preview_url, upload

DUE = date(2031, 3, 31)


@pytest.fixture
def cohort(institution, make_cohort, courses) -> int:
    """A cohort with Migration basics assigned, due on 31 March 2031."""
    return make_cohort(institution, course_ids=[courses["migration-basics"]], due_on=DUE)


@pytest.fixture
def outsider(app, make_user, courses):
    """Olga, who has an account of her own, finished Migration basics and holds its
    certificate, and belongs to no institution: a leak of her learning would show."""
    olga = make_user("learner", name="Olga Own-Name", email="olga@example.org")
    tab = app.test_client()
    tab.sign_in(olga.email)
    tab.submit("/learning/courses/migration-basics/enrol")
    for n in (1, 2, 3):
        tab.submit(f"/learning/courses/migration-basics/lesson-{n}/done")
    with app.app_context():
        olga.code = issue_certificate(olga.id, courses["migration-basics"]).code
        assert db.session.scalar(select(Certificate.code)) == olga.code
    olga.client = tab
    return olga


def _add(client, cohort_id, **data):
    return client.submit(f"/institutions/cohorts/{cohort_id}/members",
                         {"full_name": "Olga as typed", **data})


def _mails_to(app, address: str) -> list[MailMessage]:
    with app.app_context():
        return [(m.subject, m.body) for m in db.session.scalars(
            select(MailMessage).where(MailMessage.recipient == address)
            .order_by(MailMessage.id))]


def _link(app, address: str) -> str:
    """The path of the newest invitation link mailed to `address`."""
    _subject, body = _mails_to(app, address)[-1]
    return re.search(r"http://localhost(/institutions/invitations/[\w-]+)", body).group(1)


def _flash(client, response) -> str:
    """The messages shown on the page a response redirects to."""
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    return " ".join(re.findall(r'<p class="message message-\w+">(.*?)</p>', page, re.S))


def _views(client, cohort_id) -> str:
    """Everything a manager can read about the cohort's people, as one text."""
    return "\n".join(client.get(url).get_data(as_text=True) for url in (
        f"/institutions/cohorts/{cohort_id}", f"/institutions/cohorts/{cohort_id}/report",
        f"/institutions/cohorts/{cohort_id}/report?show=completed",
        f"/institutions/cohorts/{cohort_id}/report.csv",
        f"/institutions/cohorts/{cohort_id}/report.csv?show=completed"))


def _assert_nothing_of_her_learning(client, cohort_id, olga):
    seen = _views(client, cohort_id)
    assert olga.code not in seen
    assert "Olga Own-Name" not in seen  # only the name the manager typed
    report = client.get(f"/institutions/cohorts/{cohort_id}/report").get_data(as_text=True)
    assert "0 learners" in report and "No learner has completed a course yet." in report
    assert "100%" not in report
    export = client.get(f"/institutions/cohorts/{cohort_id}/report.csv").get_data(as_text=True)
    assert olga.email not in export and len(export.strip().splitlines()) == 1


def _enrolment(app, user_id, course_id):
    with app.app_context():
        return db.session.scalar(select(Enrolment).where(Enrolment.user_id == user_id,
                                                         Enrolment.course_id == course_id))


# --- Adding someone from outside ---------------------------------------------------------

def test_an_outside_account_added_by_form_is_invited_and_shows_nothing(
        app, manager_client, cohort, outsider, courses):
    response = _add(manager_client, cohort, email=outsider.email, external_id="EXT-9")
    assert response.status_code == 302
    with app.app_context():
        invitation = db.session.scalar(select(CohortInvitation))
        assert (invitation.user_id, invitation.full_name, invitation.external_id) == (
            outsider.id, "Olga as typed", "EXT-9")
        assert db.session.scalar(select(CohortMember)) is None
        assert db.session.scalar(select(InstitutionMember).where(
            InstitutionMember.user_id == outsider.id)) is None
    (subject, body), = _mails_to(app, outsider.email)
    assert subject == ("Ministry of the Interior invites you to join its cohort Spring intake "
                       "on E-Campus")
    assert "Hello Olga Own-Name" in body and "/institutions/invitations/" in body
    page = manager_client.get(f"/institutions/cohorts/{cohort}").get_data(as_text=True)
    invited = page[page.index('id="invited"'):page.index('id="add-learner"')]
    assert "Olga as typed" in invited and outsider.email in invited and "Invited on" in invited
    assert "0 learners" in page
    _assert_nothing_of_her_learning(manager_client, cohort, outsider)
    # Her own enrolment keeps its own (absent) due date: the cohort's is not applied yet.
    assert _enrolment(app, outsider.id, courses["migration-basics"]).due_on is None


def test_an_outside_account_added_by_csv_is_invited_and_shows_nothing(
        app, manager_client, cohort, outsider):
    url = preview_url(upload(manager_client, cohort, csv_bytes(
        f"{outsider.email},Olga as typed,,EXT-9")))
    response = confirm(manager_client, url)
    assert "1 person invited." in _flash(manager_client, response)
    with app.app_context():
        assert db.session.scalar(select(CohortInvitation.full_name)) == "Olga as typed"
    assert counts(app, cohort).members == 0
    assert len(_mails_to(app, outsider.email)) == 1
    _assert_nothing_of_her_learning(manager_client, cohort, outsider)


def test_accepting_joins_enrols_with_the_due_date_and_shows_the_learning(
        app, manager_client, cohort, outsider, courses):
    _add(manager_client, cohort, email=outsider.email, external_id="EXT-9")
    link = _link(app, outsider.email)
    page = outsider.client.get(link).get_data(as_text=True)
    assert "Ministry of the Interior invites you to join its cohort Spring intake" in page
    assert "Migration basics" in page and 'name="csrf_token"' in page
    response = outsider.client.submit(link, {"answer": "accept"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(CohortMember.external_id)) == "EXT-9"
        assert db.session.scalar(select(CohortInvitation)) is None
        assert db.session.scalar(select(InstitutionMember.institution_id).where(
            InstitutionMember.user_id == outsider.id)) is not None
    assert _enrolment(app, outsider.id, courses["migration-basics"]).due_on == DUE
    seen = _views(manager_client, cohort)
    assert outsider.code in seen and "Olga Own-Name" in seen and "100%" in seen
    assert outsider.client.get(link).status_code == 404  # the link worked once


def test_after_joining_the_institution_later_adds_are_direct(
        app, manager_client, institution, make_cohort, cohort, outsider):
    _add(manager_client, cohort, email=outsider.email)
    outsider.client.submit(_link(app, outsider.email), {"answer": "accept"})
    second = make_cohort(institution, "Autumn intake")
    response = _add(manager_client, second, email=outsider.email, full_name="")
    assert "a member of your institution, is added" in _flash(manager_client, response)
    assert counts(app, second).members == 1


def test_a_member_of_the_institution_is_added_directly(app, manager_client, cohort,
                                                       make_member, courses):
    ana = make_member()
    _add(manager_client, cohort, email=ana.email, full_name="")
    assert counts(app, cohort).members == 1
    assert _enrolment(app, ana.id, courses["migration-basics"]).due_on == DUE
    assert not _mails_to(app, ana.email) or "/institutions/invitations/" not in \
        _mails_to(app, ana.email)[-1][1]


def test_a_new_address_becomes_a_member_of_the_institution(app, manager_client, cohort,
                                                           institution):
    _add(manager_client, cohort, email="new@example.org", full_name="New Person")
    with app.app_context():
        assert db.session.execute(select(InstitutionMember.institution_id)).scalars().all() == [
            institution.id]
    assert counts(app, cohort).members == 1


# --- Answering --------------------------------------------------------------------------

def test_declining_removes_the_invitation_and_changes_nothing_else(
        app, manager_client, cohort, outsider):
    _add(manager_client, cohort, email=outsider.email)
    link = _link(app, outsider.email)
    response = outsider.client.submit(link, {"answer": "decline"}, follow_redirects=True)
    assert "You declined the invitation of Ministry of the Interior" in response.get_data(
        as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CohortInvitation)) == 0
        assert db.session.scalar(select(func.count()).select_from(InstitutionMember)) == 0
    assert counts(app, cohort).members == 0
    assert outsider.client.submit(link, {"answer": "accept"}).status_code == 404
    assert counts(app, cohort).members == 0
    _assert_nothing_of_her_learning(manager_client, cohort, outsider)


def test_an_expired_invitation_does_nothing(app, manager_client, cohort, outsider):
    _add(manager_client, cohort, email=outsider.email)
    link = _link(app, outsider.email)
    with app.app_context():
        db.session.execute(update(CohortInvitation).values(
            expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    page = outsider.client.get(link)
    assert page.status_code == 410 and "expired" in page.get_data(as_text=True)
    assert outsider.client.submit(link, {"answer": "accept"}).status_code == 410
    assert counts(app, cohort).members == 0
    assert "expired" in manager_client.get(f"/institutions/cohorts/{cohort}").get_data(
        as_text=True)


def test_another_account_cannot_accept_or_decline(app, manager_client, cohort, outsider,
                                                  make_user):
    _add(manager_client, cohort, email=outsider.email)
    link = _link(app, outsider.email)
    mallory = make_user("learner")
    tab = app.test_client()
    tab.sign_in(mallory.email)
    page = tab.get(link)
    assert page.status_code == 403 and "for another account" in page.get_data(as_text=True)
    for answer in ("accept", "decline"):
        assert tab.submit(link, {"answer": answer}).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CohortInvitation)) == 1
        assert db.session.scalar(select(func.count()).select_from(InstitutionMember)) == 0
    assert counts(app, cohort).members == 0


def test_the_manager_cannot_accept_for_them(app, manager_client, cohort, outsider):
    _add(manager_client, cohort, email=outsider.email)
    assert manager_client.submit(_link(app, outsider.email),
                                 {"answer": "accept"}).status_code == 403
    assert counts(app, cohort).members == 0


def test_an_unknown_link_is_404(client, learner):
    client.sign_in(learner.email)
    assert client.get("/institutions/invitations/not-a-real-token").status_code == 404


def test_answering_needs_to_sign_in_first(app, client, manager_client, cohort, outsider):
    _add(manager_client, cohort, email=outsider.email)
    response = app.test_client().get(_link(app, outsider.email))
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_an_answer_without_csrf_token_is_refused(app, manager_client, cohort, outsider):
    _add(manager_client, cohort, email=outsider.email)
    response = outsider.client.post(_link(app, outsider.email), data={"answer": "accept"})
    assert response.status_code == 400
    assert counts(app, cohort).members == 0


# --- What the manager reads never tells whether an address has an account ------------------

def _normalised(text: str, *addresses: str) -> str:
    for n, address in enumerate(addresses):
        text = text.replace(address, f"<address {n}>")
    text = re.sub(r'name="csrf_token" (type="hidden" )?value="[^"]+"', "", text)
    return re.sub(r"/imports/\d+", "/imports/N", text)


def test_the_add_message_is_the_same_for_a_new_address_and_an_outside_account(
        app, manager_client, institution, make_cohort, outsider):
    first, second = make_cohort(institution, "First"), make_cohort(institution, "Second")
    unknown = _flash(manager_client, _add(manager_client, first, email="nobody@example.org"))
    known = _flash(manager_client, _add(manager_client, second, email=outsider.email))
    assert "is sent to" in unknown
    assert unknown.replace("nobody@example.org", "X") == known.replace(outsider.email, "X")


def test_without_a_name_the_error_is_the_same_for_a_new_address_and_an_outside_account(
        manager_client, cohort, outsider):
    pages = [_add(manager_client, cohort, email=address, full_name="")
             for address in ("nobody@example.org", outsider.email)]
    assert [page.status_code for page in pages] == [400, 400]
    texts = [page.get_data(as_text=True) for page in pages]
    assert _normalised(texts[0], "nobody@example.org") == _normalised(texts[1], outsider.email)


def test_the_preview_and_result_are_the_same_for_a_new_address_and_an_outside_account(
        app, manager_client, institution, make_cohort, outsider):
    texts = []
    for address in ("nobody@example.org", outsider.email):
        cohort = make_cohort(institution, "Same name")
        url = preview_url(upload(manager_client, cohort, csv_bytes(f"{address},Olga,,")))
        preview = manager_client.get(url).get_data(as_text=True)
        result = _flash(manager_client, confirm(manager_client, url))
        texts.append((_normalised(preview, address).replace(f"/cohorts/{cohort}", "/cohorts/C"),
                      result.replace(address, "X")))
    assert "Will be invited" in texts[0][0]
    assert texts[0] == texts[1]


def test_re_adding_an_invited_person_soon_after_sends_no_second_mail(
        app, manager_client, cohort, outsider):
    _add(manager_client, cohort, email=outsider.email)
    response = _add(manager_client, cohort, email=outsider.email)
    assert "no second email is sent" in _flash(manager_client, response)
    url = preview_url(upload(manager_client, cohort, csv_bytes(f"{outsider.email},Olga,,")))
    assert "1 person is already invited" in manager_client.get(url).get_data(as_text=True)
    confirm(manager_client, url)
    assert len(_mails_to(app, outsider.email)) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CohortInvitation)) == 1


def test_resending_later_mails_a_new_link_and_the_old_one_stops_working(
        app, manager_client, cohort, outsider):
    _add(manager_client, cohort, email=outsider.email)
    old = _link(app, outsider.email)
    with app.app_context():
        invitation_id = db.session.scalar(select(CohortInvitation.id))
    url = f"/institutions/cohorts/{cohort}/invitations/{invitation_id}/resend"
    response = manager_client.submit(url)
    assert "less than 10 minutes ago" in _flash(manager_client, response)
    assert len(_mails_to(app, outsider.email)) == 1
    with app.app_context():
        db.session.execute(update(CohortInvitation).values(
            sent_at=utcnow() - timedelta(minutes=11)))
        db.session.commit()
    response = manager_client.submit(url)
    assert "sent again" in _flash(manager_client, response)
    new = _link(app, outsider.email)
    assert new != old and len(_mails_to(app, outsider.email)) == 2
    assert outsider.client.get(old).status_code == 404
    assert outsider.client.submit(new, {"answer": "accept"}).status_code == 302
    assert counts(app, cohort).members == 1


def test_withdrawing_an_invitation_kills_its_link(app, manager_client, cohort, outsider):
    _add(manager_client, cohort, email=outsider.email)
    link = _link(app, outsider.email)
    with app.app_context():
        invitation_id = db.session.scalar(select(CohortInvitation.id))
    manager_client.submit(f"/institutions/cohorts/{cohort}/invitations/{invitation_id}/cancel")
    assert outsider.client.submit(link, {"answer": "accept"}).status_code == 404
    assert counts(app, cohort).members == 0


def test_another_institutions_invitations_are_404(app, manager_client, cohort, outsider,
                                                  make_institution, make_cohort):
    health = make_institution("Ministry of Health")
    theirs = make_cohort(health, "Nurses")
    tab = app.test_client()
    tab.sign_in(health.manager.email)
    _add(tab, theirs, email=outsider.email)
    with app.app_context():
        invitation_id = db.session.scalar(select(CohortInvitation.id))
    for cohort_id in (theirs, cohort):
        for action in ("resend", "cancel"):
            url = f"/institutions/cohorts/{cohort_id}/invitations/{invitation_id}/{action}"
            assert manager_client.submit(url).status_code == 404
    assert outsider.email not in manager_client.get(
        f"/institutions/cohorts/{cohort}").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CohortInvitation)) == 1


# --- In bulk --------------------------------------------------------------------------------

def test_an_import_of_outsiders_and_members_runs_the_same_statements_for_5_or_50(
        app, manager_client, institution, make_cohort, make_user, make_member, courses):
    needed = []
    for size in (5, 50):
        cohort = make_cohort(institution, f"Cohort of {size}", course_ids=list(courses.values()))
        outsiders = [make_user("learner", email=f"o{size}-{n}@example.org") for n in range(size)]
        members = [make_member(email=f"m{size}-{n}@example.org") for n in range(size)]
        rows = [f"{u.email},Person {n},," for n, u in enumerate(outsiders + members)]
        rows += [f"new{size}-{n}@example.org,New {n},," for n in range(size)]
        url = preview_url(upload(manager_client, cohort, csv_bytes(*rows)))
        preview = count_statements(app, lambda url=url: manager_client.get(url))
        responses = []
        apply = count_statements(app, lambda url=url, responses=responses: responses.append(
            manager_client.submit(url + "/confirm")))
        # Applying the same people again reminds nobody (too soon) and adds nobody.
        again = preview_url(upload(manager_client, cohort, csv_bytes(*rows)))
        repeat = count_statements(app, lambda url=again, responses=responses: responses.append(
            manager_client.submit(url + "/confirm")))
        for response in responses:
            response.close()  # the new accounts' mail goes out after the response
        needed.append((preview, apply, repeat))
        assert counts(app, cohort).members == 2 * size
        with app.app_context():  # the outsiders, and the new accounts until they answer
            assert db.session.scalar(select(func.count()).select_from(CohortInvitation).where(
                CohortInvitation.cohort_id == cohort)) == 2 * size
    assert needed[0] == needed[1]


def test_an_import_with_outsiders_is_all_or_nothing(app, manager_client, cohort, outsider,
                                                    monkeypatch):
    from ecampus.institutions import invitations

    url = preview_url(upload(manager_client, cohort, csv_bytes(
        "new@example.org,New,,", f"{outsider.email},Olga,,")))
    before = counts(app)

    def fail(*_args, **_kwargs):
        raise RuntimeError("the mail queue went away")

    monkeypatch.setattr(invitations, "queue_letters", fail)
    with pytest.raises(RuntimeError):
        confirm(manager_client, url)
    assert counts(app) == before
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CohortInvitation)) == 0
        assert db.session.scalar(select(func.count()).select_from(InstitutionMember)) == 0


def test_invitation_days_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("ECAMPUS_INVITATION_DAYS", "3")
    config = default_config(str(tmp_path))
    from_environment(config)
    assert config["INVITATION_DAYS"] == 3


def test_the_cli_import_invites_outsiders_too(app, runner, cohort, outsider, tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(csv_bytes(f"{outsider.email},Olga,,", "nobody@example.org,Nobody,,"))
    result = runner.invoke(args=["cohorts", "import", str(cohort), str(path)])
    assert "2 to invite" in result.output, result.output
    result = runner.invoke(args=["cohorts", "import", str(cohort), str(path), "--apply"])
    assert result.exit_code == 0, result.output
    assert "Applied: 2 invited" in result.output
    assert counts(app, cohort).members == 1
    (subject, _body), = _mails_to(app, outsider.email)
    assert subject.startswith("Ministry of the Interior invites you to join its cohort")
