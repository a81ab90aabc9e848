"""Audit log: `record()` in the transaction of every privileged or consequential change.

Every feature imports `record` from here. The pages that read the log (`views.py`) read
across features, so `features.py` imports their blueprint from `ecampus.audit.views`
directly instead of through this package.
"""

from .services import record

__all__ = ["record"]
