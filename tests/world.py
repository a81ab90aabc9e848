"""A small world of real rows owned by different people, for tests that walk every route.

Two institutions, each with a manager and a cohort; a learner of the first institution with
an open quiz attempt and a certificate; another learner with nothing; an author; an admin;
a published course with media and a quiz, a draft course with media, a retired course with
media. Every id in it is real, so a route that answers 404 does so because of who asks.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import select

from ecampus.catalog.models import Course, Module
from ecampus.certificates import look as certificate_look
from ecampus.certificates import services as certificates
from ecampus.certificates.models import Certificate
from ecampus.extensions import db
from ecampus.institutions import imports
from ecampus.institutions import services as institutions
from ecampus.institutions.models import CohortInvitation, CohortMember, InstitutionMember
from ecampus.jobs.models import Job
from ecampus.quizzes.models import Attempt
from ecampus.timeutil import utcnow
from tests.helpers import course_md, lesson, publish, write_course
from tests.quizzes.conftest import QUIZ

PNG = bytes.fromhex("89504e470d0a1a0a") + b"picture"

#: Who asks, from nobody to everybody.
ROLES = ("anonymous", "learner", "other_learner", "author", "other_author", "manager",
         "other_manager", "admin")

_MEDIA = re.compile(r'src="(/courses/[^"]+/files/[^"]+)"')


@dataclass
class World:
    """Real ids and addresses, and a signed-in test client for each role."""

    users: dict[str, SimpleNamespace]
    course_slug: str
    module_slug: str
    quiz_module_id: int
    attempt_id: int
    certificate_code: str
    course_id: int
    cohort_id: int
    import_id: int
    institution_id: int
    other_cohort_id: int
    other_institution_id: int
    multikey: str
    media: str
    draft_slug: str
    draft_module_slug: str
    draft_media: str
    retired_slug: str
    retired_media: str
    #: Open invitations to the cohort: the other learner's (with its link's secret), one to
    #: withdraw and one to send again, so no action spends another's.
    invitation_id: int
    invitation_token: str
    withdrawn_invitation_id: int
    resent_invitation_id: int
    job_id: int
    #: A registered git course source (its repository need not exist: nothing syncs here).
    source_id: int
    source_slug: str
    #: The first institution's webhook endpoint with one delivered event, and an endpoint
    #: to delete (so deleting never removes the one the other pages use).
    webhook_endpoint_id: int
    webhook_delivery_id: int
    doomed_webhook_id: int
    #: The learner's ready copy of their data (tests/personal builds real ones).
    export_id: int = 0
    #: The learner's personal API token (its id; the secret is not kept).
    api_token_id: int = 0
    clients: dict = field(default_factory=dict)

    @property
    def manager_id(self) -> int:
        """The first institution's manager."""
        return self.users["manager"].id

    def values(self) -> dict[str, object]:
        """A real value for every URL argument name the app uses, owned by the learner or
        the first institution."""
        media = _media_parts(self.media)
        return {
            "slug": self.course_slug, "module_slug": self.module_slug,
            "module_id": self.quiz_module_id, "attempt_id": self.attempt_id,
            "code": self.certificate_code, "course_id": self.course_id,
            "cohort_id": self.cohort_id, "import_id": self.import_id,
            "institution_id": self.institution_id, "user_id": self.users["learner"].id,
            "multikey": self.multikey, "digest": media["digest"],
            "relpath": media["relpath"], "filename": "ecampus.css",
            "token": "not-a-real-token-" + "x" * 20,
            "invitation_id": self.withdrawn_invitation_id, "job_id": self.job_id,
            "source_id": self.source_id, "source": self.source_slug,
            "endpoint_id": self.webhook_endpoint_id, "delivery_id": self.webhook_delivery_id,
            "number": 0, "part": "emblem", "export_id": self.export_id,
            "token_id": self.api_token_id,
        }

    def client(self, app, role: str):
        """A test client signed in as `role` (none for anonymous), made once per role."""
        if role not in self.clients:
            client = app.test_client()
            if role != "anonymous":
                client.sign_in(self.users[role].email)
            self.clients[role] = client
        return self.clients[role]


def _media_parts(url: str) -> dict[str, str]:
    match = re.fullmatch(r"/courses/([^/]+)/files/([^/]+)/(.+)", url)
    assert match, url
    return {"slug": match.group(1), "digest": match.group(2), "relpath": match.group(3)}


def _write_courses(root: Path, owner: str) -> None:
    """The courses, the open and the draft one owned by the account with email `owner`."""
    write_course(root, "open-course", {
        "course.md": course_md("Open course", "Everyone may read it.", authors=f"[{owner}]"),
        "01-reading.md": lesson("Reading", "![A map of routes](media/map.png)"),
        "02-check.md": QUIZ.format(settings=""),
        "media/map.png": PNG,
    })
    write_course(root, "certified-course", {
        "course.md": course_md("Certified course", "Earns a certificate.", certificate="true"),
        "01-one.md": lesson("One"),
        "02-two.md": lesson("Two"),
    })
    write_course(root, "draft-course", {
        "course.md": course_md("Draft course", "Not ready.", status="draft",
                               authors=f"[{owner}]"),
        "01-plan.md": lesson("Plan", "![The plan](media/plan.png)"),
        "media/plan.png": PNG + b"draft",
    })
    write_course(root, "retired-course", {
        "course.md": course_md("Retired course", "No longer offered."),
        "01-old.md": lesson("Old", "![An old chart](media/old.png)"),
        "media/old.png": PNG + b"retired",
    })


def _media_url(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    match = _MEDIA.search(response.get_data(as_text=True))
    assert match, f"no course image on {path}"
    return match.group(1)


def _make_member(institution_id: int, cohort_id: int, user_id: int) -> None:
    """Put a learner in a cohort (and its institution, where membership is recorded)."""
    db.session.add(CohortMember(cohort_id=cohort_id, user_id=user_id))
    db.session.add(InstitutionMember(institution_id=institution_id, user_id=user_id))
    db.session.commit()


def _invite(cohort_id: int, user_id: int, token: str) -> int:
    """An open invitation to a cohort, with a link whose secret is `token`."""
    invitation = CohortInvitation(
        cohort_id=cohort_id, user_id=user_id, full_name="Invited Person",
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
        created_at=utcnow() - timedelta(days=1), sent_at=utcnow() - timedelta(days=1),
        expires_at=utcnow() + timedelta(days=13))
    db.session.add(invitation)
    db.session.commit()
    return invitation.id


def _data_export(user_id: int) -> int:
    """A ready archive of the learner's data, as the worker leaves it."""
    from ecampus.personal.models import READY, DataExport

    export = DataExport(user_id=user_id, status=READY, data=b"PK\x05\x06" + bytes(18),
                        size=22, ready_at=utcnow(), expires_at=utcnow() + timedelta(days=7))
    db.session.add(export)
    db.session.commit()
    return export.id


def _failed_job() -> int:
    """A job the worker gave up on, as the admins' queue page lists it."""
    job = Job(kind="mail.send", payload={"message_id": 999_999}, status="failed",
              attempts=8, last_error="SMTP server refused the connection")
    db.session.add(job)
    db.session.commit()
    return job.id


def _webhooks(institution_id: int) -> dict[str, int]:
    """Two endpoints of the institution, the first with a delivered event."""
    from ecampus.webhooks import services as webhooks
    from ecampus.webhooks.models import WebhookDelivery

    endpoint, _secret = webhooks.add_endpoint(institution_id, "https://hooks.example.org/in",
                                              ["course.completed"])
    doomed, _secret = webhooks.add_endpoint(institution_id, "https://hooks.example.org/old",
                                            ["course.completed"])
    delivery = WebhookDelivery(endpoint_id=endpoint.id, event_id="evt_" + "0" * 32,
                               event_type="webhook.test", payload={"type": "webhook.test"},
                               status="delivered", attempts=1, last_status_code=204)
    db.session.add(delivery)
    db.session.commit()
    return {"webhook_endpoint_id": endpoint.id, "webhook_delivery_id": delivery.id,
            "doomed_webhook_id": doomed.id}


def _course_source() -> int:
    """A course source, as an admin registers it."""
    from ecampus.sources import services as sources

    source, _secret = sources.create_source("ministry-courses", "/srv/courses.git", "main")
    return source.id


def build_world(app, make_user, root: Path) -> World:
    """Publish the courses, create the people and give the learner an attempt and a
    certificate, all through the real services and routes."""
    users = {role: make_user({"other_learner": "learner", "other_manager": "manager",
                              "other_author": "author"}
                             .get(role, role)) for role in ROLES if role != "anonymous"}
    invitee = make_user("learner")
    _write_courses(root, users["author"].email)
    publish(app, root)
    client = app.test_client()
    client.sign_in(users["author"].email)
    draft_media = _media_url(client, "/courses/draft-course/plan/")
    retired_media = _media_url(client, "/courses/retired-course/old/")
    media = _media_url(client, "/courses/open-course/reading/")
    shutil.rmtree(root / "retired-course")
    publish(app, root)

    learner = app.test_client()
    learner.sign_in(users["learner"].email)
    for slug in ("open-course", "certified-course"):
        learner.submit(f"/learning/courses/{slug}/enrol")
    for module in ("one", "two"):
        learner.submit(f"/learning/courses/certified-course/{module}/done")

    with app.app_context():
        courses = dict(db.session.execute(select(Course.slug, Course.id)).all())
        quiz_id = db.session.scalar(select(Module.id).where(
            Module.course_id == courses["open-course"], Module.kind == "quiz"))
    started = learner.submit(f"/quizzes/{quiz_id}/start", {"language": "en"})
    assert started.status_code == 302, started.status_code

    profile = json.loads(learner.get("/issuer").get_data(as_text=True))
    multikey = profile["verificationMethod"][0]["id"].rsplit("/", 1)[1]
    with app.app_context():
        attempt_id = db.session.scalar(select(Attempt.id).where(
            Attempt.user_id == users["learner"].id))
        assert attempt_id, "the learner could not start the quiz"
        code = db.session.scalar(select(Certificate.code).where(
            Certificate.user_id == users["learner"].id))
        if code is None:  # issued later by a worker: issue it now, as the worker would
            code = certificates.issue_certificate(users["learner"].id,
                                                  courses["certified-course"]).code

        certificate_look.save_look(signatory_name="", signatory_title="", uploads={
            "emblem": b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"/>'})
        mine = institutions.create_institution("Ministry of the Interior", "Borders.")
        institutions.make_manager(mine.id, users["manager"].email)
        theirs = institutions.create_institution("Ministry of Health", "Hospitals.")
        institutions.make_manager(theirs.id, users["other_manager"].email)
        cohort = institutions.create_cohort(mine.id, "Spring intake", "",
                                            users["manager"].id)
        institutions.assign_course(cohort, courses["certified-course"], None)
        other_cohort = institutions.create_cohort(theirs.id, "Nurses", "",
                                                  users["other_manager"].id)
        _make_member(mine.id, cohort.id, users["learner"].id)
        record = imports.preview_import(
            cohort, b"email,full_name\nnew.person@example.org,New Person\n",
            filename="people.csv", created_by=users["manager"].id, default_language="en")
        token = "invitation-" + "k" * 32
        invitation_id = _invite(cohort.id, users["other_learner"].id, token)
        withdrawn_id = _invite(cohort.id, users["author"].id, token + "-withdrawn")
        resent_id = _invite(cohort.id, invitee.id, token + "-resent")
        world = World(
            users=users, course_slug="open-course", module_slug="reading",
            quiz_module_id=quiz_id, attempt_id=attempt_id, certificate_code=code,
            course_id=courses["certified-course"], cohort_id=cohort.id, import_id=record.id,
            institution_id=mine.id, other_cohort_id=other_cohort.id,
            other_institution_id=theirs.id, multikey=multikey, media=media,
            draft_slug="draft-course", draft_module_slug="plan", draft_media=draft_media,
            retired_slug="retired-course", retired_media=retired_media,
            invitation_id=invitation_id, invitation_token=token,
            withdrawn_invitation_id=withdrawn_id, resent_invitation_id=resent_id,
            job_id=_failed_job(),
            source_id=_course_source(), source_slug="ministry-courses",
            **_webhooks(mine.id),
            export_id=_data_export(users["learner"].id),
            api_token_id=_api_token(users["learner"].id),
        )
    return world


def _api_token(user_id: int) -> int:
    """The learner's personal API token, made as their API tokens page makes it."""
    from ecampus.api import tokens
    from ecampus.auth.models import User

    token, _secret = tokens.create_token(db.session.get(User, user_id), kind="personal",
                                         name="My portal", scopes=["read"], days=30)
    return token.id


def world_fixture(app, make_user, tmp_path, monkeypatch) -> Iterator[World]:
    """The body of a `world` fixture: the world of real rows, with signing keys kept in the
    test's own folder."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path / "instance"))
    app.extensions.pop("ecampus.recorded_keys", None)
    yield build_world(app, make_user, tmp_path / "courses")
    app.extensions.pop("ecampus.recorded_keys", None)
