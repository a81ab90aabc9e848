"""nodes

Revision ID: 1a0000000010
Revises: 1a000000000f
Create Date: 2026-12-07 10:20:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = '1a0000000010'
down_revision = '1a000000000f'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
