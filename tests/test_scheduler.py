"""The scheduler on a fake clock: reminders, digests, platform errors, skipped meetings, late updates."""
from __future__ import annotations

import asyncio
import gc
import warnings
from datetime import datetime, timedelta, timezone

import pytest

from bot.app import subscribe_scheduler
from bot.core.commands import CommandHandler
from bot.core.model import RecapDraft, Workspace
from bot.scheduling import Scheduler
from bot.store.ledger import Ledger
from tests.conftest import CONSOLE, person, group_of

UTC = timezone.utc

# The clock fixture says Wed 2026-11-18 12:00 UTC. The team meets Mon 10:00 Berlin (09:00 UTC):
MEETING = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
DIGEST_AT = MEETING - timedelta(hours=2)       # Mon 07:00 UTC
REMINDER_AT = DIGEST_AT - timedelta(hours=24)  # Sun 07:00 UTC


class FakeChat:
    """Records what the scheduler posted; can fail a number of times, or hang, like a platform."""

    platform = "console"

    def __init__(self, fail_digests: int = 0, fail_reminders: int = 0, fail_late: int = 0,
                 needs_channel: bool = False):
        self.needs_channel = needs_channel
        self.digests: list[tuple[int, datetime, str]] = []   # (team id, meeting local, key)
        self.digest_docs = []
        self.late: list[tuple[list[str], object]] = []       # (digest refs, entry)
        self.reminders: list[tuple[str, datetime]] = []      # (member name, meeting local)
        self.fail_digests = fail_digests
        self.fail_reminders = fail_reminders
        self.fail_late = fail_late
        self.told: list[tuple[str, str]] = []                # (user ref, text): direct messages
        self.hang: asyncio.Event | None = None
        self.entered = asyncio.Event()

    @staticmethod
    async def _send(parts, names):
        async def post(index, name):
            return f"fake:{parts.key}:{name}"
        return await parts.send(names, post)

    async def post_digest(self, team, digest, parts):
        self.entered.set()
        if self.hang is not None:
            await self.hang.wait()
        if self.fail_digests:
            self.fail_digests -= 1
            raise RuntimeError("platform error: 503 service unavailable")
        self.digests.append((team.id, digest.meeting_local, parts.key))
        self.digest_docs.append(digest)
        return await self._send(parts, ["root", "1"])

    async def post_late_update(self, team, refs, entry, parts):
        if self.fail_late:
            self.fail_late -= 1
            raise RuntimeError("platform error: 502")
        self.late.append((list(refs), entry))
        return await self._send(parts, ["late"])

    async def remind(self, team, member, meeting_local, parts):
        if self.fail_reminders:
            self.fail_reminders -= 1
            raise RuntimeError("platform error: 500")
        self.reminders.append((member.display_name, meeting_local))
        return await self._send(parts, ["dm"])

    async def tell(self, team, user_ref, text):
        self.told.append((user_ref, text))


def command(core, text: str, who: str = "alice") -> str:
    reply = CommandHandler(core).handle(person(who), text)
    assert reply.ok, reply.text
    return reply.text


def setup_team(core, **extra: str):
    settings = {"meeting": '"Mon 10:00"', "tz": "Europe/Berlin", "channel": "#lab", **extra}
    command(core, "/recap setup " + " ".join(f"{k}={v}" for k, v in settings.items()))
    return group_of(core, CONSOLE)


def submit(core, who: str, progress: str = "did things"):
    return core.recaps.submit(person(who), RecapDraft(progress=progress))


def scheduler(core, engine, chat, clock, replica: str = "replica-a", **options) -> Scheduler:
    return Scheduler(core, {"console": chat}, Ledger(engine), clock=clock, replica=replica, **options)


async def run_at(s: Scheduler, clock, moment: datetime):
    clock.set(moment)
    return await s.run_due()


@pytest.fixture
def chat():
    return FakeChat()


@pytest.fixture
def team(core):
    team = setup_team(core)
    for name in ("bob", "carol", "dave"):
        core.teams.member_for(person(name))
    return team


# -- reminders ----------------------------------------------------------------
async def test_reminders_go_once_to_those_who_have_not_written_and_are_not_away(core, engine, clock, team, chat):
    submit(core, "alice")
    command(core, "/recap away 2w conference", who="carol")
    s = scheduler(core, engine, chat, clock)

    await run_at(s, clock, REMINDER_AT - timedelta(seconds=1))
    assert chat.reminders == []
    assert s.wake_time(team.id) == REMINDER_AT

    await run_at(s, clock, REMINDER_AT)
    assert sorted(name for name, _ in chat.reminders) == ["bob", "dave"]
    local = chat.reminders[0][1]
    assert (local.hour, local.minute, str(local.tzinfo)) == (10, 0, "Europe/Berlin")
    assert s.wake_time(team.id) == DIGEST_AT

    await run_at(s, clock, REMINDER_AT + timedelta(hours=3))  # any later wake-up sends nothing again
    assert len(chat.reminders) == 2


async def test_a_reminder_whose_digest_went_out_is_dropped(core, engine, clock, team, chat):
    s = scheduler(core, engine, chat, clock)
    await run_at(s, clock, DIGEST_AT + timedelta(minutes=5))  # the bot was down all through the reminder window
    assert len(chat.digests) == 1 and chat.reminders == []


async def test_a_failed_reminder_is_retried_and_still_sent_once(core, engine, clock, team):
    chat = FakeChat(fail_reminders=1)
    s = scheduler(core, engine, chat, clock)
    report = await run_at(s, clock, REMINDER_AT)
    assert len(chat.reminders) == 3  # one of the four failed
    assert s.wake_time(team.id) == REMINDER_AT + timedelta(minutes=1) == report.retry_at
    await run_at(s, clock, REMINDER_AT + timedelta(minutes=1))
    assert sorted(n for n, _ in chat.reminders) == ["alice", "bob", "carol", "dave"]


# -- digests ------------------------------------------------------------------
async def test_the_digest_goes_out_at_its_time_once(core, engine, clock, team, chat):
    submit(core, "alice", "trained the model")
    s = scheduler(core, engine, chat, clock)
    await run_at(s, clock, DIGEST_AT - timedelta(seconds=1))
    assert chat.digests == []

    report = await run_at(s, clock, DIGEST_AT)
    assert report.posted == [(team.id, MEETING)]
    (team_id, meeting_local, key), = chat.digests
    assert meeting_local == MEETING and f"{meeting_local:%a %H:%M}" == "Mon 10:00"
    assert [e.member.display_name for e in chat.digest_docs[0].entries] == ["alice"]
    row = s.poster.ledger.digest_post(team.id, MEETING)
    assert row.status == "posted" and not row.posted_late and row.refs == (f"fake:{key}:root", f"fake:{key}:1")
    assert row.channel == "#lab"

    for later in (timedelta(minutes=1), timedelta(hours=1)):
        await run_at(s, clock, DIGEST_AT + later)
    assert len(chat.digests) == 1
    next_meeting = MEETING + timedelta(days=7)
    assert s.wake_time(team.id) == next_meeting - timedelta(hours=26)  # next week's reminders


async def test_a_platform_error_is_retried_then_the_digest_is_posted_once(core, engine, clock, team):
    chat = FakeChat(fail_digests=2)
    s = scheduler(core, engine, chat, clock)
    await run_at(s, clock, DIGEST_AT)
    assert chat.digests == [] and s.poster.ledger.digest_post(team.id, MEETING) is None  # claim given back
    assert s.wake_time(team.id) == DIGEST_AT + timedelta(minutes=1)

    await run_at(s, clock, DIGEST_AT + timedelta(minutes=1))
    assert chat.digests == [] and s.wake_time(team.id) == DIGEST_AT + timedelta(minutes=6)

    await run_at(s, clock, DIGEST_AT + timedelta(minutes=6))
    assert len(chat.digests) == 1
    assert s.poster.ledger.digest_post(team.id, MEETING).posted_late  # six minutes after its time
    await run_at(s, clock, DIGEST_AT + timedelta(minutes=30))
    assert len(chat.digests) == 1


async def test_a_team_served_by_an_adapter_this_process_lacks_is_left_alone(core, engine, clock, team):
    chat = FakeChat()
    s = Scheduler(core, {"slack": chat}, Ledger(engine), clock=clock, replica="x")
    await run_at(s, clock, DIGEST_AT)
    assert chat.digests == [] and s.poster.ledger.digest_post(team.id, MEETING) is None


async def test_a_chat_team_without_a_channel_gets_its_digest_once_a_channel_is_set(core, engine, clock):
    admin = person("alice", workspace="slack:T1")
    core.teams.configure(admin, [("meeting", "Mon 10:00"), ("tz", "Europe/Berlin")])
    team = group_of(core, Workspace("slack", "T1"))
    chat = FakeChat(needs_channel=True)
    s = Scheduler(core, {"slack": chat}, Ledger(engine), clock=clock, replica="x")
    await run_at(s, clock, DIGEST_AT)
    assert chat.digests == [] and s.poster.ledger.digest_post(team.id, MEETING) is None  # unclaimed
    core.teams.configure(admin, [("channel", "C123")])
    await run_at(s, clock, DIGEST_AT + timedelta(minutes=20))
    assert len(chat.digests) == 1
    assert s.poster.ledger.digest_post(team.id, MEETING).posted_late


# -- skipped meetings ---------------------------------------------------------
async def test_a_skipped_meeting_has_no_reminders_no_digest_and_its_recaps_move_on(core, engine, clock, team, chat):
    s = scheduler(core, engine, chat, clock)
    subscribe_scheduler(core.events, s)
    await s.start(aps=False)
    submit(core, "alice", "early work")
    command(core, "/recap skip-meeting 2026-11-23")
    await s.settle()
    next_meeting = MEETING + timedelta(days=7)
    assert s.wake_time(team.id) == next_meeting - timedelta(hours=26)
    assert "Reminders: Sun 29 Nov" in command(core, "/recap schedule")

    for moment in (REMINDER_AT, DIGEST_AT, MEETING):
        await run_at(s, clock, moment)
    assert chat.reminders == [] and chat.digests == []

    await run_at(s, clock, next_meeting - timedelta(hours=2))
    assert len(chat.digests) == 1 and chat.digests[0][1] == next_meeting
    alice = chat.digest_docs[0].entries[0]
    assert (alice.member.display_name, alice.recap.progress) == ("alice", "early work")


# -- late updates -------------------------------------------------------------
async def test_a_late_recap_is_threaded_under_the_posted_digest(core, engine, clock, team, chat):
    s = scheduler(core, engine, chat, clock)
    subscribe_scheduler(core.events, s)
    clock.set(DIGEST_AT - timedelta(hours=1))
    await s.start(aps=False)
    submit(core, "alice", "on time")
    await run_at(s, clock, DIGEST_AT)
    assert len(chat.digests) == 1 and chat.late == []

    clock.set(DIGEST_AT + timedelta(minutes=30))
    submit(core, "bob", "late but here")
    await s.settle()
    (refs, entry), = chat.late
    assert refs[0] == f"fake:{chat.digests[0][2]}:root"  # the digest's thread root
    assert entry.member.display_name == "bob" and entry.recap.late and entry.recap.progress == "late but here"
    assert entry.recap.meeting_at == MEETING

    clock.set(MEETING + timedelta(minutes=1))  # after the meeting it counts for the next one: no thread reply
    submit(core, "carol", "after the meeting")
    await s.settle()
    assert len(chat.late) == 1


async def test_a_recap_stored_while_the_digest_is_posting_is_threaded_once(core, engine, clock, team, chat):
    s = scheduler(core, engine, chat, clock)
    subscribe_scheduler(core.events, s)
    await s.start(aps=False)
    chat.hang = asyncio.Event()
    clock.set(DIGEST_AT)
    run = asyncio.create_task(s.run_due())
    await chat.entered.wait()              # the digest is built and being posted
    submit(core, "dave", "just in time")   # late; the digest is not out yet
    await s.settle()
    assert chat.late == []
    chat.hang.set()
    await run
    await s.settle()
    assert [e.member.display_name for _, e in chat.late] == ["dave"]
    assert all(e.member.display_name != "dave" for e in chat.digest_docs[0].entries)


# -- APScheduler jobs -------------------------------------------------------------
def fires_in(s: Scheduler, team) -> timedelta:
    """How far in the future (system time) APScheduler will run the team's job."""
    return s.aps.get_job(s.job_id(team.id)).next_run_time - datetime.now(UTC)


async def test_a_schedule_change_rebuilds_the_job_without_a_restart(core, engine, clock, chat):
    clock.set(datetime(2026, 11, 18, 12, 0, tzinfo=UTC))  # Wed; APScheduler fires jobs at the same distance in system time
    team = setup_team(core)
    s = scheduler(core, engine, chat, clock)
    subscribe_scheduler(core.events, s)
    await s.start()
    try:
        # Sun 08:00 CET (07:00 UTC): reminders for Monday's meeting, 3 days 19 hours from now.
        assert abs(fires_in(s, team) - timedelta(days=3, hours=19)) < timedelta(seconds=5)
        command(core, '/recap setup meeting="Thu 15:00"')  # digest Thu 13:00 CET, reminders a day before: now
        await s.settle()
        assert abs(fires_in(s, team) - timedelta(hours=24)) < timedelta(seconds=5)  # the digest, Thu 12:00 UTC
        assert [name for name, _ in chat.reminders] == ["alice"]  # the window is already open
        assert len(s.aps.get_jobs()) == 1
    finally:
        await s.stop()
    assert s.aps is None


async def test_a_schedule_change_while_the_scheduler_is_not_running_waits_for_its_start(core, engine, clock, chat):
    team = setup_team(core)
    s = scheduler(core, engine, chat, clock)
    subscribe_scheduler(core.events, s)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        command(core, '/recap setup meeting="Thu 15:00"')  # not started: nothing is left half-done
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)] == []
    await s.start(aps=False)  # the start reads the new schedule: the reminder window is open
    assert [name for name, _ in chat.reminders] == ["alice"]
    assert s.wake_time(team.id) == datetime(2026, 11, 19, 12, 0, tzinfo=UTC)  # the digest, Thu 13:00 CET


async def test_the_app_runs_the_scheduler_after_its_adapters(sqlite_url, clock):
    from bot.app import attach_adapters, build
    from bot.config import load_settings

    settings = load_settings({"DATABASE_URL": sqlite_url, "RECAPBOT_CATCHUP_HOURS": "3"}, dotenv=False)
    app = build(settings, clock=clock, migrate=False)
    attach_adapters(app, console=True)
    runner = app.runners[-1]
    s = runner.run.__self__
    assert isinstance(s, Scheduler) and s.catchup == timedelta(hours=3) and set(app.chats) == {"console"}
    await s.start(aps=False)
    command(app.core, '/recap setup meeting="Mon 10:00" tz=Europe/Berlin')  # the core's event reaches it
    await s.settle()
    team = group_of(app.core, CONSOLE)
    assert s.wake_time(team.id) == REMINDER_AT
    await s.stop()
    app.engine.dispose()


async def test_meetings_from_before_the_team_existed_leave_no_ledger_rows(core, engine, clock, chat):
    clock.set(DIGEST_AT + timedelta(minutes=30))  # the team is set up after this meeting's digest time
    team = setup_team(core)
    s = scheduler(core, engine, chat, clock)
    await s.start(aps=False)
    assert chat.digests == []
    assert s.poster.ledger.digest_post(team.id, MEETING) is None
    assert s.poster.ledger.digest_post(team.id, MEETING - timedelta(days=7)) is None


# -- catch-up 0 -----------------------------------------------------------------
async def test_catchup_zero_posts_on_time_even_seconds_late_but_nothing_after_down_time(core, engine, clock, team, chat):
    s = scheduler(core, engine, chat, clock, catchup=timedelta(0))
    report = await run_at(s, clock, DIGEST_AT + timedelta(seconds=20))  # the wake-up came a little late
    assert report.posted == [(team.id, MEETING)] and report.missed == []
    assert len(chat.digests) == 1 and not s.poster.ledger.digest_post(team.id, MEETING).posted_late

    week = timedelta(days=7)
    report = await run_at(s, clock, DIGEST_AT + week + timedelta(hours=3))  # down over next week's digest time
    assert report.missed == [(team.id, MEETING + week)] and len(chat.digests) == 1


# -- late updates: retry, take-over, start-up scan, after the meeting ------------------
async def test_a_late_update_that_hits_a_platform_error_is_retried_and_posted_once(core, engine, clock, team):
    chat = FakeChat(fail_late=2)
    s = scheduler(core, engine, chat, clock)
    subscribe_scheduler(core.events, s)
    await s.start(aps=False)
    await run_at(s, clock, DIGEST_AT)
    late_at = DIGEST_AT + timedelta(minutes=30)
    clock.set(late_at)
    submit(core, "bob", "late but here")
    await s.settle()
    assert chat.late == [] and s.wake_time(team.id) == late_at + timedelta(minutes=1)
    await run_at(s, clock, late_at + timedelta(minutes=1))
    assert chat.late == [] and s.wake_time(team.id) == late_at + timedelta(minutes=6)
    await run_at(s, clock, late_at + timedelta(minutes=6))
    assert [e.recap.progress for _, e in chat.late] == ["late but here"]
    await run_at(s, clock, late_at + timedelta(minutes=20))
    assert len(chat.late) == 1


async def test_a_late_update_claimed_by_a_crashed_process_is_taken_over_once_stale(core, engine, clock, team, chat):
    s = scheduler(core, engine, chat, clock)
    await run_at(s, clock, DIGEST_AT)
    clock.set(DIGEST_AT + timedelta(minutes=30))
    recap = submit(core, "bob", "claimed then crashed").recap  # nobody listens: the process died
    assert Ledger(engine).claim_late_update(recap.id, recap.updated_at, clock.now())
    await run_at(s, clock, DIGEST_AT + timedelta(minutes=31))
    assert chat.late == []  # the claimer may still be posting
    await run_at(s, clock, DIGEST_AT + timedelta(minutes=41))
    assert [e.recap.progress for _, e in chat.late] == ["claimed then crashed"]
    await run_at(s, clock, DIGEST_AT + timedelta(minutes=60))
    assert len(chat.late) == 1


async def test_a_late_recap_stored_while_the_bot_was_down_is_threaded_at_start(core, engine, clock, team, chat):
    first = scheduler(core, engine, chat, clock, replica="a")
    await run_at(first, clock, DIGEST_AT)
    await first.stop()
    clock.set(DIGEST_AT + timedelta(minutes=30))
    submit(core, "carol", "while you were out")  # no scheduler listening
    clock.set(DIGEST_AT + timedelta(minutes=45))
    second = scheduler(core, engine, chat, clock, replica="b")
    await second.start(aps=False)
    assert [e.recap.progress for _, e in chat.late] == ["while you were out"]
    assert chat.late[0][0][0] == f"fake:{chat.digests[0][2]}:root"


async def test_a_late_update_still_failing_when_the_meeting_begins_is_dropped_and_its_author_told(
        core, engine, clock, team):
    chat = FakeChat(fail_late=100)
    s = scheduler(core, engine, chat, clock)
    subscribe_scheduler(core.events, s)
    await s.start(aps=False)
    await run_at(s, clock, DIGEST_AT)
    clock.set(MEETING - timedelta(seconds=30))
    submit(core, "bob", "too late to show")
    await s.settle()
    assert s.wake_time(team.id) == MEETING  # the retry would come after the meeting began
    await run_at(s, clock, MEETING)
    assert chat.late == []
    (who, text), = chat.told
    assert who == "bob" and "could not be posted" in text and "Mon 23 Nov 2026" in text
    await run_at(s, clock, MEETING + timedelta(hours=1))
    assert len(chat.told) == 1


async def test_a_late_update_the_platform_refuses_for_good_is_not_retried_and_its_author_is_told(
        core, engine, clock, team):
    from bot.core.delivery import FIX_CHANNEL, PermanentPostError

    chat = FakeChat()
    s = scheduler(core, engine, chat, clock)
    subscribe_scheduler(core.events, s)
    await s.start(aps=False)
    await run_at(s, clock, DIGEST_AT)

    async def archived(*_args):
        raise PermanentPostError("is_archived", FIX_CHANNEL, "#lab")

    chat.post_late_update = archived
    clock.set(DIGEST_AT + timedelta(minutes=30))
    submit(core, "bob", "into an archived channel")
    await s.settle()
    (who, text), = chat.told
    assert who == "bob" and "could not be posted" in text and "is_archived" in text
    assert s.wake_time(team.id) == MEETING + timedelta(days=7) - timedelta(hours=26)  # no retry planned
    await run_at(s, clock, DIGEST_AT + timedelta(minutes=45))
    assert len(chat.told) == 1


async def test_a_refused_digest_with_no_team_admins_is_logged_and_not_retried(core, engine, clock, team, caplog):
    from bot.core.delivery import FIX_INVITE, PermanentPostError

    chat = FakeChat()

    async def not_in_channel(*_args):
        raise PermanentPostError("not_in_channel", FIX_INVITE, "#lab")

    chat.post_digest = not_in_channel
    s = scheduler(core, engine, chat, clock)
    report = await run_at(s, clock, DIGEST_AT)
    assert report.failed == [(team.id, MEETING)] and report.retry_at is None and chat.told == []
    assert "no admins to tell" in caplog.text
    assert Ledger(engine).failed([f"digest:{team.id}:{MEETING:%Y%m%dT%H%MZ}"]) == {
        f"digest:{team.id}:{MEETING:%Y%m%dT%H%MZ}": "not_in_channel"}


async def test_a_reminder_claimed_by_a_crashed_process_is_sent_once_its_claim_is_stale(core, engine, clock, team, chat):
    bob = core.teams.member_for(person("bob"))
    assert Ledger(engine).claim_reminder(bob.id, MEETING, REMINDER_AT)  # claimed, then the process died
    s = scheduler(core, engine, chat, clock)
    await run_at(s, clock, REMINDER_AT + timedelta(minutes=1))
    assert sorted(n for n, _ in chat.reminders) == ["alice", "carol", "dave"]
    assert s.wake_time(team.id) == REMINDER_AT + timedelta(minutes=10, seconds=1)
    await run_at(s, clock, REMINDER_AT + timedelta(minutes=10, seconds=1))
    await run_at(s, clock, REMINDER_AT + timedelta(hours=2))
    assert sorted(n for n, _ in chat.reminders) == ["alice", "bob", "carol", "dave"]
