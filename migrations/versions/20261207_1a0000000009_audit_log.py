"""audit log

Revision ID: 1a0000000009
Revises: 1a0000000008
Create Date: 2026-12-07 10:20:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '1a0000000009'
down_revision = '1a0000000008'
branch_labels = None
depends_on = None


REFUSAL = "audit entries are append-only"

#: The database refuses to change or remove an entry (the same triggers as GUARDS in
#: ecampus/audit/models.py, written out so this migration never changes with the code).
GUARDS = {
    "sqlite": [
        "CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries "
        f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END",
        "CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries "
        f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_entries_refuse() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        f"RAISE EXCEPTION '{REFUSAL}' USING ERRCODE = 'integrity_constraint_violation'; "
        "END $$",
        "CREATE TRIGGER audit_entries_no_change BEFORE UPDATE OR DELETE ON audit_entries "
        "FOR EACH ROW EXECUTE FUNCTION audit_entries_refuse()",
        "CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_refuse()",
    ],
}


def upgrade():
    op.create_table(
        'audit_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('address', sa.String(length=45), nullable=True),
        sa.Column('action', sa.String(length=64), nullable=False),
        sa.Column('target_type', sa.String(length=32), nullable=True),
        sa.Column('target_id', sa.String(length=200), nullable=True),
        sa.Column('institution_id', sa.Integer(), nullable=True),
        sa.Column('before', sa.JSON(), nullable=True),
        sa.Column('after', sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entries')),
    )
    op.create_index(op.f('ix_audit_entries_at'), 'audit_entries', ['at'])
    op.create_index('ix_audit_entries_institution_at', 'audit_entries',
                    ['institution_id', 'at'])
    op.create_index('ix_audit_entries_actor_at', 'audit_entries', ['actor_id', 'at'])
    op.create_index('ix_audit_entries_action_at', 'audit_entries', ['action', 'at'])
    op.create_index('ix_audit_entries_target', 'audit_entries', ['target_type', 'target_id'])
    for statement in GUARDS.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def downgrade():
    op.drop_table('audit_entries')  # its triggers go with it
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_entries_refuse()")
