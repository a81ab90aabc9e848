"""The signed-in user is read on every request with one prebuilt query: whatever happens to
the account or its session on one node counts on the next request on every node."""

from __future__ import annotations

from sqlalchemy import update

from ecampus.auth import services as accounts
from ecampus.auth.models import User
from ecampus.extensions import db
from tests.conftest import PASSWORD


def _signed_in_on(node, email: str):
    client = node.test_client()
    client.sign_in(email)
    assert client.get("/account/profile").status_code == 200
    return client


def _signed_out(client) -> bool:
    response = client.get("/account/profile")
    return response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_sign_out_on_one_node_ends_the_session_on_another(app, other_node, learner):
    here = _signed_in_on(app, learner.email)
    there = other_node.test_client()
    there.set_cookie("session", here.get_cookie("session").value)
    assert there.get("/account/profile").status_code == 200
    here.submit("/account/logout")
    assert _signed_out(there)


def test_ending_every_session_counts_on_the_next_request(app, other_node, learner):
    there = _signed_in_on(other_node, learner.email)
    with app.app_context():
        accounts.end_all_sessions(learner.id)
    assert _signed_out(there)


def test_deactivated_account_is_signed_out_on_the_next_request(app, other_node, learner):
    there = _signed_in_on(other_node, learner.email)
    with app.app_context():  # the column alone, as another node's transaction would leave it
        db.session.execute(update(User).where(User.id == learner.id).values(active=False))
        db.session.commit()
    assert _signed_out(there)


def test_role_change_shows_on_the_next_request(app, other_node, learner):
    there = _signed_in_on(other_node, learner.email)
    assert "Administration" not in there.get("/courses/").get_data(as_text=True)
    with app.app_context():
        db.session.execute(update(User).where(User.id == learner.id).values(role="admin"))
        db.session.commit()
    assert "Administration" in there.get("/courses/").get_data(as_text=True)
    assert there.get("/admin/").status_code == 200


def test_password_change_ends_the_other_sessions(app, other_node, learner):
    there = _signed_in_on(other_node, learner.email)
    here = _signed_in_on(app, learner.email)
    here.submit("/account/password", {"current": PASSWORD, "password": "a new password 1",
                                      "confirm": "a new password 1"})
    assert _signed_out(there)
    assert here.get("/account/profile").status_code == 200


def test_forged_cookie_id_is_nobody(app, learner):
    with app.test_request_context():
        assert accounts.load_session_user(f"{learner.id}:not-the-token") is None
        assert accounts.load_session_user("1e9:x") is None
        assert accounts.load_session_user("") is None
