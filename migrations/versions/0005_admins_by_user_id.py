"""admins by user id: drop stored admin names that are not a member's user id

Before this revision `admins=` stored a typed name as is when no member had
it, so a later member who picked that name (or an id that matched it) gained
the rights. Admins are now user ids of the team's members only; this keeps
the entries that are exactly the user id of a member of the same team and
drops the rest. An admin whose entry is dropped is set again with
`/recap setup admins=...`, which now says whom each name resolved to.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    teams = sa.table("teams", sa.column("id", sa.Integer), sa.column("admins", sa.Text))
    members = sa.table("members", sa.column("team_id", sa.Integer), sa.column("user_ref", sa.String))
    rows = conn.execute(sa.select(teams.c.id, teams.c.admins).where(teams.c.admins != "")).all()
    for team_id, admins in rows:
        refs = set(conn.execute(sa.select(members.c.user_ref).where(members.c.team_id == team_id)).scalars())
        kept: list[str] = []
        for entry in admins.split(","):
            if entry in refs and entry not in kept:
                kept.append(entry)
        if ",".join(kept) != admins:
            conn.execute(sa.update(teams).where(teams.c.id == team_id).values(admins=",".join(kept)))


def downgrade() -> None:
    pass  # the dropped names granted rights by accident: nothing to restore
