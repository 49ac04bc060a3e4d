"""Units of work (store/unit.py, core/unit.py): one connection per use case, all or nothing,
and a use case that meets a dead connection runs again on a fresh one, storing once."""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, func, select, text

from bot.app import repository
from bot.core.events import RecapSubmitted
from bot.core.model import RecapDraft
from bot.core.replies import TextReply
from bot.core.service import Core
from bot.store import tables as t
from bot.store import unit
from bot.store.db import make_engine
from tests.conftest import PG_URL, group_of, join, person

UTC = timezone.utc
ALICE, BOB = person("alice"), person("bob")


@pytest.fixture
def group(core, clock):
    core.teams.setup(ALICE, [("meeting", "Mon 10:00"), ("tz", "Europe/Berlin")])
    join(core, ALICE, BOB)
    return group_of(core)


def recaps_stored(engine) -> list[tuple[str, int]]:
    with engine.connect() as conn:  # a connection of its own: only what was committed
        return [tuple(row) for row in conn.execute(
            select(t.members.c.user_ref, t.recaps.c.streak).join(t.members, t.members.c.id == t.recaps.c.member_id)
            .order_by(t.recaps.c.id))]


class Checkouts:
    def __init__(self, engine):
        self.count = 0
        event.listen(engine.pool, "checkout", self._seen)

    def _seen(self, *_):
        self.count += 1


def test_a_submission_uses_one_connection_and_nested_units_join_it(core, engine, group):
    checkouts = Checkouts(engine)
    reply = core.submit_recap(ALICE, RecapDraft(progress="gels", questions="Who has tips?"))
    assert isinstance(reply, TextReply) and reply.ok
    assert checkouts.count == 1

    seen = []

    def inner():
        seen.append(unit.current(engine))
        return core.submit_recap(BOB, RecapDraft(progress="blots"))  # a unit of its own, nested: joins

    def outer():
        seen.append(unit.current(engine))
        return core.unit(inner)

    checkouts.count = 0
    core.unit(outer)
    assert checkouts.count == 1 and seen[0] is not None and seen[0] is seen[1]
    assert recaps_stored(engine) == [("alice", 1), ("bob", 1)]


def test_an_error_rolls_back_the_whole_unit_and_its_events_never_go_out(core, engine, group):
    told = []
    core.events.subscribe(RecapSubmitted, told.append)

    def submit_then_fail():
        core.recaps.set_question(ALICE, "How do cells count?")
        core.recaps.submit(ALICE, RecapDraft(progress="gels", questions="Who has tips?"))
        raise RuntimeError("the platform call after it failed")

    with pytest.raises(RuntimeError):
        core.unit(submit_then_fail)
    assert recaps_stored(engine) == [] and told == []
    assert core.recaps.current_question(ALICE) is None
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.group_questions)).scalar_one() == 0


def test_events_go_out_after_the_commit_so_another_thread_finds_the_recap(core, engine, group):
    found = []

    def listener(event: RecapSubmitted):  # as the scheduler and Slack do: the work goes to another thread
        worker = threading.Thread(target=lambda: found.append(recaps_stored(engine)))
        worker.start()
        worker.join()

    core.events.subscribe(RecapSubmitted, listener)
    core.submit_recap(ALICE, RecapDraft(progress="gels"))
    assert found == [[("alice", 1)]]


def test_a_connection_lost_in_a_unit_runs_the_unit_again_once(core, engine, group, caplog):
    """Any backend: the unit's connection is invalidated (as SQLAlchemy does on a disconnect)
    halfway through the first attempt; the second attempt stores the recap once."""
    attempts = []

    def flaky():
        attempts.append(1)
        result = core.recaps.submit(ALICE, RecapDraft(progress="gels"))
        if len(attempts) == 1:
            unit.current(engine).invalidate()
            raise ConnectionError("server closed the connection unexpectedly")
        return result

    told = []
    core.events.subscribe(RecapSubmitted, told.append)
    with caplog.at_level(logging.WARNING, logger="bot.store.unit"):
        core.unit(flaky)
    assert len(attempts) == 2 and recaps_stored(engine) == [("alice", 1)] and len(told) == 1
    assert "running it again" in caplog.text

    attempts.clear()

    def always_lost():
        attempts.append(1)
        unit.current(engine).invalidate()
        raise ConnectionError("down")

    with pytest.raises(ConnectionError):
        core.unit(always_lost)
    assert len(attempts) == 2  # once more, not forever


def test_concurrent_submissions_number_the_groups_questions_without_gaps_or_twins(db_url, clock):
    engine = make_engine(db_url)
    try:
        core = Core.build(repository(engine), clock, default_timezone="Europe/Berlin")
        core.teams.setup(ALICE, [("meeting", "Mon 10:00")])
        people = [person(f"p{i}") for i in range(8)]
        join(core, *people)
        start = threading.Barrier(len(people))
        replies = []

        def write(who):
            start.wait()
            replies.append(core.submit_recap(who, RecapDraft(progress="x", questions=f"{who.user_ref} asks?\nAnd?")))

        threads = [threading.Thread(target=write, args=(who,)) for who in people]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert all(r.ok for r in replies), [r.text for r in replies if not r.ok]
        with engine.connect() as conn:
            numbers = sorted(conn.execute(select(t.group_questions.c.number)).scalars())
        assert numbers == list(range(1, 2 * len(people) + 1))
    finally:
        engine.dispose()


@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (TEST_DATABASE_URL)")
@pytest.mark.parametrize("when", ["before it starts", "after its first write"])
def test_postgresql_backend_killed_the_unit_is_retried_and_the_recap_stored_once(pg_schema_url, clock, caplog, when):
    from tests.conftest import _truncate

    engine = make_engine(pg_schema_url)
    _truncate(engine)
    admin = make_engine(PG_URL)
    try:
        core = Core.build(repository(engine), clock, default_timezone="Europe/Berlin")
        core.teams.setup(ALICE, [("meeting", "Mon 10:00")])
        join(core, ALICE)
        clock.advance(days=-7)
        core.submit_recap(ALICE, RecapDraft(progress="last week"))  # so the streak is worked out
        clock.advance(days=7)
        with engine.connect() as conn:  # the pool's one connection: the next unit gets it
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        assert engine.pool.checkedin() == 1

        def kill():
            with admin.connect() as conn:
                conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                conn.commit()

        if when == "before it starts":
            kill()
        else:
            killed = []

            def after_write(conn, cursor, statement, *_):
                if statement.startswith("INSERT INTO recaps") and not killed:
                    killed.append(pid)
                    kill()
            event.listen(engine, "after_cursor_execute", after_write)

        told = []
        core.events.subscribe(RecapSubmitted, told.append)
        with caplog.at_level(logging.WARNING, logger="bot.store.unit"):
            reply = core.submit_recap(ALICE, RecapDraft(progress="this week", questions="Who has tips?"))
        assert reply.ok, reply.text
        assert "running it again" in caplog.text
        assert recaps_stored(engine) == [("alice", 1), ("alice", 2)] and len(told) == 1
        with engine.connect() as conn:
            assert conn.execute(select(t.group_questions.c.number)).scalars().all() == [1]
            assert conn.execute(select(t.members.c.streak)).scalar_one() == 2
    finally:
        engine.dispose()
        admin.dispose()


@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (TEST_DATABASE_URL)")
def test_postgresql_a_pooled_connection_idle_for_a_while_is_pinged_and_replaced_if_dead(pg_schema_url):
    """Outside a unit (the scheduler's ledger, say) nothing reruns a call: a connection that sat idle
    in the pool, as after a database restart, is checked before it is handed out."""
    from bot.store.db import IDLE_PING_SECONDS

    engine = make_engine(pg_schema_url)
    admin = make_engine(PG_URL)
    try:
        with engine.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            conn.commit()
        for record in list(engine.pool._pool.queue):  # as if it sat idle for longer than the threshold
            record.info["idle_from"] -= IDLE_PING_SECONDS + 1
        repository(engine).list_teams()  # no error: a fresh connection was made
        with engine.connect() as conn:
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid
    finally:
        engine.dispose()
        admin.dispose()


def test_concurrent_first_submissions_by_one_person_store_one_recap(db_url, clock):
    """Two forms sent at once (two devices): one recap, the later one replacing the first."""
    engine = make_engine(db_url)
    try:
        core = Core.build(repository(engine), clock, default_timezone="Europe/Berlin")
        core.teams.setup(ALICE, [("meeting", "Mon 10:00")])
        join(core, ALICE)
        start = threading.Barrier(4)
        results = []

        def write(n):
            start.wait()
            results.append(core.unit(core.recaps.submit, ALICE, RecapDraft(progress=f"device {n}")))

        threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(results) == 4 and sorted(r.replaced for r in results) == [False, True, True, True]
        assert recaps_stored(engine) == [("alice", 1)]
    finally:
        engine.dispose()
