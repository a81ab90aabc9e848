"""What becomes of institution and cohort memberships when an administrator merges two
accounts of one person.

Called by `ecampus.admin.merge` inside its transaction (nothing here commits). Memberships
are united: the kept account belongs to every institution and cohort either belonged to,
with the earliest date it joined. An invitation the kept account no longer needs (it is in
that cohort, or invited to it already) is withdrawn. A manager manages one institution: two
accounts managing two different institutions cannot be merged until one of them stops.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from sqlalchemy.orm import aliased

from ..extensions import db
from .models import (
    CohortInvitation,
    CohortMember,
    InstitutionManager,
    InstitutionMember,
)


def merge_blockers(keep_id: int, merged_id: int) -> list[str]:
    """Why these two accounts cannot be merged as they are (empty: they can)."""
    managed = dict(db.session.execute(
        select(InstitutionManager.user_id, InstitutionManager.institution_id)
        .where(InstitutionManager.user_id.in_((keep_id, merged_id)))).all())
    if len(managed) == 2 and managed[keep_id] != managed[merged_id]:
        return [_("Both accounts manage an institution, and an account manages only one. "
                  "Remove one of them as manager of its institution first.")]
    return []


def shared_membership_count(keep_id: int, merged_id: int) -> int:
    """Institutions and cohorts both accounts belong to: one membership remains."""
    member, cohort = aliased(InstitutionMember), aliased(CohortMember)
    institutions = db.session.scalars(
        select(InstitutionMember.institution_id)
        .join(member, member.institution_id == InstitutionMember.institution_id)
        .where(InstitutionMember.user_id == keep_id, member.user_id == merged_id)).all()
    cohorts = db.session.scalars(
        select(CohortMember.cohort_id).join(cohort, cohort.cohort_id == CohortMember.cohort_id)
        .where(CohortMember.user_id == keep_id, cohort.user_id == merged_id)).all()
    return len(institutions) + len(cohorts)


def merge_memberships(keep_id: int, merged_id: int) -> dict[str, int]:
    """Unite the two accounts' memberships on the kept one (caller commits); how many rows
    of each table were combined with one of the kept account's."""
    combined = {}
    manager, member, cohort = (aliased(InstitutionManager), aliased(InstitutionMember),
                               aliased(CohortMember))

    same = db.session.scalar(select(InstitutionManager).join(
        manager, manager.institution_id == InstitutionManager.institution_id)
        .where(InstitutionManager.user_id == merged_id, manager.user_id == keep_id))
    if same is not None:
        db.session.delete(same)
    db.session.flush()
    db.session.execute(update(InstitutionManager).where(InstitutionManager.user_id == merged_id)
                       .values(user_id=keep_id).execution_options(synchronize_session=False))
    combined["institution_managers.user_id"] = int(same is not None)

    pairs = db.session.execute(select(InstitutionMember, member).join(
        member, member.institution_id == InstitutionMember.institution_id)
        .where(InstitutionMember.user_id == keep_id, member.user_id == merged_id)).all()
    for kept, merged in pairs:
        kept.joined_at = min(kept.joined_at, merged.joined_at)
        db.session.delete(merged)
    db.session.flush()
    db.session.execute(update(InstitutionMember).where(InstitutionMember.user_id == merged_id)
                       .values(user_id=keep_id).execution_options(synchronize_session=False))
    combined["institution_members.user_id"] = len(pairs)

    pairs = db.session.execute(select(CohortMember, cohort).join(
        cohort, cohort.cohort_id == CohortMember.cohort_id)
        .where(CohortMember.user_id == keep_id, cohort.user_id == merged_id)).all()
    for kept, merged in pairs:
        kept.added_at = min(kept.added_at, merged.added_at)
        kept.external_id = kept.external_id or merged.external_id
        db.session.delete(merged)
    db.session.flush()
    db.session.execute(update(CohortMember).where(CohortMember.user_id == merged_id)
                       .values(user_id=keep_id).execution_options(synchronize_session=False))
    combined["cohort_members.user_id"] = len(pairs)

    # After the memberships moved: the kept account's cohorts now include the merged one's.
    needless = (select(CohortMember.cohort_id).where(CohortMember.user_id == keep_id)
                .union(select(CohortInvitation.cohort_id)
                       .where(CohortInvitation.user_id == keep_id)))
    withdrawn = db.session.execute(delete(CohortInvitation).where(
        CohortInvitation.user_id == merged_id, CohortInvitation.cohort_id.in_(needless))
        .execution_options(synchronize_session=False)).rowcount
    db.session.execute(update(CohortInvitation).where(CohortInvitation.user_id == merged_id)
                       .values(user_id=keep_id).execution_options(synchronize_session=False))
    combined["cohort_invitations.user_id"] = withdrawn
    return combined
