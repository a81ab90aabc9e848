"""course authors, sources and publish history

Revision ID: 1a0000000006
Revises: 1a0000000005
Create Date: 2026-12-07 08:35:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '1a0000000006'
down_revision = '1a0000000005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owners', sa.JSON(), nullable=True))
    op.execute("UPDATE courses SET owners = '[]'")
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.alter_column('owners', existing_type=sa.JSON(), nullable=False)

    op.create_table(
        'publish_records',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=True),
        sa.Column('slug', sa.String(length=64), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('finished_at', sa.DateTime(), nullable=False),
        sa.Column('actor_user_id', sa.Integer(), nullable=True),
        sa.Column('actor_email', sa.String(length=254), nullable=True),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('commit_id', sa.String(length=64), nullable=True),
        sa.Column('commit_author', sa.String(length=300), nullable=True),
        sa.Column('commit_message', sa.Text(), nullable=True),
        sa.Column('outcome', sa.String(length=16), nullable=False),
        sa.Column('changes', sa.JSON(), nullable=False),
        sa.Column('report', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['actor_user_id'], ['users.id'],
                                name=op.f('fk_publish_records_actor_user_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['course_id'], ['courses.id'],
                                name=op.f('fk_publish_records_course_id_courses'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_publish_records')),
    )
    with op.batch_alter_table('publish_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_publish_records_actor_user_id'),
                              ['actor_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_publish_records_course_id'),
                              ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_publish_records_slug'), ['slug'], unique=False)


def downgrade():
    with op.batch_alter_table('publish_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_publish_records_slug'))
        batch_op.drop_index(batch_op.f('ix_publish_records_course_id'))
        batch_op.drop_index(batch_op.f('ix_publish_records_actor_user_id'))
    op.drop_table('publish_records')
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.drop_column('owners')
