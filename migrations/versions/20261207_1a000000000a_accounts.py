"""accounts: merged accounts and address changes

Revision ID: 1a000000000a
Revises: 1a0000000009
Create Date: 2026-12-07 10:20:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '1a000000000a'
down_revision = '1a0000000009'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == 'sqlite':
        # Plain ADD COLUMN with its constraint inline: a batch copy of `users` would drop the
        # table, and with foreign keys on that deletes every row pointing at it.
        op.execute('ALTER TABLE users ADD COLUMN merged_into_id INTEGER '
                   'CONSTRAINT fk_users_merged_into_id_users REFERENCES users (id)')
    else:
        op.add_column('users', sa.Column('merged_into_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_users_merged_into_id_users'), 'users', 'users',
                              ['merged_into_id'], ['id'])
    op.create_index(op.f('ix_users_merged_into_id'), 'users', ['merged_into_id'])
    op.add_column('account_tokens', sa.Column('new_email', sa.String(length=254),
                                              nullable=True))


def downgrade():
    op.drop_column('account_tokens', 'new_email')
    op.drop_index(op.f('ix_users_merged_into_id'), table_name='users')
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(op.f('fk_users_merged_into_id_users'), 'users',
                           type_='foreignkey')
    op.drop_column('users', 'merged_into_id')
