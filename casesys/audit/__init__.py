"""The append-only, hash-chained audit log."""

from casesys.audit.services import record

__all__ = ["record"]
