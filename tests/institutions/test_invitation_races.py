"""Double submissions of an invitation, from real threads against a live server: the
database decides, so one invitation is mailed once and one answer counts."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from ecampus.extensions import db
from ecampus.institutions.models import CohortInvitation, CohortMember, InstitutionMember
from ecampus.jobs.models import MailMessage
from tests.live import Browser, run_together


def _count(app, model, **where) -> int:
    with app.app_context():
        statement = select(func.count()).select_from(model)
        for name, value in where.items():
            statement = statement.where(getattr(model, name) == value)
        return db.session.scalar(statement)


def test_two_simultaneous_adds_invite_once_and_mail_once(app, live_server, institution,
                                                         cohort, make_user):
    olga = make_user("learner", email="olga.races@example.org")
    tabs = [Browser(live_server) for _ in range(3)]
    for tab in tabs:
        tab.sign_in(institution.manager.email)
    path = f"/institutions/cohorts/{cohort}/members"
    results = run_together(*[lambda tab=tab: tab.submit(path, {
        "email": olga.email, "full_name": "Olga"})[0] for tab in tabs])
    assert results == [302, 302, 302]
    assert _count(app, CohortInvitation, user_id=olga.id) == 1
    assert _count(app, MailMessage, recipient=olga.email) == 1


def test_accepting_twice_at_once_joins_once(app, live_server, institution, cohort, make_user):
    olga = make_user("learner", email="olga.twice@example.org")
    manager = Browser(live_server)
    manager.sign_in(institution.manager.email)
    manager.submit(f"/institutions/cohorts/{cohort}/members",
                   {"email": olga.email, "full_name": "Olga"})
    with app.app_context():
        body = db.session.scalar(select(MailMessage.body).where(
            MailMessage.recipient == olga.email))
    link = re.search(r"http://localhost(/institutions/invitations/[\w-]+)", body).group(1)
    tabs = [Browser(live_server) for _ in range(2)]
    for tab in tabs:
        tab.sign_in(olga.email)
    answers = run_together(lambda: tabs[0].submit(link, {"answer": "accept"})[0],
                           lambda: tabs[1].submit(link, {"answer": "decline"})[0])
    assert all(status in (302, 404) for status in answers), answers
    joined = _count(app, CohortMember, user_id=olga.id)
    assert joined == _count(app, InstitutionMember, user_id=olga.id) in (0, 1)
    assert _count(app, CohortInvitation) == 0
