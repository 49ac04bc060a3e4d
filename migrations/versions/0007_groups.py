"""groups: a workspace holds any number of groups, membership is explicit

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 10:00:00

A group is what a team was: each `teams` row is a group and keeps its id, so
every member, recap, question, away period, skip and ledger row stays attached
to it unchanged. Teams were already unique per (workspace, name), not per
workspace, so nothing is dropped. New: `members.left_at` (leaving keeps a
person's history), `teams.member_role` (Discord: holders of a role join on
first use) and an index to find a person's groups.
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.add_column(sa.Column('member_role', sa.String(length=120), nullable=True))
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('left_at', sa.DateTime(), nullable=True))
        batch_op.create_index('ix_members_user_ref', ['user_ref'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_index('ix_members_user_ref')
        batch_op.drop_column('left_at')
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.drop_column('member_role')
