"""What the API does, within what a token may reach. Cohorts and members go through the
institutions services and the CSV import, so the rules are the pages' rules exactly."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from ..auth.models import User
from ..catalog import services as catalog
from ..catalog.models import Course
from ..certificates.models import Certificate
from ..extensions import db
from ..institutions import imports, invitations
from ..institutions import services as institutions
from ..institutions.csvfile import IMPORT_COLUMNS, FileRejected, Problem, write_csv
from ..institutions.models import Cohort, CohortMember
from . import paging
from .models import ADMIN, ENROL, PERSONAL
from .problems import abort_problem
from .tokens import Principal


def require(principal: Principal, scope: str, *, institution: bool = True) -> None:
    """Refuse (403) a token without `scope`, or a personal token on institution data."""
    if institution and principal.kind == PERSONAL:
        abort_problem(403, "A personal token reads only its owner's own learning (/me).")
    if scope not in principal.scopes:
        abort_problem(403, f"This token lacks the '{scope}' scope.")
    if scope == ADMIN and not principal.is_site:
        abort_problem(403, "Only an administrator's site token has the 'admin' scope.")


def _in_reach(statement, principal: Principal, column):
    if principal.institution_id is not None:
        return statement.where(column == principal.institution_id)
    return statement  # a site token: every institution


# --- Courses ----------------------------------------------------------------------------

def course_list(cursor: str | None, limit: int) -> tuple[list[Course], str | None]:
    """Published, live courses, by id."""
    after = paging.decode(cursor, int)
    statement = select(Course).where(Course.retired_at.is_(None), Course.status == "published")
    if after:
        statement = statement.where(Course.id > after[0])
    rows = list(db.session.scalars(statement.order_by(Course.id).limit(limit + 1)))
    return paging.page(rows, limit, lambda c: (c.id,))


def course(course_id: int) -> Course:
    found = db.session.get(Course, course_id)
    if found is None or found.retired_at is not None or found.status != "published":
        abort_problem(404, "There is no such course.")
    return found


def course_json(found: Course, language: str | None, *, modules: bool = False) -> dict:
    language = catalog.reading_language(found, language, None)
    text = found.text(language)
    data = {"id": found.id, "slug": found.slug, "title": text.title, "summary": text.summary,
            "base_language": found.base_language, "languages": found.languages,
            "enrolment": found.enrolment, "duration_minutes": found.duration_minutes,
            "version": found.version, "updated_at": found.updated_at}
    if modules:
        data["modules"] = [
            {"id": m.id, "slug": m.slug, "position": m.position, "kind": m.kind,
             "required": m.required, "title": m.title,
             "duration_minutes": m.duration_minutes}
            for m in catalog.module_entries(found, language)]
    return data


# --- Cohorts ----------------------------------------------------------------------------

def cohort(principal: Principal, cohort_id: int) -> Cohort:
    """The cohort if the token reaches its institution; otherwise 404, as if absent."""
    found = db.session.scalar(_in_reach(select(Cohort).where(Cohort.id == cohort_id),
                                        principal, Cohort.institution_id))
    if found is None:
        abort_problem(404, "There is no such cohort.")
    return found


def cohort_list(principal: Principal, archived: bool, cursor: str | None, limit: int):
    after = paging.decode(cursor, int)
    statement = _in_reach(select(Cohort), principal, Cohort.institution_id).where(
        Cohort.archived_at.is_not(None) if archived else Cohort.archived_at.is_(None))
    if after:
        statement = statement.where(Cohort.id > after[0])
    rows = list(db.session.scalars(statement.order_by(Cohort.id).limit(limit + 1)))
    return paging.page(rows, limit, lambda c: (c.id,))


def create_cohort(principal: Principal, data: dict) -> Cohort:
    institution_id = principal.institution_id
    if institution_id is None:  # a site token names the institution
        institution_id = data.get("institution_id")
        if institution_id is None:
            abort_problem(422, "Name the institution (institution_id) with a site token.",
                          errors={"json": {"institution_id": ["Required with a site token."]}})
        try:
            institutions.get_institution(institution_id)
        except institutions.NotFound:
            abort_problem(422, "There is no such institution.",
                          errors={"json": {"institution_id": ["Unknown institution."]}})
    elif data.get("institution_id") not in (None, institution_id):
        abort_problem(422, "An institution token creates cohorts in its own institution only.",
                      errors={"json": {"institution_id": ["Not this token's institution."]}})
    name = " ".join(data["name"].split())
    if not name:
        abort_problem(422, "Give the cohort a name.", errors={"json": {"name": ["Empty."]}})
    return institutions.create_cohort(institution_id, name, data.get("description", ""),
                                      principal.user.id)


def cohort_courses(found: Cohort) -> list[dict]:
    return [{"course_id": c.id, "slug": c.slug, "title": c.text(c.base_language).title,
             "due_on": due_on} for c, due_on in institutions.cohort_courses(found.id)]


def member_list(found: Cohort, cursor: str | None, limit: int):
    """A page of a cohort's learners, by account id (the invited are not listed)."""
    after = paging.decode(cursor, int)
    statement = (select(User.id, User.email, User.full_name, CohortMember.external_id)
                 .join(CohortMember, CohortMember.user_id == User.id)
                 .where(CohortMember.cohort_id == found.id, invitations.is_learner()))
    if after:
        statement = statement.where(User.id > after[0])
    rows = db.session.execute(statement.order_by(User.id).limit(limit + 1)).all()
    rows, next_cursor = paging.page(rows, limit, lambda r: (r.id,))
    return [{"user_id": r.id, "email": r.email, "full_name": r.full_name,
             "external_id": r.external_id} for r in rows], next_cursor


def is_learner_in(found: Cohort, user_id: int) -> bool:
    return db.session.scalar(select(CohortMember.user_id).join(
        User, User.id == CohortMember.user_id).where(
        CohortMember.cohort_id == found.id, CohortMember.user_id == user_id,
        invitations.is_learner())) is not None


def add_people(principal: Principal, found: Cohort, people: list[dict], preview: bool) -> dict:
    """Add people as a CSV import would: the same checks, all or nothing, never twice.

    The people are written as the import's CSV and go through its preview and apply steps,
    so an error anywhere applies nothing and the stored import is in the cohort's history.
    """
    text = write_csv(([p["email"], p.get("full_name", ""), p.get("language", ""),
                       p.get("external_id", "")] for p in people), header=IMPORT_COLUMNS)
    try:
        record = imports.preview_import(
            found, text.encode(), filename="api.csv", encoding="utf-8",
            created_by=principal.user.id,
            default_language=current_app.config["BABEL_DEFAULT_LOCALE"])
    except FileRejected as rejected:
        abort_problem(422, rejected.problem.message)
    problems = [{"index": (p.line or 2) - 2, "code": p.code, "message": p.message}
                for p in map(Problem.from_json, record.problems)]
    if problems or preview:
        # What each person would become is worked out only for a preview: applying works
        # it out again, against the database as it then is.
        shown = imports.load_preview(found, record.id)
        lines = [{"email": line.person.email, "action": line.action} for line in shown.lines]
        return {"applied": False, "counts": shown.counts, "lines": lines,
                "problems": problems}
    try:
        outcome = imports.apply_import(found, record.id)
    except institutions.CohortError as error:
        abort_problem(409, str(error))
    return {"applied": True, "counts": outcome.counts(), "lines": [], "problems": []}


# --- Certificates -----------------------------------------------------------------------

def _reachable_learners(principal: Principal):
    """A SELECT of the accounts whose learning the token reaches (institution: the learners
    of its cohorts); None for a site token (everyone)."""
    if principal.institution_id is None:
        return None
    return (select(CohortMember.user_id).join(Cohort, Cohort.id == CohortMember.cohort_id)
            .join(User, User.id == CohortMember.user_id)
            .where(Cohort.institution_id == principal.institution_id,
                   invitations.is_learner()))


def certificate_list(principal: Principal, cursor: str | None, limit: int, *,
                     user_id: int | None = None):
    after = paging.decode(cursor, int)
    statement = select(Certificate)
    if user_id is not None:
        statement = statement.where(Certificate.user_id == user_id)
    else:
        learners = _reachable_learners(principal)
        if learners is not None:
            statement = statement.where(Certificate.user_id.in_(learners))
    if after:
        statement = statement.where(Certificate.id > after[0])
    rows = list(db.session.scalars(statement.order_by(Certificate.id).limit(limit + 1)))
    return paging.page(rows, limit, lambda c: (c.id,))


def certificate(principal: Principal, code: str) -> Certificate:
    statement = select(Certificate).where(Certificate.code == code)
    if principal.kind == PERSONAL:
        statement = statement.where(Certificate.user_id == principal.user.id)
    else:
        learners = _reachable_learners(principal)
        if learners is not None:
            statement = statement.where(Certificate.user_id.in_(learners))
    found = db.session.scalar(statement)
    if found is None:
        abort_problem(404, "There is no such certificate.")
    return found


def certificate_json(found: Certificate) -> dict:
    return {"code": found.code, "user_id": found.user_id, "course_id": found.course_id,
            "course_title": found.course_title, "issued_on": found.issued_on,
            "expires_on": found.expires_on, "status": found.status,
            "revoked_at": found.revoked_at}


__all__ = ["ENROL", "require"]
