"""SQLAlchemy 2.0 tables, kept apart from the core's dataclasses.

Constraint names come from one naming convention so that Alembic batch
migrations on SQLite can find and alter them later.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

from ..naming import NAMING_CONVENTION

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator):
    """Stores aware datetimes as naive UTC; reads them back as aware UTC.

    SQLite has no time zones and PostgreSQL's `timestamp` drops them; one
    convention on both keeps comparisons and unique keys identical.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):  # defensive: raw SQLite text
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=timezone.utc)


teams = Table(
    "teams",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("workspace", String(120), nullable=False),
    Column("name", String(80), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("channel", String(120)),
    Column("meeting_weekday", Integer),
    Column("meeting_time", String(5)),
    Column("every_weeks", Integer, nullable=False, server_default="1"),
    Column("anchor_date", Date),
    Column("digest_lead_minutes", Integer, nullable=False, server_default="120"),
    Column("reminder_lead_minutes", Integer, nullable=False, server_default="1440"),
    Column("north_star", Text),
    Column("admins", Text, nullable=False, server_default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("member_role", String(120)),  # Discord role id: its holders join on first use
    UniqueConstraint("workspace", "name"),  # a workspace holds any number of groups, each name once
)

members = Table(
    "members",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("team_id", Integer, ForeignKey("teams.id", ondelete="CASCADE"), nullable=False),
    Column("user_ref", String(120), nullable=False),
    Column("display_name", String(80), nullable=False),
    Column("timezone", String(64)),
    Column("joined_at", UTCDateTime, nullable=False),
    Column("left_at", UTCDateTime),  # left the group; the row stays for history (rejoining clears it)
    # The streak of the member's latest recap and that recap's meeting (kept by save_recap), so
    # a digest reads a number per member instead of last cycle's recaps (migration 0010).
    Column("streak", Integer, nullable=False, server_default="0"),
    Column("streak_meeting_at", UTCDateTime),
    UniqueConstraint("team_id", "user_ref"),
    Index("ix_members_user_ref", "user_ref"),  # a person's groups in a workspace
)

member_questions = Table(
    "member_questions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("member_id", Integer, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("text", Text, nullable=False),
    Column("set_at", UTCDateTime, nullable=False),
    Index("ix_member_questions_member_set", "member_id", "set_at"),
)

recaps = Table(
    "recaps",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("team_id", Integer, ForeignKey("teams.id", ondelete="CASCADE"), nullable=False),
    Column("member_id", Integer, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("meeting_at", UTCDateTime, nullable=False),
    Column("question", Text, nullable=False, server_default=""),
    Column("question_changed", Boolean, nullable=False, server_default="0"),
    Column("progress", Text, nullable=False, server_default=""),
    Column("failures", Text, nullable=False, server_default=""),
    Column("questions", Text, nullable=False, server_default=""),
    Column("plan", Text, nullable=False, server_default=""),
    Column("figuring_it_out", Boolean, nullable=False, server_default="0"),
    Column("late", Boolean, nullable=False, server_default="0"),
    Column("streak", Integer, nullable=False, server_default="1"),
    Column("submitted_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("member_id", "meeting_at"),
    Index("ix_recaps_team_meeting", "team_id", "meeting_at"),
)

away_periods = Table(
    "away_periods",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("member_id", Integer, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    Column("reason", String(200), nullable=False, server_default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_away_periods_member_end", "member_id", "end_date"),
)

skipped_meetings = Table(
    "skipped_meetings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("team_id", Integer, ForeignKey("teams.id", ondelete="CASCADE"), nullable=False),
    Column("meeting_date", Date, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("team_id", "meeting_date"),
)

# The exactly-once ledger: one row per (team, meeting), claimed by an INSERT
# that does nothing on conflict. Only the claimer posts.
digest_posts = Table(
    "digest_posts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("team_id", Integer, ForeignKey("teams.id", ondelete="CASCADE"), nullable=False),
    Column("meeting_at", UTCDateTime, nullable=False),
    Column("status", String(16), nullable=False),  # claimed | posted | missed
    Column("claimed_by", String(120), nullable=False, server_default=""),
    Column("claimed_at", UTCDateTime, nullable=False),
    Column("posted_at", UTCDateTime),
    Column("posted_late", Boolean, nullable=False, server_default="0"),
    Column("channel", String(120)),
    Column("message_refs", Text, nullable=False, server_default=""),
    UniqueConstraint("team_id", "meeting_at"),
)

reminder_sends = Table(
    "reminder_sends",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("member_id", Integer, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("meeting_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime, nullable=False),
    UniqueConstraint("member_id", "meeting_at"),
)

# One row per late recap version posted under a digest, claimed like a digest
# so that a submission racing the digest's own post shows up once.
late_update_posts = Table(
    "late_update_posts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("recap_id", Integer, ForeignKey("recaps.id", ondelete="CASCADE"), nullable=False),
    Column("version", UTCDateTime, nullable=False),  # the recap's updated_at
    Column("claimed_at", UTCDateTime, nullable=False),
    Column("message_refs", Text, nullable=False, server_default=""),
    UniqueConstraint("recap_id", "version"),
)

# One row per message part of a post (a digest, a late update, a reminder) the
# platform accepted, committed before the next part is sent: a retry or a
# take-over continues at the first part without a row, under the same root.
message_parts = Table(
    "message_parts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("post_key", String(160), nullable=False),  # scheduling.posting's digest_key, late_key, reminder_key
    Column("part", Integer, nullable=False),
    Column("ref", String(255), nullable=False),
    Column("team_id", Integer, ForeignKey("teams.id", ondelete="CASCADE"), nullable=False),
    Column("member_id", Integer, ForeignKey("members.id", ondelete="CASCADE")),  # whose recap or DM it is
    Column("posted_at", UTCDateTime, nullable=False),
    UniqueConstraint("post_key", "part"),
)

# A post that stopped for good (the platform refuses it, or a late update's
# meeting began first), with the reason; nobody tries it again.
post_failures = Table(
    "post_failures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("post_key", String(160), nullable=False),
    Column("team_id", Integer, ForeignKey("teams.id", ondelete="CASCADE"), nullable=False),
    Column("member_id", Integer, ForeignKey("members.id", ondelete="CASCADE")),
    Column("reason", String(200), nullable=False),
    Column("failed_at", UTCDateTime, nullable=False),
    UniqueConstraint("post_key"),
)


# -- research memory (issue 10) ---------------------------------------------------------
# Full-text search indexes over these tables live outside the models (store/search.py):
# FTS5 tables and triggers on SQLite, tsvector columns with GIN indexes on PostgreSQL.

# A member's milestones toward their long-term goal; `number` (#1, #2...) is what they type.
milestones = Table(
    "milestones",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("member_id", Integer, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("title", String(200), nullable=False),
    Column("due_date", Date, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("done_at", UTCDateTime),
    Column("dropped_at", UTCDateTime),
    UniqueConstraint("member_id", "number"),
)

# Each agenda line of a recap, as a question of the group, open until someone closes it.
# Kept in step with the recap's text when it is saved; numbered per group.
group_questions = Table(
    "group_questions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("team_id", Integer, ForeignKey("teams.id", ondelete="CASCADE"), nullable=False),
    Column("recap_id", Integer, ForeignKey("recaps.id", ondelete="CASCADE"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("position", Integer, nullable=False),  # its line among the recap's questions
    Column("text", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("closed_at", UTCDateTime),
    UniqueConstraint("team_id", "number"),
    Index("ix_group_questions_recap", "recap_id"),
)

# Who closed a group question, and their note. A row of its own, so that forgetting the
# person who answered forgets their name and note and leaves the asker's question closed.
question_answers = Table(
    "question_answers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("question_id", Integer, ForeignKey("group_questions.id", ondelete="CASCADE"), nullable=False),
    Column("member_id", Integer, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("note", Text, nullable=False, server_default=""),
    Column("answered_at", UTCDateTime, nullable=False),
    Index("ix_question_answers_question", "question_id"),
)

# Feedback on a recap from someone in the group (`member_id`: the giver).
recap_feedback = Table(
    "recap_feedback",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("recap_id", Integer, ForeignKey("recaps.id", ondelete="CASCADE"), nullable=False),
    Column("member_id", Integer, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("text", Text, nullable=False),
    Column("given_at", UTCDateTime, nullable=False),
    Index("ix_recap_feedback_recap", "recap_id"),
)

# Figures in recaps (issue 11): metadata here, the bytes in `figure_files` (the
# database file store, store/files.py). Both hang off the recap and the member
# with ON DELETE CASCADE, so forget-me, retention and export cover them.
recap_figures = Table(
    "recap_figures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("recap_id", Integer, ForeignKey("recaps.id", ondelete="CASCADE"), nullable=False),
    Column("member_id", Integer, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("team_id", Integer, ForeignKey("teams.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("caption", String(200), nullable=False, server_default=""),
    Column("mime", String(40), nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("size", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("recap_id", "position"),
)

figure_files = Table(
    "figure_files",
    metadata,
    Column("figure_id", Integer, ForeignKey("recap_figures.id", ondelete="CASCADE"), primary_key=True),
    Column("data", LargeBinary, nullable=False),  # PostgreSQL bytea, SQLite BLOB
)
