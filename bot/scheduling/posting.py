"""Posting one digest, one round of reminders, one late update: exactly once.

The ledger decides who posts: a replica posts only what it claimed, records
the message ids when done, and gives the claim back when the platform fails
or the bot shuts down mid-post, so that a later try (or another replica) can
take it. Nothing here waits for a time; a failure returns when to try again.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..core import cycles
from ..core.model import DigestEntry, Digest, Recap, Team
from ..core.ports import Chat
from ..core.service import Core
from ..store.ledger import CLAIMED, POSTED, Ledger

log = logging.getLogger("recapbot.scheduler")

DEFAULT_RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1))


@dataclass
class Report:
    """What one run did; the scheduler merges these to plan its next wake-up."""

    posted: list[tuple[int, datetime]] = field(default_factory=list)   # (team id, meeting)
    missed: list[tuple[int, datetime]] = field(default_factory=list)
    reminded: list[tuple[int, datetime]] = field(default_factory=list)  # (member id, meeting)
    late_updates: list[int] = field(default_factory=list)               # recap ids
    retry_at: datetime | None = None

    def wake(self, at: datetime) -> None:
        self.retry_at = at if self.retry_at is None else min(self.retry_at, at)

    def merge(self, other: "Report") -> None:
        self.posted += other.posted
        self.missed += other.missed
        self.reminded += other.reminded
        self.late_updates += other.late_updates
        if other.retry_at is not None:
            self.wake(other.retry_at)


def digest_key(team: Team, meeting_at: datetime) -> str:
    return f"digest:{team.id}:{meeting_at:%Y%m%dT%H%MZ}"


@dataclass
class Poster:
    core: Core
    ledger: Ledger
    replica: str
    catchup: timedelta
    stale_after: timedelta = timedelta(minutes=10)
    late_after: timedelta = timedelta(minutes=2)  # later than this past its time = "posted late"
    retry_delays: tuple[timedelta, ...] = DEFAULT_RETRY_DELAYS
    _failures: dict[str, int] = field(default_factory=dict)

    def _retry_delay(self, key: str) -> timedelta:
        count = self._failures[key] = self._failures.get(key, 0) + 1
        return self.retry_delays[min(count, len(self.retry_delays)) - 1]

    # -- digests ---------------------------------------------------------------
    async def digest(self, team: Team, chat: Chat, meeting_at: datetime, now: datetime, report: Report) -> None:
        """Post the meeting's digest if it is ours to post (claimed now or taken over)."""
        due_at = cycles.digest_time(team.schedule, meeting_at)
        ledger = self.ledger
        if now - due_at > self.catchup:
            # Too old to post; a row already there (posted, or a claim) stays as it is.
            if await asyncio.to_thread(ledger.record_missed, team.id, meeting_at, self.replica, now):
                log.info("team %s: digest for %s is %s old, past the catch-up window: recorded as missed",
                         team.id, meeting_at, now - due_at)
                report.missed.append((team.id, meeting_at))
            return
        if not await asyncio.to_thread(ledger.claim_digest, team.id, meeting_at, self.replica, now):
            row = await asyncio.to_thread(ledger.digest_post, team.id, meeting_at)
            if row is None or row.status != CLAIMED or row.posted_at is not None:
                return  # posted or missed already (or released this instant: the next run sees it)
            stale_at = row.claimed_at + self.stale_after
            if now < stale_at or not await asyncio.to_thread(
                ledger.take_over, team.id, meeting_at, self.replica, now, now - self.stale_after
            ):
                report.wake(max(stale_at, now) + timedelta(seconds=1))  # look again once it is stale
                return
            log.warning("team %s: taking over the unfinished digest claim of %s for %s",
                        team.id, row.claimed_by, meeting_at)
        await self._post_claimed(team, chat, meeting_at, due_at, now, report)

    async def _post_claimed(self, team: Team, chat: Chat, meeting_at: datetime, due_at: datetime,
                            now: datetime, report: Report) -> None:
        key = digest_key(team, meeting_at)
        try:
            digest = await asyncio.to_thread(self.core.digests.build, team, meeting_at)
            refs = await chat.post_digest(team, digest, key)
        except asyncio.CancelledError:
            # Shutting down mid-post: give the claim back so the next start posts it.
            await asyncio.shield(asyncio.to_thread(self.ledger.release_digest, team.id, meeting_at, self.replica))
            log.warning("team %s: digest for %s abandoned at shutdown; the next start posts it", team.id, meeting_at)
            raise
        except Exception:  # noqa: BLE001 - any platform error: give back, try again later
            await asyncio.to_thread(self.ledger.release_digest, team.id, meeting_at, self.replica)
            retry = now + self._retry_delay(key)
            log.exception("team %s: posting the digest for %s failed; retrying at %s", team.id, meeting_at, retry)
            report.wake(retry)
            return
        self._failures.pop(key, None)
        late = now - due_at > self.late_after
        if not await asyncio.to_thread(self.ledger.finish_digest, team.id, meeting_at, self.replica,
                                       self.core.clock.now(), refs, team.channel, late):
            log.error("team %s: digest for %s posted but the claim was taken over meanwhile", team.id, meeting_at)
            return
        log.info("team %s: digest for %s posted%s (%d messages)", team.id, meeting_at,
                 " late" if late else "", len(refs))
        report.posted.append((team.id, meeting_at))
        await self._after_digest(team, chat, digest, refs, meeting_at, now, report)

    async def _after_digest(self, team: Team, chat: Chat, digest: Digest, refs: list[str],
                            meeting_at: datetime, now: datetime, report: Report) -> None:
        """Recaps stored while the digest was being built and posted go in its thread."""
        if meeting_at <= now:
            return
        shown = {(e.recap.id, e.recap.updated_at) for e in digest.entries}
        recaps = await asyncio.to_thread(self.core.recaps_for_meeting, team, meeting_at)
        for recap in recaps:
            if (recap.id, recap.updated_at) not in shown:
                await self.late_update(team, chat, recap, tuple(refs), now, report)

    # -- late updates ------------------------------------------------------------
    async def late_update(self, team: Team, chat: Chat, recap: Recap, refs: tuple[str, ...],
                          now: datetime, report: Report) -> None:
        """One reply in the digest's thread per recap version, whoever notices it first."""
        if not await asyncio.to_thread(self.ledger.claim_late_update, recap.id, recap.updated_at, now):
            return
        member = await asyncio.to_thread(self.core.teams.member_by_id, recap.member_id)
        key = f"late:{team.id}:{recap.id}:{recap.updated_at:%Y%m%dT%H%M%S%f}"
        try:
            posted = await chat.post_late_update(team, list(refs), DigestEntry(member, recap), key)
        except BaseException as exc:
            await asyncio.shield(asyncio.to_thread(self.ledger.release_late_update, recap.id, recap.updated_at))
            if isinstance(exc, asyncio.CancelledError):
                raise
            log.exception("team %s: late update of recap %s not posted", team.id, recap.id)
            return
        await asyncio.to_thread(self.ledger.finish_late_update, recap.id, recap.updated_at, posted)
        report.late_updates.append(recap.id)

    async def late_recap(self, team: Team, chat: Chat, recap: Recap, now: datetime) -> Report:
        """A recap stored after its digest time: a reply under the digest, if the digest is out."""
        report = Report()
        row = await asyncio.to_thread(self.ledger.digest_post, team.id, recap.meeting_at)
        if row is not None and row.status == POSTED and row.refs and recap.meeting_at > now:
            await self.late_update(team, chat, recap, row.refs, now, report)
        # Not posted yet: the digest, when it goes out, includes it (or threads it afterwards).
        return report

    # -- reminders ---------------------------------------------------------------
    async def reminders(self, team: Team, chat: Chat, meeting_at: datetime, now: datetime, report: Report) -> None:
        """One direct message to each member who has not written and is not away."""
        if await asyncio.to_thread(self.ledger.digest_post, team.id, meeting_at) is not None:
            return  # the digest is out (or being posted): a reminder now would be pointless
        part = await asyncio.to_thread(self.core.digests.participation, team, meeting_at)
        done = await asyncio.to_thread(self.ledger.reminded, meeting_at, [m.id for m in part.missing])
        for member in part.missing:
            if member.id in done or not await asyncio.to_thread(self.ledger.claim_reminder, member.id, meeting_at, now):
                continue
            key = f"remind:{member.id}:{meeting_at:%Y%m%dT%H%MZ}"
            local = meeting_at.astimezone(self.core.teams.member_zone(member, team))
            try:
                await chat.remind(team, member, local)
            except asyncio.CancelledError:
                await asyncio.shield(asyncio.to_thread(self.ledger.release_reminder, member.id, meeting_at, now))
                raise
            except Exception:  # noqa: BLE001 - one member's DM failing must not stop the others
                if self._failures.get(key, 0) >= len(self.retry_delays):
                    log.exception("team %s: reminder to member %s failed; giving up", team.id, member.id)
                    continue  # the claim stays: at most one reminder, even if it is none
                await asyncio.to_thread(self.ledger.release_reminder, member.id, meeting_at, now)
                retry = now + self._retry_delay(key)
                log.exception("team %s: reminder to member %s failed; retrying at %s", team.id, member.id, retry)
                report.wake(retry)
                continue
            self._failures.pop(key, None)
            report.reminded.append((member.id, meeting_at))
