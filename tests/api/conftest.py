"""API fixtures: real tokens made through the token service, and a client that sends them."""

from __future__ import annotations

import pytest

from ecampus.api import tokens
from ecampus.auth.models import User
from ecampus.extensions import db
from ecampus.institutions import services as institutions


def make_token(app, user_id: int, kind: str = "institution", scopes=("read", "enrol"), *,
               institution_id: int | None = None, days: int = 30) -> str:
    """A real token's secret, made as the pages make it."""
    with app.app_context():
        user = db.session.get(User, user_id)
        if kind == "institution" and institution_id is None:
            institution_id = institutions.managed_institution_id(user)
        _token, secret = tokens.create_token(user, kind=kind, name=f"{kind} token",
                                             scopes=list(scopes), days=days,
                                             institution_id=institution_id)
        db.session.remove()
        return secret


class Api:
    """A test client sending one token with every request."""

    def __init__(self, client, secret: str | None):
        self.client = client
        self.secret = secret

    def _headers(self, headers):
        sent = dict(headers or {})
        if self.secret:
            sent["Authorization"] = f"Bearer {self.secret}"
        return sent

    def get(self, path, **kwargs):
        return self.client.get("/api/v1" + path, headers=self._headers(kwargs.pop("headers",
                                                                                  None)),
                               **kwargs)

    def send(self, method, path, json=None, **kwargs):
        return self.client.open("/api/v1" + path, method=method, json=json,
                                headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def post(self, path, json=None, **kwargs):
        return self.send("POST", path, json, **kwargs)


@pytest.fixture
def institution(app, make_user):
    """An institution with its manager and a cohort: (institution_id, manager, cohort_id)."""
    manager = make_user("manager")
    with app.app_context():
        created = institutions.create_institution("Ministry of Finance", "")
        institutions.make_manager(created.id, manager.email)
        cohort = institutions.create_cohort(created.id, "Auditors", "", manager.id)
        ids = created.id, cohort.id
        db.session.remove()
    return ids[0], manager, ids[1]


@pytest.fixture
def manager_api(app, institution):
    """The institution's manager's token with read and enrol."""
    return Api(app.test_client(), make_token(app, institution[1].id))


@pytest.fixture
def course_id(app, tmp_path) -> int:
    """A published course of two lessons that earns a certificate."""
    from sqlalchemy import select

    from ecampus.catalog.models import Course
    from tests.helpers import course_md, lesson, publish, write_course

    write_course(tmp_path / "courses", "border-law", {
        "course.md": course_md("Border law", "The rules at the border.", certificate="true"),
        "01-one.md": lesson("One"),
        "02-two.md": lesson("Two"),
    })
    publish(app, tmp_path / "courses")
    with app.app_context():
        return db.session.scalar(select(Course.id).where(Course.slug == "border-law"))
