"""stored streaks: each membership keeps its current streak

Revision ID: 0010
Revises: 0008
Create Date: 2026-11-25 13:00:00

A digest shows a streak for every member who has not written yet: the streak of
their latest recap, if that recap still counts. Reading it used to mean loading
the previous cycle's whole recap rows; now `members.streak` holds the streak of the
member's latest recap and `members.streak_meeting_at` that recap's meeting, kept in
step with every new recap (store/repo.py `save_recap`) and with recaps moved to the
next meeting (`move_recaps`). Existing rows are filled from each member's latest
recap. Columns are only added (no table is rebuilt on SQLite).
"""
from alembic import op
import sqlalchemy as sa

from bot.store.tables import UTCDateTime


revision = '0010'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('streak', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('streak_meeting_at', UTCDateTime(), nullable=True))
    op.execute(
        "UPDATE members SET "
        "streak_meeting_at = (SELECT max(r.meeting_at) FROM recaps r WHERE r.member_id = members.id), "
        "streak = coalesce((SELECT r.streak FROM recaps r WHERE r.member_id = members.id "
        "ORDER BY r.meeting_at DESC LIMIT 1), 0)"
    )


def downgrade() -> None:
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_column('streak_meeting_at')
        batch_op.drop_column('streak')
