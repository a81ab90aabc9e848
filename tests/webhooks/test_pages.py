"""The managers' webhook pages: add, see the secret once, turn off and on, rotate, test,
redeliver, delete; each change audited; another institution's manager gets 404."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from ecampus.audit.models import AuditEntry
from ecampus.extensions import db
from ecampus.webhooks.models import WebhookEndpoint
from tests.webhooks.conftest import run_worker


def _client(app, user):
    client = app.test_client()
    client.sign_in(user.email)
    return client


def _base(scene) -> str:
    return f"/institutions/{scene.institution_id}/webhooks"


def _actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry.action).where(
            AuditEntry.action.like("webhook.%")).order_by(AuditEntry.id)))


def test_a_manager_adds_an_endpoint_and_sees_its_secret_once(app, scene):
    client = _client(app, scene.manager)
    response = client.submit(_base(scene) + "/", {
        "url": "https://hooks.example.org/hr", "events": ["course.completed",
                                                          "certificate.issued"],
        "description": "HR system"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    secret = re.search(r"whsec_[A-Za-z0-9+/=]+", page).group(0)
    with app.app_context():
        endpoint = db.session.scalar(select(WebhookEndpoint).where(
            WebhookEndpoint.url == "https://hooks.example.org/hr"))
        assert endpoint.secret == secret
        assert endpoint.events == ["course.completed", "certificate.issued"]
    assert secret not in client.get(_base(scene) + "/").get_data(as_text=True)
    assert secret not in client.get(f"{_base(scene)}/{endpoint.id}").get_data(as_text=True)
    assert _actions(app)[-1] == "webhook.created"


@pytest.mark.parametrize(("form", "message"), [
    ({"url": "", "events": ["course.completed"]}, "Give the address"),
    ({"url": "https://hooks.example.org/hr"}, "Choose at least one event"),
    ({"url": "https://hooks.example.org/hr", "events": ["user.deleted"]},
     "is not a valid choice"),
    ({"url": "https://10.0.0.5/hr", "events": ["course.completed"]}, "private or local"),
    ({"url": "javascript:alert(1)", "events": ["course.completed"]}, "https://"),
    ({"url": "https://hooks.example.org/" + "a" * 2100, "events": ["course.completed"]},
     "2000"),
])
def test_a_bad_endpoint_is_refused_with_a_reason(app, scene, monkeypatch, form, message):
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE_URLS", False)
    response = _client(app, scene.manager).submit(_base(scene) + "/", form)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert "whsec_" not in response.get_data(as_text=True)


def test_another_institutions_manager_gets_404_on_every_page(app, scene):
    client = _client(app, scene.other_manager)
    endpoint = f"{_base(scene)}/{scene.endpoint_id}"
    assert client.get(_base(scene) + "/").status_code == 404
    assert client.get(endpoint).status_code == 404
    for action in ("secret", "disable", "enable", "test", "delete"):
        assert client.submit(f"{endpoint}/{action}").status_code == 404, action
    assert client.submit(_base(scene) + "/", {"url": "https://x.example.org",
                                              "events": ["course.completed"]}).status_code == 404


def test_a_manager_cannot_reach_an_endpoint_through_their_own_institution(app, scene):
    """The other institution's endpoint id under the manager's own institution: no page."""
    client = _client(app, scene.manager)
    assert client.get(f"{_base(scene)}/{scene.other_endpoint_id}").status_code == 404
    assert client.submit(f"{_base(scene)}/{scene.other_endpoint_id}/delete").status_code == 404


def test_a_learner_is_refused(app, scene):
    assert _client(app, scene.learner).get(_base(scene) + "/").status_code == 403


def test_forms_without_the_csrf_token_are_refused(app, scene):
    client = _client(app, scene.manager)
    assert client.post(f"{_base(scene)}/{scene.endpoint_id}/delete").status_code == 400
    with app.app_context():
        assert db.session.get(WebhookEndpoint, scene.endpoint_id) is not None


def test_turning_off_and_on_is_shown_and_audited(app, scene):
    client = _client(app, scene.manager)
    page = f"{_base(scene)}/{scene.endpoint_id}"
    client.submit(page + "/disable")
    assert "Turn on" in client.get(page).get_data(as_text=True)
    client.submit(page + "/enable")
    assert "Turn off" in client.get(page).get_data(as_text=True)
    assert _actions(app)[-2:] == ["webhook.disabled", "webhook.enabled"]


def test_a_new_secret_is_shown_once_and_audited(app, scene):
    client = _client(app, scene.manager)
    response = client.submit(f"{_base(scene)}/{scene.endpoint_id}/secret")
    secret = re.search(r"whsec_[A-Za-z0-9+/=]+", response.get_data(as_text=True)).group(0)
    assert secret != scene.secret
    assert secret not in client.get(f"{_base(scene)}/{scene.endpoint_id}").get_data(
        as_text=True)
    assert _actions(app)[-1] == "webhook.secret_rotated"


def test_a_test_event_is_delivered_and_listed_with_its_status(app, scene):
    client = _client(app, scene.manager)
    client.submit(f"{_base(scene)}/{scene.endpoint_id}/test")
    run_worker(app)
    [event] = scene.receiver.events()
    page = client.get(f"{_base(scene)}/{scene.endpoint_id}").get_data(as_text=True)
    assert event["id"] in page
    assert "Delivered" in page and "Redeliver" in page
    assert _actions(app)[-1] == "webhook.test_sent"


def test_a_failing_delivery_shows_its_answer_and_next_attempt(app, scene, monkeypatch):
    monkeypatch.setitem(app.config, "JOB_RETRY_BASE_SECONDS", 60)
    scene.receiver.answer(500, body="database down")
    client = _client(app, scene.manager)
    client.submit(f"{_base(scene)}/{scene.endpoint_id}/test")
    run_worker(app)
    page = client.get(f"{_base(scene)}/{scene.endpoint_id}").get_data(as_text=True)
    assert "Retrying" in page and "500" in page and "database down" in page
    assert "Redeliver" not in page


def test_redeliver_sends_the_event_again(app, scene):
    client = _client(app, scene.manager)
    client.submit(f"{_base(scene)}/{scene.endpoint_id}/test")
    run_worker(app)
    from ecampus.webhooks.models import WebhookDelivery

    with app.app_context():
        delivery_id = db.session.scalar(select(WebhookDelivery.id))
    client.submit(f"{_base(scene)}/{scene.endpoint_id}/deliveries/{delivery_id}/redeliver")
    run_worker(app)
    assert len(scene.receiver.requests) == 2
    assert _actions(app)[-1] == "webhook.redelivered"


def test_redelivering_another_endpoints_delivery_is_404(app, scene):
    from ecampus.webhooks import services as webhooks

    with app.app_context():
        other = webhooks.send_test(scene.other_institution_id, scene.other_endpoint_id).id
    run_worker(app)
    response = _client(app, scene.manager).submit(
        f"{_base(scene)}/{scene.endpoint_id}/deliveries/{other}/redeliver")
    assert response.status_code == 404


def test_deleting_an_endpoint_removes_it_and_is_audited(app, scene):
    client = _client(app, scene.manager)
    response = client.submit(f"{_base(scene)}/{scene.endpoint_id}/delete")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(WebhookEndpoint, scene.endpoint_id) is None
        entry = db.session.scalar(select(AuditEntry).where(
            AuditEntry.action == "webhook.deleted"))
        assert entry.institution_id == scene.institution_id
        assert entry.actor_id == scene.manager.id
    assert client.get(f"{_base(scene)}/{scene.endpoint_id}").status_code == 404


def test_an_admin_manages_any_institutions_endpoints(app, scene, make_user):
    client = _client(app, make_user("admin"))
    assert client.get(f"{_base(scene)}/{scene.endpoint_id}").status_code == 200
    other = f"/institutions/{scene.other_institution_id}/webhooks/{scene.other_endpoint_id}"
    assert client.get(other).status_code == 200


def test_a_huge_page_number_is_an_empty_page(app, scene):
    response = _client(app, scene.manager).get(
        f"{_base(scene)}/{scene.endpoint_id}?page=99999999999999999999")
    assert response.status_code == 200


def test_the_cohorts_page_links_to_the_webhooks(app, scene):
    page = _client(app, scene.manager).get("/institutions/").get_data(as_text=True)
    assert f'href="{_base(scene)}/"' in page


def test_two_redeliver_clicks_at_once_send_the_event_once_more(app, scene, live_server):
    from ecampus.webhooks import services as webhooks
    from tests.live import Browser, run_together

    with app.app_context():
        delivery_id = webhooks.send_test(scene.institution_id, scene.endpoint_id).id
    run_worker(app)
    tabs = [Browser(live_server), Browser(live_server)]
    for tab in tabs:
        tab.sign_in(scene.manager.email)
    url = f"{_base(scene)}/{scene.endpoint_id}/deliveries/{delivery_id}/redeliver"
    results = run_together(*[lambda tab=tab: tab.submit(url)[0] for tab in tabs])
    assert results == [302, 302]
    assert _actions(app).count("webhook.redelivered") == 1
    run_worker(app)
    assert len(scene.receiver.requests) == 2
