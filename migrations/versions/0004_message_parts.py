"""message parts and post failures: exactly once per message part

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 09:00:00

Besides the two tables, it writes down what was already out before parts
were recorded, so that the first start after the upgrade neither threads a
digest's own recaps again as late updates nor sends a reminder twice:
- every recap version a posted digest showed (updated before it was posted)
  gets a late_update_posts row marked 'in-digest';
- every reminder claim gets its part 0 (ref unknown: '').
"""
from alembic import op
import sqlalchemy as sa
import bot.store.tables


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

IN_DIGEST = 'in-digest'  # bot.store.ledger.IN_DIGEST at the time of this migration


def upgrade() -> None:
    op.create_table('message_parts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_key', sa.String(length=160), nullable=False),
    sa.Column('part', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=255), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('posted_at', bot.store.tables.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_message_parts_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_message_parts_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_parts')),
    sa.UniqueConstraint('post_key', 'part', name=op.f('uq_message_parts_post_key_part'))
    )
    op.create_table('post_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_key', sa.String(length=160), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('failed_at', bot.store.tables.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_post_failures_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_post_failures_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_post_failures')),
    sa.UniqueConstraint('post_key', name=op.f('uq_post_failures_post_key'))
    )
    _record_what_was_out()


def _record_what_was_out() -> None:
    conn = op.get_bind()
    when = sa.DateTime()  # naive UTC, as bot.store.tables.UTCDateTime stores it
    recaps = sa.table('recaps', sa.column('id'), sa.column('team_id'), sa.column('meeting_at', when),
                      sa.column('updated_at', when))
    digests = sa.table('digest_posts', sa.column('team_id'), sa.column('meeting_at', when), sa.column('status'),
                       sa.column('posted_at', when))
    late = sa.table('late_update_posts', sa.column('recap_id'), sa.column('version', when),
                    sa.column('claimed_at', when), sa.column('message_refs'))
    shown = conn.execute(
        sa.select(recaps.c.id, recaps.c.updated_at, digests.c.posted_at)
        .join(digests, sa.and_(digests.c.team_id == recaps.c.team_id, digests.c.meeting_at == recaps.c.meeting_at))
        .where(digests.c.status == 'posted', recaps.c.updated_at <= digests.c.posted_at)
    ).all()
    done = {(r.recap_id, r.version) for r in conn.execute(sa.select(late.c.recap_id, late.c.version))}
    rows = [{'recap_id': r.id, 'version': r.updated_at, 'claimed_at': r.posted_at, 'message_refs': IN_DIGEST}
            for r in shown if (r.id, r.updated_at) not in done]
    if rows:
        conn.execute(late.insert(), rows)

    sends = sa.table('reminder_sends', sa.column('member_id'), sa.column('meeting_at', when),
                     sa.column('sent_at', when))
    members = sa.table('members', sa.column('id'), sa.column('team_id'))
    parts = sa.table('message_parts', sa.column('post_key'), sa.column('part'), sa.column('ref'),
                     sa.column('team_id'), sa.column('member_id'), sa.column('posted_at', when))
    sent = conn.execute(
        sa.select(sends.c.member_id, sends.c.meeting_at, sends.c.sent_at, members.c.team_id)
        .join(members, members.c.id == sends.c.member_id)
    ).all()
    rows = [{'post_key': f"remind:{r.member_id}:{r.meeting_at:%Y%m%dT%H%MZ}", 'part': 0, 'ref': '',
             'team_id': r.team_id, 'member_id': r.member_id, 'posted_at': r.sent_at} for r in sent]
    if rows:
        conn.execute(parts.insert(), rows)


def downgrade() -> None:
    late = sa.table('late_update_posts', sa.column('message_refs'))
    op.get_bind().execute(late.delete().where(late.c.message_refs == IN_DIGEST))
    op.drop_table('post_failures')
    op.drop_table('message_parts')
