"""accent-insensitive search

Revision ID: 1a0000000005
Revises: 1a0000000004
Create Date: 2026-12-07 08:35:00

"""
import unicodedata

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '1a0000000005'
down_revision = '1a0000000004'
branch_labels = None
depends_on = None

# A frozen copy of ecampus.textsearch.fold as it was when these keys were introduced.
_LETTERS = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "đ": "d", "ð": "d", "ł": "l",
                          "ı": "i", "þ": "th", "ħ": "h"})


def _fold(text):
    decomposed = unicodedata.normalize("NFKD", (text or "").casefold().translate(_LETTERS))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(unicodedata.normalize("NFC", bare).split())


users = sa.table("users", sa.column("id", sa.Integer), sa.column("email", sa.String),
                 sa.column("full_name", sa.String), sa.column("search_key", sa.String))
invitations = sa.table("cohort_invitations", sa.column("id", sa.Integer),
                       sa.column("full_name", sa.String), sa.column("search_key", sa.String))
courses = sa.table("courses", sa.column("id", sa.Integer), sa.column("tags", sa.JSON),
                   sa.column("search_text", sa.Text))
course_texts = sa.table("course_texts", sa.column("course_id", sa.Integer),
                        sa.column("language", sa.String), sa.column("title", sa.String),
                        sa.column("summary", sa.Text))


def _backfill():
    bind = op.get_bind()
    keys = [{"row": row.id, "key": _fold(f"{row.full_name or ''} {row.email or ''}")}
            for row in bind.execute(sa.select(users.c.id, users.c.email, users.c.full_name))]
    if keys:
        bind.execute(users.update().where(users.c.id == sa.bindparam("row"))
                     .values(search_key=sa.bindparam("key")), keys)
    keys = [{"row": row.id, "key": _fold(row.full_name)}
            for row in bind.execute(sa.select(invitations.c.id, invitations.c.full_name))]
    if keys:
        bind.execute(invitations.update().where(invitations.c.id == sa.bindparam("row"))
                     .values(search_key=sa.bindparam("key")), keys)
    texts = {}
    for row in bind.execute(sa.select(course_texts).order_by(course_texts.c.language)):
        texts.setdefault(row.course_id, []).extend([row.title, row.summary])
    keys = [{"row": row.id, "key": _fold(" ".join([*(row.tags or []), *texts.get(row.id, [])]))}
            for row in bind.execute(sa.select(courses.c.id, courses.c.tags))]
    if keys:
        bind.execute(courses.update().where(courses.c.id == sa.bindparam("row"))
                     .values(search_text=sa.bindparam("key")), keys)


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_key', sa.String(length=460), nullable=False,
                                      server_default=''))
    with op.batch_alter_table('cohort_invitations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_key', sa.String(length=200), nullable=False,
                                      server_default=''))
    _backfill()
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('search_key', server_default=None)
        batch_op.create_index(batch_op.f('ix_users_search_key'), ['search_key'], unique=False)
    with op.batch_alter_table('cohort_invitations', schema=None) as batch_op:
        batch_op.alter_column('search_key', server_default=None)
        batch_op.create_index(batch_op.f('ix_cohort_invitations_search_key'), ['search_key'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('cohort_invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cohort_invitations_search_key'))
        batch_op.drop_column('search_key')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_search_key'))
        batch_op.drop_column('search_key')
