"""Merging two accounts of one person: a preview first, then one transaction that moves every
row referencing the merged account, loses nothing and can be sent twice harmlessly."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from ecampus.admin import merge
from ecampus.audit.models import AuditEntry
from ecampus.auth.models import User, UserSession
from ecampus.certificates import services as certificates
from ecampus.certificates.models import Certificate
from ecampus.extensions import db
from ecampus.institutions.models import CohortMember, InstitutionMember
from ecampus.learning.models import Enrolment, ModuleCompletion
from ecampus.quizzes.models import Attempt
from tests.admin.conftest import rows_of
from tests.live import Browser, run_together

_DIGEST = re.compile(r'name="digest"[^>]*value="([0-9a-f]{64})"')


def _preview(client, keep_id: int, other: str) -> tuple[int, str, str]:
    response = client.get(f"/admin/users/{keep_id}/merge", query_string={"other": other})
    page = response.get_data(as_text=True)
    match = _DIGEST.search(page)
    return response.status_code, page, match.group(1) if match else ""


def _merge(client, keep_id: int, merged_id: int, digest: str):
    return client.submit(f"/admin/users/{keep_id}/merge",
                         {"merged_id": str(merged_id), "digest": digest})


def _merged_by_client(client, admin, pair):
    client.sign_in(admin.email)
    _status, _page, digest = _preview(client, pair.keep.id, pair.merged.email)
    return _merge(client, pair.keep.id, pair.merged.id, digest)


def _count(model, **where) -> int:
    statement = select(func.count()).select_from(model)
    for name, value in where.items():
        statement = statement.where(getattr(model, name) == value)
    return db.session.scalar(statement)


def test_every_column_referencing_users_has_a_merge_rule(ctx):
    columns = {f"{table.name}.{column}" for table, column in merge.user_references()}
    missing = sorted(columns - merge.RULES.keys())
    assert not missing, ("These columns reference users.id but ecampus/admin/merge.py RULES "
                         f"says nothing of them: {', '.join(missing)}. Decide what a merge "
                         "does with their rows.")
    assert not merge.RULES.keys() - columns, "RULES names columns the schema no longer has"
    assert "enrolments.user_id" in columns and "users.merged_into_id" in columns


def test_preview_lists_what_moves_and_what_is_combined_and_changes_nothing(
        app, client, admin, pair):
    client.sign_in(admin.email)
    status, page, digest = _preview(client, pair.keep.id, "ANA.OLD@example.org ")
    assert status == 200 and digest
    assert "Both are enrolled in Certified course" in page
    assert "Both hold a certificate for Certified course" in page
    assert "Quiz attempts" in page and "Cohort memberships" in page
    assert "Author" in page  # the higher role is kept
    with app.app_context():
        assert db.session.get(User, pair.merged.id).active
        assert _count(Enrolment, user_id=pair.merged.id) == 4


def test_preview_of_an_unknown_account_says_so(client, admin, pair):
    client.sign_in(admin.email)
    response = client.get(f"/admin/users/{pair.keep.id}/merge",
                          query_string={"other": "nobody@example.org"})
    assert response.status_code == 404
    assert "No account has this email address or number." in response.get_data(as_text=True)


def test_merge_loses_no_row_of_any_table(app, client, admin, pair):
    references = None
    with app.app_context():
        references = merge.user_references()
        before = {(t.name, c): (rows_of(t, c, pair.keep.id), rows_of(t, c, pair.merged.id),
                                db.session.scalar(select(func.count()).select_from(t)))
                  for t, c in references}
    assert _merged_by_client(client, admin, pair).status_code == 302
    # Rows both accounts held once each (same course, module, cohort...) become one.
    combined = {("enrolments", "user_id"): 3, ("module_completions", "user_id"): 2,
                ("institution_members", "user_id"): 1, ("cohort_members", "user_id"): 1}
    # Together the two halves complete a course: its certificate is new. The merged account
    # itself now points at the kept one.
    new = {("certificates", "user_id"): 1}
    gained = {**new, ("users", "merged_into_id"): 1}
    with app.app_context():
        for table, column in references:
            key = (table.name, column)
            keep, merged, total = before[key]
            after_total = db.session.scalar(select(func.count()).select_from(table))
            if merge.RULES.get(f"{table.name}.{column}") == merge.STAY:
                assert rows_of(table, column, pair.merged.id) == merged, key
                continue
            drop = combined.get(key, 0)
            assert rows_of(table, column, pair.merged.id) == 0, key
            assert rows_of(table, column, pair.keep.id) == (
                keep + merged - drop + gained.get(key, 0)), key
            assert after_total == total - drop + new.get(key, 0), key


def test_enrolments_in_one_course_become_one_with_every_module_and_complete_it(
        app, client, admin, pair):
    with app.app_context():
        started = db.session.scalar(select(func.min(Enrolment.enrolled_at)).where(
            Enrolment.course_id == pair.courses["halves"]))
    _merged_by_client(client, admin, pair)
    with app.app_context():
        halves = db.session.scalars(select(Enrolment).where(
            Enrolment.course_id == pair.courses["halves"])).all()
        assert [e.user_id for e in halves] == [pair.keep.id]
        assert halves[0].enrolled_at == started
        assert halves[0].completed_at is not None  # each account did half of it
        assert halves[0].modules_done == 2
        assert _count(ModuleCompletion, user_id=pair.keep.id) == 4
        assert _count(Certificate, user_id=pair.keep.id,
                      course_id=pair.courses["halves"]) == 1


def test_both_certificates_for_one_course_stay_valid(app, client, admin, pair):
    with app.app_context():
        codes = dict(db.session.execute(select(Certificate.user_id, Certificate.code).where(
            Certificate.course_id == pair.courses["certified"])).all())
    _merged_by_client(client, admin, pair)
    with app.app_context():
        kept = db.session.scalars(select(Certificate).where(
            Certificate.course_id == pair.courses["certified"]).order_by(
            Certificate.sequence)).all()
        assert [(c.user_id, c.sequence, c.status) for c in kept] == [
            (pair.keep.id, 1, "valid"), (pair.keep.id, 2, "valid")]
        assert [c.code for c in kept] == [codes[pair.keep.id], codes[pair.merged.id]]
        for code in codes.values():
            assert certificates.find_by_code(code).certificate.status == "valid"
    for code in codes.values():
        page = client.get(f"/verify/{code}").get_data(as_text=True)
        assert "<strong>Valid.</strong>" in page


def test_attempts_on_the_same_quiz_are_all_kept_and_numbered_after_the_kept_ones(
        app, client, admin, pair):
    with app.app_context():
        moved_id = db.session.scalar(select(Attempt.id).where(
            Attempt.user_id == pair.merged.id))
    _merged_by_client(client, admin, pair)
    with app.app_context():
        attempts = db.session.execute(select(Attempt.id, Attempt.number).where(
            Attempt.user_id == pair.keep.id).order_by(Attempt.number)).all()
        assert [number for _id, number in attempts] == [1, 2]
        assert attempts[1].id == moved_id


def test_the_kept_account_has_the_quiz_result_of_both_accounts_attempts(
        app, client, admin, pair):
    """The merged account passed the quiz, the kept one only opened it: after the merge the
    kept enrolment's result (which the cohort report reads) is the pass."""
    from ecampus.quizzes import services as quizzes
    from tests.quizzes.conftest import correct_form

    with app.app_context():
        attempt = db.session.scalar(select(Attempt).where(Attempt.user_id == pair.merged.id))
        quizzes.submit_attempt(pair.merged.id, attempt.id, correct_form(attempt.questions),
                               confirm_unanswered=True)
    _merged_by_client(client, admin, pair)
    with app.app_context():
        assert db.session.scalar(select(Enrolment.quiz_score).where(
            Enrolment.user_id == pair.keep.id,
            Enrolment.course_id == pair.courses["quizzed"])) == 100.0
        assert quizzes.score_drift() == []


def test_memberships_are_united(app, client, admin, pair):
    _merged_by_client(client, admin, pair)
    with app.app_context():
        assert set(db.session.scalars(select(CohortMember.cohort_id).where(
            CohortMember.user_id == pair.keep.id))) == set(pair.cohorts.values())
        assert _count(InstitutionMember, user_id=pair.keep.id) == 1


def test_the_higher_role_is_kept(app, client, admin, pair):
    _merged_by_client(client, admin, pair)
    with app.app_context():
        assert db.session.get(User, pair.keep.id).role == "author"


def test_merged_account_is_deactivated_signed_out_and_told_why_at_sign_in(
        app, client, admin, pair):
    old = app.test_client()
    old.sign_in(pair.merged.email)
    assert old.get("/account/profile").status_code == 200
    _merged_by_client(client, admin, pair)
    assert old.get("/account/profile").status_code == 302
    with app.app_context():
        merged = db.session.get(User, pair.merged.id)
        assert not merged.active and merged.merged_into_id == pair.keep.id
        assert _count(UserSession, user_id=pair.merged.id, ended_at=None) == 0
    response = app.test_client().submit("/account/login", {
        "email": pair.merged.email, "password": "correct horse battery"})
    assert response.status_code == 403
    assert "merged into another one" in response.get_data(as_text=True)


def test_sending_the_merge_twice_says_it_is_done(app, client, admin, pair):
    client.sign_in(admin.email)
    _status, _page, digest = _preview(client, pair.keep.id, pair.merged.email)
    assert _merge(client, pair.keep.id, pair.merged.id, digest).status_code == 302
    again = _merge(client, pair.keep.id, pair.merged.id, digest)
    assert again.status_code == 302
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "These accounts are already merged" in page
    with app.app_context():
        assert _count(AuditEntry, action="user.merged") == 1


def test_a_change_since_the_preview_refuses_the_merge(app, client, admin, pair):
    client.sign_in(admin.email)
    _status, _page, digest = _preview(client, pair.keep.id, pair.merged.email)
    with app.app_context():
        db.session.delete(db.session.scalar(select(Enrolment).where(
            Enrolment.user_id == pair.merged.id, Enrolment.course_id == pair.courses["other"])))
        db.session.commit()
    response = _merge(client, pair.keep.id, pair.merged.id, digest)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Something changed in these accounts since the preview" in page
    with app.app_context():
        assert db.session.get(User, pair.merged.id).active


def test_merge_is_recorded_with_ids_and_counts_only(app, client, admin, pair):
    _merged_by_client(client, admin, pair)
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.merged"))
        assert (entry.actor_id, entry.target_id) == (admin.id, str(pair.keep.id))
        assert entry.before["merged_id"] == pair.merged.id
        assert entry.after["moved"]["attempts.user_id"] == 1
        text = repr(entry.before) + repr(entry.after)
        assert "@" not in text and "Ana" not in text


@pytest.mark.parametrize("keep, other", [("keep", "keep"), ("keep", "admin")])
def test_an_account_cannot_be_merged_into_itself_nor_the_acting_admin_merged_away(
        app, client, admin, pair, keep, other):
    people = {"keep": pair.keep, "admin": admin}
    client.sign_in(admin.email)
    status, page, _digest = _preview(client, people[keep].id, people[other].email)
    assert status == 200 and "These accounts cannot be merged" in page
    response = _merge(client, people[keep].id, people[other].id, "0" * 64)
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, people[other].id).active


def test_managers_of_two_institutions_cannot_be_merged(app, client, admin, make_user, pair):
    from ecampus.institutions import services as institutions

    with app.app_context():
        other = institutions.create_institution("Ministry of Finance", "")
        institutions.make_manager(other.id, pair.merged.email)
    client.sign_in(admin.email)
    _status, page, _digest = _preview(client, pair.manager.id, pair.merged.email)
    assert "Both accounts manage an institution" in page


def test_a_manager_cannot_merge_accounts(client, pair):
    client.sign_in(pair.manager.email)
    response = _merge(client, pair.keep.id, pair.merged.id, "0" * 64)
    assert response.status_code == 403


def test_merges_sent_at_once_both_ways_merge_once(app, live_server, admin, make_user, pair):
    second = make_user("admin")
    tabs = [Browser(live_server), Browser(live_server)]
    orders = [(pair.keep.id, pair.merged.id, pair.merged.email),
              (pair.merged.id, pair.keep.id, pair.keep.email)]
    digests = []
    for tab, person, (keep_id, _merged_id, other) in zip(tabs, (admin, second), orders,
                                                          strict=True):
        tab.sign_in(person.email)
        tab.get(f"/admin/users/{keep_id}/merge?other={other}")
        digests.append(_DIGEST.search(tab.page).group(1))
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Attempt))
    results = run_together(*[
        lambda tab=tab, order=order, digest=digest: tab.submit(
            f"/admin/users/{order[0]}/merge",
            {"merged_id": str(order[1]), "digest": digest})[0]
        for tab, order, digest in zip(tabs, orders, digests, strict=True)])
    assert results == [302, 302]
    with app.app_context():
        assert _count(AuditEntry, action="user.merged") == 1
        people = [db.session.get(User, pair.keep.id), db.session.get(User, pair.merged.id)]
        assert sorted(user.active for user in people) == [False, True]
        survivor = next(user for user in people if user.active)
        assert _count(Attempt, user_id=survivor.id) == before


def test_a_deactivated_account_cannot_be_the_one_kept(app, client, admin, pair):
    with app.app_context():
        db.session.get(User, pair.keep.id).active = False
        db.session.commit()
    client.sign_in(admin.email)
    _status, page, digest = _preview(client, pair.keep.id, pair.merged.email)
    assert "The account to keep is deactivated: reactivate it first." in page
    assert not digest


def test_a_sign_in_of_the_merged_account_after_the_preview_does_not_stop_the_merge(
        app, client, admin, pair):
    client.sign_in(admin.email)
    _status, _page, digest = _preview(client, pair.keep.id, pair.merged.email)
    app.test_client().sign_in(pair.merged.email)  # a new session stays with it, and ends
    assert _merge(client, pair.keep.id, pair.merged.id, digest).status_code == 302
    with app.app_context():
        assert db.session.get(User, pair.merged.id).merged_into_id == pair.keep.id
