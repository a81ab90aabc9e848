"""CSV enrolment: preview first, then apply the stored rows once, all or nothing."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from ecampus.auth.models import AccountToken, User
from ecampus.extensions import db
from ecampus.institutions import membership
from ecampus.institutions.models import CohortImport, CohortMember, CohortNotice
from ecampus.jobs.models import Job, MailMessage
from ecampus.learning.models import Enrolment
from tests.helpers import count_statements
from tests.institutions.conftest import (
    confirm,
    counts,
    csv_bytes,
    import_and_confirm,
    preview_url,
    upload,
)
from tests.smtp import closed_port


@pytest.fixture
def cohort_with_courses(institution, make_cohort, courses) -> int:
    """A cohort with both courses assigned, the invite-only one due on 31 March 2031."""
    return make_cohort(institution, dues={courses["migration-basics"]: None,
                                          courses["invite-only"]: date(2031, 3, 31)})


def _page(client, url: str) -> str:
    return client.get(url).get_data(as_text=True)


def test_preview_shows_what_each_line_will_do(app, manager_client, cohort, make_member,
                                              make_user):
    known = make_member(email="known@example.org")
    member = make_member(email="member@example.org")
    outsider = make_user("learner", email="outsider@example.org")
    manager_client.submit(f"/institutions/cohorts/{cohort}/members", {"email": member.email})
    url = preview_url(upload(manager_client, cohort, csv_bytes(
        "new@example.org,New Person,es,E-1", f"{known.email},Known,,", f"{member.email},M,,",
        f"{outsider.email},Out,,")))
    page = _page(manager_client, url)
    assert "2 people will be invited by email." in page
    assert "1 member of your institution will be added and enrolled." in page
    assert "1 person is already in the cohort: nothing changes." in page
    rows = re.findall(r"<td>(\d+)</td>\s*<td>([^<]+)</td>", page)
    assert rows == [("2", "new@example.org"), ("3", "known@example.org"),
                    ("4", "member@example.org"), ("5", "outsider@example.org")]
    assert "Confirm and apply" in page


def test_preview_changes_nothing(app, manager_client, cohort):
    before = counts(app)
    url = preview_url(upload(manager_client, cohort, csv_bytes("new@example.org,New,,")))
    _page(manager_client, url)
    after = counts(app)
    assert (after.users, after.members, after.enrolments) == (before.users, before.members,
                                                              before.enrolments)


def test_preview_lists_every_error_and_offers_no_confirmation(manager_client, cohort):
    url = preview_url(upload(manager_client, cohort, csv_bytes(
        "bad-address,Ana,,", "b@example.org,,,", "c@example.org,C,de,", "C@example.org ,C,de,")))
    page = _page(manager_client, url)
    assert "4 problems: nothing can be applied" in page
    assert "Line 2: &#39;bad-address&#39; is not a valid email address." in page
    assert "Line 3: The full name is missing." in page
    assert "Line 4: Unknown language &#39;de&#39;; use one of en, es, fr, pt." in page
    assert "Line 5: c@example.org is already on line 4." in page
    assert "Confirm and apply" not in page


def test_preview_with_errors_announces_nothing_as_going_to_happen(manager_client, cohort):
    url = preview_url(upload(manager_client, cohort, csv_bytes(
        "new@example.org,New,,", "other@example.org,Other,,", "bad-address,Ana,,")))
    page = _page(manager_client, url)
    assert "Nothing in this file will be applied, and nobody will be invited" in page
    assert "will be invited by email" not in page
    assert "What confirming will do" not in page and "Will be invited" in page
    assert "Once the file is corrected" in page and "What will happen" not in page


def test_preview_without_errors_says_what_confirming_will_do(manager_client, cohort):
    url = preview_url(upload(manager_client, cohort, csv_bytes("new@example.org,New,,")))
    page = _page(manager_client, url)
    assert "1 person will be invited by email." in page
    assert "Nothing will be applied" not in page


def test_wrong_header_is_shown_with_a_suggestion(manager_client, cohort):
    url = preview_url(upload(manager_client, cohort, csv_bytes(
        "ana@example.org,Ana", header="e-mail,full_name\n")))
    page = _page(manager_client, url)
    assert "Unknown column &#39;e-mail&#39;; did you mean &#39;email&#39;?" in page
    assert "The required column &#39;email&#39; is missing" in page


def test_confirming_creates_accounts_memberships_and_enrolments(
        app, manager_client, cohort_with_courses, courses, make_member):
    known = make_member(email="known@example.org")
    response = import_and_confirm(manager_client, cohort_with_courses, csv_bytes(
        " New.Person@Example.ORG ,New Person,fr,E-1", "known@example.org,Known,,E-2"))
    assert response.status_code == 302
    with app.app_context():
        new = db.session.scalar(select(User).where(User.email == "new.person@example.org"))
        assert (new.full_name, new.language, new.password_hash, new.role) == (
            "New Person", "fr", None, "learner")
        members = dict(db.session.execute(select(CohortMember.user_id,
                                                 CohortMember.external_id)).all())
        assert members == {new.id: "E-1", known.id: "E-2"}
        enrolled = {(e.user_id, e.course_id): e.due_on for e in db.session.scalars(
            select(Enrolment))}
    assert enrolled == {
        (new.id, courses["migration-basics"]): None, (known.id, courses["migration-basics"]): None,
        (new.id, courses["invite-only"]): date(2031, 3, 31),
        (known.id, courses["invite-only"]): date(2031, 3, 31)}


def test_confirmation_message_gives_the_counts(manager_client, cohort):
    response = import_and_confirm(manager_client, cohort, csv_bytes("a@example.org,A,,"))
    page = _page(manager_client, response.headers["Location"])
    assert ("1 person invited. 0 members of your institution enrolled. 0 people were already "
            "invited. 0 rows changed nothing.") in page


def test_new_accounts_get_a_single_use_invitation(app, client, manager_client, cohort, outbox):
    import_and_confirm(manager_client, cohort, csv_bytes("ana@example.org,Ana López,es,"))
    mail = next(outbox.glob("*.eml")).read_text().replace("=\n", "")
    assert "To: ana@example.org" in mail and "Hola" in mail
    path = re.search(r"http://localhost(/account/invitation/[\w-]+)", mail).group(1)
    with app.app_context():
        token = db.session.scalar(select(AccountToken))
        assert token.purpose == "invite" and token.expires_at > token.created_at
    manager_client.submit("/account/logout")
    response = client.submit(path, {"password": "a long new password",
                                    "confirm": "a long new password"})
    assert response.status_code == 302
    assert client.get(path).status_code == 410


def test_members_of_the_institution_are_told_they_were_enrolled(manager_client, cohort,
                                                                make_member, outbox):
    known = make_member()
    import_and_confirm(manager_client, cohort, csv_bytes(f"{known.email},Known,,"))
    mail = next(outbox.glob("*.eml")).read_text()
    assert f"To: {known.email}" in mail
    assert "Sign in with your usual account" in mail and "/account/invitation/" not in mail


def test_the_import_commits_the_mail_it_owes_with_a_job_to_send_it(app, manager_client,
                                                                    cohort, outbox):
    import_and_confirm(manager_client, cohort, csv_bytes("a@example.org,A,,", "b@example.org,B,,"))
    with app.app_context(), db.engine.connect() as other:  # only committed rows are seen
        owed = other.scalar(select(func.count()).select_from(CohortNotice))
        jobs = other.execute(select(Job.kind, Job.status)).all()
    assert owed == 2 and jobs == [("institutions.notices", "queued")]
    mails = [path.read_text() for path in outbox.glob("*.eml")]
    assert sorted(re.search(r"^To: (.+)$", mail, re.M).group(1) for mail in mails) == [
        "a@example.org", "b@example.org"]


def test_a_file_with_errors_cannot_be_applied(app, manager_client, cohort):
    url = preview_url(upload(manager_client, cohort, csv_bytes(
        "good@example.org,Good,,", "bad,Bad,,")))
    before = counts(app)
    response = confirm(manager_client, url, follow_redirects=True)
    assert "This file has errors" in response.get_data(as_text=True)
    assert counts(app) == before


def test_confirming_twice_applies_once(app, manager_client, cohort, outbox):
    url = preview_url(upload(manager_client, cohort, csv_bytes("a@example.org,A,,")))
    confirm(manager_client, url)
    response = confirm(manager_client, url, follow_redirects=True)
    assert "This file has already been applied." in response.get_data(as_text=True)
    assert counts(app).users == 2 and counts(app).applied == 1
    assert len(list(outbox.glob("*.eml"))) == 1


def test_uploading_the_same_file_again_changes_nothing(app, manager_client, cohort_with_courses,
                                                       outbox):
    data = csv_bytes("a@example.org,A,,", "b@example.org,B,es,X")
    import_and_confirm(manager_client, cohort_with_courses, data)
    before = counts(app)
    mails = len(list(outbox.glob("*.eml")))
    url = preview_url(upload(manager_client, cohort_with_courses, data))
    page = _page(manager_client, url)
    assert "The same file was already applied on" in page
    # They have not chosen their password yet: still invited, and not mailed again so soon.
    assert "2 people are already invited" in page
    confirm(manager_client, url)
    after = counts(app)
    assert (after.users, after.members, after.enrolments) == (before.users, before.members,
                                                              before.enrolments)
    assert len(list(outbox.glob("*.eml"))) == mails


def test_people_missing_from_a_later_file_are_kept(app, manager_client, cohort_with_courses):
    import_and_confirm(manager_client, cohort_with_courses,
                       csv_bytes("a@example.org,A,,", "b@example.org,B,,"))
    before = counts(app)
    import_and_confirm(manager_client, cohort_with_courses, csv_bytes("c@example.org,C,,"))
    after = counts(app)
    assert after.members == before.members + 1
    assert after.enrolments == before.enrolments + 2


def test_an_import_never_overwrites_an_account(app, manager_client, cohort, make_user):
    known = make_user("learner", name="Original Name", language="es")
    import_and_confirm(manager_client, cohort, csv_bytes(f"{known.email},Other Name,fr,"))
    with app.app_context():
        user = db.session.get(User, known.id)
        assert (user.full_name, user.language, user.role) == ("Original Name", "es", "learner")


def test_an_import_is_all_or_nothing(app, manager_client, cohort_with_courses, monkeypatch,
                                     outbox):
    url = preview_url(upload(manager_client, cohort_with_courses, csv_bytes(
        "a@example.org,A,,", "b@example.org,B,,")))
    before = counts(app)

    def fail(*_args, **_kwargs):
        raise RuntimeError("database went away half-way")

    monkeypatch.setattr(membership.learning, "add_enrolments", fail)
    with pytest.raises(RuntimeError):
        confirm(manager_client, url)
    assert counts(app) == before
    with app.app_context():
        assert db.session.scalar(select(CohortImport.applied_at)) is None
    assert list(outbox.glob("*.eml")) == []


def test_confirmation_applies_the_stored_rows_not_a_reposted_file(app, manager_client, cohort):
    url = preview_url(upload(manager_client, cohort, csv_bytes("a@example.org,A,,")))
    confirm(manager_client, url, {
        "file": (io.BytesIO(csv_bytes("evil@example.org,Evil,,")), "other.csv")},
        content_type="multipart/form-data")
    with app.app_context():
        emails = set(db.session.scalars(select(User.email).join(
            CohortMember, CohortMember.user_id == User.id)))
    assert emails == {"a@example.org"}


def test_a_file_over_the_size_limit_is_refused(app, manager_client, cohort, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 1024)
    response = upload(manager_client, cohort, csv_bytes(
        *[f"p{n}@example.org,Person {n},," for n in range(60)]))
    assert response.status_code == 400
    assert "The file is larger than 1 KB" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(CohortImport)) is None


def test_the_size_limit_defaults_to_five_megabytes(app):
    assert app.config["IMPORT_MAX_BYTES"] == 5 * 1024 * 1024


@pytest.mark.parametrize(("data", "message"), [
    (b"email,full_name\na@example.org,A\x00\n", "does not look like a CSV file"),
    (b"", "The file is empty."),
    (b"PK\x03\x04\x14\x00binary", "This is a spreadsheet file, not CSV"),
])
def test_files_that_are_not_csv_text_are_refused(app, manager_client, cohort, data, message):
    response = upload(manager_client, cohort, data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(CohortImport)) is None


def test_header_only_file_has_nothing_to_apply(manager_client, cohort):
    page = _page(manager_client, preview_url(upload(manager_client, cohort, csv_bytes())))
    assert "no people under it" in page and "Confirm and apply" not in page


def test_too_many_rows_are_refused(manager_client, cohort):
    data = csv_bytes(*[f"p{n}@example.org,Person {n},," for n in range(10_001)])
    page = _page(manager_client, preview_url(upload(manager_client, cohort, data)))
    assert "The file has 10001 rows; at most 10000 are accepted at once." in page


def test_latin1_file_from_an_old_spreadsheet_keeps_its_accents(app, manager_client, cohort):
    data = "email;full_name\nj@example.org;Jürgen Müller\n".encode("cp1252")
    import_and_confirm(manager_client, cohort, data)
    with app.app_context():
        assert db.session.scalar(select(User.full_name).where(
            User.email == "j@example.org")) == "Jürgen Müller"


def test_chosen_encoding_is_honoured(manager_client, cohort):
    data = "email,full_name\nj@example.org,José\n".encode("latin-1")
    response = upload(manager_client, cohort, data, encoding="utf-8")
    assert "Line 2: This line is not valid UTF-8" in response.get_data(as_text=True)


def test_mixed_encodings_are_refused(manager_client, cohort):
    data = ("email,full_name\na@example.org,Ana López\n".encode()
            + "j@example.org,José\n".encode("latin-1"))
    response = upload(manager_client, cohort, data)
    assert response.status_code == 400
    assert "The file mixes encodings" in response.get_data(as_text=True)


def test_import_writes_in_bulk_whatever_the_number_of_rows(app, manager_client, institution,
                                                           make_cohort, courses):
    needed = []
    for size in (5, 50):
        cohort = make_cohort(institution, f"Cohort of {size}", course_ids=list(courses.values()))
        rows = [f"p{size}-{n}@example.org,Person {n},," for n in range(size)]
        url = preview_url(upload(manager_client, cohort, csv_bytes(*rows)))
        preview = count_statements(app, lambda url=url: manager_client.get(url))
        responses = []
        apply = count_statements(app, lambda url=url, responses=responses: responses.append(
            manager_client.submit(url + "/confirm")))
        needed.append((preview, apply))
        assert counts(app, cohort).members == size
    assert needed[0] == needed[1]


def test_cli_previews_then_applies(app, runner, cohort, tmp_path, outbox, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://campus.example.gov")
    path = tmp_path / "people.csv"
    path.write_bytes(csv_bytes("a@example.org,A,,", "b@example.org,B,,"))
    result = runner.invoke(args=["cohorts", "import", str(cohort), str(path)])
    assert result.exit_code == 0, result.output
    assert "2 to invite" in result.output and counts(app).members == 0
    result = runner.invoke(args=["cohorts", "import", str(cohort), str(path), "--apply"])
    assert result.exit_code == 0, result.output
    assert counts(app).members == 2
    mail = next(outbox.glob("*.eml")).read_text().replace("=\n", "")
    assert "https://campus.example.gov/account/invitation/" in mail


def test_cli_refuses_a_file_with_errors(app, runner, cohort, tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(csv_bytes("not-an-address,A,,"))
    result = runner.invoke(args=["cohorts", "import", str(cohort), str(path), "--apply"])
    assert result.exit_code != 0
    assert "is not a valid email address" in result.output
    assert counts(app).members == 0


def test_the_page_sends_no_mail_itself(app, manager_client, cohort, outbox):
    url = preview_url(upload(manager_client, cohort, csv_bytes("a@example.org,A,,",
                                                               "b@example.org,B,,")))
    response = manager_client.submit(url + "/confirm")
    response.close()
    assert response.status_code == 302 and list(outbox.path.glob("*.eml")) == []
    assert len(list(outbox.glob("*.eml"))) == 2  # once the worker ran


def test_a_large_import_is_written_in_batches_each_letter_once(app, manager_client, cohort,
                                                              monkeypatch, outbox):
    monkeypatch.setattr(membership, "NOTICES_BATCH", 2)
    import_and_confirm(manager_client, cohort, csv_bytes(
        *(f"p{n}@example.org,P{n},," for n in range(5))))
    assert len(list(outbox.glob("*.eml"))) == 5
    with app.app_context():
        runs = db.session.scalar(select(func.count()).select_from(Job).where(
            Job.kind == "institutions.notices", Job.status == "done"))
        keys = db.session.scalars(select(MailMessage.key)).all()
    assert runs == 3 and len(set(keys)) == 5


def test_mail_that_could_not_go_stays_queued_for_the_cli(app, manager_client, runner, cohort,
                                                         monkeypatch, outbox):
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://campus.example.gov")
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", closed_port())
    import_and_confirm(manager_client, cohort, csv_bytes("a@example.org,A,,"))
    assert list(outbox.glob("*.eml")) == []  # the worker ran and the server was down
    with app.app_context():
        assert db.session.scalar(select(MailMessage.status)) == "queued"
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    result = runner.invoke(args=["cohorts", "send-notices"])
    assert "sent: 1;" in result.output, result.output
    assert "https://campus.example.gov/account/invitation/" in next(
        outbox.path.glob("*.eml")).read_text().replace("=\n", "")
    result = runner.invoke(args=["cohorts", "send-notices"])
    assert "sent: 0;" in result.output


def test_a_learner_enrolled_before_gets_the_cohorts_due_date(app, manager_client,
                                                            institution, make_cohort, courses,
                                                            make_member):
    ana = make_member()
    tab = app.test_client()
    tab.sign_in(ana.email)
    tab.submit("/learning/courses/migration-basics/enrol")
    cohort = make_cohort(institution, dues={courses["migration-basics"]: date(2031, 5, 1)})
    import_and_confirm(manager_client, cohort, csv_bytes(f"{ana.email},Ana,,",
                                                         "new@example.org,New,,"))
    with app.app_context():
        dues = dict(db.session.execute(select(Enrolment.user_id, Enrolment.due_on)).all())
    assert set(dues.values()) == {date(2031, 5, 1)} and len(dues) == 2
