"""enrolment quiz score: each enrolment keeps its quiz result for the cohort figures

Revision ID: 1a0000000011
Revises: 1a0000000010
Create Date: 2026-12-07 19:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '1a0000000011'
down_revision = '1a0000000010'
branch_labels = None
depends_on = None


#: Each enrolment's quiz result: the mean over its course's live quizzes of the best graded
#: score (a quiz not taken counts 0), NULL before any graded attempt; as
#: ecampus.quizzes.services.enrolment_score computes it.
_BEST = """(SELECT max(attempts.score) FROM attempts
            WHERE attempts.user_id = enrolments.user_id AND attempts.module_id = modules.id
              AND attempts.status = 'graded')"""
BACKFILL = f"""
UPDATE enrolments SET quiz_score = (
    SELECT sum({_BEST}) / coalesce(nullif(count(CASE WHEN modules.kind = 'quiz' THEN 1 END), 0),
                                   count({_BEST}))
    FROM modules
    WHERE modules.course_id = enrolments.course_id AND modules.retired_at IS NULL)
"""


def upgrade():
    op.add_column('enrolments', sa.Column('quiz_score', sa.Double(), nullable=True))
    op.execute(BACKFILL)


def downgrade():
    with op.batch_alter_table('enrolments') as batch:
        batch.drop_column('quiz_score')
