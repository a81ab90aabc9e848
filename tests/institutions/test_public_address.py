"""Invitations and enrolment notices link to PUBLIC_URL, never to the manager's request host."""

from __future__ import annotations

import re

from tests.institutions.conftest import csv_bytes, import_and_confirm
from tests.test_hosts import PUBLIC, delivered

_LINK = re.compile(r"https?://[^\s>)\"]+")


def test_invitation_and_notice_links_use_the_public_address(app, manager_client, institution,
                                                            make_cohort, courses, make_member,
                                                            outbox, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", PUBLIC)
    cohort = make_cohort(institution, course_ids=list(courses.values()))
    member = make_member(email="member@example.org")
    import_and_confirm(manager_client, cohort, csv_bytes("new@example.org,New Person,,",
                                                         f"{member.email},Member,,"))
    bodies = delivered(app, outbox)
    assert len(bodies) == 2
    links = [link for body in bodies for link in _LINK.findall(body)]
    assert any(link.startswith(f"{PUBLIC}/account/invitation/") for link in links), bodies
    assert links and all(link.startswith(PUBLIC + "/") for link in links), links
