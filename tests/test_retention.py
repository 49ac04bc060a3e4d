"""RECAPBOT_RETENTION_DAYS: old recaps (and their late-update rows) go daily, on a fake clock."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from bot.app import attach_scheduler, build
from bot.config import Settings
from bot.store import tables
from bot.store.ledger import Ledger
from tests.test_scheduler import FakeChat, scheduler, setup_team, submit

UTC = timezone.utc
FIRST_MEETING = datetime(2026, 11, 23, 9, tzinfo=UTC)  # the clock starts Wed 2026-11-18


def count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def two_cycles_of_recaps(core, engine, clock):
    """Alice writes for the meetings of 23 Nov and 30 Nov; the first also got a late-update row."""
    setup_team(core)
    old = submit(core, "alice", "old news").recap
    Ledger(engine).claim_late_update(old.id, old.updated_at, clock.now())
    clock.set(FIRST_MEETING + timedelta(hours=1))
    new = submit(core, "alice", "fresh").recap
    assert new.meeting_at == FIRST_MEETING + timedelta(days=7)
    return old, new


async def test_recaps_older_than_the_retention_go_with_their_late_updates(core, repo, engine, clock):
    old, new = two_cycles_of_recaps(core, engine, clock)
    s = scheduler(core, engine, FakeChat(), clock, retention=timedelta(days=30))

    clock.set(FIRST_MEETING + timedelta(days=30) - timedelta(seconds=1))
    assert await s.purge_expired() == {}  # 30 days are not over yet
    clock.set(FIRST_MEETING + timedelta(days=30, seconds=1))
    assert await s.purge_expired() == {"recaps": 1, "late_update_posts": 1}
    assert [r.progress for r in repo.recent_recaps(old.member_id, 10)] == ["fresh"]
    assert count(engine, tables.late_update_posts) == 0
    assert await s.purge_expired() == {}  # idempotent: another replica's run finds nothing


async def test_two_replicas_purging_together_delete_each_row_once(core, engine, clock):
    two_cycles_of_recaps(core, engine, clock)
    clock.set(FIRST_MEETING + timedelta(days=100))
    replicas = [scheduler(core, engine, FakeChat(), clock, replica=f"r{i}", retention=timedelta(days=1))
                for i in range(2)]
    results = await asyncio.gather(*(r.purge_expired() for r in replicas))
    assert sum(r.get("recaps", 0) for r in results) == 2
    assert count(engine, tables.recaps) == 0


async def test_without_a_retention_nothing_is_deleted_and_no_job_is_planned(core, engine, clock):
    two_cycles_of_recaps(core, engine, clock)
    clock.set(FIRST_MEETING + timedelta(days=3650))
    s = scheduler(core, engine, FakeChat(), clock)
    await s.start()
    try:
        assert await s.purge_expired() == {}
        assert s.aps.get_job("retention") is None
    finally:
        await s.stop()
    assert count(engine, tables.recaps) == 2


async def test_the_scheduler_purges_at_start_and_plans_a_daily_run(engine, db_url, clock):
    settings = Settings(database_url=db_url, retention_days=30)
    app = build(settings, clock=clock, migrate=False)
    two_cycles_of_recaps(app.core, engine, clock)
    clock.set(FIRST_MEETING + timedelta(days=31))
    app.chats["console"] = FakeChat()
    s = attach_scheduler(app)
    assert s.retention == timedelta(days=30)
    await s.start()
    try:
        assert count(engine, tables.recaps) == 1
        job = s.aps.get_job("retention")
        assert job.trigger.interval == timedelta(days=1)
    finally:
        await s.stop()
        app.engine.dispose()
