"""PDF download, the public verification page, and administration."""

from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta

import pytest

from ecampus.certificates.models import Certificate
from ecampus.extensions import db
from tests.certificates.conftest import certificate_of


def test_learner_downloads_the_pdf(client, earned, learner, tmp_path):
    response = client.get(f"/certificates/{earned.code}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "c.pdf"
    path.write_bytes(response.data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert learner.full_name in text and "Protection at borders" in text
    assert earned.code in text


def test_another_learner_cannot_download_it(app, earned, make_user):
    other = app.test_client()
    other.sign_in(make_user().email)
    assert other.get(f"/certificates/{earned.code}.pdf").status_code == 404
    assert other.get(f"/certificates/{earned.code}.json").status_code == 404


def test_anonymous_visitor_must_sign_in_to_download(app, earned):
    assert app.test_client().get(f"/certificates/{earned.code}.pdf").status_code == 302


def test_verification_page_shows_every_printed_field(app, earned, learner):
    page = app.test_client().get(f"/verify/{earned.code}").get_data(as_text=True)
    for text in (learner.full_name, "Protection at borders", "Certificate of Achievement",
                 earned.code, "Valid.", "E-Campus"):
        assert text in page, text
    assert "Valid until" in page and str(earned.expires_on.year) in page
    assert learner.email not in page


def test_verification_accepts_a_loosely_typed_code(app, earned):
    loose = earned.code.lower().replace("-", " ")
    response = app.test_client().get("/verify/", query_string={"code": loose})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/verify/{earned.code}")


def test_mistyped_code_gets_a_helpful_message(app, earned):
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    first = earned.code[0]
    typo = alphabet[(alphabet.index(first) + 1) % 32] + earned.code[1:]
    response = app.test_client().get(f"/verify/{typo}")
    assert response.status_code == 404
    assert "typing mistake" in response.get_data(as_text=True)


def test_short_code_says_how_long_a_code_is(app):
    response = app.test_client().get("/verify/ABCD-EFG")
    assert "A certificate code has 14 characters; you typed 7." in response.get_data(
        as_text=True)


def test_verification_is_rate_limited(app, earned):
    client = app.test_client()
    statuses = [client.get(f"/verify/{earned.code}").status_code for _ in range(31)]
    assert statuses[:30] == [200] * 30 and statuses[30] == 429


def test_expired_certificate_says_so(app, earned):
    with app.app_context():
        row = db.session.get(Certificate, earned.id)
        row.expires_on = row.issued_on - timedelta(days=1)
        db.session.commit()
    page = app.test_client().get(f"/verify/{earned.code}").get_data(as_text=True)
    assert "Expired." in page


def test_admin_revokes_with_a_reason(app, earned, admin):
    client = app.test_client()
    client.sign_in(admin.email)
    client.submit(f"/admin/certificates/{earned.code}/revoke",
                  {"reason": "Issued in error: quiz passed by another person."})
    page = app.test_client().get(f"/verify/{earned.code}").get_data(as_text=True)
    assert "Revoked." in page and "Issued in error" in page


def test_revoke_needs_a_reason(app, earned, admin):
    client = app.test_client()
    client.sign_in(admin.email)
    client.submit(f"/admin/certificates/{earned.code}/revoke", {"reason": ""})
    assert certificate_of(app, earned.user_id).status == "valid"


def test_reissue_after_name_correction_replaces_the_old_code(app, client, earned, admin):
    client.submit("/account/profile", {"full_name": "Corrected Name", "language": "en"})
    admin_client = app.test_client()
    admin_client.sign_in(admin.email)
    admin_client.submit(f"/admin/certificates/{earned.code}/reissue")
    new = certificate_of(app, earned.user_id)
    assert new.code != earned.code and new.learner_name == "Corrected Name"
    old_page = app.test_client().get(f"/verify/{earned.code}").get_data(as_text=True)
    assert "Replaced." in old_page and f'href="/verify/{new.code}"' in old_page


def test_learner_and_manager_cannot_revoke(app, earned, learner, manager):
    for user in (learner, manager):
        client = app.test_client()
        client.sign_in(user.email)
        assert client.get("/admin/certificates").status_code == 403
        response = client.submit(f"/admin/certificates/{earned.code}/revoke", {"reason": "x"})
        assert response.status_code == 403
    assert certificate_of(app, earned.user_id).status == "valid"
