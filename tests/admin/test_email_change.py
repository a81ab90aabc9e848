"""An administrator changes an account's address: the new address confirms by a single-use
link, the old one is told, and the database decides when two accounts race for one address."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from ecampus.audit.models import AuditEntry
from ecampus.auth.models import AccountToken, User
from ecampus.extensions import db
from ecampus.jobs.models import MailMessage
from ecampus.timeutil import utcnow
from tests.conftest import PASSWORD
from tests.live import Browser, run_together

_LINK = re.compile(r"http://localhost(/account/email/[\w-]+)")


def _request(client, user_id: int, email: str):
    return client.submit(f"/admin/users/{user_id}/email", {"email": email})


def _link(app, to: str) -> str:
    with app.app_context():
        body = db.session.scalars(select(MailMessage.body).where(
            MailMessage.recipient == to).order_by(MailMessage.id.desc())).first()
    return _LINK.search(body).group(1)


def _email(app, user_id: int) -> str:
    with app.app_context():
        return db.session.get(User, user_id).email


def test_the_new_address_gets_a_link_and_nothing_changes_until_it_is_followed(
        app, client, admin, learner):
    client.sign_in(admin.email)
    response = _request(client, learner.id, "New.Address@example.org")
    assert response.status_code == 302
    link = _link(app, "new.address@example.org")
    assert _email(app, learner.id) == learner.email
    page = app.test_client().get(link)  # a mail scanner opening the link changes nothing
    assert page.status_code == 200 and "new.address@example.org" in page.get_data(as_text=True)
    assert _email(app, learner.id) == learner.email


def test_following_the_link_changes_the_address_and_tells_the_old_one(
        app, client, admin, learner):
    client.sign_in(admin.email)
    _request(client, learner.id, "new.address@example.org")
    link = _link(app, "new.address@example.org")
    holder = app.test_client()
    assert holder.submit(link).status_code == 302
    assert _email(app, learner.id) == "new.address@example.org"
    with app.app_context():
        notice = db.session.scalar(select(MailMessage).where(
            MailMessage.recipient == learner.email))
        assert "has just been changed" in notice.body
    app.test_client().sign_in("new.address@example.org", PASSWORD)


def test_the_link_works_once(app, client, admin, learner):
    client.sign_in(admin.email)
    _request(client, learner.id, "new.address@example.org")
    link = _link(app, "new.address@example.org")
    holder = app.test_client()
    holder.submit(link)
    again = holder.submit(link)
    assert again.status_code == 410
    assert "already been used" in again.get_data(as_text=True)


def test_an_expired_link_changes_nothing(app, client, admin, learner):
    client.sign_in(admin.email)
    _request(client, learner.id, "new.address@example.org")
    with app.app_context():
        db.session.execute(update(AccountToken).values(
            expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    response = app.test_client().submit(_link(app, "new.address@example.org"))
    assert response.status_code == 410
    assert _email(app, learner.id) == learner.email


def test_only_the_latest_link_works(app, client, admin, learner):
    client.sign_in(admin.email)
    _request(client, learner.id, "first@example.org")
    first = _link(app, "first@example.org")
    _request(client, learner.id, "second@example.org")
    assert app.test_client().submit(first).status_code == 410
    assert app.test_client().submit(_link(app, "second@example.org")).status_code == 302
    assert _email(app, learner.id) == "second@example.org"


def test_an_address_already_taken_is_refused_with_a_clear_message(
        app, client, admin, learner, author):
    client.sign_in(admin.email)
    response = _request(client, learner.id, author.email.upper())
    assert response.status_code == 200
    assert "Another account already uses this address" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(MailMessage).where(
            MailMessage.recipient == author.email)) is None


def test_a_malformed_address_is_refused(client, admin, learner):
    client.sign_in(admin.email)
    response = _request(client, learner.id, "not an address")
    assert response.status_code == 200
    assert "Enter an email address like name@example.org." in response.get_data(as_text=True)


def test_the_database_decides_when_two_accounts_confirm_one_address_at_once(
        app, live_server, client, admin, learner, author):
    client.sign_in(admin.email)
    links = []
    for person in (learner, author):
        _request(client, person.id, "shared@example.org")
        links.append(_link(app, "shared@example.org"))
    tabs = [Browser(live_server), Browser(live_server)]
    for tab, link in zip(tabs, links, strict=True):
        tab.get(link)
    results = run_together(*[lambda tab=tab, link=link: tab.submit(link)[0]
                             for tab, link in zip(tabs, links, strict=True)])
    assert sorted(results) == [302, 409], results
    owners = [_email(app, person.id) for person in (learner, author)]
    assert owners.count("shared@example.org") == 1


def test_a_confirmation_for_an_address_taken_meanwhile_says_why(
        app, client, admin, learner, make_user):
    client.sign_in(admin.email)
    _request(client, learner.id, "late@example.org")
    link = _link(app, "late@example.org")
    make_user(email="late@example.org")
    response = app.test_client().submit(link)
    assert response.status_code == 409
    assert "Another account started using this address" in response.get_data(as_text=True)
    assert _email(app, learner.id) == learner.email


def test_the_change_is_recorded_without_any_address(app, client, admin, learner):
    client.sign_in(admin.email)
    _request(client, learner.id, "new.address@example.org")
    app.test_client().submit(_link(app, "new.address@example.org"))
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action.like("user.email%")).order_by(AuditEntry.id)).all()
        assert [(e.action, e.actor_id, e.target_id) for e in entries] == [
            ("user.email_change_requested", admin.id, str(learner.id)),
            ("user.email_changed", learner.id, str(learner.id))]
        assert entries[1].after == {"email": "changed"}
        assert all("@" not in repr(e.before) + repr(e.after) for e in entries)


def test_a_learner_cannot_change_someone_elses_address(app, client, learner, author):
    client.sign_in(learner.email)
    assert _request(client, author.id, "mine@example.org").status_code == 403
    assert _email(app, author.id) == author.email


def test_an_unknown_link_is_refused(client):
    response = client.get("/account/email/not-a-real-token-xxxxxxxxxxxx")
    assert response.status_code == 410
