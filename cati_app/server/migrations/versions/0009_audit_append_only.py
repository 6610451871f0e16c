"""the audit log refuses UPDATE and DELETE

Revision ID: 0006_h9_audit
Revises: 0006_h5_claim
Create Date: 2026-12-01 16:20:00

Issue 13, "Admin": the audit trail is append-only in the database itself, not only by the
application's convention. A row trigger refuses every UPDATE and DELETE of ``audit_log`` on
PostgreSQL (a PL/pgSQL function raising an error) and on SQLite (``RAISE(ABORT)``). Inserts
are untouched. ``TRUNCATE`` is not a row operation and stays possible for the database owner
(the tests reset a PostgreSQL schema with DROP SCHEMA, never through this table).
"""

from alembic import op

revision = '0006_h9_audit'
down_revision = "0006_h5_claim"
branch_labels = None
depends_on = None

MESSAGE = "audit_log is append-only: entries cannot be changed or deleted"

PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute("CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
                   "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()")
    else:
        for operation in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_log_no_{operation.lower()} BEFORE {operation} "
                       f"ON audit_log BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    else:
        for operation in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS audit_log_no_{operation}")
