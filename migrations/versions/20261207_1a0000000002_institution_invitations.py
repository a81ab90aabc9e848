"""institution membership by invitation

Revision ID: 1a0000000002
Revises: 1a0000000001
Create Date: 2026-12-07 07:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1a0000000002'
down_revision = '1a0000000001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('institution_members',
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('joined_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_institution_members_institution_id_institutions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_institution_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('institution_id', 'user_id', name=op.f('pk_institution_members'))
    )
    with op.batch_alter_table('institution_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_institution_members_user_id'), ['user_id'], unique=False)

    op.create_table('cohort_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('external_id', sa.String(length=100), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_cohort_invitations_cohort_id_cohorts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_cohort_invitations_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cohort_invitations')),
    sa.UniqueConstraint('cohort_id', 'user_id', name=op.f('uq_cohort_invitations_cohort_id_user_id')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_cohort_invitations_token_hash'))
    )
    with op.batch_alter_table('cohort_invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cohort_invitations_user_id'), ['user_id'], unique=False)

    # People already in an institution's cohorts stay its members: their managers keep the
    # reports they had. Only additions from now on need the person's consent.
    op.execute(
        "INSERT INTO institution_members (institution_id, user_id, joined_at) "
        "SELECT cohorts.institution_id, cohort_members.user_id, MIN(cohort_members.added_at) "
        "FROM cohort_members JOIN cohorts ON cohorts.id = cohort_members.cohort_id "
        "GROUP BY cohorts.institution_id, cohort_members.user_id"
    )


def downgrade():
    with op.batch_alter_table('cohort_invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cohort_invitations_user_id'))

    op.drop_table('cohort_invitations')
    with op.batch_alter_table('institution_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_institution_members_user_id'))

    op.drop_table('institution_members')
