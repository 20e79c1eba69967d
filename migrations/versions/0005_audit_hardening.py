"""audit hardening: PostgreSQL refuses TRUNCATE of audit_log; optional grants for an app role

UPDATE and DELETE are refused by the triggers of 0001, but TRUNCATE fires no row trigger. A
statement trigger closes that. Triggers only stop a role that does not own the table (an owner can
disable them), so production should run the application as a role of its own: pass
``-x app_role=NAME`` to ``flask db upgrade`` (or set ``CASESYS_DB_APP_ROLE``) and this migration
gives that role read and write access to every table but only SELECT and INSERT on audit_log.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 22:00:00

"""
import os
import re

from alembic import context, op

# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite has no TRUNCATE, and no roles
    op.execute("""
        CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
    """)
    role = context.get_x_argument(as_dictionary=True).get("app_role") or os.environ.get("CASESYS_DB_APP_ROLE")
    if role:
        for statement in app_role_grants(role):
            op.execute(statement)


def app_role_grants(role: str) -> list[str]:
    """What the application's own (non-owner) role may do: everything the app needs, except
    change or remove audit entries. Default privileges cover the tables later migrations add."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", role):
        raise ValueError(f"app_role must be a plain lower-case PostgreSQL role name, not {role!r}")
    return [
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {role}",
        f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_log FROM {role}",
    ]


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_no_truncate ON audit_log")
