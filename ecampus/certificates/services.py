"""Certificates: issued exactly once, rendered, verified by anyone, revoked or reissued.

Each public function owns its transaction, except `issue_on_completion`, which runs inside
learning's completion transaction. What a certificate says is fixed when it is issued, and
signed: the verification page, the PDF and the credential all read that record.

Issuing never takes a number from max+1: the status-list index and the code are random, and
their unique constraints decide a rare collision, retried in a SAVEPOINT; the unique
(user, course, sequence) makes a second issue find the first. A random index also tells
nobody when, or after whom, a certificate was issued. There are as many status lists as
needed: a new one opens when the newest holds `LIST_CAPACITY` certificates, half its bits,
so that a random draw finds a free bit at least every other time.

A certificate is written in one language, the one its course was taken in, and everything
it says (title, criteria, description, the PDF's labels) is in that language.
"""

from __future__ import annotations

import calendar
import copy
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, date

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import bindparam, exists, func, select, update
from sqlalchemy.exc import IntegrityError

from .. import events
from ..audit import record
from ..auth.models import User, normalise_name
from ..catalog.courseformat.model import DEFAULT_CERTIFICATE_TITLE
from ..catalog.models import Course
from ..extensions import db
from ..jobs import enqueue
from ..learning import services as learning
from ..timeutil import utcnow
from ..urls import public_url
from . import codes, look, vc, wording
from .models import REPLACED, REVOKED, VALID, Certificate
from .pdf import CertificateDocument, render_certificate_pdf
from .signing import published_keys, signing_key
from .wording import valid_until

STATUS_LIST_LENGTH = 131_072
#: Certificates per status list before the next list opens: half its bits stay free.
LIST_CAPACITY = STATUS_LIST_LENGTH // 2
#: The statuses whose bit is set in the revocation list.
SET_BIT_STATUSES = (REVOKED, REPLACED)
#: Draws of a random status index and code before giving up; each collision is rare.
ISSUE_ATTEMPTS = 40
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
    profile = vc.build_issuer_profile(who, keys)
    emblem = look.current_look().emblem
    if emblem is not None:  # Open Badges 3.0 Profile.image
        profile["image"] = {"id": public_url("certificates.look_image", part="emblem"),
                            "type": "Image"}
    return profile


def resolve_key(method_id: str):
    """The public key behind a verification method id of this issuer, current or rotated.

    The key is found by its multikey (``.../issuer/keys/z6Mk...``) among the keys this site
    has signed with, whatever public address the credential was issued under; the verifier
    separately checks that the method sits under the credential's issuer."""
    prefix, separator, multikey = method_id.rpartition("/keys/")
    if not separator or not prefix.startswith(("https://", "http://")):
        return None
    return published_keys().get(multikey)


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
    status_list = _open_status_list()
    for _attempt in range(ISSUE_ATTEMPTS):
        certificate = _new_certificate(user, course, sequence, key, status_list)
        try:
            with db.session.begin_nested():
                db.session.add(certificate)
        except IntegrityError:
            existing = _existing(user_id, course.id, sequence)
            if existing is not None:
                return existing, False
            continue  # the random status index or code was taken: draw again
        events.emit(events.CERTIFICATE_ISSUED, {"user_id": user_id, "course_id": course.id,
                                                "certificate_code": certificate.code})
        return certificate, True
    raise CertificateError("no free status index or code after several draws")


def _open_status_list() -> int:
    """The status list new certificates go to: the newest, or a new one when it is full.

    Two issuers that both see the newest list one short of full both use it; the capacity
    is a soft limit that keeps random draws cheap, the list's length the hard one."""
    newest = db.session.scalar(select(func.max(Certificate.status_list))) or 0
    used = db.session.scalar(select(func.count()).select_from(Certificate).where(
        Certificate.status_list == newest))
    return newest + 1 if used >= LIST_CAPACITY else newest


def status_list_url(number: int) -> str:
    """Where status list `number` is published (list 0 also at /issuer/status/revocation)."""
    return public_url("certificates.status_list", number=number)


def certificate_language(user: User, course: Course) -> str:
    """The language the course was taken in: the learner's if the course offers it."""
    return user.language if user.language in course.languages else course.base_language


def certificate_title(settings: dict, language: str) -> str:
    """The certificate's title in its language: the author's for that language if given,
    the author's own title, else the standard title translated."""
    titles = settings.get("titles") or {}
    if titles.get(language):
        return titles[language]
    title = settings.get("title")
    if title and title != DEFAULT_CERTIFICATE_TITLE:
        return title
    return _("Certificate of Completion")


def _new_certificate(user: User, course: Course, sequence: int, key,
                     status_list: int) -> Certificate:
    settings = course.certificate or {}
    language = certificate_language(user, course)
    text = course.text(language)
    now = utcnow().replace(microsecond=0)
    issued_on = now.date()
    months = settings.get("expires_after_months")
    expires_on = _add_months(issued_on, months) if months else None
    until = valid_until(expires_on)
    index = secrets.randbelow(STATUS_LIST_LENGTH)
    code = codes.new_code()
    credential_id = f"urn:uuid:{uuid.uuid4()}"
    with force_locale(language):
        criteria = _("Completed every required module of the course, passing its quizzes.")
        title = certificate_title(settings, language)
    credential = vc.build_credential(
        issuer=issuer(), learner_email=user.email, learner_name=normalise_name(user.full_name),
        course_url=public_url("catalog.course", slug=course.slug),
        course_title=text.title, course_description=text.summary, criteria=criteria,
        valid_from=now.replace(tzinfo=UTC), credential_id=credential_id,
        valid_until=until,
        status_list_url=status_list_url(status_list), status_index=index,
    )
    credential["credentialSubject"]["achievement"]["inLanguage"] = language
    signed = vc.sign_credential(credential, key, verification_method(key.public_key()))
    return Certificate(
        code=code, user_id=user.id, course_id=course.id, sequence=sequence,
        learner_name=normalise_name(user.full_name), course_title=text.title,
        certificate_title=title,
        course_version=course.version, hours=settings.get("hours"), language=language,
        issued_on=issued_on, expires_on=expires_on, status=VALID, status_list=status_list,
        status_index=index, credential_id=credential_id, credential=signed,
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


def warm_up() -> None:
    """Before a web worker serves: parse the fonts and set up fpdf2 by drawing a sample
    certificate, and process the bundled JSON-LD contexts by canonicalising a sample
    credential, both thrown away. The first learner to pass then waits for neither."""
    now = utcnow().replace(microsecond=0, tzinfo=UTC)
    sample = "https://campus.example/sample"
    render_certificate_pdf(CertificateDocument(
        learner_name="Sample", course_title="Sample", hours=1, issued_on=now.date(),
        expires_on=None, issuer_name="Sample", code="SAMPLE", verify_url=sample))
    vc.canonicalize(vc.build_credential(
        issuer=vc.Issuer(id=sample, name="Sample", url=sample), learner_email="a@example.org",
        learner_name="Sample", course_url=sample, course_title="Sample",
        course_description="Sample", criteria="Sample", valid_from=now,
        credential_id="urn:uuid:00000000-0000-4000-8000-000000000000",
        status_list_url=sample, status_index=0))


def pdf_for(certificate: Certificate) -> bytes:
    """The certificate's PDF, drawn from its record (same bytes every time)."""
    return render_certificate_pdf(CertificateDocument(
        learner_name=certificate.learner_name, course_title=certificate.course_title,
        hours=certificate.hours, issued_on=certificate.issued_on,
        expires_on=certificate.expires_on, issuer_name=current_app.config["ISSUER_NAME"],
        code=certificate.code, language=certificate.language,
        verify_url=public_url("certificates.verify", code=certificate.code),
        certificate_title=certificate.certificate_title, look=look.current_look(),
    ))


@dataclass(frozen=True)
class Facts:
    """A certificate's duration and dates as words, exactly as its PDF writes them."""

    duration: str | None
    issued_on: str
    valid_until: str | None


def facts_for(certificate: Certificate, language: str) -> Facts:
    """The duration and dates of a certificate written in `language` (the viewer's on the
    verification page, the certificate's own on the PDF), by the rules the PDF follows."""
    duration = None
    if certificate.hours:
        number = wording.format_number(certificate.hours, language)
        one = wording.hours_plural(certificate.hours, language) == "one"
        duration = (_("%(n)s hour", n=number) if one else _("%(n)s hours", n=number))
    return Facts(
        duration=duration, issued_on=wording.format_day(certificate.issued_on, language),
        valid_until=(wording.format_valid_until(certificate.expires_on, language)
                     if certificate.expires_on else None))


def revoke(code: str, reason: str) -> Certificate:
    """Revoke a certificate with a reason anyone checking it will see."""
    reason = (reason or "").strip()
    if not reason:
        raise CertificateError(_("Give the reason for the revocation."))
    certificate = _by_exact_code(code)
    was = certificate.status
    # A replaced certificate is already off the list, but an admin may still revoke it (for
    # fraud, say) so that its page gives that reason instead of pointing to its successor.
    revoked = db.session.execute(
        update(Certificate).where(Certificate.id == certificate.id,
                                  Certificate.status.in_((VALID, REPLACED)))
        .values(status=REVOKED, revoked_reason=reason[:1000], revoked_at=utcnow())).rowcount
    if revoked != 1:
        db.session.rollback()
        raise CertificateError(_("This certificate is already revoked."))
    events.emit(events.CERTIFICATE_REVOKED, {"user_id": certificate.user_id,
                                             "course_id": certificate.course_id,
                                             "certificate_code": certificate.code})
    record("certificate.revoked", target=("certificate", certificate.code),
           before={"status": was},
           after={"status": REVOKED, "reason": reason[:1000], "user_id": certificate.user_id})
    db.session.commit()
    db.session.refresh(certificate)
    return certificate


def reissue(code: str) -> Certificate:
    """Issue a new certificate with the learner's current name; the old one shows as replaced."""
    old = _by_exact_code(code)
    if old.status == REPLACED:
        raise CertificateError(_("This certificate was already replaced."))
    if old.status == REVOKED:
        raise CertificateError(_("A revoked certificate cannot be reissued."))
    # Claim the old certificate first: a second reissue of it waits here, then finds it taken.
    claimed = db.session.execute(
        update(Certificate).where(Certificate.id == old.id, Certificate.status == VALID)
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
    # Replaced means revoked: the old credential's bit is set, with the reason.
    db.session.execute(update(Certificate).where(Certificate.id == old.id).values(
        replaced_by_id=new.id, revoked_at=utcnow(), revoked_reason=f"replaced by {new.code}"))
    record("certificate.reissued", target=("certificate", old.code),
           before={"status": VALID}, after={"status": REPLACED, "replaced_by": new.code,
                                            "user_id": old.user_id})
    db.session.commit()
    return new


def _by_exact_code(code: str) -> Certificate:
    found = find_by_code(code)
    if found.certificate is None:
        raise CertificateError(found.problem)
    return found.certificate


def status_list_count() -> int:
    """How many status lists exist (always at least list 0)."""
    return (db.session.scalar(select(func.max(Certificate.status_list))) or 0) + 1


def status_list_credential(number: int, url: str | None = None) -> dict | None:
    """Signed revocation list `number`: one bit per certificate in it, set when it is revoked
    or replaced; None for a list that does not exist. `url` is the address it is served at,
    which the credentials that point to it name as its id."""
    if not 0 <= number < status_list_count():
        return None
    revoked = set(db.session.scalars(select(Certificate.status_index).where(
        Certificate.status_list == number, Certificate.status.in_(SET_BIT_STATUSES))))
    credential = vc.build_status_list_credential(
        issuer(), url or status_list_url(number), revoked, STATUS_LIST_LENGTH,
        valid_from=utcnow().replace(microsecond=0, tzinfo=UTC))
    key = signing_key()
    signed = vc.sign_credential(credential, key, verification_method(key.public_key()))
    db.session.commit()  # the key's first use records it
    return signed


_MISSING = object()


def changed_fields(presented, original, path: str = "") -> list[str]:
    """The JSON paths where a presented credential differs from the one issued."""
    return [path for path, _kind in _differences(presented, original, path)]


def _differences(presented, original, path: str = "") -> list[tuple[str, str]]:
    """(path, "altered" | "removed" | "added") for each difference, in key order."""
    if presented is _MISSING:
        return [(path, "removed")]
    if original is _MISSING:
        return [(path, "added")]
    if isinstance(presented, dict) and isinstance(original, dict):
        found = []
        for key in sorted(set(presented) | set(original)):
            found += _differences(presented.get(key, _MISSING), original.get(key, _MISSING),
                                  f"{path}.{key}" if path else key)
        return found
    if isinstance(presented, list) and isinstance(original, list) and len(presented) == len(
            original):
        found = []
        for index, (a, b) in enumerate(zip(presented, original, strict=True)):
            found += _differences(a, b, f"{path}[{index}]")
        return found
    return [] if presented == original else [(path, "altered")]


_DIFFERENCE_WORDS = {
    "altered": "altered field: {path} differs from the credential as issued",
    "removed": "removed block: {path} was in the credential as issued and is missing",
    "added": "added field: {path} was not in the credential as issued",
}


def verify_document(document: dict, resolve=None) -> tuple[vc.VerificationResult, list[str]]:
    """Check a credential file against this issuer's keys (or those `resolve` finds), and
    when it fails, say what differs from the record issued with the same credential id."""
    result = vc.verify_credential(document, resolve or resolve_key)
    altered: list[str] = []
    if not result.ok and isinstance(document, dict):
        original = _original_of(document)
        if original is None:
            if any("signature invalid" in error for error in result.errors):
                altered = [f"unknown credential: no certificate issued here has the id "
                           f"{document.get('id')!r}, so the altered field cannot be named"]
        else:
            altered = [_DIFFERENCE_WORDS[kind].format(path=path)
                       for path, kind in _differences(document, original)
                       if not path.startswith("proof")]
    return result, altered


def _original_of(document: dict) -> dict | None:
    """The credential as issued, found by the presented credential's id."""
    credential_id = document.get("id")
    if not isinstance(credential_id, str):
        return None
    stored = db.session.scalar(select(Certificate.credential).where(
        Certificate.credential_id == credential_id))
    return copy.deepcopy(stored) if stored else None


def dashboard_panel(user_id: int, entries) -> dict:
    """Certificate links for the learner's completed courses, in one query (none when no
    course is completed: a certificate is only issued at completion, which stays)."""
    from ..catalog.panels import Panel

    course_ids = [e.course.id for e in entries if e.progress.complete]
    if not course_ids:
        return {}
    rows = db.session.execute(_DASHBOARD_CERTIFICATES, {"user_id": user_id,
                                                        "course_ids": course_ids})
    panels = {c.course_id: Panel("certificates/_dashboard.html", {"certificate": c})
              for c in rows}
    for entry in entries:  # completed, certificate still being issued by its job
        if (entry.progress.complete and entry.course.certificate
                and entry.course.id not in panels):
            panels[entry.course.id] = Panel("certificates/_pending.html", {})
    return panels


#: What the dashboard shows of a certificate, as plain rows; built once.
_DASHBOARD_CERTIFICATES = (
    select(Certificate.course_id, Certificate.code, Certificate.status, Certificate.language,
           Certificate.course_title)
    .where(Certificate.user_id == bindparam("user_id"),
           Certificate.course_id.in_(bindparam("course_ids", expanding=True)),
           Certificate.replaced_by_id.is_(None)))


def codes_for(course_ids: list[int], user_ids) -> dict[tuple[int, int], str]:
    """The current certificate code of each (user_id, course_id), in one query.

    `user_ids` may be a list or a SELECT of user ids.
    """
    if not course_ids:
        return {}
    rows = db.session.execute(
        select(Certificate.user_id, Certificate.course_id, Certificate.code)
        .where(Certificate.course_id.in_(course_ids), Certificate.user_id.in_(user_ids),
               Certificate.replaced_by_id.is_(None))
    ).all()
    return {(r.user_id, r.course_id): r.code for r in rows}
