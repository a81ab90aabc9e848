"""The audit log's pages: admins browse, filter and export the whole log; a manager sees
their own institution's activity and nothing of another's."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

import pytest

from ecampus.audit.models import AuditEntry
from ecampus.extensions import db


def _add(app, action="user.role_changed", **fields) -> int:
    with app.app_context():
        entry = AuditEntry(action=action, **fields)
        db.session.add(entry)
        db.session.commit()
        return entry.id


@pytest.fixture
def admin_client(app, admin):
    client = app.test_client()
    client.sign_in(admin.email)
    return client


def _page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def _csv(client, url: str) -> list[dict]:
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


# --- Admins --------------------------------------------------------------------------------

def test_an_entry_shows_who_when_where_what_and_the_change(app, admin_client, admin, learner):
    _add(app, actor_id=admin.id, address="203.0.113.7", target_type="user",
         target_id=str(learner.id), before={"role": "learner"}, after={"role": "author"},
         at=datetime(2026, 12, 1, 9, 30))
    page = _page(admin_client, "/admin/audit/")
    assert admin.full_name in page and "203.0.113.7" in page and "Role changed" in page
    assert re.search(r'href="/admin/users\?q=learner\d+(@|%40)example.org"', page)
    assert learner.full_name in page and "Dec 1, 2026" in page
    assert "<del>" in page and "learner" in page and "<ins>" in page and "author" in page


def test_a_deleted_account_shows_as_its_number(app, admin_client):
    _add(app, actor_id=987654, target_type="user", target_id="987655")
    page = _page(admin_client, "/admin/audit/")
    assert "deleted or erased account #987654" in page
    assert "deleted or erased account #987655" in page


def test_a_command_shows_as_the_system(app, admin_client):
    _add(app, action="signing_key.rotated")
    assert "System (a command or a job)" in _page(admin_client, "/admin/audit/")


def test_a_target_that_no_longer_exists_has_no_link(app, admin_client):
    _add(app, action="course.retired", target_type="course", target_id="gone-course")
    page = _page(admin_client, "/admin/audit/")
    assert "gone-course" in page and 'href="/courses/gone-course"' not in page


def test_the_person_filter_ignores_case_and_accents(app, admin_client, make_user):
    perez = make_user("learner", name="Ana Pérez")
    other = make_user("learner", name="Bo Li")
    _add(app, action="user.role_changed", target_type="user", target_id=str(perez.id))
    _add(app, action="user.sessions_ended", actor_id=other.id)
    page = _page(admin_client, "/admin/audit/?person=PEREZ")
    assert "<td>Role changed</td>" in page
    assert "<td>Signed out everywhere by an administrator</td>" not in page


def test_the_action_filter_lists_known_actions_and_refuses_others(app, admin_client):
    _add(app, action="user.role_changed")
    _add(app, action="certificate.revoked")
    page = _page(admin_client, "/admin/audit/?action=certificate.revoked")
    assert "Certificate revoked</td>" in page and "Role changed</td>" not in page
    page = _page(admin_client, "/admin/audit/?action=drop.tables", status=400)
    assert 'href="#filter-action"' in page


def test_the_date_filter_includes_both_days(app, admin_client):
    for day in (1, 2, 3, 4):
        _add(app, action="cohort.created", target_type="cohort", target_id=f"90{day}",
             at=datetime(2026, 11, day, 23, 59))
    page = _page(admin_client, "/admin/audit/?since=2026-11-02&until=2026-11-03")
    assert "902" in page and "903" in page and "901" not in page and "904" not in page


def test_an_unreadable_date_is_said_not_a_server_error(app, admin_client):
    page = _page(admin_client, "/admin/audit/?since=yesterday&until=2026-13-45", status=400)
    assert 'href="#filter-since"' in page and 'href="#filter-until"' in page


def test_the_institution_filter(app, admin_client, make_institution):
    first, second = make_institution("First"), make_institution("Second")
    _add(app, action="cohort.created", institution_id=first.id, target_type="cohort",
         target_id="7001")
    _add(app, action="cohort.created", institution_id=second.id, target_type="cohort",
         target_id="7002")
    page = _page(admin_client, f"/admin/audit/?institution={second.id}")
    assert "7002" in page and "7001" not in page
    _page(admin_client, "/admin/audit/?institution=99999999999", status=400)


def test_pages_go_back_in_time_by_keyset(app, admin_client):
    for n in range(55):
        _add(app, action="cohort.created", target_type="cohort", target_id=f"c{n:03d}x")
    page = _page(admin_client, "/admin/audit/")
    assert "c054x" in page and "c005x" in page and "c004x" not in page
    assert "Older entries" in page
    link = re.search(r'href="([^"]*older_than=\d+[^"]*)"', page).group(1)
    second = _page(admin_client, link.replace("&amp;", "&"))
    assert "c004x" in second and "c000x" in second and "c005x" not in second
    assert "Older entries" not in second and "Newest entries" in second


def test_a_hostile_page_address_is_no_server_error(app, admin_client):
    _page(admin_client, "/admin/audit/?older_than=99999999999999999999", status=404)
    _page(admin_client, "/admin/audit/?older_than=abc", status=404)
    _page(admin_client, "/admin/audit/?person=%27%3B--&institution=-1", status=400)
    _page(admin_client, "/admin/audit/?person=" + "x" * 5000)


def test_the_csv_export_follows_the_filters(app, admin_client, admin):
    _add(app, action="user.role_changed", actor_id=admin.id, address="198.51.100.1",
         target_type="user", target_id="5", before={"role": "learner"},
         after={"role": "admin"})
    _add(app, action="certificate.revoked", target_type="certificate", target_id="X1")
    rows = _csv(admin_client, "/admin/audit/export.csv?action=user.role_changed")
    assert len(rows) == 1
    assert rows[0]["actor"] == admin.full_name and rows[0]["address"] == "198.51.100.1"
    assert rows[0]["action_label"] == "Role changed"
    assert rows[0]["after"] == '{"role": "admin"}'


def test_the_csv_export_cannot_carry_a_formula(app, admin_client):
    _add(app, action="certificate.revoked", target_type="certificate",
         target_id="=HYPERLINK(\"http://evil\")", after={"reason": "x"})
    [row] = _csv(admin_client, "/admin/audit/export.csv")
    assert row["target_id"].startswith("'=")


def test_the_csv_export_streams_every_entry(app, admin_client, monkeypatch):
    from ecampus.audit import browse

    monkeypatch.setattr(browse, "EXPORT_CHUNK", 3)
    for n in range(7):
        _add(app, action="cohort.created", target_type="cohort", target_id=str(n))
    rows = _csv(admin_client, "/admin/audit/export.csv")
    assert [row["target_id"] for row in rows] == ["6", "5", "4", "3", "2", "1", "0"]


def test_the_admin_home_links_to_the_log(admin_client):
    assert 'href="/admin/audit/"' in _page(admin_client, "/admin/")


# --- Managers ------------------------------------------------------------------------------

def test_a_manager_sees_their_institutions_activity_only(app, make_institution):
    mine, theirs = make_institution("Mine"), make_institution("Theirs")
    _add(app, action="cohort.created", institution_id=mine.id, target_type="cohort",
         target_id="8001")
    _add(app, action="cohort.created", institution_id=theirs.id, target_type="cohort",
         target_id="8002")
    _add(app, action="user.role_changed", target_type="user", target_id="8003")
    client = app.test_client()
    client.sign_in(mine.manager.email)
    page = _page(client, f"/institutions/{mine.id}/activity")
    assert "8001" in page and "8002" not in page and "8003" not in page
    assert [row["target_id"] for row in _csv(
        client, f"/institutions/{mine.id}/activity.csv?action=cohort.created")] == ["8001"]


def test_another_institutions_manager_gets_404_for_page_and_export(app, make_institution):
    mine, theirs = make_institution("Mine"), make_institution("Theirs")
    _add(app, action="cohort.created", institution_id=mine.id)
    client = app.test_client()
    client.sign_in(theirs.manager.email)
    assert client.get(f"/institutions/{mine.id}/activity").status_code == 404
    assert client.get(f"/institutions/{mine.id}/activity.csv").status_code == 404
    assert client.get(f"/institutions/{mine.id}/activity?institution={theirs.id}"
                      ).status_code == 404


def test_a_manager_cannot_widen_their_view_with_the_institution_filter(app,
                                                                      make_institution):
    mine, theirs = make_institution("Mine"), make_institution("Theirs")
    _add(app, action="cohort.created", institution_id=theirs.id, target_type="cohort",
         target_id="8102")
    client = app.test_client()
    client.sign_in(mine.manager.email)
    page = _page(client, f"/institutions/{mine.id}/activity?institution={theirs.id}")
    assert "8102" not in page
    assert _csv(client, f"/institutions/{mine.id}/activity.csv?institution={theirs.id}"
                "&action=cohort.created") == []


def test_a_manager_sees_names_only_of_people_their_institution_reaches(
        app, institution, make_member, make_user):
    member, outsider = make_member(name="Member Person"), make_user(name="Outside Person")
    _add(app, action="cohort.member_removed", institution_id=institution.id,
         before={"user_id": member.id})
    _add(app, action="cohort.member_removed", institution_id=institution.id,
         before={"user_id": outsider.id})
    client = app.test_client()
    client.sign_in(institution.manager.email)
    page = _page(client, f"/institutions/{institution.id}/activity")
    assert "Member Person" in page and "Outside Person" not in page
    assert f"account #{outsider.id}" in page
    assert "Outside Person" not in client.get(
        f"/institutions/{institution.id}/activity.csv").get_data(as_text=True)


def test_a_managers_page_has_no_person_filter(app, institution, make_member):
    client = app.test_client()
    client.sign_in(institution.manager.email)
    page = _page(client, f"/institutions/{institution.id}/activity")
    assert 'name="person"' not in page and 'name="institution"' not in page


def test_the_institution_pages_link_to_the_activity(app, institution, admin_client):
    client = app.test_client()
    client.sign_in(institution.manager.email)
    link = f'href="/institutions/{institution.id}/activity"'
    assert link in _page(client, "/institutions/")
    assert link in _page(admin_client, f"/institutions/admin/{institution.id}")


def test_a_learner_cannot_read_the_log(app, learner, institution):
    client = app.test_client()
    client.sign_in(learner.email)
    assert client.get("/admin/audit/").status_code == 403
    assert client.get("/admin/audit/export.csv").status_code == 403
    assert client.get(f"/institutions/{institution.id}/activity").status_code == 403


def test_the_page_needs_as_many_statements_for_many_entries_as_for_a_few(
        app, admin_client, admin, make_institution):
    from tests.helpers import count_page_queries

    institution = make_institution("Counted")

    def add(n: int) -> None:
        for i in range(n):
            _add(app, action="cohort.member_removed", actor_id=admin.id,
                 institution_id=institution.id, target_type="cohort", target_id=str(i),
                 before={"user_id": institution.manager.id})
            _add(app, action="course.retired", target_type="course", target_id=f"c{i}")

    add(2)
    few = count_page_queries(app, admin_client, "/admin/audit/")
    add(20)  # 46 entries of the same kinds, all on the first page
    assert count_page_queries(app, admin_client, "/admin/audit/") == few
