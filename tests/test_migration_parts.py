"""Migration 0004 on a database in use: what was out before parts were recorded stays out.

The rows are written by today's code, then the schema is taken back to 0003
(dropping what 0004 and later added) and upgraded again."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.service import Core
from bot.scheduling import Scheduler
from bot.store.db import upgrade
from bot.store.ledger import Ledger
from bot.store.repo import SqlRepository
from tests.conftest import BACKENDS, downgrade, migrated_engine, person
from tests.test_scheduler import DIGEST_AT, MEETING, REMINDER_AT, FakeChat, setup_team, submit


@pytest.fixture(params=BACKENDS)
def at_0003(request, tmp_path):
    """An engine on a database to be taken back to 0003 (before message parts) once filled."""
    with migrated_engine(request.param, tmp_path) as engine:
        yield engine


def old_core(engine, clock):
    core = Core.build(SqlRepository(engine), clock, default_timezone="Europe/Berlin")
    team = setup_team(core)
    for name in ("bob", "carol"):
        core.teams.member_for(person(name))
    return core, team


async def test_after_the_upgrade_a_posted_digest_is_not_threaded_again(at_0003, clock):
    engine = at_0003
    core, team = old_core(engine, clock)
    ledger = Ledger(engine)
    # With the old code: the digest went out with alice's recap, then carol wrote late and the
    # process died before threading it.
    submit(core, "alice", "on time")
    assert ledger.claim_digest(team.id, MEETING, "old", DIGEST_AT)
    assert ledger.finish_digest(team.id, MEETING, "old", DIGEST_AT, ["old:root"], "#lab", False)
    clock.set(DIGEST_AT + timedelta(minutes=20))
    submit(core, "carol", "late, never threaded")

    downgrade(engine, "0003")
    upgrade(engine)
    chat = FakeChat()
    await Scheduler(core, {"console": chat}, ledger, clock=clock, replica="new").start(aps=False)
    assert [e.recap.progress for _, e in chat.late] == ["late, never threaded"]  # alice's is in the digest
    assert chat.late[0][0] == ["old:root"] and chat.digests == []


async def test_after_the_upgrade_a_reminder_already_sent_is_not_sent_again(at_0003, clock):
    engine = at_0003
    core, team = old_core(engine, clock)
    ledger = Ledger(engine)
    bob = core.teams.member_for(person("bob"))
    assert ledger.claim_reminder(bob.id, MEETING, REMINDER_AT)  # sent by the old code

    downgrade(engine, "0003")
    upgrade(engine)
    chat = FakeChat()
    clock.set(REMINDER_AT + timedelta(minutes=30))  # long past the take-over age of a claim
    await Scheduler(core, {"console": chat}, ledger, clock=clock, replica="new").start(aps=False)
    assert sorted(name for name, _ in chat.reminders) == ["alice", "carol"]
