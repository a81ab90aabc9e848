"""Revocation without limit: as many status lists as needed, random bits, every list served;
and replaced means revoked."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ecampus.catalog.models import Course
from ecampus.certificates import services, vc
from ecampus.certificates.models import Certificate
from ecampus.extensions import db
from tests.certificates.conftest import certified_course
from tests.helpers import publish


@pytest.fixture
def course_id(app, tmp_path):
    """A published course with a certificate."""
    certified_course(tmp_path / "courses")
    publish(app, tmp_path / "courses")
    with app.app_context():
        return db.session.scalar(select(Course.id))


@pytest.fixture
def issue(app, make_user, course_id):
    """Issue a certificate to a new learner; returns (code, list, index, credential)."""

    def issue_one():
        user = make_user()
        with app.app_context():
            certificate = services.issue_certificate(user.id, course_id)
            return (certificate.code, certificate.status_list, certificate.status_index,
                    certificate.credential)

    return issue_one


def _served_list(app, url: str) -> dict:
    response = app.test_client().get(urlsplit(url).path)
    assert response.status_code == 200, response.status_code
    status_list = json.loads(response.data)
    profile = json.loads(app.test_client().get("/issuer").data)
    checked = vc.verify_credential(status_list, vc.keys_from_issuer_profile(profile).get)
    assert checked.ok, checked.errors
    assert status_list["id"] == url
    return status_list


def _bit(app, credential: dict) -> bool:
    entry = credential["credentialStatus"]
    status_list = _served_list(app, entry["statusListCredential"])
    return vc.status_bit(status_list["credentialSubject"]["encodedList"],
                         int(entry["statusListIndex"]))


def _admin(app, admin):
    client = app.test_client()
    client.sign_in(admin.email)
    return client


def test_a_new_list_opens_when_the_newest_is_full(app, issue, monkeypatch):
    monkeypatch.setattr(services, "LIST_CAPACITY", 2)
    lists = [issue()[1] for _ in range(5)]
    assert lists == [0, 0, 1, 1, 2]


def test_each_credential_points_to_its_own_list(app, issue, monkeypatch):
    monkeypatch.setattr(services, "LIST_CAPACITY", 1)
    for expected in range(3):
        _code, number, index, credential = issue()
        entry = credential["credentialStatus"]
        assert number == expected
        assert urlsplit(entry["statusListCredential"]).path == f"/issuer/status/{expected}"
        assert entry["statusListIndex"] == str(index)


def test_every_list_is_served_and_signed(app, issue, monkeypatch):
    monkeypatch.setattr(services, "LIST_CAPACITY", 1)
    credentials = [issue()[3] for _ in range(3)]
    for credential in credentials:
        assert _bit(app, credential) is False


def test_a_list_that_does_not_exist_is_not_found(app, issue):
    issue()
    assert app.test_client().get("/issuer/status/1").status_code == 404
    assert app.test_client().get("/issuer/status/0").status_code == 200


def test_the_first_address_still_serves_list_zero(app, issue, admin):
    code, _number, index, _credential = issue()
    _admin(app, admin).submit(f"/admin/certificates/{code}/revoke", {"reason": "Fraud."})
    url = "http://localhost/issuer/status/revocation"
    response = app.test_client().get("/issuer/status/revocation")
    status_list = json.loads(response.data)
    assert urlsplit(status_list["id"]).path == "/issuer/status/revocation"
    assert vc.status_bit(status_list["credentialSubject"]["encodedList"], index) is True
    assert url.endswith(urlsplit(status_list["id"]).path)


def test_indexes_are_drawn_at_random_and_a_taken_one_is_drawn_again(app, issue,
                                                                    monkeypatch):
    draws = iter([131_071, 131_071, 5])
    monkeypatch.setattr(services.secrets, "randbelow", lambda _n: next(draws))
    assert issue()[2] == 131_071
    assert issue()[2] == 5


def test_list_and_index_pair_is_unique(app, issue):
    code, number, index, _credential = issue()
    with app.app_context():
        other = db.session.scalar(select(Certificate).where(Certificate.code == code))
        duplicate = Certificate(
            code="0000-000-000-0000", user_id=other.user_id, course_id=other.course_id,
            sequence=9, learner_name="x", course_title="x", certificate_title="x",
            course_version=1, language="en", issued_on=other.issued_on,
            status_list=number, status_index=index, credential={})
        db.session.add(duplicate)
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_revoking_the_last_bit_of_a_later_list_keeps_every_list_valid(app, issue, admin,
                                                                      monkeypatch):
    monkeypatch.setattr(services, "LIST_CAPACITY", 1)
    first = issue()
    draws = iter([131_071])
    monkeypatch.setattr(services.secrets, "randbelow", lambda _n: next(draws))
    code, number, index, credential = issue()
    assert (number, index) == (1, 131_071)
    _admin(app, admin).submit(f"/admin/certificates/{code}/revoke", {"reason": "Fraud."})
    assert _bit(app, credential) is True
    assert _bit(app, first[3]) is False


# Replaced means revoked

def test_reissue_sets_the_old_credentials_bit_with_the_reason(app, issue, admin):
    code, _number, _index, credential = issue()
    response = _admin(app, admin).submit(f"/admin/certificates/{code}/reissue")
    assert response.status_code == 302
    with app.app_context():
        old = db.session.scalar(select(Certificate).where(Certificate.code == code))
        assert old.status == "replaced"
        assert old.revoked_reason == f"replaced by {old.replaced_by.code}"
        assert old.revoked_at is not None
        new_credential = old.replaced_by.credential
    assert _bit(app, credential) is True
    assert _bit(app, new_credential) is False


def test_verify_page_of_a_replaced_certificate_links_to_the_new_one(app, issue, admin):
    code = issue()[0]
    _admin(app, admin).submit(f"/admin/certificates/{code}/reissue")
    with app.app_context():
        new_code = db.session.scalar(select(Certificate).where(
            Certificate.code == code)).replaced_by.code
    page = app.test_client().get(f"/verify/{code}").get_data(as_text=True)
    assert "Replaced." in page
    assert f'href="/verify/{new_code}"' in page


def test_an_admin_can_revoke_a_replaced_certificate(app, issue, admin):
    code, _number, _index, credential = issue()
    admin_client = _admin(app, admin)
    admin_client.submit(f"/admin/certificates/{code}/reissue")
    admin_client.submit(f"/admin/certificates/{code}/revoke", {"reason": "Forged name."})
    with app.app_context():
        old = db.session.scalar(select(Certificate).where(Certificate.code == code))
        assert (old.status, old.revoked_reason) == ("revoked", "Forged name.")
    assert _bit(app, credential) is True
    page = app.test_client().get(f"/verify/{code}").get_data(as_text=True)
    assert "Revoked." in page and "Forged name." in page


def test_a_revoked_certificate_cannot_be_revoked_again_or_reissued(app, issue, admin):
    code = issue()[0]
    admin_client = _admin(app, admin)
    admin_client.submit(f"/admin/certificates/{code}/revoke", {"reason": "Fraud."})
    again = admin_client.submit(f"/admin/certificates/{code}/revoke", {"reason": "Twice."},
                                follow_redirects=True).get_data(as_text=True)
    assert "already revoked" in again
    reissued = admin_client.submit(f"/admin/certificates/{code}/reissue",
                                   follow_redirects=True).get_data(as_text=True)
    assert "A revoked certificate cannot be reissued." in reissued


def test_admin_page_offers_revoking_a_replaced_certificate_but_not_reissuing_it(
        app, issue, admin):
    code = issue()[0]
    admin_client = _admin(app, admin)
    admin_client.submit(f"/admin/certificates/{code}/reissue")
    page = admin_client.get("/admin/certificates", query_string={"code": code}).get_data(
        as_text=True)
    assert f"/admin/certificates/{code}/revoke" in page
    assert f"/admin/certificates/{code}/reissue" not in page


def test_revoking_a_replaced_certificate_keeps_the_new_one_current(app, issue, admin):
    code = issue()[0]
    admin_client = _admin(app, admin)
    admin_client.submit(f"/admin/certificates/{code}/reissue")
    admin_client.submit(f"/admin/certificates/{code}/revoke", {"reason": "Forged name."})
    with app.app_context():
        old = db.session.scalar(select(Certificate).where(Certificate.code == code))
        current = services.codes_for([old.course_id], [old.user_id])
        assert current == {(old.user_id, old.course_id): old.replaced_by.code}
