"""accounts

Revision ID: 1a000000000a
Revises: 1a0000000009
Create Date: 2026-12-07 10:20:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = '1a000000000a'
down_revision = '1a0000000009'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
