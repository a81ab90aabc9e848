"""Cohort tallies: on SQLite the database keeps the report's figures as things change; they
must always equal a count of the enrolments, whatever changed and however."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from click.testing import Result
from sqlalchemy import create_engine, delete, func, select, text, update

from ecampus.admin import merge
from ecampus.auth.models import User
from ecampus.extensions import db
from ecampus.institutions import invitations, reports, services, tallies
from ecampus.institutions.models import (
    Cohort,
    CohortInvitation,
    CohortMember,
    CohortTally,
    CohortTallyDay,
)
from ecampus.learning import services as learning
from ecampus.learning.models import Enrolment
from ecampus.personal import erasure
from ecampus.timeutil import utcnow
from tests.institutions.conftest import (
    choose_passwords,
    csv_bytes,
    import_and_confirm,
    learner_client,
    take_quiz,
)
from tests.live import Browser, run_together
from tests.quizzes.conftest import correct_form


def _without_zeros(sums: dict) -> dict:
    return {course: [round(value, 6) for value in counts]
            for course, counts in sums.items() if any(counts)}


def assert_kept_equals_count(app, *cohort_ids: int) -> None:
    """Every cohort's kept figures equal a count of its learners' enrolments (SQLite); on
    PostgreSQL nothing is kept and the report counts."""
    with app.app_context():
        if not tallies.kept():
            assert db.session.scalar(select(func.count()).select_from(CohortTally)) == 0
            assert db.session.scalar(select(func.count()).select_from(CohortTallyDay)) == 0
            return
        assert tallies.drift() == []
        today = utcnow().date()
        for cohort_id in cohort_ids:
            lines = reports._Lines(cohort_id, today)
            kept = reports._kept(lines, today)
            counted = reports._count(lines, invitations.learner_ids(cohort_id), today)
            assert _without_zeros(kept[0]) == _without_zeros(counted[0])
            assert kept[1] == dict(counted[1])
            assert kept[2] == counted[2]


def _cohort(cohort_id: int) -> Cohort:
    return db.session.get(Cohort, cohort_id)


def test_kept_figures_follow_every_kind_of_change(app, manager_client, institution,
                                                   make_cohort, make_user,
                                                   reported):
    cohort, ids, people = reported
    assert_kept_equals_count(app, cohort)
    basics, quiz = ids["migration-basics"], ids["quiz-course"]
    # A second cohort shares two learners and one course.
    other = make_cohort(institution, "Autumn intake", course_ids=[quiz])
    with app.app_context():
        for person in ("Ana", "Bruno"):
            services.add_member(_cohort(other), email=people[person].email)
    assert_kept_equals_count(app, cohort, other)
    # Carla starts, then finishes the quiz course, through the pages.
    carla = learner_client(app, people["Carla"].email)
    carla.submit("/learning/courses/quiz-course/reading/done")
    take_quiz(app, carla, correct_form)
    assert_kept_equals_count(app, cohort, other)
    with app.app_context():
        # Ana leaves a course; the due dates move, one into the past.
        learning.leave(people["Ana"].id, learning.get_enrolment(people["Ana"].id, basics).course)
        services.assign_course(_cohort(cohort), basics, utcnow().date() - timedelta(days=9))
        services.assign_course(_cohort(cohort), quiz, None)
    assert_kept_equals_count(app, cohort, other)
    # New people are invited (the cohort waits for them), then accept.
    import_and_confirm(manager_client, cohort, csv_bytes(
        "dana@example.org,Dana Nova,,", "eli@example.org,Eli Nova,,"))
    assert_kept_equals_count(app, cohort, other)
    with app.app_context():
        # Out of the cohort behind the services' back: the invitation stays, the person is
        # no longer counted (nor taken away) as waiting.
        dana = db.session.scalar(select(User.id).where(User.email == "dana@example.org"))
        db.session.execute(delete(CohortMember).where(CohortMember.cohort_id == cohort,
                                                      CohortMember.user_id == dana))
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(CohortInvitation)
                                 .where(CohortInvitation.user_id == dana)) == 1
    assert_kept_equals_count(app, cohort, other)
    choose_passwords(app, cohort)
    assert_kept_equals_count(app, cohort, other)
    with app.app_context():
        # A member leaves the cohort; a course is taken away and given back.
        services.remove_member(_cohort(cohort), people["Bruno"].id)
        services.unassign_course(_cohort(cohort), quiz)
    assert_kept_equals_count(app, cohort, other)
    with app.app_context():
        services.assign_course(_cohort(cohort), quiz, utcnow().date() + timedelta(days=3))
    assert_kept_equals_count(app, cohort, other)
    admin = make_user("admin")
    with app.app_context():
        # Two accounts of one person merge; another account is erased.
        keep = db.session.scalar(select(Enrolment.user_id).where(
            Enrolment.user_id != people["Ana"].id).order_by(Enrolment.user_id.desc()).limit(1))
        preview = merge.preview(admin.id, keep, people["Ana"].id)
        merge.merge_accounts(admin.id, keep, people["Ana"].id, preview.digest)
    assert_kept_equals_count(app, cohort, other)
    with app.app_context():
        erasure.erase_account(people["Carla"].id)
    assert_kept_equals_count(app, cohort, other)
    with app.app_context():
        # Writes that bypass every service: the database keeps count all the same.
        db.session.execute(update(Enrolment).values(completed_at=utcnow(), quiz_score=55.5))
        db.session.commit()
        db.session.execute(Enrolment.__table__.delete().where(Enrolment.course_id == quiz))
        db.session.commit()
    assert_kept_equals_count(app, cohort, other)


def test_a_lesson_visit_leaves_the_tallies_alone(app, reported):
    """Visits and module counts change on every lesson; the triggers only fire when a line
    changes (here: never, the learner had started already)."""
    cohort, ids, people = reported
    with app.app_context():
        if not tallies.kept():
            pytest.skip("PostgreSQL counts; nothing is kept")
        before = db.session.execute(select(CohortTally.__table__)).all()
        db.session.execute(update(Enrolment).where(Enrolment.user_id == people["Bruno"].id)
                           .values(last_visited_at=utcnow(), modules_done=2))
        db.session.commit()
        assert db.session.execute(select(CohortTally.__table__)).all() == before
    assert_kept_equals_count(app, cohort)


def test_the_report_reads_the_tallies_on_sqlite(app, manager_client, reported):
    """The page shows what is kept: a tally changed behind the report's back shows (and
    `ecampus doctor` would list it, below)."""
    cohort, ids, _people = reported
    with app.app_context():
        if not tallies.kept():
            pytest.skip("PostgreSQL counts; nothing is kept")
        db.session.execute(update(CohortTally).where(CohortTally.cohort_id == cohort)
                           .values(completed=CohortTally.completed + 1))
        db.session.commit()
    page = manager_client.get(f"/institutions/cohorts/{cohort}/report").get_data(as_text=True)
    summary = page[page.index("Summary by course"):page.index("</table>")]
    cells = {re.sub(r"<[^>]+>", "", row[0]).strip(): re.findall(r"<td>([^<]*)</td>", row[1])
             for row in re.findall(r"<tr>(<th scope=\"row\"[^>]*>.*?</th>)(.*?)</tr>", summary)}
    # enrolled, started, completed, completion rate, mean score, overdue: one more completed
    # than test_reports counts (1)
    assert cells["Migration basics"][2] == "2"
    assert cells["All courses"][2] == "4"


def _doctor(app, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=["doctor", *args])


def test_doctor_lists_drift_and_rebuilds(app, reported):
    cohort, ids, _people = reported
    with app.app_context():
        if not tallies.kept():
            pytest.skip("PostgreSQL counts; nothing is kept")
        db.session.execute(update(CohortTally).where(CohortTally.course_id == ids["quiz-course"])
                           .values(started=99))
        db.session.execute(text("DELETE FROM cohort_tally_days"))
        db.session.commit()
    listed = _doctor(app)
    assert listed.exit_code == 1, listed.output
    assert "Cohort figures kept" in listed.output
    assert f"{cohort} {ids['quiz-course']}" in listed.output
    assert f"{cohort} {ids['migration-basics']}" in listed.output  # its days were deleted
    fixed = _doctor(app, "--fix")
    assert fixed.exit_code == 0, fixed.output
    assert_kept_equals_count(app, cohort)


def test_tables_built_from_the_models_get_the_triggers(tmp_path):
    """`create_all` (as well as the migration) creates the triggers on SQLite."""
    engine = create_engine(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    db.metadata.create_all(engine)
    with engine.connect() as connection:
        names = set(connection.scalars(text(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'")))
    engine.dispose()
    assert {name for name, _statement in tallies.TRIGGERS} <= names


def test_the_migration_counts_what_exists(app, reported):
    """Upgrading a database that already has cohorts fills the tallies (what the migration
    runs, `tallies.FILL`, is what `rebuild` runs)."""
    cohort, _ids, _people = reported
    with app.app_context():
        if not tallies.kept():
            pytest.skip("PostgreSQL counts; nothing is kept")
        db.session.execute(text("DELETE FROM cohort_tally_days"))
        db.session.execute(text("DELETE FROM cohort_tallies"))
        for statement in tallies.FILL:
            db.session.execute(text(statement))
        db.session.commit()
    assert_kept_equals_count(app, cohort)


def test_kept_figures_stay_exact_under_simultaneous_requests(app, live_server, institution,
                                                             reported):
    """Learners progress while their manager assigns a course and removes a member, all at
    the same moment from real threads: whatever order the database gives them, what is
    kept equals a count afterwards."""
    cohort, ids, people = reported
    with app.app_context():
        services.unassign_course(_cohort(cohort), ids["quiz-course"])
    managers = [Browser(live_server) for _ in range(2)]
    for manager in managers:
        manager.sign_in(institution.manager.email)
    learners = {name: [Browser(live_server) for _ in range(2)] for name in ("Bruno", "Carla")}
    for name, tabs in learners.items():
        for tab in tabs:
            tab.sign_in(people[name].email)
    tomorrow = (utcnow().date() + timedelta(days=1)).isoformat()
    basics = "/learning/courses/migration-basics"
    statuses = run_together(
        lambda: managers[0].submit(f"/institutions/cohorts/{cohort}/courses", {
            "course": str(ids["quiz-course"]), "due_on": tomorrow})[0],
        lambda: managers[1].submit(
            f"/institutions/cohorts/{cohort}/members/{people['Ana'].id}/remove")[0],
        lambda: learners["Bruno"][0].submit(f"{basics}/lesson-2/done")[0],
        lambda: learners["Bruno"][1].submit(f"{basics}/lesson-3/done")[0],
        lambda: learners["Carla"][0].submit(f"{basics}/lesson-1/done")[0],
        lambda: learners["Carla"][1].submit("/learning/courses/quiz-course/reading/done")[0],
    )
    assert statuses == [302] * 6, statuses
    assert_kept_equals_count(app, cohort)
    with app.app_context():
        figures = reports.cohort_report(cohort, reports.Options(), language="en",
                                        today=utcnow().date())
    assert figures.learners == 2
    assert dict((title, f.completed) for _id, title, f in figures.by_course) == {
        "Migration basics": 1, "Quiz course": 0}
