"""course sources from git

Revision ID: 1a0000000008
Revises: 1a0000000007
Create Date: 2026-12-07 08:35:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '1a0000000008'
down_revision = '1a0000000007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'course_sources',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('slug', sa.String(length=64), nullable=False),
        sa.Column('url', sa.String(length=1000), nullable=False),
        sa.Column('branch', sa.String(length=200), nullable=False),
        sa.Column('webhook_secret', sa.String(length=200), nullable=False),
        sa.Column('last_commit', sa.String(length=64), nullable=True),
        sa.Column('last_synced_at', sa.DateTime(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('course_slugs', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_course_sources')),
        sa.UniqueConstraint('slug', name=op.f('uq_course_sources_slug')),
    )


def downgrade():
    op.drop_table('course_sources')
