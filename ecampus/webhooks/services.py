"""Webhooks: an institution's endpoints, the events owed to them, and their delivery.

An event (`ecampus.events.emit`, in the transaction of the change) becomes one delivery row
and one `webhooks.deliver` job per active endpoint of each institution the learner belongs
to, in that same transaction. The job posts the signed body outside any transaction; a
failed attempt is tried again with the queue's backoff, up to DELIVERY_ATTEMPTS, and an
endpoint whose deliveries keep failing is turned off, its managers told by mail.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
from datetime import UTC
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update

from .. import audit
from ..auth.models import Role, User
from ..catalog.models import Course, Module
from ..database import insert_ignoring_duplicates, per_transaction
from ..events import EVENT_TYPES, Event
from ..extensions import db
from ..institutions.models import (
    Cohort,
    CohortMember,
    Institution,
    InstitutionManager,
    InstitutionMember,
)
from ..jobs import enqueue
from ..jobs.worker import retry_delay
from ..mail import Letter, queue_letters
from ..timeutil import utcnow
from . import delivery as http
from .models import DELIVERED, FAILED, PENDING, WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

DELIVER_JOB = "webhooks.deliver"
#: The event a manager sends with "Send a test event"; no endpoint subscribes to it.
TEST_EVENT = "webhook.test"
#: Attempts of one delivery before it is given up (the queue's own limit).
DELIVERY_ATTEMPTS = 8
DELIVERIES_PAGE_SIZE = 50
MAX_ENDPOINTS = 20


class WebhookError(Exception):
    """A request about webhooks that cannot be carried out; the message is for the manager."""


class NotFound(WebhookError):
    pass


# --- who may act -------------------------------------------------------------------------

def institution_for(user, institution_id: int) -> Institution:
    """The institution, if `user` may manage its webhooks: an admin, or one of its managers.
    Anyone else learns nothing of it (NotFound)."""
    institution = db.session.get(Institution, institution_id)
    if institution is not None and not user.has_role(Role.ADMIN):
        managed = db.session.scalar(select(InstitutionManager.institution_id)
                                    .where(InstitutionManager.user_id == user.id))
        if managed != institution_id:
            institution = None
    if institution is None:
        raise NotFound(_("There is no such institution."))
    return institution


def find_institution(name_or_id: str) -> Institution:
    """An institution by id or exact name, for the command line."""
    statement = select(Institution).where(Institution.name == name_or_id.strip())
    if name_or_id.strip().isdigit():
        statement = select(Institution).where(Institution.id == int(name_or_id))
    institution = db.session.scalar(statement)
    if institution is None:
        raise NotFound(_("There is no such institution."))
    return institution


# --- endpoints ---------------------------------------------------------------------------

def _settings() -> dict:
    config = current_app.config
    return {"allow_private": bool(config["WEBHOOK_ALLOW_PRIVATE_URLS"]),
            "timeout": config["WEBHOOK_TIMEOUT_SECONDS"],
            "disable_after": config["WEBHOOK_DISABLE_AFTER"]}


def new_secret() -> str:
    """A signing secret in the Standard Webhooks form: `whsec_` and 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _checked(url: str, events) -> tuple[str, list[str]]:
    try:
        url = http.check_url(url, allow_private=_settings()["allow_private"])
    except http.AddressRefused as error:
        raise WebhookError(_("This address cannot receive events: %(reason)s.",
                             reason=_refusal(str(error)))) from None
    if len(url) > 2000:
        raise WebhookError(_("This address is too long."))
    chosen = [event for event in EVENT_TYPES if event in set(events or ())]
    if not chosen or len(chosen) != len(set(events)):
        raise WebhookError(_("Choose at least one of the events listed."))
    return url, chosen


def _refusal(reason: str) -> str:
    """The reasons of ecampus.webhooks.delivery, in the manager's language."""
    return {
        "it is not a valid address": _("it is not a valid address"),
        "it must start with https://": _("it must start with https://"),
        "it has no host name": _("it has no host name"),
        "it must not contain a user name or password":
            _("it must not contain a user name or password"),
        "it must not contain spaces, control characters or a fragment":
            _("it must not contain spaces, control characters or a fragment"),
        "it points to a private or local address": _("it points to a private or local address"),
    }.get(reason, reason)


def add_endpoint(institution_id: int, url: str, events, description: str = "",
                 actor_id: int | None = None) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint for some events; returns it with its secret, which is shown
    this once (the receiver verifies signatures with it)."""
    url, chosen = _checked(url, events)
    if db.session.get(Institution, institution_id) is None:
        raise NotFound(_("There is no such institution."))
    count = db.session.scalar(select(func.count()).select_from(WebhookEndpoint)
                              .where(WebhookEndpoint.institution_id == institution_id))
    if count >= MAX_ENDPOINTS:
        db.session.rollback()
        raise WebhookError(_("An institution may have at most %(count)d endpoints.",
                             count=MAX_ENDPOINTS))
    secret = new_secret()
    endpoint = WebhookEndpoint(institution_id=institution_id, url=url, events=chosen,
                               description=" ".join((description or "").split())[:200],
                               secret=secret, active=True, created_by=actor_id,
                               consecutive_failures=0)
    db.session.add(endpoint)
    db.session.flush()
    audit.record("webhook.created", target=("webhook_endpoint", endpoint.id),
                 institution_id=institution_id, actor_id=actor_id,
                 after={"url": url, "events": chosen})
    db.session.commit()
    return endpoint, secret


def list_endpoints(institution_id: int) -> list[WebhookEndpoint]:
    """An institution's endpoints, oldest first."""
    return list(db.session.scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.institution_id == institution_id).order_by(WebhookEndpoint.id)))


def get_endpoint(institution_id: int, endpoint_id: int) -> WebhookEndpoint:
    """One of the institution's endpoints, or NotFound (another institution's included)."""
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.institution_id != institution_id:
        raise NotFound(_("There is no such endpoint."))
    return endpoint


def delete_endpoint(institution_id: int, endpoint_id: int, actor_id: int | None = None) -> None:
    """Remove an endpoint and its deliveries; its jobs still queued then find nothing."""
    endpoint = get_endpoint(institution_id, endpoint_id)
    audit.record("webhook.deleted", target=("webhook_endpoint", endpoint.id),
                 institution_id=institution_id, actor_id=actor_id,
                 before={"url": endpoint.url, "events": endpoint.events})
    db.session.execute(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
    db.session.delete(endpoint)
    db.session.commit()


def rotate_secret(institution_id: int, endpoint_id: int, actor_id: int | None = None) -> str:
    """Give an endpoint a new secret (shown this once); later attempts are signed with it."""
    endpoint = get_endpoint(institution_id, endpoint_id)
    secret = new_secret()
    endpoint.secret = secret
    audit.record("webhook.secret_rotated", target=("webhook_endpoint", endpoint.id),
                 institution_id=institution_id, actor_id=actor_id)
    db.session.commit()
    return secret


def set_active(institution_id: int, endpoint_id: int, active: bool,
               actor_id: int | None = None) -> WebhookEndpoint:
    """Turn an endpoint off, or on again (its count of failures starts afresh)."""
    endpoint = get_endpoint(institution_id, endpoint_id)
    changed = db.session.execute(
        update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint.id,
                                      WebhookEndpoint.active.is_(not active))
        .values(active=active, consecutive_failures=0,
                disabled_reason=None if active else "manager",
                disabled_at=None if active else utcnow())
        .execution_options(synchronize_session=False)).rowcount
    if changed:
        audit.record("webhook.enabled" if active else "webhook.disabled",
                     target=("webhook_endpoint", endpoint.id), institution_id=institution_id,
                     actor_id=actor_id, before={"active": not active}, after={"active": active})
    db.session.commit()
    db.session.refresh(endpoint)
    return endpoint


def send_test(institution_id: int, endpoint_id: int,
              actor_id: int | None = None) -> WebhookDelivery:
    """Queue a `webhook.test` event to one endpoint, to check the receiver end to end."""
    endpoint = get_endpoint(institution_id, endpoint_id)
    if not endpoint.active:
        raise WebhookError(_("Turn the endpoint on before sending it a test event."))
    event = Event(TEST_EVENT, {"institution_id": institution_id})
    rows = _insert_deliveries([(endpoint.id, event, {"institution_id": institution_id})])
    audit.record("webhook.test_sent", target=("webhook_endpoint", endpoint.id),
                 institution_id=institution_id, actor_id=actor_id)
    db.session.commit()
    return db.session.get(WebhookDelivery, rows[0])


def redeliver(institution_id: int, endpoint_id: int, delivery_id: int,
              actor_id: int | None = None) -> WebhookDelivery:
    """Send a delivered or failed event again, with the same id and a fresh count of
    attempts; a delivery still pending is left to its own attempts."""
    endpoint = get_endpoint(institution_id, endpoint_id)
    if not endpoint.active:
        raise WebhookError(_("Turn the endpoint on before sending events to it again."))
    changed = db.session.execute(
        update(WebhookDelivery).where(WebhookDelivery.id == delivery_id,
                                      WebhookDelivery.endpoint_id == endpoint.id,
                                      WebhookDelivery.status != PENDING)
        .values(status=PENDING, attempts=0, next_attempt_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount
    if not changed:
        db.session.rollback()
        delivery = db.session.get(WebhookDelivery, delivery_id)
        if delivery is None or delivery.endpoint_id != endpoint.id:
            raise NotFound(_("There is no such delivery."))
        raise WebhookError(_("This delivery is still being attempted."))
    enqueue(DELIVER_JOB, {"delivery_id": delivery_id}, key=f"{DELIVER_JOB}:{delivery_id}")
    audit.record("webhook.redelivered", target=("webhook_delivery", delivery_id),
                 institution_id=institution_id, actor_id=actor_id)
    db.session.commit()
    return db.session.get(WebhookDelivery, delivery_id)


def deliveries_page(endpoint_id: int, page: int) -> tuple[list[WebhookDelivery], int]:
    """One page of an endpoint's deliveries, newest first, and how many there are."""
    total = db.session.scalar(select(func.count()).select_from(WebhookDelivery)
                              .where(WebhookDelivery.endpoint_id == endpoint_id))
    rows = db.session.scalars(
        select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(DELIVERIES_PAGE_SIZE).offset((page - 1) * DELIVERIES_PAGE_SIZE))
    return list(rows), total


# --- events -> deliveries ----------------------------------------------------------------

def handle_events(events: list[Event]) -> None:
    """Event handler (Features.event_handlers): a delivery and a job per subscribed active
    endpoint of each institution the learner belongs to, in the caller's transaction."""
    types = {event.type for event in events}
    endpoints = [(endpoint_id, institution_id) for endpoint_id, institution_id, subscribed
                 in per_transaction(db.session, "webhooks.active_endpoints", _active_endpoints)
                 if types & subscribed]
    if not endpoints:
        return
    institutions = {institution_id for _endpoint, institution_id in endpoints}
    users = sorted({event.data["user_id"] for event in events})
    members = _membership(users, institutions)
    if not members:
        return
    courses = _slugs(Course, {e.data.get("course_id") for e in events} - {None})
    modules = _slugs(Module, {e.data.get("module_id") for e in events} - {None})
    rows = []
    for event in events:
        for endpoint_id, institution_id in endpoints:
            seen = members.get((institution_id, event.data["user_id"]))
            if seen is not None:
                rows.append((endpoint_id, event, _data(event, seen, courses, modules)))
    _insert_deliveries(rows)


def _active_endpoints() -> list[tuple[int, int, frozenset[str]]]:
    """(endpoint, institution, event types) of every active endpoint; read once for all the
    events of one change (a quiz pass tells four)."""
    return [(endpoint_id, institution_id, frozenset(subscribed or ()))
            for endpoint_id, institution_id, subscribed in db.session.execute(
                select(WebhookEndpoint.id, WebhookEndpoint.institution_id,
                       WebhookEndpoint.events).where(WebhookEndpoint.active.is_(True)))]


def _membership(users: list[int], institutions: set[int]) -> dict[tuple[int, int], dict]:
    """(institution, user) -> what that institution knows of the learner: its staff number
    and its cohorts; only for members of the institution."""
    found: dict[tuple[int, int], dict] = {}
    for start in range(0, len(users), 2000):
        chunk = users[start:start + 2000]
        for institution_id, user_id in db.session.execute(
                select(InstitutionMember.institution_id, InstitutionMember.user_id).where(
                    InstitutionMember.user_id.in_(chunk),
                    InstitutionMember.institution_id.in_(institutions))):
            found[(institution_id, user_id)] = {"external_id": None, "cohort_ids": []}
        for institution_id, user_id, cohort_id, external_id in db.session.execute(
                select(Cohort.institution_id, CohortMember.user_id, Cohort.id,
                       CohortMember.external_id)
                .join(Cohort, Cohort.id == CohortMember.cohort_id)
                .where(CohortMember.user_id.in_(chunk), Cohort.institution_id.in_(institutions))
                .order_by(Cohort.id)):
            seen = found.get((institution_id, user_id))
            if seen is not None:
                seen["cohort_ids"].append(cohort_id)
                seen["external_id"] = seen["external_id"] or external_id
    return found


def _slugs(model, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(select(model.id, model.slug).where(model.id.in_(ids))).all())


#: What each event's data may carry besides the learner and the course, as given by emit.
_EXTRA = ("module_id", "attempt_id", "score", "passed", "certificate_code")


def _data(event: Event, seen: dict, courses: dict, modules: dict) -> dict[str, Any]:
    """The event as this institution may see it: ids, its own staff number and cohorts."""
    data: dict[str, Any] = {"user_id": event.data["user_id"],
                            "external_id": seen["external_id"],
                            "cohort_ids": list(seen["cohort_ids"])}
    course_id = event.data.get("course_id")
    if course_id is not None:
        data.update(course_id=course_id, course=courses.get(course_id))
    for name in _EXTRA:
        if name in event.data:
            data[name] = event.data[name]
    if "module_id" in data:
        data["module"] = modules.get(data["module_id"])
    return data


def _insert_deliveries(rows: list[tuple[int, Event, dict]]) -> list[int]:
    """Insert deliveries (one per endpoint and event) and queue a job for each new one."""
    if not rows:
        return []
    now = utcnow()
    values = [{"endpoint_id": endpoint_id, "event_id": event.id, "event_type": event.type,
               "payload": {"id": event.id, "type": event.type,
                           "timestamp": event.occurred_at.replace(tzinfo=UTC)
                           .isoformat(timespec="seconds").replace("+00:00", "Z"),
                           "data": data},
               "status": PENDING, "attempts": 0, "created_at": now, "next_attempt_at": now}
              for endpoint_id, event, data in rows]
    ids = []
    for start in range(0, len(values), 1000):
        ids += [row[0] for row in insert_ignoring_duplicates(
            WebhookDelivery.__table__, values[start:start + 1000],
            conflict=["endpoint_id", "event_id"], returning=[WebhookDelivery.__table__.c.id])]
    for delivery_id in ids:
        enqueue(DELIVER_JOB, {"delivery_id": delivery_id}, key=f"{DELIVER_JOB}:{delivery_id}")
    return ids


# --- the job -----------------------------------------------------------------------------

def deliver(delivery_id: int) -> str | None:
    """The `webhooks.deliver` job: one attempt of one delivery; returns its new status.

    The post happens outside any transaction. A failure is tried again with the queue's
    backoff (a new job with its `run_after`), so the page can say when; the last failure
    gives the delivery up and counts against the endpoint.
    """
    row = db.session.execute(
        select(WebhookDelivery.payload, WebhookDelivery.event_id, WebhookDelivery.status,
               WebhookEndpoint.url, WebhookEndpoint.secret, WebhookEndpoint.active)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.id == delivery_id)).first()
    db.session.commit()  # no transaction stays open while the receiver answers
    if row is None or row.status != PENDING:
        return None
    if not row.active:
        return _record(delivery_id, None, _("The endpoint was turned off."), final=True)
    settings = _settings()
    body = json.dumps(row.payload, separators=(",", ":"), ensure_ascii=False).encode()
    timestamp = utcnow().replace(tzinfo=UTC)
    headers = http.signed_headers(row.secret, row.event_id, timestamp, body)
    try:
        answer = http.post(row.url, body, headers, allow_private=settings["allow_private"],
                           connect_timeout=settings["timeout"],
                           read_timeout=settings["timeout"])
    except http.AddressRefused as error:
        return _record(delivery_id, None, _("Refused: %(reason)s.", reason=_refusal(str(error))),
                       final=True)
    except OSError as error:
        return _record(delivery_id, None, _describe(error))
    return _record(delivery_id, answer, None if answer.ok else
                   _("The receiver answered %(status)d.", status=answer.status))


def _describe(error: OSError) -> str:
    if isinstance(error, TimeoutError):
        return _("The receiver did not answer in time.")
    if isinstance(error, ConnectionRefusedError):
        return _("The receiver refused the connection.")
    return _("The connection failed: %(error)s", error=str(error)[:300])


def _record(delivery_id: int, answer: http.Answer | None, error: str | None, *,
            final: bool = False) -> str:
    """Write down one attempt; on failure queue the next one, or give up and count it."""
    now = utcnow()
    delivery = db.session.get(WebhookDelivery, delivery_id, with_for_update=True)
    if delivery is None or delivery.status != PENDING:
        db.session.rollback()
        return delivery.status if delivery else FAILED
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.last_status_code = answer.status if answer else None
    delivery.last_response = answer.body if answer else None
    delivery.last_error = error[:500] if error else None
    if error is None:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = DELIVERED, now, None
        db.session.execute(update(WebhookEndpoint)
                           .where(WebhookEndpoint.id == delivery.endpoint_id)
                           .values(consecutive_failures=0))
    elif final or delivery.attempts >= DELIVERY_ATTEMPTS:
        delivery.status, delivery.next_attempt_at = FAILED, None
        _count_failure(delivery.endpoint_id)
    else:
        delivery.next_attempt_at = now + retry_delay(delivery.attempts)
        enqueue(DELIVER_JOB, {"delivery_id": delivery_id}, key=f"{DELIVER_JOB}:{delivery_id}",
                run_after=delivery.next_attempt_at)
    status = delivery.status
    db.session.commit()
    return status


def _count_failure(endpoint_id: int) -> None:
    """One more delivery given up in a row; at WEBHOOK_DISABLE_AFTER the endpoint turns off
    (once: a conditional UPDATE) and its institution's managers are told."""
    db.session.execute(update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id)
                       .values(consecutive_failures=WebhookEndpoint.consecutive_failures + 1))
    limit = _settings()["disable_after"]
    turned_off = db.session.execute(
        update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id,
                                      WebhookEndpoint.active.is_(True),
                                      WebhookEndpoint.consecutive_failures >= limit)
        .values(active=False, disabled_reason="failures", disabled_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount
    if not turned_off:
        return
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    db.session.refresh(endpoint)
    audit.record("webhook.disabled", target=("webhook_endpoint", endpoint_id),
                 institution_id=endpoint.institution_id, before={"active": True},
                 after={"active": False, "reason": "failures",
                        "consecutive_failures": endpoint.consecutive_failures})
    _tell_managers(endpoint)


def _tell_managers(endpoint: WebhookEndpoint) -> None:
    """Mail the institution's managers, each in their language, that an endpoint is off."""
    from ..urls import public_url

    managers = db.session.execute(
        select(User.id, User.email, User.language)
        .join(InstitutionManager, InstitutionManager.user_id == User.id)
        .where(InstitutionManager.institution_id == endpoint.institution_id)).all()
    link = public_url("webhooks.endpoint", institution_id=endpoint.institution_id,
                      endpoint_id=endpoint.id)
    letters = []
    for user_id, email, language in managers:
        with force_locale(language or "en"):
            letters.append(Letter(
                email, _("A webhook endpoint was turned off"),
                render_template("webhooks/email/disabled.txt", endpoint=endpoint, link=link),
                f"webhooks.disabled:{endpoint.id}:{endpoint.disabled_at:%Y%m%d%H%M%S}:{user_id}"))
    queue_letters(letters)

