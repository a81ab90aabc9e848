"""Until a person added to a cohort has answered, the manager sees them the same way whether
the address was new (an account the institution created, waiting for its password) or had
an account outside the institution (waiting for the person to accept): invited, with nothing
of their learning and outside every count."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from ecampus.auth.models import User
from ecampus.certificates.services import issue_certificate
from ecampus.extensions import db
from ecampus.institutions.models import CohortInvitation, CohortMember, InstitutionMember
from ecampus.learning.models import Enrolment
from ecampus.timeutil import utcnow
from tests.institutions.conftest import confirm, csv_bytes, preview_url, upload
from tests.institutions.test_invitations import _link

DUE = date(2031, 3, 31)
NEW = "nobody@example.org"
PASSWORD = "a long new password"


@pytest.fixture
def outsider(app, make_user, courses):
    """Olga, with an account of her own: she finished Migration basics and holds its
    certificate, so any leak of her learning would show."""
    olga = make_user("learner", name="Olga Own-Name", email="olga@example.org")
    tab = app.test_client()
    tab.sign_in(olga.email)
    tab.submit("/learning/courses/migration-basics/enrol")
    for n in (1, 2, 3):
        tab.submit(f"/learning/courses/migration-basics/lesson-{n}/done")
    with app.app_context():
        olga.code = issue_certificate(olga.id, courses["migration-basics"]).code
    olga.client = tab
    return olga


@pytest.fixture
def ana(app, make_member, courses):
    """Ana, a member of the institution who finished Migration basics: every cohort she is
    in has a completion, so its report draws the chart."""
    ana = make_member(name="Ana Member", email="ana@example.org")
    tab = app.test_client()
    tab.sign_in(ana.email)
    tab.submit("/learning/courses/migration-basics/enrol")
    for n in (1, 2, 3):
        tab.submit(f"/learning/courses/migration-basics/lesson-{n}/done")
    return ana


@pytest.fixture
def make_class(make_cohort, institution, courses, manager_client, ana):
    """Factory: a cohort named "Same name" with Migration basics due on 31 March 2031 and
    Ana in it; its id."""
    def factory() -> int:
        cohort = make_cohort(institution, "Same name", course_ids=[courses["migration-basics"]],
                             due_on=DUE)
        _add(manager_client, cohort, email=ana.email, full_name="")
        return cohort

    return factory


def _add(client, cohort_id, **data):
    return client.submit(f"/institutions/cohorts/{cohort_id}/members",
                         {"full_name": "Olga as typed", "external_id": "EXT-9", **data})


def _views(client, cohort_id) -> dict[str, str]:
    """What a manager reads about a cohort's people: its page, the list of cohorts, the
    report (the chart and its text alternative included) and the CSV exports."""
    base = f"/institutions/cohorts/{cohort_id}"
    index = client.get("/institutions/").get_data(as_text=True)
    row = re.search(rf'<tr>\s*<td><a href="{base}">.*?</tr>', index, re.S).group(0)
    return {"index row": row} | {url: client.get(base + url).get_data(as_text=True) for url in (
        "", "/report", "/report?show=completed", "/report?show=not_started", "/report.csv",
        "/report.csv?show=not_started")}


def _normalised(views: dict[str, str], address: str, cohort_id: int) -> dict[str, str]:
    def clean(text: str) -> str:
        text = text.replace(address, "<address>").replace(f"/cohorts/{cohort_id}", "/cohorts/C")
        text = re.sub(r'name="csrf_token" (type="hidden" )?value="[^"]+"', "", text)
        text = re.sub(r"/invitations/\d+/", "/invitations/N/", text)
        return re.sub(r"report-\d{4}", "report-Y", text)

    return {url: clean(text) for url, text in views.items()}


def _invited_section(page: str) -> str:
    return page[page.index('id="invited"'):page.index('id="add-learner"')]


def _password_link(outbox, address: str) -> str:
    mails = [path.read_text().replace("=\n", "") for path in sorted(outbox.glob("*.eml"))]
    links = [re.search(r"http://localhost(/account/invitation/[\w-]+)", mail).group(1)
             for mail in mails if f"To: {address}" in mail and "/account/invitation/" in mail]
    return links[-1]


def _choose_password(app, link: str):
    tab = app.test_client()
    return tab.submit(link, {"password": PASSWORD, "confirm": PASSWORD})


def _invitation_id(app, cohort_id: int, address: str) -> int:
    with app.app_context():
        return db.session.scalar(select(CohortInvitation.id).join(
            User, User.id == CohortInvitation.user_id).where(
            CohortInvitation.cohort_id == cohort_id, User.email == address))


# --- The same in every view ---------------------------------------------------------------

def test_every_view_is_the_same_for_a_new_address_and_an_outside_account(
        manager_client, make_class, outsider):
    seen = []
    for address in (NEW, outsider.email):
        cohort = make_class()
        _add(manager_client, cohort, email=address)
        seen.append(_normalised(_views(manager_client, cohort), address, cohort))
    assert seen[0] == seen[1]
    page, report = seen[0][""], seen[0]["/report"]
    assert "Olga as typed" in _invited_section(page) and "Invited on" in page
    assert "1 learner" in page and "1 learner" in report
    assert "<td>1</td>" in seen[0]["index row"]
    assert "1 person is invited and has not answered yet" in report
    assert "Cumulative completions over time" in report  # Ana's completion, not Olga's
    assert "<address>" not in seen[0]["/report.csv"] and outsider.code not in str(seen[0])


def test_adding_the_same_address_again_reads_the_same(app, manager_client, make_class,
                                                      outsider):
    seen = []
    for address in (NEW, outsider.email):
        cohort = make_class()
        _add(manager_client, cohort, email=address)
        again = manager_client.get(_add(manager_client, cohort, email=address)
                                   .headers["Location"]).get_data(as_text=True)
        url = preview_url(upload(manager_client, cohort, csv_bytes(f"{address},Olga,,")))
        preview = manager_client.get(url).get_data(as_text=True)
        seen.append(_normalised({"again": again, "preview": re.sub(r"/imports/\d+", "", preview)},
                                address, cohort))
    assert seen[0] == seen[1]
    assert "already invited to the cohort a moment ago" in seen[0]["again"]
    assert "1 person is already invited" in seen[0]["preview"]


def test_adding_to_a_second_cohort_reads_the_same(app, manager_client, institution,
                                                  make_class, make_cohort, outsider):
    seen = []
    for address in (NEW, outsider.email):
        _add(manager_client, make_class(), email=address)
        second = make_cohort(institution, "Second")
        url = preview_url(upload(manager_client, second, csv_bytes(f"{address},Olga,,")))
        preview = re.sub(r"/imports/\d+", "", manager_client.get(url).get_data(as_text=True))
        nameless = _add(manager_client, second, email=address, full_name="")
        assert nameless.status_code == 400
        added = manager_client.get(_add(manager_client, second, email=address)
                                   .headers["Location"]).get_data(as_text=True)
        seen.append(_normalised({"nameless": nameless.get_data(as_text=True), "added": added,
                                 "preview": preview}, address, second))
    for text in seen:
        text["nameless"] = re.sub(r'value="[^"]*"', "", text["nameless"])
    assert seen[0] == seen[1]
    assert "An invitation to join the cohort is sent to <address>" in seen[0]["added"]
    assert "Will be invited" in seen[0]["preview"]
    assert "Olga as typed" in _invited_section(seen[0]["added"])


# --- Answering ------------------------------------------------------------------------------

def test_a_new_account_becomes_a_learner_when_it_chooses_its_password(
        app, manager_client, make_class, courses, outbox):
    cohort = make_class()
    _add(manager_client, cohort, email=NEW, full_name="New Person")
    assert "New Person" in _invited_section(_views(manager_client, cohort)[""])
    with app.app_context():  # its courses wait for it, with the cohort's due date
        user_id = db.session.scalar(select(User.id).where(User.email == NEW))
        assert db.session.scalar(select(Enrolment.due_on).where(
            Enrolment.user_id == user_id,
            Enrolment.course_id == courses["migration-basics"])) == DUE
    assert _choose_password(app, _password_link(outbox, NEW)).status_code == 302
    views = _views(manager_client, cohort)
    page = views[""]
    assert "New Person" not in _invited_section(page) and "2 learners" in page
    assert "0 people invited who have not answered yet" in page
    assert "2 learners" in views["/report"] and "has not answered yet" not in views["/report"]
    assert NEW in views["/report.csv"] and "EXT-9" in views["/report.csv"]
    assert "2031-03-31" in views["/report.csv"]
    assert "<td>2</td>" in views["index row"]


def test_an_outside_account_becomes_a_learner_when_it_accepts(app, manager_client, make_class,
                                                              outsider):
    cohort = make_class()
    _add(manager_client, cohort, email=outsider.email)
    assert "2 learners" not in _views(manager_client, cohort)[""]
    outsider.client.submit(_link(app, outsider.email), {"answer": "accept"})
    views = _views(manager_client, cohort)
    assert "2 learners" in views[""] and "0 people invited" in views[""]
    assert outsider.code in views["/report.csv"] and "2 learners" in views["/report"]


# --- Send again, withdraw ------------------------------------------------------------------

def test_sending_again_to_a_new_account_mails_a_new_password_link(app, manager_client,
                                                                  make_class, outbox):
    cohort = make_class()
    _add(manager_client, cohort, email=NEW)
    old = _password_link(outbox, NEW)
    invitation_id = _invitation_id(app, cohort, NEW)
    url = f"/institutions/cohorts/{cohort}/invitations/{invitation_id}/resend"
    refused = manager_client.get(manager_client.submit(url).headers["Location"])
    assert "less than 10 minutes ago" in refused.get_data(as_text=True)
    assert _password_link(outbox, NEW) == old
    with app.app_context():
        db.session.execute(update(CohortInvitation).values(
            sent_at=utcnow() - timedelta(minutes=11)))
        db.session.commit()
    sent = manager_client.get(manager_client.submit(url).headers["Location"])
    assert f"The invitation is sent again to {NEW}, with a new link." in sent.get_data(
        as_text=True)
    new = _password_link(outbox, NEW)
    assert new != old
    assert _choose_password(app, old).status_code != 302  # the old link is dead
    assert _choose_password(app, new).status_code == 302
    assert "2 learners" in _views(manager_client, cohort)[""]


def test_withdrawing_a_new_account_takes_it_out_of_the_cohort(app, manager_client, make_class,
                                                              courses, outbox):
    cohort = make_class()
    _add(manager_client, cohort, email=NEW)
    link = _password_link(outbox, NEW)
    invitation_id = _invitation_id(app, cohort, NEW)
    manager_client.submit(f"/institutions/cohorts/{cohort}/invitations/{invitation_id}/cancel")
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == NEW))
        assert user_id is not None  # the account stays, with its enrolment
        assert db.session.scalar(select(CohortMember).where(
            CohortMember.user_id == user_id)) is None
        assert db.session.scalar(select(Enrolment).where(Enrolment.user_id == user_id))
        assert db.session.scalar(select(InstitutionMember).where(
            InstitutionMember.user_id == user_id))
    assert _choose_password(app, link).status_code != 302
    page = _views(manager_client, cohort)[""]
    assert NEW not in page and "1 learner" in page
    # Adding the address again invites it again, as for anyone.
    response = manager_client.get(_add(manager_client, cohort, email=NEW).headers["Location"])
    assert f"An invitation to join the cohort is sent to {NEW}" in response.get_data(
        as_text=True)
    assert _password_link(outbox, NEW) != link


def test_the_link_of_an_account_waiting_for_two_cohorts_survives_one_withdrawal(
        app, manager_client, institution, make_class, make_cohort, outbox):
    first, second = make_class(), make_cohort(institution, "Second")
    _add(manager_client, first, email=NEW)
    _add(manager_client, second, email=NEW)
    link = _password_link(outbox, NEW)
    manager_client.submit(f"/institutions/cohorts/{second}/invitations/"
                          f"{_invitation_id(app, second, NEW)}/cancel")
    assert _choose_password(app, link).status_code == 302
    assert "2 learners" in _views(manager_client, first)[""]


def test_a_withdrawn_or_answered_invitation_cannot_be_withdrawn_or_sent_again(
        app, manager_client, make_class, outbox):
    cohort = make_class()
    _add(manager_client, cohort, email=NEW)
    invitation_id = _invitation_id(app, cohort, NEW)
    _choose_password(app, _password_link(outbox, NEW))
    for action in ("resend", "cancel"):
        url = f"/institutions/cohorts/{cohort}/invitations/{invitation_id}/{action}"
        assert manager_client.submit(url).status_code == 404
    assert "2 learners" in _views(manager_client, cohort)[""]


def test_removing_a_learner_who_answered_lists_them_nowhere(app, manager_client, make_class,
                                                            outbox):
    cohort = make_class()
    _add(manager_client, cohort, email=NEW)
    _choose_password(app, _password_link(outbox, NEW))
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == NEW))
    manager_client.submit(f"/institutions/cohorts/{cohort}/members/{user_id}/remove")
    page = _views(manager_client, cohort)[""]
    assert NEW not in page and "0 people invited" in page and "1 learner" in page


# --- In bulk --------------------------------------------------------------------------------

def test_an_import_of_new_addresses_lists_them_as_invited_until_they_answer(
        app, manager_client, make_class, outbox):
    cohort = make_class()
    url = preview_url(upload(manager_client, cohort, csv_bytes(
        *[f"p{n}@example.org,Person {n},,E-{n}" for n in range(3)])))
    confirm(manager_client, url)
    views = _views(manager_client, cohort)
    assert "3 people invited who have not answered yet" in views[""]
    assert "1 learner" in views[""] and "1 learner" in views["/report"]
    assert "p0@example.org" not in views["/report.csv"]
    _choose_password(app, _password_link(outbox, "p1@example.org"))
    views = _views(manager_client, cohort)
    assert "2 people invited who have not answered yet" in views[""]
    assert "2 learners" in views["/report"] and "p1@example.org" in views["/report.csv"]
    assert "p0@example.org" not in views["/report.csv"]
