"""certificates for every script, unlimited revocation

Revision ID: 1a0000000004
Revises: 1a0000000003
Create Date: 2026-12-07 08:35:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '1a0000000004'
down_revision = '1a0000000003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'certificate_look',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('emblem', sa.LargeBinary(), nullable=True),
        sa.Column('emblem_type', sa.String(length=20), nullable=True),
        sa.Column('signature', sa.LargeBinary(), nullable=True),
        sa.Column('signature_type', sa.String(length=20), nullable=True),
        sa.Column('seal', sa.LargeBinary(), nullable=True),
        sa.Column('seal_type', sa.String(length=20), nullable=True),
        sa.Column('signatory_name', sa.String(length=200), nullable=True),
        sa.Column('signatory_title', sa.String(length=200), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_look')),
    )


def downgrade():
    op.drop_table('certificate_look')
