"""The flask commands: seeding, users, tokens and the audit chain."""

from __future__ import annotations

from sqlalchemy import func, select, text

from casesys.agencies.models import PROVINCE_ONLY_KINDS, Agency, Region
from casesys.audit.models import AuditEntry
from casesys.auth.models import ApiToken, User
from casesys.cases.models import Case
from casesys.extensions import db


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_seed_reference_is_complete_and_idempotent(runner):
    result = runner.invoke(args=["seed", "reference"])
    # the fixture seeded it
    assert result.exit_code == 0 and "0 regions, 0 agencies and 0 calendar days added" in result.output
    assert _count(Region) == 14
    assert _count(Agency) == 2 + 14 * 11
    codes = set(db.session.scalars(select(Agency.code)))
    assert {"230100-market_regulation", "232700-court", "230000-coordination_office",
            "230000-protection_center"} <= codes
    assert not any(code.endswith(tuple(PROVINCE_ONLY_KINDS)) and not code.startswith("230000") for code in codes)
    harbin = db.session.get(Region, "230100")
    assert harbin.parent_code == "230000" and harbin.name_zh == "哈尔滨市"


def test_seed_demo_twice_duplicates_nothing(runner):
    first = runner.invoke(args=["seed", "demo"])
    assert first.exit_code == 0, first.output
    users, cases = _count(User), _count(Case)
    assert users >= 10 and cases >= 3
    roles = {r for u in db.session.scalars(select(User)) for r in u.roles}
    assert roles == {"officer", "agency_head", "mediator", "supervisor", "admin"}
    second = runner.invoke(args=["seed", "demo"])
    assert second.exit_code == 0 and "0 users and 0 cases added" in second.output
    assert (_count(User), _count(Case)) == (users, cases)


def test_users_create_with_password_stdin(runner):
    result = runner.invoke(args=["users", "create", "new.officer", "--agency", "230100-copyright",
                                 "--role", "officer", "--role", "agency_head", "--password-stdin"],
                           input="a-long-enough-password\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "new.officer"))
    assert user.roles == {"officer", "agency_head"}
    assert user.password_hash.startswith("$argon2id$")
    again = runner.invoke(args=["users", "create", "new.officer", "--agency", "230100-copyright",
                                "--role", "officer", "--password-stdin"], input="a-long-enough-password\n")
    assert again.exit_code == 1 and "already exists" in again.output


def test_users_create_prompts_for_the_password(runner):
    result = runner.invoke(args=["users", "create", "prompted", "--agency", "230100-copyright",
                                 "--role", "officer"], input="pass-pass-pass\npass-pass-pass\n")
    assert result.exit_code == 0, result.output


def test_users_create_rejects_bad_arguments_clearly(runner):
    cases = [
        (["--agency", "999999-nowhere", "--role", "officer"], "no agency has the code 999999-nowhere"),
        (["--agency", "230100-copyright", "--role", "wizard"], "unknown role(s): wizard"),
        (["--agency", "230100-copyright", "--role", "officer"], "at least 10 characters"),
    ]
    for extra, message in cases:
        result = runner.invoke(args=["users", "create", "someone", *extra, "--password-stdin"], input="short\n")
        assert result.exit_code == 1 and message in result.output, result.output
    bad_name = runner.invoke(args=["users", "create", "Bad Name!", "--agency", "230100-copyright", "--role",
                                   "officer", "--password-stdin"], input="long-enough-pass\n")
    assert bad_name.exit_code == 1 and "lower-case" in bad_name.output
    assert runner.invoke(args=["users", "create", "x"]).exit_code == 2  # missing options: usage error
    assert _count(User) == 0


def test_users_token_prints_a_token_and_stores_only_its_hash(app, runner, make_user, client):
    make_user("integrator")
    result = runner.invoke(args=["users", "token", "integrator"])
    assert result.exit_code == 0
    token = result.output.strip()
    assert token.startswith("cs_")
    stored = db.session.scalar(select(ApiToken.token_hash))
    assert token not in stored and len(stored) == 64
    assert client.get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    missing = runner.invoke(args=["users", "token", "nobody"])
    assert missing.exit_code == 1 and "no user named 'nobody'" in missing.output


def test_audit_verify_passes_then_reports_the_first_broken_link(app, runner, make_user):
    for name in ("a.one", "a.two", "a.three"):
        make_user(name)
    ok = runner.invoke(args=["audit", "verify"])
    assert ok.exit_code == 0 and "audit chain intact: 3 entries" in ok.output

    second_id = db.session.scalars(select(AuditEntry.id).order_by(AuditEntry.id)).all()[1]
    db.session.rollback()  # end the read so that the raw connections below can write
    # The database refuses to edit the log...
    try:
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE audit_log SET action = 'forged' WHERE id = :id"), {"id": second_id})
    except Exception as exc:  # noqa: BLE001 - either backend's error type
        assert "append-only" in str(exc)
    else:
        raise AssertionError("audit_log accepted an UPDATE")

    # ...so simulate tampering below the application: drop the guard and forge an entry.
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        else:
            conn.execute(text("DROP TRIGGER audit_log_no_update"))
        conn.execute(text("UPDATE audit_log SET action = 'forged' WHERE id = :id"), {"id": second_id})
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))
    broken = runner.invoke(args=["audit", "verify"])
    assert broken.exit_code == 1
    assert f"audit chain broken at entry {second_id}" in broken.output
    assert "1 entries before it are intact" in broken.output
