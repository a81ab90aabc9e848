"""status lists without limit

Revision ID: 1a0000000007
Revises: 1a0000000006
Create Date: 2026-12-07 08:35:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '1a0000000007'
down_revision = '1a0000000006'
branch_labels = None
depends_on = None


def upgrade():
    # A replaced certificate's bit is now set: record why, for its verification page.
    op.execute(
        "UPDATE certificates SET revoked_reason = 'replaced by ' || "
        "(SELECT newer.code FROM certificates AS newer "
        " WHERE newer.id = certificates.replaced_by_id) "
        "WHERE status = 'replaced' AND revoked_reason IS NULL AND replaced_by_id IS NOT NULL")
    _rebuild(_upgrade_table)
    # Existing credentials name their own id; copy it so a presented file finds its record.
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("UPDATE certificates SET credential_id = credential::json ->> 'id'")
    else:
        op.execute("UPDATE certificates SET credential_id = json_extract(credential, '$.id')")


def _upgrade_table():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status_list', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('credential_id', sa.String(length=100), nullable=True))
        batch_op.drop_constraint('uq_certificates_status_index', type_='unique')
        batch_op.create_unique_constraint(
            batch_op.f('uq_certificates_status_list_status_index'),
            ['status_list', 'status_index'])
        batch_op.create_unique_constraint(batch_op.f('uq_certificates_credential_id'),
                                          ['credential_id'])
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.alter_column('status_list', server_default=None)
        batch_op.create_index('ix_certificates_status_list_status',
                              ['status_list', 'status', 'status_index'], unique=False)


def _rebuild(alter):
    """Run `alter`; on SQLite, which rebuilds the table, first set aside the links from a
    replaced certificate to its successor: the rebuilt copy's rows would point at the old
    table while it is dropped, which SQLite refuses."""
    if op.get_bind().dialect.name != 'sqlite':
        alter()
        return
    op.execute("CREATE TABLE _certificate_replacements AS "
               "SELECT id, replaced_by_id FROM certificates WHERE replaced_by_id IS NOT NULL")
    op.execute("UPDATE certificates SET replaced_by_id = NULL")
    alter()
    op.execute("UPDATE certificates SET replaced_by_id = (SELECT replaced_by_id FROM "
               "_certificate_replacements AS r WHERE r.id = certificates.id) "
               "WHERE id IN (SELECT id FROM _certificate_replacements)")
    op.execute("DROP TABLE _certificate_replacements")


def downgrade():
    _rebuild(_downgrade_table)


def _downgrade_table():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index('ix_certificates_status_list_status')
        batch_op.drop_constraint(batch_op.f('uq_certificates_credential_id'), type_='unique')
        batch_op.drop_constraint(batch_op.f('uq_certificates_status_list_status_index'),
                                 type_='unique')
        batch_op.create_unique_constraint('uq_certificates_status_index', ['status_index'])
        batch_op.drop_column('credential_id')
        batch_op.drop_column('status_list')
