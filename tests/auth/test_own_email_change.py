"""A person moves their own account to a new address: password first, then the link mailed
to the new address; an address another account uses is never revealed on the page."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from ecampus.auth.models import AccountToken, User
from ecampus.extensions import db
from ecampus.jobs.models import MailMessage
from tests.conftest import PASSWORD

_LINK = re.compile(r"http://localhost(/account/email/[\w-]+)")


def _mail_to(app, to: str) -> str | None:
    with app.app_context():
        return db.session.scalars(select(MailMessage.body).where(
            MailMessage.recipient == to).order_by(MailMessage.id.desc())).first()


def _email(app, user_id: int) -> str:
    with app.app_context():
        return db.session.get(User, user_id).email


def test_a_person_changes_their_address_by_following_the_link(app, client, learner):
    client.sign_in(learner.email)
    response = client.submit("/account/email", {"email": "mine@example.org",
                                                "current": PASSWORD})
    assert response.status_code == 302
    assert _email(app, learner.id) == learner.email
    body = _mail_to(app, "mine@example.org")
    assert "You asked to use this address" in body
    assert client.submit(_LINK.search(body).group(1)).status_code == 302
    assert _email(app, learner.id) == "mine@example.org"
    assert client.get("/account/profile").status_code == 200  # still signed in


def test_a_wrong_password_changes_nothing(app, client, learner):
    client.sign_in(learner.email)
    response = client.submit("/account/email", {"email": "mine@example.org",
                                                "current": "not my password"})
    assert response.status_code == 200
    assert "Your current password is not correct." in response.get_data(as_text=True)
    assert _mail_to(app, "mine@example.org") is None


def test_an_address_in_use_is_not_revealed_and_its_owner_is_told(app, client, learner,
                                                                   author):
    client.sign_in(learner.email)
    response = client.submit("/account/email", {"email": author.email, "current": PASSWORD})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"We have sent a link to {author.email}" in page
    assert "nothing was changed" in _mail_to(app, author.email)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AccountToken).where(
            AccountToken.purpose == "email")) == 0


def test_visitors_are_sent_to_sign_in(client):
    response = client.get("/account/email")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
