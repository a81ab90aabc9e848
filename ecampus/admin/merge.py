"""Merging two accounts of one person: a preview, then one transaction that moves everything.

Every column that references `users.id` is found in the SQLAlchemy metadata and has a rule
in `RULES` (tests/admin/test_merge.py fails when a table is added without one). A rule
either moves the rows with the feature that owns them (combining rows both accounts hold),
re-points them with one UPDATE, or leaves them with the merged account (its sessions and
mailed links, which end with it). A column without a rule is re-pointed by one UPDATE: if
that breaks a unique key, the whole merge is refused and nothing changes.

The merged account is kept, deactivated, with `merged_into_id` naming the kept account, and
never deleted: audit entries and old mail name it by id, and a person who signs in with its
address is told where their account went.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Table, func, select, update

from ..audit import record
from ..auth import services as accounts
from ..auth.models import Role, User
from ..certificates import merging as certificates
from ..extensions import db
from ..institutions import merging as institutions
from ..learning import merging as learning
from ..quizzes import merging as quizzes

#: Roles from lowest to highest: the merged account keeps the higher of the two.
ROLE_ORDER = (Role.LEARNER, Role.AUTHOR, Role.MANAGER, Role.ADMIN)

#: Rows left with the merged account: its sessions end and its links are spent.
STAY = "stay"
#: Rows whose column is simply set to the kept account (who created, who published...).
REPOINT = "repoint"

#: For each "table.column" referencing users.id: STAY, REPOINT, or the function of the
#: feature owning the table, f(keep_id, merged_id) -> {"table.column": rows combined}.
#: One function may own several columns (listed with it); it runs once.
RULES: dict[str, str | Callable[[int, int], dict[str, int]]] = {
    "account_tokens.user_id": STAY,
    "user_sessions.user_id": STAY,
    "users.merged_into_id": REPOINT,
    "enrolments.user_id": learning.merge_learning,
    "module_completions.user_id": learning.merge_learning,
    "attempts.user_id": quizzes.move_attempts,
    "certificates.user_id": certificates.move_certificates,
    "institution_managers.user_id": institutions.merge_memberships,
    "institution_members.user_id": institutions.merge_memberships,
    "cohort_members.user_id": institutions.merge_memberships,
    "cohort_invitations.user_id": institutions.merge_memberships,
    "cohort_notices.user_id": REPOINT,
    "cohorts.created_by": REPOINT,
    "cohort_imports.created_by": REPOINT,
    "publish_records.actor_user_id": REPOINT,
    # API tokens act for the account that made them: they stop with it (the API refuses a
    # deactivated account's tokens) rather than start acting for someone else.
    "api_tokens.user_id": STAY,
    # A copy of the merged account's data, as it was when asked for.
    "data_exports.user_id": STAY,
    "webhook_endpoints.created_by": REPOINT,
}


#: How the preview names the rows of each reference (others show as "table.column").
TABLE_LABELS = {
    "account_tokens.user_id": _l("Links mailed to it (they stop working)"),
    "user_sessions.user_id": _l("Sessions (they end)"),
    "users.merged_into_id": _l("Accounts merged into it before"),
    "enrolments.user_id": _l("Enrolments"),
    "module_completions.user_id": _l("Completed modules"),
    "attempts.user_id": _l("Quiz attempts"),
    "certificates.user_id": _l("Certificates"),
    "institution_managers.user_id": _l("Institutions managed"),
    "institution_members.user_id": _l("Institution memberships"),
    "cohort_members.user_id": _l("Cohort memberships"),
    "cohort_invitations.user_id": _l("Open cohort invitations"),
    "cohort_notices.user_id": _l("Cohort notices"),
    "cohorts.created_by": _l("Cohorts created"),
    "cohort_imports.created_by": _l("Cohort imports made"),
    "publish_records.actor_user_id": _l("Course publications made"),
    "api_tokens.user_id": _l("API tokens (they stop working)"),
    "data_exports.user_id": _l("Copies of its data (they stay with it)"),
    "webhook_endpoints.created_by": _l("Webhooks created"),
}


class MergeError(Exception):
    """A merge that cannot be made; the message is for the admin."""


class PreviewOutdated(MergeError):
    pass


class AlreadyMerged(MergeError):
    pass


def user_references() -> list[tuple[Table, str]]:
    """(table, column name) of every column of the schema that references users.id."""
    found = []
    for table in db.metadata.sorted_tables:
        for key in table.foreign_keys:
            if key.column.table.name == "users" and key.column.name == "id":
                found.append((table, key.parent.name))
    return sorted(found, key=lambda item: (item[0].name, item[1]))


@dataclass
class MergePreview:
    """What merging `merged` into `keep` would do, as the admin confirms it."""

    keep: User
    merged: User
    #: {"table.column": rows of the merged account} for every reference, zeros included.
    moves: dict[str, int]
    #: Courses both are enrolled in (Course rows): one enrolment remains.
    shared_courses: list
    #: (course id, title) of courses both hold a certificate for: both remain valid.
    shared_certificates: list[tuple[int, str]]
    shared_quizzes: int
    shared_modules: int
    shared_memberships: int
    role: str
    blockers: list[str] = field(default_factory=list)

    @property
    def digest(self) -> str:
        """Names exactly what was previewed: the apply step refuses if anything differs."""
        # What stays with the merged account (its sessions...) may change meanwhile.
        moving = sorted((key, n) for key, n in self.moves.items() if RULES.get(key) != STAY)
        facts = [self.keep.id, self.merged.id, self.keep.role, self.merged.role,
                 self.keep.active, self.merged.active, moving,
                 [course.id for course in self.shared_courses],
                 [course_id for course_id, _title in self.shared_certificates],
                 self.shared_quizzes, self.shared_modules, self.shared_memberships]
        return hashlib.sha256(json.dumps(facts, default=str).encode()).hexdigest()

    @property
    def moving(self) -> dict[str, int]:
        """The merged account's rows that go to the kept account."""
        return {key: n for key, n in self.moves.items() if n and RULES.get(key) != STAY}

    @property
    def staying(self) -> dict[str, int]:
        """The merged account's rows that stay with it (sessions, links, tokens)."""
        return {key: n for key, n in self.moves.items() if n and RULES.get(key) == STAY}


def _count(table: Table, column: str, user_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(table)
                             .where(table.c[column] == user_id)) or 0


def _higher_role(first: str, second: str) -> str:
    ranks = {role.value: rank for rank, role in enumerate(ROLE_ORDER)}
    return max(first, second, key=lambda role: ranks.get(role, 0))


def preview(acting_id: int, keep_id: int, merged_id: int) -> MergePreview:
    """What the merge would move and combine, and why it may be refused."""
    keep, merged = db.session.get(User, keep_id), db.session.get(User, merged_id)
    if keep is None or merged is None:
        raise MergeError(_("That account does not exist."))
    return _preview(acting_id, keep, merged)


def _preview(acting_id: int, keep: User, merged: User) -> MergePreview:
    blockers = []
    if keep.id == merged.id:
        blockers.append(_("An account cannot be merged into itself."))
    if merged.merged_into_id is not None:
        blockers.append(_("This account has already been merged into another one."))
    if keep.merged_into_id is not None:
        blockers.append(_("The account to keep has itself been merged into another one: "
                          "merge into that one instead."))
    elif not keep.active:
        blockers.append(_("The account to keep is deactivated: reactivate it first."))
    if merged.id == acting_id:
        blockers.append(_("You cannot merge your own account into another one. Ask another "
                          "administrator."))
    if keep.id != merged.id:
        blockers.extend(institutions.merge_blockers(keep.id, merged.id))
    moves = {f"{table.name}.{column}": _count(table, column, merged.id)
             for table, column in user_references()}
    return MergePreview(
        keep=keep, merged=merged, moves=moves,
        shared_courses=learning.shared_courses(keep.id, merged.id),
        shared_certificates=certificates.shared_certificate_courses(keep.id, merged.id),
        shared_quizzes=quizzes.shared_quiz_count(keep.id, merged.id),
        shared_modules=learning.shared_module_count(keep.id, merged.id),
        shared_memberships=institutions.shared_membership_count(keep.id, merged.id),
        role=_higher_role(keep.role, merged.role), blockers=blockers,
    )


def _lock_users(user_ids: list[int]) -> dict[int, User]:
    """Hold both account rows until the transaction ends, always in the same order, so two
    merges of the same accounts (either way round) run one after the other."""
    ids = sorted(set(user_ids))
    if db.session.get_bind().dialect.name == "sqlite":
        # SQLite has no row locks: a no-op write takes the database's write lock first.
        db.session.execute(update(User).where(User.id.in_(ids)).values(active=User.active)
                           .execution_options(synchronize_session=False))
    rows = db.session.scalars(select(User).where(User.id.in_(ids)).order_by(User.id)
                              .with_for_update().execution_options(populate_existing=True))
    return {user.id: user for user in rows}


def merge_accounts(acting_id: int, keep_id: int, merged_id: int, digest: str) -> dict[str, int]:
    """Move everything of `merged_id` to `keep_id` in one transaction, if the preview the
    admin confirmed (its `digest`) still holds; {"table.column": rows moved}."""
    users = _lock_users([keep_id, merged_id])
    keep, merged = users.get(keep_id), users.get(merged_id)
    if keep is None or merged is None:
        db.session.rollback()
        raise MergeError(_("That account does not exist."))
    if merged.merged_into_id == keep.id:
        db.session.rollback()
        raise AlreadyMerged(_("These accounts are already merged: nothing more to do."))
    current = _preview(acting_id, keep, merged)
    if current.blockers:
        db.session.rollback()
        raise MergeError(" ".join(current.blockers))
    if current.digest != digest:
        db.session.rollback()
        raise PreviewOutdated(_("Something changed in these accounts since the preview. "
                                "Check the new preview, then merge."))
    before = {"merged_id": merged.id, "keep_role": keep.role, "merged_role": merged.role}
    combined: dict[str, int] = {}
    done: set = set()
    for table, column in user_references():
        key = f"{table.name}.{column}"
        rule = RULES.get(key, REPOINT)
        if rule == STAY or rule in done:
            continue
        if rule == REPOINT:
            db.session.execute(update(table).where(table.c[column] == merged.id)
                               .values({column: keep.id}))
        else:
            combined.update(rule(keep.id, merged.id))
            done.add(rule)
    quizzes.rescore_kept(keep.id)
    keep.role = current.role
    merged.active = False
    merged.merged_into_id = keep.id
    accounts.end_access(merged.id)
    moved = current.moving
    record("user.merged", target=("user", keep.id),
           before=before,
           after={"keep_id": keep.id, "role": keep.role, "moved": moved,
                  "combined": {key: count for key, count in combined.items() if count}})
    db.session.commit()
    return moved
