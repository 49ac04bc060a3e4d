"""Restarts around the digest time, shutdown mid-post, and two replicas racing on one database."""
from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.core.service import Core
from bot.scheduling import Scheduler
from bot.store.db import make_engine
from bot.store.ledger import Ledger
from bot.store.repo import SqlRepository
from tests.conftest import person
from tests.test_scheduler import DIGEST_AT, MEETING, REMINDER_AT, FakeChat, run_at, scheduler, setup_team


@pytest.fixture
def team(core):
    return setup_team(core)


# -- restarts ---------------------------------------------------------------------
async def test_down_just_before_the_digest_posts_it_at_start_marked_late(core, engine, clock, team):
    first, second = FakeChat(), FakeChat()
    clock.set(DIGEST_AT - timedelta(minutes=1))
    a = scheduler(core, engine, first, clock, replica="a")
    await a.start(aps=False)
    await a.stop()
    clock.set(DIGEST_AT + timedelta(hours=3))  # back three hours later, within the 12 h window
    b = scheduler(core, engine, second, clock, replica="b")
    report = await b.start(aps=False)
    assert first.digests == [] and len(second.digests) == 1 and report.posted == [(team.id, MEETING)]
    row = b.poster.ledger.digest_post(team.id, MEETING)
    assert row.posted_late and row.claimed_by == "b"


async def test_down_past_the_catchup_window_records_the_digest_as_missed(core, engine, clock, team):
    chat = FakeChat()
    clock.set(DIGEST_AT + timedelta(hours=12, minutes=1))
    s = scheduler(core, engine, chat, clock, catchup=timedelta(hours=12))
    report = await s.start(aps=False)
    assert chat.digests == [] and report.missed == [(team.id, MEETING)]
    assert s.poster.ledger.digest_post(team.id, MEETING).status == "missed"
    assert s.wake_time(team.id) == MEETING + timedelta(days=7) - timedelta(hours=26)


async def test_restart_after_the_digest_does_not_post_it_again(core, engine, clock, team):
    chat = FakeChat()
    a = scheduler(core, engine, chat, clock, replica="a")
    await run_at(a, clock, DIGEST_AT)
    await a.stop()
    clock.set(DIGEST_AT + timedelta(minutes=2))
    b = scheduler(core, engine, chat, clock, replica="b")
    await b.start(aps=False)
    assert len(chat.digests) == 1


async def test_shutdown_during_the_post_abandons_it_cleanly_and_the_next_start_posts_once(core, engine, clock, team):
    hanging, second = FakeChat(), FakeChat()
    hanging.hang = asyncio.Event()  # the platform never answers
    clock.set(DIGEST_AT)
    a = scheduler(core, engine, hanging, clock, replica="a", shutdown_grace=0.0)
    start = asyncio.create_task(a.start(aps=False))
    await hanging.entered.wait()
    assert a.poster.ledger.digest_post(team.id, MEETING).claimed_by == "a"
    await a.stop()  # SIGTERM: the grace is over at once, the post is cancelled
    with pytest.raises(asyncio.CancelledError):
        await start
    assert a.poster.ledger.digest_post(team.id, MEETING) is None  # the claim was given back

    clock.set(DIGEST_AT + timedelta(seconds=30))
    b = scheduler(core, engine, second, clock, replica="b")
    await b.start(aps=False)
    assert hanging.digests == [] and len(second.digests) == 1


async def test_shutdown_lets_a_post_in_progress_finish_within_the_grace(core, engine, clock, team):
    chat = FakeChat()
    chat.hang = asyncio.Event()
    clock.set(DIGEST_AT)
    a = scheduler(core, engine, chat, clock, replica="a", shutdown_grace=30.0)
    start = asyncio.create_task(a.start(aps=False))
    await chat.entered.wait()
    stopping = asyncio.create_task(a.stop())
    await asyncio.sleep(0)
    chat.hang.set()  # the platform answers while we are shutting down
    await stopping
    assert (await start).posted == [(team.id, MEETING)]
    assert a.poster.ledger.digest_post(team.id, MEETING).status == "posted"


async def test_a_claim_left_by_a_crashed_replica_is_completed_once_it_is_stale(core, engine, clock, team):
    ledger = Ledger(engine)
    assert ledger.claim_digest(team.id, MEETING, "crashed:1:x", DIGEST_AT)  # died before posting
    chat = FakeChat()
    clock.set(DIGEST_AT + timedelta(minutes=1))
    s = scheduler(core, engine, chat, clock, replica="b")
    await s.start(aps=False)
    assert chat.digests == []  # it might still be posting
    stale = DIGEST_AT + timedelta(minutes=10, seconds=1)
    assert s.wake_time(team.id) == stale
    await run_at(s, clock, stale)
    assert len(chat.digests) == 1
    await run_at(s, clock, stale + timedelta(minutes=20))
    assert len(chat.digests) == 1
    assert ledger.digest_post(team.id, MEETING).claimed_by == "b"


# -- replicas ---------------------------------------------------------------------
def replica(db_url, clock, chat, name) -> tuple[Scheduler, object]:
    """A second process, as far as the database can tell: its own engine and core."""
    engine = make_engine(db_url)
    core = Core.build(SqlRepository(engine), clock, default_timezone="Europe/Berlin")
    return Scheduler(core, {"console": chat}, Ledger(engine), clock=clock, replica=name), engine


async def test_two_replicas_racing_post_each_digest_and_reminder_once(db_url, core, clock, team):
    for name in ("bob", "carol"):
        core.teams.member_for(person(name))
    chat = FakeChat()  # both replicas post to the same "platform"
    (a, ea), (b, eb) = replica(db_url, clock, chat, "a"), replica(db_url, clock, chat, "b")
    try:
        weeks = 15
        for week in range(weeks):
            shift = timedelta(weeks=week)
            for moment in (REMINDER_AT + shift, DIGEST_AT + shift):
                clock.set(moment)
                await asyncio.gather(a.run_due(), b.run_due())
        assert len(chat.digests) == weeks
        assert len({key for _, _, key in chat.digests}) == weeks
        assert len(chat.reminders) == 3 * weeks
        assert len(set(chat.reminders)) == 3 * weeks
    finally:
        ea.dispose()
        eb.dispose()


async def test_a_claim_of_a_process_gone_from_this_machine_is_taken_over_at_once_a_live_ones_is_not(
        core, engine, clock, team):
    import os
    import subprocess
    import sys

    from bot.scheduling import replica_id

    here = replica_id().rsplit(":", 2)[0]  # this machine, this pid namespace
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    ledger = Ledger(engine)
    week = timedelta(days=7)
    assert ledger.claim_digest(team.id, MEETING, f"{here}:{gone}:dead", DIGEST_AT)  # killed mid-post
    assert ledger.claim_digest(team.id, MEETING + week, f"{here}:{os.getppid()}:alive", DIGEST_AT + week)
    chat = FakeChat()
    s = scheduler(core, engine, chat, clock, replica="restarted")
    await run_at(s, clock, DIGEST_AT + timedelta(minutes=1))  # the restart, a minute later
    assert len(chat.digests) == 1 and ledger.digest_post(team.id, MEETING).claimed_by == "restarted"
    await run_at(s, clock, DIGEST_AT + week + timedelta(minutes=1))
    assert len(chat.digests) == 1  # its holder still runs: wait for the claim to go stale
