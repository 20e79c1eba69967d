"""Tampering with the audit chain below the application is detected by `flask audit verify`:
entries are hashed with a key that is not in the database, and signed anchors outside the
database record the chain's head."""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import json
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from casesys import audit
from casesys.audit import services
from casesys.audit.models import AuditEntry
from casesys.config import REPO_ROOT, ConfigError, from_environment
from casesys.extensions import db
from tests.conftest import is_postgres


def add_entries(n: int) -> list[int]:
    ids = [audit.record("test.event", "test", i, step=i).id for i in range(n)]
    db.session.commit()
    return ids


def invoke(runner, command: str):
    db.session.rollback()  # hold no lock while the command runs
    return runner.invoke(args=["audit", command])


def anchor_file(app) -> Path:
    return Path(app.config["CASESYS_AUDIT_ANCHOR_FILE"])


@contextmanager
def below_the_application():
    """A connection writing straight to the database with the append-only triggers lifted, as
    the table's owner (or anyone with the database files) could."""
    db.session.rollback()
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_delete"))
        yield conn
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))


def rewrite_from(first_id: int, rehash) -> None:
    """Change the action of entry ``first_id`` and recompute every later hash with ``rehash``."""
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.id >= first_id).order_by(AuditEntry.id)).all()
    previous = db.session.scalar(select(AuditEntry.entry_hash).where(AuditEntry.id < first_id)
                                 .order_by(AuditEntry.id.desc()).limit(1)) or services.GENESIS_HASH
    db.session.expunge_all()
    entries[0].action = "test.forged"
    for entry in entries:
        entry.prev_hash = previous
        entry.entry_hash = previous = rehash(services._canonical(entry))
    with below_the_application() as conn:
        for entry in entries:
            conn.execute(text("UPDATE audit_log SET action = :action, prev_hash = :prev, entry_hash = :hash "
                              "WHERE id = :id"),
                         {"action": entry.action, "prev": entry.prev_hash, "hash": entry.entry_hash, "id": entry.id})


def plain_sha256(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def wrong_key(payload: bytes) -> str:
    return hmac.new(b"guessed-" * 8, payload, hashlib.sha256).hexdigest()


def test_a_good_chain_with_anchors_verifies(app, runner):
    add_entries(3)
    assert invoke(runner, "anchor").exit_code == 0
    ids = add_entries(2)
    anchored = invoke(runner, "anchor")
    assert anchored.exit_code == 0 and f"anchored entry {ids[-1]}" in anchored.output
    assert len(anchor_file(app).read_text().splitlines()) == 2

    result = invoke(runner, "verify")
    assert result.exit_code == 0, result.output
    assert "audit chain intact: 5 entries" in result.output
    assert f"2 signed anchors match; the newest records entry {ids[-1]}" in result.output


def test_anchoring_an_empty_log_writes_nothing(app, runner):
    result = invoke(runner, "anchor")
    assert result.exit_code == 0 and "empty" in result.output
    assert not anchor_file(app).exists()
    assert "no anchors yet" in invoke(runner, "verify").output


def test_deleting_the_newest_entries_after_an_anchor_is_detected(app, runner):
    ids = add_entries(5)
    invoke(runner, "anchor")
    with below_the_application() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id > :id"), {"id": ids[2]})
    # The rest of the chain is consistent; only the anchor knows it was longer.
    result = invoke(runner, "verify")
    assert result.exit_code == 1
    assert f"the chain ends at entry {ids[2]}, but an anchor records entry {ids[4]}" in result.output


def test_deleting_every_entry_is_detected(app, runner):
    ids = add_entries(3)
    invoke(runner, "anchor")
    with below_the_application() as conn:
        conn.execute(text("DELETE FROM audit_log"))
    result = invoke(runner, "verify")
    assert result.exit_code == 1
    assert f"the chain ends at entry 0, but an anchor records entry {ids[-1]}" in result.output


def test_deleted_entries_replaced_by_new_ones_are_detected(app, runner):
    """SQLite reuses the deleted ids: the anchored id exists again, with another hash."""
    ids = add_entries(4)
    invoke(runner, "anchor")
    with below_the_application() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id > :id"), {"id": ids[1]})
    add_entries(3)
    result = invoke(runner, "verify")
    assert result.exit_code == 1
    assert "anchor" in result.output and "audit chain broken" in result.output


@pytest.mark.parametrize("rehash", [plain_sha256, wrong_key])
def test_rewriting_an_entry_and_rehashing_the_rest_is_detected(app, runner, rehash):
    ids = add_entries(4)
    assert invoke(runner, "verify").exit_code == 0
    rewrite_from(ids[1], rehash)  # no anchor needed: the key alone gives it away
    result = invoke(runner, "verify")
    assert result.exit_code == 1
    assert f"audit chain broken at entry {ids[1]}: entry content does not match its keyed hash" in result.output
    assert "(1 entries before it are intact)" in result.output


def test_rewriting_the_whole_chain_unkeyed_is_caught_by_the_anchor(app, runner):
    """Rehashed from the first entry with plain SHA-256, the chain would pass as written before
    the key existed; an anchor proves the key was in use, and records the true head."""
    ids = add_entries(3)
    invoke(runner, "anchor")
    rewrite_from(ids[0], plain_sha256)
    result = invoke(runner, "verify")
    assert result.exit_code == 1
    assert f"audit chain broken at entry {ids[-1]}: the entry's hash differs from the one an anchor recorded" \
        in result.output


def test_entries_from_before_the_key_pass_only_at_the_start_and_are_reported(app, runner, monkeypatch):
    with monkeypatch.context() as old_code:  # how entries were hashed before the key was introduced
        old_code.setattr(services, "_keyed_hash", lambda entry, key: services._legacy_hash(entry))
        add_entries(2)
    ids = add_entries(2)
    result = invoke(runner, "verify")
    assert result.exit_code == 0, result.output
    assert "audit chain intact: 4 entries" in result.output
    assert "the oldest 2 entries were hashed without a key" in result.output

    rewrite_from(ids[1], plain_sha256)  # an unkeyed entry after a keyed one is not "old"
    result = invoke(runner, "verify")
    assert result.exit_code == 1 and f"audit chain broken at entry {ids[1]}" in result.output


def test_a_forged_or_altered_anchor_is_detected(app, runner):
    ids = add_entries(2)
    invoke(runner, "anchor")
    path = anchor_file(app)
    good = json.loads(path.read_text())
    assert invoke(runner, "verify").exit_code == 0

    # Claiming a shorter chain (after deleting entries) needs a signature only the key can make.
    with path.open("a") as file:
        file.write(json.dumps({**good, "id": ids[0]}) + "\n")
    result = invoke(runner, "verify")
    assert result.exit_code == 1
    assert "line 2: the signature does not match" in result.output

    path.write_text(json.dumps(good) + "\nnot json\n")
    result = invoke(runner, "verify")
    assert result.exit_code == 1 and "line 2: not an anchor" in result.output


def test_the_scheduler_anchors_the_head(app):
    from casesys.scheduler import runner as scheduler

    ids = add_entries(2)
    results = scheduler.tick(app)
    assert results["audit-anchor"].entry_id == ids[-1]
    line = json.loads(anchor_file(app).read_text().splitlines()[-1])
    head = db.session.get(AuditEntry, ids[-1])
    assert (line["id"], line["hash"]) == (head.id, head.entry_hash)
    assert any(job.id == "audit-anchor" and job.minutes == 10 for job in scheduler.JOBS)


def test_production_needs_an_audit_key():
    production = {"CASESYS_ENV": "production", "CASESYS_SECRET_KEY": "x" * 32}
    with pytest.raises(ConfigError, match="CASESYS_AUDIT_KEY is required"):
        from_environment(production)
    with pytest.raises(ConfigError, match="at least 32 characters"):
        from_environment({**production, "CASESYS_AUDIT_KEY": "short"})
    config = from_environment({**production, "CASESYS_AUDIT_KEY": "k" * 32, "CASESYS_AUDIT_ANCHOR_FILE": "/srv/a"})
    assert (config["CASESYS_AUDIT_KEY"], config["CASESYS_AUDIT_ANCHOR_FILE"]) == ("k" * 32, "/srv/a")


@pytest.mark.parametrize("statement", ["TRUNCATE audit_log", "TRUNCATE users CASCADE"])
@pytest.mark.postgres_only
@pytest.mark.skipif(not is_postgres(), reason="SQLite has no TRUNCATE")
def test_postgres_refuses_to_truncate_the_audit_log(app, statement):
    add_entries(2)
    db.session.rollback()
    with pytest.raises(DBAPIError, match=r"append-only \(TRUNCATE refused\)"):
        with db.engine.begin() as conn:
            conn.execute(text(statement))
    assert db.session.query(AuditEntry).count() == 2


@pytest.mark.postgres_only
@pytest.mark.skipif(not is_postgres(), reason="roles and grants need PostgreSQL")
def test_the_app_role_may_append_audit_entries_but_not_change_them(app):
    spec = importlib.util.spec_from_file_location(
        "audit_hardening", REPO_ROOT / "migrations" / "versions" / "0005_audit_hardening.py")
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    role = f"{db.engine.url.database}_app_role_test"[:63]
    with db.engine.begin() as conn:
        conn.execute(text(f"DROP ROLE IF EXISTS {role}"))
        conn.execute(text(f"CREATE ROLE {role} NOLOGIN"))
        for statement in migration.app_role_grants(role):
            conn.execute(text(statement))
    try:
        add_entries(1)  # as the owner, so the app role appends to a chain
        db.session.execute(text(f"SET LOCAL ROLE {role}"))
        audit.record("test.as_app_role", "test", 1)
        db.session.commit()
        for statement in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"):
            db.session.execute(text(f"SET LOCAL ROLE {role}"))
            with pytest.raises(DBAPIError, match="permission denied"):
                db.session.execute(text(statement))
            db.session.rollback()
        assert db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()[-1] == "test.as_app_role"
    finally:
        db.session.rollback()
        with db.engine.begin() as conn:
            conn.execute(text(f"DROP OWNED BY {role}"))
            conn.execute(text(f"DROP ROLE {role}"))
    with pytest.raises(ValueError):
        migration.app_role_grants("app; DROP TABLE audit_log")
