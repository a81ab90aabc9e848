"""Deliveries through the real worker to a real receiver: signed, retried, given up, and the
endpoint turned off when it keeps failing; addresses inside the network refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from ecampus.audit.models import AuditEntry
from ecampus.extensions import db
from ecampus.timeutil import utcnow
from ecampus.webhooks import delivery as http
from ecampus.webhooks import services as webhooks
from ecampus.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.webhooks.conftest import run_worker


def _test_event(app, scene) -> int:
    with app.app_context():
        return webhooks.send_test(scene.institution_id, scene.endpoint_id).id


def _delivery(app, delivery_id: int) -> WebhookDelivery:
    with app.app_context():
        delivery = db.session.get(WebhookDelivery, delivery_id)
        db.session.expunge(delivery)
        return delivery


def _endpoint(app, endpoint_id: int) -> WebhookEndpoint:
    with app.app_context():
        endpoint = db.session.get(WebhookEndpoint, endpoint_id)
        db.session.expunge(endpoint)
        return endpoint


def test_the_signature_verifies_with_the_endpoint_secret(app, scene):
    _test_event(app, scene)
    run_worker(app)
    [request] = scene.receiver.requests
    payload = Webhook(scene.secret).verify(request.body, request.headers)
    assert payload["type"] == "webhook.test"
    assert request.headers["webhook-id"] == payload["id"]
    assert request.headers["webhook-signature"].startswith("v1,")
    assert abs(int(request.headers["webhook-timestamp"]) - utcnow().timestamp()) < 3600 * 24


def test_the_signature_does_not_verify_with_another_secret(app, scene):
    _test_event(app, scene)
    run_worker(app)
    [request] = scene.receiver.requests
    with pytest.raises(WebhookVerificationError):
        Webhook(webhooks.new_secret()).verify(request.body, request.headers)


def test_a_changed_body_does_not_verify(app, scene):
    _test_event(app, scene)
    run_worker(app)
    [request] = scene.receiver.requests
    with pytest.raises(WebhookVerificationError):
        Webhook(scene.secret).verify(request.body.replace(b"webhook.test", b"webhook.tesT"),
                                     request.headers)


def test_a_failed_attempt_is_retried_then_delivered_with_the_same_id(app, scene):
    scene.receiver.answer(500, body="try later")
    delivery_id = _test_event(app, scene)
    run_worker(app)
    first, second = scene.receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    delivery = _delivery(app, delivery_id)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 2,
                                                                                200)


def test_a_failed_attempt_waits_for_the_queues_backoff(app, scene, monkeypatch):
    monkeypatch.setitem(app.config, "JOB_RETRY_BASE_SECONDS", 10)
    scene.receiver.answer(503, body="busy")
    delivery_id = _test_event(app, scene)
    run_worker(app)
    delivery = _delivery(app, delivery_id)
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.last_status_code == 503 and delivery.last_response == "busy"
    wait = delivery.next_attempt_at - utcnow()
    assert timedelta(seconds=8) < wait <= timedelta(seconds=13)
    assert len(scene.receiver.requests) == 1


def test_a_delivery_is_given_up_after_its_attempts(app, scene):
    scene.receiver.default = (500, "down", 0)
    delivery_id = _test_event(app, scene)
    run_worker(app)
    delivery = _delivery(app, delivery_id)
    assert delivery.status == "failed"
    assert delivery.attempts == webhooks.DELIVERY_ATTEMPTS
    assert len(scene.receiver.requests) == webhooks.DELIVERY_ATTEMPTS


def test_a_redirect_is_not_followed(app, scene):
    scene.receiver.default = (302, "", 0)
    delivery_id = _test_event(app, scene)
    with app.app_context():
        db.session.execute(db.update(WebhookDelivery).values(attempts=7))
        db.session.commit()
    run_worker(app)
    assert [r.path for r in scene.receiver.requests] == ["/hooks"]
    assert _delivery(app, delivery_id).last_status_code == 302


def test_a_long_answer_is_cut_when_stored(app, scene):
    scene.receiver.answer(200, body="x" * 50_000)
    delivery_id = _test_event(app, scene)
    run_worker(app)
    assert len(_delivery(app, delivery_id).last_response) == http.RESPONSE_KEPT


def test_a_receiver_that_does_not_answer_in_time_fails_the_attempt(app, scene, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_TIMEOUT_SECONDS", 1)
    monkeypatch.setitem(app.config, "JOB_RETRY_BASE_SECONDS", 10)
    scene.receiver.answer(200, delay=2)
    delivery_id = _test_event(app, scene)
    run_worker(app)
    delivery = _delivery(app, delivery_id)
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.last_error == "The receiver did not answer in time."


def test_an_endpoint_failing_again_and_again_is_turned_off_and_managers_told(
        app, scene, monkeypatch, outbox):
    monkeypatch.setitem(app.config, "WEBHOOK_DISABLE_AFTER", 2)
    scene.receiver.default = (500, "down", 0)
    _test_event(app, scene)
    run_worker(app)
    assert _endpoint(app, scene.endpoint_id).active
    _test_event(app, scene)
    run_worker(app)
    endpoint = _endpoint(app, scene.endpoint_id)
    assert not endpoint.active and endpoint.disabled_reason == "failures"
    [mail] = list(outbox.glob("*.eml"))
    text = mail.read_text()
    assert scene.manager.email in text
    assert f"/institutions/{scene.institution_id}/webhooks/{scene.endpoint_id}" in text
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "webhook.disabled"))
        assert entry.institution_id == scene.institution_id and entry.actor_id is None


def test_a_success_between_failures_starts_the_count_again(app, scene, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_DISABLE_AFTER", 2)
    scene.receiver.answer(*[500] * webhooks.DELIVERY_ATTEMPTS)
    _test_event(app, scene)
    run_worker(app)
    _test_event(app, scene)  # delivered
    run_worker(app)
    scene.receiver.answer(*[500] * webhooks.DELIVERY_ATTEMPTS)
    _test_event(app, scene)
    run_worker(app)
    endpoint = _endpoint(app, scene.endpoint_id)
    assert endpoint.active and endpoint.consecutive_failures == 1


def test_redelivery_sends_the_same_event_id_again(app, scene):
    delivery_id = _test_event(app, scene)
    run_worker(app)
    with app.app_context():
        webhooks.redeliver(scene.institution_id, scene.endpoint_id, delivery_id)
    run_worker(app)
    first, second = scene.receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body


def test_a_pending_delivery_cannot_be_redelivered(app, scene):
    delivery_id = _test_event(app, scene)
    with app.app_context(), pytest.raises(webhooks.WebhookError):
        webhooks.redeliver(scene.institution_id, scene.endpoint_id, delivery_id)


def test_a_rotated_secret_signs_the_next_attempts(app, scene):
    _test_event(app, scene)
    with app.app_context():
        secret = webhooks.rotate_secret(scene.institution_id, scene.endpoint_id)
    run_worker(app)
    [request] = scene.receiver.requests
    Webhook(secret).verify(request.body, request.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(scene.secret).verify(request.body, request.headers)


# --- addresses inside the network ---------------------------------------------------------

@pytest.mark.parametrize("url", [
    "http://hooks.example.org/in", "ftp://hooks.example.org/in", "https://localhost/in",
    "https://127.0.0.1/in", "https://10.1.2.3/in", "https://192.168.0.9/in",
    "https://169.254.169.254/latest/meta-data", "https://[::1]/in", "https://[fd00::1]/in",
    "https://[::ffff:127.0.0.1]/in", "https://user:pw@hooks.example.org/in",
    "https://hooks.example.org/in#part", "https:///in", "https://hooks.example.org:99999/",
    "https://hooks.example.org/a b", "",
])
def test_production_refuses_addresses_that_are_not_public_https(url):
    with pytest.raises(http.AddressRefused):
        http.check_url(url, allow_private=False)


def test_a_public_https_address_is_accepted():
    assert http.check_url(" https://hooks.example.org/in?x=1 ", allow_private=False) == \
        "https://hooks.example.org/in?x=1"


def test_a_name_that_resolves_to_loopback_is_refused():
    with pytest.raises(http.AddressRefused, match="private or local"):
        http.resolve("localhost", 443, allow_private=False)


def test_the_setting_allows_http_on_loopback():
    assert http.check_url("http://127.0.0.1:8000/in", allow_private=True)
    assert http.resolve("localhost", 80, allow_private=True)


def test_adding_a_loopback_endpoint_is_refused_in_production(app, scene, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE_URLS", False)
    with app.app_context(), pytest.raises(webhooks.WebhookError, match="https://"):
        webhooks.add_endpoint(scene.institution_id, scene.receiver.url, ["course.completed"])


def test_a_delivery_to_a_loopback_address_is_refused_at_once(app, scene, monkeypatch):
    delivery_id = _test_event(app, scene)
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE_URLS", False)
    run_worker(app)
    assert scene.receiver.requests == []
    delivery = _delivery(app, delivery_id)
    assert delivery.status == "failed" and delivery.attempts == 1
    assert delivery.last_error.startswith("Refused")


def test_purge_deletes_old_finished_deliveries_only(app, scene, monkeypatch, runner):
    monkeypatch.setitem(app.config, "JOB_RETRY_BASE_SECONDS", 10)
    old = _test_event(app, scene)
    run_worker(app)
    fresh = _test_event(app, scene)
    run_worker(app)
    scene.receiver.answer(500)
    pending = _test_event(app, scene)
    run_worker(app)
    with app.app_context():
        db.session.execute(db.update(WebhookDelivery).where(WebhookDelivery.id.in_([old, pending]))
                           .values(created_at=utcnow() - timedelta(days=31)))
        db.session.commit()
    result = runner.invoke(args=["purge"])
    assert "webhook_deliveries: 1 deleted" in result.output, result.output
    with app.app_context():
        assert db.session.get(WebhookDelivery, old) is None
        assert db.session.get(WebhookDelivery, fresh) is not None
        assert db.session.get(WebhookDelivery, pending).status == "pending"


def test_an_https_endpoint_that_does_not_speak_tls_fails_the_attempt(app, scene, monkeypatch):
    monkeypatch.setitem(app.config, "JOB_RETRY_BASE_SECONDS", 10)
    with app.app_context():
        endpoint, _secret = webhooks.add_endpoint(
            scene.institution_id, scene.receiver.url.replace("http://", "https://"),
            ["course.completed"])
        delivery_id = webhooks.send_test(scene.institution_id, endpoint.id).id
    run_worker(app)
    delivery = _delivery(app, delivery_id)
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.last_error.startswith("The connection failed")
