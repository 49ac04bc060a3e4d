"""Posting one digest, one round of reminders, one late update: exactly once per message part.

The ledger decides who posts: a replica posts only what it claimed. Each
message part's ref is committed as soon as the platform accepts it, before
the next part is sent (core.delivery.PostParts), so a retry, or another
replica taking over a claim gone stale because its holder died, continues at
the first part without a ref, under the same thread root.

The window that remains: a process killed after the platform accepted a part
and before that part's ref was committed sends that one part again when the
post is resumed. On Discord the repeat carries the same nonce and is dropped
if it comes within a few minutes (a restart on the same machine takes the
dead process's digest over at once, see scheduler.is_orphaned; another
replica waits for stale_after); on Slack it shows twice (a repeated header
takes the thread with it: replies go under the copy that was recorded).
Never more than that one part.

A transient platform error gives the claim back and says when to try again
(retry_delays); a permanent one (the bot is not in the channel, its token was
revoked) ends the post at once, recorded as failed with the reason, and the
team's admins get a direct message saying what to fix. Late updates (recap
versions stored after the digest went out) are threaded under it with the
same claim, retry and take-over; every wake-up, the one at start included,
looks for those nobody posted, until the meeting begins. After that they are
recorded as not posted and their author is told. Nothing here waits for a time.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from ..core import cycles, texts
from ..core.delivery import PermanentPostError, PostParts, PostTakenOver
from ..core.model import Digest, Member, Recap, Team
from ..core.ports import Chat
from ..core.service import Core
from ..store.ledger import CLAIMED, POSTED, Ledger

log = logging.getLogger("recapbot.scheduler")

DEFAULT_RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1))
MEETING_BEGAN = "the meeting began before it was posted"


@dataclass
class Report:
    """What one run did; the scheduler merges these to plan its next wake-up."""

    posted: list[tuple[int, datetime]] = field(default_factory=list)   # (team id, meeting)
    missed: list[tuple[int, datetime]] = field(default_factory=list)
    failed: list[tuple[int, datetime]] = field(default_factory=list)   # refused by the platform for good
    reminded: list[tuple[int, datetime]] = field(default_factory=list)  # (member id, meeting)
    late_updates: list[int] = field(default_factory=list)               # recap ids
    retry_at: datetime | None = None

    def wake(self, at: datetime) -> None:
        self.retry_at = at if self.retry_at is None else min(self.retry_at, at)

    def merge(self, other: "Report") -> None:
        self.posted += other.posted
        self.missed += other.missed
        self.failed += other.failed
        self.reminded += other.reminded
        self.late_updates += other.late_updates
        if other.retry_at is not None:
            self.wake(other.retry_at)


def digest_key(team: Team, meeting_at: datetime) -> str:
    return f"digest:{team.id}:{meeting_at:%Y%m%dT%H%MZ}"


def late_key(team: Team, recap: Recap) -> str:
    return late_version_key(team.id, recap.id, recap.updated_at)


def late_version_key(team_id: int, recap_id: int, version: datetime) -> str:
    return f"late:{team_id}:{recap_id}:{version:%Y%m%dT%H%M%S%f}"


def reminder_key(member_id: int, meeting_at: datetime) -> str:
    return f"remind:{member_id}:{meeting_at:%Y%m%dT%H%MZ}"


def resumed(digest: Digest, shown: set[int]) -> Digest:
    """The digest as it began: only the recaps it showed then (later ones become late updates),
    so that the parts still to send line up with the parts already out."""
    entries = tuple(e for e in digest.entries if e.recap.id in shown)
    names = {e.member.display_name for e in entries}
    return replace(digest, entries=entries, agenda=tuple(a for a in digest.agenda if a.asker in names))


@dataclass
class Poster:
    core: Core
    ledger: Ledger
    replica: str
    catchup: timedelta
    stale_after: timedelta = timedelta(minutes=10)
    late_after: timedelta = timedelta(minutes=2)  # later than this past its time = "posted late"
    retry_delays: tuple[timedelta, ...] = DEFAULT_RETRY_DELAYS
    # Whether a digest claim's holder is known to be dead (a restart on the same machine): taken at once.
    orphaned: Callable[[str], bool] = lambda holder: False
    # Whether a holder runs where `orphaned` would see it die (a replica on this machine): its claim is
    # looked at again every `recheck_nearby` instead of only once it is stale.
    nearby: Callable[[str], bool] = lambda holder: False
    recheck_nearby: timedelta = timedelta(seconds=10)
    _failures: dict[str, int] = field(default_factory=dict)

    def _retry_delay(self, key: str) -> timedelta:
        count = self._failures[key] = self._failures.get(key, 0) + 1
        return self.retry_delays[min(count, len(self.retry_delays)) - 1]

    async def _parts(self, key: str, record: Callable[[int, str, datetime], bool]) -> PostParts:
        """The post's parts already out, and a recorder (`record(index, ref, now)`, run off the loop)."""
        refs = await asyncio.to_thread(self.ledger.parts, key)

        async def recorder(index: int, ref: str) -> bool:
            return await asyncio.to_thread(record, index, ref, self.core.clock.now())

        return PostParts(key, refs, recorder)

    async def _tell(self, team: Team, chat: Chat, user_ref: str, text: str) -> None:
        try:
            await chat.tell(team, user_ref, text)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a notice that cannot be sent is logged, nothing more
            log.warning("team %s: could not send a direct message to %s: %s", team.id, user_ref, exc)

    # -- digests ---------------------------------------------------------------
    async def digest(self, team: Team, chat: Chat, meeting_at: datetime, now: datetime, report: Report) -> None:
        """Post the meeting's digest if it is ours to post (claimed now or taken over); thread late updates."""
        due_at = cycles.digest_time(team.schedule, meeting_at)
        key = digest_key(team, meeting_at)
        ledger = self.ledger
        row = await asyncio.to_thread(ledger.digest_post, team.id, meeting_at)
        # On time means within late_after (a wake-up a few seconds late is on time, even with
        # catch-up 0); a digest this process is retrying, or one already begun, is not catch-up.
        too_old = False
        if ((row is None or row.status == CLAIMED) and now - due_at > max(self.catchup, self.late_after)
                and key not in self._failures):
            too_old = not await asyncio.to_thread(ledger.parts, key)
        if row is None:
            if too_old:
                if await asyncio.to_thread(ledger.record_missed, team.id, meeting_at, self.replica, now):
                    log.info("team %s: digest for %s is %s old, past the catch-up window: recorded as missed",
                             team.id, meeting_at, now - due_at)
                    report.missed.append((team.id, meeting_at))
                return
            if await asyncio.to_thread(ledger.claim_digest, team.id, meeting_at, self.replica, now):
                await self._post_claimed(team, chat, meeting_at, due_at, now, report)
                return
            row = await asyncio.to_thread(ledger.digest_post, team.id, meeting_at)  # claimed this instant
            if row is None:
                return  # ...and given back already: the next run sees it
        if row.status == POSTED:
            await self.late_updates(team, chat, meeting_at, row.refs, now, report)
            return
        if row.status != CLAIMED or too_old:
            return  # missed, failed for good, or a claim abandoned before it began and now too old
        stale_at = row.claimed_at + self.stale_after
        orphaned = self.orphaned(row.claimed_by)
        if (now < stale_at and not orphaned) or not await asyncio.to_thread(
            ledger.take_over, team.id, meeting_at, self.replica, now, now - self.stale_after,
            row.claimed_by if orphaned else None,
        ):
            look_again = max(stale_at, now) + timedelta(seconds=1)  # once it is stale
            if self.nearby(row.claimed_by):
                look_again = min(look_again, now + self.recheck_nearby)  # or its holder died
            report.wake(look_again)
            return
        log.warning("team %s: taking over the unfinished digest claim of %s for %s (%s)", team.id,
                    row.claimed_by, meeting_at, "its process is gone" if orphaned else "no progress for a while")
        await self._post_claimed(team, chat, meeting_at, due_at, now, report)

    def _digest_to_post(self, team: Team, meeting_at: datetime, begun: bool, now: datetime) -> Digest:
        digest = self.core.digests.build(team, meeting_at)
        if begun:
            return resumed(digest, self.ledger.in_digest([e.recap.id for e in digest.entries]))
        self.ledger.mark_in_digest([(e.recap.id, e.recap.updated_at) for e in digest.entries], now)
        return digest

    async def _post_claimed(self, team: Team, chat: Chat, meeting_at: datetime, due_at: datetime,
                            now: datetime, report: Report) -> None:
        key = digest_key(team, meeting_at)
        ledger = self.ledger
        try:
            parts = await self._parts(key, partial(ledger.record_digest_part, team.id, meeting_at, self.replica, key))
            if parts.refs:
                log.info("team %s: digest for %s resumes after the %d parts already out",
                         team.id, meeting_at, len(parts.refs))
            parts_before = len(parts.refs)
            digest = await asyncio.to_thread(self._digest_to_post, team, meeting_at, bool(parts_before), now)
            await chat.post_digest(team, digest, parts)
        except asyncio.CancelledError:
            # Shutting down mid-post: give the claim back so the next start continues it.
            await asyncio.shield(asyncio.to_thread(ledger.release_digest, team.id, meeting_at, self.replica))
            log.warning("team %s: digest for %s abandoned at shutdown; the next start continues it",
                        team.id, meeting_at)
            raise
        except PostTakenOver:
            log.error("team %s: digest for %s was taken over by another replica; it continues", team.id, meeting_at)
            return
        except PermanentPostError as exc:
            await self._digest_refused(team, chat, meeting_at, key, exc, now, report)
            return
        except Exception:  # noqa: BLE001 - any other platform error: give back, try again later
            await asyncio.to_thread(ledger.release_digest, team.id, meeting_at, self.replica)
            retry = now + self._retry_delay(key)
            log.exception("team %s: posting the digest for %s failed; retrying at %s", team.id, meeting_at, retry)
            report.wake(retry)
            return
        self._failures.pop(key, None)
        late = now - due_at > self.late_after
        if not await asyncio.to_thread(ledger.finish_digest, team.id, meeting_at, self.replica,
                                       self.core.clock.now(), parts.refs, team.channel, late):
            log.error("team %s: digest for %s posted but the claim was taken over meanwhile", team.id, meeting_at)
            return
        log.info("team %s: digest for %s posted%s (%d messages)", team.id, meeting_at,
                 " late" if late else "", len(parts.refs))
        report.posted.append((team.id, meeting_at))
        # A digest begun afresh marked exactly the versions it shows; a resumed one may show newer ones.
        shown = None if parts_before else {(e.recap.id, e.recap.updated_at) for e in digest.entries}
        await self.late_updates(team, chat, meeting_at, tuple(parts.refs), now, report, shown)

    async def _digest_refused(self, team: Team, chat: Chat, meeting_at: datetime, key: str,
                              error: PermanentPostError, now: datetime, report: Report) -> None:
        """Not retried: recorded as failed with the reason, and the team's admins told what to fix."""
        self._failures.pop(key, None)
        if not await asyncio.to_thread(self.ledger.fail_digest, team.id, meeting_at, self.replica, key,
                                       error.reason, now):
            return
        log.error("team %s: the platform refuses the digest for %s for good (%s); not retried",
                  team.id, meeting_at, error.reason)
        report.failed.append((team.id, meeting_at))
        if not team.admins:
            log.warning("team %s has no admins to tell that its digest cannot be posted (%s); "
                        "set some with /recap setup admins=...", team.id, error.reason)
            return
        text = texts.digest_not_posted(team.name, meeting_at.astimezone(ZoneInfo(team.timezone)), error)
        for admin in team.admins:
            await self._tell(team, chat, admin, text)

    # -- late updates ------------------------------------------------------------
    async def late_updates(self, team: Team, chat: Chat, meeting_at: datetime, digest_refs: tuple[str, ...],
                           now: datetime, report: Report, shown: set[tuple[int, datetime]] | None = None) -> None:
        """Thread each recap version of a posted digest's meeting that is neither in it nor out yet
        (`shown`: the versions the digest just posted marked as in it, known without asking)."""
        if not digest_refs:
            return
        ledger = self.ledger
        recaps = await asyncio.to_thread(self.core.recaps_for_meeting, team, meeting_at)
        if shown is not None:
            recaps = [r for r in recaps if (r.id, r.updated_at) not in shown]
            if not recaps:
                return  # every recap of the meeting is in the digest: nothing to thread
        states = await asyncio.to_thread(ledger.late_updates, [(r.id, r.updated_at) for r in recaps])
        pending = [r for r in recaps if not (s := states.get((r.id, r.updated_at))) or not s.done]
        failed = await asyncio.to_thread(ledger.failed, [late_key(team, r) for r in pending]) if pending else {}
        for recap in pending:
            if late_key(team, recap) in failed:
                continue
            state = states.get((recap.id, recap.updated_at))
            if state is not None:  # claimed and unfinished: the claimer is posting, or died
                stale_at = state.claimed_at + self.stale_after
                if now < stale_at:
                    look_again = stale_at + timedelta(seconds=1)
                    report.wake(look_again if meeting_at <= now else min(look_again, meeting_at))
                    continue
            if meeting_at <= now:
                await self._late_not_posted(team, chat, recap, None, now)
                continue
            if state is None:
                if not await asyncio.to_thread(ledger.claim_late_update, recap.id, recap.updated_at, now):
                    continue  # another replica claimed it this instant
            elif await asyncio.to_thread(ledger.take_over_late_update, recap.id, recap.updated_at,
                                         state.claimed_at, now):
                log.warning("team %s: taking over the unfinished late update of recap %s", team.id, recap.id)
            else:
                continue
            await self._post_late(team, chat, recap, digest_refs, now, now, report)

    async def _post_late(self, team: Team, chat: Chat, recap: Recap, digest_refs: tuple[str, ...],
                         claimed_at: datetime, now: datetime, report: Report) -> None:
        key = late_key(team, recap)
        ledger = self.ledger
        version = recap.updated_at
        member = await asyncio.to_thread(self.core.teams.member_by_id, recap.member_id)
        try:
            parts = await self._parts(key, partial(ledger.record_late_part, recap.id, version, claimed_at, key,
                                                   team.id, recap.member_id))
            [entry] = await asyncio.to_thread(self.core.digests.entries, [(member, recap)])  # with its figures
            await chat.post_late_update(team, list(digest_refs), entry, parts)
        except asyncio.CancelledError:
            await asyncio.shield(asyncio.to_thread(ledger.release_late_update, recap.id, version, claimed_at))
            raise
        except PostTakenOver:
            log.error("team %s: late update of recap %s was taken over by another replica", team.id, recap.id)
            return
        except PermanentPostError as exc:
            await self._late_not_posted(team, chat, recap, exc, now, member)
            return
        except Exception:  # noqa: BLE001 - give back, try again later (until the meeting begins)
            await asyncio.to_thread(ledger.release_late_update, recap.id, version, claimed_at)
            retry = now + self._retry_delay(key)
            log.exception("team %s: late update of recap %s not posted; retrying at %s", team.id, recap.id, retry)
            report.wake(min(retry, recap.meeting_at))
            return
        self._failures.pop(key, None)
        await asyncio.to_thread(ledger.finish_late_update, recap.id, version, claimed_at, parts.refs)
        report.late_updates.append(recap.id)

    async def _late_not_posted(self, team: Team, chat: Chat, recap: Recap, error: PermanentPostError | None,
                               now: datetime, member: Member | None = None) -> None:
        """Recorded as not posted, once; its author is told why."""
        key = late_key(team, recap)
        self._failures.pop(key, None)
        reason = error.reason if error is not None else MEETING_BEGAN
        if not await asyncio.to_thread(self.ledger.record_failure, key, team.id, recap.member_id, reason, now):
            return
        log.warning("team %s: late update of recap %s not posted: %s", team.id, recap.id, reason)
        member = member or await asyncio.to_thread(self.core.teams.member_by_id, recap.member_id)
        local = recap.meeting_at.astimezone(self.core.teams.member_zone(member, team))
        await self._tell(team, chat, member.user_ref, texts.late_update_not_posted(local, error))

    async def late_recap(self, team: Team, chat: Chat, recap: Recap, now: datetime) -> Report:
        """A recap stored after its digest time: a reply under the digest, if the digest is out."""
        report = Report()
        row = await asyncio.to_thread(self.ledger.digest_post, team.id, recap.meeting_at)
        if row is not None and row.status == POSTED and recap.meeting_at > now:
            await self.late_updates(team, chat, recap.meeting_at, row.refs, now, report)
        # Not posted yet: the digest, when it goes out, includes it (or threads it afterwards).
        return report

    # -- reminders ---------------------------------------------------------------
    async def reminders(self, team: Team, chat: Chat, meeting_at: datetime, now: datetime, report: Report) -> None:
        """One direct message to each member who has not written and is not away."""
        ledger = self.ledger
        if await asyncio.to_thread(ledger.digest_post, team.id, meeting_at) is not None:
            return  # the digest is out (or being posted): a reminder now would be pointless
        # Who has written, not what: a reminder needs names only.
        part = await asyncio.to_thread(partial(self.core.digests.participation, team, meeting_at, with_text=False))
        claimed = await asyncio.to_thread(ledger.reminded, meeting_at, [m.id for m in part.missing])
        unsent = await asyncio.to_thread(
            ledger.unsettled, [reminder_key(member_id, meeting_at) for member_id in claimed]) if claimed else set()
        for member in part.missing:
            key = reminder_key(member.id, meeting_at)
            if member.id in claimed:
                if key not in unsent:
                    continue  # sent, or given up on
                stale_at = claimed[member.id] + self.stale_after
                if now < stale_at:  # its claimer may be sending it right now
                    report.wake(stale_at + timedelta(seconds=1))
                    continue
                if not await asyncio.to_thread(ledger.take_over_reminder, member.id, meeting_at,
                                               claimed[member.id], now):
                    continue
                log.warning("team %s: taking over the unsent reminder to member %s", team.id, member.id)
            elif not await asyncio.to_thread(ledger.claim_reminder, member.id, meeting_at, now):
                continue
            await self._remind(team, chat, member, meeting_at, key, now, report)

    async def _remind(self, team: Team, chat: Chat, member: Member, meeting_at: datetime, key: str,
                      now: datetime, report: Report) -> None:
        ledger = self.ledger
        local = meeting_at.astimezone(self.core.teams.member_zone(member, team))
        try:
            parts = await self._parts(key, partial(ledger.record_reminder_part, member.id, meeting_at, now, key,
                                                   team.id))
            await chat.remind(team, member, local, parts)
        except asyncio.CancelledError:
            await asyncio.shield(asyncio.to_thread(ledger.release_reminder, member.id, meeting_at, now))
            raise
        except PostTakenOver:
            return
        except PermanentPostError as exc:  # a member who does not take direct messages from the bot
            log.info("team %s: no reminder for member %s: %s", team.id, member.id, exc.reason)
            await asyncio.to_thread(ledger.record_failure, key, team.id, member.id, exc.reason, now)
            return
        except Exception:  # noqa: BLE001 - one member's DM failing must not stop the others
            if self._failures.get(key, 0) >= len(self.retry_delays):
                log.exception("team %s: reminder to member %s failed; giving up", team.id, member.id)
                self._failures.pop(key, None)
                await asyncio.to_thread(ledger.record_failure, key, team.id, member.id, "gave up", now)
                return  # at most one reminder, even if it is none
            await asyncio.to_thread(ledger.release_reminder, member.id, meeting_at, now)
            retry = now + self._retry_delay(key)
            log.exception("team %s: reminder to member %s failed; retrying at %s", team.id, member.id, retry)
            report.wake(retry)
            return
        self._failures.pop(key, None)
        report.reminded.append((member.id, meeting_at))
