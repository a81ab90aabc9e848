"""What personal data lets go (`ecampus purge`): data archives past their expiry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_

from ..retention import cutoff, purge
from .models import FAILED, READY, DataExport


def purge_expired_exports(now: datetime, dry_run: bool) -> tuple[str, int]:
    """Archives past their expiry (DATA_EXPORT_DAYS after they were built), and requests that
    failed that long ago: a copy of someone's data is not kept longer than they may fetch it,
    even if nobody asks for another one."""
    return purge("data_exports", DataExport.__table__, or_(
        and_(DataExport.status == READY, DataExport.expires_at <= now),
        and_(DataExport.status == FAILED,
             DataExport.requested_at < cutoff(now, "DATA_EXPORT_DAYS"))), dry_run=dry_run)
