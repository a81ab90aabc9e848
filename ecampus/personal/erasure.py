"""Erasing an account: its personal data goes, the figures it counted in stay right.

One transaction. The account row stays (enrolments, completions and attempts point at it,
so reports and item analysis keep their counts) but says "Erased account" and can no longer
sign in. Every other row that belongs to the person and is not kept for figures is deleted,
found from the schema itself, so a table added later is covered without a change here.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy import Text, cast, delete, func, or_, select, update

from .. import audit
from ..auth import passwords
from ..auth.models import Role, SignupRequest, User, normalise_email
from ..catalog.models import Course, PublishRecord
from ..certificates.models import REVOKED, Certificate
from ..extensions import db
from ..institutions.models import CohortImport, CohortMember
from ..jobs.models import MailMessage
from ..timeutil import utcnow

#: The name an erased account keeps (stored data, like every name: pages show it as is).
ERASED_NAME = "Erased account"
#: The reason a verifier reads on an erased person's certificate.
ERASED_REASON = "holder requested erasure"
#: Rows kept, without personal data, because figures count them: progress, attempts (item
#: analysis), cohort and institution membership (report totals).
KEPT_FOR_FIGURES = frozenset({"enrolments", "module_completions", "attempts",
                              "cohort_members", "institution_members", "certificates"})
#: (table, JSON column) of stored API answers, replayed for a repeated request.
CACHED_REPLIES = (("api_idempotent_requests", "body"),)


class ErasureError(Exception):
    """An account that cannot be erased; the message says why."""


class WrongPassword(ErasureError):
    """The password typed to confirm an erasure is not the account's."""


def erased_email(user_id: int) -> str:
    """The address an erased account keeps: unique, and undeliverable by definition."""
    return f"erased-{user_id}@invalid"


def is_erased(user: User) -> bool:
    """Whether the account was erased (it keeps the address `erased_email` gives)."""
    return user.email == erased_email(user.id)


def check_erasable(user: User | None) -> User:
    """The account, if it may be erased; else ErasureError saying why not."""
    if user is None:
        raise ErasureError(_("That account does not exist."))
    if is_erased(user):
        raise ErasureError(_("This account is already erased."))
    if user.role == Role.ADMIN:
        raise ErasureError(_("An administrator's account cannot be erased. Remove its "
                             "administrator role first."))
    return user


def erase_own_account(user_id: int, password: str) -> None:
    """A person erases their own account, after typing their password again."""
    user = _lock_account(user_id)
    if user is None or not passwords.check(user.password_hash, password or ""):
        db.session.rollback()
        raise WrongPassword(_("That is not your password."))
    _erase(user)


def erase_account(user_id: int) -> None:
    """An admin erases an account (at its holder's request, say, sent by post)."""
    _erase(_lock_account(user_id))


def _lock_account(user_id: int) -> User | None:
    """Hold the account row until the transaction ends, so two erasures of one account run
    one after the other and the second finds it erased. On SQLite, a no-op UPDATE takes the
    database's write lock before anything is read (as learning.lock_enrolment does)."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(update(User).where(User.id == user_id).values(active=User.active)
                           .execution_options(synchronize_session=False))
    return db.session.scalar(select(User).where(User.id == user_id).with_for_update()
                             .execution_options(populate_existing=True))


def _erase(user: User | None) -> None:
    """Remove or anonymise everything that names the person, in one commit, and audit it.

    Accounts an admin merged into this one are the same person's: they are erased too.
    """
    try:
        check_erasable(user)
    except ErasureError:
        db.session.rollback()
        raise
    for account in [user, *_merged_into(user.id)]:
        _anonymise(account)
        audit.record("user.erased", target=("user", account.id))
    db.session.commit()


def _merged_into(user_id: int) -> list[User]:
    """Every account merged into this one, directly or through another merged account."""
    found: list[User] = []
    ids = [user_id]
    while ids:
        merged = list(db.session.scalars(select(User).where(
            User.merged_into_id.in_(ids), User.id.not_in([user_id, *(u.id for u in found)]))))
        found += [u for u in merged if not is_erased(u)]
        ids = [u.id for u in merged]
    return found


def _anonymise(user: User) -> None:
    email, name = user.email, user.full_name
    names = [value for value in {name, email} if value]
    anonymous_email = erased_email(user.id)

    _delete_owned_rows(user.id)
    db.session.execute(delete(SignupRequest).where(
        SignupRequest.email == normalise_email(email)))
    db.session.execute(delete(MailMessage).where(or_(
        func.lower(MailMessage.recipient) == email.lower(),
        *(_mentions(column, value) for column in (MailMessage.subject, MailMessage.body)
          for value in names))))
    _delete_cached_replies(email)
    db.session.execute(update(CohortMember).where(CohortMember.user_id == user.id)
                       .values(external_id=None))
    _scrub_imports(email, anonymous_email)
    _scrub_publishing(user.id, email, name)
    _revoke_certificates(user.id)

    user.full_name = ERASED_NAME
    user.email = anonymous_email
    user.password_hash = None
    user.active = False
    user.last_login_at = None


def _delete_cached_replies(email: str) -> None:
    """API answers kept to replay a repeated request (another person's token) may list the
    person: they are only a cache, so those naming the address go."""
    for table_name, column_name in CACHED_REPLIES:
        table = db.metadata.tables.get(table_name)
        if table is not None:
            db.session.execute(delete(table).where(
                cast(table.c[column_name], Text).contains(email, autoescape=True)))


def _mentions(column, value: str):
    """SQL: `column` contains `value`, ignoring case (SQLite's lower() knows only ASCII, so
    the exact spelling is matched too)."""
    return or_(column.contains(value, autoescape=True),
               func.lower(column).contains(value.lower(), autoescape=True))


def _delete_owned_rows(user_id: int) -> None:
    """Delete every row whose owner is the account (a foreign key to users that cascades),
    except those kept for figures: sessions, mailed links, invitations, notices, archives,
    API tokens, and whatever such table comes next."""
    for table in reversed(db.metadata.sorted_tables):
        if table.name in KEPT_FOR_FIGURES:
            continue
        for key in table.foreign_keys:
            if key.column.table.name == "users" and (key.ondelete or "").upper() == "CASCADE":
                db.session.execute(delete(table).where(key.parent == user_id))


def _scrub_imports(email: str, anonymous_email: str) -> None:
    """Replace the person in the stored rows of CSV imports (kept for their previews)."""
    found = db.session.scalars(select(CohortImport).where(
        cast(CohortImport.rows, Text).contains(email, autoescape=True)))
    for record in found:
        names = {row.get("full_name") for row in record.rows
                 if normalise_email(row.get("email", "")) == email} - {None, ""}
        record.rows = [
            {**row, "email": anonymous_email, "full_name": ERASED_NAME, "external_id": None}
            if normalise_email(row.get("email", "")) == email else row
            for row in record.rows]
        record.problems = [_scrub_problem(problem, {email, *names})
                           for problem in record.problems]


def _scrub_problem(problem: dict, values: Iterable[str]) -> dict:
    params = problem.get("params") or {}
    hidden = {key: ("…" if isinstance(value, str) and any(
        v.lower() in value.lower() for v in values) else value)
        for key, value in params.items()}
    return {**problem, "params": hidden}


def _scrub_publishing(user_id: int, email: str, name: str) -> None:
    """Forget the person as a course's publisher and owner."""
    db.session.execute(update(PublishRecord).where(or_(
        PublishRecord.actor_user_id == user_id,
        func.lower(PublishRecord.actor_email) == email.lower())).values(actor_email=None))
    db.session.execute(update(PublishRecord).where(or_(
        *(_mentions(PublishRecord.commit_author, value) for value in (name, email) if value)
    )).values(commit_author=None))
    for course in db.session.scalars(select(Course).where(or_(
            cast(Course.owners, Text).contains(email, autoescape=True),
            cast(Course.authors, Text).contains(email, autoescape=True)))):
        course.owners = [o for o in course.owners if normalise_email(o) != email]
        course.authors = [a for a in course.authors if normalise_email(a) != email]


def _revoke_certificates(user_id: int) -> None:
    """Revoke the person's certificates for good and forget what named them: the verify page
    then says "revoked" with the reason and no name, and no credential is left to serve."""
    db.session.execute(update(Certificate).where(Certificate.user_id == user_id).values(
        status=REVOKED, revoked_reason=ERASED_REASON,
        revoked_at=func.coalesce(Certificate.revoked_at, utcnow()),
        learner_name="", credential={}))
