"""Certificates: issued exactly once, rendered, verified by anyone, revoked or reissued.

Each public function owns its transaction, except `issue_on_completion`, which runs inside
learning's completion transaction. What a certificate says is fixed when it is issued, and
signed: the verification page, the PDF and the credential all read that record.

Issuing never takes a number from max+1: the status-list index and the code are random, and
their unique constraints decide a rare collision, retried in a SAVEPOINT; the unique
(user, course, sequence) makes a second issue find the first. A random index also tells
nobody when, or after whom, a certificate was issued.
"""

from __future__ import annotations

import calendar
import copy
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import exists, func, select, update
from sqlalchemy.exc import IntegrityError

from ..auth.models import User
from ..catalog.models import Course
from ..extensions import db
from ..jobs import enqueue
from ..learning import services as learning
from ..timeutil import utcnow
from ..urls import public_url
from . import codes, vc
from .models import REPLACED, REVOKED, VALID, Certificate
from .pdf import CertificateDocument, render_certificate_pdf
from .signing import published_keys, signing_key

STATUS_LIST_LENGTH = 131_072
#: Draws of a random status index and code before giving up; each collision is rare.
ISSUE_ATTEMPTS = 20
#: The job that issues a certificate whose issue failed in the completion's transaction.
ISSUE_JOB = "certificates.issue"

log = logging.getLogger(__name__)


class CertificateError(Exception):
    """A certificate operation that cannot be done; the message is for the person asking."""


def issuer() -> vc.Issuer:
    return vc.Issuer(id=public_url("certificates.issuer_profile"),
                     name=current_app.config["ISSUER_NAME"], url=public_url("main.home"))


def verification_method(public_key) -> str:
    return f"{issuer().id}/keys/{vc.public_multikey(public_key)}"


def issuer_profile() -> dict:
    """The issuer profile with every key that has signed, for anyone to verify with."""
    who = issuer()
    keys = {f"{who.id}/keys/{multikey}": key for multikey, key in published_keys().items()}
    return vc.build_issuer_profile(who, keys)


def resolve_key(method_id: str):
    """The public key behind a verification method id of this issuer, current or rotated."""
    prefix = f"{issuer().id}/keys/"
    if not method_id.startswith(prefix):
        return None
    return published_keys().get(method_id[len(prefix):])


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def issue_certificate(user_id: int, course_id: int, *, sequence: int = 1) -> Certificate | None:
    """Issue the course's certificate to a learner once; later calls return the same one."""
    course = db.session.get(Course, course_id)
    if course is None or not course.certificate:
        return None
    learning.lock_enrolment(user_id, course_id)
    certificate, _created = _issue(user_id, course, sequence)
    db.session.commit()
    return certificate


def issue_on_completion(*, user_id: int, course_id: int) -> None:
    """Course completion handler: issue the certificate in the completion's own transaction.

    Signing runs in a SAVEPOINT: if anything fails, only the certificate is undone, a
    `certificates.issue` job is queued in the same transaction, and the completion commits;
    the learner sees a normal page and the job (or `issue_missing_certificates`) issues it.
    """
    course = db.session.get(Course, course_id)
    if course is None or not course.certificate:
        return
    try:
        with db.session.begin_nested():
            _issue(user_id, course, 1)
    except Exception:  # noqa: BLE001 - any failure is retried by the job, never shown
        log.exception("Certificate of user %s for course %s not issued; queued a retry",
                      user_id, course_id)
        enqueue(ISSUE_JOB, {"user_id": user_id, "course_id": course_id},
                key=f"{ISSUE_JOB}:{user_id}:{course_id}")


def issue_pending(user_id: int, course_id: int) -> Certificate | None:
    """The `certificates.issue` job: issue a completed course's missing certificate (or find
    the one issued meanwhile). Raises when it fails, so the queue retries with backoff."""
    course = db.session.get(Course, course_id)
    if course is None or not course.certificate:
        return None
    enrolment = learning.lock_enrolment(user_id, course_id)
    if enrolment is None or enrolment.completed_at is None:
        db.session.rollback()
        return None
    certificate, _created = _issue(user_id, course, 1)
    db.session.commit()
    return certificate


def missing_certificates() -> list[tuple[int, int]]:
    """(user_id, course_id) of every completion in a certificate course that has no
    certificate: what `issue_missing_certificates` issues (and `ecampus doctor` lists)."""
    course_ids = [course_id for course_id, settings in db.session.execute(
        select(Course.id, Course.certificate)) if settings]
    if not course_ids:
        return []
    completed = learning.completed_enrolments(course_ids).subquery()
    return [tuple(row) for row in db.session.execute(
        select(completed.c.user_id, completed.c.course_id).where(~exists().where(
            Certificate.user_id == completed.c.user_id,
            Certificate.course_id == completed.c.course_id))
        .order_by(completed.c.course_id, completed.c.user_id))]


def issue_missing_certificates() -> int:
    """Issue the certificate of every completion in a certificate course that has none (a
    signing failure whose job gave up); idempotent, returns how many it issued."""
    count = 0
    for user_id, course_id in missing_certificates():
        course = db.session.get(Course, course_id)
        try:
            learning.lock_enrolment(user_id, course_id)
            _certificate, created = _issue(user_id, course, 1)
            db.session.commit()
        except Exception:  # noqa: BLE001 - one learner's failure must not stop the others
            db.session.rollback()
            log.exception("Certificate of user %s for course %s still not issued",
                          user_id, course_id)
            continue
        count += created
    return count


def _existing(user_id: int, course_id: int, sequence: int) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(
        Certificate.user_id == user_id, Certificate.course_id == course_id,
        Certificate.sequence == sequence))


def _issue(user_id: int, course: Course, sequence: int) -> tuple[Certificate, bool]:
    """Sign and insert a certificate in the caller's transaction; (certificate, created).

    One that already has this sequence is returned instead: the unique (user, course,
    sequence) is the backstop when two transactions issue at once.
    """
    existing = _existing(user_id, course.id, sequence)
    if existing is not None:
        return existing, False
    user = db.session.get(User, user_id)
    key = signing_key()
    for _attempt in range(ISSUE_ATTEMPTS):
        certificate = _new_certificate(user, course, sequence, key)
        try:
            with db.session.begin_nested():
                db.session.add(certificate)
        except IntegrityError:
            existing = _existing(user_id, course.id, sequence)
            if existing is not None:
                return existing, False
            continue  # the random status index or code was taken: draw again
        return certificate, True
    raise CertificateError("no free status index or code after several draws")


def _new_certificate(user: User, course: Course, sequence: int, key) -> Certificate:
    settings = course.certificate or {}
    language = user.language if user.language in course.languages else course.base_language
    text = course.text(language)
    now = utcnow().replace(microsecond=0)
    issued_on = now.date()
    months = settings.get("expires_after_months")
    expires_on = _add_months(issued_on, months) if months else None
    index = secrets.randbelow(STATUS_LIST_LENGTH)
    code = codes.new_code()
    credential = vc.build_credential(
        issuer=issuer(), learner_email=user.email, learner_name=user.full_name,
        course_url=public_url("catalog.course", slug=course.slug),
        course_title=text.title, course_description=text.summary,
        criteria=_("Completed every required module of the course, passing its quizzes."),
        valid_from=now.replace(tzinfo=UTC),
        valid_until=(datetime.combine(expires_on, time(), tzinfo=UTC) if expires_on else None),
        status_list_url=public_url("certificates.status_list"), status_index=index,
    )
    signed = vc.sign_credential(credential, key, verification_method(key.public_key()))
    return Certificate(
        code=code, user_id=user.id, course_id=course.id, sequence=sequence,
        learner_name=user.full_name, course_title=text.title,
        certificate_title=settings.get("title") or _("Certificate of Completion"),
        course_version=course.version, hours=settings.get("hours"), language=language,
        issued_on=issued_on, expires_on=expires_on, status=VALID, status_index=index,
        credential=signed,
    )


@dataclass(frozen=True)
class Lookup:
    """The result of looking a typed code up: a certificate, or why there is none."""

    certificate: Certificate | None
    problem: str | None = None


def find_by_code(text: str) -> Lookup:
    """Check a typed code before any lookup, then find its certificate."""
    try:
        code = codes.normalise_code(text)
    except codes.InvalidCode as error:
        return Lookup(None, _code_message(error))
    certificate = db.session.scalar(select(Certificate).where(Certificate.code == code))
    if certificate is None:
        return Lookup(None, _("No certificate has the code %(code)s. Check it against the "
                              "printed certificate.", code=code))
    return Lookup(certificate)


def _code_message(error: codes.InvalidCode) -> str:
    if error.kind == codes.InvalidCodeKind.LENGTH:
        return _("A certificate code has %(expected)d characters; you typed %(typed)d.",
                 expected=codes.CODE_LENGTH, typed=error.typed_length or 0)
    if error.kind == codes.InvalidCodeKind.CHARACTER:
        return _("“%(char)s” cannot appear in a certificate code. Codes use digits and "
                 "capital letters only.", char=error.character)
    return _("This code contains a typing mistake: one of its characters is wrong. Check it "
             "against the printed certificate.")


def certificates_for(user_id: int) -> list[Certificate]:
    return list(db.session.scalars(select(Certificate).where(
        Certificate.user_id == user_id).order_by(Certificate.issued_on.desc())))


def pdf_for(certificate: Certificate) -> bytes:
    """The certificate's PDF, drawn from its record (same bytes every time)."""
    return render_certificate_pdf(CertificateDocument(
        learner_name=certificate.learner_name, course_title=certificate.course_title,
        hours=certificate.hours, issued_on=certificate.issued_on,
        expires_on=certificate.expires_on, issuer_name=current_app.config["ISSUER_NAME"],
        code=certificate.code, language=certificate.language,
        verify_url=public_url("certificates.verify", code=certificate.code),
        certificate_title=certificate.certificate_title,
    ))


def revoke(code: str, reason: str) -> Certificate:
    """Revoke a certificate with a reason anyone checking it will see."""
    reason = (reason or "").strip()
    if not reason:
        raise CertificateError(_("Give the reason for the revocation."))
    certificate = _by_exact_code(code)
    if certificate.status != VALID:
        raise CertificateError(_("Only a valid certificate can be revoked."))
    certificate.status, certificate.revoked_reason = REVOKED, reason[:1000]
    certificate.revoked_at = utcnow()
    db.session.commit()
    return certificate


def reissue(code: str) -> Certificate:
    """Issue a new certificate with the learner's current name; the old one shows as replaced."""
    old = _by_exact_code(code)
    if old.status == REPLACED:
        raise CertificateError(_("This certificate was already replaced."))
    # Claim the old certificate first: a second reissue of it waits here, then finds it taken.
    claimed = db.session.execute(
        update(Certificate).where(Certificate.id == old.id, Certificate.status != REPLACED)
        .values(status=REPLACED)).rowcount
    if claimed != 1:
        db.session.rollback()
        raise CertificateError(_("This certificate was already replaced."))
    # The learner's certificates of the course are locked, then their highest sequence read
    # by a later statement, so that it sees a reissue that committed while this one waited.
    db.session.execute(select(Certificate.id).where(
        Certificate.user_id == old.user_id, Certificate.course_id == old.course_id)
        .with_for_update())
    highest = db.session.scalar(select(func.max(Certificate.sequence)).where(
        Certificate.user_id == old.user_id, Certificate.course_id == old.course_id))
    new, _created = _issue(old.user_id, db.session.get(Course, old.course_id), highest + 1)
    db.session.execute(update(Certificate).where(Certificate.id == old.id)
                       .values(replaced_by_id=new.id))
    db.session.commit()
    return new


def _by_exact_code(code: str) -> Certificate:
    found = find_by_code(code)
    if found.certificate is None:
        raise CertificateError(found.problem)
    return found.certificate


def status_list_credential() -> dict:
    """The signed revocation list: one bit per certificate, set when it is revoked."""
    revoked = set(db.session.scalars(select(Certificate.status_index).where(
        Certificate.status == REVOKED)))
    credential = vc.build_status_list_credential(
        issuer(), public_url("certificates.status_list"), revoked, STATUS_LIST_LENGTH,
        valid_from=utcnow().replace(microsecond=0, tzinfo=UTC))
    key = signing_key()
    signed = vc.sign_credential(credential, key, verification_method(key.public_key()))
    db.session.commit()  # the key's first use records it
    return signed


def changed_fields(presented: dict, original: dict, path: str = "") -> list[str]:
    """The JSON paths where a presented credential differs from the one issued."""
    if isinstance(presented, dict) and isinstance(original, dict):
        fields = []
        for key in sorted(set(presented) | set(original)):
            fields += changed_fields(presented.get(key), original.get(key),
                                     f"{path}.{key}" if path else key)
        return fields
    if isinstance(presented, list) and isinstance(original, list) and len(presented) == len(
            original):
        fields = []
        for index, (a, b) in enumerate(zip(presented, original, strict=True)):
            fields += changed_fields(a, b, f"{path}[{index}]")
        return fields
    return [] if presented == original else [path]


def verify_document(document: dict) -> tuple[vc.VerificationResult, list[str]]:
    """Check a credential file offline against this issuer's keys, and name what was altered
    when the issuer still holds the original."""
    result = vc.verify_credential(document, resolve_key)
    altered: list[str] = []
    if not result.ok and isinstance(document, dict):
        original = _original_of(document)
        if original is not None:
            altered = [f for f in changed_fields(document, original) if not f.startswith("proof")]
    return result, altered


def _original_of(document: dict) -> dict | None:
    status = (document.get("credentialStatus") or {})
    index = status.get("statusListIndex") if isinstance(status, dict) else None
    try:
        index = int(index)
    except (TypeError, ValueError):
        return None
    stored = db.session.scalar(select(Certificate.credential).where(
        Certificate.status_index == index))
    return copy.deepcopy(stored) if stored else None


def dashboard_panel(user_id: int, entries) -> dict:
    """Certificate links for the learner's completed courses, in one query."""
    from ..catalog.panels import Panel

    course_ids = [e.course.id for e in entries]
    if not course_ids:
        return {}
    rows = db.session.scalars(select(Certificate).where(
        Certificate.user_id == user_id, Certificate.course_id.in_(course_ids),
        Certificate.status != REPLACED))
    panels = {c.course_id: Panel("certificates/_dashboard.html", {"certificate": c})
              for c in rows}
    for entry in entries:  # completed, certificate still being issued by its job
        if (entry.progress.complete and entry.course.certificate
                and entry.course.id not in panels):
            panels[entry.course.id] = Panel("certificates/_pending.html", {})
    return panels


def codes_for(course_ids: list[int], user_ids) -> dict[tuple[int, int], str]:
    """The current certificate code of each (user_id, course_id), in one query.

    `user_ids` may be a list or a SELECT of user ids.
    """
    if not course_ids:
        return {}
    rows = db.session.execute(
        select(Certificate.user_id, Certificate.course_id, Certificate.code)
        .where(Certificate.course_id.in_(course_ids), Certificate.user_id.in_(user_ids),
               Certificate.status != REPLACED)
    ).all()
    return {(r.user_id, r.course_id): r.code for r in rows}
