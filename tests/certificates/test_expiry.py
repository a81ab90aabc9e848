"""One expiry rule: the PDF, the verification page, the credential's validUntil and both
verifiers agree to the second, whatever the server's time zone."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from ecampus.certificates import services, vc, wording
from ecampus.certificates import views as certificate_views
from tests.certificates.test_pdf import needs_pdftotext, pdftotext


@pytest.fixture
def far_time_zone(monkeypatch):
    """The server runs at UTC+14, where the expiry day is already over at 10:00 UTC."""
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _boundary(earned) -> datetime:
    """The last valid second: 23:59:59 UTC on the day printed."""
    return datetime.combine(earned.expires_on, datetime.min.time(), tzinfo=UTC).replace(
        hour=23, minute=59, second=59)


def _page_state(app, earned, monkeypatch, moment: datetime) -> str:
    monkeypatch.setattr(certificate_views, "utcnow", lambda: moment.replace(tzinfo=None))
    page = app.test_client().get(f"/verify/{earned.code}").get_data(as_text=True)
    return "Expired." if "Expired." in page else "Valid." if "Valid." in page else page


def test_credential_ceases_to_be_valid_after_the_last_second_of_the_printed_day(earned):
    ceases = _boundary(earned) + timedelta(seconds=1)
    assert earned.credential["validUntil"] == vc.dates.format_datetime(ceases)
    assert wording.valid_until(earned.expires_on) == ceases


def test_verify_page_turns_expired_one_second_after_valid_until(app, earned, monkeypatch,
                                                                 far_time_zone):
    boundary = _boundary(earned)
    assert _page_state(app, earned, monkeypatch, boundary) == "Valid."
    assert _page_state(app, earned, monkeypatch, boundary + timedelta(seconds=1)) == "Expired."


def test_python_verifier_agrees_at_the_boundary(app, earned, far_time_zone):
    boundary = _boundary(earned)
    with app.app_context():
        keys = {m: services.resolve_key(m) for m in [earned.credential["proof"][
            "verificationMethod"]]}
    at = vc.verify_credential(earned.credential, keys.get, now=boundary,
                              max_clock_skew=timedelta(0))
    after = vc.verify_credential(earned.credential, keys.get,
                                 now=boundary + timedelta(seconds=1),
                                 max_clock_skew=timedelta(0))
    assert at.ok, at.errors
    assert not after.ok and after.errors == [
        f"expired: validUntil was {earned.credential['validUntil']}"]


def test_node_verifier_agrees_at_the_boundary(app, earned, node_verify, far_time_zone):
    boundary = _boundary(earned)
    profile = json.loads(app.test_client().get("/issuer").data)

    def verdict(moment):
        return node_verify({"credential": earned.credential, "controllerDocument": profile,
                            "now": vc.dates.format_datetime(moment), "maxClockSkew": 0})

    first = verdict(boundary)
    assert first["verified"], first
    late = verdict(boundary + timedelta(seconds=1))
    assert not late["verified"] and "validUntil" in late["error"]


@needs_pdftotext
def test_pdf_and_page_print_the_same_last_second(app, client, earned, tmp_path, far_time_zone):
    printed = wording.format_valid_until(earned.expires_on, "en")
    assert printed.endswith("23:59:59 UTC")
    pdf = client.get(f"/certificates/{earned.code}.pdf").data
    assert printed in " ".join(pdftotext(pdf, tmp_path).split())
    page = app.test_client().get(f"/verify/{earned.code}").get_data(as_text=True)
    assert printed in page
