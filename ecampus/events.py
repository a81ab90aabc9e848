"""What happened to a learner, told to whoever listens, inside the transaction of the change.

The lower features call `emit` at the moment of the change (an enrolment created, a module
or course completed, an attempt graded, a certificate issued or revoked), before they
commit; the handlers listed in `Features.event_handlers` (the institutions' webhooks) add
their follow-up rows and jobs to that same transaction, so an event is told exactly when
its change commits and never when it rolls back. Lower features never import the
listeners: `features.py` wires them.

Every event has a stable id (`evt_...`), made here once, so whoever receives it more than
once can tell.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .timeutil import utcnow

#: The event types, and who emits each (payloads carry ids only).
ENROLLED = "enrolment.created"  # learning.enrol, learning.add_enrolments: user_id, course_id
MODULE_COMPLETED = "module.completed"  # learning.record_completion: user_id, course_id, module_id
COURSE_COMPLETED = "course.completed"  # learning._complete_if_done: user_id, course_id
QUIZ_GRADED = "quiz.graded"  # quizzes._grade: user_id, course_id, module_id, attempt_id, ...
CERTIFICATE_ISSUED = "certificate.issued"  # certificates._issue: user_id, course_id, code
CERTIFICATE_REVOKED = "certificate.revoked"  # certificates.revoke: user_id, course_id, code
EVENT_TYPES = (ENROLLED, MODULE_COMPLETED, COURSE_COMPLETED, QUIZ_GRADED, CERTIFICATE_ISSUED,
               CERTIFICATE_REVOKED)


@dataclass(frozen=True)
class Event:
    """One thing that happened: its stable id, type, time (naive UTC) and ids."""

    type: str
    data: dict[str, Any]
    id: str = field(default_factory=lambda: "evt_" + uuid.uuid4().hex)
    occurred_at: datetime = field(default_factory=utcnow)


def emit(event_type: str, payload: dict[str, Any]) -> None:
    """Tell the listeners of `event_type`, in the caller's transaction (the caller commits)."""
    emit_many(event_type, [payload])


def emit_many(event_type: str, payloads: Iterable[dict[str, Any]]) -> None:
    """One event per payload, handed to each listener in one call (a bulk enrolment)."""
    from .features import features  # the wiring module knows every feature: import late

    handlers = features().event_handlers
    if not handlers:
        return
    now = utcnow()
    events = [Event(event_type, dict(payload), occurred_at=now) for payload in payloads]
    if not events:
        return
    for handler in handlers:
        handler(events)
