"""CSV enrolment: preview an upload, then apply exactly what was previewed, once.

The parsed rows are stored between the two steps, so confirmation never trusts a file sent
again; applying is one transaction (all rows or none) and never removes anyone.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from ..audit import record as record_change
from ..extensions import db
from ..timeutil import utcnow
from . import csvfile, invitations
from .csvfile import FileRejected, Person, Problem
from .models import Cohort, CohortImport
from .services import CohortError, NotFound

#: What confirming does to a line. INVITE covers a new address, an account outside the
#: institution and one it created that has not answered yet alike, so a preview never tells
#: whether an address has an account.
INVITE, ENROL, INVITED, MEMBER = "invite", "enrol", "invited", "member"
ACTIONS = {invitations.NEW: INVITE, invitations.OUTSIDE: INVITE, invitations.WAITING: INVITE,
           invitations.INSTITUTION: ENROL, invitations.INVITED: INVITED,
           invitations.COHORT: MEMBER}


class ImportBlocked(CohortError):
    """The stored import cannot be applied (errors, or already applied)."""


@dataclass(frozen=True)
class PreviewLine:
    person: Person
    action: str  # invite | enrol | invited | member


@dataclass
class Preview:
    """What confirming would do to each row, computed against the database as it is now."""

    record: CohortImport
    lines: list[PreviewLine]
    counts: dict[str, int]
    problems: list[Problem]
    applied_before: CohortImport | None

    @property
    def can_apply(self) -> bool:
        return not self.problems and self.record.applied_at is None and bool(self.lines)


def _size(limit: int) -> str:
    return f"{limit / 1_048_576:.3g} MB" if limit >= 1_048_576 else f"{limit / 1024:.3g} KB"


def preview_import(cohort: Cohort, data: bytes, *, filename: str = "", encoding: str = "auto",
                   created_by: int | None, default_language: str) -> CohortImport:
    """Read an upload and keep its normalised rows and problems for the preview page.

    Raises FileRejected, storing nothing, when the file is too large or is not CSV text.
    """
    config = current_app.config
    limit = config["IMPORT_MAX_BYTES"]
    if len(data) > limit:
        raise FileRejected(Problem("too_large", params={"limit": _size(limit)}))
    text, used = csvfile.decode(data, encoding if encoding in csvfile.ENCODINGS else "auto")
    parsed = csvfile.parse(text, languages=config["LANGUAGES"],
                           max_rows=config["IMPORT_MAX_ROWS"])
    rows = [{**p.to_json(), "language": p.language or default_language} for p in parsed.people]
    record = CohortImport(
        cohort_id=cohort.id, created_by=created_by, filename=(filename or "")[:255],
        sha256=hashlib.sha256(data).hexdigest(), encoding=used, rows=rows,
        problems=[p.to_json() for p in parsed.problems],
        ignored_columns=parsed.ignored_columns,
    )
    db.session.add(record)
    db.session.commit()
    return record


def _record(cohort: Cohort, import_id: int) -> CohortImport:
    record = db.session.scalar(select(CohortImport).where(
        CohortImport.id == import_id, CohortImport.cohort_id == cohort.id))
    if record is None:
        raise NotFound(_("There is no such import."))
    return record


def load_preview(cohort: Cohort, import_id: int) -> Preview:
    """The stored import with each row's effect: an invitation, an enrolment, or nothing."""
    record = _record(cohort, import_id)
    people = [Person(**row) for row in record.rows]
    standing = invitations.standings(cohort, (p.email for p in people))
    lines = [PreviewLine(person, ACTIONS[standing[person.email].kind]) for person in people]
    counts = {action: 0 for action in (INVITE, ENROL, INVITED, MEMBER)}
    for line in lines:
        counts[line.action] += 1
    applied_before = db.session.scalar(
        select(CohortImport).where(CohortImport.cohort_id == cohort.id,
                                   CohortImport.sha256 == record.sha256,
                                   CohortImport.applied_at.is_not(None),
                                   CohortImport.id != record.id)
        .order_by(CohortImport.applied_at.desc()).limit(1))
    return Preview(record, lines, counts, [Problem.from_json(p) for p in record.problems],
                   applied_before)


def apply_import(cohort: Cohort, import_id: int) -> invitations.Outcome:
    """Apply a previewed import in one transaction: all its rows or none, and only once.

    The mail it owes is queued in the same transaction, so nobody is told about an
    enrolment that was undone; the worker sends it once the transaction commits.
    """
    record = _record(cohort, import_id)
    if record.problems:
        raise ImportBlocked(_("This file has errors: correct it and upload it again. Nothing "
                              "was changed."))
    # Claim the import first: a second confirmation (double click, two tabs) finds it taken.
    claimed = db.session.execute(
        update(CohortImport).where(CohortImport.id == record.id,
                                   CohortImport.applied_at.is_(None))
        .values(applied_at=utcnow())
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        raise ImportBlocked(_("This file has already been applied."))
    try:
        people = [Person(**row) for row in record.rows]
        outcome = invitations.add_people(
            cohort, people, default_language=current_app.config["BABEL_DEFAULT_LOCALE"])
        db.session.execute(update(CohortImport).where(CohortImport.id == record.id)
                           .values(result=outcome.counts()))
        record_change("cohort.import_applied", target=("cohort", cohort.id),
                      institution_id=cohort.institution_id,
                      after={"import_id": record.id, "rows": len(people), **outcome.counts()})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return outcome
