"""The scheduler: APScheduler date jobs rebuilt from the database, one per wake-up time.

APScheduler only wakes us up: jobs live in memory (never a shared job store),
one per instant at which some teams have their next reminder, digest or retry
time (teams sharing a time share the job), and every wake-up runs `run_due`
for those teams, which reads the clock and the database and does whatever is
due. Tests call `run_due(now)` directly on a fake clock. Several replicas may
run this on one database; the ledger (see posting.py) makes each post happen
once. Retention (RECAPBOT_RETENTION_DAYS) runs at start and then daily: a
DELETE by age, idempotent, so every replica may run it.

Scale: `run_due` reads every team, and what the ledger says about all of them,
in a fixed number of queries, and plans in memory (survey.py); only teams with
something due go through posting.py, `concurrency` of them at a time, so a start
with nothing due writes nothing and 1,000 digests due at once go out together.
"""
from __future__ import annotations

import asyncio
import hashlib
import itertools
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
from . import plan, survey
from .posting import Poster, Report, late_version_key

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


def is_nearby(holder: str, me: str) -> bool:
    """True when the replica `holder` runs in our pid space, so is_orphaned sees it die."""
    space = pid_space()
    where = holder.rsplit(":", 2)[0]
    return bool(space) and holder != me and where.endswith("/" + space)


class Scheduler:
    def __init__(self, core: Core, chats: Mapping[str, Chat], ledger: Ledger, clock: Clock | None = None,
                 catchup: timedelta = timedelta(hours=DEFAULT_CATCHUP_HOURS), replica: str | None = None,
                 shutdown_grace: float = 10.0, retention: timedelta | None = None, concurrency: int = 32,
                 **poster_options):
        self.core = core
        self.chats = chats  # live: adapters may register after us
        self.clock = clock or core.clock
        self.replica = replica or replica_id()
        self.catchup = catchup
        self.lookback = catchup + timedelta(days=7)  # how far back missed digests are recorded
        self.shutdown_grace = shutdown_grace
        self.retention = retention  # None keeps recaps forever
        self.ledger = ledger
        # Teams worked on at once: enough for 1,000 digests due together to go out within seconds,
        # few enough to keep the database's connections and the platform's rate limits in bounds.
        self.concurrency = concurrency
        self.poster = Poster(core, ledger, self.replica, catchup, orphaned=partial(is_orphaned, me=self.replica),
                             nearby=partial(is_nearby, me=self.replica), **poster_options)
        self.aps: AsyncIOScheduler | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task] = set()
        self._retry_at: dict[int, datetime] = {}
        self._wakes: dict[int, datetime] = {}  # team id -> the time its job is set for
        self._waking: dict[datetime, set[int]] = {}  # a job's time -> the teams it wakes
        # A job's time -> its id: each job gets a new one, since a team may be planned for a time
        # whose job is still running (APScheduler would skip a second run of the same id).
        self._job_ids: dict[datetime, str] = {}
        self._jobs = itertools.count(1)

    async def start(self, aps: bool = True) -> Report:
        """Catch up on what came due while we were down, then plan every team's next wake-up."""
        self._loop = asyncio.get_running_loop()
        self._wakes.clear()
        self._waking.clear()
        self._job_ids.clear()
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
            teams = await asyncio.to_thread(self.core.teams.get_teams, team_ids)
        # No meetings, or served by an adapter this process does not run: nothing to plan.
        teams = [t for t in teams if t.schedule is not None and t.workspace.platform in self.chats]
        scope = [t.id for t in teams] if team_ids is not None and len(teams) <= self.SCOPED else None
        busy, wakes = await asyncio.to_thread(self._survey, teams, now, scope)
        for team in teams:
            if team.id not in busy:
                if self._retry_at.get(team.id, now) <= now:
                    self._retry_at.pop(team.id, None)
                self._plan(team, now, wakes[team.id])
        limit = asyncio.Semaphore(self.concurrency)

        async def work(team: Team) -> Report:
            async with limit:
                try:  # a team's turn may come seconds after `now` when many are due at once
                    return await self._run_team(team, max(now, self.clock.now()))
                except Exception:  # noqa: BLE001 - a database hiccup for one team must not stop the others
                    log.exception("team %s: scheduled work failed; trying again in a minute", team.id)
                    self._retry_at[team.id] = now + timedelta(minutes=1)
                    self._plan(team, now)
                    return Report()

        report = Report()
        for done in await asyncio.gather(*(work(team) for team in teams if team.id in busy)):
            report.merge(done)
        return report

    # A wake-up for at most this many teams reads the ledger for them only (an id list in the
    # queries); more (a start) read it for every team, without such a list.
    SCOPED = 2000

    def _survey(self, teams: list[Team], now: datetime, scope: list[int] | None
                ) -> tuple[set[int], dict[int, datetime | None]]:
        """(teams with something due, next wake-up of the others): a few queries for all of them."""
        if not teams:
            return set(), {}
        planned = {team.id: self._due_and_next(team, now) for team in teams}
        dues = {team_id: due for team_id, (due, _) in planned.items()}
        since = now - self.lookback
        ledger = self.ledger
        unthreaded = ledger.unthreaded(since, scope)
        failed = set()
        keys = [late_version_key(team_id, recap_id, version) for team_id, _, recap_id, version in unthreaded]
        for k in range(0, len(keys), 5000):
            failed |= set(ledger.failed(keys[k:k + 5000]))
        members, aways = [], {}
        reminding = [team_id for team_id, due in dues.items() if due.reminder_meeting is not None]
        for k in range(0, len(reminding), 5000):  # the groups whose reminder window is open, only
            more, away_rows = ledger.member_reminders(now, reminding[k:k + 5000])
            members += more
            for member_id, start, end in away_rows:
                aways.setdefault(member_id, []).append((start, end))
        view = survey.LedgerView(
            digests=ledger.digest_statuses(since, scope),
            unthreaded={(team_id, meeting) for (team_id, meeting, _, _), key in zip(unthreaded, keys)
                        if key not in failed},
            members=survey.by_team(members), aways=aways)
        busy = {team.id for team in teams if survey.has_work(team, dues[team.id], view)}
        return busy, {team_id: wake for team_id, (_, wake) in planned.items() if team_id not in busy}

    def _due_and_next(self, team: Team, now: datetime) -> tuple[plan.Due, datetime | None]:
        due, wake = plan.due_and_next(team, now, self.lookback)
        if team.created_at is not None:  # meetings from before the team existed are nobody's
            due = replace(due, digests=tuple(
                m for m in due.digests if cycles.digest_time(team.schedule, m) >= team.created_at))
        return due, wake

    async def _run_team(self, team: Team, now: datetime, digests: bool = True) -> Report:
        report = Report()
        chat = self.chats.get(team.workspace.platform)
        if team.schedule is None or chat is None:
            return report  # no meetings, or served by an adapter this process does not run
        if self._retry_at.get(team.id, now) <= now:
            self._retry_at.pop(team.id, None)
        try:
            due, _ = self._due_and_next(team, now)
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

    def _plan(self, team: Team, now: datetime, at: datetime | None = ...) -> None:
        """Set the team's wake-up (`at`: its plan.next_wake, when already known), in the job of that time."""
        if at is ...:
            at = plan.next_wake(team, now)
        retry = self._retry_at.get(team.id)
        if retry is not None:
            at = retry if at is None else min(at, retry)
        self._place(team.id, at)

    def _place(self, team_id: int, at: datetime | None) -> None:
        old = self._wakes.get(team_id)
        if old == at:
            return
        if old is not None:
            waking = self._waking.get(old)
            if waking is not None:
                waking.discard(team_id)
                if not waking:
                    del self._waking[old]
                    job_id = self._job_ids.pop(old, None)
                    if self.aps is not None and job_id is not None and self.aps.get_job(job_id):
                        self.aps.remove_job(job_id)
            del self._wakes[team_id]
        if at is None:
            return
        self._wakes[team_id] = at
        waking = self._waking.setdefault(at, set())
        waking.add(team_id)
        if self.aps is not None and len(waking) == 1:
            # APScheduler counts system time; an injected clock may be elsewhere (tests, benchmarks).
            run_date = at + (datetime.now(timezone.utc) - self.clock.now())
            job_id = self._job_ids[at] = f"wake:{at.isoformat()}:{next(self._jobs)}"
            self.aps.add_job(self._wake, "date", run_date=run_date, id=job_id, args=[at])

    def job_id(self, team_id: int) -> str | None:
        """The APScheduler job that wakes this team (shared with the teams due at the same time)."""
        at = self._wakes.get(team_id)
        return self._job_ids.get(at) if at is not None else None

    def wake_time(self, team_id: int) -> datetime | None:
        return self._wakes.get(team_id)

    async def _wake(self, at: datetime) -> None:
        team_ids = self._waking.pop(at, set())
        self._job_ids.pop(at, None)
        for team_id in team_ids:
            if self._wakes.get(team_id) == at:
                del self._wakes[team_id]
        if not team_ids:
            return
        try:
            await self._track(self.run_due(team_ids=sorted(team_ids)))
        except Exception:  # noqa: BLE001 - the database is away: these teams try again in a minute
            retry = self.clock.now() + timedelta(minutes=1)
            log.exception("scheduled work for %d teams failed; trying again at %s", len(team_ids), retry)
            for team_id in team_ids:
                if team_id not in self._wakes:
                    self._retry_at[team_id] = retry
                    self._place(team_id, retry)

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
