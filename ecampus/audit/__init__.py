"""Audit log: `record()` in the transaction of every privileged or consequential change."""

from .services import record

__all__ = ["record"]
