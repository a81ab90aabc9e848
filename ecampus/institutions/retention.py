"""What institutions let go (`ecampus purge`): CSV previews never applied, and invitations
that expired long ago without an answer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from ..retention import cutoff, purge
from .models import CohortImport, CohortInvitation, CohortMember


def purge_import_previews(now: datetime, dry_run: bool) -> tuple[str, int]:
    """Uploaded CSV files previewed RETENTION_IMPORT_DAYS ago and never applied: each holds
    the names and addresses of a file nobody confirmed. Applied imports stay: a later upload
    of the same file is recognised by them."""
    return purge("csv_import_previews", CohortImport.__table__,
                 CohortImport.applied_at.is_(None)
                 & (CohortImport.created_at < cutoff(now, "RETENTION_IMPORT_DAYS")),
                 dry_run=dry_run)


def purge_expired_invitations(now: datetime, dry_run: bool) -> tuple[str, int]:
    """Invitations of accounts outside the cohort that expired RETENTION_TOKEN_DAYS ago
    (the manager no longer sees them as invited). Those of accounts the institution created
    and put in the cohort stay: they are what shows such a person as not yet answered."""
    in_cohort = select(CohortMember.id).where(
        CohortMember.cohort_id == CohortInvitation.cohort_id,
        CohortMember.user_id == CohortInvitation.user_id)
    return purge("cohort_invitations", CohortInvitation.__table__,
                 (CohortInvitation.expires_at < cutoff(now, "RETENTION_TOKEN_DAYS"))
                 & ~in_cohort.exists(),
                 dry_run=dry_run)
