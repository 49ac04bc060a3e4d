"""research memory: plans, milestones, group questions and their answers, feedback, full-text search

Revision ID: 0008
Revises: 0009
Create Date: 2026-12-02 10:00:00

The recap gains a fifth field (`plan`). Milestones belong to a membership;
group questions are the agenda lines of recaps, numbered per group; who closed
one (and their note) is a row of its own, as is feedback on a recap.

Search indexes are not in the models (bot/store/search.py): FTS5 tables kept in
step by triggers on SQLite, generated tsvector columns with GIN indexes on
PostgreSQL. A later batch migration that rebuilds one of the indexed tables on
SQLite drops its triggers with it: such a migration must run search.sqlite_ddl()
for that table again (tests/test_search.py checks the index follows every write).

The questions of each group's latest meeting with recaps (the coming one, in
a group in use) become its open group questions; those of earlier meetings
are history and stay as they were. No clock is read: the same database
upgrades the same way whenever it runs.
"""
import re
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

from bot.store import search
from bot.store.tables import UTCDateTime


revision = '0008'
down_revision = '0009'
branch_labels = None
depends_on = None

_BULLET = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s+")  # as bot/core/digest.py's agenda_items at this revision


def _agenda(text: str) -> list[str]:
    return [item for line in text.splitlines() if (item := _BULLET.sub("", line).strip())]


def upgrade() -> None:
    with op.batch_alter_table('recaps', schema=None) as batch_op:
        batch_op.add_column(sa.Column('plan', sa.Text(), server_default='', nullable=False))

    op.create_table(
        'milestones',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('due_date', sa.Date(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('done_at', UTCDateTime(), nullable=True),
        sa.Column('dropped_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_milestones_member_id_members'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_milestones')),
        sa.UniqueConstraint('member_id', 'number', name=op.f('uq_milestones_member_id_number')),
    )
    op.create_table(
        'group_questions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('recap_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('closed_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['recap_id'], ['recaps.id'], name=op.f('fk_group_questions_recap_id_recaps'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_group_questions_team_id_teams'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_group_questions')),
        sa.UniqueConstraint('team_id', 'number', name=op.f('uq_group_questions_team_id_number')),
    )
    op.create_index('ix_group_questions_recap', 'group_questions', ['recap_id'], unique=False)
    op.create_table(
        'question_answers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('question_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('note', sa.Text(), server_default='', nullable=False),
        sa.Column('answered_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_question_answers_member_id_members'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['question_id'], ['group_questions.id'],
                                name=op.f('fk_question_answers_question_id_group_questions'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_question_answers')),
    )
    op.create_index('ix_question_answers_question', 'question_answers', ['question_id'], unique=False)
    op.create_table(
        'recap_feedback',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('recap_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('given_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_recap_feedback_member_id_members'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['recap_id'], ['recaps.id'], name=op.f('fk_recap_feedback_recap_id_recaps'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recap_feedback')),
    )
    op.create_index('ix_recap_feedback_recap', 'recap_feedback', ['recap_id'], unique=False)

    _open_questions_of_latest_meetings()

    conn = op.get_bind()
    for statement in (search.postgresql_ddl() if conn.dialect.name == 'postgresql' else search.sqlite_ddl()):
        conn.execute(sa.text(statement))


def _open_questions_of_latest_meetings() -> None:
    conn = op.get_bind()
    recaps = sa.table('recaps', sa.column('id', sa.Integer), sa.column('team_id', sa.Integer),
                      sa.column('member_id', sa.Integer), sa.column('meeting_at', UTCDateTime),
                      sa.column('questions', sa.Text))
    questions = sa.table('group_questions', sa.column('team_id', sa.Integer), sa.column('recap_id', sa.Integer),
                         sa.column('number', sa.Integer), sa.column('position', sa.Integer),
                         sa.column('text', sa.Text), sa.column('created_at', UTCDateTime))
    now = datetime.now(timezone.utc)
    latest = (sa.select(recaps.c.team_id, sa.func.max(recaps.c.meeting_at).label('meeting_at'))
              .group_by(recaps.c.team_id).subquery())
    rows = conn.execute(
        sa.select(recaps.c.id, recaps.c.team_id, recaps.c.questions)
        .join(latest, sa.and_(latest.c.team_id == recaps.c.team_id, latest.c.meeting_at == recaps.c.meeting_at))
        .where(recaps.c.questions != '')
        .order_by(recaps.c.team_id, recaps.c.member_id)
    ).all()
    numbers: dict[int, int] = {}
    values = []
    for recap_id, team_id, text in rows:
        for position, item in enumerate(_agenda(text)):
            numbers[team_id] = numbers.get(team_id, 0) + 1
            values.append(dict(team_id=team_id, recap_id=recap_id, number=numbers[team_id], position=position,
                               text=item, created_at=now))
    if values:
        conn.execute(sa.insert(questions), values)


def downgrade() -> None:
    conn = op.get_bind()
    for statement in (search.postgresql_drop() if conn.dialect.name == 'postgresql' else search.sqlite_drop()):
        conn.execute(sa.text(statement))
    op.drop_index('ix_recap_feedback_recap', table_name='recap_feedback')
    op.drop_table('recap_feedback')
    op.drop_index('ix_question_answers_question', table_name='question_answers')
    op.drop_table('question_answers')
    op.drop_index('ix_group_questions_recap', table_name='group_questions')
    op.drop_table('group_questions')
    op.drop_table('milestones')
    with op.batch_alter_table('recaps', schema=None) as batch_op:
        batch_op.drop_column('plan')
