"""Outgoing mail through a durable outbox: queued in the caller's transaction, sent by the
worker's "mail.send" job over SMTP, or written to MAIL_OUTBOX when no SMTP server is set.

A message is marked sent only after the SMTP server accepted it. A worker that dies half-way
through a batch leaves those messages queued; the next run sends them again with the same
Message-ID, so a rare duplicate is recognisable as one message. Nothing is sent from a web
request.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import delete, func, insert, select, update

from .database import insert_ignoring_duplicates, skip_locked_ids
from .extensions import db
from .jobs import enqueue
from .jobs.models import FAILED, QUEUED, SENT, Job, MailMessage
from .timeutil import utcnow
from .urls import public_url

log = logging.getLogger(__name__)

SEND_JOB = "mail.send"
#: Messages one run of the "mail.send" job claims and sends over one SMTP connection.
BATCH_SIZE = 200
#: Accepted messages are recorded as sent in groups this size.
MARK_EVERY = 20
#: After this many temporary failures a message is given up as failed (see `ecampus doctor`).
MAX_ATTEMPTS = 10
#: Rows per INSERT when many messages are queued at once.
INSERT_CHUNK = 2000


@dataclass(frozen=True)
class Letter:
    """One message to queue: who, what, and an optional idempotency key."""

    to: str
    subject: str
    body: str
    key: str | None = None


def queue_mail(to: str, subject: str, body: str, *, key: str | None = None) -> None:
    """Queue one message in the caller's transaction; it is sent once that commits.

    `key`, when given, makes queueing idempotent: a second message with the same key is not
    queued again. Every feature sends mail through this function, never from a web request.
    """
    queue_letters([Letter(to, subject, body, key)])


def queue_letters(letters: Iterable[Letter]) -> None:
    """Queue many messages in the caller's transaction with a few multi-row INSERTs."""
    now = utcnow()
    domain = message_domain()
    rows = [{"key": letter.key, "message_id": make_msgid(domain=domain),
             "recipient": letter.to, "subject": letter.subject, "body": letter.body,
             "status": QUEUED, "attempts": 0, "created_at": now} for letter in letters]
    if not rows:
        return
    keyed = [row for row in rows if row["key"] is not None]
    plain = [row for row in rows if row["key"] is None]
    for start in range(0, len(keyed), INSERT_CHUNK):
        insert_ignoring_duplicates(MailMessage.__table__, keyed[start:start + INSERT_CHUNK],
                                   conflict=["key"])
    for start in range(0, len(plain), INSERT_CHUNK):
        db.session.execute(insert(MailMessage), plain[start:start + INSERT_CHUNK])
    enqueue(SEND_JOB, {}, key=SEND_JOB)


def message_domain() -> str:
    """The public host name, the right-hand side of every Message-ID this site makes."""
    return urlsplit(public_url("main.home")).hostname or "localhost"


def send_queued_mail(batch_size: int | None = None) -> int:
    """The "mail.send" job: claim a batch, send it over one connection; returns how many
    the server accepted. Leaves a follow-up job whenever queued messages remain."""
    size = batch_size or int(current_app.config.get("MAIL_BATCH_SIZE", BATCH_SIZE))
    claimed = _claim(size)
    _ensure_follow_up(exclude=[message.id for message in claimed])
    db.session.commit()
    if not claimed:
        return 0
    accepted: list[int] = []
    sent = 0
    try:
        with _transport() as transport:
            for message in claimed:
                try:
                    transport(_email(message))
                except smtplib.SMTPResponseException as refused:
                    _refused(message, refused)
                    continue
                except smtplib.SMTPRecipientsRefused as refused:
                    _refused(message, next(iter(refused.recipients.values()), (550, b""))[0])
                    continue
                accepted.append(message.id)
                sent += 1
                if len(accepted) >= MARK_EVERY:
                    _mark_sent(accepted)
                    accepted = []
    except (OSError, smtplib.SMTPException):
        # The connection failed: what was accepted is kept, the rest goes back to the queue,
        # and this job alone retries with backoff (the follow-up queued above would retry at
        # once, hammering a server that is down).
        _mark_sent(accepted)
        unsent = [m.id for m in claimed if m.id not in set(accepted)]
        db.session.execute(update(MailMessage).where(MailMessage.id.in_(unsent),
                                                     MailMessage.status == QUEUED)
                           .values(locked_until=None))
        db.session.execute(delete(Job).where(Job.kind == SEND_JOB, Job.status == QUEUED))
        db.session.commit()
        raise
    _mark_sent(accepted)
    _ensure_follow_up(exclude=[])
    db.session.commit()
    return sent


def send_queued_mail_now() -> tuple[int, int]:
    """Send the whole queue from this process (the cohorts' `send-notices` command, a cron
    job without a worker); returns (sent, still queued)."""
    from .jobs.worker import run_pending_jobs

    enqueue(SEND_JOB, {}, key=SEND_JOB)
    db.session.commit()
    before = db.session.scalar(select(func.count()).where(MailMessage.status == SENT))
    run_pending_jobs()
    sent = db.session.scalar(select(func.count()).where(MailMessage.status == SENT)) - before
    unsent = db.session.scalar(select(func.count()).where(MailMessage.status == QUEUED))
    return sent, unsent


def _claim(size: int) -> list[MailMessage]:
    """Lease a batch of due messages; SKIP LOCKED on PostgreSQL, serialised on SQLite."""
    now = utcnow()
    due = (MailMessage.status == QUEUED) & (
        MailMessage.locked_until.is_(None) | (MailMessage.locked_until < now))
    lease = int(current_app.config.get("JOB_LEASE_SECONDS", 300))
    ids = skip_locked_ids(select(MailMessage.id).where(due).order_by(MailMessage.id)
                          .limit(size))
    rows = db.session.execute(
        update(MailMessage).where(MailMessage.id.in_(ids), due)
        .values(locked_until=now + timedelta(seconds=lease), attempts=MailMessage.attempts + 1)
        .returning(MailMessage.id, MailMessage.message_id, MailMessage.recipient,
                   MailMessage.subject, MailMessage.body, MailMessage.created_at,
                   MailMessage.attempts)
        .execution_options(synchronize_session=False)).all()
    return sorted(rows, key=lambda row: row.id)


def _ensure_follow_up(exclude: Sequence[int]) -> None:
    """Make sure a "mail.send" job will run when the next queued message becomes due."""
    next_due = db.session.execute(
        select(func.count(), func.min(MailMessage.locked_until))
        .where(MailMessage.status == QUEUED, MailMessage.id.not_in(exclude))).one()
    count, earliest_lock = next_due
    if not count:
        return
    waiting = db.session.scalar(select(func.count()).where(
        MailMessage.status == QUEUED, MailMessage.locked_until.is_(None),
        MailMessage.id.not_in(exclude)))
    now = utcnow()
    when = now if waiting or earliest_lock is None or earliest_lock < now else earliest_lock
    enqueue(SEND_JOB, {}, key=SEND_JOB, run_after=when)


def _mark_sent(ids: list[int]) -> None:
    """Record accepted messages, dropping their bodies: a sent invitation link is not kept."""
    if not ids:
        return
    db.session.execute(update(MailMessage).where(MailMessage.id.in_(ids))
                       .values(status=SENT, sent_at=utcnow(), locked_until=None, body="",
                               last_error=None))
    db.session.commit()


def _refused(message, code_or_error) -> None:
    """A refusal of one message: 5xx is final, 4xx is retried later with backoff."""
    code = getattr(code_or_error, "smtp_code", code_or_error)
    error = str(code_or_error)[-2000:]
    final = int(code) >= 500 or message.attempts >= MAX_ATTEMPTS
    delay = timedelta(seconds=min(60 * 2 ** message.attempts, 6 * 3600))
    db.session.execute(update(MailMessage).where(MailMessage.id == message.id).values(
        last_error=f"{code} {error}", status=FAILED if final else QUEUED,
        locked_until=None if final else utcnow() + delay))
    db.session.commit()
    log.warning("Mail %s to %s refused: %s %s", message.id, message.recipient, code, error)


def _email(message) -> EmailMessage:
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_SENDER"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Message-ID"] = message.message_id
    email["Date"] = format_datetime(message.created_at.replace(tzinfo=UTC))
    email.set_content(message.body)
    return email


class _transport:
    """One SMTP connection for a whole batch, or the MAIL_OUTBOX folder without a server."""

    def __enter__(self):
        config = current_app.config
        self.smtp = None
        if not config["MAIL_SERVER"]:
            outbox = Path(config["MAIL_OUTBOX"])
            outbox.mkdir(parents=True, exist_ok=True)
            return lambda email: _write(outbox, email)
        self.smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30)
        if config["MAIL_USE_TLS"]:
            self.smtp.starttls()
        if config["MAIL_USERNAME"]:
            self.smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        return self.smtp.send_message

    def __exit__(self, *exc) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self.smtp.close()


def _write(outbox: Path, email: EmailMessage) -> None:
    """Development: one .eml file per message, named by its Message-ID (a resend overwrites)."""
    name = email["Message-ID"].strip("<>").replace("@", "_") + ".eml"
    (outbox / name).write_bytes(bytes(email))
    log.info("Mail to %s written to %s (no MAIL_SERVER configured)", email["To"], outbox / name)
