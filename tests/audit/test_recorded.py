"""Every privileged or consequential action leaves one entry, committed with the change:
who, from where, what, and what it changed; a refused action leaves none."""

from __future__ import annotations

from sqlalchemy import select

from ecampus.audit import record
from ecampus.auth.models import User
from ecampus.certificates.models import Certificate
from ecampus.extensions import db
from ecampus.institutions import services
from ecampus.institutions.models import CohortInvitation
from tests.audit.conftest import entries
from tests.helpers import publish, simple_course
from tests.institutions.conftest import csv_bytes, import_and_confirm


def _admin_client(app, admin, address: str = "203.0.113.7"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    client.sign_in(admin.email)
    return client


# --- Accounts ------------------------------------------------------------------------------

def test_a_role_change_records_who_when_where_and_both_roles(app, admin, learner):
    client = _admin_client(app, admin)
    client.submit(f"/admin/users/{learner.id}/role", {f"u{learner.id}-user_id": learner.id,
                                                      f"u{learner.id}-role": "author"})
    [entry] = entries(app, "user.role_changed")
    assert (entry.actor_id, entry.address) == (admin.id, "203.0.113.7")
    assert (entry.target_type, entry.target_id) == ("user", str(learner.id))
    assert (entry.before, entry.after) == ({"role": "learner"}, {"role": "author"})
    assert entry.at is not None


def test_a_refused_role_change_records_nothing(app, admin):
    client = _admin_client(app, admin)
    client.submit(f"/admin/users/{admin.id}/role", {f"u{admin.id}-user_id": admin.id,
                                                    f"u{admin.id}-role": "learner"})
    assert entries(app) == []


def test_giving_the_same_role_again_records_nothing(app, admin, learner):
    client = _admin_client(app, admin)
    client.submit(f"/admin/users/{learner.id}/role", {f"u{learner.id}-user_id": learner.id,
                                                      f"u{learner.id}-role": "learner"})
    assert entries(app) == []


def test_signing_someone_out_everywhere_is_recorded(app, admin, learner):
    _admin_client(app, admin).submit(f"/admin/users/{learner.id}/sessions/end")
    [entry] = entries(app, "user.sessions_ended")
    assert (entry.actor_id, entry.target_id) == (admin.id, str(learner.id))


def test_entries_never_carry_a_name_or_an_address(app, admin, learner):
    client = _admin_client(app, admin)
    client.submit(f"/admin/users/{learner.id}/role", {f"u{learner.id}-user_id": learner.id,
                                                      f"u{learner.id}-role": "author"})
    client.submit(f"/admin/users/{learner.id}/sessions/end")
    text = repr([vars(entry) for entry in entries(app)])
    for secret in (learner.email, learner.full_name, admin.email, admin.full_name):
        assert secret not in text


# --- Institutions --------------------------------------------------------------------------

def test_making_and_removing_a_manager_is_recorded_for_the_institution(app, admin, learner,
                                                                      institution):
    client = _admin_client(app, admin)
    client.submit(f"/institutions/admin/{institution.id}/managers", {"email": learner.email})
    client.submit(f"/institutions/admin/{institution.id}/managers/{learner.id}/remove")
    added, removed = (entries(app, "institution.manager_added")[-1],
                      entries(app, "institution.manager_removed")[-1])
    assert added.institution_id == removed.institution_id == institution.id
    assert added.target_id == removed.target_id == str(learner.id)
    assert added.before == {"role": "learner", "institution_id": None}
    assert added.after == {"role": "manager", "institution_id": institution.id}
    assert removed.after == {"role": "learner", "institution_id": None}


def test_moving_a_manager_tells_both_institutions(app, make_institution):
    first, second = make_institution("First"), make_institution("Second")
    with app.app_context():
        services.make_manager(second.id, first.manager.email)
    moved = [e for e in entries(app) if e.target_id == str(first.manager.id)][-2:]
    assert {(e.action, e.institution_id) for e in moved} == {
        ("institution.manager_added", second.id), ("institution.manager_removed", first.id)}


def test_creating_a_cohort_is_recorded_for_its_institution(app, manager_client, institution):
    manager_client.submit("/institutions/cohorts", {"name": "Autumn intake",
                                                    "description": ""})
    [entry] = entries(app, "cohort.created")
    assert entry.institution_id == institution.id
    assert entry.actor_id == institution.manager.id and entry.after == {"name": "Autumn intake"}


def test_assigning_a_course_changing_its_due_date_and_removing_it_are_recorded(
        app, manager_client, institution, cohort, courses):
    course_id = courses["migration-basics"]
    url = f"/institutions/cohorts/{cohort}/courses"
    manager_client.submit(url, {"course": course_id, "due_on": "2027-03-01"})
    manager_client.submit(url, {"course": course_id, "due_on": "2027-04-01"})
    manager_client.submit(url, {"course": course_id, "due_on": "2027-04-01"})  # no change
    manager_client.submit(f"{url}/{course_id}/remove")
    found = [(e.action, e.before, e.after) for e in entries(app)
             if e.action.startswith("cohort.") and e.action != "cohort.created"]
    assert found == [
        ("cohort.course_assigned", None,
         {"course": "migration-basics", "due_on": "2027-03-01"}),
        ("cohort.due_date_changed", {"course": "migration-basics", "due_on": "2027-03-01"},
         {"course": "migration-basics", "due_on": "2027-04-01"}),
        ("cohort.course_unassigned", {"course": "migration-basics", "due_on": "2027-04-01"},
         None),
    ]
    assert {e.institution_id for e in entries(app, "cohort.course_assigned")} == {institution.id}


def test_adding_a_member_names_them_and_removing_them_too(app, manager_client, institution,
                                                           cohort, make_member):
    member = make_member()
    manager_client.submit(f"/institutions/cohorts/{cohort}/members", {"email": member.email})
    manager_client.submit(f"/institutions/cohorts/{cohort}/members/{member.id}/remove")
    [added] = entries(app, "cohort.member_added")
    [removed] = entries(app, "cohort.member_removed")
    assert added.after == {"user_id": member.id, "outcome": "enrolled"}
    assert removed.before == {"user_id": member.id}
    assert added.institution_id == removed.institution_id == institution.id
    assert added.target_id == str(cohort)


def test_inviting_someone_names_the_invitation_not_the_account(app, manager_client, cohort,
                                                               make_user):
    outsider = make_user("learner")
    manager_client.submit(f"/institutions/cohorts/{cohort}/members",
                          {"email": outsider.email, "full_name": "Given Name"})
    [entry] = entries(app, "cohort.member_added")
    with app.app_context():
        invitation_id = db.session.scalar(select(CohortInvitation.id))
    assert entry.after == {"invitation_id": invitation_id, "outcome": "invited"}


def test_withdrawing_an_invitation_is_recorded(app, manager_client, institution, cohort):
    manager_client.submit(f"/institutions/cohorts/{cohort}/members",
                          {"email": "new.person@example.org", "full_name": "New Person"})
    with app.app_context():
        invitation_id = db.session.scalar(select(CohortInvitation.id))
    manager_client.submit(f"/institutions/cohorts/{cohort}/invitations/{invitation_id}/cancel")
    [entry] = entries(app, "cohort.invitation_withdrawn")
    assert entry.before == {"invitation_id": invitation_id}
    assert entry.institution_id == institution.id


def test_an_applied_import_is_recorded_with_its_counts(app, manager_client, institution,
                                                       cohort):
    import_and_confirm(manager_client, cohort, csv_bytes(
        "ana@example.org,Ana Pérez,es,", "bo@example.org,Bo Li,en,"))
    [entry] = entries(app, "cohort.import_applied")
    assert entry.institution_id == institution.id and entry.target_id == str(cohort)
    assert entry.after["rows"] == 2 and entry.after["invited"] == 2
    assert "ana@example.org" not in repr(entry.after)


# --- Certificates --------------------------------------------------------------------------

def test_revoking_a_certificate_is_recorded_once(app, earned, admin):
    client = _admin_client(app, admin)
    for _ in range(2):  # the second is refused: already revoked
        client.submit(f"/admin/certificates/{earned.code}/revoke", {"reason": "Fraud."})
    [entry] = entries(app, "certificate.revoked")
    assert (entry.target_type, entry.target_id) == ("certificate", earned.code)
    assert entry.before == {"status": "valid"}
    assert entry.after == {"status": "revoked", "reason": "Fraud.", "user_id": earned.user_id}


def test_reissuing_a_certificate_names_its_successor(app, earned, admin):
    _admin_client(app, admin).submit(f"/admin/certificates/{earned.code}/reissue")
    with app.app_context():
        new = db.session.scalar(select(Certificate.code).where(Certificate.sequence == 2))
    [entry] = entries(app, "certificate.reissued")
    assert entry.target_id == earned.code and entry.after["replaced_by"] == new


def test_changing_the_certificate_look_records_what_changed_not_the_name(app, admin):
    client = _admin_client(app, admin)
    client.submit("/admin/certificates/look", {"signatory_name": "Dr. Ana Pérez",
                                               "signatory_title": "Director"},
                  content_type="multipart/form-data")
    [entry] = entries(app, "certificate.look_changed")
    assert entry.after == {"changed": ["signatory_name", "signatory_title"], "removed": []}
    assert "Pérez" not in repr(entry.after)


def test_rotating_the_signing_key_records_both_keys(app, runner, earned):
    result = runner.invoke(args=["certificates", "rotate-key"])
    assert result.exit_code == 0, result.output
    [entry] = entries(app, "signing_key.rotated")
    assert entry.actor_id is None and entry.address is None
    assert entry.before["key"] != entry.after["key"] and entry.after["key"] in result.output


# --- Courses -------------------------------------------------------------------------------

def test_publishing_and_retiring_a_course_are_recorded(app, tmp_path):
    folder = simple_course(tmp_path, "migration-basics")
    publish(app, tmp_path)
    publish(app, tmp_path)  # unchanged: nothing to record
    (folder / "01-lesson-1.md").write_text("---\ntitle: Lesson 1\n---\nNew text.\n")
    publish(app, tmp_path)
    for child in folder.iterdir():
        child.unlink()
    folder.rmdir()
    publish(app, tmp_path)
    found = [(e.action, e.target_id, e.before, (e.after or {}).get("version"))
             for e in entries(app)]
    assert found == [("course.published", "migration-basics", None, 1),
                     ("course.published", "migration-basics", {"version": 1}, 2),
                     ("course.retired", "migration-basics", {"version": 2}, None)]


def test_a_course_uploaded_by_an_author_names_the_author(app, author, tmp_path):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("my-course/course.md", f"---\ntitle: Mine\nsummary: S.\nauthors: "
                                                f"{author.email}\n---\nA course.\n")
        archive.writestr("my-course/01-a.md", "---\ntitle: A\n---\nText.\n")
    client = app.test_client()
    client.sign_in(author.email)
    client.submit("/authoring/upload", {"file": (io.BytesIO(buffer.getvalue()), "c.zip")},
                  content_type="multipart/form-data")
    [entry] = entries(app, "course.published")
    assert entry.actor_id == author.id and entry.after["source"] == "upload"


def test_a_course_source_and_its_new_secret_are_recorded(app, admin):
    client = _admin_client(app, admin)
    client.submit("/admin/sources/", {"slug": "ministry", "url": "/srv/git/ministry.git",
                                      "branch": "main"})
    [created] = entries(app, "source.created")
    client.submit(f"/admin/sources/{created.target_id}/secret")
    [renewed] = entries(app, "source.secret_renewed")
    assert created.after == {"name": "ministry", "url": "/srv/git/ministry.git",
                             "branch": "main"}
    assert renewed.target_id == created.target_id and renewed.after is None


# --- The entry belongs to the change's transaction -----------------------------------------

def test_an_entry_rolled_back_with_its_change_leaves_nothing(app, learner):
    with app.app_context():
        user = db.session.get(User, learner.id)
        user.role = "admin"
        record("user.role_changed", target=("user", user.id), after={"role": "admin"})
        db.session.rollback()
        assert db.session.get(User, learner.id).role == "learner"
    assert entries(app) == []


def test_renaming_a_cohort_records_only_what_changed(app, institution, cohort):
    with app.app_context():
        row = services.cohort_for(db.session.get(User, institution.manager.id), cohort)
        services.update_cohort(row, name="Autumn intake", description="")
        services.update_cohort(row, name="Autumn intake")  # nothing changes
    [entry] = entries(app, "cohort.updated")
    assert entry.before == {"name": "Spring intake"} and entry.after == {"name": "Autumn intake"}
    assert entry.institution_id == institution.id
