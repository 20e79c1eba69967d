"""Signed chain heads kept outside the database.

``flask audit anchor`` (and the scheduler, every 10 minutes) appends the chain's head — the newest
entry's id and hash, and the time — signed with the audit key, as one JSON line to
``CASESYS_AUDIT_ANCHOR_FILE``. Deleting the newest entries, emptying the table or rewriting it no
longer matches what the anchors recorded, and without the key nobody can write a matching anchor.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from casesys.audit.models import AuditEntry
from casesys.audit.services import audit_key
from casesys.core.types import utcnow
from casesys.extensions import db


@dataclass(frozen=True)
class Anchor:
    entry_id: int
    entry_hash: str
    at: str  # when the head was read (UTC, ISO 8601)
    line: int = 0  # where it is in the file

    def __str__(self) -> str:  # as `flask scheduler tick` prints it
        return f"entry {self.entry_id} anchored at {self.at}"


class AnchorError(Exception):
    def __init__(self, line: int, reason: str):
        super().__init__(f"line {line}: {reason}")
        self.line, self.reason = line, reason


def anchor_path() -> Path:
    return Path(current_app.config["CASESYS_AUDIT_ANCHOR_FILE"])


def _signature(key: bytes, entry_id: int, entry_hash: str, at: str) -> str:
    signed = json.dumps({"id": entry_id, "hash": entry_hash, "at": at}, sort_keys=True, separators=(",", ":"))
    # The prefix keeps an anchor's signature from ever being mistaken for an entry's hash.
    return hmac.new(key, b"casesys-audit-anchor:" + signed.encode(), hashlib.sha256).hexdigest()


def write_anchor() -> Anchor | None:
    """Append the current head to the anchor file; None when the log is still empty."""
    head = db.session.execute(select(AuditEntry.id, AuditEntry.entry_hash)
                              .order_by(AuditEntry.id.desc()).limit(1)).first()
    if head is None:
        return None
    anchor = Anchor(head.id, head.entry_hash, utcnow().isoformat(timespec="seconds"))
    line = json.dumps({"id": anchor.entry_id, "hash": anchor.entry_hash, "at": anchor.at,
                       "sig": _signature(audit_key(), anchor.entry_id, anchor.entry_hash, anchor.at)})
    path = anchor_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    # One short write in append mode: concurrent writers (scheduler, operator) never interleave.
    with path.open("a", encoding="utf-8") as file:
        file.write(line + "\n")
        file.flush()
        os.fsync(file.fileno())
    return anchor


def read_anchors() -> list[Anchor]:
    """Every anchor in the file, oldest first (none if there is no file yet).

    AnchorError names the first line that is not a correctly signed anchor, or an anchor that
    contradicts an earlier one about the same entry (the chain was rewritten in between)."""
    path = anchor_path()
    if not path.exists():
        return []
    key = audit_key()
    anchors: list[Anchor] = []
    seen: dict[int, Anchor] = {}
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            data = json.loads(text)
            anchor = Anchor(data["id"], data["hash"], data["at"], number)
            expected = _signature(key, anchor.entry_id, anchor.entry_hash, anchor.at)
            valid = hmac.compare_digest(str(data["sig"]), expected)
        except (ValueError, KeyError, TypeError):
            raise AnchorError(number, "not an anchor (expected JSON with id, hash, at and sig)") from None
        if not valid or not isinstance(anchor.entry_id, int):
            raise AnchorError(number, "the signature does not match (forged or altered, or signed with another key)")
        earlier = seen.setdefault(anchor.entry_id, anchor)
        if earlier.entry_hash != anchor.entry_hash:
            raise AnchorError(number, f"entry {anchor.entry_id} has a different hash than line {earlier.line} "
                                      "recorded: the chain was rewritten in between")
        anchors.append(anchor)
    return anchors
