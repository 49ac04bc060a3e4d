"""figures in recaps: recap_figures (metadata) and figure_files (the bytes)

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-02 10:00:00

Both tables hang off recaps and members with ON DELETE CASCADE, so forget-me and
retention delete a figure with its recap.
"""
from alembic import op
import sqlalchemy as sa

from bot.store.tables import UTCDateTime


revision = '0009'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'recap_figures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('recap_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('caption', sa.String(length=200), server_default='', nullable=False),
        sa.Column('mime', sa.String(length=40), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['recap_id'], ['recaps.id'], name=op.f('fk_recap_figures_recap_id_recaps'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_recap_figures_member_id_members'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_recap_figures_team_id_teams'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recap_figures')),
        sa.UniqueConstraint('recap_id', 'position', name=op.f('uq_recap_figures_recap_id_position')),
    )
    op.create_table(
        'figure_files',
        sa.Column('figure_id', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['figure_id'], ['recap_figures.id'],
                                name=op.f('fk_figure_files_figure_id_recap_figures'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('figure_id', name=op.f('pk_figure_files')),
    )


def downgrade() -> None:
    op.drop_table('figure_files')
    op.drop_table('recap_figures')
