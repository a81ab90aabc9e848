"""Deactivating and reactivating accounts: sessions end in the same transaction, sign-in is
refused with a clear message, and the last active administrator always stays."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ecampus.admin import services
from ecampus.audit.models import AuditEntry
from ecampus.auth import services as accounts
from ecampus.auth.models import User, UserSession
from ecampus.extensions import db
from tests.conftest import PASSWORD
from tests.live import Browser, run_together


def _deactivate(client, user_id: int):
    return client.submit(f"/admin/users/{user_id}/deactivate")


def _active(app, user_id: int) -> bool:
    with app.app_context():
        return db.session.get(User, user_id).active


def _flash(client, response) -> str:
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_the_confirmation_page_changes_nothing(app, client, admin, learner):
    client.sign_in(admin.email)
    page = client.get(f"/admin/users/{learner.id}/deactivate").get_data(as_text=True)
    assert "signed out on every device at once" in page
    assert _active(app, learner.id)


def test_deactivation_ends_every_session_of_the_account(app, client, admin, learner):
    phone, laptop = app.test_client(), app.test_client()
    for device in (phone, laptop):
        device.sign_in(learner.email)
    client.sign_in(admin.email)
    response = _deactivate(client, learner.id)
    assert "is deactivated and signed out everywhere" in _flash(client, response)
    for device in (phone, laptop):
        assert device.get("/account/profile").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(UserSession).where(
            UserSession.user_id == learner.id, UserSession.ended_at.is_(None))) == 0


def test_a_deactivated_account_is_told_so_when_it_signs_in(app, client, admin, learner):
    client.sign_in(admin.email)
    _deactivate(client, learner.id)
    response = app.test_client().submit("/account/login", {"email": learner.email,
                                                           "password": PASSWORD})
    assert response.status_code == 403
    assert "This account is deactivated" in response.get_data(as_text=True)


def test_a_wrong_password_on_a_deactivated_account_reveals_nothing(app, client, admin, learner):
    client.sign_in(admin.email)
    _deactivate(client, learner.id)
    response = app.test_client().submit("/account/login", {"email": learner.email,
                                                           "password": "not the password"})
    page = response.get_data(as_text=True)
    assert "deactivated" not in page
    assert "The email address or password is not correct." in page


def test_links_mailed_before_deactivation_stop_working(app, client, admin, learner):
    with app.app_context():
        token = accounts.issue_token(db.session.get(User, learner.id), accounts.RESET,
                                     timedelta(hours=1))
        db.session.commit()
    client.sign_in(admin.email)
    _deactivate(client, learner.id)
    assert app.test_client().get(f"/account/reset/{token}").status_code == 410


def test_an_admin_cannot_deactivate_themselves(app, client, admin, make_user):
    make_user("admin")
    client.sign_in(admin.email)
    response = _deactivate(client, admin.id)
    assert "You cannot deactivate your own account." in _flash(client, response)
    assert _active(app, admin.id)


def test_the_last_active_administrator_stays_even_from_a_page_left_open(ctx, admin,
                                                                        make_user):
    other = make_user("admin")
    services.deactivate_user(admin.id, other.id)
    # The other admin's page was still open: their request comes after the first.
    with pytest.raises(services.AdminError, match="no longer an active administrator"):
        services.deactivate_user(other.id, admin.id)
    db.session.remove()
    assert db.session.get(User, admin.id).active


def test_two_admins_deactivating_each_other_at_once_leave_one_active(
        app, live_server, admin, make_user):
    other = make_user("admin")
    tabs = [Browser(live_server), Browser(live_server)]
    tabs[0].sign_in(admin.email)
    tabs[1].sign_in(other.email)
    results = run_together(lambda: tabs[0].submit(f"/admin/users/{other.id}/deactivate")[0],
                           lambda: tabs[1].submit(f"/admin/users/{admin.id}/deactivate")[0])
    assert all(status == 302 for status in results), results
    assert sorted([_active(app, admin.id), _active(app, other.id)]) == [False, True]


def test_reactivation_lets_the_account_sign_in_again(app, client, admin, learner):
    client.sign_in(admin.email)
    _deactivate(client, learner.id)
    response = client.submit(f"/admin/users/{learner.id}/reactivate")
    assert "is active again" in _flash(client, response)
    app.test_client().sign_in(learner.email)


def test_reactivating_an_active_account_says_so(client, admin, learner):
    client.sign_in(admin.email)
    response = client.submit(f"/admin/users/{learner.id}/reactivate")
    assert "already active" in _flash(client, response)


def test_deactivation_and_reactivation_are_recorded_with_ids_only(app, client, admin, learner):
    client.sign_in(admin.email)
    _deactivate(client, learner.id)
    client.submit(f"/admin/users/{learner.id}/reactivate")
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        mine = [(e.action, e.actor_id, e.target_id) for e in entries
                if e.action.startswith("user.") and e.action.endswith("activated")]
        assert mine == [("user.deactivated", admin.id, str(learner.id)),
                        ("user.reactivated", admin.id, str(learner.id))]
        assert all("@" not in repr(e.after) for e in entries)


def test_deactivation_without_the_csrf_token_changes_nothing(app, client, admin, learner):
    client.sign_in(admin.email)
    response = client.post(f"/admin/users/{learner.id}/deactivate", data={})
    assert response.status_code == 400
    assert _active(app, learner.id)


def test_a_manager_cannot_deactivate_anyone(app, client, manager, learner):
    client.sign_in(manager.email)
    assert _deactivate(client, learner.id).status_code == 403
    assert _active(app, learner.id)


def test_the_people_list_links_to_the_account_page_and_marks_deactivated(
        client, admin, learner):
    client.sign_in(admin.email)
    _deactivate(client, learner.id)
    page = client.get("/admin/users").get_data(as_text=True)
    assert f'href="/admin/users/{learner.id}"' in page
    assert "(deactivated)" in page
