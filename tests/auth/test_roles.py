"""Roles guard routes; the users CLI creates accounts."""

from __future__ import annotations

from sqlalchemy import select

from ecampus.auth.models import User
from ecampus.extensions import db


def test_anonymous_visitor_is_sent_to_sign_in_and_back(client):
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert "/account/login?next=%2Fadmin%2Fusers" in response.headers["Location"]


def test_learner_gets_403_on_admin_pages(client, learner):
    client.sign_in(learner.email)
    response = client.get("/admin/users")
    assert response.status_code == 403
    assert "You do not have permission" in response.get_data(as_text=True)


def test_manager_and_author_get_403_on_admin_pages(client, manager, author):
    for user in (manager, author):
        client.sign_in(user.email)
        assert client.get("/admin/").status_code == 403
        client.submit("/account/logout")


def test_admin_sees_people_and_changes_a_role(app, client, admin, learner):
    client.sign_in(admin.email)
    page = client.get("/admin/users?q=learner").get_data(as_text=True)
    assert learner.email in page
    prefix = f"u{learner.id}"
    response = client.submit(f"/admin/users/{learner.id}/role",
                             {f"{prefix}-user_id": learner.id, f"{prefix}-role": "author"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, learner.id).role == "author"


def test_learner_cannot_change_roles_by_crafted_post(app, client, learner):
    client.sign_in(learner.email)
    response = client.submit(f"/admin/users/{learner.id}/role",
                             {f"u{learner.id}-user_id": learner.id, f"u{learner.id}-role": "admin"})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(User, learner.id).role == "learner"


def test_admin_cannot_demote_themselves(app, client, admin):
    client.sign_in(admin.email)
    client.submit(f"/admin/users/{admin.id}/role",
                  {f"u{admin.id}-user_id": admin.id, f"u{admin.id}-role": "learner"})
    with app.app_context():
        assert db.session.get(User, admin.id).role == "admin"


def test_cli_creates_admin_with_password_from_environment(app, runner, monkeypatch):
    monkeypatch.setenv("NEW_ADMIN_PASSWORD", "a strong password")
    result = runner.invoke(args=["users", "create", "--email", "Root@Example.org", "--name",
                                 "Root Admin", "--role", "admin", "--password-env",
                                 "NEW_ADMIN_PASSWORD"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "root@example.org"))
        assert user.role == "admin"
    app.test_client().sign_in("root@example.org", "a strong password")


def test_cli_prompts_for_password(app, runner):
    result = runner.invoke(args=["users", "create", "--email", "p@example.org", "--name", "P Q"],
                           input="a strong password\na strong password\n")
    assert result.exit_code == 0, result.output
    assert "Created learner p@example.org" in result.output


def test_cli_refuses_duplicate_and_short_password(runner, learner, monkeypatch):
    monkeypatch.setenv("PW", "a strong password")
    duplicate = runner.invoke(args=["users", "create", "--email", learner.email.upper(),
                                    "--name", "X", "--password-env", "PW"])
    assert duplicate.exit_code != 0 and "already exists" in duplicate.output
    monkeypatch.setenv("PW", "short")
    short = runner.invoke(args=["users", "create", "--email", "new@example.org", "--name", "X",
                                "--password-env", "PW"])
    assert short.exit_code != 0 and "at least 10" in short.output
