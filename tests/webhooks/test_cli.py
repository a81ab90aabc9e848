"""`ecampus webhooks add|list|delete|prune` through the real command line."""

from __future__ import annotations

import re

from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from ecampus.extensions import db
from ecampus.webhooks.models import WebhookEndpoint
from tests.webhooks.conftest import run_worker


def test_add_prints_the_secret_that_signs_the_events(app, scene, runner):
    result = runner.invoke(args=["webhooks", "add", "Ministry of Transport",
                                 scene.receiver.url + "/cli", "--event", "course.completed"])
    assert result.exit_code == 0, result.output
    secret = re.search(r"whsec_\S+", result.output).group(0)
    with app.app_context():
        endpoint = db.session.scalar(select(WebhookEndpoint).where(
            WebhookEndpoint.url == scene.receiver.url + "/cli"))
        assert endpoint.events == ["course.completed"]
        from ecampus.webhooks import services as webhooks

        webhooks.send_test(scene.institution_id, endpoint.id)
    run_worker(app)
    [request] = [r for r in scene.receiver.requests if r.path == "/hooks/cli"]
    Webhook(secret).verify(request.body, request.headers)


def test_add_without_events_subscribes_to_every_event(app, scene, runner):
    result = runner.invoke(args=["webhooks", "add", str(scene.institution_id),
                                 "https://hooks.example.org/all"])
    assert result.exit_code == 0, result.output
    assert "enrolment.created" in result.output and "certificate.revoked" in result.output


def test_add_for_an_unknown_institution_fails(runner, scene):
    result = runner.invoke(args=["webhooks", "add", "Ministry of Nothing",
                                 "https://hooks.example.org/x"])
    assert result.exit_code == 2
    assert "There is no institution" in result.output


def test_add_refuses_an_unknown_event(runner, scene):
    result = runner.invoke(args=["webhooks", "add", "Ministry of Transport",
                                 "https://hooks.example.org/x", "--event", "user.deleted"])
    assert result.exit_code == 2


def test_list_and_delete(app, scene, runner):
    listed = runner.invoke(args=["webhooks", "list", "Ministry of Transport"])
    assert listed.output.startswith(f"{scene.endpoint_id}\ton\t{scene.receiver.url}")
    deleted = runner.invoke(args=["webhooks", "delete", "Ministry of Transport",
                                  str(scene.other_endpoint_id)])
    assert deleted.exit_code == 2  # another institution's endpoint
    deleted = runner.invoke(args=["webhooks", "delete", "Ministry of Transport",
                                  str(scene.endpoint_id)])
    assert deleted.exit_code == 0
    assert runner.invoke(args=["webhooks", "list", "Ministry of Transport"]).output == ""
