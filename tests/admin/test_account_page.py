"""The administrators' page of one account: who it is, what they learn, what they achieved
and where they belong."""

from __future__ import annotations

from sqlalchemy import select

from ecampus.certificates.models import Certificate
from ecampus.extensions import db


def test_the_account_page_shows_profile_learning_results_certificates_and_memberships(
        app, client, admin, pair):
    client.sign_in(admin.email)
    response = client.get(f"/admin/users/{pair.merged.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    with app.app_context():
        code = db.session.scalar(select(Certificate.code).where(
            Certificate.user_id == pair.merged.id))
    for text in ("Ana Perez", "ana.old@example.org", "Author", "Active", "Never",
                 "Certified course", "Other course", "100", "Check your knowledge",
                 "not submitted", code, f"/verify/{code}", "Ministry of Labour",
                 "Cohort Winter, Ministry of Labour"):
        assert text in page, text


def test_the_account_page_of_an_unknown_account_is_404(client, admin):
    client.sign_in(admin.email)
    assert client.get("/admin/users/999999").status_code == 404


def test_a_merged_account_page_names_the_account_it_went_to(app, client, admin, pair):
    from tests.admin.test_merge import _merged_by_client

    _merged_by_client(client, admin, pair)
    page = client.get(f"/admin/users/{pair.merged.id}").get_data(as_text=True)
    assert "Merged into another account" in page
    assert f'href="/admin/users/{pair.keep.id}"' in page
    assert "Reactivate this account" not in page


def test_only_admins_see_an_account_page(client, manager, learner):
    client.sign_in(manager.email)
    assert client.get(f"/admin/users/{learner.id}").status_code == 403
