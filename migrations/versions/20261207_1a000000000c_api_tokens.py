"""api tokens

Revision ID: 1a000000000c
Revises: 1a000000000b
Create Date: 2026-12-07 10:20:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '1a000000000c'
down_revision = '1a000000000b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'api_tokens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('institution_id', sa.Integer(), nullable=True),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('prefix', sa.String(length=16), nullable=False),
        sa.Column('secret_hash', sa.String(length=64), nullable=False),
        sa.Column('scopes', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=True),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.Column('last_used_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE',
                                name=op.f('fk_api_tokens_user_id_users')),
        sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], ondelete='CASCADE',
                                name=op.f('fk_api_tokens_institution_id_institutions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
        sa.UniqueConstraint('secret_hash', name=op.f('uq_api_tokens_secret_hash')),
    )
    op.create_index(op.f('ix_api_tokens_user_id'), 'api_tokens', ['user_id'])
    op.create_index(op.f('ix_api_tokens_institution_id'), 'api_tokens', ['institution_id'])
    op.create_table(
        'api_idempotent_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('status', sa.Integer(), nullable=True),
        sa.Column('body', sa.JSON(), nullable=True),
        sa.Column('headers', sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(['token_id'], ['api_tokens.id'], ondelete='CASCADE',
                                name=op.f('fk_api_idempotent_requests_token_id_api_tokens')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_idempotent_requests')),
        sa.UniqueConstraint('token_id', 'key',
                            name=op.f('uq_api_idempotent_requests_token_id_key')),
    )
    op.create_index('ix_api_idempotent_requests_created_at', 'api_idempotent_requests',
                    ['created_at'])
    # What changed last in an enrolment, for the API's incremental reads (updated_since).
    with op.batch_alter_table('enrolments') as batch:
        batch.add_column(sa.Column('updated_at', sa.DateTime(), nullable=True))
    op.execute("UPDATE enrolments SET updated_at = COALESCE(completed_at, last_visited_at, "
               "enrolled_at)")
    with op.batch_alter_table('enrolments') as batch:
        batch.alter_column('updated_at', existing_type=sa.DateTime(), nullable=False)
    op.create_index('ix_enrolments_updated_at_id', 'enrolments', ['updated_at', 'id'])
    with op.batch_alter_table('cohorts') as batch:
        batch.add_column(sa.Column('archived_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('cohorts') as batch:
        batch.drop_column('archived_at')
    op.drop_index('ix_enrolments_updated_at_id', table_name='enrolments')
    with op.batch_alter_table('enrolments') as batch:
        batch.drop_column('updated_at')
    op.drop_index('ix_api_idempotent_requests_created_at',
                  table_name='api_idempotent_requests')
    op.drop_table('api_idempotent_requests')
    op.drop_index(op.f('ix_api_tokens_institution_id'), table_name='api_tokens')
    op.drop_index(op.f('ix_api_tokens_user_id'), table_name='api_tokens')
    op.drop_table('api_tokens')
