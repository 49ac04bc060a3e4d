"""late update posts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 13:30:10.057205
"""
from alembic import op
import sqlalchemy as sa
import bot.store.tables


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('late_update_posts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recap_id', sa.Integer(), nullable=False),
    sa.Column('version', bot.store.tables.UTCDateTime(), nullable=False),
    sa.Column('claimed_at', bot.store.tables.UTCDateTime(), nullable=False),
    sa.Column('message_refs', sa.Text(), server_default='', nullable=False),
    sa.ForeignKeyConstraint(['recap_id'], ['recaps.id'], name=op.f('fk_late_update_posts_recap_id_recaps'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_late_update_posts')),
    sa.UniqueConstraint('recap_id', 'version', name=op.f('uq_late_update_posts_recap_id_version'))
    )


def downgrade() -> None:
    op.drop_table('late_update_posts')
