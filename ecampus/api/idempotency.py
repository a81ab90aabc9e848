"""`Idempotency-Key` on POSTs: a retried request answers what the first one did, once.

The key's row is inserted (flushed) at the start of the request, in the transaction the
service then commits, so the change and the claim on the key commit together; a concurrent
duplicate waits on the unique (token, key) constraint, fails to insert, and replays the
stored answer once the first request has written it.
"""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta

from flask import current_app, json, request
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..timeutil import utcnow
from .models import IdempotentRequest
from .problems import abort_problem

HEADER = "Idempotency-Key"
#: How long a key is remembered.
KEEP = timedelta(hours=24)
#: How long a duplicate waits for the first request's answer before answering 409.
WAIT_SECONDS = 10
#: Answer headers kept with the answer.
KEPT_HEADERS = ("Location",)


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for part in (request.method, request.path, request.query_string):
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def claim(token_id: int):
    """Before a POST's work: None to go ahead (the key is now held, or none was sent), or
    the stored answer of the first request with this key."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not 1 <= len(key) <= 255 or not key.isprintable():
        abort_problem(400, "The Idempotency-Key must be 1 to 255 printable characters.")
    fingerprint = _fingerprint()
    now = utcnow()
    db.session.execute(delete(IdempotentRequest).where(
        IdempotentRequest.token_id == token_id, IdempotentRequest.key == key,
        IdempotentRequest.created_at < now - KEEP))
    db.session.add(IdempotentRequest(token_id=token_id, key=key, fingerprint=fingerprint,
                                     created_at=now))
    try:
        db.session.flush()  # holds the key (PostgreSQL: the unique index entry; SQLite: the
        return None         # write lock) until this request's transaction ends
    except IntegrityError:
        db.session.rollback()
    return _replay(token_id, key, fingerprint)


def _replay(token_id: int, key: str, fingerprint: str):
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        stored = db.session.scalar(select(IdempotentRequest).where(
            IdempotentRequest.token_id == token_id, IdempotentRequest.key == key)
            .execution_options(populate_existing=True))
        db.session.rollback()  # a fresh snapshot for the next look
        if stored is None:
            abort_problem(409, "A request with this Idempotency-Key failed meanwhile: send it "
                               "again.")
        if stored.fingerprint != fingerprint:
            abort_problem(422, "This Idempotency-Key was used for a different request.")
        if stored.status is not None:
            response = current_app.response_class(
                json.dumps(stored.body), status=stored.status,
                mimetype="application/json" if stored.status < 400
                else "application/problem+json")
            for name, value in (stored.headers or {}).items():
                response.headers[name] = value
            response.headers["Idempotent-Replayed"] = "true"
            return response
        if time.monotonic() > deadline:
            abort_problem(409, "A request with this Idempotency-Key is still being processed.")
        time.sleep(0.05)


def store(token_id: int, response) -> None:
    """After a POST's work: keep its answer with the key (a committed change only; a
    request that failed before committing left no key behind)."""
    key = request.headers.get(HEADER)
    if key is None or response.status_code >= 500:
        return
    try:
        body = json.loads(response.get_data()) if response.get_data() else None
    except ValueError:
        return
    row = db.session.scalar(select(IdempotentRequest).where(
        IdempotentRequest.token_id == token_id, IdempotentRequest.key == key))
    if row is None:  # the service rolled back: nothing was applied, nothing to replay
        db.session.rollback()
        return
    if row.status is None:
        row.status = response.status_code
        row.body = body
        row.headers = {h: response.headers[h] for h in KEPT_HEADERS if h in response.headers}
    db.session.commit()
