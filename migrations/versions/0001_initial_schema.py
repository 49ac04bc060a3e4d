"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 13:07:00.123429
"""
from alembic import op
import sqlalchemy as sa
import bot.store.tables


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('teams',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace', sa.String(length=120), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=120), nullable=True),
    sa.Column('meeting_weekday', sa.Integer(), nullable=True),
    sa.Column('meeting_time', sa.String(length=5), nullable=True),
    sa.Column('every_weeks', sa.Integer(), server_default='1', nullable=False),
    sa.Column('anchor_date', sa.Date(), nullable=True),
    sa.Column('digest_lead_minutes', sa.Integer(), server_default='120', nullable=False),
    sa.Column('reminder_lead_minutes', sa.Integer(), server_default='1440', nullable=False),
    sa.Column('north_star', sa.Text(), nullable=True),
    sa.Column('admins', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', bot.store.tables.UTCDateTime(), nullable=False),
    sa.Column('updated_at', bot.store.tables.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_teams')),
    sa.UniqueConstraint('workspace', 'name', name=op.f('uq_teams_workspace_name'))
    )
    op.create_table('digest_posts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('meeting_at', bot.store.tables.UTCDateTime(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('claimed_by', sa.String(length=120), server_default='', nullable=False),
    sa.Column('claimed_at', bot.store.tables.UTCDateTime(), nullable=False),
    sa.Column('posted_at', bot.store.tables.UTCDateTime(), nullable=True),
    sa.Column('posted_late', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('channel', sa.String(length=120), nullable=True),
    sa.Column('message_refs', sa.Text(), server_default='', nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_digest_posts_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digest_posts')),
    sa.UniqueConstraint('team_id', 'meeting_at', name=op.f('uq_digest_posts_team_id_meeting_at'))
    )
    op.create_table('members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('user_ref', sa.String(length=120), nullable=False),
    sa.Column('display_name', sa.String(length=80), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=True),
    sa.Column('joined_at', bot.store.tables.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_members_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_members')),
    sa.UniqueConstraint('team_id', 'user_ref', name=op.f('uq_members_team_id_user_ref'))
    )
    op.create_table('skipped_meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('meeting_date', sa.Date(), nullable=False),
    sa.Column('created_at', bot.store.tables.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_skipped_meetings_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_skipped_meetings')),
    sa.UniqueConstraint('team_id', 'meeting_date', name=op.f('uq_skipped_meetings_team_id_meeting_date'))
    )
    op.create_table('away_periods',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=200), server_default='', nullable=False),
    sa.Column('created_at', bot.store.tables.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_away_periods_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_away_periods'))
    )
    with op.batch_alter_table('away_periods', schema=None) as batch_op:
        batch_op.create_index('ix_away_periods_member_end', ['member_id', 'end_date'], unique=False)

    op.create_table('member_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('set_at', bot.store.tables.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_member_questions_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_questions'))
    )
    with op.batch_alter_table('member_questions', schema=None) as batch_op:
        batch_op.create_index('ix_member_questions_member_set', ['member_id', 'set_at'], unique=False)

    op.create_table('recaps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('meeting_at', bot.store.tables.UTCDateTime(), nullable=False),
    sa.Column('question', sa.Text(), server_default='', nullable=False),
    sa.Column('question_changed', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('progress', sa.Text(), server_default='', nullable=False),
    sa.Column('failures', sa.Text(), server_default='', nullable=False),
    sa.Column('questions', sa.Text(), server_default='', nullable=False),
    sa.Column('figuring_it_out', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('late', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('streak', sa.Integer(), server_default='1', nullable=False),
    sa.Column('submitted_at', bot.store.tables.UTCDateTime(), nullable=False),
    sa.Column('updated_at', bot.store.tables.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_recaps_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_recaps_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recaps')),
    sa.UniqueConstraint('member_id', 'meeting_at', name=op.f('uq_recaps_member_id_meeting_at'))
    )
    with op.batch_alter_table('recaps', schema=None) as batch_op:
        batch_op.create_index('ix_recaps_team_meeting', ['team_id', 'meeting_at'], unique=False)

    op.create_table('reminder_sends',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('meeting_at', bot.store.tables.UTCDateTime(), nullable=False),
    sa.Column('sent_at', bot.store.tables.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_reminder_sends_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_sends')),
    sa.UniqueConstraint('member_id', 'meeting_at', name=op.f('uq_reminder_sends_member_id_meeting_at'))
    )


def downgrade() -> None:
    op.drop_table('reminder_sends')
    with op.batch_alter_table('recaps', schema=None) as batch_op:
        batch_op.drop_index('ix_recaps_team_meeting')

    op.drop_table('recaps')
    with op.batch_alter_table('member_questions', schema=None) as batch_op:
        batch_op.drop_index('ix_member_questions_member_set')

    op.drop_table('member_questions')
    with op.batch_alter_table('away_periods', schema=None) as batch_op:
        batch_op.drop_index('ix_away_periods_member_end')

    op.drop_table('away_periods')
    op.drop_table('skipped_meetings')
    op.drop_table('members')
    op.drop_table('digest_posts')
    op.drop_table('teams')
