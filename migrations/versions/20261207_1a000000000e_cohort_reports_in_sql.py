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


#: Every enrolment's count of completed live required modules, from its completion rows.
BACKFILL = """
UPDATE enrolments SET modules_done = (
    SELECT count(module_completions.id) FROM module_completions
    JOIN modules ON modules.id = module_completions.module_id
    WHERE module_completions.user_id = enrolments.user_id
      AND modules.course_id = enrolments.course_id
      AND modules.required AND modules.retired_at IS NULL)
"""


def upgrade():
    op.add_column('enrolments', sa.Column('modules_done', sa.Integer(), nullable=False,
                                          server_default='0'))
    op.execute(BACKFILL)


def downgrade():
    with op.batch_alter_table('enrolments') as batch:
        batch.drop_column('modules_done')
