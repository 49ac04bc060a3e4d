"""The scheduler: one APScheduler date job per team, rebuilt from the database.

APScheduler only wakes us up: jobs live in memory (never a shared job store),
each at the team's next reminder, digest or retry time, and every wake-up
runs `run_due`, which reads the clock and the database and does whatever is
due. Tests call `run_due(now)` directly on a fake clock. Several replicas may
run this on one database; the ledger (see posting.py) makes each post happen
once. Retention (RECAPBOT_RETENTION_DAYS) runs at start and then daily: a
DELETE by age, idempotent, so every replica may run it.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from ..config import DEFAULT_CATCHUP_HOURS
from ..core import cycles, texts
from ..core.events import FeedbackGiven, RecapSubmitted, ScheduleChanged
from ..core.model import Team
from ..core.ports import Chat, Clock
from ..core.service import Core
from ..store.ledger import Ledger
from . import plan
from .posting import Poster, Report

log = logging.getLogger("recapbot.scheduler")


def pid_space() -> str:
    """Where this process's pid means something: this boot of this machine and this pid
    namespace (a container has its own), as 8 hex digits; empty where that is unknown."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return ""
    return hashlib.sha256(f"{boot}:{namespace}".encode()).hexdigest()[:8]


def replica_id() -> str:
    """Stable for the life of this process and unique across restarts and hosts: host/pid space:pid:random."""
    space = pid_space()
    return f"{socket.gethostname()[:60]}{'/' + space if space else ''}:{os.getpid()}:{secrets.token_hex(4)}"


def is_orphaned(holder: str, me: str) -> bool:
    """True when the replica `holder` ran in our pid space and its process is gone: a claim left
    by a process that died and was restarted here, which need not wait to go stale."""
    try:
        where, pid_text, _ = holder.rsplit(":", 2)
        pid = int(pid_text)
    except ValueError:
        return False
    space = pid_space()
    if holder == me or not space or not where.endswith("/" + space):
        return False
    if pid == os.getpid():
        return True  # an earlier process with our pid (a container's pid 1): it is gone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # it runs, as another user
    return False


class Scheduler:
    def __init__(self, core: Core, chats: Mapping[str, Chat], ledger: Ledger, clock: Clock | None = None,
                 catchup: timedelta = timedelta(hours=DEFAULT_CATCHUP_HOURS), replica: str | None = None,
                 shutdown_grace: float = 10.0, retention: timedelta | None = None, **poster_options):
        self.core = core
        self.chats = chats  # live: adapters may register after us
        self.clock = clock or core.clock
        self.replica = replica or replica_id()
        self.catchup = catchup
        self.lookback = catchup + timedelta(days=7)  # how far back missed digests are recorded
        self.shutdown_grace = shutdown_grace
        self.retention = retention  # None keeps recaps forever
        self.poster = Poster(core, ledger, self.replica, catchup, orphaned=partial(is_orphaned, me=self.replica),
                             **poster_options)
        self.aps: AsyncIOScheduler | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task] = set()
        self._retry_at: dict[int, datetime] = {}
        self._wakes: dict[int, datetime] = {}  # team id -> the time its job is set for

    async def start(self, aps: bool = True) -> Report:
        """Catch up on what came due while we were down, then plan every team's next wake-up."""
        self._loop = asyncio.get_running_loop()
        if aps:
            self.aps = AsyncIOScheduler(timezone=timezone.utc, job_defaults={
                "misfire_grace_time": None, "coalesce": True, "max_instances": 1})
            self.aps.start()
        report = await self._track(self.run_due())
        if self.retention is not None:
            await self._track(self.purge_expired())
            if self.aps is not None:
                self.aps.add_job(self._purge, "interval", days=1, id="retention", replace_existing=True)
        return report

    async def stop(self) -> None:
        """Stop waking up; let a post in progress finish within the grace, else abandon it cleanly."""
        if self.aps is not None and self.aps.running:
            self.aps.shutdown(wait=False)
        self.aps = None
        self._loop = None  # events from now on wait for the next start, which reads the database
        tasks = list(self._tasks)
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=self.shutdown_grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def serve(self) -> None:
        """The app's runner: start, then stay until cancelled (SIGTERM), then stop cleanly."""
        await self.start()
        try:
            await asyncio.Event().wait()
        finally:
            await self.stop()

    async def settle(self) -> None:
        """Wait until the work the listeners started is done (tests, shutdown)."""
        await asyncio.sleep(0)  # let call_soon_threadsafe callbacks create their tasks
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # -- the work --------------------------------------------------------------
    async def run_due(self, now: datetime | None = None, team_ids: list[int] | None = None) -> Report:
        """Do whatever is due at `now` for every team (or the given ones) this process can post for."""
        now = now or self.clock.now()
        if team_ids is None:
            teams = await asyncio.to_thread(self.core.teams.list_teams)
        else:
            teams = [t for t in await asyncio.gather(
                *(asyncio.to_thread(self.core.teams.get_team, i) for i in team_ids)) if t is not None]
        report = Report()
        for team in teams:
            try:
                report.merge(await self._run_team(team, now))
            except Exception:  # noqa: BLE001 - a database hiccup for one team must not stop the others
                log.exception("team %s: scheduled work failed; trying again in a minute", team.id)
                self._retry_at[team.id] = now + timedelta(minutes=1)
                self._plan(team, now)
        return report

    async def _run_team(self, team: Team, now: datetime, digests: bool = True) -> Report:
        report = Report()
        chat = self.chats.get(team.workspace.platform)
        if team.schedule is None or chat is None:
            return report  # no meetings, or served by an adapter this process does not run
        if self._retry_at.get(team.id, now) <= now:
            self._retry_at.pop(team.id, None)
        try:
            due = plan.due(team, now, self.lookback)
            if team.created_at is not None:  # meetings from before the team existed are nobody's
                due = replace(due, digests=tuple(
                    m for m in due.digests if cycles.digest_time(team.schedule, m) >= team.created_at))
            if digests and due.digests and team.channel is None and chat.needs_channel:
                # Nowhere to post: leave the digest unclaimed, so setting a channel within the
                # catch-up window still gets it out at the next wake-up or start.
                log.warning("team %s has no digest channel; set one with /recap setup channel=#...", team.id)
                digests = False
            if digests:
                for meeting in due.digests:
                    await self.poster.digest(team, chat, meeting, now, report)
            if due.reminder_meeting is not None:
                await self.poster.reminders(team, chat, due.reminder_meeting, now, report)
        finally:
            self._replan(team, now, report)
        return report

    async def purge_expired(self, now: datetime | None = None) -> dict[str, int]:
        """Delete recaps of meetings longer ago than the retention period, with their late updates."""
        if self.retention is None:
            return {}
        cutoff = (now or self.clock.now()) - self.retention
        try:
            counts = await asyncio.to_thread(self.core.privacy.delete_recaps_before, cutoff)
        except Exception:  # noqa: BLE001 - tomorrow's run deletes the same rows
            log.exception("retention: deleting recaps of meetings before %s failed", f"{cutoff:%Y-%m-%d %H:%M}")
            return {}
        if counts:
            log.info("retention: deleted %s of meetings before %s", counts, f"{cutoff:%Y-%m-%d %H:%M}")
        return counts

    async def _purge(self) -> None:
        await self._track(self.purge_expired())

    def _replan(self, team: Team, now: datetime, report: Report) -> None:
        if report.retry_at is not None:
            self._retry_at[team.id] = min(report.retry_at, self._retry_at.get(team.id, report.retry_at))
        self._plan(team, now)

    def next_wake(self, team: Team, now: datetime) -> datetime | None:
        """When this team's job fires next: its next reminder or digest, or an earlier retry."""
        times = [at for at in (plan.next_wake(team, now), self._retry_at.get(team.id)) if at is not None]
        return min(times) if times else None

    def _plan(self, team: Team, now: datetime) -> None:
        at = self.next_wake(team, now)
        job_id = f"team:{team.id}"
        if at is None:
            self._wakes.pop(team.id, None)
            if self.aps is not None and self.aps.get_job(job_id):
                self.aps.remove_job(job_id)
            return
        self._wakes[team.id] = at
        if self.aps is not None:
            # APScheduler counts system time; an injected clock may be elsewhere (tests, benchmarks).
            run_date = at + (datetime.now(timezone.utc) - self.clock.now())
            self.aps.add_job(self._wake, "date", run_date=run_date, id=job_id, args=[team.id], replace_existing=True)

    def wake_time(self, team_id: int) -> datetime | None:
        return self._wakes.get(team_id)

    async def _wake(self, team_id: int) -> None:
        await self._track(self.run_due(team_ids=[team_id]))

    async def _track(self, work: Awaitable[Report]) -> Report:
        """Run work as a task `stop` can wait for; APScheduler cancelling its job does not cut it short."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return await asyncio.shield(task)

    def _spawn(self, work: Awaitable[Report]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("scheduler task failed", exc_info=task.exception())

    # -- core events (app.py subscribes these; the core publishes from any thread) ---
    def _soon(self, work: Callable[[], Awaitable[Report]]) -> None:
        """Start `work()` on our loop. The coroutine is made there, never here: an event that
        arrives while we are not running is dropped whole (the next start reads the database)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(lambda: self._spawn(work()))

    def on_schedule_changed(self, event: ScheduleChanged) -> None:
        """Re-plan the team's job; reminders whose window is already open go out now."""
        self._soon(lambda: self._run_team(event.team, self.clock.now(), digests=False))

    def on_recap_submitted(self, event: RecapSubmitted) -> None:
        if event.recap.late:
            self._soon(lambda: self._late(event))

    def on_feedback_given(self, event: FeedbackGiven) -> None:
        """The member hears of feedback on their recap in a direct message (at most once)."""
        self._soon(lambda: self._feedback_dm(event))

    async def _feedback_dm(self, event: FeedbackGiven) -> Report:
        chat = self.chats.get(event.team.workspace.platform)
        if chat is not None:
            team, member, feedback = event.team, event.member, event.feedback
            local = feedback.meeting_at.astimezone(self.core.teams.member_zone(member, team))
            await self.poster._tell(team, chat, member.user_ref,
                                    texts.feedback_dm(team.name, feedback.giver, local, feedback.text))
        return Report()

    async def _late(self, event: RecapSubmitted) -> Report:
        chat = self.chats.get(event.team.workspace.platform)
        if chat is None:
            return Report()
        team, now = event.team, self.clock.now()
        report = Report()
        try:
            report = await self.poster.late_recap(team, chat, event.recap, now)
        finally:
            self._replan(team, now, report)  # a late update that failed is retried at its wake-up
        return report
