"""The exactly-once ledger: who posts which digest, reminder and late update, and which parts are out.

Every scheduler replica on a database races through these rows, never through
a shared job store. A claim is an INSERT that does nothing on conflict with a
unique key, so exactly one replica gets its row back (RETURNING) and posts; a claim left
behind by a replica that died mid-post is taken over by an UPDATE guarded by
its age, which again only one replica can win.

Each message part the platform accepted is a `message_parts` row, committed
in the same transaction as a check that the claim is still ours (a digest's
claim is refreshed by it, so a long post in progress never looks stale), and
before the next part is sent. A post that stopped for good has a
`post_failures` row with the reason.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import String, Table, and_, cast, delete, exists, func, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from . import tables as t

CLAIMED, POSTED, MISSED, FAILED = "claimed", "posted", "missed", "failed"
# late_update_posts.message_refs of a recap version the digest itself shows: it needs no late update.
IN_DIGEST = "in-digest"


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


@dataclass(frozen=True)
class LateUpdate:
    claimed_at: datetime
    done: bool  # posted under the digest, or shown in the digest itself


@dataclass(frozen=True)
class MemberReminders:
    """One member still in a group, as a scheduler wake-up for many groups sees them at once."""
    member_id: int
    team_id: int
    joined_at: datetime
    left_at: datetime | None
    wrote: frozenset[datetime]         # meetings after `now` they wrote a recap for
    reminders: dict[datetime, bool]    # meetings after `now` they were claimed a reminder for -> settled


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

    def _reminder_key(self, member_id, meeting_at):
        """scheduling.posting.reminder_key in SQL (tests/test_ledger.py checks they agree)."""
        if self.engine.dialect.name == "sqlite":
            stamp = func.strftime("%Y%m%dT%H%MZ", meeting_at)
        else:
            stamp = func.to_char(meeting_at, 'YYYYMMDD"T"HH24MI"Z"')
        return literal("remind:") + cast(member_id, String) + literal(":") + stamp

    # -- every group at once (scheduler start and wake-ups): a fixed number of queries -------
    # Each takes `teams`: the ids to look at (a wake-up for a few), or None for all (a start).
    def digest_statuses(self, since: datetime, teams: Sequence[int] | None = None) -> dict[tuple[int, datetime], str]:
        """(team id, meeting) -> status, for every digest row of a meeting at or after `since`."""
        d = t.digest_posts
        query = select(d.c.team_id, d.c.meeting_at, d.c.status).where(d.c.meeting_at >= since)
        with self.engine.connect() as conn:
            return {(team_id, meeting_at): status for team_id, meeting_at, status in conn.execute(
                query if teams is None else query.where(d.c.team_id.in_(teams)))}

    def unthreaded(self, since: datetime, teams: Sequence[int] | None = None) -> list[tuple[int, datetime, int, datetime]]:
        """(team id, meeting, recap id, version) of each recap version of a meeting at or after `since`
        whose digest is posted and that is neither in it nor posted under it (failed ones included)."""
        d, r, lp = t.digest_posts, t.recaps, t.late_update_posts
        done = exists().where(lp.c.recap_id == r.c.id, lp.c.version == r.c.updated_at, lp.c.message_refs != "")
        query = (select(d.c.team_id, d.c.meeting_at, r.c.id, r.c.updated_at)
                 .join(r, and_(r.c.team_id == d.c.team_id, r.c.meeting_at == d.c.meeting_at))
                 .where(d.c.meeting_at >= since, d.c.status == POSTED, ~done))
        with self.engine.connect() as conn:
            return [tuple(row) for row in conn.execute(
                query if teams is None else query.where(d.c.team_id.in_(teams)))]

    def member_reminders(self, now: datetime, teams: Sequence[int] | None = None
                         ) -> tuple[list[MemberReminders], list[tuple[int, date, date]]]:
        """Every member who has not left, with the coming meetings they wrote for and were
        claimed a reminder for (settled: its message is out or it failed for good); and the
        away periods not over (member id, first day, last day). Three queries; the first two go
        from members to the (member, meeting) keys, so their cost does not grow with the history."""
        m, r, rs, mp, pf, a = t.members, t.recaps, t.reminder_sends, t.message_parts, t.post_failures, t.away_periods
        key = self._reminder_key(rs.c.member_id, rs.c.meeting_at)
        current = or_(m.c.left_at.is_(None), m.c.left_at > now)
        if teams is not None:
            current = and_(current, m.c.team_id.in_(teams))
        members: dict[int, tuple] = {}
        wrote: dict[int, set[datetime]] = {}
        reminded: dict[int, dict[datetime, bool]] = {}
        with self.engine.connect() as conn:
            for member_id, team_id, joined, left, meeting_at in conn.execute(
                    select(m.c.id, m.c.team_id, m.c.joined_at, m.c.left_at, r.c.meeting_at)
                    .outerjoin(r, and_(r.c.member_id == m.c.id, r.c.meeting_at > now)).where(current)):
                members[member_id] = (team_id, joined, left)
                if meeting_at is not None:
                    wrote.setdefault(member_id, set()).add(meeting_at)
            for member_id, meeting_at, part, failure in conn.execute(
                    select(m.c.id, rs.c.meeting_at, mp.c.id, pf.c.id)
                    .outerjoin(rs, and_(rs.c.member_id == m.c.id, rs.c.meeting_at > now))
                    .outerjoin(mp, and_(mp.c.post_key == key, mp.c.part == 0))
                    .outerjoin(pf, pf.c.post_key == key).where(current)):
                if meeting_at is not None:
                    reminded.setdefault(member_id, {})[meeting_at] = part is not None or failure is not None
            away = select(a.c.member_id, a.c.start_date, a.c.end_date).where(a.c.end_date >= now.date() - timedelta(days=1))
            if teams is not None:
                away = away.where(a.c.member_id.in_(select(m.c.id).where(m.c.team_id.in_(teams))))
            aways = [(mid, start, end) for mid, start, end in conn.execute(away)]
        return [MemberReminders(mid, team_id, joined, left, frozenset(wrote.get(mid, ())), reminded.get(mid, {}))
                for mid, (team_id, joined, left) in members.items()], aways

    def _claim(self, table: Table, **values) -> bool:
        """INSERT ... ON CONFLICT DO NOTHING: True for the one caller whose row went in.

        RETURNING says whether the row went in: psycopg reports no rowcount for it.
        """
        statement = self._insert(table).values(**values).on_conflict_do_nothing().returning(table.c.id)
        with self.engine.begin() as conn:
            return conn.execute(statement).first() is not None

    # -- message parts and failures ---------------------------------------------------
    def parts(self, key: str) -> list[str]:
        """The refs of the post's parts already out, in order (up to the first missing one)."""
        mp = t.message_parts
        with self.engine.connect() as conn:
            rows = conn.execute(select(mp.c.part, mp.c.ref).where(mp.c.post_key == key).order_by(mp.c.part)).all()
        refs = []
        for part, ref in rows:
            if part != len(refs):
                break
            refs.append(ref)
        return refs

    def _record_part(self, guard, key: str, index: int, ref: str, team_id: int, member_id: int | None,
                     now: datetime) -> bool:
        """Commit one part's ref if `guard` (an UPDATE of our claim) still finds the claim ours."""
        mp = t.message_parts
        with self.engine.begin() as conn:
            if conn.execute(guard).rowcount != 1:
                return False
            return conn.execute(
                self._insert(mp).values(post_key=key, part=index, ref=ref, team_id=team_id, member_id=member_id,
                                        posted_at=now).on_conflict_do_nothing().returning(mp.c.id)
            ).first() is not None

    def record_failure(self, key: str, team_id: int, member_id: int | None, reason: str, now: datetime) -> bool:
        """Mark a post as stopped for good; True for the one caller who recorded it (and tells people)."""
        return self._claim(t.post_failures, post_key=key, team_id=team_id, member_id=member_id,
                           reason=reason[:200], failed_at=now)

    def failed(self, keys: list[str]) -> dict[str, str]:
        """post key -> reason, for the given posts that stopped for good."""
        pf = t.post_failures
        if not keys:
            return {}
        with self.engine.connect() as conn:
            return dict(conn.execute(select(pf.c.post_key, pf.c.reason).where(pf.c.post_key.in_(keys))).all())

    # -- digests ---------------------------------------------------------------
    def claim_digest(self, team_id: int, meeting_at: datetime, replica: str, now: datetime) -> bool:
        return self._claim(t.digest_posts, team_id=team_id, meeting_at=meeting_at, status=CLAIMED,
                           claimed_by=replica, claimed_at=now)

    def take_over(self, team_id: int, meeting_at: datetime, replica: str, now: datetime,
                  cutoff: datetime, holder: str | None = None) -> bool:
        """Take a claim whose post never finished and that is older than `cutoff`, or, when
        `holder` is given, that this holder (known to be dead) still has, whatever its age."""
        d = t.digest_posts
        guard = d.c.claimed_by == holder if holder is not None else d.c.claimed_at < cutoff
        with self.engine.begin() as conn:
            return conn.execute(
                update(d)
                .where(d.c.team_id == team_id, d.c.meeting_at == meeting_at, d.c.status == CLAIMED,
                       d.c.posted_at.is_(None), guard)
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

    def record_digest_part(self, team_id: int, meeting_at: datetime, replica: str, key: str, index: int,
                           ref: str, now: datetime) -> bool:
        """Record a digest part while the claim is ours, and refresh the claim (progress is not staleness)."""
        d = t.digest_posts
        guard = (update(d).where(d.c.team_id == team_id, d.c.meeting_at == meeting_at, d.c.claimed_by == replica,
                                 d.c.status == CLAIMED).values(claimed_at=now))
        return self._record_part(guard, key, index, ref, team_id, None, now)

    def fail_digest(self, team_id: int, meeting_at: datetime, replica: str, key: str, reason: str,
                    now: datetime) -> bool:
        """The platform refuses this digest for good: nobody posts it; the reason is kept."""
        d = t.digest_posts
        with self.engine.begin() as conn:
            if conn.execute(
                update(d).where(d.c.team_id == team_id, d.c.meeting_at == meeting_at, d.c.claimed_by == replica,
                                d.c.status == CLAIMED).values(status=FAILED)
            ).rowcount != 1:
                return False
            conn.execute(self._insert(t.post_failures).values(
                post_key=key, team_id=team_id, member_id=None, reason=reason[:200], failed_at=now,
            ).on_conflict_do_nothing())
            return True

    def mark_in_digest(self, versions: list[tuple[int, datetime]], now: datetime) -> None:
        """These recap versions are in the digest being posted: they need no late update."""
        if not versions:
            return
        lp = t.late_update_posts
        with self.engine.begin() as conn:
            conn.execute(self._insert(lp).on_conflict_do_nothing(), [
                {"recap_id": recap_id, "version": version, "claimed_at": now, "message_refs": IN_DIGEST}
                for recap_id, version in versions])

    def in_digest(self, recap_ids: list[int]) -> set[int]:
        """Which of these recaps the digest showed (some version of them) when it began."""
        lp = t.late_update_posts
        if not recap_ids:
            return set()
        with self.engine.connect() as conn:
            return set(conn.execute(select(lp.c.recap_id).where(
                lp.c.recap_id.in_(recap_ids), lp.c.message_refs == IN_DIGEST)).scalars())

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

    def reminded(self, meeting_at: datetime, member_ids: list[int]) -> dict[int, datetime]:
        """member id -> when the claim was made, for those of them claimed for this meeting."""
        r = t.reminder_sends
        if not member_ids:
            return {}
        with self.engine.connect() as conn:
            return dict(conn.execute(
                select(r.c.member_id, r.c.sent_at).where(r.c.meeting_at == meeting_at, r.c.member_id.in_(member_ids))
            ).all())

    def unsettled(self, keys: list[str]) -> set[str]:
        """Which of these single-part posts have neither their part nor a failure recorded."""
        if not keys:
            return set()
        mp, pf = t.message_parts, t.post_failures
        with self.engine.connect() as conn:
            settled = set(conn.execute(select(mp.c.post_key).where(mp.c.post_key.in_(keys), mp.c.part == 0)).scalars())
            settled |= set(conn.execute(select(pf.c.post_key).where(pf.c.post_key.in_(keys))).scalars())
        return set(keys) - settled

    def take_over_reminder(self, member_id: int, meeting_at: datetime, claimed_at: datetime, now: datetime) -> bool:
        r = t.reminder_sends
        with self.engine.begin() as conn:
            return conn.execute(
                update(r).where(r.c.member_id == member_id, r.c.meeting_at == meeting_at, r.c.sent_at == claimed_at)
                .values(sent_at=now)
            ).rowcount == 1

    def record_reminder_part(self, member_id: int, meeting_at: datetime, claimed_at: datetime, key: str,
                             team_id: int, index: int, ref: str, now: datetime) -> bool:
        r = t.reminder_sends
        guard = (update(r).where(r.c.member_id == member_id, r.c.meeting_at == meeting_at, r.c.sent_at == claimed_at)
                 .values(sent_at=claimed_at))
        return self._record_part(guard, key, index, ref, team_id, member_id, now)

    # -- late updates --------------------------------------------------------------
    def claim_late_update(self, recap_id: int, version: datetime, now: datetime) -> bool:
        return self._claim(t.late_update_posts, recap_id=recap_id, version=version, claimed_at=now)

    def late_updates(self, versions: list[tuple[int, datetime]]) -> dict[tuple[int, datetime], LateUpdate]:
        """(recap id, version) -> its row, for the versions that have one."""
        lp = t.late_update_posts
        if not versions:
            return {}
        wanted = set(versions)
        with self.engine.connect() as conn:
            rows = conn.execute(select(lp.c.recap_id, lp.c.version, lp.c.claimed_at, lp.c.message_refs).where(
                lp.c.recap_id.in_({recap_id for recap_id, _ in versions}))).all()
        return {(r.recap_id, r.version): LateUpdate(r.claimed_at, bool(r.message_refs))
                for r in rows if (r.recap_id, r.version) in wanted}

    def take_over_late_update(self, recap_id: int, version: datetime, claimed_at: datetime, now: datetime) -> bool:
        lp = t.late_update_posts
        with self.engine.begin() as conn:
            return conn.execute(
                update(lp).where(lp.c.recap_id == recap_id, lp.c.version == version, lp.c.claimed_at == claimed_at,
                                 lp.c.message_refs == "").values(claimed_at=now)
            ).rowcount == 1

    def record_late_part(self, recap_id: int, version: datetime, claimed_at: datetime, key: str, team_id: int,
                         member_id: int, index: int, ref: str, now: datetime) -> bool:
        lp = t.late_update_posts
        guard = (update(lp).where(lp.c.recap_id == recap_id, lp.c.version == version, lp.c.claimed_at == claimed_at,
                                  lp.c.message_refs == "").values(claimed_at=claimed_at))
        return self._record_part(guard, key, index, ref, team_id, member_id, now)

    def finish_late_update(self, recap_id: int, version: datetime, claimed_at: datetime, refs: list[str]) -> bool:
        lp = t.late_update_posts
        with self.engine.begin() as conn:
            return conn.execute(
                update(lp).where(lp.c.recap_id == recap_id, lp.c.version == version, lp.c.claimed_at == claimed_at,
                                 lp.c.message_refs == "").values(message_refs=json.dumps(list(refs)))
            ).rowcount == 1

    def release_late_update(self, recap_id: int, version: datetime, claimed_at: datetime) -> bool:
        lp = t.late_update_posts
        with self.engine.begin() as conn:
            return conn.execute(delete(lp).where(
                lp.c.recap_id == recap_id, lp.c.version == version, lp.c.claimed_at == claimed_at,
                lp.c.message_refs == "")).rowcount == 1
