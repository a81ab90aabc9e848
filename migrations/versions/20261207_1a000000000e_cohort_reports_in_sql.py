"""cohort reports in sql

Revision ID: 1a000000000e
Revises: 1a000000000d
Create Date: 2026-12-07 10:20:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = '1a000000000e'
down_revision = '1a000000000d'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
