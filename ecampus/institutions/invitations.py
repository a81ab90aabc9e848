"""Who a manager may reach: the members of their institution, and the invitations that ask
an existing account to become one.

An address without an account becomes a member of the institution that creates it: it is
put in the cohort and enrolled at once, so its courses wait for it, and is mailed a link to
choose a password. An account that already exists but does not belong to the institution is
only invited: it joins the cohort (is enrolled) when the person accepts while signed in as
that account. Until either has answered (chosen the password, or accepted), the manager sees
both the same way: as invited, with a `CohortInvitation` row, and nothing of their learning.
So whatever the manager reads, adding an address never tells whether it has an account
elsewhere. Like `membership`, everything here runs a fixed handful of statements per
thousand people and leaves the commit to the caller.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.orm import aliased, selectinload

from ..audit import record
from ..auth.models import Role, User
from ..auth.services import INVITE, revoke_tokens
from ..catalog.models import Course
from ..database import insert_ignoring_duplicates
from ..extensions import db
from ..i18n import count
from ..jobs import enqueue
from ..mail import Letter, queue_letters
from ..textsearch import fold, person_key, query_words
from ..timeutil import utcnow
from ..urls import public_url
from . import membership
from .csvfile import Person
from .models import (
    Cohort,
    CohortCourse,
    CohortInvitation,
    CohortMember,
    CohortNotice,
    InstitutionMember,
)

#: Where an address stands towards a cohort and its institution. WAITING: an account the
#: institution created whose password was never chosen, not in this cohort.
NEW, OUTSIDE, INVITED, INSTITUTION, COHORT = "new", "outside", "invited", "institution", "cohort"
WAITING = "waiting"
#: A second add or a resend sooner than this mails nothing: a double submission is harmless.
RESEND_AFTER = timedelta(minutes=10)
INVITED_PAGE_SIZE = 100


class InvitationError(Exception):
    """An invitation that cannot be answered or sent; the message is for the person acting,
    `status` the HTTP status that fits."""

    def __init__(self, message: str, status: int = 404):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Standing:
    """An address's place: NEW (no account), OUTSIDE the institution, INVITED to the cohort
    and not answered yet, member of the INSTITUTION, created by it but WAITING for its
    password, or already in the COHORT."""

    kind: str
    user_id: int | None = None
    invitation_id: int | None = None


@dataclass
class Outcome:
    """What adding people did, in the manager's words: a new address and an account from
    outside the institution are both simply "invited"."""

    invited: int = 0
    enrolled: int = 0
    already_invited: int = 0
    #: Of those already invited, how many were mailed again (the last mail was not recent).
    reminded: int = 0
    unchanged: int = 0

    def counts(self) -> dict[str, int]:
        return {"invited": self.invited, "enrolled": self.enrolled,
                "already_invited": self.already_invited, "reminded": self.reminded,
                "unchanged": self.unchanged}


@dataclass(frozen=True)
class InvitedEntry:
    """A person invited to a cohort, as the manager sees them: the name the manager gave."""

    invitation_id: int
    email: str
    full_name: str
    external_id: str | None
    invited_at: datetime
    sent_at: datetime
    expires_at: datetime


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def unanswered():
    """The condition on `CohortInvitation` rows still waiting for an answer: the person is
    not in the cohort yet, or is in it with an account the institution created whose
    password was never chosen."""
    account = aliased(User)  # never correlated with a User the outer statement joins
    in_cohort = select(CohortMember.id).where(CohortMember.cohort_id == CohortInvitation.cohort_id,
                                              CohortMember.user_id == CohortInvitation.user_id)
    no_password = select(account.id).where(account.id == CohortInvitation.user_id,
                                           account.password_hash.is_(None))
    # Two single-table lookups by key: a join inside NOT EXISTS can be planned as a scan per
    # row on PostgreSQL right after a bulk import, before its statistics are refreshed.
    return or_(~in_cohort.exists(), no_password.exists())


def is_learner():
    """The condition on `CohortMember` rows (joined to their `User`) that a manager sees as
    learners: everyone but the accounts the cohort is still waiting for, which are shown as
    invited. The password is what the invitation asks for: choosing it is accepting."""
    waiting = select(CohortInvitation.id).where(
        CohortInvitation.cohort_id == CohortMember.cohort_id,
        CohortInvitation.user_id == CohortMember.user_id)
    return or_(User.password_hash.is_not(None), ~waiting.exists())


def waiting_ids(cohort_id: int):
    """A subquery of the members of a cohort that it is still waiting for (`is_learner` is
    false for exactly these): usually few."""
    return (select(CohortInvitation.user_id)
            .join(User, User.id == CohortInvitation.user_id)
            .where(CohortInvitation.cohort_id == cohort_id, User.password_hash.is_(None)))


def learner_ids(cohort_id: int):
    """A subquery of the ids of a cohort's learners, as `is_learner` counts them: its members
    less those it waits for, left out by id rather than by joining every member's account."""
    return select(CohortMember.user_id).where(
        CohortMember.cohort_id == cohort_id, CohortMember.user_id.not_in(waiting_ids(cohort_id)))


def standings(cohort: Cohort, emails: Iterable[str]) -> dict[str, Standing]:
    """Where each address stands, in one statement per thousand addresses."""
    emails = list(emails)
    found: dict[str, Standing] = {}
    for chunk in membership.chunks(sorted(set(emails))):
        rows = db.session.execute(
            select(User.id, User.email, User.password_hash.is_not(None), CohortMember.id,
                   InstitutionMember.user_id, CohortInvitation.id)
            .outerjoin(CohortMember, and_(CohortMember.user_id == User.id,
                                          CohortMember.cohort_id == cohort.id))
            .outerjoin(InstitutionMember, and_(
                InstitutionMember.user_id == User.id,
                InstitutionMember.institution_id == cohort.institution_id))
            .outerjoin(CohortInvitation, and_(CohortInvitation.user_id == User.id,
                                              CohortInvitation.cohort_id == cohort.id))
            .where(User.email.in_(chunk))).all()
        for user_id, email, chosen, in_cohort, belongs, invitation_id in rows:
            if in_cohort is not None:
                kind = INVITED if invitation_id is not None and not chosen else COHORT
            elif belongs is not None and chosen:
                kind = INSTITUTION
            else:
                kind = (INVITED if invitation_id is not None else WAITING if belongs is not None
                        else OUTSIDE)
            found[email] = Standing(kind, user_id, invitation_id)
    return {email: found.get(email, Standing(NEW)) for email in emails}


def member_name(institution_id: int, email: str) -> str | None:
    """The account's own name if the address belongs to the institution and has answered
    (the manager's own data), else None, whether or not it has an account elsewhere."""
    return db.session.scalar(
        select(User.full_name).join(InstitutionMember, InstitutionMember.user_id == User.id)
        .where(User.email == email, InstitutionMember.institution_id == institution_id,
               User.password_hash.is_not(None)))


def _create_accounts(people: Sequence[Person], default_language: str,
                     now: datetime) -> dict[str, int]:
    """Create the accounts; {email: id} of those this call created (not a racing request)."""
    return {email: user_id for user_id, email in insert_ignoring_duplicates(User.__table__, [
        {"email": p.email, "full_name": p.full_name, "password_hash": None,
         "search_key": person_key(p.full_name, p.email),
         "language": p.language or default_language, "role": Role.LEARNER.value,
         "active": True, "created_at": now} for p in people],
        conflict=["email"], returning=[User.id, User.email])}


def add_people(cohort: Cohort, people: Sequence[Person], *, default_language: str) -> Outcome:
    """Add people by the institution's rules, in bulk and without committing.

    New addresses get an account that belongs to the institution, join the cohort and are
    invited to choose a password (as are its accounts still waiting for one), and show as
    invited until they do; members of the institution join directly; other accounts are
    invited to join and are enrolled only when they accept. Existing accounts are never
    modified.
    """
    now = utcnow()
    standing = standings(cohort, (p.email for p in people))
    created = _create_accounts([p for p in people if standing[p.email].kind == NEW],
                               default_language, now)
    racing = [p.email for p in people if standing[p.email].kind == NEW and p.email not in created]
    if racing:  # accounts another request created meanwhile: judged as any existing account
        standing.update(standings(cohort, racing))
    insert_ignoring_duplicates(InstitutionMember.__table__, [
        {"institution_id": cohort.institution_id, "user_id": user_id, "joined_at": now}
        for user_id in created.values()], conflict=["institution_id", "user_id"])

    def user_id(person: Person) -> int:
        return created.get(person.email) or standing[person.email].user_id

    direct = [p for p in people if p.email in created
              or standing[p.email].kind in (INSTITUTION, WAITING)]
    new_ids = set(created.values())
    waiting = {standing[p.email].user_id for p in people
               if p.email not in created and standing[p.email].kind == WAITING}
    added = membership.join_cohort(cohort.id, [(user_id(p), p.external_id) for p in direct],
                                   created=new_ids, invite=waiting)
    _forget(cohort.id, [standing[p.email].invitation_id for p in direct
                        if standing[p.email].invitation_id is not None])
    joined = set(added)
    held = [(user_id(p), p) for p in direct
            if user_id(p) in joined and (user_id(p) in new_ids or user_id(p) in waiting)]
    _hold(cohort.id, held, now)
    outside = [p for p in people if p.email not in created and standing[p.email].kind == OUTSIDE]
    invited = _invite(cohort, [(user_id(p), p) for p in outside], now)
    pending = [standing[p.email].invitation_id for p in people
               if p.email not in created and standing[p.email].kind == INVITED]
    reminded = _remind(cohort, pending, now)
    outcome = Outcome(invited=len(held) + invited,
                      enrolled=len([u for u in added if u not in new_ids and u not in waiting]),
                      already_invited=len(pending), reminded=reminded)
    outcome.unchanged = len(people) - outcome.invited - outcome.enrolled - outcome.already_invited
    return outcome


def _forget(cohort_id: int, invitation_ids: Sequence[int]) -> None:
    """Drop invitations made pointless: the person joined the institution meanwhile."""
    for chunk in membership.chunks(invitation_ids):
        db.session.execute(delete(CohortInvitation).where(CohortInvitation.cohort_id == cohort_id,
                                                          CohortInvitation.id.in_(chunk)))


def _lifetime() -> timedelta:
    return timedelta(days=current_app.config["INVITATION_DAYS"])


def _hold(cohort_id: int, people: Sequence[tuple[int, Person]], now: datetime) -> None:
    """Show accounts the institution put in the cohort as invited, like anyone from outside,
    until they choose their password: their mail is the invitation to choose it, so this
    row's own link is never sent (its secret is thrown away)."""
    insert_ignoring_duplicates(CohortInvitation.__table__, [
        {"cohort_id": cohort_id, "user_id": user_id, "full_name": person.full_name,
         "search_key": fold(person.full_name), "external_id": person.external_id,
         "token_hash": _hash(secrets.token_urlsafe(32)),
         "created_at": now, "sent_at": now, "expires_at": now + _lifetime()}
        for user_id, person in people], conflict=["cohort_id", "user_id"])


def _waiting_in(cohort_id: int, user_ids: Sequence[int]) -> set[int]:
    """Which of these people are already in the cohort: accounts the institution created
    (the others are outside it until they accept)."""
    found: set[int] = set()
    for chunk in membership.chunks(sorted(user_ids)):
        found.update(db.session.scalars(select(CohortMember.user_id).where(
            CohortMember.cohort_id == cohort_id, CohortMember.user_id.in_(chunk))))
    return found


def _invite_again(cohort_id: int, user_ids: Sequence[int], now: datetime) -> None:
    """Owe accounts the institution created a new invitation to choose their password; the
    links sent before stop working at once."""
    if not user_ids:
        return
    revoke_tokens(list(user_ids), INVITE)
    db.session.execute(insert(CohortNotice), [
        {"cohort_id": cohort_id, "user_id": user_id, "created_at": now, "kind": INVITE}
        for user_id in user_ids])
    enqueue(membership.NOTICES_JOB, {"cohort_id": cohort_id},
            key=f"{membership.NOTICES_JOB}:{cohort_id}")


def _invite(cohort: Cohort, invitees: Sequence[tuple[int, Person]], now: datetime) -> int:
    """Record and mail new invitations; returns how many were new (a racing request's are
    left to it)."""
    if not invitees:
        return 0
    tokens = {user_id: secrets.token_urlsafe(32) for user_id, _person in invitees}
    expires = now + _lifetime()
    rows = insert_ignoring_duplicates(CohortInvitation.__table__, [
        {"cohort_id": cohort.id, "user_id": user_id, "full_name": person.full_name,
         "search_key": fold(person.full_name), "external_id": person.external_id,
         "token_hash": _hash(tokens[user_id]),
         "created_at": now, "sent_at": now, "expires_at": expires}
        for user_id, person in invitees], conflict=["cohort_id", "user_id"],
        returning=[CohortInvitation.user_id])
    _mail(cohort, {user_id: tokens[user_id] for (user_id,) in rows})
    return len(rows)


def _remind(cohort: Cohort, invitation_ids: Sequence[int], now: datetime) -> int:
    """Mail pending invitations again with a fresh link, unless one went out a moment ago;
    a conditional update claims each, so two requests never both mail."""
    claimed: list[tuple[int, int]] = []
    for chunk in membership.chunks(invitation_ids):
        claimed += db.session.execute(
            update(CohortInvitation)
            .where(CohortInvitation.cohort_id == cohort.id, CohortInvitation.id.in_(chunk),
                   CohortInvitation.sent_at <= now - RESEND_AFTER, unanswered())
            .values(sent_at=now).returning(CohortInvitation.id, CohortInvitation.user_id)).all()
    if not claimed:
        return 0
    tokens = {user_id: secrets.token_urlsafe(32) for _id, user_id in claimed}
    table = CohortInvitation.__table__
    db.session.execute(
        table.update().where(table.c.id == bindparam("invitation"))
        .values(token_hash=bindparam("hash"), expires_at=now + _lifetime()),
        [{"invitation": invitation_id, "hash": _hash(tokens[user_id])}
         for invitation_id, user_id in claimed])
    # Accounts the institution created are asked again to choose a password instead.
    waiting = _waiting_in(cohort.id, list(tokens))
    _invite_again(cohort.id, sorted(waiting), now)
    _mail(cohort, {user_id: token for user_id, token in tokens.items()
                   if user_id not in waiting})
    return len(claimed)


def _mail(cohort: Cohort, tokens: dict[int, str]) -> None:
    """Queue each invitation in its reader's language, in the caller's transaction, with a
    few multi-row INSERTs whatever their number."""
    users = []
    for chunk in membership.chunks(sorted(tokens)):
        users += db.session.execute(select(User.id, User.email, User.full_name, User.language)
                                    .where(User.id.in_(chunk))).all()
    config = current_app.config
    context = {"institution": cohort.institution.name, "cohort": cohort.name,
               "site": config["SITE_NAME"], "days": config["INVITATION_DAYS"]}
    letters = []
    users.sort(key=lambda user: user.language)
    for language, group in groupby(users, key=lambda user: user.language):
        with force_locale(language):  # once per language: switching reloads the catalogs
            subject = _("%(institution)s invites you to join its cohort %(cohort)s on "
                        "%(site)s", **context)
            for user_id, email, name, _language in group:
                token = tokens[user_id]
                body = render_template(
                    "institutions/email/cohort_invitation.txt", name=name,
                    link=public_url("institutions.invitation", token=token), **context)
                letters.append(Letter(email, subject, body, f"cohort-invitation:{_hash(token)}"))
    queue_letters(letters)


# --- The manager's side ----------------------------------------------------------------

def invited_page(cohort_id: int, query: str = "", page: int = 1
                 ) -> tuple[list[InvitedEntry], int]:
    """One page of the people invited to a cohort who have not answered, and how many match.
    Only what the manager gave is shown: the address and the name they typed."""
    condition = (CohortInvitation.cohort_id == cohort_id) & unanswered()
    for word in query_words(query):
        condition = condition & or_(User.email.contains(word, autoescape=True),
                                    CohortInvitation.search_key.contains(word, autoescape=True))
    base = (select(CohortInvitation.id, User.email, CohortInvitation.full_name,
                   CohortInvitation.external_id, CohortInvitation.created_at,
                   CohortInvitation.sent_at, CohortInvitation.expires_at)
            .join(User, User.id == CohortInvitation.user_id).where(condition))
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = db.session.execute(base.order_by(User.email).limit(INVITED_PAGE_SIZE)
                              .offset((max(page, 1) - 1) * INVITED_PAGE_SIZE)).all()
    return [InvitedEntry(*row) for row in rows], total


def invited_count(cohort_id: int) -> int:
    """How many people are invited to a cohort and have not answered, for its report."""
    return db.session.scalar(select(func.count()).select_from(CohortInvitation).where(
        CohortInvitation.cohort_id == cohort_id, unanswered())) or 0


def _pending(cohort: Cohort, invitation_id: int) -> CohortInvitation:
    invitation = db.session.scalar(select(CohortInvitation).where(
        CohortInvitation.id == invitation_id, CohortInvitation.cohort_id == cohort.id,
        unanswered()))
    if invitation is None:
        raise InvitationError(_("There is no such invitation."))
    return invitation


def resend(cohort: Cohort, invitation_id: int) -> str:
    """Mail an invitation again with a fresh link (the old one stops working), unless it
    went out a moment ago; commits. Returns the invited address."""
    invitation = _pending(cohort, invitation_id)
    email = db.session.scalar(select(User.email).where(User.id == invitation.user_id))
    if not _remind(cohort, [invitation.id], utcnow()):
        db.session.rollback()
        raise InvitationError(_("An invitation was sent to %(email)s less than %(num)s "
                                "minutes ago. Wait a little before sending it again.",
                                email=email, num=count(RESEND_AFTER.seconds // 60)), 409)
    db.session.commit()
    return email


def cancel(cohort: Cohort, invitation_id: int) -> None:
    """Withdraw an invitation: its link stops working; commits. An account the institution
    created leaves the cohort too (the account and its enrolments stay, unused), and its
    link to choose a password stops working unless another cohort still waits for it."""
    user_id = _pending(cohort, invitation_id).user_id
    removed = db.session.execute(delete(CohortInvitation).where(
        CohortInvitation.id == invitation_id)).rowcount
    if not removed:  # withdrawn or answered meanwhile
        db.session.rollback()
        raise InvitationError(_("There is no such invitation."))
    record("cohort.invitation_withdrawn", target=("cohort", cohort.id),
           institution_id=cohort.institution_id, before={"invitation_id": invitation_id})
    left = db.session.execute(delete(CohortMember).where(
        CohortMember.cohort_id == cohort.id, CohortMember.user_id == user_id)).rowcount
    if left:
        db.session.execute(delete(CohortNotice).where(
            CohortNotice.cohort_id == cohort.id, CohortNotice.user_id == user_id,
            CohortNotice.sent_at.is_(None)))
        elsewhere = db.session.scalar(select(CohortInvitation.id).join(CohortMember, and_(
            CohortMember.cohort_id == CohortInvitation.cohort_id,
            CohortMember.user_id == CohortInvitation.user_id))
            .where(CohortInvitation.user_id == user_id).limit(1))
        if elsewhere is None:
            revoke_tokens([user_id], INVITE)
    db.session.commit()


# --- The invited person's side ---------------------------------------------------------

@dataclass(frozen=True)
class Invitation:
    """What the invited person reads before answering."""

    id: int
    institution: str
    cohort: str
    courses: list[str]
    expires_at: datetime


def _for(token: str, user) -> CohortInvitation:
    """The invitation a link names, if it is this account's and still open."""
    invitation = db.session.scalar(select(CohortInvitation).where(
        CohortInvitation.token_hash == _hash(token or "")))
    if invitation is None:
        raise InvitationError(_("This invitation link is not valid: it was already answered, "
                                "withdrawn or sent again. Use the newest email you received."))
    if invitation.user_id != user.id:
        raise InvitationError(_("This invitation is for another account. Sign out, then sign "
                                "in with the address the invitation was sent to."), 403)
    if invitation.expires_at < utcnow():
        raise InvitationError(_("This invitation has expired. Ask the institution to send it "
                                "again."), 410)
    return invitation


def read(token: str, user, language: str) -> Invitation:
    """The open invitation behind a link, for the account signed in, or InvitationError."""
    invitation = _for(token, user)
    cohort = db.session.get(Cohort, invitation.cohort_id)
    courses = [course.text(language).title for course in db.session.scalars(
        select(Course).join(CohortCourse, CohortCourse.course_id == Course.id)
        .where(CohortCourse.cohort_id == cohort.id, Course.retired_at.is_(None))
        .options(selectinload(Course.texts)).order_by(Course.slug))]
    return Invitation(invitation.id, cohort.institution.name, cohort.name, courses,
                      invitation.expires_at)


def _claim(invitation: CohortInvitation) -> None:
    """Spend the link: deleting its row conditionally lets only one answer count."""
    taken = db.session.execute(delete(CohortInvitation).where(
        CohortInvitation.id == invitation.id,
        CohortInvitation.token_hash == invitation.token_hash)).rowcount
    if taken != 1:
        db.session.rollback()
        raise InvitationError(_("This invitation has already been answered."), 409)


def accept(token: str, user) -> Cohort:
    """Join the institution and the cohort, and enrol in its courses with its due dates."""
    invitation = _for(token, user)
    cohort = db.session.get(Cohort, invitation.cohort_id)
    external_id = invitation.external_id
    _claim(invitation)
    insert_ignoring_duplicates(InstitutionMember.__table__, {
        "institution_id": cohort.institution_id, "user_id": user.id, "joined_at": utcnow()},
        conflict=["institution_id", "user_id"])
    membership.join_cohort(cohort.id, [(user.id, external_id)], notify=False)
    db.session.commit()
    return cohort


def decline(token: str, user) -> str:
    """Say no: the invitation goes and nothing else changes. Returns the institution's name."""
    invitation = _for(token, user)
    name = db.session.get(Cohort, invitation.cohort_id).institution.name
    _claim(invitation)
    db.session.commit()
    return name
