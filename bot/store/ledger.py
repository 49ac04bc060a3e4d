"""The exactly-once ledger: who posts which digest, reminder and late update.

Every scheduler replica on a database races through these rows, never through
a shared job store. A claim is an INSERT that does nothing on conflict with a
unique key, so exactly one replica gets its row back (RETURNING) and posts; a claim left
behind by a replica that died mid-post is taken over by an UPDATE guarded by
its age, which again only one replica can win.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from . import tables as t

CLAIMED, POSTED, MISSED = "claimed", "posted", "missed"


@dataclass(frozen=True)
class DigestPost:
    team_id: int
    meeting_at: datetime
    status: str
    claimed_by: str
    claimed_at: datetime
    posted_at: datetime | None
    posted_late: bool
    channel: str | None
    refs: tuple[str, ...]


def _refs(text: str) -> tuple[str, ...]:
    return tuple(json.loads(text)) if text else ()


class Ledger:
    def __init__(self, engine: Engine):
        self.engine = engine
        dialect = engine.dialect.name
        if dialect == "postgresql":
            self._insert = postgresql.insert
        elif dialect == "sqlite":
            self._insert = sqlite.insert
        else:  # pragma: no cover - only the two supported backends
            raise ValueError(f"the ledger needs SQLite or PostgreSQL, not {dialect}")

    def _claim(self, table: Table, **values) -> bool:
        """INSERT ... ON CONFLICT DO NOTHING: True for the one caller whose row went in.

        RETURNING says whether the row went in: psycopg reports no rowcount for it.
        """
        statement = self._insert(table).values(**values).on_conflict_do_nothing().returning(table.c.id)
        with self.engine.begin() as conn:
            return conn.execute(statement).first() is not None

    # -- digests ---------------------------------------------------------------
    def claim_digest(self, team_id: int, meeting_at: datetime, replica: str, now: datetime) -> bool:
        return self._claim(t.digest_posts, team_id=team_id, meeting_at=meeting_at, status=CLAIMED,
                           claimed_by=replica, claimed_at=now)

    def take_over(self, team_id: int, meeting_at: datetime, replica: str, now: datetime,
                  cutoff: datetime) -> bool:
        """Take a claim whose post never finished and that is older than `cutoff`."""
        d = t.digest_posts
        with self.engine.begin() as conn:
            return conn.execute(
                update(d)
                .where(d.c.team_id == team_id, d.c.meeting_at == meeting_at, d.c.status == CLAIMED,
                       d.c.posted_at.is_(None), d.c.claimed_at < cutoff)
                .values(claimed_by=replica, claimed_at=now)
            ).rowcount == 1

    def finish_digest(self, team_id: int, meeting_at: datetime, replica: str, now: datetime,
                      refs: list[str], channel: str | None, late: bool) -> bool:
        """Record the post; False if the claim was no longer ours (taken over meanwhile)."""
        d = t.digest_posts
        with self.engine.begin() as conn:
            return conn.execute(
                update(d)
                .where(d.c.team_id == team_id, d.c.meeting_at == meeting_at,
                       d.c.claimed_by == replica, d.c.status == CLAIMED)
                .values(status=POSTED, posted_at=now, posted_late=late, channel=channel,
                        message_refs=json.dumps(list(refs)))
            ).rowcount == 1

    def release_digest(self, team_id: int, meeting_at: datetime, replica: str) -> bool:
        """Give a claim back (the post failed or was abandoned) so a later try can take it."""
        d = t.digest_posts
        with self.engine.begin() as conn:
            return conn.execute(
                delete(d).where(d.c.team_id == team_id, d.c.meeting_at == meeting_at,
                                d.c.claimed_by == replica, d.c.status == CLAIMED)
            ).rowcount == 1

    def record_missed(self, team_id: int, meeting_at: datetime, replica: str, now: datetime) -> bool:
        """Mark a digest too old to post; nobody will post it afterwards."""
        return self._claim(t.digest_posts, team_id=team_id, meeting_at=meeting_at, status=MISSED,
                           claimed_by=replica, claimed_at=now)

    def digest_post(self, team_id: int, meeting_at: datetime) -> DigestPost | None:
        d = t.digest_posts
        with self.engine.connect() as conn:
            row = conn.execute(select(d).where(d.c.team_id == team_id, d.c.meeting_at == meeting_at)).first()
        if row is None:
            return None
        return DigestPost(
            team_id=row.team_id, meeting_at=row.meeting_at, status=row.status, claimed_by=row.claimed_by,
            claimed_at=row.claimed_at, posted_at=row.posted_at, posted_late=bool(row.posted_late),
            channel=row.channel, refs=_refs(row.message_refs),
        )

    # -- reminders ---------------------------------------------------------------
    def claim_reminder(self, member_id: int, meeting_at: datetime, now: datetime) -> bool:
        return self._claim(t.reminder_sends, member_id=member_id, meeting_at=meeting_at, sent_at=now)

    def release_reminder(self, member_id: int, meeting_at: datetime, claimed_at: datetime) -> bool:
        r = t.reminder_sends
        with self.engine.begin() as conn:
            return conn.execute(
                delete(r).where(r.c.member_id == member_id, r.c.meeting_at == meeting_at, r.c.sent_at == claimed_at)
            ).rowcount == 1

    def reminded(self, meeting_at: datetime, member_ids: list[int]) -> set[int]:
        r = t.reminder_sends
        if not member_ids:
            return set()
        with self.engine.connect() as conn:
            return set(conn.execute(
                select(r.c.member_id).where(r.c.meeting_at == meeting_at, r.c.member_id.in_(member_ids))
            ).scalars())

    # -- late updates --------------------------------------------------------------
    def claim_late_update(self, recap_id: int, version: datetime, now: datetime) -> bool:
        return self._claim(t.late_update_posts, recap_id=recap_id, version=version, claimed_at=now)

    def finish_late_update(self, recap_id: int, version: datetime, refs: list[str]) -> None:
        lp = t.late_update_posts
        with self.engine.begin() as conn:
            conn.execute(
                update(lp).where(lp.c.recap_id == recap_id, lp.c.version == version)
                .values(message_refs=json.dumps(list(refs)))
            )

    def release_late_update(self, recap_id: int, version: datetime) -> None:
        lp = t.late_update_posts
        with self.engine.begin() as conn:
            conn.execute(delete(lp).where(lp.c.recap_id == recap_id, lp.c.version == version))
