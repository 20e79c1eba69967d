"""Append to and verify the audit chain.

Each entry's hash is an HMAC-SHA256, keyed with ``CASESYS_AUDIT_KEY`` (never stored in the
database), over its content and the previous entry's hash: whoever can write the database but
lacks the key cannot rewrite an entry and recompute the hashes after it. Entries written before
the key was introduced carry a plain SHA-256 ("legacy"); verification accepts those only as the
oldest part of the chain (before the first keyed entry, and not after the oldest anchor) and says
how many there are. Signed anchors outside the database (``casesys.audit.anchors``) catch what a
chain alone cannot: its newest entries deleted, or all of it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, has_request_context, request
from sqlalchemy import select

from casesys.audit.models import AuditEntry
from casesys.core.db import lock_for_serial_append
from casesys.core.types import utcnow
from casesys.extensions import db

GENESIS_HASH = "0" * 64
_AUDIT_LOCK_KEY = 0x0A0D17  # advisory-lock key of the single audit chain


def audit_key() -> bytes:
    key = current_app.config.get("CASESYS_AUDIT_KEY")
    if not key:
        raise RuntimeError("CASESYS_AUDIT_KEY is not configured")
    return key.encode()


def _canonical(entry: AuditEntry) -> bytes:
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
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def _keyed_hash(entry: AuditEntry, key: bytes) -> str:
    return hmac.new(key, _canonical(entry), hashlib.sha256).hexdigest()


def _legacy_hash(entry: AuditEntry) -> str:
    """How entries were hashed before the key was introduced (accepted only at the chain's start)."""
    return hashlib.sha256(_canonical(entry)).hexdigest()


def record(action: str, obj_type: str, obj_id, actor=None, **details) -> AuditEntry:
    """Append one entry in the current transaction (flushes, never commits)."""
    key = audit_key()
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
    entry.entry_hash = _keyed_hash(entry, key)
    db.session.add(entry)
    db.session.flush()
    return entry


@dataclass
class ChainBreak:
    entry_id: int
    reason: str


@dataclass
class ChainReport:
    checked: int = 0  # entries found intact, oldest first
    legacy: int = 0  # of those, entries hashed without the key (written before it was introduced)
    head_id: int = 0  # the newest intact entry
    broken: ChainBreak | None = None


def verify_chain(anchored: dict[int, str] | None = None, progress: Callable[[int], object] = lambda n: None,
                 batch_size: int = 1000) -> ChainReport:
    """Walk the chain in order and stop at the first break.

    ``anchored`` maps entry ids to the hashes that signed anchors recorded: each of those entries
    must still exist with that hash. An anchor also proves the key was in use when it was written,
    so no entry after the oldest anchored one may be a legacy (unkeyed) entry."""
    key = audit_key()
    anchored = anchored or {}
    pending = sorted(anchored)  # anchored ids, in chain order
    next_anchor = 0  # index into pending of the next anchored id to reach
    keyed_from = pending[0] if pending else None
    report = ChainReport()
    expected_prev = GENESIS_HASH

    def broken(entry_id: int, reason: str) -> ChainReport:
        report.broken = ChainBreak(entry_id, reason)
        return report

    while batch := db.session.scalars(select(AuditEntry).where(AuditEntry.id > report.head_id)
                                      .order_by(AuditEntry.id).limit(batch_size)).all():
        for entry in batch:
            if next_anchor < len(pending) and pending[next_anchor] < entry.id:
                return broken(pending[next_anchor], "an anchor records this entry, but it is missing")
            if entry.prev_hash != expected_prev:
                return broken(entry.id, "prev_hash does not match the previous entry's hash")
            no_keyed_entry_yet = report.legacy == report.checked
            legacy_allowed = no_keyed_entry_yet and (keyed_from is None or entry.id <= keyed_from)
            if hmac.compare_digest(_keyed_hash(entry, key), entry.entry_hash):
                pass
            elif legacy_allowed and _legacy_hash(entry) == entry.entry_hash:
                report.legacy += 1
            else:
                return broken(entry.id, "entry content does not match its keyed hash "
                                        "(altered, or hashed without CASESYS_AUDIT_KEY or with another key)")
            if next_anchor < len(pending) and pending[next_anchor] == entry.id:
                if not hmac.compare_digest(anchored[entry.id], entry.entry_hash):
                    return broken(entry.id, "the entry's hash differs from the one an anchor recorded")
                next_anchor += 1
            expected_prev = entry.entry_hash
            report.head_id = entry.id
            report.checked += 1
            progress(1)
        db.session.expunge_all()
    if next_anchor < len(pending):
        return broken(pending[-1], f"the chain ends at entry {report.head_id}, but an anchor records entry "
                                   f"{pending[-1]}: the newest entries were deleted")
    return report
