"""nodes: the current signing key lives in the database, shared by every node

Revision ID: 1a0000000010
Revises: 1a000000000e
Create Date: 2026-12-07 10:20:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '1a0000000010'
down_revision = '1a000000000e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('signing_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('slot', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('private_key', sa.Text(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_signing_keys_slot'), ['slot'])


def downgrade():
    with op.batch_alter_table('signing_keys', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_signing_keys_slot'), type_='unique')
        batch_op.drop_column('private_key')
        batch_op.drop_column('slot')
