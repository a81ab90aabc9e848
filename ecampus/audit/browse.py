"""Reading the audit log: filters, pages newest first, the CSV export, and today's names.

Entries name people and things by id; the pages resolve them as they are now, so an erased
or deleted account shows as "account #id" and a target that no longer exists has no link.
A manager's view is one institution's entries, and names only people that institution
reaches (its members and managers) and administrators: anyone else stays an account number.
These are read-only look-ups by id across features, made here so that every feature
writing the log stays unaware of its pages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import String, and_, cast, or_, select

from ..auth.models import Role, User
from ..catalog.models import Course
from ..certificates.models import Certificate
from ..extensions import db
from ..institutions.models import Cohort, Institution, InstitutionManager, InstitutionMember
from ..sources.models import CourseSource
from ..textsearch import matches_all, query_words
from .actions import ACTION_LABELS, action_label, target_label
from .models import AuditEntry

PAGE_SIZE = 50
#: Entries read per statement while a CSV export streams.
EXPORT_CHUNK = 1000
CSV_COLUMNS = ("id", "at_utc", "actor_id", "actor", "address", "action", "action_label",
               "target_type", "target_id", "institution_id", "before", "after")


@dataclass(frozen=True)
class Filters:
    """What the reader asked for; an empty field filters nothing."""

    person: str = ""
    action: str = ""
    since: date | None = None
    until: date | None = None
    institution_id: int | None = None

    def query(self) -> dict[str, Any]:
        """The filters as query-string values, for links to other pages and the export."""
        values = {"person": self.person, "action": self.action,
                  "since": self.since.isoformat() if self.since else "",
                  "until": self.until.isoformat() if self.until else "",
                  "institution": self.institution_id or ""}
        return {key: value for key, value in values.items() if value}


@dataclass(frozen=True)
class Change:
    key: str
    before: str
    after: str


@dataclass
class Row:
    """One entry, ready to show: who, what, about what, and what changed."""

    entry: AuditEntry
    actor: str
    action: str
    target_kind: str
    target: str
    target_url: str | None
    institution: str
    changes: list[Change] = field(default_factory=list)


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        raise ValueError(value) from None


def parse_filters(args, *, institution_id: int | None = None) -> tuple[Filters, list[str]]:
    """Filters from a query string, and the names of the fields that could not be read
    (they then filter nothing). `institution_id`, when given, is imposed."""
    bad = []
    days = {}
    for name in ("since", "until"):
        try:
            days[name] = _day(args.get(name, ""))
        except ValueError:
            bad.append(name)
            days[name] = None
    action = args.get("action", "")
    if action and action not in ACTION_LABELS:
        bad.append("action")
        action = ""
    if institution_id is None:
        raw = args.get("institution", "")
        institution_id = int(raw) if raw.isdigit() and 0 < int(raw) < 2**31 else None
        if raw and institution_id is None:
            bad.append("institution")
    return Filters(person=" ".join(args.get("person", "").split())[:200], action=action,
                   institution_id=institution_id, **days), bad


def _conditions(filters: Filters) -> list:
    conditions = []
    if filters.person:
        matching = matches_all(User.search_key, query_words(filters.person))
        conditions.append(or_(
            AuditEntry.actor_id.in_(select(User.id).where(matching)),
            and_(AuditEntry.target_type == "user",
                 AuditEntry.target_id.in_(select(cast(User.id, String)).where(matching)))))
    if filters.action:
        conditions.append(AuditEntry.action == filters.action)
    if filters.since:
        conditions.append(AuditEntry.at >= datetime.combine(filters.since, time()))
    if filters.until:
        conditions.append(AuditEntry.at < datetime.combine(filters.until, time())
                          + timedelta(days=1))
    if filters.institution_id is not None:
        conditions.append(AuditEntry.institution_id == filters.institution_id)
    return conditions


def entries_page(filters: Filters, *, older_than: int | None = None
                 ) -> tuple[list[AuditEntry], int | None]:
    """Up to PAGE_SIZE entries, newest first, below `older_than` (an entry id); and the id to
    continue from, None on the last page."""
    statement = select(AuditEntry).where(*_conditions(filters))
    if older_than is not None:
        statement = statement.where(AuditEntry.id < older_than)
    entries = list(db.session.scalars(statement.order_by(AuditEntry.id.desc())
                                      .limit(PAGE_SIZE + 1)))
    if len(entries) > PAGE_SIZE:
        return entries[:PAGE_SIZE], entries[PAGE_SIZE - 1].id
    return entries, None


def institutions() -> list[tuple[int, str]]:
    """(id, name) of every institution, for the filter."""
    return [tuple(row) for row in db.session.execute(
        select(Institution.id, Institution.name).order_by(Institution.name))]


# --- Names and links, as they are today ----------------------------------------------------

def _user_ids(entries: list[AuditEntry]) -> set[int]:
    ids = {e.actor_id for e in entries if e.actor_id is not None}
    ids |= {int(e.target_id) for e in entries
            if e.target_type == "user" and (e.target_id or "").isdigit()}
    for entry in entries:
        for values in (entry.before or {}, entry.after or {}):
            if isinstance(values.get("user_id"), int):
                ids.add(values["user_id"])
    return {i for i in ids if i < 2**31}


def _visible_people(ids: set[int], institution_id: int | None) -> dict[int, User]:
    """The accounts a reader may see by name: all for admins (`institution_id` None); for a
    manager, admins and the members and managers of their institution."""
    if not ids:
        return {}
    statement = select(User).where(User.id.in_(ids))
    if institution_id is not None:
        statement = statement.where(or_(
            User.role == Role.ADMIN.value,
            User.id.in_(select(InstitutionMember.user_id)
                        .where(InstitutionMember.institution_id == institution_id)),
            User.id.in_(select(InstitutionManager.user_id)
                        .where(InstitutionManager.institution_id == institution_id))))
    return {user.id: user for user in db.session.scalars(statement)}


def _existing(entries: list[AuditEntry], kind: str, column) -> dict[str, Any]:
    keys = {e.target_id for e in entries if e.target_type == kind and e.target_id}
    if kind in ("institution", "cohort", "source"):
        keys = {k for k in keys if k.isdigit() and int(k) < 2**31}
        if not keys:
            return {}
        entity = column.class_
        return {str(row.id): row for row in db.session.scalars(
            select(entity).where(column.in_([int(k) for k in keys])))}
    if not keys:
        return {}
    return {str(value): value for value in db.session.scalars(
        select(column).where(column.in_(keys)))}


def rows(entries: list[AuditEntry], *, institution_id: int | None, url_for, gettext
         ) -> list[Row]:
    """The entries with today's names and links, for a page (`institution_id`: a manager's
    own, None for an admin). A handful of statements whatever the number of entries."""
    visible = _visible_people(_user_ids(entries), institution_id)
    # An admin sees every account that exists, so one not found is gone; a manager is not
    # told whether an account they may not see by name still exists.
    unnamed = (gettext("deleted or erased account #%(id)s") if institution_id is None
               else gettext("account #%(id)s"))
    system = gettext("System (a command or a job)")
    institutions_by_id = _existing(entries, "institution", Institution.id)
    named_institutions = dict(db.session.execute(select(Institution.id, Institution.name).where(
        Institution.id.in_({e.institution_id for e in entries if e.institution_id}))).all()) \
        if any(e.institution_id for e in entries) else {}
    cohorts = _existing(entries, "cohort", Cohort.id)
    sources = _existing(entries, "source", CourseSource.id)
    courses = _existing(entries, "course", Course.slug)
    certificates = _existing(entries, "certificate", Certificate.code)
    admin = institution_id is None

    def person(user_id: int | None) -> str:
        if user_id is None:
            return system
        if user_id in visible:
            return visible[user_id].full_name
        return unnamed % {"id": user_id}

    result = []
    for entry in entries:
        kind, key = entry.target_type, entry.target_id or ""
        text, url = key, None
        if kind == "user" and key.isdigit():
            text = person(int(key))
            if admin and int(key) in visible:
                url = url_for("admin.users", q=visible[int(key)].email)
        elif kind == "institution" and key in institutions_by_id:
            text = institutions_by_id[key].name
            if admin:
                url = url_for("institutions_admin.admin_institution", institution_id=int(key))
        elif kind == "cohort" and key in cohorts:
            text = cohorts[key].name
            if admin or cohorts[key].institution_id == institution_id:
                url = url_for("institutions.cohort", cohort_id=int(key))
        elif kind == "course" and key in courses:
            url = url_for("catalog.course", slug=key)
        elif kind == "certificate" and key in certificates:
            url = (url_for("certificates.admin_index", code=key) if admin
                   else url_for("certificates.verify", code=key))
        elif kind == "source" and key in sources:
            text = sources[key].slug
            if admin:
                url = url_for("sources.admin_index")
        result.append(Row(
            entry=entry, actor=person(entry.actor_id), action=action_label(entry.action),
            target_kind=target_label(kind), target=text, target_url=url,
            institution=named_institutions.get(entry.institution_id, "")
            if entry.institution_id else "",
            changes=diff(entry.before, entry.after, person)))
    return result


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(_shown(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def diff(before: dict | None, after: dict | None, person=None) -> list[Change]:
    """What changed, key by key: its value before and after (empty where there was none).
    A `user_id` shows as the person `person(id)` names."""
    before, after = before or {}, after or {}
    changes = []
    for key in [*before, *(k for k in after if k not in before)]:
        old, new = before.get(key), after.get(key)
        if key == "user_id" and person is not None:
            old = person(old) if isinstance(old, int) else old
            new = person(new) if isinstance(new, int) else new
        changes.append(Change(key, _shown(old), _shown(new)))
    return changes


def export_chunk(filters: Filters, *, institution_id: int | None, account: str,
                 older_than: int | None = None) -> tuple[list[tuple], int | None]:
    """Up to EXPORT_CHUNK entries the filters select, below `older_than`, newest first, as
    CSV_COLUMNS; and the id to continue from (None after the last). A whole export is read
    chunk by chunk, in bounded memory. `account` names someone the reader may not see by
    name ("account #%(id)s", translated)."""
    statement = select(AuditEntry).where(*_conditions(filters))
    if older_than is not None:
        statement = statement.where(AuditEntry.id < older_than)
    chunk = list(db.session.scalars(statement.order_by(AuditEntry.id.desc())
                                    .limit(EXPORT_CHUNK)))
    people = _visible_people(_user_ids(chunk), institution_id)
    rows = []
    for entry in chunk:
        actor = ""
        if entry.actor_id is not None:
            user = people.get(entry.actor_id)
            actor = user.full_name if user else account % {"id": entry.actor_id}
        rows.append((
            entry.id, entry.at.isoformat(timespec="seconds"), entry.actor_id or "", actor,
            entry.address or "", entry.action, action_label(entry.action),
            entry.target_type or "", entry.target_id or "", entry.institution_id or "",
            _json(entry.before), _json(entry.after)))
    return rows, (chunk[-1].id if len(chunk) == EXPORT_CHUNK else None)


def _json(value: dict | None) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)
