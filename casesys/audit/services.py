"""Append to and verify the audit chain."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass

from flask import has_request_context, request
from sqlalchemy import select

from casesys.audit.models import AuditEntry
from casesys.core.db import lock_for_serial_append
from casesys.core.types import utcnow
from casesys.extensions import db

GENESIS_HASH = "0" * 64
_AUDIT_LOCK_KEY = 0x0A0D17  # advisory-lock key of the single audit chain


def _entry_hash(entry: AuditEntry) -> str:
    payload = {
        "prev": entry.prev_hash,
        "at": entry.occurred_at.isoformat(timespec="microseconds"),
        "actor_id": entry.actor_id,
        "actor_name": entry.actor_name,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "details": entry.details,
        "remote_addr": entry.remote_addr,
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def record(action: str, obj_type: str, obj_id, actor=None, **details) -> AuditEntry:
    """Append one entry in the current transaction (flushes, never commits)."""
    lock_for_serial_append(_AUDIT_LOCK_KEY)
    last = db.session.scalar(select(AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1))
    entry = AuditEntry(
        occurred_at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "username", None),
        action=action,
        object_type=obj_type,
        object_id=None if obj_id is None else str(obj_id),
        details=json.loads(json.dumps(details, default=str)),
        remote_addr=request.remote_addr if has_request_context() else None,
        prev_hash=last or GENESIS_HASH,
    )
    entry.entry_hash = _entry_hash(entry)
    db.session.add(entry)
    db.session.flush()
    return entry


@dataclass
class ChainBreak:
    entry_id: int
    reason: str


def verify_chain(batch_size: int = 1000) -> Iterator[int | ChainBreak]:
    """Walk the chain in order; yield the id of each good entry, or the first break and stop."""
    expected_prev = GENESIS_HASH
    last_id = 0
    while True:
        batch = db.session.scalars(
            select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch_size)
        ).all()
        if not batch:
            return
        for entry in batch:
            if entry.prev_hash != expected_prev:
                yield ChainBreak(entry.id, "prev_hash does not match the previous entry's hash")
                return
            if _entry_hash(entry) != entry.entry_hash:
                yield ChainBreak(entry.id, "entry content does not match its hash")
                return
            expected_prev = entry.entry_hash
            last_id = entry.id
            yield entry.id
        db.session.expunge_all()
