"""hot pages

Revision ID: 1a000000000f
Revises: 1a000000000e
Create Date: 2026-12-07 10:20:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = '1a000000000f'
down_revision = '1a000000000e'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
